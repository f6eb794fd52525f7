import { AppliedMLError, describeValue } from './errors';
import { checkKnownKeys } from './option-checks';

/** The order of a number's bytes in a file: least significant first ('little') or most ('big'). */
export type ByteOrder = 'little' | 'big';

/** This machine's byte order, the one its typed arrays read and write (x64 and arm64: 'little'). */
export const HOST_BYTE_ORDER: ByteOrder = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'little' : 'big';

export interface HostOrderBytesOptions {
  /**
   * Return `bytes` itself when they are already in this machine's order and aligned for a typed array
   * of `size`-byte numbers (no second copy of a large file); default false: always a fresh copy.
   */
  view?: boolean;
}

function invalid(message: string, field: string): AppliedMLError {
  return new AppliedMLError('E_INPUT_INVALID', message, { details: { field } });
}

/**
 * `bytes` (numbers of `size` bytes each, written in `order`) in this machine's order, ready for a typed
 * array over them: `new Float64Array(out.buffer, out.byteOffset, out.length / 8)`. A fresh copy at the
 * start of its own buffer (so aligned), each number's bytes reversed when `order` is not this
 * machine's; with `{ view: true }`, `bytes` itself when nothing needs to change.
 *
 * Refused with `E_INPUT_INVALID`: `bytes` not a Uint8Array (a Buffer is one), `order` not 'little' or
 * 'big', `size` not 1, 2, 4 or 8, or a byte length that is not a whole number of `size`-byte numbers
 * (a reader checks its file's length first and says what is wrong with the file).
 */
export function hostOrderBytes(bytes: Uint8Array, order: ByteOrder, size: 1 | 2 | 4 | 8, options: HostOrderBytesOptions = {}): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw invalid(`hostOrderBytes needs a Uint8Array of bytes (got ${describeValue(bytes)}).`, 'bytes');
  if (order !== 'little' && order !== 'big')
    throw invalid(`The byte order must be 'little' or 'big' (got ${describeValue(order)}).`, 'order');
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8)
    throw invalid(`The size of a number must be 1, 2, 4 or 8 bytes (got ${describeValue(size)}).`, 'size');
  checkKnownKeys('hostOrderBytes options', options, ['view']);
  if (options.view !== undefined && typeof options.view !== 'boolean')
    throw invalid(`hostOrderBytes's view must be true or false (got ${describeValue(options.view)}).`, 'view');
  if (bytes.byteLength % size !== 0) throw invalid(`${bytes.byteLength} bytes are not a whole number of ${size}-byte numbers.`, 'bytes');
  const swap = size > 1 && order !== HOST_BYTE_ORDER;
  if (!swap && options.view && bytes.byteOffset % size === 0) return bytes;
  // Not `bytes.slice()`: on a Node Buffer that is a view, not a copy.
  const out = new Uint8Array(bytes);
  if (swap)
    for (let at = 0; at < out.length; at += size)
      for (let i = at, j = at + size - 1; i < j; i++, j--) {
        const byte = out[i] as number;
        out[i] = out[j] as number;
        out[j] = byte;
      }
  return out;
}
