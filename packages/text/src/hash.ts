/** 32-bit FNV-1a over UTF-16 code units: a stable, fast hash for the hashing trick. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Bucket in [0, buckets) for a feature string. */
export function hashBucket(feature: string, buckets: number): number {
  return fnv1a(feature) % buckets;
}
