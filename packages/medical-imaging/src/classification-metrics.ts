// The classifier's metrics on plain arrays, through the engine's metrics.
import {
  AppliedMLError,
  accuracy,
  assertInput,
  balancedAccuracy,
  confusionMatrix,
  describeValue,
  rocAuc,
  rocAucOvr,
} from '@appliedml/engine';

export interface ClassificationMetrics {
  count: number;
  accuracy: number;
  balancedAccuracy: number;
  /** Binary: ROC-AUC of the positive class's score; multi-class: macro one-vs-rest. */
  auc: number;
  /** Binary only: recall of the positive class at the decision threshold. */
  sensitivity?: number;
  /** Binary only: recall of the negative class at the decision threshold. */
  specificity?: number;
  /** Binary only: the threshold on the positive score. */
  threshold?: number;
  labels: string[];
  /** Rows: true label, columns: predicted label. */
  confusion: number[][];
}

/** An array or typed array of finite numbers (E_INPUT_INVALID naming `name` otherwise). */
function checkNumbers(values: unknown, name: string): asserts values is ArrayLike<number> {
  // The message only when the check fails: describeValue writes the whole value out.
  if (!(Array.isArray(values) || (ArrayBuffer.isView(values) && !(values instanceof DataView))))
    throw new AppliedMLError('E_INPUT_INVALID', `${name} must be an array of numbers (got ${describeValue(values)}).`, {
      details: { argument: name },
    });
  const list = values as ArrayLike<unknown>;
  for (let i = 0; i < list.length; i++)
    if (typeof list[i] !== 'number' || !Number.isFinite(list[i]))
      throw new AppliedMLError('E_INPUT_INVALID', `${name}[${i}] = ${describeValue(list[i])} is not a finite number.`, {
        details: { argument: name, index: i },
      });
}

/** Every value is an integer class index in [0, classes) (E_INPUT_INVALID naming `name` otherwise). */
function checkClassIndices(values: ArrayLike<number>, classes: number, name: string): void {
  for (let i = 0; i < values.length; i++)
    if (!(Number.isInteger(values[i]) && values[i]! >= 0 && values[i]! < classes))
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        classes === 2
          ? `${name}[${i}] = ${describeValue(values[i])} is not a binary label; expected 0 or 1.`
          : `${name}[${i}] = ${describeValue(values[i])} is not a class index in [0, ${classes}).`,
        { details: { argument: name, index: i } },
      );
}

function checkSameLength(a: ArrayLike<unknown>, b: ArrayLike<unknown>, nameA: string, nameB: string): void {
  if (a.length !== b.length)
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `${nameA} has ${a.length} elements but ${nameB} has ${b.length}; they must have the same length.`,
      {
        details: { [nameA]: a.length, [nameB]: b.length },
      },
    );
}

/** Threshold-based binary decisions: 1 where the score is at or above `threshold` (finite numbers). */
export function binaryDecisions(scores: ArrayLike<number>, threshold: number): number[] {
  checkNumbers(scores, 'scores');
  if (!(typeof threshold === 'number' && Number.isFinite(threshold)))
    throw new AppliedMLError('E_INPUT_INVALID', `threshold must be a finite number (got ${describeValue(threshold)}).`, {
      details: { argument: 'threshold' },
    });
  return Array.from(scores, (s) => (s >= threshold ? 1 : 0));
}

/**
 * The threshold on validation scores that maximises Youden's J (sensitivity + specificity − 1):
 * unlike the accuracy-optimal one it does not lean on the validation split's class ratio, which is
 * what shifts between PneumoniaMNIST's validation and test splits. Labels 0/1 and finite scores of the
 * same length (E_SHAPE_MISMATCH otherwise), at least one; one class only gives 0.5.
 */
