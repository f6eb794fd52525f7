// The path readers' one way to read a file: what is not a regular file is refused before it is opened,
// and errors from the bytes name the file.
import { readFile } from 'node:fs/promises';
import { AppliedMLError, statRegularFile } from '@appliedml/engine';

/**
 * The bytes of the regular file at `path`. A missing path, a directory, FIFO, socket or device is `E_IO`
 * before it is opened (opening a FIFO would wait for a writer, and a device may never end), in the
 * engine's words (`statRegularFile`: "Cannot read image file <path>: it is a FIFO (named pipe), not a
 * regular file.", `details.path` and `details.reason`); `what` names the file in the messages ("image
 * file", "DICOM file").
 */
export async function readRegularFile(path: string, what: string): Promise<Uint8Array> {
  await statRegularFile(path, what);
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
