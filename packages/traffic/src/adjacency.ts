import { AppliedMLError, checkKnownKeys, describeValue, readNumericMatrix, statRegularFile, type CsvSource } from '@appliedml/engine';
import { checkNoHoles } from './option-lists';

/** A square road-graph matrix (weighted or 0/1), row-major; entry (i, j) links sensor i to j. */
export interface Adjacency {
  size: number;
  weights: Float64Array;
  /**
   * The sensor ids its rows and columns are for, in order, when known (readAdjacencyCsv with `header: true`
   * gives the header's ids). Training then checks them against the series' sensors, which otherwise the
   * graph is matched to by position.
   */
  sensors?: string[];
}

/**
 * Most sensors an adjacency may have: its matrix holds sensors² weights (10,000 sensors: 800 MB), and
 * the largest public road networks (LargeST, 8,600 sensors) fit. More → E_INPUT_TOO_LARGE.
 */
export const MAX_ADJACENCY_SENSORS = 10_000;

function checkAdjacencySize(n: number, what: string): void {
  if (n > MAX_ADJACENCY_SENSORS)
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `${what} has ${n} sensors; at most ${MAX_ADJACENCY_SENSORS} are supported (the matrix holds sensors² weights).`,
      { details: { sensors: n, max: MAX_ADJACENCY_SENSORS } },
    );
}

/** The first entry that is not a finite weight >= 0: E_INPUT_INVALID naming its row and column. */
function checkWeights(weights: Float64Array, n: number, what: string): void {
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number;
    if (!Number.isFinite(w) || w < 0) {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `${what} entry (${Math.floor(i / n)}, ${i % n}) is ${w}; weights must be finite and >= 0.`,
        {
          details: { row: Math.floor(i / n), column: i % n, value: w },
        },
      );
    }
  }
}

/**
 * An adjacency built by hand (not by createAdjacency / readAdjacencyCsv) checked for what every user
 * relies on: a whole number of sensors, a Float64Array of sensors² weights, each finite and >= 0.
 */
export function checkAdjacency(adjacency: Adjacency, what = 'The adjacency'): void {
  if (adjacency === null || typeof adjacency !== 'object' || !(adjacency.weights instanceof Float64Array))
    throw new AppliedMLError('E_INPUT_INVALID', `${what} must come from createAdjacency or readAdjacencyCsv ({ size, weights }).`);
  const n = adjacency.size;
  if (!Number.isInteger(n) || n < 1)
    throw new AppliedMLError('E_INPUT_INVALID', `${what}: size must be a whole number of sensors >= 1; got ${describeValue(n)}.`, {
      details: { size: describeValue(n) },
    });
  checkAdjacencySize(n, what);
  if (adjacency.weights.length !== n * n)
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `${what} holds ${adjacency.weights.length} weights; size ${n} needs ${n} × ${n} = ${n * n}.`,
      { details: { weights: adjacency.weights.length, size: n } },
    );
  checkWeights(adjacency.weights, n, what);
}

/** Validates and copies a square, finite, non-negative matrix (rows or row-major with `size`). */
export function createAdjacency(matrix: ArrayLike<ArrayLike<number>> | Float64Array, size?: number): Adjacency {
  if (matrix === null || typeof matrix !== 'object')
    throw new AppliedMLError('E_INPUT_INVALID', 'createAdjacency needs a square matrix (rows of weights or a flat Float64Array).');
  let weights: Float64Array;
  let n: number;
  if (size !== undefined && !(Number.isInteger(size) && size >= 0))
    throw new AppliedMLError('E_INPUT_INVALID', `createAdjacency size must be a whole number of sensors; got ${describeValue(size)}.`);
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
    if (!Number.isInteger(n) || n < 0)
      throw new AppliedMLError('E_INPUT_INVALID', 'createAdjacency needs a square matrix (rows of weights or a flat Float64Array).');
    checkAdjacencySize(n, 'The adjacency matrix');
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
      for (let j = 0; j < n; j++) {
        const w = row[j];
        if (typeof w !== 'number')
          throw new AppliedMLError('E_INPUT_INVALID', `Adjacency entry (${i}, ${j}) is ${describeValue(w)}, not a number.`, {
            details: { row: i, column: j },
          });
        weights[i * n + j] = w;
      }
    }
  }
  if (n === 0) throw new AppliedMLError('E_INPUT_INVALID', 'The adjacency matrix is empty.');
  checkAdjacencySize(n, 'The adjacency matrix');
  checkWeights(weights, n, 'Adjacency');
  return { size: n, weights };
}

