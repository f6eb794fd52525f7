import { AppliedMLError } from '../errors';
import { permutation, type Rng } from '../random';

/** Rows sorted together in one pool: this many batches (a shuffled pool, then sorted by length). */
export const BUCKET_POOL_BATCHES = 50;

/**
 * One epoch's row order for length-bucketed batching: shuffle all rows, cut the order into pools
 * of `poolBatches` batches, sort each pool by length, cut it into batches and shuffle the batches
 * (a partial last batch stays last, so every batch but the last is `batchSize` rows). Rows of
 * similar length then share batches, so padding to each batch's longest row wastes little, while
 * the batches still differ from epoch to epoch.
 */
export function bucketedOrder(lengths: ArrayLike<number>, batchSize: number, rng: Rng, poolBatches = BUCKET_POOL_BATCHES): Int32Array {
  const n = lengths.length;
  const order = permutation(n, rng);
  const pool = batchSize * poolBatches;
  for (let start = 0; start < n; start += pool) {
    const part = order.subarray(start, Math.min(n, start + pool));
    // Stable on the shuffled order, so ties stay random.
    const sorted = Array.from(part).sort((a, b) => (lengths[a] as number) - (lengths[b] as number));
    part.set(sorted);
  }
  const full = Math.floor(n / batchSize);
  const batches = permutation(full, rng);
  const out = new Int32Array(n);
  for (let b = 0; b < full; b++)
    out.set(order.subarray((batches[b] as number) * batchSize, ((batches[b] as number) + 1) * batchSize), b * batchSize);
  out.set(order.subarray(full * batchSize), full * batchSize);
  return out;
}

/** Checks a `bucketBy` option against the row count. */
export function checkBucketLengths(lengths: ArrayLike<number>, rows: number): void {
  if (lengths.length !== rows)
    throw new AppliedMLError('E_SHAPE_MISMATCH', `bucketBy has ${lengths.length} lengths for ${rows} training rows.`, {
      details: { lengths: lengths.length, rows },
    });
  for (let i = 0; i < lengths.length; i++) {
    const v = lengths[i] as number;
    if (!Number.isFinite(v)) throw new AppliedMLError('E_INPUT_INVALID', `bucketBy[${i}] is ${v}; lengths must be finite numbers.`);
  }
}
