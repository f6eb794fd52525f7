import type { Rng } from '@appliedml/engine';
import type { Matrix } from './matrix';
import type { Steps } from './steps';

/**
 * Upper bin edges per feature from (a sample of) the training values: bin b holds values ≤ edges[b].
 * As steps: it yields after each feature.
 */
export function* binEdgesSteps(x: Matrix, rows: Int32Array, maxBins: number, rng: Rng): Steps<Float64Array[]> {
  const take = Math.min(rows.length, 200_000);
  const pick = new Int32Array(take);
  for (let i = 0; i < take; i++) pick[i] = take === rows.length ? (rows[i] as number) : (rows[rng.nextInt(rows.length)] as number);
  const edges: Float64Array[] = [];
  const col = new Float64Array(take);
  for (let f = 0; f < x.cols; f++) {
    for (let i = 0; i < take; i++) col[i] = x.data[(pick[i] as number) * x.cols + f] as number;
    col.sort();
    const distinct: number[] = [];
    for (let i = 0; i < take; i++) if (i === 0 || col[i] !== col[i - 1]) distinct.push(col[i] as number);
    const e: number[] = [];
    if (distinct.length <= maxBins) {
      // One bin per distinct value; the split point sits halfway to the next value.
      for (let i = 0; i < distinct.length - 1; i++) e.push(((distinct[i] as number) + (distinct[i + 1] as number)) / 2);
    } else {
      for (let b = 1; b < maxBins; b++) {
        const v = col[Math.min(take - 1, Math.floor((b * take) / maxBins))] as number;
        if (e.length === 0 || v > (e[e.length - 1] as number)) e.push(v);
      }
    }
    e.push(Infinity);
    edges.push(Float64Array.from(e));
    yield;
  }
  return edges;
}

/** Every row's bin code per feature (row-major like `x`); yields every 8,192 rows. */
export function* binCodesSteps(x: Matrix, edges: readonly Float64Array[]): Steps<Uint8Array> {
  const d = x.cols;
  const bins = new Uint8Array(x.rows * d);
  for (let r = 0; r < x.rows; r++) {
    for (let f = 0; f < d; f++) bins[r * d + f] = binOf(edges[f] as Float64Array, x.data[r * d + f] as number);
    if ((r & 8191) === 8191) yield;
  }
  return bins;
}

/** Bin index of v: the first edge ≥ v. */
export function binOf(edges: Float64Array, v: number): number {
  let lo = 0;
  let hi = edges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((edges[mid] as number) >= v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Reorders rows[begin..end) in place so rows whose value on `feature` (a bin code, or a raw value) is
 * ≤ `limit` come first; returns the boundary.
 */
export function partitionRows(
  values: Uint8Array | Float64Array,
  d: number,
  rows: Int32Array,
  begin: number,
  end: number,
  feature: number,
  limit: number,
): number {
  let lo = begin;
  let hi = end - 1;
  while (lo <= hi) {
    if ((values[(rows[lo] as number) * d + feature] as number) <= limit) lo++;
    else {
      const tmp = rows[lo] as number;
      rows[lo] = rows[hi] as number;
      rows[hi] = tmp;
      hi--;
    }
  }
  return lo;
}