/**
 * readNumericMatrix's refusal of a cell, said for an adjacency: no `allowMissing` (readAdjacencyCsv has
 * no such option: every cell needs a weight), and when the text sits where sensor ids would, what to do:
 * a first line of ids takes `header: true`, a first column of row labels has to go.
 */
function adjacencyCellError(error: unknown, header: boolean): unknown {
  if (!AppliedMLError.hasCode(error, 'E_INPUT_INVALID')) return error;
  const details = (error.details ?? {}) as { line?: unknown; columnIndex?: unknown; value?: unknown };
  // A row read as one field holding another delimiter (a ';' export): the engine's advice to pass
  // `delimiter` says it all; the cell is no header or row label.
  const oneField = / pass delimiter: /.test(error.message);
  const text = !oneField && typeof details.value === 'string' && (details.value.trim() === '' || Number.isNaN(Number(details.value)));
  let message = error.message.replace(
    /; pass allowMissing: true to read it as NaN\.$/,
    ': every cell of an adjacency needs a weight (0 for no link).',
  );
  if (text && !header && details.line === 1 && details.columnIndex === 0)
    message += ' If the first line names the sensors (a header row), pass header: true.';
  else if (text && details.columnIndex === 0)
    message += ' If the first column names the sensors (row labels), remove it: the matrix is read without row labels.';
  if (message === error.message) return error;
  return new AppliedMLError('E_INPUT_INVALID', message, { details: error.details, cause: error });
}

export interface ReadAdjacencyOptions {
  /** Whether the first line names the sensors (default false); its ids go to `adjacency.sensors`. */
  header?: boolean;
  /** Field delimiter (default ','; ';' or '\t' for other exports), as `readSeriesCsv` takes it. */
  delimiter?: string;
}

const READ_ADJACENCY_KEYS = Object.keys({ header: 1, delimiter: 1 } satisfies Record<keyof ReadAdjacencyOptions, 1>);

/**
 * Reads a square CSV of weights (los_adj.csv), sensors in the series' order; `header: true` skips a
 * first line (sensor ids); `delimiter: ';'` reads a ';'-separated file. Not square → E_SHAPE_MISMATCH; bad cells → E_INPUT_INVALID. A path that is
 * missing or not a regular file (a folder, a FIFO) → E_IO before it is opened ("Cannot read adjacency CSV
 * file <path>: it is a FIFO (named pipe), not a regular file.", as `statRegularFile` words it).
 */
export async function readAdjacencyCsv(source: CsvSource, options: ReadAdjacencyOptions = {}): Promise<Adjacency> {
  checkKnownKeys('readAdjacencyCsv options', options, READ_ADJACENCY_KEYS);
  if (options.header !== undefined && typeof options.header !== 'boolean')
    throw new AppliedMLError('E_INPUT_INVALID', `readAdjacencyCsv header must be true or false; got ${describeValue(options.header)}.`, {
      details: { field: 'header' },
    });
  const header = options.header ?? false;
  // Looked at before it is opened, as every SDK's readers do (a FIFO blocked the read for ever).
  if (typeof source === 'string') await statRegularFile(source, 'adjacency CSV file');
  const m = await readNumericMatrix(source, {
    header,
    ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}),
  }).catch((error: unknown) => {
    throw adjacencyCellError(error, header);
  });
  if (m.rows !== m.cols) {
    // A header of numeric ids (Los-loop's, METR-LA's) reads as a row of weights: one row too many.
    const hint = !header && m.rows === m.cols + 1 ? ' If the first line names the sensors (a header row of ids), pass header: true.' : '';
    throw new AppliedMLError('E_SHAPE_MISMATCH', `An adjacency matrix must be square; the CSV is ${m.rows} × ${m.cols}.${hint}`, {
      details: { rows: m.rows, cols: m.cols },
    });
  }
  const adjacency = createAdjacency(m.data, m.rows);
  if (header && m.columns) {
    const ids = m.columns.map((c) => c.trim());
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice !== undefined)
      throw new AppliedMLError('E_INPUT_INVALID', `The adjacency's header names sensor '${twice}' twice; each sensor once.`, {
        details: { sensor: twice },
      });
    adjacency.sensors = ids;
  }
  return adjacency;
}

