import { describe, expect, it } from 'vitest';
import { createRng } from '../random';
import { bucketedOrder, checkBucketLengths } from './bucket-order';

describe('bucketedOrder', () => {
  const lengths = Array.from({ length: 1003 }, (_, i) => (i * 7919) % 40);

  it('is a permutation whose batches hold rows of similar length, in a new order each epoch', () => {
    const rng = createRng(3);
    const a = bucketedOrder(lengths, 10, rng, 20);
    const b = bucketedOrder(lengths, 10, rng, 20);
    expect([...a].sort((x, y) => x - y)).toEqual(lengths.map((_, i) => i));
    expect(a).not.toEqual(b);
    // Spread of lengths inside a batch: small for bucketed batches, large for random ones.
    const spread = (order: Int32Array): number => {
      let total = 0;
      for (let s = 0; s + 10 <= order.length; s += 10) {
        const ls = Array.from(order.subarray(s, s + 10), (i) => lengths[i] as number);
        total += Math.max(...ls) - Math.min(...ls);
      }
      return total / Math.floor(order.length / 10);
    };
    expect(spread(a)).toBeLessThan(3);
    expect(spread(Int32Array.from(lengths, (_, i) => i))).toBeGreaterThan(15);
  });

  it('keeps the partial batch last and is reproducible from the seed', () => {
    const a = bucketedOrder(lengths, 10, createRng(9));
    expect(a).toEqual(bucketedOrder(lengths, 10, createRng(9)));
    expect(a.length).toBe(1003);
  });

  it('rejects lengths that do not match the rows or are not numbers', () => {
    expect(() => checkBucketLengths([1, 2], 3)).toThrow(expect.objectContaining({ code: 'E_SHAPE_MISMATCH' }));
    expect(() => checkBucketLengths([1, Number.NaN, 3], 3)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
  });
});
