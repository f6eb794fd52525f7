import { describe, expect, it } from 'vitest';
import { shuffleIndices } from '../datasets/split';
import { balancedAccuracy, confusionMatrix } from './classification';
import { averagePrecision, rocAuc, rocAucOvr, rocCurve } from './ranking';
import { explainedVariance, forecastAccuracy, mae, mape, mse, r2, rmse, type MapeOptions } from './regression';
import { dice, iou, meanDice, meanIou } from './segmentation';
import { expectCode } from '../datasets/test-helpers';

describe('metrics given no arrays or absurd class counts', () => {
  it('answer with E_INPUT_INVALID, not a TypeError or RangeError', async () => {
    await expectCode(() => rocAuc(null as never, null as never), 'E_INPUT_INVALID');
    await expectCode(() => averagePrecision([0, 1], undefined as never), 'E_INPUT_INVALID');
    await expectCode(() => rocAucOvr([0, 1, 2], undefined as never, 3), 'E_INPUT_INVALID');
    await expectCode(() => rocAucOvr(null as never, [[1, 0, 0]], 3), 'E_INPUT_INVALID');
    await expectCode(() => confusionMatrix([0, 1], [0, 1], 1e9), 'E_INPUT_INVALID');
    await expectCode(() => shuffleIndices(1e10), 'E_INPUT_INVALID');
  });
});

describe('metric options', () => {
  it('null options or a null probability row are E_INPUT_INVALID, not a TypeError', async () => {
    const y = [0, 1, 0, 1];
    const s = [0.1, 0.9, 0.4, 0.6];
    await expectCode(() => rocCurve(y, s, null as never), 'E_INPUT_INVALID');
    await expectCode(() => rocAucOvr([0, 1, 2], [[0.2, 0.3, 0.5], null as never, [0.1, 0.1, 0.8]], 3), 'E_INPUT_INVALID');
    await expectCode(() => rocAucOvr([0, 1, 2], new Array(3) as never, 3), 'E_INPUT_INVALID');
    await expectCode(
      () =>
        rocAucOvr(
          [0, 1, 2],
          [
            [0.2, 0.3, 0.5],
            [0.5, 0.3, 0.2],
            [0.1, 0.1, 0.8],
          ],
          3,
          null as never,
        ),
      'E_INPUT_INVALID',
    );
    for (const f of [mae, mse, rmse, r2, explainedVariance, forecastAccuracy, mape])
      await expectCode(() => f(s, s, null as never), 'E_INPUT_INVALID');
    for (const f of [dice, iou]) await expectCode(() => f(s, s, null as never), 'E_INPUT_INVALID');
    for (const f of [meanDice, meanIou]) await expectCode(() => f([s], [s], null as never), 'E_INPUT_INVALID');
    await expectCode(() => balancedAccuracy(y, y, 2, null as never), 'E_INPUT_INVALID');
  });

  it('a misspelt option or a non-boolean flag is refused, not ignored (it changed the figure)', async () => {
    expect(mae([0, 2], [5, 3], { nullValue: 0 })).toBe(1);
    await expectCode(() => mae([0, 2], [5, 3], { nullvalue: 0 } as never), 'E_INPUT_INVALID');
    await expectCode(() => dice([0.3, 0.9], [0.3, 0.9], { treshold: 0.2 } as never), 'E_INPUT_INVALID');
    await expectCode(() => dice([0.3, 0.9], [0.3, 0.9], { soft: 'yes' } as never), 'E_INPUT_INVALID');
    await expectCode(() => rocCurve([0, 1], [0.2, 0.8], { dropIntermediate: 'yes' } as never), 'E_INPUT_INVALID');
    await expectCode(() => balancedAccuracy([0, 1], [0, 1], 2, { adjust: true } as never), 'E_INPUT_INVALID');
    await expectCode(() => mape([1, 2], [1, 2], { epsilom: 1 } as never), 'E_INPUT_INVALID');
    expect(mape([1, 2], [1, 3], { epsilon: 1.5 })).toBeCloseTo(0.5);
    // One options object for the whole regression family, as the types allow (a MapeOptions is a RegressionOptions).
    const shared: MapeOptions = { nullValue: 0, epsilon: undefined };
    for (const f of [mae, rmse, r2, mape]) expect(Number.isFinite(f([0, 2, 4], [5, 3, 4], shared)), f.name).toBe(true);
  });
});

describe('a metric given something other than an array', () => {
  it('says what kind of value came, with its article', () => {
    for (const [bad, kind] of [
      [null, 'null'],
      [undefined, 'undefined'],
      [7, 'a number'],
      ['0101', 'a string'],
      [{ 0: 1 }, 'an object'],
      [new Map(), 'a Map'],
    ] as const) {
      expect(() => mae(bad as never, [1])).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', message: `yTrue must be an array of numbers (got ${kind}).` }),
      );
    }
  });
});
