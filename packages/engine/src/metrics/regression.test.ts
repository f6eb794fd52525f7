import { describe, expect, it } from 'vitest';
import { expectClose, expectCode, fixtures, withNaN, type RegressionCase } from './__fixtures__/fixtures';
import { explainedVariance, forecastAccuracy, mae, mape, mse, r2, rmse, type RegressionOptions } from './regression';

function load(c: RegressionCase): {
  t: ArrayLike<number>;
  p: ArrayLike<number>;
  options: RegressionOptions;
} {
  const t = withNaN(c.yTrue);
  const p = withNaN(c.yPred);
  const options: RegressionOptions = {};
  if (c.mask) options.mask = c.mask;
  if (c.nullValue !== undefined) options.nullValue = c.nullValue === 'NaN' ? Number.NaN : c.nullValue;
  return c.float32 ? { t: Float32Array.from(t), p: Float32Array.from(p), options } : { t, p, options };
}

describe('regression metrics against scikit-learn fixtures', () => {
  it('has fixture cases', () => {
    expect(fixtures.regression.length).toBeGreaterThanOrEqual(8);
  });

  for (const c of fixtures.regression) {
    it(c.name, () => {
      const { t, p, options } = load(c);
      const e = c.expected;
      expectClose(mae(t, p, options), e.mae, 'mae');
      expectClose(mse(t, p, options), e.mse, 'mse');
      expectClose(rmse(t, p, options), e.rmse, 'rmse');
      expectClose(mape(t, p, options), e.mape, 'mape');
      expectClose(explainedVariance(t, p, options), e.explainedVariance, 'explainedVariance');
      expectClose(forecastAccuracy(t, p, options), e.forecastAccuracy, 'forecastAccuracy');
      if (e.r2 !== undefined) expectClose(r2(t, p, options), e.r2, 'r2');
    });
  }

  it('a boolean mask and a 0/1 mask agree', () => {
    const c = fixtures.regression.find((x) => x.mask !== undefined);
    expect(c).toBeDefined();
    const { t, p } = load(c as RegressionCase);
    const mask = (c as RegressionCase).mask as number[];
    expect(mae(t, p, { mask: mask.map((m) => m === 1) })).toBe(mae(t, p, { mask }));
    expect(r2(t, p, { mask: Uint8Array.from(mask) })).toBe(r2(t, p, { mask }));
  });
});

