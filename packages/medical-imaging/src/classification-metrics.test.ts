import { describe, expect, it } from 'vitest';
import { binaryDecisions, classificationMetrics, youdenThreshold } from './classification-metrics';

const invalid = (pattern: RegExp) => expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringMatching(pattern) });
const mismatch = expect.objectContaining({ code: 'E_SHAPE_MISMATCH' });

describe('youdenThreshold', () => {
  it('picks the cut between the classes on good input', () => {
    expect(youdenThreshold([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8])).toBeCloseTo(0.5);
    expect(youdenThreshold(new Float32Array([1, 1]), new Float32Array([0.3, 0.6]))).toBe(0.5); // one class: 0.5
  });

  it('refuses lengths that differ, NaN scores, labels other than 0/1 and non-arrays', () => {
    expect(() => youdenThreshold([0, 1, 1], [0.1, 0.9, 0.8, 0.2, 0.7])).toThrow(mismatch);
    expect(() => youdenThreshold([0, 1, 0, 1], [NaN, 0.9, NaN, 0.2])).toThrow(invalid(/scores\[0\] = NaN is not a finite number/));
    expect(() => youdenThreshold([0, 2, 0, 2], [0.1, 0.9, 0.2, 0.8])).toThrow(invalid(/yTrue\[1\] = 2 is not a binary label/));
    expect(() => youdenThreshold(['0', '1', '0', '1'] as never, [0.1, 0.9, 0.2, 0.8])).toThrow(invalid(/yTrue\[0\] = "0"/));
    expect(() => youdenThreshold(null as never, [0.1])).toThrow(invalid(/yTrue must be an array of numbers/));
    expect(() => youdenThreshold([0, 1], 'ab' as never)).toThrow(invalid(/scores must be an array/));
    expect(() => youdenThreshold([], [])).toThrow(invalid(/at least one/));
  });
});

describe('binaryDecisions', () => {
  it('thresholds finite scores', () => {
    expect(binaryDecisions([0.2, 0.5, 0.9], 0.5)).toEqual([0, 1, 1]);
  });

  it('refuses a NaN or non-number threshold, NaN scores and null', () => {
    expect(() => binaryDecisions([0.2, 0.9], NaN)).toThrow(invalid(/threshold must be a finite number/));
    expect(() => binaryDecisions([0.2, 0.9], '0.5' as never)).toThrow(invalid(/threshold must be a finite number/));
    expect(() => binaryDecisions([NaN], 0.5)).toThrow(invalid(/scores\[0\] = NaN/));
    expect(() => binaryDecisions(null as never, 0.5)).toThrow(invalid(/scores must be an array/));
  });
});

describe('classificationMetrics', () => {
  const probs = new Float32Array([0.9, 0.1, 0.2, 0.8]);

  it('gives the metrics on good input, the threshold defaulting to 0.5', () => {
    const m = classificationMetrics([0, 1], probs, ['a', 'b'], undefined);
    expect(m).toMatchObject({ count: 2, accuracy: 1, auc: 1, threshold: 0.5, sensitivity: 1, specificity: 1 });
    expect(
      classificationMetrics([0, 1, 2], new Float32Array([0.8, 0.1, 0.1, 0.1, 0.8, 0.1, 0.1, 0.1, 0.8]), ['a', 'b', 'c'], undefined)
        .accuracy,
    ).toBe(1);
  });

  it('refuses a bad threshold, a probabilities length that does not fit, labels out of range and null arguments', () => {
    expect(() => classificationMetrics([0, 1], probs, ['a', 'b'], NaN)).toThrow(invalid(/threshold must be a number in \[0, 1\]/));
    expect(() => classificationMetrics([0, 1], probs, ['a', 'b'], 2)).toThrow(invalid(/threshold/));
    expect(() => classificationMetrics([0, 1, 1], new Float32Array([0.9, 0.1]), ['a', 'b'], 0.5)).toThrow(mismatch);
    expect(() => classificationMetrics([0, 3, 1], new Float32Array(9), ['a', 'b', 'c'], undefined)).toThrow(
      invalid(/yTrue\[1\] = 3 is not a class index in \[0, 3\)/),
    );
    expect(() => classificationMetrics([0, 0.5], probs, ['a', 'b'], undefined)).toThrow(invalid(/yTrue\[1\]/));
    expect(() => classificationMetrics(null as never, probs, ['a', 'b'], 0.5)).toThrow(invalid(/yTrue must be an array/));
    expect(() => classificationMetrics([0, 1], null as never, ['a', 'b'], 0.5)).toThrow(invalid(/probabilities must be an array/));
    expect(() => classificationMetrics([0, 1], probs, null as never, 0.5)).toThrow(invalid(/labels must be a non-empty list/));
  });
});
