/**
 * Regression and forecasting metrics on flat numeric arrays (flatten matrices row-major first).
 *
 * Missing values, as in the masked metrics of DCRNN / T-GCN / Graph WaveNet: an entry is left out
 * of every sum and count when `mask[i]` is falsy, or when `yTrue[i]` equals `nullValue` (`NaN`
 * matches `NaN`). Left-out entries are never read for validation, so they may hold NaN. Every
 * entry that remains must be finite in both arrays, and at least one must remain; otherwise the
 * functions throw `E_INPUT_INVALID`. Without `mask` and `nullValue` the results equal the
 * scikit-learn functions named below.
 */
import { AppliedMLError, assertInput } from '../errors';
import type { MaskArray, NumericArray } from './types';
import { assertMetricOptions, assertNonEmpty, assertSameLength } from './validate';

export interface RegressionOptions {
  /** Entry `i` counts only when `mask[i]` is truthy. Same length as `yTrue`. */
  mask?: MaskArray;
  /** Entries whose `yTrue` equals this value are missing (e.g. `0` or `NaN`). */
  nullValue?: number;
}

export interface MapeOptions extends RegressionOptions {
  /**
   * Entries with `|yTrue| < epsilon` are also left out (their percentage error is unbounded);
   * exact zeros always are. Default `Number.EPSILON` (2.2e-16, the `eps` sklearn clamps to), which leaves out exact zeros.
   */
  epsilon?: number;
}

/** The included (yTrue, yPred) pairs, compacted into two float64 arrays of equal length. */
interface Pairs {
  t: Float64Array;
  p: Float64Array;
}

/**
 * The option names of the regression family: one options object may be passed to every regression
 * metric (a `MapeOptions` is a `RegressionOptions` to TypeScript), so `epsilon` is known to all of them
 * and used by `mape`.
 */
const REGRESSION_KEYS = ['mask', 'nullValue', 'epsilon'] as const;

function selectPairs(yTrue: NumericArray, yPred: NumericArray, options: RegressionOptions): Pairs {
  assertMetricOptions(options, REGRESSION_KEYS);
  assertSameLength(yTrue, yPred, 'yTrue', 'yPred');
  assertNonEmpty(yTrue, 'yTrue');
  const { mask, nullValue } = options;
  if (mask !== undefined) assertSameLength(yTrue, mask, 'yTrue', 'mask');
  assertInput(nullValue === undefined || typeof nullValue === 'number', 'nullValue must be a number.', {
    nullValue,
  });
  const nullIsNaN = nullValue !== undefined && Number.isNaN(nullValue);
  const n = yTrue.length;
  const t = new Float64Array(n);
  const p = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (mask !== undefined && !mask[i]) continue;
    const a = yTrue[i] as number;
    if (nullValue !== undefined && (nullIsNaN ? Number.isNaN(a) : a === nullValue)) continue;
    const b = yPred[i] as number;
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      const [name, value] = Number.isFinite(a) ? ['yPred', b] : ['yTrue', a];
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `${name}[${i}] = ${String(value)} is not finite; mark missing entries with mask or nullValue.`,
        { details: { argument: name, index: i, value } },
      );
    }
    t[m] = a;
    p[m] = b;
    m++;
  }
  requireEntries(m, n);
  return { t: t.subarray(0, m), p: p.subarray(0, m) };
}

function requireEntries(count: number, n: number): void {
  assertInput(count > 0, `No entries left to score: all ${n} are masked or missing.`, { n });
}

function allEqual(values: Float64Array): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}

function allEqualPairs(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function meanOf(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return sum / values.length;
}

/** Mean absolute error over included entries (sklearn `mean_absolute_error`). */
export function mae(yTrue: NumericArray, yPred: NumericArray, options: RegressionOptions = {}): number {
  const { t, p } = selectPairs(yTrue, yPred, options);
  let sum = 0;
  for (let i = 0; i < t.length; i++) sum += Math.abs((t[i] as number) - (p[i] as number));
  return sum / t.length;
}

/** Mean squared error over included entries (sklearn `mean_squared_error`). */
export function mse(yTrue: NumericArray, yPred: NumericArray, options: RegressionOptions = {}): number {
  const { t, p } = selectPairs(yTrue, yPred, options);
  let sum = 0;
  for (let i = 0; i < t.length; i++) {
    const d = (t[i] as number) - (p[i] as number);
    sum += d * d;
  }
  return sum / t.length;
}

/** Root mean squared error: `sqrt(mse)` (sklearn `mean_squared_error(squared=False)`). */
export function rmse(yTrue: NumericArray, yPred: NumericArray, options: RegressionOptions = {}): number {
  return Math.sqrt(mse(yTrue, yPred, options));
}

/**
 * Mean absolute percentage error as a fraction (multiply by 100 for percent): mean of
 * `|yTrue - yPred| / |yTrue|` over included entries with `|yTrue| >= epsilon`. Equals sklearn
 * `mean_absolute_percentage_error` when no entry is left out; entries sklearn would divide by eps
 * are skipped instead (the masked-MAPE convention), so one zero target cannot dominate the mean.
 */
export function mape(yTrue: NumericArray, yPred: NumericArray, options: MapeOptions = {}): number {
  assertMetricOptions(options, REGRESSION_KEYS);
  const epsilon = options.epsilon ?? Number.EPSILON;
  assertInput(Number.isFinite(epsilon) && epsilon >= 0, 'epsilon must be a finite number >= 0.', {
    epsilon,
  });
  const { t, p } = selectPairs(yTrue, yPred, options);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < t.length; i++) {
    const a = t[i] as number;
    const scale = Math.abs(a);
    if (scale < epsilon || scale === 0) continue;
    sum += Math.abs(a - (p[i] as number)) / scale;
    count++;
  }
  // Every included target is zero (or under epsilon): no percentage error is defined.
  assertInput(
    count > 0,
    `MAPE is undefined: all ${t.length} included yTrue values are 0${epsilon > Number.EPSILON ? ` or under epsilon (${epsilon})` : ''}, so no percentage error can be taken.`,
    { reason: 'zero-targets', count: t.length },
  );
  return sum / count;
}

