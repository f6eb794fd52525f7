/**
 * Ensemble score normalisation by tail rarity: a member's raw score s becomes
 * u = -log((#training scores ≥ s + 1) / (n + 1)), the surprise of a score that high under the
 * member's own training scores; past the largest training score it keeps growing linearly,
 * u = log(n + 1) + (s - max) / sd, so the very top stays ordered. Scores on different scales
 * (tail sums, path lengths, distances) become comparable without labels.
 */
export interface TailNorm {
  /** Training rows the scores came from. */
  n: number;
  /** Sorted (ascending) training scores, or an evenly spaced subsample of them ending at the maximum. */
  q: number[];
  sd: number;
}

/** Most sorted scores kept per member (bundle size); the tail resolution is then 1 / MAX_KEPT. */
export const MAX_KEPT = 10_000;

export function fitTailNorm(scores: Float64Array): TailNorm {
  const sorted = Float64Array.from(scores).sort();
  const n = sorted.length;
  let mean = 0;
  for (const v of sorted) mean += v / n;
  let ss = 0;
  for (const v of sorted) ss += (v - mean) ** 2;
  const sd = Math.sqrt(ss / n) || 1;
  if (n <= MAX_KEPT) return { n, q: Array.from(sorted), sd };
  const q = Array.from({ length: MAX_KEPT }, (_, i) => sorted[Math.round((i * (n - 1)) / (MAX_KEPT - 1))] as number);
  return { n, q, sd };
}

export function tailRarity(norm: TailNorm, s: number): number {
  const q = norm.q;
  const len = q.length;
  const max = q[len - 1] as number;
  if (s > max) return Math.log(norm.n + 1) + (s - max) / norm.sd;
  // Entries < s.
  let lo = 0;
  let hi = len;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((q[mid] as number) < s) lo = mid + 1;
    else hi = mid;
  }
  const atLeast = ((len - lo) / len) * norm.n;
  return -Math.log((atLeast + 1) / (norm.n + 1));
}

export function isTailNorm(v: unknown): v is TailNorm {
  const t = v as TailNorm;
  return (
    !!t &&
    typeof t === 'object' &&
    Number.isInteger(t.n) &&
    t.n > 0 &&
    Array.isArray(t.q) &&
    t.q.length > 0 &&
    t.q.every((x) => Number.isFinite(x)) &&
    Number.isFinite(t.sd) &&
    t.sd > 0
  );
}
