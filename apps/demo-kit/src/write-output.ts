import { randomBytes } from 'node:crypto';
import { lstat, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { AppliedMLError, MAX_LINK_HOPS, checkPathArgument, linkTarget, makeDirs, writeFileDurable } from '@appliedml/engine';

/**
 * Writes a demo's output file (report, image) whole or not at all: to a hidden sibling first, then
 * renamed over `path`, so a failed write never leaves a truncated report where the last good one was.
 *
 * A `path` that is a symbolic link (`latest.html -> runs/r7.html`) stays a link: the file it points to
 * (links followed, at most 8; a relative target read from the folder the link really is in) is the one
 * replaced, with the temporary file beside it, as the engine's bundle saves do. A dangling link creates
 * the file it points to when that file's folder exists (no folders are made for a link's target).
 *
 * A replaced file keeps its permission bits (a 0600 report stays 0600; setuid, setgid and sticky bits
 * are not carried over), and the temporary file has them before the first byte is written, so the new
 * contents are never readable by more users than the old ones were; a new file gets the umask's, as any
 * new file does. Its owner is the writer.
 *
 * Failures name `path` (never the hidden temporary file, which is removed; the old file is left intact):
 * - `path` is a folder, or ends in a path separator → E_INPUT_INVALID "… is a folder, not a file";
 * - a level of `path` is a file (`notes.txt/out.html`) → E_INPUT_INVALID "… is a file, not a folder";
 * - the folder cannot be written (read-only, no permission) → E_IO "… no permission to create files in …";
 * - the old file may not be replaced (another user's in a folder that protects its files, as /tmp does, or
 *   immutable), though the folder takes new files → E_IO "… may not be replaced …", reason 'EPERM';
 * - `path` is a loop of symbolic links, or a chain of more than 8 → E_INPUT_INVALID, reason 'link-loop';
 * - `path` is a dangling link whose target's folder does not exist → E_INPUT_INVALID, reason
 *   'dangling-link' (`details.target` is the file it points to);
 * - anything else → E_IO with the system's reason.
 * `details` carries `{ path, reason }`, and `target` where `path` is a link.
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
  // Renaming over a link would replace the link, not the file it points to: write to its target.
  const target = await writeTarget(path);
  const isLink = target !== resolve(path);
  const linked = isLink ? { target } : {};
  // A plain path keeps the user's spelling in messages (a relative folder stays relative).
  const dest = isLink ? target : path;
  const folder = dirname(dest);
  if (isLink) {
    const info = await stat(folder).catch((error: NodeJS.ErrnoException) => error);
    if (info instanceof Error && info.code === 'ENOENT') {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `Cannot write ${path}: it is a symbolic link to ${target}, whose folder ${folder} does not exist. Make that folder, or remove the link.`,
        { cause: info, details: { path, reason: 'dangling-link', target } },
      );
    }
  }
  const tmp = join(folder, `.${basename(dest)}.${randomBytes(6).toString('hex')}.tmp`);
  let written = false;
  try {
    // A link's target gets no folders made for it (checked above); a plain path gets its folder made.
    if (!isLink) await makeDirs(folder);
    // The new file keeps the old one's permissions (a private 0600 report stays private), its read, write
    // and execute bits only (no setuid or setgid). The temporary file has them before any data goes into
    // it: chmod-ed after the write, the new report sat readable by everyone while it was written.
    await writeFileDurable(tmp, data, existing?.isFile() ? { mode: existing.mode & 0o777 } : {});
    written = true;
    await rename(tmp, dest);
  } catch (cause) {
    // Gone already, or never made (its folder could not be): nothing to report beyond the cause.
    await rm(tmp, { force: true }).catch(() => undefined);
    // The folder took the temporary file, so it is the old file that may not be replaced.
    if (written && existing?.isFile() && (cause as NodeJS.ErrnoException | undefined)?.code === 'EPERM') {
      throw notReplaceable(path, cause, linked);
    }
    throw await explain(path, folder, cause, linked);
  }
}

/**
 * The file a write to `path` replaces: `resolve(path)`, or, where `path` is a symbolic link, the file at
 * the end of its chain (which may not exist), as the engine's saves read it (`linkTarget`). A loop, or a
 * chain longer than MAX_LINK_HOPS, is E_INPUT_INVALID 'link-loop'.
 */
async function writeTarget(path: string): Promise<string> {
  const at = await linkTarget(path);
  if ((await lstat(at).catch(() => undefined))?.isSymbolicLink()) throw linkLoop(path, at);
  return at;
}

function linkLoop(path: string, link: string, cause?: unknown): AppliedMLError {
  return new AppliedMLError(
    'E_INPUT_INVALID',
    `Cannot write ${path}: it is a loop of symbolic links, or a chain of more than ${MAX_LINK_HOPS}. Point the link at a file, or give another path.`,
    { ...(cause !== undefined ? { cause } : {}), details: { path, reason: 'link-loop', link } },
  );
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

/**
 * The rename over the old file refused (EPERM) where the temporary file could be made beside it: the
 * folder takes files (saying it cannot be written sent the user to check a folder that was fine), the old
 * file is another user's in a sticky folder (/tmp) or immutable.
 */
function notReplaceable(path: string, cause: unknown, linked: { target?: string }): AppliedMLError {
  const file = linked.target === undefined ? 'the file there' : `the file it points to, ${linked.target},`;
  return new AppliedMLError(
    'E_IO',
    `Cannot write ${path}: ${file} may not be replaced (it is another user's in a folder that protects its files, as /tmp does, or it is immutable). Choose another output path.`,
    { cause, details: { path, reason: 'EPERM', ...linked } },
  );
}

/** The failure of a write to `path` (in `folder`) in the user's terms, naming no temporary file. */
async function explain(path: string, folder: string, cause: unknown, linked: { target?: string } = {}): Promise<AppliedMLError> {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  // A link in the folder's path loops (`out/loop/r.html`, `loop -> loop`).
  if (code === 'ELOOP') return linkLoop(path, folder, cause);
  if (code === 'ENOTDIR') {
    const file = await nearestFile(folder);
    if (file !== undefined) {
      return new AppliedMLError('E_INPUT_INVALID', `Cannot write ${path}: ${file} is a file, not a folder.`, {
        cause,
        details: { path, reason: 'not-a-folder', file, ...linked },
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
        details: { path, reason: code, ...linked },
      },
    );
  }
  const reason = String((cause as Error | undefined)?.message ?? cause).replace(/, \w+ '.*'$/, '');
  return new AppliedMLError('E_IO', `Cannot write ${path}: ${reason}.`, { cause, details: { path, reason: code ?? 'unknown', ...linked } });
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