export function youdenThreshold(yTrue: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkNumbers(yTrue, 'yTrue');
  checkNumbers(scores, 'scores');
  checkSameLength(yTrue, scores, 'yTrue', 'scores');
  assertInput(yTrue.length > 0, 'youdenThreshold needs at least one labelled score.', { argument: 'yTrue' });
  checkClassIndices(yTrue, 2, 'yTrue');
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let positives = 0;
  for (let i = 0; i < yTrue.length; i++) positives += yTrue[i]! === 1 ? 1 : 0;
  const negatives = yTrue.length - positives;
  if (positives === 0 || negatives === 0) return 0.5;
  let tp = 0;
  let fp = 0;
  let best = -Infinity;
  let threshold = 0.5;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (yTrue[i] === 1) tp++;
    else fp++;
    const next = order[k + 1];
    if (next !== undefined && scores[next] === scores[i]) continue;
    const j = tp / positives - fp / negatives;
    if (j > best) {
      best = j;
      // Midway to the next lower score, so the chosen cut generalises a little.
      threshold = next === undefined ? scores[i]! : (scores[i]! + scores[next]!) / 2;
    }
  }
  return threshold;
}

/**
 * Metrics from class probabilities ([n × classes], row-major, finite) and true class indices in
 * [0, classes); binary: `threshold` in [0, 1] on the positive probability (undefined: 0.5).
 * E_SHAPE_MISMATCH when `probabilities` is not n × classes long.
 */
export function classificationMetrics(
  yTrue: number[],
  probabilities: Float32Array,
  labels: string[],
  threshold: number | undefined,
): ClassificationMetrics {
  if (!(Array.isArray(labels) && labels.length > 0 && labels.every((l) => typeof l === 'string')))
    throw new AppliedMLError('E_INPUT_INVALID', `labels must be a non-empty list of class names (got ${describeValue(labels)}).`, {
      details: { argument: 'labels' },
    });
  checkNumbers(yTrue, 'yTrue');
  checkNumbers(probabilities, 'probabilities');
  const classes = labels.length;
  const n = yTrue.length;
  if (n === 0) throw new AppliedMLError('E_INPUT_INVALID', 'Evaluation needs at least one labelled image.');
  if (probabilities.length !== n * classes)
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `probabilities has ${probabilities.length} values but ${n} labels × ${classes} classes need ${n * classes}.`,
      { details: { probabilities: probabilities.length, expected: n * classes } },
    );
  checkClassIndices(yTrue, classes, 'yTrue');
  if (threshold !== undefined && !(typeof threshold === 'number' && threshold >= 0 && threshold <= 1))
    throw new AppliedMLError('E_INPUT_INVALID', `threshold must be a number in [0, 1] or undefined (got ${describeValue(threshold)}).`, {
      details: { argument: 'threshold' },
    });
  const predicted: number[] = [];
  if (classes === 2 && threshold !== undefined) {
    for (let i = 0; i < n; i++) predicted.push(probabilities[i * 2 + 1]! >= threshold ? 1 : 0);
  } else {
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (probabilities[i * classes + c]! > probabilities[i * classes + best]!) best = c;
      predicted.push(best);
    }
  }
  const present = new Set(yTrue).size;
  let auc = Number.NaN;
  if (classes === 2 && present === 2)
    auc = rocAuc(
      yTrue,
      Array.from({ length: n }, (_, i) => probabilities[i * 2 + 1]!),
    );
  else if (classes > 2 && present === classes) auc = rocAucOvr(yTrue, probabilities, classes);
  const confusion = confusionMatrix(yTrue, predicted, classes);
  const out: ClassificationMetrics = {
    count: n,
    accuracy: accuracy(yTrue, predicted),
    balancedAccuracy: balancedAccuracy(yTrue, predicted, classes),
    auc,
    labels,
    confusion,
  };
  if (classes === 2) {
    const [tn, fp] = confusion[0]!;
    const [fn, tp] = confusion[1]!;
    out.sensitivity = tp! + fn! > 0 ? tp! / (tp! + fn!) : Number.NaN;
    out.specificity = tn! + fp! > 0 ? tn! / (tn! + fp!) : Number.NaN;
    out.threshold = threshold ?? 0.5;
  }
  return out;
}
