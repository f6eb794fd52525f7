import { describe, expect, it } from 'vitest';
import { createRng } from '@appliedml/engine';
import { distinctHashes, MAX_KNOWN_NGRAMS } from './known-ngrams';

/** The reference: every value once, ascending. */
function reference(lists: Uint32Array[], maxPerList: number): Uint32Array {
  const seen = new Set<number>();
  for (const l of lists) for (let j = 0; j < Math.min(maxPerList, l.length); j++) seen.add(l[j] as number);
  return Uint32Array.from(seen).sort();
}

describe('distinctHashes (fastText known n-grams, bounded memory)', () => {
  it('gives the distinct values ascending, reading each list up to maxPerList, through many compactions', () => {
    const rng = createRng(7);
    // 300 lists of 500 values from a 40,000-value range: the 65,536-value buffer fills and compacts
    // (and grows) several times before the end.
    const lists = Array.from({ length: 300 }, () => Uint32Array.from({ length: 500 }, () => Math.floor(rng.next() * 40_000) * 104_729));
    for (const maxPerList of [500, 37]) expect(distinctHashes(lists, maxPerList, 1_000_000)).toEqual(reference(lists, maxPerList));
    expect(distinctHashes([], 10)).toEqual(new Uint32Array(0));
  });

  it('is undefined past the cap (a Set stopped at 2^24 entries with a bare RangeError), and exact at it', () => {
    const lists = [Uint32Array.from({ length: 200_000 }, (_, i) => i * 3 + 1)];
    expect(distinctHashes(lists, 200_000, 199_999)).toBeUndefined();
    expect(distinctHashes(lists, 200_000, 200_000)?.length).toBe(200_000);
    // Repeats do not count towards the cap.
    const repeated = Array.from({ length: 50 }, () => Uint32Array.from({ length: 4000 }, (_, i) => i));
    expect(distinctHashes(repeated, 4000, 4000)?.length).toBe(4000);
    expect(MAX_KNOWN_NGRAMS).toBe(2 ** 22);
  });
});
