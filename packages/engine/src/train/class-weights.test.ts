import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '../errors';
import { resolveClassWeights } from './class-weights';

// Review R5-1: speech, text, medical-imaging and fraud each turned a user's classWeight ('balanced' or a
// weight per label) into fitModel's weight per class index with their own copy of the formula and checks.
// One engine helper now does it for all of them.

function refusal(fn: () => unknown): AppliedMLError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppliedMLError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('resolveClassWeights', () => {
  const labels = ['ham', 'spam', 'eggs'];
  const counts = [60, 30, 10];

  it("'balanced' is n / (labels × count), as scikit-learn's class_weight='balanced'", () => {
    expect(resolveClassWeights('balanced', labels, counts)).toEqual([100 / (3 * 60), 100 / (3 * 30), 100 / (3 * 10)]);
    // Equal counts: every weight 1.
    expect(resolveClassWeights('balanced', ['a', 'b'], [7, 7])).toEqual([1, 1]);
    // Weighted count equals n for every label: each label's examples add up to n / labels.
    const w = resolveClassWeights('balanced', labels, counts) as number[];
    for (let i = 0; i < labels.length; i++) expect((w[i] as number) * (counts[i] as number)).toBeCloseTo(100 / 3, 12);
  });

  it("'balanced' counts a label with no example as one (n / labels), or weighs it 0 with unseen: 'zero'", () => {
    expect(resolveClassWeights('balanced', ['a', 'b', 'c'], [4, 2, 0])).toEqual([6 / 12, 6 / 6, 6 / 3]);
    expect(resolveClassWeights('balanced', ['a', 'b', 'c'], [4, 2, 0], { unseen: 'zero' })).toEqual([6 / 12, 6 / 6, 0]);
  });

  it('a map weighs the labels it names, the others 1, in the order of labels', () => {
    expect(resolveClassWeights({ eggs: 5, ham: 0 }, labels, counts)).toEqual([0, 1, 5]);
    expect(resolveClassWeights({}, labels, counts)).toEqual([1, 1, 1]);
    // A label named like an Object.prototype member is a label like any other.
    expect(resolveClassWeights({ constructor: 2 }, ['constructor', 'x'], [1, 1])).toEqual([2, 1]);
    expect(resolveClassWeights({ x: 3 }, ['constructor', 'x'], [1, 1])).toEqual([1, 3]);
  });

  it('is undefined without an option', () => {
    expect(resolveClassWeights(undefined, labels, counts)).toBeUndefined();
  });

  it('refuses anything else with E_INPUT_INVALID naming classWeight', () => {
    for (const option of ['none', 3, null, ['ham'], [1, 2, 3], true]) {
      const e = refusal(() => resolveClassWeights(option, labels, counts));
      expect(e.code, JSON.stringify(option)).toBe('E_INPUT_INVALID');
      expect(e.message).toContain("classWeight must be 'balanced' or a weight per label (got ");
      expect(e.details).toEqual({ field: 'classWeight' });
    }
    const unknown = refusal(() => resolveClassWeights({ sideways: 2, ham: 1 }, labels, counts));
    expect(unknown.message).toBe("classWeight names 'sideways', not among the training labels (ham, spam, eggs).");
    expect(unknown.details).toEqual({ field: 'classWeight', unknown: ['sideways'] });
    for (const w of [-1, Number.NaN, Number.POSITIVE_INFINITY, '2', null]) {
      const e = refusal(() => resolveClassWeights({ spam: w } as never, labels, counts));
      expect(e.code).toBe('E_INPUT_INVALID');
      expect(e.message).toMatch(/^classWeight for 'spam' must be a non-negative number \(got .+\)\.$/);
      expect(e.details).toEqual({ field: 'classWeight.spam' });
    }
    const zero = refusal(() => resolveClassWeights({ ham: 0, spam: 0, eggs: 0 }, labels, counts));
    expect(zero.message).toBe('classWeight gives every label weight 0: at least one must be positive.');
    const mismatch = refusal(() => resolveClassWeights('balanced', labels, [1, 2]));
    expect(mismatch.code).toBe('E_INPUT_INVALID');
    expect(mismatch.details).toEqual({ field: 'counts' });
  });
});
