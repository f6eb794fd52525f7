import { randomBytes } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { AppliedMLError, checkPathArgument, makeDirs, writeFileDurable } from '@appliedml/engine';

/**
 * Writes a demo's output file (report, image) whole or not at all: to a hidden sibling first, then
 * renamed over `path`, so a failed write never leaves a truncated report where the last good one was.
 *
 * Failures name `path` (never the hidden temporary file, which is removed):
 * - `path` is a folder, or ends in a path separator → E_INPUT_INVALID "… is a folder, not a file";
 * - a level of `path` is a file (`notes.txt/out.html`) → E_INPUT_INVALID "… is a file, not a folder";
 * - the folder cannot be written (read-only, no permission) → E_IO "… no permission to create files in …";
 * - anything else → E_IO with the system's reason.
 * `details` carries `{ path, reason }`.
 */
export async function writeOutputFile(path: string, data: Uint8Array | string): Promise<void> {
  checkPathArgument(path, 'The output path');
  if (path.endsWith('/') || path.endsWith(sep)) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `Cannot write ${path}: it names a folder (it ends in '/'); give a file name, e.g. ${join(path, 'report.html')}.`,
      {
        details: { path, reason: 'folder' },
      },
    );
  }
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw isFolder(path);
  const folder = dirname(path);
  const tmp = join(folder, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await makeDirs(folder);
    await writeFileDurable(tmp, data);
    await rename(tmp, path);
  } catch (cause) {
    // Gone already, or never made (its folder could not be): nothing to report beyond the cause.
    await rm(tmp, { force: true }).catch(() => undefined);
    throw await explain(path, folder, cause);
  }
}

function isFolder(path: string, cause?: unknown): AppliedMLError {
  return new AppliedMLError(
    'E_INPUT_INVALID',
    `Cannot write ${path}: it is a folder, not a file; give a file name inside it, e.g. ${join(path, 'report.html')}.`,
    {
      cause,
      details: { path, reason: 'folder' },
    },
  );
}

/** The failure of a write to `path` (in `folder`) in the user's terms, naming no temporary file. */
async function explain(path: string, folder: string, cause: unknown): Promise<AppliedMLError> {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOTDIR') {
    const file = await nearestFile(folder);
    if (file !== undefined) {
      return new AppliedMLError('E_INPUT_INVALID', `Cannot write ${path}: ${file} is a file, not a folder.`, {
        cause,
        details: { path, reason: 'not-a-folder', file },
      });
    }
  }
  // Made a folder meanwhile (the check above came first), or a rename over a folder.
  if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
    if ((await stat(path).catch(() => undefined))?.isDirectory()) return isFolder(path, cause);
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    const why = code === 'EROFS' ? 'it is on a read-only file system' : 'no permission to create files there';
    return new AppliedMLError(
      'E_IO',
      `Cannot write ${path}: the folder ${folder} cannot be written (${why}). Choose another output path.`,
      {
        cause,
        details: { path, reason: code },
      },
    );
  }
  const reason = String((cause as Error | undefined)?.message ?? cause).replace(/, \w+ '.*'$/, '');
  return new AppliedMLError('E_IO', `Cannot write ${path}: ${reason}.`, { cause, details: { path, reason: code ?? 'unknown' } });
}

/** The first level of `folder`, from the root, that exists and is not a folder; undefined if none. */
async function nearestFile(folder: string): Promise<string | undefined> {
  const levels: string[] = [];
  for (let at = folder; ; at = dirname(at)) {
    levels.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const level of levels) {
    const found = await stat(level).catch(() => undefined);
    if (found === undefined) return undefined;
    if (!found.isDirectory()) return level;
  }
  return undefined;
}
