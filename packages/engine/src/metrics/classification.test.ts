import { describe, expect, it } from 'vitest';
import { expectAllClose, expectClose, expectCode, fixtures } from './__fixtures__/fixtures';
import { accuracy, balancedAccuracy, confusionMatrix, matthewsCorrcoef, precisionRecallF1 } from './classification';

describe('classification metrics against scikit-learn fixtures', () => {
  it('has fixture cases', () => {
    expect(fixtures.classification.length).toBeGreaterThanOrEqual(8);
  });

  for (const c of fixtures.classification) {
    describe(c.name, () => {
      const { yTrue, yPred, numClasses, expected: e } = c;

      it('accuracy and confusion matrix', () => {
        expectClose(accuracy(yTrue, yPred), e.accuracy, 'accuracy');
        expect(confusionMatrix(yTrue, yPred, numClasses)).toEqual(e.confusionMatrix);
      });

      it('precision / recall / F1 / support with averages', () => {
        const r = precisionRecallF1(yTrue, yPred, numClasses);
        expectAllClose(r.precision, e.precision, 'precision');
        expectAllClose(r.recall, e.recall, 'recall');
        expectAllClose(r.f1, e.f1, 'f1');
        expect(r.support).toEqual(e.support);
        for (const avg of ['macro', 'weighted', 'micro'] as const) {
          expectClose(r[avg].precision, e[avg].precision, `${avg} precision`);
          expectClose(r[avg].recall, e[avg].recall, `${avg} recall`);
          expectClose(r[avg].f1, e[avg].f1, `${avg} f1`);
        }
      });

      it('Matthews correlation and balanced accuracy', () => {
        expectClose(matthewsCorrcoef(yTrue, yPred, numClasses), e.matthewsCorrcoef, 'mcc');
        expectClose(balancedAccuracy(yTrue, yPred, numClasses), e.balancedAccuracy, 'balanced');
        if (e.balancedAccuracyAdjusted !== undefined) {
          expectClose(balancedAccuracy(yTrue, yPred, numClasses, { adjusted: true }), e.balancedAccuracyAdjusted, 'balanced adjusted');
        }
      });

      it('gives the same results for typed-array input', () => {
        const t = Int32Array.from(yTrue);
        const p = Uint8Array.from(yPred);
        expect(confusionMatrix(t, p, numClasses)).toEqual(e.confusionMatrix);
        expectClose(matthewsCorrcoef(t, p, numClasses), e.matthewsCorrcoef, 'mcc typed');
        expectClose(precisionRecallF1(t, p, numClasses).macro.f1, e.macro.f1, 'macro f1 typed');
      });
    });
  }
});

describe('classification metrics, hand-computed', () => {
  // TP = 2 (idx 1, 4), TN = 2 (idx 0, 3), FN = 1 (idx 2), FP = 0.
  const yTrue = [0, 1, 1, 0, 1];
  const yPred = [0, 1, 0, 0, 1];

  it('binary confusion matrix, accuracy and MCC', () => {
    expect(confusionMatrix(yTrue, yPred, 2)).toEqual([
      [2, 0],
      [1, 2],
    ]);
    expect(accuracy(yTrue, yPred)).toBe(0.8);
    // (TP·TN − FP·FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = 4 / sqrt(2·3·2·3) = 2/3
    expectClose(matthewsCorrcoef(yTrue, yPred, 2), 2 / 3, 'mcc', 1e-15);
  });

  it('per-class precision / recall / F1 and zero_division = 0 for an unused class', () => {
    const r = precisionRecallF1(yTrue, yPred, 3);
    expectAllClose(r.precision, [2 / 3, 1, 0], 'precision', 1e-15);
    expectAllClose(r.recall, [1, 2 / 3, 0], 'recall', 1e-15);
    expectAllClose(r.f1, [0.8, 0.8, 0], 'f1', 1e-15);
    expect(r.support).toEqual([2, 3, 0]);
    expectClose(r.macro.f1, 1.6 / 3, 'macro f1', 1e-15);
    expectClose(r.weighted.f1, 0.8, 'weighted f1', 1e-15);
    expectClose(r.micro.f1, 0.8, 'micro f1', 1e-15);
  });

  it('MCC is -1 for perfectly inverted binary predictions and 0 for a constant one', () => {
    expectClose(matthewsCorrcoef([0, 1, 0, 1], [1, 0, 1, 0], 2), -1, 'mcc', 1e-15);
    expect(matthewsCorrcoef([0, 1, 0, 1], [1, 1, 1, 1], 2)).toBe(0);
  });

  it('balanced accuracy averages recall over the classes present in yTrue', () => {
    // recall(0) = 1/2, recall(1) = 1; class 2 only predicted → ignored.
    expect(balancedAccuracy([0, 0, 1], [0, 2, 1], 3)).toBe(0.75);
    expect(balancedAccuracy([0, 0, 1], [0, 2, 1], 3, { adjusted: true })).toBe(0.5);
  });

  it('accuracy accepts any finite labels', () => {
    expect(accuracy([-1, 2.5, 7], [-1, 2.5, 8])).toBeCloseTo(2 / 3, 15);
  });
});

describe('classification metrics, typed errors', () => {
  it('rejects empty input and length mismatch', () => {
    expectCode(() => accuracy([], []), 'E_INPUT_INVALID');
    expectCode(() => confusionMatrix([], [], 2), 'E_INPUT_INVALID');
    const err = expectCode(() => accuracy([0, 1], [0]), 'E_SHAPE_MISMATCH');
    expect(err.details).toEqual({ yTrue: 2, yPred: 1 });
    expectCode(() => precisionRecallF1([0, 1, 1], [0, 1], 2), 'E_SHAPE_MISMATCH');
  });

  it('rejects labels outside [0, numClasses) and non-integer labels', () => {
    const err = expectCode(() => confusionMatrix([0, 1, 2], [0, 1, 1], 2), 'E_INPUT_INVALID');
    expect(err.details).toMatchObject({ argument: 'yTrue', index: 2, value: 2 });
    expectCode(() => matthewsCorrcoef([0, 1], [0, -1], 2), 'E_INPUT_INVALID');
    expectCode(() => precisionRecallF1([0, 1.5], [0, 1], 2), 'E_INPUT_INVALID');
    expectCode(() => balancedAccuracy([0, Number.NaN], [0, 1], 2), 'E_INPUT_INVALID');
  });

  it('rejects a bad numClasses', () => {
    expectCode(() => confusionMatrix([0], [0], 0), 'E_INPUT_INVALID');
    expectCode(() => confusionMatrix([0], [0], 2.5), 'E_INPUT_INVALID');
  });

  it('rejects NaN in accuracy and adjusted balanced accuracy with one class', () => {
    expectCode(() => accuracy([0, Number.NaN], [0, 1]), 'E_INPUT_INVALID');
    expectCode(() => balancedAccuracy([1, 1], [1, 0], 2, { adjusted: true }), 'E_INPUT_INVALID');
  });
});
