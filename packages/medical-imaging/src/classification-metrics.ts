// The classifier's metrics on plain arrays, through the engine's metrics.
import { AppliedMLError, accuracy, balancedAccuracy, confusionMatrix, rocAuc, rocAucOvr } from '@appliedml/engine';

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

/** Threshold-based binary decisions. */
export function binaryDecisions(scores: ArrayLike<number>, threshold: number): number[] {
  return Array.from(scores, (s) => (s >= threshold ? 1 : 0));
}

/**
 * The threshold on validation scores that maximises Youden's J (sensitivity + specificity − 1):
 * unlike the accuracy-optimal one it does not lean on the validation split's class ratio, which is
 * what shifts between PneumoniaMNIST's validation and test splits.
 */
export function youdenThreshold(yTrue: ArrayLike<number>, scores: ArrayLike<number>): number {
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

/** Metrics from class probabilities ([n × classes], row-major) and true class indices. */
export function classificationMetrics(
  yTrue: number[],
  probabilities: Float32Array,
  labels: string[],
  threshold: number | undefined,
): ClassificationMetrics {
  const classes = labels.length;
  const n = yTrue.length;
  if (n === 0) throw new AppliedMLError('E_INPUT_INVALID', 'Evaluation needs at least one labelled image.');
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
