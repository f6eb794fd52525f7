import { AppliedMLError, describeValue } from '@appliedml/engine';
import { readLabels } from './labels';

/**
 * How to pick the alert threshold. A `targetPrecision` or `targetRecall` that no threshold reaches on
 * the data given is E_INPUT_INVALID ("No threshold meets …"; the rule in `details.rule`).
 */
export type ThresholdRule =
  /** The threshold with the most recall whose alerts are at least this precise (labels needed). */
  | { targetPrecision: number }
  /** The highest threshold that still catches this share of the frauds (labels needed). */
  | { targetRecall: number }
  /** Alert budget: flag at most the k highest scores (of the data given); scores tied across the k-th place all stay out. */
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

function checkRule(rule: ThresholdRule): void {
  const bad = (what: string): AppliedMLError =>
    new AppliedMLError('E_INPUT_INVALID', `${what} (got ${describeValue(rule)}).`, { details: { rule } });
  // A number, not something that compares like one ('0.5', [0.5], true).
  const share = (v: unknown): boolean => typeof v === 'number' && v > 0 && v <= 1;
  if ('targetPrecision' in rule && !share(rule.targetPrecision)) throw bad('targetPrecision must be a number in (0, 1]');
  if ('targetRecall' in rule && !share(rule.targetRecall)) throw bad('targetRecall must be a number in (0, 1]');
  if ('cost' in rule) {
    const c = rule.cost as { falsePositive?: unknown; falseNegative?: unknown } | null;
    const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
    if (!c || typeof c !== 'object' || !ok(c.falsePositive) || !ok(c.falseNegative) || c.falsePositive + c.falseNegative === 0)
      throw bad('cost needs falsePositive and falseNegative, finite and ≥ 0, not both 0');
    const extra = Object.keys(c).filter((k) => k !== 'falsePositive' && k !== 'falseNegative');
    if (extra.length > 0) throw bad(`cost has only falsePositive and falseNegative, not ${extra.map((k) => `'${k}'`).join(', ')}`);
  }
}

/**
 * Picks a threshold (alert when score ≥ threshold) on scored data. Label-based rules need labels;
 * `topK` and `contamination` do not. Ties share a side: every score equal to the threshold alerts (so
 * `topK` leaves out a group tied across its k-th place rather than go over the budget; `contamination`
 * takes it in). The cost rule may choose to flag nothing (a threshold just above the highest score).
 */
export function chooseThreshold(scores: ArrayLike<number>, rule: ThresholdRule, givenLabels?: ArrayLike<number>): ThresholdChoice {
  checkScores(scores, givenLabels);
  const labels = givenLabels === undefined ? undefined : readLabels(givenLabels, scores.length, 'scores');
  const rules = ['topK', 'contamination', 'targetPrecision', 'targetRecall', 'cost'];
  if (typeof rule !== 'object' || rule === null || !rules.some((k) => Object.hasOwn(rule, k))) {
    throw new AppliedMLError('E_INPUT_INVALID', `A threshold rule names one of ${rules.join(', ')} (got ${describeValue(rule)}).`);
  }
  const named = Object.keys(rule).filter((k) => rules.includes(k));
  const other = Object.keys(rule).filter((k) => !rules.includes(k));
  if (named.length > 1 || other.length > 0)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      named.length > 1
        ? `A threshold rule names one of ${rules.join(', ')}; this one names ${named.join(' and ')} (only the first would be used).`
        : `A threshold rule has no field ${other.map((k) => `'${k}'`).join(', ')}; valid: ${rules.join(', ')}.`,
      { details: { rule: Object.keys(rule) } },
    );
  checkRule(rule);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  const s = (k: number): number => scores[order[k] as number] as number;
  if ('topK' in rule || 'contamination' in rule) {
    // A share of a small set still flags its top row rather than none.
    const k = 'topK' in rule ? rule.topK : Math.max(1, Math.round(shareOfRows(rule.contamination, n)));
    if (!Number.isInteger(k) || k < 1 || ('contamination' in rule && !(rule.contamination > 0 && rule.contamination < 1))) {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `The alert budget must be a positive integer and contamination in (0, 1) (got ${describeValue(rule)}).`,
      );
    }
    if ('contamination' in rule) return summarise(scores, s(Math.min(k, n) - 1), labels);
    // A budget is never exceeded: scores tied across the k-th place all stay below the threshold.
    let last = Math.min(k, n) - 1;
    if (k < n) while (last >= 0 && s(last) === s(k)) last--;
    return summarise(scores, last >= 0 ? s(last) : above(s(0)), labels);
  }
  if (!labels) throw new AppliedMLError('E_INPUT_INVALID', `The rule ${describeValue(rule)} needs labels.`);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i] as number;
  if (positives === 0) throw new AppliedMLError('E_INPUT_INVALID', 'The labels have no positives; a label-based threshold is undefined.');
  // Walk down the distinct scores, tracking tp/fp at each cut.
  let tp = 0;
  let fp = 0;
  // Costs compared in units of the larger one (the same choice): 1e308 per error would overflow to
  // Infinity at every cut and leave "flag nothing" the pick. The cost reported is in the caller's units.
  // (Only then: dividing would round the costs of ordinary weights.)
  const unit =
    'cost' in rule && !Number.isFinite(n * (rule.cost.falsePositive + rule.cost.falseNegative))
      ? Math.max(rule.cost.falsePositive, rule.cost.falseNegative)
      : 1;
  const fpCost = 'cost' in rule ? rule.cost.falsePositive / unit : 0;
  const fnCost = 'cost' in rule ? rule.cost.falseNegative / unit : 0;
  // Flagging nothing is a choice too: for the cost rule it can be the cheapest.
  let best: { thr: number; value: number } | undefined = 'cost' in rule ? { thr: above(s(0)), value: positives * fnCost } : undefined;
  for (let k = 0; k < n; k++) {
    if (labels[order[k] as number] === 1) tp++;
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
      const cost = fp * fpCost + (positives - tp) * fnCost;
      if (!best || cost < best.value) best = { thr, value: cost };
    }
  }
  if (!best) {
    throw new AppliedMLError('E_INPUT_INVALID', `No threshold meets ${describeValue(rule)} on this data.`, { details: { rule } });
  }
  return summarise(scores, best.thr, labels, 'cost' in rule ? best.value * unit : undefined);
}

/** The smallest number above x (a threshold no score reaches when x is the highest). */
function above(x: number): number {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  if (x === 0) return Number.MIN_VALUE;
  buf.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return buf.getFloat64(0);
}

function summarise(scores: ArrayLike<number>, thr: number, labels: ArrayLike<number> | undefined, cost?: number): ThresholdChoice {
  let alerts = 0;
  let tp = 0;
  let pos = 0;
  for (let i = 0; i < scores.length; i++) {
    const hit = (scores[i] as number) >= thr;
    if (hit) alerts++;
    if (labels?.[i] === 1) {
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

/**
 * `share × rows` as a reader works it out in decimals: 0.29 × 100 is 29 (in floating point
 * 28.999999999999996, which `Math.floor` would make 28) and 0.29 × 50 is 14.5 (14.499999999999998). The
 * product is snapped to a millionth, so a share written with up to six decimals gives its exact value.
 */
export function shareOfRows(share: number, rows: number): number {
  const v = share * rows;
  return Math.abs(v) < 2 ** 53 / 1e6 ? Math.round(v * 1e6) / 1e6 : v;
}
