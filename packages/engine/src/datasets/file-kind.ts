import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
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

/**
 * Why a path could not be looked at, in words (the system's code goes to `details.reason`); `noun` is
 * what was looked for ('file', 'directory').
 */
export function statFailure(cause: unknown, noun: string): string {
  const code = (cause as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return `no such ${noun}`;
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
  const key = checkStatArguments('statRegularFile', path, what, options, "'audio file'");
  const info = await statPath(path, what, key, 'file');
  if (!info.isFile())
    throw new AppliedMLError('E_IO', `Cannot read ${what} ${path}: ${notRegularFileReason(info)}.`, {
      details: { [key]: path, reason: 'not-a-regular-file' },
    });
  return info;
}

export type StatDirectoryOptions = StatRegularFileOptions;

/**
 * The `fs.Stats` of `path` when it is a directory whose entries can be listed (symbolic links
 * followed): `statRegularFile`'s counterpart, for a reader to check before it lists a folder, so that
 * a missing folder, a file where a folder was expected or a folder it may not list is one typed error
 * naming the folder rather than whatever `readdir` throws. `what` names the folder in the messages
 * ('Kvasir-SEG images folder', 'data directory').
 *
 * - `path` not a non-empty string, or with a NUL character → `E_INPUT_INVALID`
 *   `The <what> must be a non-empty path (got …).`;
 * - missing, or its metadata unreadable → `E_IO` `Cannot read <what> <path>: no such directory.` (or
 *   'a part of the path is not a directory', 'too many symbolic links', 'permission denied' …),
 *   `details.reason` the system's code ('ENOENT', 'ELOOP' …), `cause` the system's error;
 * - not a directory → `E_IO` `Cannot read <what> <path>: it is a regular file, not a directory.` (or
 *   'it is a FIFO (named pipe), not a directory' …), `details.reason` 'not-a-directory';
 * - a directory that cannot be listed (no read or search permission) → `E_IO`
 *   `Cannot read <what> <path>: permission denied.`, `details.reason` the system's code ('EACCES').
 *
 * `details` holds the path under `options.detailsKey` ('path' by default) and `reason`.
 */
export async function statDirectory(path: string, what: string, options: StatDirectoryOptions = {}): Promise<Stats> {
  const key = checkStatArguments('statDirectory', path, what, options, "'images folder'");
  const info = await statPath(path, what, key, 'directory');
  if (!info.isDirectory()) {
    const kind = info.isFile() ? 'a regular file' : specialFileKind(info);
    throw new AppliedMLError(
      'E_IO',
      `Cannot read ${what} ${path}: ${kind === 'not a regular file' ? 'it is not a directory' : `it is ${kind}, not a directory`}.`,
      { details: { [key]: path, reason: 'not-a-directory' } },
    );
  }
  try {
    await access(path, constants.R_OK | constants.X_OK);
  } catch (cause) {
    throw ioFailure(cause, path, what, key, 'directory');
  }
  return info;
}

/** The checks of `statRegularFile`'s and `statDirectory`'s own arguments; returns the details key. */
function checkStatArguments(name: string, path: unknown, what: unknown, options: StatRegularFileOptions, example: string): string {
  checkKnownKeys(`${name} options`, options, STAT_REGULAR_FILE_KEYS);
  const key = options.detailsKey ?? 'path';
  if (typeof key !== 'string' || key === '')
    throw new AppliedMLError('E_INPUT_INVALID', `${name}'s detailsKey must be a non-empty string (got ${describeValue(key)}).`, {
      details: { field: 'detailsKey' },
    });
  if (typeof what !== 'string' || what.trim() === '')
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${name} needs words for what the ${name === 'statDirectory' ? 'directory' : 'file'} is, e.g. ${example} (got ${describeValue(what)}).`,
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
  return key;
}

/** `stat(path)`, a failure as `E_IO` naming the path. */
async function statPath(path: string, what: string, key: string, noun: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (cause) {
    throw ioFailure(cause, path, what, key, noun);
  }
}

function ioFailure(cause: unknown, path: string, what: string, key: string, noun: string): AppliedMLError {
  const code = (cause as { code?: unknown } | null)?.code;
  return new AppliedMLError('E_IO', `Cannot read ${what} ${path}: ${statFailure(cause, noun)}.`, {
    cause,
    details: { [key]: path, reason: typeof code === 'string' ? code : 'stat-failed' },
  });
}
