import { checkIntegerOption } from '@appliedml/engine';
import { checkStringArgument } from './text-input';

/**
 * 32-bit FNV-1a over UTF-16 code units: a stable, fast hash for the hashing trick. `seed` is a 32-bit
 * integer (default the FNV offset basis); a non-string text or another seed is E_INPUT_INVALID.
 */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  checkStringArgument('fnv1a text', text);
  checkIntegerOption('fnv1a seed', seed, -(2 ** 31), 2 ** 32 - 1, false);
  return hash32(text, seed);
}

function hash32(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Bucket in [0, buckets) for a feature string. */
export function hashBucket(feature: string, buckets: number): number {
  return hash32(feature, 0x811c9dc5) % buckets;
}

/**
 * Internal: the 32-bit hash of every word n-gram of `tokens` up to `maxN`, in `hashedNgrams`' order (all
 * words, then all bigrams, …); `1 + hash % (buckets - 1)` is the n-gram's bucket id.
 */
export function ngramHashes(tokens: readonly string[], maxN: number): Uint32Array {
  let count = 0;
  for (let n = 1; n <= maxN; n++) count += Math.max(0, tokens.length - n + 1);
  const out = new Uint32Array(count);
  let at = 0;
  for (let n = 1; n <= maxN; n++)
    for (let i = 0; i + n <= tokens.length; i++)
      out[at++] = hash32(n === 1 ? (tokens[i] as string) : tokens.slice(i, i + n).join(' '), 0x811c9dc5);
  return out;
}

/** Internal: whether `value` is in the ascending `sorted` (binary search). */
export function sortedHas(sorted: Uint32Array, value: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid] as number;
    if (v === value) return true;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
