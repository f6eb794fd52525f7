// The path readers' one way to read a file: what is not a regular file is refused before it is opened,
// and errors from the bytes name the file.
import { readFile } from 'node:fs/promises';
import { AppliedMLError, statRegularFile } from '@appliedml/engine';

/**
 * The bytes of the regular file at `path`. A missing path, a directory, FIFO, socket or device is `E_IO`
 * before it is opened (opening a FIFO would wait for a writer, and a device may never end), in the
 * engine's words (`statRegularFile`: "Cannot read image file <path>: it is a FIFO (named pipe), not a
 * regular file.", `details.path` and `details.reason`); `what` names the file in the messages ("image
 * file", "DICOM file"). With `limit`, a file larger than `limit.maxBytes` is refused (`limit.refuse`'s error) from
 * its size, before it is read.
 */
export async function readRegularFile(
  path: string,
  what: string,
  limit?: { maxBytes: number; refuse: (bytes: number) => AppliedMLError },
): Promise<Uint8Array> {
  const { size } = await statRegularFile(path, what);
  // From its size before it is read: a file over the limit was read whole first (800 MB to refuse).
  if (limit && size > limit.maxBytes) throw limit.refuse(size);
  try {
    return await readFile(path);
  } catch (cause) {
    throw new AppliedMLError('E_IO', `Cannot read ${what} ${path}: ${(cause as Error).message}`, { cause, details: { path } });
  }
}

/** An error from reading the file at `path`, with the path in front of its message and in `details.path`; its code kept. */
export function namingFile(error: unknown, path: string): unknown {
  if (!AppliedMLError.isInstance(error) || error.details.path === path) return error;
  return new AppliedMLError(error.code, `${path}: ${error.message}`, { cause: error, details: { ...error.details, path } });
}
