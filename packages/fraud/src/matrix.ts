import { AppliedMLError, describeKind, describeValue } from '@appliedml/engine';

/** A dense row-major numeric matrix: the one shape every detector works on. */
export interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** Largest matrix accepted in one call (cells); larger inputs are E_INPUT_TOO_LARGE. */
export const MAX_CELLS = 200_000_000;

/** Builds a Matrix from rows of numbers, checking shape and finiteness. */
export function toMatrix(input: Matrix | ArrayLike<ArrayLike<number>>, expectedCols?: number, what = 'input'): Matrix {
  if (isMatrix(input)) {
    const { rows, cols, data } = input;
    const mismatch = (): AppliedMLError =>
      new AppliedMLError('E_SHAPE_MISMATCH', `${what}: a ${rows}×${cols} matrix needs ${rows * cols} values; it holds ${data.length}.`, {
        details: { rows, cols, values: data.length },
      });
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) throw mismatch();
    checkShape(rows, cols, expectedCols, what);
    if (data.length !== rows * cols) throw mismatch();
    checkFinite(input, what);
    return input;
  }
  if (input === null || typeof input !== 'object' || typeof (input as { length?: unknown }).length !== 'number') {
    throw new AppliedMLError('E_INPUT_INVALID', `${what}: expected rows of numbers, records or a matrix; got ${describeKind(input)}.`);
  }
  const rows = input.length;
  if (rows === 0) throw new AppliedMLError('E_INPUT_INVALID', `${what} is empty: give at least one row.`);
  const first = input[0];
  const cols = first?.length ?? 0;
  checkShape(rows, cols, expectedCols, what);
  const data = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = input[r];
    if (row === null || typeof row !== 'object') {
      throw new AppliedMLError('E_INPUT_INVALID', `${what}: row ${r} is ${describeKind(row)}; expected an array of numbers.`, {
        details: { row: r },
      });
    }
    if (row.length !== cols) {
      throw new AppliedMLError('E_SHAPE_MISMATCH', `${what}: row ${r} has ${row.length ?? 0} values; expected ${cols}.`, {
        details: { row: r },
      });
    }
    for (let c = 0; c < cols; c++) {
      const v = row[c];
      if (typeof v !== 'number') {
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `${what}: row ${r}, column ${c} is ${typeof v === 'number' ? String(v) : describeValue(v)}; numeric rows hold numbers (use records for text or missing values).`,
          {
            details: { row: r, col: c },
          },
        );
      }
      data[r * cols + c] = v;
    }
  }
  const m = { data, rows, cols };
  checkFinite(m, what);
  return m;
}

export function isMatrix(x: unknown): x is Matrix {
  return typeof x === 'object' && x !== null && (x as Matrix).data instanceof Float64Array && typeof (x as Matrix).rows === 'number';
}

function checkShape(rows: number, cols: number, expectedCols: number | undefined, what: string): void {
  if (rows === 0) throw new AppliedMLError('E_INPUT_INVALID', `${what} is empty: give at least one row.`);
  if (cols === 0) throw new AppliedMLError('E_INPUT_INVALID', `${what} has no columns.`);
  if (rows * cols > MAX_CELLS) {
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `${what} has ${rows}×${cols} cells; the limit per call is ${MAX_CELLS}. Score it in chunks.`,
      {
        details: { rows, cols },
      },
    );
  }
  if (expectedCols !== undefined && cols !== expectedCols) {
    throw new AppliedMLError('E_SHAPE_MISMATCH', `${what} has ${cols} columns; the model was trained on ${expectedCols}.`, {
      details: { cols, expectedCols },
    });
  }
}

function checkFinite(m: Matrix, what: string): void {
  for (let i = 0; i < m.data.length; i++) {
    const v = m.data[i] as number;
    if (!Number.isFinite(v)) {
      const row = Math.floor(i / m.cols);
      throw new AppliedMLError('E_INPUT_INVALID', `${what}: row ${row}, column ${i % m.cols} is ${v}; values must be finite numbers.`, {
        details: { row, col: i % m.cols },
      });
    }
  }
}

/** Rows of m picked by index, as a new Matrix; an index that is not a row of m is E_INPUT_INVALID. */
export function takeRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  if (!isMatrix(m)) throw new AppliedMLError('E_INPUT_INVALID', `takeRows needs a matrix ({ data, rows, cols }); got ${describeValue(m)}.`);
  // A malformed matrix would read zeros or NaN silently: the same checks as a matrix given to a detector.
  toMatrix(m, undefined, 'takeRows matrix');
  const n = (idx as { length?: unknown } | null)?.length;
  if (idx === null || typeof idx !== 'object' || typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    throw new AppliedMLError('E_INPUT_INVALID', `takeRows needs a list of row indices; got ${describeValue(idx)}.`);
  if (n * m.cols > MAX_CELLS)
    throw new AppliedMLError('E_INPUT_TOO_LARGE', `takeRows would make ${n}×${m.cols} cells; the limit per call is ${MAX_CELLS}.`, {
      details: { rows: n, cols: m.cols },
    });
  const out = new Float64Array(idx.length * m.cols);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i] as number;
    if (!Number.isInteger(r) || r < 0 || r >= m.rows)
      throw new AppliedMLError('E_INPUT_INVALID', `Row index ${i} is ${r}; rows are 0..${m.rows - 1}.`, { details: { index: i } });
    out.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols);
  }
  return { data: out, rows: idx.length, cols: m.cols };
}

/** One row as a view. */
export function row(m: Matrix, r: number): Float64Array {
  return m.data.subarray(r * m.cols, (r + 1) * m.cols);
}
