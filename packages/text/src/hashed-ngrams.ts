import { AppliedMLError, checkOptionsObject } from '@appliedml/engine';
import { hashBucket } from './hash';

export interface HashedNgramOptions {
  /** Number of hash buckets (default 2^18). Index 0 is kept for padding. */
  buckets?: number;
  /** Longest word n-gram hashed (default 2: words and bigrams, as fastText's -wordNgrams 2). */
  maxN?: number;
}

/**
 * The hashing trick for a token list: every word and word n-gram up to maxN becomes a bucket id in
 * [1, buckets). No vocabulary to store; collisions are rare at the default size.
 */
export function hashedNgrams(tokens: readonly string[], options: HashedNgramOptions = {}): Int32Array {
  checkOptionsObject('hashedNgrams options', options);
  const buckets = options.buckets ?? 1 << 18;
  const maxN = options.maxN ?? 2;
  if (!Number.isInteger(buckets) || buckets < 2 || !Number.isInteger(maxN) || maxN < 1) {
    throw new AppliedMLError('E_INPUT_INVALID', `Hashed n-grams need integer buckets ≥ 2 and maxN ≥ 1 (got ${buckets}, ${maxN}).`);
  }
  const ids: number[] = [];
  for (let n = 1; n <= maxN; n++) {
    for (let i = 0; i + n <= tokens.length; i++) ids.push(1 + hashBucket(tokens.slice(i, i + n).join(' '), buckets - 1));
  }
  return Int32Array.from(ids);
}
