import type { Stats } from 'node:fs';

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
