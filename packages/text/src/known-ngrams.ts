/**
 * The set of n-gram hashes a fastText model saw in training (`fasttext-known.bin`), gathered in bounded
 * memory: hashes go into a typed buffer that is sorted and de-duplicated whenever it fills, so a large
 * corpus never holds more than twice the cap (a JavaScript Set stops at 2^24 entries with a bare
 * RangeError, after 213k review-length texts).
 */

/** Most distinct hashes kept: 4,194,304 (16 MB in the bundle). Past it, no set is kept. */
export const MAX_KNOWN_NGRAMS = 2 ** 22;

/** Sorts `buf[0..n)` and removes repeats in place; returns the distinct count. */
function compact(buf: Uint32Array, n: number): number {
  const part = buf.subarray(0, n).sort();
  let m = 0;
  for (let i = 0; i < n; i++) if (m === 0 || part[i] !== part[m - 1]) part[m++] = part[i] as number;
  return m;
}

/**
 * The distinct values of every list in `lists` (each read up to `maxPerList`), ascending; undefined when
 * there are more than `max` of them. Memory stays within 2 × `max` values whatever the lists hold.
 */
export function distinctHashes(lists: Iterable<Uint32Array>, maxPerList: number, max: number = MAX_KNOWN_NGRAMS): Uint32Array | undefined {
  let buf = new Uint32Array(Math.min(2 * max, 1 << 16));
  let n = 0;
  for (const list of lists) {
    const take = Math.min(maxPerList, list.length);
    for (let j = 0; j < take; j++) {
      if (n === buf.length) {
        n = compact(buf, n);
        if (n > max) return undefined;
        // Still over half full after removing repeats: grow (up to twice the cap) so each compaction
        // frees a good share of the buffer.
        if (n > buf.length / 2 && buf.length < 2 * max) {
          const bigger = new Uint32Array(Math.min(2 * max, buf.length * 2));
          bigger.set(buf.subarray(0, n));
          buf = bigger;
        }
        if (n === buf.length) return undefined;
      }
      buf[n++] = list[j] as number;
    }
  }
  n = compact(buf, n);
  return n > max ? undefined : buf.slice(0, n);
}
