/**
 * Ranking metrics for binary labels (0 = negative, 1 = positive) and real-valued scores, where a
 * higher score means "more likely positive". Scores are split by class and each part is sorted once
 * with the native typed-array sort; tied scores are always handled as one threshold, so results do
 * not depend on input order. Scores must be finite.
 */
import { AppliedMLError, assertInput } from '../errors';
import type { NumericArray } from './types';
import { assertArrayLike, assertBinary, assertFinite, assertLabels, assertMetricOptions, assertNumClasses, assertPair } from './validate';

export interface RocCurve {
  /** False-positive rate at each threshold (non-decreasing, starts at 0, ends at 1). */
  fpr: number[];
  /** True-positive rate at each threshold (non-decreasing, starts at 0, ends at 1). */
  tpr: number[];
  /** Decreasing thresholds; `thresholds[0]` is `Infinity` (nothing predicted positive). */
  thresholds: number[];
}

export interface RocCurveOptions {
  /**
   * Drop points that lie on a straight segment between their neighbours, as sklearn
   * `drop_intermediate=True`. Default false: one point per distinct score.
   */
  dropIntermediate?: boolean;
}

export interface PrCurve {
  /** Precision per threshold, then a final 1 (sklearn order: recall decreasing). */
  precision: number[];
  /** Recall per threshold, then a final 0. */
  recall: number[];
  /** Increasing distinct scores; one shorter than `precision` and `recall`. */
  thresholds: number[];
}

export interface RocAucOvrOptions {
  /** 'macro' (default): unweighted mean over classes; 'weighted': weighted by class prevalence. */
  average?: 'macro' | 'weighted';
}

/** Binary-classifier curve over distinct thresholds in decreasing order (internal). */
interface ThresholdCounts {
  /** Distinct scores, decreasing. */
  thresholds: Float64Array;
  /** Positives with score ≥ threshold. */
  tps: Float64Array;
  /** Negatives with score ≥ threshold. */
  fps: Float64Array;
  positives: number;
  negatives: number;
}

interface SortedSplit {
  /** Scores of positives, ascending. */
  pos: Float64Array;
  /** Scores of negatives, ascending. */
  neg: Float64Array;
}

function splitBinary(yTrue: NumericArray, scores: NumericArray): SortedSplit {
  assertPair(yTrue, scores, 'yTrue', 'scores');
  assertBinary(yTrue, 'yTrue');
  assertFinite(scores, 'scores');
  let positives = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === 1) positives++;
  const pos = new Float64Array(positives);
  const neg = new Float64Array(yTrue.length - positives);
  let p = 0;
  let q = 0;
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] === 1) pos[p++] = scores[i] as number;
    else neg[q++] = scores[i] as number;
  }
  pos.sort();
  neg.sort();
  return { pos, neg };
}

