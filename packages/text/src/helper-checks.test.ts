import { describe, expect, it } from 'vitest';
import { hashedNgrams } from './hashed-ngrams';
import { codeOf } from './test-helpers';

const TOKENS = ['win', 'a', 'prize', 'hello', 'world', 'x', 'y'];

describe('hashedNgrams sizes', () => {
  it('refuses buckets above 2^31 (ids wrapped to negative Int32) and a maxN above 16', async () => {
    for (const buckets of [2 ** 31 + 10, 2 ** 32, 1e20, 1, 2.5, Number.NaN, '8'])
      expect(await codeOf(() => hashedNgrams(TOKENS, { buckets: buckets as number }))).toBe('E_INPUT_INVALID');
    for (const maxN of [17, 1e7, 0, 1.5, Number.NaN])
      expect(await codeOf(() => hashedNgrams(TOKENS, { maxN: maxN as number }))).toBe('E_INPUT_INVALID');
    const top = hashedNgrams(TOKENS, { buckets: 2 ** 31, maxN: 16 });
    expect(top.length).toBe(7 + 6 + 5 + 4 + 3 + 2 + 1); // every n-gram of 7 tokens
    expect(top.every((id) => id >= 1 && id < 2 ** 31)).toBe(true);
    expect(hashedNgrams(TOKENS, { buckets: undefined, maxN: undefined })).toEqual(hashedNgrams(TOKENS));
  });
});
