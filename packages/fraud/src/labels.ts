import { AppliedMLError } from '@appliedml/engine';

/**
 * One fraud label read strictly: the numbers 0 / 1, booleans, or the strings '0' / '1' (also '1.0', as a
 * float column is written).
 * Anything else is undefined, so a gap in a label column (null, '', ' ') is refused rather than read as
 * "not fraud" the way `Number(null)` and `Number('')` would.
 */
export function readLabel(value: unknown): 0 | 1 | undefined {
  if (value === 0 || value === 1) return value;
  if (value === false || value === true) return value ? 1 : 0;
  if (typeof value === 'string') {
    // '0' / '1', also as a float column writes them ('1.0').
    const t = /^\s*([01])(?:\.0*)?\s*$/.exec(value);
    if (t) return t[1] === '1' ? 1 : 0;
  }
  return undefined;
}

/** Labels as 0 / 1 bytes; E_INPUT_INVALID naming the first that is not a label, E_SHAPE_MISMATCH on length. */
export function readLabels(labels: unknown, rows: number, what = 'rows'): Uint8Array {
  const n = (labels as ArrayLike<unknown> | null)?.length;
  if (typeof n !== 'number' || typeof labels === 'string' || !Number.isInteger(n) || n < 0)
    throw new AppliedMLError('E_INPUT_INVALID', 'labels must be an array of 0 / 1.');
  if (!Number.isInteger(rows) || rows < 0)
    throw new AppliedMLError('E_INPUT_INVALID', `readLabels needs a row count (a whole number ≥ 0); got ${String(rows)}.`);
  if (n !== rows) throw new AppliedMLError('E_SHAPE_MISMATCH', `${n} labels for ${rows} ${what}.`);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const raw = (labels as ArrayLike<unknown>)[i];
    const v = readLabel(raw);
    if (v === undefined)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `Label ${i} is ${typeof raw === 'string' ? JSON.stringify(raw) : String(raw)}; labels must be 0 or 1.`,
        {
          details: { row: i },
        },
      );
    y[i] = v;
  }
  return y;
}
