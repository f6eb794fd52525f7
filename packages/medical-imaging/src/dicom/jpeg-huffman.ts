// Huffman tables of ITU T.81 (Annex C, F.2.2.3) shared by the package's own JPEG decoders: the canonical
// code limits per length, and a lookup of the codes up to LOOKUP_BITS long for fast decoding.
import { AppliedMLError } from '@appliedml/engine';

export const LOOKUP_BITS = 9;
export const LOOKUP_MASK = (1 << LOOKUP_BITS) - 1;

export interface HuffmanTable {
  /** Next LOOKUP_BITS bits → (code length << 8) | symbol, or 0 when the code is longer. */
  lookup: Uint16Array;
  /** The largest code of each length (−1 when none; index 17 is a sentinel). */
  maxCode: Int32Array;
  /** Index in `symbols` of each length's first code. */
  valPtr: Int32Array;
  /** The first code of each length. */
  minCode: Int32Array;
  symbols: Uint8Array;
}

/** A table from a DHT segment's 16 counts and its symbols; an over-full table is E_INPUT_INVALID. */
export function buildHuffmanTable(counts: Uint8Array, symbols: Uint8Array): HuffmanTable {
  const maxCode = new Int32Array(18).fill(-1);
  const valPtr = new Int32Array(17);
  const minCode = new Int32Array(17);
  const lookup = new Uint16Array(1 << LOOKUP_BITS);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1]!;
    valPtr[len] = k;
    minCode[len] = code;
    for (let i = 0; i < n; i++) {
      if (len <= LOOKUP_BITS) {
        const shift = LOOKUP_BITS - len;
        const base = (code + i) << shift;
        lookup.fill((len << 8) | symbols[k + i]!, base, base + (1 << shift));
      }
    }
    code += n;
    k += n;
    maxCode[len] = n > 0 ? code - 1 : -1;
    if (code > 1 << len)
      throw new AppliedMLError('E_INPUT_INVALID', 'The JPEG stream is corrupt: a Huffman table has more codes than its lengths allow.');
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff;
  return { lookup, maxCode, valPtr, minCode, symbols };
}
