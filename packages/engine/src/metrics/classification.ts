/**
 * Classification metrics on integer class labels `0 … numClasses-1` (plain arrays or typed arrays).
 * Each function follows the scikit-learn function named in its doc comment, with
 * `labels=range(numClasses)` where sklearn takes a label list.
 */
import { assertInput } from '../errors';
import type { NumericArray } from './types';
import { assertFinite, assertLabels, assertMetricOptions, assertNumClasses, assertPair } from './validate';

/** Precision, recall and F1 of one averaging scheme. */
export interface PrecisionRecallF1Average {
  precision: number;
  recall: number;
  f1: number;
}

/** Per-class scores (index = class label) and their averages. */
export interface PrecisionRecallF1Result {
  precision: number[];
  recall: number[];
  f1: number[];
  /** Number of samples whose true label is the class. */
  support: number[];
  /** Unweighted mean over all `numClasses` classes (absent classes count as 0). */
  macro: PrecisionRecallF1Average;
  /** Mean weighted by support. */
  weighted: PrecisionRecallF1Average;
  /** From the pooled counts; equals accuracy for single-label multi-class input. */
  micro: PrecisionRecallF1Average;
}

export interface BalancedAccuracyOptions {
  /** Rescale so chance level is 0 and perfect is 1 (sklearn `adjusted=True`). Default false. */
  adjusted?: boolean;
}

function checkLabelPair(yTrue: NumericArray, yPred: NumericArray, numClasses: number): void {
  assertPair(yTrue, yPred, 'yTrue', 'yPred');
  assertNumClasses(numClasses);
  assertLabels(yTrue, numClasses, 'yTrue');
  assertLabels(yPred, numClasses, 'yPred');
}

/** Flat row-major counts: `counts[t * numClasses + p]`. Inputs must already be validated. */
function countConfusion(yTrue: NumericArray, yPred: NumericArray, numClasses: number): Float64Array {
  const counts = new Float64Array(numClasses * numClasses);
  for (let i = 0; i < yTrue.length; i++) {
    const idx = (yTrue[i] as number) * numClasses + (yPred[i] as number);
    counts[idx] = (counts[idx] as number) + 1;
  }
  return counts;
}

/** Row sums (true-label counts) and column sums (predicted-label counts) of a flat matrix. */
function marginals(counts: Float64Array, numClasses: number): { rows: Float64Array; cols: Float64Array; diag: Float64Array } {
  const rows = new Float64Array(numClasses);
  const cols = new Float64Array(numClasses);
  const diag = new Float64Array(numClasses);
  for (let t = 0; t < numClasses; t++) {
    for (let p = 0; p < numClasses; p++) {
      const c = counts[t * numClasses + p] as number;
      rows[t] = (rows[t] as number) + c;
      cols[p] = (cols[p] as number) + c;
    }
    diag[t] = counts[t * numClasses + t] as number;
  }
  return { rows, cols, diag };
}

/**
 * Fraction of positions where `yPred[i] === yTrue[i]` (sklearn `accuracy_score`). Labels may be any
 * finite numbers.
 */
export function accuracy(yTrue: NumericArray, yPred: NumericArray): number {
  assertPair(yTrue, yPred, 'yTrue', 'yPred');
  assertFinite(yTrue, 'yTrue');
  assertFinite(yPred, 'yPred');
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}

/**
 * Confusion matrix with rows = true class and columns = predicted class (sklearn
 * `confusion_matrix(y_true, y_pred, labels=range(numClasses))`).
 */
export function confusionMatrix(yTrue: NumericArray, yPred: NumericArray, numClasses: number): number[][] {
  checkLabelPair(yTrue, yPred, numClasses);
  const counts = countConfusion(yTrue, yPred, numClasses);
  const matrix: number[][] = [];
  for (let t = 0; t < numClasses; t++) {
    matrix.push(Array.from(counts.subarray(t * numClasses, (t + 1) * numClasses)));
  }
  return matrix;
}

/**
 * Per-class precision, recall, F1 and support, plus macro, weighted and micro averages (sklearn
 * `precision_recall_fscore_support(labels=range(numClasses), zero_division=0)` with
 * `average=None | 'macro' | 'weighted' | 'micro'`). A 0/0 ratio is 0; F1 is `2PR / (P + R)`, or 0
 * when `P + R = 0`.
 */
