import { checkIntegerOption, checkKnownKeys } from '@appliedml/engine';
import { hashBucket } from './hash';
import { checkStringList } from './text-input';

export interface HashedNgramOptions {
  /** Number of hash buckets, 2 to 2^31 (default 2^18). Index 0 is kept for padding. */
  buckets?: number;
  /** Longest word n-gram hashed, 1 to 16 (default 2: words and bigrams, as fastText's -wordNgrams 2). */
  maxN?: number;
}

/** Longest n-gram: as charNgrams' limit (fastText's models use 1 to 5). */
const MAX_N = 16;
const OPTION_KEYS = Object.keys({ buckets: 1, maxN: 1 } satisfies Record<keyof HashedNgramOptions, 1>);

/**
 * The hashing trick for a token list: every word and word n-gram up to maxN becomes a bucket id in
 * [1, buckets). No vocabulary to store; collisions are rare at the default size.
 */
export function hashedNgrams(tokens: readonly string[], options: HashedNgramOptions = {}): Int32Array {
  checkStringList('hashedNgrams tokens', tokens);
  checkKnownKeys('hashedNgrams options', options, OPTION_KEYS);
  // Ids are Int32: above 2^31 buckets they wrapped to negative numbers.
  checkIntegerOption('hashedNgrams buckets', options.buckets, 2, 2 ** 31);
  checkIntegerOption('hashedNgrams maxN', options.maxN, 1, MAX_N);
  const buckets = options.buckets ?? 1 << 18;
  const maxN = options.maxN ?? 2;
  const ids: number[] = [];
  for (let n = 1; n <= maxN; n++) {
    for (let i = 0; i + n <= tokens.length; i++) ids.push(1 + hashBucket(tokens.slice(i, i + n).join(' '), buckets - 1));
  }
  return Int32Array.from(ids);
}
