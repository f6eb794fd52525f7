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
