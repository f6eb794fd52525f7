import { describe, expect, it } from 'vitest';
import * as metrics from './index';

describe('metrics index', () => {
  it('re-exports exactly the public metric functions', () => {
    expect(Object.keys(metrics).sort()).toEqual(
      [
        'accuracy',
        'averagePrecision',
        'balancedAccuracy',
        'confusionMatrix',
        'dice',
        'explainedVariance',
        'forecastAccuracy',
        'iou',
        'mae',
        'mape',
        'matthewsCorrcoef',
        'meanDice',
        'meanIou',
        'mse',
        'prCurve',
        'precisionAtK',
        'precisionRecallF1',
        'r2',
        'recallAtFpr',
        'rmse',
        'rocAuc',
        'rocAucOvr',
        'rocCurve',
      ].sort(),
    );
    for (const value of Object.values(metrics)) expect(typeof value).toBe('function');
  });
});