describe('regression metrics, hand-computed', () => {
  it('plain MAE / MSE / RMSE', () => {
    expectClose(mae([1, 2, 3], [1, 2, 5]), 2 / 3, 'mae', 1e-15);
    expectClose(mse([1, 2, 3], [1, 2, 5]), 4 / 3, 'mse', 1e-15);
    expectClose(rmse([1, 2, 3], [1, 2, 5]), Math.sqrt(4 / 3), 'rmse', 1e-15);
  });

  it('nullValue 0 and NaN leave entries out (DCRNN masked convention)', () => {
    expect(mae([1, 0, 3], [2, 9, 3], { nullValue: 0 })).toBe(0.5);
    expect(mae([1, Number.NaN, 3], [2, 9, 3], { nullValue: Number.NaN })).toBe(0.5);
    expect(rmse([1, 0, 3], [3, 9, 3], { nullValue: 0 })).toBe(Math.sqrt(2));
  });

  it('mask leaves entries out and they may hold NaN', () => {
    expect(mae([1, Number.NaN, 3], [2, Number.NaN, 5], { mask: [1, 0, 1] })).toBe(1.5);
    expect(mae([1, 2, 3], [2, 9, 5], { mask: [true, false, true], nullValue: 1 })).toBe(2);
  });

  it('MAPE skips zero targets and returns a fraction', () => {
    expectClose(mape([100, 0, 50], [110, 5, 40]), 0.15, 'mape', 1e-15);
    expectClose(mape([100, 0.001, 50], [110, 5, 40], { epsilon: 0.01 }), 0.15, 'mape eps', 1e-15);
  });

  it('r2, explained variance and the T-GCN accuracy', () => {
    expect(r2([1, 2, 3], [1, 2, 3])).toBe(1);
    // ȳ = 2, SS_tot = 2, SS_res = 1 → 0.5
    expect(r2([1, 2, 3], [1, 2, 4])).toBe(0.5);
    // Constant offset: residual variance 0 → explained variance 1 while R² < 1.
    expect(explainedVariance([1, 2, 3], [2, 3, 4])).toBe(1);
    expect(r2([1, 2, 3], [2, 3, 4])).toBe(-0.5);
    expect(forecastAccuracy([3, 4], [3, 4])).toBe(1);
    expect(forecastAccuracy([3, 4], [0, 0])).toBe(0);
    expectClose(forecastAccuracy([3, 4], [3, 3]), 0.8, 'acc', 1e-15);
  });

  it('a constant yTrue whose mean rounds (0.1, 0.3) still gives 1 or 0, not ±1e31', () => {
    // The mean of [0.1, 0.1, 0.1] is off by an ulp: SS_tot ~ 1e-33 and sklearn's r2_score answers -1.7e31.
    expect(r2([0.1, 0.1, 0.1], [0.1, 0.1, 0.2])).toBe(0);
    expect(explainedVariance([0.1, 0.1, 0.1], [0.1, 0.1, 0.2])).toBe(0);
    expect(r2([0.1, 0.1, 0.1], [0.1, 0.1, 0.1])).toBe(1);
    expect(explainedVariance([0.1, 0.1, 0.1], [0.3, 0.3, 0.3])).toBe(1);
    const t = Array(10).fill(0.3) as number[];
    expect(r2(t, [...t.slice(0, 9), 0.30000000000000004])).toBe(0);
    // Not constant: the usual formula.
    expect(r2([0.1, 0.1, 0.2], [0.1, 0.1, 0.2])).toBe(1);
  });
});

describe('regression metrics, typed errors', () => {
  it('NaN or Infinity where not masked', () => {
    const err = expectCode(() => mae([1, Number.NaN], [1, 2]), 'E_INPUT_INVALID');
    expect(err.details).toMatchObject({ argument: 'yTrue', index: 1 });
    const err2 = expectCode(() => rmse([1, 2], [1, Number.NaN], { nullValue: 0 }), 'E_INPUT_INVALID');
    expect(err2.details).toMatchObject({ argument: 'yPred', index: 1 });
    expectCode(() => r2([1, Infinity, 2], [1, 2, 3]), 'E_INPUT_INVALID');
    // nullValue 0 does not excuse a NaN target.
    expectCode(() => mae([0, Number.NaN], [1, 2], { nullValue: 0 }), 'E_INPUT_INVALID');
  });

  it('shape problems and empty input', () => {
    expectCode(() => mae([1, 2], [1]), 'E_SHAPE_MISMATCH');
    expectCode(() => mae([1, 2], [1, 2], { mask: [1] }), 'E_SHAPE_MISMATCH');
    expectCode(() => mse([], []), 'E_INPUT_INVALID');
  });

  it('nothing left after masking', () => {
    expectCode(() => mae([1, 2], [1, 2], { mask: [0, 0] }), 'E_INPUT_INVALID');
    expectCode(() => explainedVariance([0, 0], [1, 2], { nullValue: 0 }), 'E_INPUT_INVALID');
    // Every target zero: the message says so (not 'masked or missing').
    const zeros = expectCode(() => mape([0, 0], [1, 2]), 'E_INPUT_INVALID');
    expect(zeros.details).toMatchObject({ reason: 'zero-targets' });
    expect(zeros.message).toContain('are 0');
  });

  it('undefined r2, forecastAccuracy and bad epsilon', () => {
    expectCode(() => r2([1, 5], [1, 2], { mask: [1, 0] }), 'E_INPUT_INVALID');
    expectCode(() => forecastAccuracy([0, 0], [1, 2]), 'E_INPUT_INVALID');
    expectCode(() => mape([1, 2], [1, 2], { epsilon: -1 }), 'E_INPUT_INVALID');
  });
});
