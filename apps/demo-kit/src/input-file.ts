import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { AppliedMLError, describeFileKind } from '@appliedml/engine';

/** Why a path could not be looked at, in words (the system's code kept in `details.reason`). */
function reasonOf(cause: unknown): string {
  const code = (cause as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENAMETOOLONG') return 'the path is too long';
  if (code === 'ELOOP') return 'too many symbolic links';
  return (cause as Error).message ?? String(cause);
}

/**
 * Checks, before a demo CLI reads it, that a path the user gave (`--data FILE`, a positional input)
 * is an existing regular file: a directory, FIFO, socket or device is refused up front, so a reader
 * never blocks on a named pipe or streams a device. Symbolic links are followed (a user's own path
 * may be one). `what` names the input in the message, e.g. `'--data file'`.
 *
 * - not a non-empty string → E_INPUT_INVALID;
 * - missing, unreadable metadata (ENOENT, EACCES …) → E_IO `Cannot read <what> <path>: no such file.`;
 * - not a regular file → E_IO `Cannot read <what> <path>: it is a FIFO (named pipe), not a regular file.`
 *
 * `details` carries `{ file, reason }`. Whether the contents can be read (permissions) is left to the
 * reader, which names the file too.
 */
export async function checkInputFile(path: string, what: string): Promise<void> {
  if (typeof path !== 'string' || path === '')
    throw new AppliedMLError('E_INPUT_INVALID', `The ${what} must be a non-empty path.`, { details: { file: path } });
  let info: Stats;
  try {
    info = await stat(path);
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    throw new AppliedMLError('E_IO', `Cannot read ${what} ${path}: ${reasonOf(cause)}.`, {
      cause,
      details: { file: path, reason: typeof code === 'string' ? code : 'stat-failed' },
    });
  }
  if (!info.isFile()) {
    const kind = describeFileKind(info);
    throw new AppliedMLError(
      'E_IO',
      `Cannot read ${what} ${path}: ${kind === 'not a regular file' ? 'it is not a regular file' : `it is ${kind}, not a regular file`}.`,
      { details: { file: path, reason: 'not-a-regular-file' } },
    );
  }
}
