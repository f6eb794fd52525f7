import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { chooseThreshold } from './thresholds';

const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05];
const labels = [1, 1, 0, 1, 0, 0, 1, 0, 0, 0];

/** The error code `f` throws, 'untyped' for another error, undefined when it does not throw. */
function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return AppliedMLError.isInstance(e) ? e.code : 'untyped';
  }
  return undefined;
}

describe('chooseThreshold', () => {
  it('target precision picks the most recall that meets it, at the highest threshold reaching that recall', () => {
    const c = chooseThreshold(scores, { targetPrecision: 0.75 }, labels);
    expect(c.threshold).toBe(0.6);
    expect(c.precision).toBe(0.75);
    expect(c.recall).toBe(0.75);
    // Every fraud is caught at 0.8; lower cuts still meet 50% precision but only add false alerts.
    const caught = chooseThreshold([0.9, 0.8, 0.7, 0.6, 0.1], { targetPrecision: 0.5 }, [1, 1, 0, 0, 0]);
    expect(caught).toMatchObject({ threshold: 0.8, precision: 1, recall: 1, alerts: 2 });
  });
  it('target recall picks the highest threshold reaching it', () => {
    expect(chooseThreshold(scores, { targetRecall: 1 }, labels).threshold).toBe(0.3);
    expect(chooseThreshold(scores, { targetRecall: 0.5 }, labels).threshold).toBe(0.8);
  });
  it('top-k budget and contamination need no labels', () => {
    expect(chooseThreshold(scores, { topK: 3 }).alerts).toBe(3);
    expect(chooseThreshold(scores, { contamination: 0.2 }).threshold).toBe(0.8);
  });
  it('cost matrix minimises expected cost', () => {
    // Missing a fraud costs 10, a false alert 1: alert down to 0.3 (cost 3 false alerts) beats stopping at 0.6.
    const c = chooseThreshold(scores, { cost: { falsePositive: 1, falseNegative: 10 } }, labels);
    expect(c.threshold).toBe(0.3);
    expect(c.cost).toBe(3);
  });
  it('a contamination share reads as decimals: 0.29 of 50 scores flags 15 (14.5 rounded), not 14', () => {
    const scores = Array.from({ length: 50 }, (_, i) => i);
    expect(chooseThreshold(scores, { contamination: 0.29 }).alerts).toBe(15);
    expect(chooseThreshold(scores, { contamination: 0.05 }).alerts).toBe(3);
  });

  it('a top-k budget is never exceeded: a group tied across the k-th place stays out (contamination takes it in)', () => {
    const tied = [0.9, 0.8, 0.8, 0.8, 0.1, -2];
    expect(chooseThreshold(tied, { topK: 2 })).toMatchObject({ threshold: 0.9, alerts: 1 });
    expect(chooseThreshold(tied, { topK: 4 })).toMatchObject({ threshold: 0.8, alerts: 4 });
    expect(chooseThreshold(tied, { topK: 10 })).toMatchObject({ threshold: -2, alerts: 6 });
    // All tied at the top: no alert rather than every row.
    const flat = chooseThreshold([0.5, 0.5, 0.5], { topK: 1 });
    expect(flat.alerts).toBe(0);
    expect(flat.threshold).toBeGreaterThan(0.5);
    expect(chooseThreshold([-1, -1], { topK: 1 }).threshold).toBeGreaterThan(-1);
    expect(chooseThreshold(tied, { contamination: 0.3 }).alerts).toBe(4);
  });
  it('the cost rule may flag nothing when every alert costs more than the frauds it would catch', () => {
    const c = chooseThreshold([0.95, 0.9, 0.6, 0.3, 0.2, 0.1], { cost: { falsePositive: 10, falseNegative: 1 } }, [0, 1, 0, 0, 0, 0]);
    expect(c).toMatchObject({ alerts: 0, cost: 1, recall: 0 });
    expect(c.threshold).toBeGreaterThan(0.95);
    expect(Number.isFinite(c.threshold)).toBe(true);
  });
  it('bad input is E_INPUT_INVALID / E_SHAPE_MISMATCH', () => {
    expect(code(() => chooseThreshold([], { topK: 1 }))).toBe('E_INPUT_INVALID');
    expect(code(() => chooseThreshold([NaN], { topK: 1 }))).toBe('E_INPUT_INVALID');
    expect(code(() => chooseThreshold(scores, { targetPrecision: 0.9 }))).toBe('E_INPUT_INVALID');
    expect(code(() => chooseThreshold(scores, { targetPrecision: 0.9 }, [1]))).toBe('E_SHAPE_MISMATCH');
    expect(code(() => chooseThreshold(scores, { topK: 0 }))).toBe('E_INPUT_INVALID');
    expect(code(() => chooseThreshold(scores, { targetPrecision: 1.1 }, labels))).toBe('E_INPUT_INVALID');
    // Two rules in one object: which one applies would be a guess (topK used to win silently).
    expect(code(() => chooseThreshold(scores, { topK: 2, targetRecall: 0.9 } as never, labels))).toBe('E_INPUT_INVALID');
    expect(code(() => chooseThreshold(scores, { topK: 2, budget: 5 } as never))).toBe('E_INPUT_INVALID');
  });
});

describe('chooseThreshold refuses what it cannot read', () => {
  it('labels other than 0 / 1, and rule values out of range, are E_INPUT_INVALID', () => {
    expect(code(() => chooseThreshold(scores, { targetPrecision: 0.5 }, labels.map((l) => (l ? 'yes' : 'no')) as never))).toBe(
      'E_INPUT_INVALID',
    );
    expect(code(() => chooseThreshold(scores, { targetPrecision: 0.5 }, [...labels.slice(1), 2]))).toBe('E_INPUT_INVALID');
    for (const rule of [
      { targetPrecision: -1 },
      { targetPrecision: 1.5 },
      { targetRecall: 0 },
      { targetRecall: NaN },
      { cost: {} },
      { cost: { falsePositive: NaN, falseNegative: 1 } },
      { cost: { falsePositive: -1, falseNegative: 1 } },
      { cost: { falsePositive: 0, falseNegative: 0 } },
    ])
      expect(
        code(() => chooseThreshold(scores, rule as never, labels)),
        JSON.stringify(rule),
      ).toBe('E_INPUT_INVALID');
    // Labels given as '0' / '1' strings read as the numbers.
    expect(chooseThreshold(scores, { targetRecall: 1 }, labels.map(String) as never).threshold).toBe(0.3);
  });
  it('a share of a small set flags its top row rather than none', () => {
    expect(chooseThreshold([0.3, 0.9, 0.1], { contamination: 0.05 })).toMatchObject({ threshold: 0.9, alerts: 1 });
  });

  it('costs too large to add up (1e308 per error) choose the cut their ratio chooses, not "flag nothing"', () => {
    const same = chooseThreshold(scores, { cost: { falsePositive: 1, falseNegative: 10 } }, labels);
    const huge = chooseThreshold(scores, { cost: { falsePositive: 1e307, falseNegative: 1e308 } }, labels);
    expect(huge.threshold).toBe(same.threshold);
    expect(huge.cost! / 3e307).toBeCloseTo(1, 9);
    const even = chooseThreshold(scores, { cost: { falsePositive: 1e308, falseNegative: 1e308 } }, labels);
    expect(even.threshold).toBe(chooseThreshold(scores, { cost: { falsePositive: 1, falseNegative: 1 } }, labels).threshold);
  });
});