function requireBothClasses({ pos, neg }: SortedSplit, what: string): void {
  if (pos.length === 0 || neg.length === 0) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${what} is undefined when yTrue contains only one class (${pos.length} positives, ${neg.length} negatives).`,
      { details: { positives: pos.length, negatives: neg.length } },
    );
  }
}

function requirePositives({ pos, neg }: SortedSplit, what: string): void {
  if (pos.length === 0) {
    throw new AppliedMLError('E_INPUT_INVALID', `${what} is undefined when yTrue has no positive (1) label.`, {
      details: { positives: 0, negatives: neg.length },
    });
  }
}

/** Walks both sorted parts from the top, emitting one point per distinct score. */
function countsFromSplit({ pos, neg }: SortedSplit): ThresholdCounts {
  const n = pos.length + neg.length;
  const thresholds = new Float64Array(n);
  const tps = new Float64Array(n);
  const fps = new Float64Array(n);
  let i = pos.length - 1;
  let j = neg.length - 1;
  let tp = 0;
  let fp = 0;
  let m = 0;
  while (i >= 0 || j >= 0) {
    const t = nextThreshold(pos, i, neg, j);
    while (i >= 0 && pos[i] === t) {
      tp++;
      i--;
    }
    while (j >= 0 && neg[j] === t) {
      fp++;
      j--;
    }
    thresholds[m] = t;
    tps[m] = tp;
    fps[m] = fp;
    m++;
  }
  return {
    thresholds: thresholds.subarray(0, m),
    tps: tps.subarray(0, m),
    fps: fps.subarray(0, m),
    positives: pos.length,
    negatives: neg.length,
  };
}

/** Largest remaining score of two ascending arrays read from indices i and j downwards. */
function nextThreshold(pos: Float64Array, i: number, neg: Float64Array, j: number): number {
  if (i < 0) return neg[j] as number;
  if (j < 0) return pos[i] as number;
  const a = pos[i] as number;
  const b = neg[j] as number;
  return a >= b ? a : b;
}

/** Exact ROC AUC from sorted parts: trapezoids over distinct thresholds (ties count one half). */
function aucFromSplit({ pos, neg }: SortedSplit): number {
  let i = pos.length - 1;
  let j = neg.length - 1;
  let tp = 0;
  let fp = 0;
  let area = 0; // in units of (1 negative) x (1 positive), times 2
  while (i >= 0 || j >= 0) {
    const t = nextThreshold(pos, i, neg, j);
    const tpBefore = tp;
    const fpBefore = fp;
    while (i >= 0 && pos[i] === t) {
      tp++;
      i--;
    }
    while (j >= 0 && neg[j] === t) {
      fp++;
      j--;
    }
    area += (fp - fpBefore) * (tp + tpBefore);
  }
  return area / (2 * pos.length * neg.length);
}

/**
 * ROC curve, as sklearn `roc_curve(y_true, scores, drop_intermediate=False)` by default (one point
 * per distinct score plus the leading (0, 0) point). Differences from sklearn 1.2: `thresholds[0]`
 * is `Infinity` (as in sklearn ≥ 1.3, rather than max + 1), and a single-class `yTrue` throws
 * `E_INPUT_INVALID` instead of returning NaN rates.
 */
export function rocCurve(yTrue: NumericArray, scores: NumericArray, options: RocCurveOptions = {}): RocCurve {
  assertMetricOptions(options, ['dropIntermediate'], ['dropIntermediate']);
  const split = splitBinary(yTrue, scores);
  requireBothClasses(split, 'The ROC curve');
  const c = countsFromSplit(split);
  let keep: number[] | null = null;
  const m = c.thresholds.length;
  if (options.dropIntermediate && m > 2) {
    // sklearn: keep ends and every point where either cumulative count changes slope.
    keep = [0];
    for (let k = 1; k < m - 1; k++) {
      const dFp = (c.fps[k + 1] as number) - 2 * (c.fps[k] as number) + (c.fps[k - 1] as number);
      const dTp = (c.tps[k + 1] as number) - 2 * (c.tps[k] as number) + (c.tps[k - 1] as number);
      if (dFp !== 0 || dTp !== 0) keep.push(k);
    }
    keep.push(m - 1);
  }
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  const count = keep ? keep.length : m;
  for (let r = 0; r < count; r++) {
    const k = keep ? (keep[r] as number) : r;
    fpr.push((c.fps[k] as number) / c.negatives);
    tpr.push((c.tps[k] as number) / c.positives);
    thresholds.push(c.thresholds[k] as number);
  }
  return { fpr, tpr, thresholds };
}

/**
 * Area under the ROC curve (sklearn `roc_auc_score` for binary `yTrue`): the trapezoid rule over
 * distinct thresholds, which equals the Mann-Whitney U statistic / (P·N) with tied scores counting
 * one half. Throws `E_INPUT_INVALID` when `yTrue` has only one class.
 */
export function rocAuc(yTrue: NumericArray, scores: NumericArray): number {
  const split = splitBinary(yTrue, scores);
  requireBothClasses(split, 'ROC AUC');
  return aucFromSplit(split);
}

/**
 * Precision-recall curve (sklearn `precision_recall_curve`): one point per distinct score, ordered
 * by increasing threshold, followed by the point (recall 0, precision 1) with no threshold. Throws
 * `E_INPUT_INVALID` when `yTrue` has no positive (sklearn warns and sets recall to 1).
 */
export function prCurve(yTrue: NumericArray, scores: NumericArray): PrCurve {
  const split = splitBinary(yTrue, scores);
  requirePositives(split, 'The precision-recall curve');
  const c = countsFromSplit(split);
  const m = c.thresholds.length;
  const precision: number[] = [];
  const recall: number[] = [];
  const thresholds: number[] = [];
  for (let k = m - 1; k >= 0; k--) {
    const tp = c.tps[k] as number;
    precision.push(tp / (tp + (c.fps[k] as number)));
    recall.push(tp / c.positives);
    thresholds.push(c.thresholds[k] as number);
  }
  precision.push(1);
  recall.push(0);
  return { precision, recall, thresholds };
}

/**
 * Average precision, sklearn `average_precision_score`: Σₙ (Rₙ − Rₙ₋₁)·Pₙ over distinct thresholds
 * (step-wise, no interpolation). Throws `E_INPUT_INVALID` when `yTrue` has no positive.
 */
export function averagePrecision(yTrue: NumericArray, scores: NumericArray): number {
  const split = splitBinary(yTrue, scores);
  requirePositives(split, 'Average precision');
  const c = countsFromSplit(split);
  let ap = 0;
  let tpBefore = 0;
  for (let k = 0; k < c.thresholds.length; k++) {
    const tp = c.tps[k] as number;
    if (tp !== tpBefore) ap += ((tp - tpBefore) / c.positives) * (tp / (tp + (c.fps[k] as number)));
    tpBefore = tp;
  }
  return ap;
}

/**
 * Fraction of positives among the `k` highest-scored items. Scores tied across the cut-off are
 * shared pro rata, i.e. the expected precision under random tie-breaking, so the result does not
 * depend on input order. `k` must be an integer in [1, n]. (No sklearn equivalent.)
 */
export function precisionAtK(yTrue: NumericArray, scores: NumericArray, k: number): number {
  const split = splitBinary(yTrue, scores);
  const n = yTrue.length;
  assertInput(Number.isInteger(k) && k >= 1 && k <= n, `k must be an integer in [1, ${n}] (got ${String(k)}).`, {
    k,
    n,
  });
  const c = countsFromSplit(split);
  let tpBefore = 0;
  let takenBefore = 0;
  for (let m = 0; m < c.thresholds.length; m++) {
    const tp = c.tps[m] as number;
    const taken = tp + (c.fps[m] as number);
    if (taken >= k) {
      const hits = tpBefore + ((k - takenBefore) * (tp - tpBefore)) / (taken - takenBefore);
      return hits / k;
    }
    tpBefore = tp;
    takenBefore = taken;
  }
  // Unreachable: the last threshold takes all n ≥ k items.
  throw new AppliedMLError('E_INTERNAL', 'precisionAtK did not reach k items.', {
    details: { k, n },
  });
}

/**
 * Highest true-positive rate among ROC operating points (distinct-score thresholds, as in
 * `rocCurve`) whose false-positive rate is ≤ `maxFpr`; no interpolation between points. Equals
 * `max(tpr[fpr <= maxFpr])` on sklearn `roc_curve(drop_intermediate=False)`. Throws
 * `E_INPUT_INVALID` when `yTrue` has only one class or `maxFpr` is outside [0, 1].
 */
export function recallAtFpr(yTrue: NumericArray, scores: NumericArray, maxFpr: number): number {
  assertInput(Number.isFinite(maxFpr) && maxFpr >= 0 && maxFpr <= 1, `maxFpr must be a number in [0, 1] (got ${String(maxFpr)}).`, {
    maxFpr,
  });
  const split = splitBinary(yTrue, scores);
  requireBothClasses(split, 'Recall at a false-positive rate');
  const c = countsFromSplit(split);
  let best = 0;
  for (let m = 0; m < c.thresholds.length; m++) {
    if ((c.fps[m] as number) / c.negatives > maxFpr) break; // fps only grows
    best = c.tps[m] as number;
  }
  return best / c.positives;
}

/**
 * One-vs-rest multi-class ROC AUC (sklearn `roc_auc_score(y, probs, multi_class='ovr',
 * labels=range(numClasses))`, `average` 'macro' by default or 'weighted' by prevalence). `probs` is
 * either one row of `numClasses` scores per sample, or a flat row-major array of
 * `n * numClasses` scores. Rows need not sum to 1 (sklearn insists they do; the OvR AUC itself does
 * not need it). Every class must occur in `yTrue`, otherwise its AUC is undefined and this throws
 * `E_INPUT_INVALID`.
 */
export function rocAucOvr(
  yTrue: NumericArray,
  probs: ReadonlyArray<NumericArray> | NumericArray,
  numClasses: number,
  options: RocAucOvrOptions = {},
): number {
  assertMetricOptions(options, ['average']);
  assertNumClasses(numClasses);
  assertInput(numClasses >= 2, 'rocAucOvr needs numClasses >= 2.', { numClasses });
  assertArrayLike(yTrue, 'yTrue');
  assertArrayLike(probs, 'probs');
  const n = yTrue.length;
  assertInput(n > 0, 'yTrue is empty; metrics need at least one element.', { argument: 'yTrue' });
  assertLabels(yTrue, numClasses, 'yTrue');
  const flat = flattenProbs(probs, n, numClasses);
  const average = options.average ?? 'macro';
  assertInput(average === 'macro' || average === 'weighted', `Unknown average '${String(average)}'.`, {
    average,
  });

  const support = new Float64Array(numClasses);
  for (let i = 0; i < n; i++) {
    const label = yTrue[i] as number;
    support[label] = (support[label] as number) + 1;
  }
  for (let k = 0; k < numClasses; k++) {
    if (support[k] === 0 || support[k] === n) {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `One-vs-rest ROC AUC for class ${k} is undefined: it has ${support[k] as number} of ${n} samples.`,
        { details: { class: k, support: support[k], n } },
      );
    }
  }

  let total = 0;
  for (let k = 0; k < numClasses; k++) {
    const count = support[k] as number;
    const pos = new Float64Array(count);
    const neg = new Float64Array(n - count);
    let p = 0;
    let q = 0;
    for (let i = 0; i < n; i++) {
      const s = flat[i * numClasses + k] as number;
      if (yTrue[i] === k) pos[p++] = s;
      else neg[q++] = s;
    }
    pos.sort();
    neg.sort();
    const auc = aucFromSplit({ pos, neg });
    total += average === 'weighted' ? auc * count : auc;
  }
  return average === 'weighted' ? total / n : total / numClasses;
}

/** Validates `probs` and returns a flat row-major view of it (copied only for nested rows). */
function flattenProbs(probs: ReadonlyArray<NumericArray> | NumericArray, n: number, numClasses: number): NumericArray {
  if (probs.length > 0 && typeof probs[0] !== 'number') {
    const rows = probs as ReadonlyArray<NumericArray>;
    if (rows.length !== n) {
      throw new AppliedMLError('E_SHAPE_MISMATCH', `probs has ${rows.length} rows but yTrue has ${n} labels.`, {
        details: { probsRows: rows.length, n },
      });
    }
    const flat = new Float64Array(n * numClasses);
    for (let i = 0; i < n; i++) {
      const row = rows[i] as NumericArray;
      assertArrayLike(row, `probs[${i}]`);
      if (row.length !== numClasses) {
        throw new AppliedMLError('E_SHAPE_MISMATCH', `probs[${i}] has ${row.length} scores but numClasses is ${numClasses}.`, {
          details: { row: i, length: row.length, numClasses },
        });
      }
      for (let k = 0; k < numClasses; k++) {
        const v = row[k] as number;
        if (!Number.isFinite(v)) {
          throw new AppliedMLError('E_INPUT_INVALID', `probs[${i}][${k}] = ${String(v)} is not a finite number.`, {
            details: { argument: 'probs', row: i, column: k, value: v },
          });
        }
        flat[i * numClasses + k] = v;
      }
    }
    return flat;
  }
  const flat = probs as NumericArray;
  if (flat.length !== n * numClasses) {
    throw new AppliedMLError('E_SHAPE_MISMATCH', `Flat probs has ${flat.length} values; expected n * numClasses = ${n * numClasses}.`, {
      details: { length: flat.length, n, numClasses },
    });
  }
  assertFinite(flat, 'probs');
  return flat;
}