/**
 * Coefficient of determination, sklearn `r2_score`: `1 - SS_res / SS_tot` with
 * `SS_tot = Σ(y - mean(y))²`. A constant `yTrue` (every included value the same) gives 1 for a perfect
 * prediction, else 0 (sklearn `force_finite=True`, which tests SS_tot = 0 and so misses constants whose
 * mean rounds, like 0.1). Needs at least two included entries (sklearn returns NaN below that).
 */
export function r2(yTrue: NumericArray, yPred: NumericArray, options: RegressionOptions = {}): number {
  const { t, p } = selectPairs(yTrue, yPred, options);
  assertInput(t.length >= 2, 'R² needs at least two included entries.', { count: t.length });
  // Tested on the values, not on SS_tot: the mean of a constant like 0.1 is off by an ulp, and SS_tot
  // then comes out near 1e-33 instead of 0 (sklearn returns -1.7e31 there).
  if (allEqual(t)) return allEqualPairs(t, p) ? 1 : 0;
  const mean = meanOf(t);
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < t.length; i++) {
    const a = t[i] as number;
    const r = a - (p[i] as number);
    const d = a - mean;
    ssRes += r * r;
    ssTot += d * d;
  }
  return 1 - ssRes / ssTot;
}

/**
 * Explained variance, sklearn `explained_variance_score`: `1 - Var(y - ŷ) / Var(y)` (population
 * variances; equals T-GCN's "var" metric). A constant `yTrue` (every included value the same) gives 1
 * when the residual is constant too, else 0 (sklearn `force_finite=True`, tested on the values as in `r2`).
 */
export function explainedVariance(yTrue: NumericArray, yPred: NumericArray, options: RegressionOptions = {}): number {
  const { t, p } = selectPairs(yTrue, yPred, options);
  // A constant yTrue is tested on the values (see r2); the residual is constant when every
  // yTrue - yPred is the same number.
  if (allEqual(t)) return allEqual(Float64Array.from(t, (a, i) => a - (p[i] as number))) ? 1 : 0;
  const n = t.length;
  let sumT = 0;
  let sumD = 0;
  for (let i = 0; i < n; i++) {
    const a = t[i] as number;
    sumT += a;
    sumD += a - (p[i] as number);
  }
  const meanT = sumT / n;
  const meanD = sumD / n;
  let varT = 0;
  let varD = 0;
  for (let i = 0; i < n; i++) {
    const a = t[i] as number;
    const dt = a - meanT;
    const dd = a - (p[i] as number) - meanD;
    varT += dt * dt;
    varD += dd * dd;
  }
  return 1 - varD / varT;
}

/**
 * T-GCN forecast "accuracy": `1 - ‖Y - Ŷ‖_F / ‖Y‖_F` over included entries (Zhao et al., 2019; the
 * Frobenius norm of a flattened matrix is its Euclidean norm). 1 is perfect; it can be negative.
 * Throws `E_INPUT_INVALID` when `‖Y‖_F = 0`.
 */
export function forecastAccuracy(yTrue: NumericArray, yPred: NumericArray, options: RegressionOptions = {}): number {
  const { t, p } = selectPairs(yTrue, yPred, options);
  let err = 0;
  let norm = 0;
  for (let i = 0; i < t.length; i++) {
    const a = t[i] as number;
    const d = a - (p[i] as number);
    err += d * d;
    norm += a * a;
  }
  assertInput(norm > 0, 'forecastAccuracy is undefined when every included yTrue is 0.', {
    count: t.length,
  });
  return 1 - Math.sqrt(err) / Math.sqrt(norm);
}