/**
 * The T-GCN / GCN propagation matrix Â = D^-1/2 (A' + I) D^-1/2, with A' the symmetrised matrix
 * max(A, Aᵀ) and its diagonal replaced by the self-loop (Kipf & Welling 2017). Row-major float32.
 * Weights near the largest double, whose degrees overflow, give the Â of the graph scaled down.
 */
export function normalizedAdjacency(adjacency: Adjacency): Float32Array {
  checkAdjacency(adjacency);
  const n = adjacency.size;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++)
      a[i * n + j] = i === j ? 1 : Math.max(adjacency.weights[i * n + j] as number, adjacency.weights[j * n + i] as number);
  }
  const d = new Float64Array(n);
  let overflow = false;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += a[i * n + j] as number;
    d[i] = 1 / Math.sqrt(s);
    if (s === Infinity) overflow = true;
  }
  if (overflow) {
    // Weights near the largest double (1e308) summed past it: every degree was Infinity and the matrix all
    // zeros (a T-GCN with no graph). Â is the same for A' divided by any constant, so it is divided by its
    // largest entry and the degrees summed again. Only then: an ordinary graph's Â is unchanged to the bit.
    let max = 0;
    for (let k = 0; k < n * n; k++) max = Math.max(max, a[k] as number);
    for (let k = 0; k < n * n; k++) a[k] = (a[k] as number) / max;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += a[i * n + j] as number;
      d[i] = 1 / Math.sqrt(s);
    }
  }
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = (d[i] as number) * (a[i * n + j] as number) * (d[j] as number);
  return out;
}

/**
 * The sub-graph of some sensors (indices into the adjacency), in the order given. Indices that are not
 * distinct whole numbers in 0..size-1 (sensor ids, -1, 0.5, out of range) → E_INPUT_INVALID.
 */
export function subAdjacency(adjacency: Adjacency, indices: readonly number[]): Adjacency {
  checkAdjacency(adjacency);
  if (!Array.isArray(indices) || indices.length === 0)
    throw new AppliedMLError('E_INPUT_INVALID', `subAdjacency needs a non-empty list of sensor indices; got ${describeValue(indices)}.`);
  // `forEach` passes over an empty slot: [2, , 0] made a graph of NaN weights.
  checkNoHoles('subAdjacency indices', indices);
  const seen = new Set<number>();
  indices.forEach((k, position) => {
    if (!Number.isInteger(k) || k < 0 || k >= adjacency.size)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `subAdjacency index ${position} is ${describeValue(k)}; indices are whole numbers in 0..${adjacency.size - 1} (sensor positions, not ids).`,
        { details: { position, size: adjacency.size } },
      );
    if (seen.has(k))
      throw new AppliedMLError('E_INPUT_INVALID', `subAdjacency index ${k} is given twice; each sensor once.`, {
        details: { position, index: k },
      });
    seen.add(k);
  });
  const m = indices.length;
  const weights = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++)
      weights[i * m + j] = adjacency.weights[(indices[i] as number) * adjacency.size + (indices[j] as number)] as number;
  const ids = adjacency.sensors;
  return ids && ids.length === adjacency.size ? { size: m, weights, sensors: indices.map((k) => ids[k] as string) } : { size: m, weights };
}
