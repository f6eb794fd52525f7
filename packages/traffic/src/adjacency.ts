import { AppliedMLError, readNumericMatrix, type CsvSource, checkOptionsObject } from '@appliedml/engine';

/** A square road-graph matrix (weighted or 0/1), row-major; entry (i, j) links sensor i to j. */
export interface Adjacency {
  size: number;
  weights: Float64Array;
}

/** Validates and copies a square, finite, non-negative matrix (rows or row-major with `size`). */
export function createAdjacency(matrix: ArrayLike<ArrayLike<number>> | Float64Array, size?: number): Adjacency {
  if (matrix === null || typeof matrix !== 'object')
    throw new AppliedMLError('E_INPUT_INVALID', 'createAdjacency needs a square matrix (rows of weights or a flat Float64Array).');
  let weights: Float64Array;
  let n: number;
  if (matrix instanceof Float64Array) {
    n = size ?? Math.round(Math.sqrt(matrix.length));
    if (n * n !== matrix.length) {
      throw new AppliedMLError('E_SHAPE_MISMATCH', `An adjacency matrix must be square; got ${matrix.length} entries.`, {
        details: { entries: matrix.length },
      });
    }
    weights = Float64Array.from(matrix);
  } else {
    n = matrix.length;
    weights = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      const row = matrix[i] as ArrayLike<number> | null | undefined;
      if (row === null || typeof row !== 'object' || row.length !== n) {
        throw new AppliedMLError(
          'E_SHAPE_MISMATCH',
          `An adjacency matrix must be square: row ${i} has ${row?.length ?? 'no'} entries, expected ${n}.`,
          { details: { row: i, expected: n, actual: row?.length ?? null } },
        );
      }
      for (let j = 0; j < n; j++) weights[i * n + j] = row[j] as number;
    }
  }
  if (n === 0) throw new AppliedMLError('E_INPUT_INVALID', 'The adjacency matrix is empty.');
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number;
    if (!Number.isFinite(w) || w < 0) {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `Adjacency entry (${Math.floor(i / n)}, ${i % n}) is ${w}; weights must be finite and >= 0.`,
        {
          details: { row: Math.floor(i / n), column: i % n, value: w },
        },
      );
    }
  }
  return { size: n, weights };
}

/** Reads a headerless square CSV (los_adj.csv). Not square → E_SHAPE_MISMATCH; bad cells → E_INPUT_INVALID. */
export async function readAdjacencyCsv(source: CsvSource, options: { header?: boolean } = {}): Promise<Adjacency> {
  checkOptionsObject('readAdjacencyCsv options', options);
  const m = await readNumericMatrix(source, { header: options.header ?? false });
  if (m.rows !== m.cols) {
    throw new AppliedMLError('E_SHAPE_MISMATCH', `An adjacency matrix must be square; the CSV is ${m.rows} × ${m.cols}.`, {
      details: { rows: m.rows, cols: m.cols },
    });
  }
  return createAdjacency(m.data, m.rows);
}

/**
 * The T-GCN / GCN propagation matrix Â = D^-1/2 (A' + I) D^-1/2, with A' the symmetrised matrix
 * max(A, Aᵀ) and its diagonal replaced by the self-loop (Kipf & Welling 2017). Row-major float32.
 */
export function normalizedAdjacency(adjacency: Adjacency): Float32Array {
  const n = adjacency.size;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++)
      a[i * n + j] = i === j ? 1 : Math.max(adjacency.weights[i * n + j] as number, adjacency.weights[j * n + i] as number);
  }
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += a[i * n + j] as number;
    d[i] = 1 / Math.sqrt(s);
  }
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = (d[i] as number) * (a[i * n + j] as number) * (d[j] as number);
  return out;
}

/** The sub-graph of some sensors (indices into the adjacency), in the order given. */
export function subAdjacency(adjacency: Adjacency, indices: readonly number[]): Adjacency {
  const m = indices.length;
  const weights = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++)
      weights[i * m + j] = adjacency.weights[(indices[i] as number) * adjacency.size + (indices[j] as number)] as number;
  return { size: m, weights };
}