export function precisionRecallF1(yTrue: NumericArray, yPred: NumericArray, numClasses: number): PrecisionRecallF1Result {
  checkLabelPair(yTrue, yPred, numClasses);
  const { rows, cols, diag } = marginals(countConfusion(yTrue, yPred, numClasses), numClasses);
  const n = yTrue.length;
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  const support: number[] = [];
  const macro = { precision: 0, recall: 0, f1: 0 };
  const weighted = { precision: 0, recall: 0, f1: 0 };
  let tpTotal = 0;
  for (let k = 0; k < numClasses; k++) {
    const tp = diag[k] as number;
    const predicted = cols[k] as number;
    const actual = rows[k] as number;
    const p = ratio(tp, predicted);
    const r = ratio(tp, actual);
    const f = f1From(p, r);
    precision.push(p);
    recall.push(r);
    f1.push(f);
    support.push(actual);
    macro.precision += p;
    macro.recall += r;
    macro.f1 += f;
    weighted.precision += p * actual;
    weighted.recall += r * actual;
    weighted.f1 += f * actual;
    tpTotal += tp;
  }
  macro.precision /= numClasses;
  macro.recall /= numClasses;
  macro.f1 /= numClasses;
  weighted.precision /= n;
  weighted.recall /= n;
  weighted.f1 /= n;
  // Pooled over classes every sample is one prediction and one truth: P = R = tp / n.
  const pooled = tpTotal / n;
  const micro = { precision: pooled, recall: pooled, f1: f1From(pooled, pooled) };
  return { precision, recall, f1, support, macro, weighted, micro };
}

/**
 * Matthews correlation coefficient, multi-class generalisation (Gorodkin's R_K) computed from the
 * confusion matrix exactly as sklearn `matthews_corrcoef`; returns 0 when either marginal is
 * constant (sklearn's convention for an undefined coefficient).
 */
export function matthewsCorrcoef(yTrue: NumericArray, yPred: NumericArray, numClasses: number): number {
  checkLabelPair(yTrue, yPred, numClasses);
  const { rows, cols, diag } = marginals(countConfusion(yTrue, yPred, numClasses), numClasses);
  const n = yTrue.length;
  let correct = 0;
  let tp = 0;
  let pp = 0;
  let tt = 0;
  for (let k = 0; k < numClasses; k++) {
    const t = rows[k] as number;
    const p = cols[k] as number;
    correct += diag[k] as number;
    tp += t * p;
    pp += p * p;
    tt += t * t;
  }
  const covTP = correct * n - tp;
  const covPP = n * n - pp;
  const covTT = n * n - tt;
  if (covPP === 0 || covTT === 0) return 0;
  return covTP / Math.sqrt(covTT * covPP);
}

/**
 * Mean per-class recall over the classes that occur in `yTrue` (sklearn `balanced_accuracy_score`;
 * classes that are only predicted are ignored, as sklearn does). With `adjusted`, the score is
 * rescaled as `(s - 1/K) / (1 - 1/K)` with K = number of classes present in `yTrue`; that needs
 * K ≥ 2 and throws `E_INPUT_INVALID` otherwise (sklearn divides by zero there).
 */
export function balancedAccuracy(
  yTrue: NumericArray,
  yPred: NumericArray,
  numClasses: number,
  options: BalancedAccuracyOptions = {},
): number {
  assertMetricOptions(options, ['adjusted'], ['adjusted']);
  checkLabelPair(yTrue, yPred, numClasses);
  const { rows, diag } = marginals(countConfusion(yTrue, yPred, numClasses), numClasses);
  let sum = 0;
  let present = 0;
  for (let k = 0; k < numClasses; k++) {
    const actual = rows[k] as number;
    if (actual === 0) continue;
    sum += (diag[k] as number) / actual;
    present++;
  }
  const score = sum / present;
  if (!options.adjusted) return score;
  assertInput(present >= 2, 'Adjusted balanced accuracy needs at least two classes in yTrue.', {
    classesPresent: present,
  });
  const chance = 1 / present;
  return (score - chance) / (1 - chance);
}

function ratio(num: number, den: number): number {
  return den === 0 ? 0 : num / den;
}

function f1From(p: number, r: number): number {
  const s = p + r;
  return s === 0 ? 0 : (2 * p * r) / s;
}
