import { AppliedMLError } from '@appliedml/engine';

/** How to pick the alert threshold. */
export type ThresholdRule =
  | { targetPrecision: number }
  | { targetRecall: number }
  /** Alert budget: flag the k highest scores (of the data given). */
  | { topK: number }
  /** Minimise fp · falsePositive + fn · falseNegative. */
  | { cost: { falsePositive: number; falseNegative: number } }
  /** Unsupervised: flag this share of the data (no labels needed). */
  | { contamination: number };

export interface ThresholdChoice {
  threshold: number;
  precision: number;
  recall: number;
  alerts: number;
  /** Expected cost, for the cost rule. */
  cost?: number;
}

function checkScores(scores: ArrayLike<number>, labels?: ArrayLike<number>): void {
  if (typeof (scores as ArrayLike<number> | null)?.length !== 'number')
    throw new AppliedMLError('E_INPUT_INVALID', 'scores must be an array of numbers.');
  if (labels !== undefined && typeof (labels as ArrayLike<number> | null)?.length !== 'number')
    throw new AppliedMLError('E_INPUT_INVALID', 'labels must be an array of 0 / 1.');
  if (scores.length === 0) throw new AppliedMLError('E_INPUT_INVALID', 'Choosing a threshold needs at least one score.');
  if (labels && labels.length !== scores.length) {
    throw new AppliedMLError('E_SHAPE_MISMATCH', `${labels.length} labels for ${scores.length} scores.`);
  }
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) throw new AppliedMLError('E_INPUT_INVALID', `Score ${i} is ${scores[i]}; scores must be finite.`);
  }
}

/**
 * Picks a threshold (alert when score ≥ threshold) on scored data. Label-based rules need labels;
 * `topK` and `contamination` do not. Ties share a side: every score equal to the threshold alerts.
 */
export function chooseThreshold(scores: ArrayLike<number>, rule: ThresholdRule, labels?: ArrayLike<number>): ThresholdChoice {
  checkScores(scores, labels);
  const rules = ['topK', 'contamination', 'targetPrecision', 'targetRecall', 'cost'];
  if (typeof rule !== 'object' || rule === null || !rules.some((k) => k in rule)) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `A threshold rule names one of ${rules.join(', ')} (got ${JSON.stringify(rule) ?? String(rule)}).`,
    );
  }
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  const s = (k: number): number => scores[order[k] as number] as number;
  if ('topK' in rule || 'contamination' in rule) {
    const k = 'topK' in rule ? rule.topK : Math.round(rule.contamination * n);
    if (!Number.isInteger(k) || k < 1 || ('contamination' in rule && !(rule.contamination > 0 && rule.contamination < 1))) {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `The alert budget must be a positive integer and contamination in (0, 1) (got ${JSON.stringify(rule)}).`,
      );
    }
    const thr = s(Math.min(k, n) - 1);
    return summarise(scores, thr, labels);
  }
  if (!labels) throw new AppliedMLError('E_INPUT_INVALID', `The rule ${JSON.stringify(rule)} needs labels.`);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i] ? 1 : 0;
  if (positives === 0) throw new AppliedMLError('E_INPUT_INVALID', 'The labels have no positives; a label-based threshold is undefined.');
  // Walk down the distinct scores, tracking tp/fp at each cut.
  let tp = 0;
  let fp = 0;
  let best: { thr: number; value: number } | undefined;
  for (let k = 0; k < n; k++) {
    if (labels[order[k] as number]) tp++;
    else fp++;
    if (k + 1 < n && s(k + 1) === s(k)) continue;
    const precision = tp / (tp + fp);
    const recall = tp / positives;
    const thr = s(k);
    if ('targetPrecision' in rule) {
      // The most recall that meets the precision target, at the highest threshold that reaches it:
      // going lower for no more recall would only add false alerts.
      if (precision >= rule.targetPrecision && (!best || recall > best.value)) best = { thr, value: recall };
    } else if ('targetRecall' in rule) {
      if (recall >= rule.targetRecall) {
        best = { thr, value: precision };
        break;
      }
    } else {
      const cost = fp * rule.cost.falsePositive + (positives - tp) * rule.cost.falseNegative;
      if (!best || cost < best.value) best = { thr, value: cost };
    }
  }
  if (!best) {
    throw new AppliedMLError('E_INPUT_INVALID', `No threshold meets ${JSON.stringify(rule)} on this data.`, { details: { rule } });
  }
  return summarise(scores, best.thr, labels, 'cost' in rule ? best.value : undefined);
}

function summarise(scores: ArrayLike<number>, thr: number, labels: ArrayLike<number> | undefined, cost?: number): ThresholdChoice {
  let alerts = 0;
  let tp = 0;
  let pos = 0;
  for (let i = 0; i < scores.length; i++) {
    const hit = (scores[i] as number) >= thr;
    if (hit) alerts++;
    if (labels?.[i]) {
      pos++;
      if (hit) tp++;
    }
  }
  return {
    threshold: thr,
    alerts,
    precision: labels ? (alerts ? tp / alerts : 0) : NaN,
    recall: labels ? (pos ? tp / pos : 0) : NaN,
    ...(cost !== undefined ? { cost } : {}),
  };
}
