// The path readers' one way to read a file: what is not a regular file is refused before it is opened,
// and errors from the bytes name the file.
import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { AppliedMLError } from '@appliedml/engine';

function entryKind(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'an unknown kind of file';
}

/**
 * The bytes of the regular file at `path`. A directory, FIFO, socket or device is `E_IO` before it is
 * opened (opening a FIFO would wait for a writer, and a device may never end); `what` names the file in
 * the messages ("image file", "DICOM file").
 */
export async function readRegularFile(path: string, what: string): Promise<Uint8Array> {
  try {
    const info = await stat(path);
    if (!info.isFile())
      throw new AppliedMLError('E_IO', `Cannot read ${what} ${path}: it is not a regular file (${entryKind(info)}).`, {
        details: { path },
      });
    return await readFile(path);
  } catch (cause) {
    if (AppliedMLError.isInstance(cause)) throw cause;
    throw new AppliedMLError('E_IO', `Cannot read ${what} ${path}: ${(cause as Error).message}`, { cause, details: { path } });
  }
}

/** An error from reading the file at `path`, with the path in front of its message and in `details.path`; its code kept. */
export function namingFile(error: unknown, path: string): unknown {
  if (!AppliedMLError.isInstance(error) || error.details.path === path) return error;
  return new AppliedMLError(error.code, `${path}: ${error.message}`, { cause: error, details: { ...error.details, path } });
}
