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
 * Gathers the distinct values of lists added one at a time (each read up to `maxPerList`), in memory
 * within 2 × `max` values: `add` each list (false once there are more than `max`: stop there), then
 * `result`. A caller may give the event loop a turn between lists (training does).
 */
export class DistinctHashes {
  private buf: Uint32Array;
  private n = 0;
  private over = false;

  constructor(
    private readonly maxPerList: number,
    private readonly max: number = MAX_KNOWN_NGRAMS,
  ) {
    this.buf = new Uint32Array(Math.min(2 * max, 1 << 16));
  }

  /** Adds a list's values; false when there are more than `max` distinct values (`result` is then undefined). */
  add(list: Uint32Array): boolean {
    if (this.over) return false;
    const take = Math.min(this.maxPerList, list.length);
    for (let j = 0; j < take; j++) {
      if (this.n === this.buf.length) {
        this.n = compact(this.buf, this.n);
        if (this.n > this.max) return this.overflow();
        // Still over half full after removing repeats: grow (up to twice the cap) so each compaction
        // frees a good share of the buffer.
        if (this.n > this.buf.length / 2 && this.buf.length < 2 * this.max) {
          const bigger = new Uint32Array(Math.min(2 * this.max, this.buf.length * 2));
          bigger.set(this.buf.subarray(0, this.n));
          this.buf = bigger;
        }
        if (this.n === this.buf.length) return this.overflow();
      }
      this.buf[this.n++] = list[j] as number;
    }
    return true;
  }

  private overflow(): false {
    this.over = true;
    return false;
  }

  /** The distinct values added, ascending; undefined when there are more than `max`. */
  result(): Uint32Array | undefined {
    if (this.over) return undefined;
    this.n = compact(this.buf, this.n);
    return this.n > this.max ? undefined : this.buf.slice(0, this.n);
  }
}

/**
 * The distinct values of every list in `lists` (each read up to `maxPerList`), ascending; undefined when
 * there are more than `max` of them. Memory stays within 2 × `max` values whatever the lists hold.
 */
export function distinctHashes(lists: Iterable<Uint32Array>, maxPerList: number, max: number = MAX_KNOWN_NGRAMS): Uint32Array | undefined {
  const distinct = new DistinctHashes(maxPerList, max);
  for (const list of lists) if (!distinct.add(list)) return undefined;
  return distinct.result();
}
