import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { AppliedMLError, describeValue } from '../errors';
import { checkKnownKeys } from '../option-checks';

/**
 * What a path that is neither a regular file nor a folder is, for messages ('a FIFO (named pipe)',
 * 'a device' …): reading one blocks or never ends, so callers refuse it before opening it.
 */
export function specialFileKind(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * What a path that is not a regular file is, for a reader's refusal: 'a directory', 'a FIFO (named
 * pipe)', 'a device', 'a socket', or 'not a regular file'.
 */
export function describeFileKind(info: Stats): string {
  return info.isDirectory() ? 'a directory' : specialFileKind(info);
}

/**
 * Why a path that is not a regular file is refused, for the end of a message: 'it is a directory, not a
 * regular file', 'it is a FIFO (named pipe), not a regular file' … or 'it is not a regular file'.
 */
export function notRegularFileReason(info: Stats): string {
  const kind = describeFileKind(info);
  return kind === 'not a regular file' ? 'it is not a regular file' : `it is ${kind}, not a regular file`;
}

/** Why a path could not be looked at, in words (the system's code goes to `details.reason`). */
function statFailure(cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENAMETOOLONG') return 'the path is too long';
  if (code === 'ELOOP') return 'too many symbolic links';
  const message = (cause as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : describeValue(cause);
}

export interface StatRegularFileOptions {
  /**
   * The key the path goes under in the error's `details` (default 'path', as the engine's readers
   * use; some SDK readers say 'file').
   */
  detailsKey?: string;
}

const STAT_REGULAR_FILE_KEYS = Object.keys({ detailsKey: 1 } satisfies Record<keyof StatRegularFileOptions, 1>);

/**
 * The `fs.Stats` of `path` when it is a regular file (symbolic links followed), for a reader to check
 * before it opens the file: a directory, FIFO, socket or device is refused up front, so a reader never
 * blocks on a named pipe or streams a device without end. `what` names the file in the messages
 * ('audio file', 'image', '--data file').
 *
 * - `path` not a non-empty string, or with a NUL character → `E_INPUT_INVALID`
 *   `The <what> must be a non-empty path (got …).`;
 * - missing, or its metadata unreadable (a dangling link, a loop of links, a part of the path that is
 *   a file, no permission) → `E_IO` `Cannot read <what> <path>: no such file.` (or 'too many symbolic
 *   links', 'permission denied' …), `details.reason` the system's code ('ENOENT', 'ELOOP' …), `cause`
 *   the system's error;
 * - not a regular file → `E_IO` `Cannot read <what> <path>: it is a FIFO (named pipe), not a regular
 *   file.` (the kind in `describeFileKind`'s words), `details.reason` 'not-a-regular-file'.
 *
 * `details` holds the path under `options.detailsKey` ('path' by default) and `reason`. Whether the
 * contents can be read (permissions) is left to the reader, which names the file too.
 */
export async function statRegularFile(path: string, what: string, options: StatRegularFileOptions = {}): Promise<Stats> {
  checkKnownKeys('statRegularFile options', options, STAT_REGULAR_FILE_KEYS);
  const key = options.detailsKey ?? 'path';
  if (typeof key !== 'string' || key === '')
    throw new AppliedMLError('E_INPUT_INVALID', `statRegularFile's detailsKey must be a non-empty string (got ${describeValue(key)}).`, {
      details: { field: 'detailsKey' },
    });
  if (typeof what !== 'string' || what.trim() === '')
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `statRegularFile needs words for what the file is, e.g. 'audio file' (got ${describeValue(what)}).`,
      {
        details: { field: 'what' },
      },
    );
  if (typeof path !== 'string' || path === '' || path.includes('\0'))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `The ${what} must be a non-empty path${typeof path === 'string' && path !== '' ? ' without NUL characters' : ''} (got ${describeValue(path)}).`,
      { details: { [key]: typeof path === 'string' ? path : describeValue(path) } },
    );
  let info: Stats;
  try {
    info = await stat(path);
  } catch (cause) {
    const code = (cause as { code?: unknown } | null)?.code;
    throw new AppliedMLError('E_IO', `Cannot read ${what} ${path}: ${statFailure(cause)}.`, {
      cause,
      details: { [key]: path, reason: typeof code === 'string' ? code : 'stat-failed' },
    });
  }
  if (!info.isFile())
    throw new AppliedMLError('E_IO', `Cannot read ${what} ${path}: ${notRegularFileReason(info)}.`, {
      details: { [key]: path, reason: 'not-a-regular-file' },
    });
  return info;
}
