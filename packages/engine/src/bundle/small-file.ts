import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The most a bundle's manifest.json may hold (loadBundle refuses a larger one; a save reads an existing folder's marker to it). */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** Read only, no link followed, and a FIFO does not block the open (where the system has the flags). */
export const OPEN_REGULAR = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** What a directory entry that is not a regular file is, for a refusal: 'a folder', 'a symbolic link' … */
export function entryKind(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** What `readSmallTextFile` found. */
export type SmallTextRead =
  | { kind: 'text'; text: string }
  | { kind: 'absent'; cause: unknown }
  /** A folder, a link (not followed), a FIFO, a device, a socket: `what` says which. */
  | { kind: 'not-regular'; what: string; cause?: unknown }
  /** More than the limit: `size` what the file holds, or at least limit + 1 when it grew while read. */
  | { kind: 'too-large'; size: number };

/**
 * At most `max` bytes from the open file, reading until its end (a file that grows after its size was
 * taken is not read past `max`).
 */
async function readAtMost(handle: FileHandle, sizeHint: number, max: number): Promise<Buffer> {
  let buffer = Buffer.allocUnsafe(Math.max(1, Math.min(sizeHint + 1, max)));
  let filled = 0;
  for (;;) {
    if (filled === buffer.length) {
      if (buffer.length >= max) break;
      const bigger = Buffer.allocUnsafe(Math.min(buffer.length * 2, max));
      buffer.copy(bigger, 0, 0, filled);
      buffer = bigger;
    }
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/**
 * The UTF-8 text of a small file that must be a regular file: a bundle's manifest.json, a save's marker.
 * A link is not followed, and a folder, FIFO, device or socket is not opened for reading (`lstat` first;
 * the opened file is checked again, in case it was replaced meanwhile), so a manifest.json that is a
 * link to /dev/zero or a pipe is told as such, at once, without reading it. At most `limit` + 1 bytes
 * are read. Absent (ENOENT), not a regular file, and larger than `limit` are answered as values; any
 * other failure (EACCES, ENOTDIR, EIO) is thrown as the system's error, for the caller to word.
 */
export async function readSmallTextFile(path: string, limit: number): Promise<SmallTextRead> {
  let info: Stats;
  try {
    info = await lstat(path);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent', cause };
    throw cause;
  }
  if (!info.isFile()) return { kind: 'not-regular', what: entryKind(info) };
  if (info.size > limit) return { kind: 'too-large', size: info.size };
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_REGULAR);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'absent', cause };
    // O_NOFOLLOW on a link that replaced the file after the lstat (EMLINK on the BSDs).
    if (code === 'ELOOP' || code === 'EMLINK') return { kind: 'not-regular', what: 'a symbolic link', cause };
    if (code === 'EISDIR') return { kind: 'not-regular', what: 'a folder', cause };
    throw cause;
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) return { kind: 'not-regular', what: entryKind(opened) };
    if (opened.size > limit) return { kind: 'too-large', size: opened.size };
    const bytes = await readAtMost(handle, opened.size, limit + 1);
    if (bytes.length > limit) return { kind: 'too-large', size: bytes.length };
    return { kind: 'text', text: bytes.toString('utf8') };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * For a path the system answered ELOOP on: the first level of it (from the root down) that is a link
 * loop or too long a chain of links, or `path` itself when none is found (the links changed meanwhile).
 */
export async function loopingLevel(path: string): Promise<string> {
  const levels: string[] = [];
  for (let at = path; ; at = dirname(at)) {
    levels.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const level of levels) {
    const code = await stat(level).then(
      () => undefined,
      (error: NodeJS.ErrnoException) => error.code,
    );
    if (code === 'ELOOP') return level;
    if (code !== undefined) break;
  }
  return path;
}
