import { AppliedMLError, accuracy, confusionMatrix, matthewsCorrcoef, precisionRecallF1, rocAuc } from '@appliedml/engine';

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Binary detection figures for the positive class (spam): the measures the SMS Spam paper reports. */
export interface BinaryMetrics {
  positiveLabel: string;
  /** Share of positives caught (spam caught, SC). */
  recall: number;
  precision: number;
  f1: number;
  /** Share of negatives flagged as positive (blocked ham, BH). */
  falsePositiveRate: number;
  rocAuc: number;
}

export interface TextMetrics {
  count: number;
  labels: string[];
  accuracy: number;
  macroF1: number;
  weightedF1: number;
  mcc: number;
  perClass: ClassMetrics[];
  /** Rows are true labels, columns predicted, both in `labels` order. */
  confusion: number[][];
  binary?: BinaryMetrics;
}

export interface MultiLabelMetrics {
  count: number;
  labels: string[];
  /** Share of texts whose predicted label set is exactly right. */
  subsetAccuracy: number;
  /** Share of (text, label) decisions that are wrong. */
  hammingLoss: number;
  microPrecision: number;
  microRecall: number;
  microF1: number;
  macroF1: number;
  perClass: ClassMetrics[];
}

export function multiClassMetrics(
  labels: string[],
  yTrue: number[],
  yPred: number[],
  probabilities: Float64Array[],
  positiveLabel?: string,
): TextMetrics {
  const K = labels.length;
  const prf = precisionRecallF1(yTrue, yPred, K);
  const metrics: TextMetrics = {
    count: yTrue.length,
    labels,
    accuracy: accuracy(yTrue, yPred),
    macroF1: prf.macro.f1,
    weightedF1: prf.weighted.f1,
    mcc: matthewsCorrcoef(yTrue, yPred, K),
    perClass: labels.map((label, k) => ({
      label,
      precision: prf.precision[k] ?? 0,
      recall: prf.recall[k] ?? 0,
      f1: prf.f1[k] ?? 0,
      support: prf.support[k] ?? 0,
    })),
    confusion: confusionMatrix(yTrue, yPred, K),
  };
  if (K === 2 && positiveLabel !== undefined) {
    const pos = labels.indexOf(positiveLabel);
    if (pos < 0)
      throw new AppliedMLError('E_INPUT_INVALID', `positiveLabel '${positiveLabel}' is not one of the labels (${labels.join(', ')}).`);
    const truth = yTrue.map((y) => (y === pos ? 1 : 0));
    let fp = 0;
    let negatives = 0;
    yTrue.forEach((y, i) => {
      if (y !== pos) {
        negatives++;
        if (yPred[i] === pos) fp++;
      }
    });
    const bothPresent = truth.some((v) => v === 1) && truth.some((v) => v === 0);
    metrics.binary = {
      positiveLabel,
      recall: prf.recall[pos] ?? 0,
      precision: prf.precision[pos] ?? 0,
      f1: prf.f1[pos] ?? 0,
      falsePositiveRate: negatives === 0 ? 0 : fp / negatives,
      rocAuc: bothPresent
        ? rocAuc(
            truth,
            probabilities.map((p) => p[pos] ?? 0),
          )
        : Number.NaN,
    };
  }
  return metrics;
}

export function multiLabelMetrics(labels: string[], truth: Uint8Array, predicted: Uint8Array, count: number): MultiLabelMetrics {
  const K = labels.length;
  let exact = 0;
  let wrong = 0;
  const tp = new Float64Array(K);
  const fp = new Float64Array(K);
  const fn = new Float64Array(K);
  for (let i = 0; i < count; i++) {
    let same = true;
    for (let k = 0; k < K; k++) {
      const t = truth[i * K + k] === 1;
      const p = predicted[i * K + k] === 1;
      if (t !== p) {
        same = false;
        wrong++;
      }
      if (t && p) tp[k] = (tp[k] as number) + 1;
      else if (p) fp[k] = (fp[k] as number) + 1;
      else if (t) fn[k] = (fn[k] as number) + 1;
    }
    if (same) exact++;
  }
  const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  const f1 = (p: number, r: number): number => (p + r === 0 ? 0 : (2 * p * r) / (p + r));
  const perClass = labels.map((label, k) => {
    const p = ratio(tp[k] as number, (tp[k] as number) + (fp[k] as number));
    const r = ratio(tp[k] as number, (tp[k] as number) + (fn[k] as number));
    return { label, precision: p, recall: r, f1: f1(p, r), support: (tp[k] as number) + (fn[k] as number) };
  });
  const sum = (a: Float64Array): number => a.reduce((s, v) => s + v, 0);
  const microPrecision = ratio(sum(tp), sum(tp) + sum(fp));
  const microRecall = ratio(sum(tp), sum(tp) + sum(fn));
  return {
    count,
    labels,
    subsetAccuracy: exact / count,
    hammingLoss: wrong / (count * K),
    microPrecision,
    microRecall,
    microF1: f1(microPrecision, microRecall),
    macroF1: perClass.reduce((s, c) => s + c.f1, 0) / K,
    perClass,
  };
}
