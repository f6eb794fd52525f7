import { statRegularFile } from '@appliedml/engine';

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
 * The engine's `statRegularFile` makes the checks. `details` carries `{ file, reason }`. Whether the contents can be read (permissions) is left to the
 * reader, which names the file too.
 */
export async function checkInputFile(path: string, what: string): Promise<void> {
  await statRegularFile(path, what, { detailsKey: 'file' });
}
