import { forecastAccuracy, mae, mape, r2, rmse } from '@appliedml/engine';

/** Metrics of one horizon, pooled over steps 1..h ahead as T-GCN reports them (or at step h only). */
export interface HorizonMetrics {
  /** Steps ahead (3 = 15 min at 5-min steps). */
  steps: number;
  minutes: number;
  mae: number;
  rmse: number;
  /** Masked MAPE as a fraction (readings of 0 and missing readings left out); NaN when every scored reading is 0. */
  mape: number;
  /** T-GCN accuracy 1 − ‖Y−Ŷ‖F/‖Y‖F; NaN when every scored reading is 0 (‖Y‖F = 0). */
  accuracy: number;
  /** NaN with fewer than two scored readings. */
  r2: number;
  /** Windows scored and readings scored. */
  windows: number;
  count: number;
  /** How the steps were pooled: 'cumulative' (steps 1..h, as T-GCN reports) or 'step' (step h only, as DCRNN-style tables). */
  pooling: HorizonPooling;
}

export type HorizonPooling = 'cumulative' | 'step';

/**
 * Scores forecasts [windows, outputSteps, sensors] against the truth taken from `values`
 * (row-major steps × sensors, NaN = missing) for window w's target steps `targetStart[w] + p`.
 * For horizon h only windows w < windowsFor(h) count (the T-GCN loop bound differs per horizon).
 */
export function scoreHorizon(
  pred: Float64Array,
  values: Float64Array,
  sensors: number,
  outputSteps: number,
  targetStart: readonly number[],
  horizon: number,
  windows: number,
  intervalMinutes: number,
  pooling: HorizonPooling,
): HorizonMetrics {
  const first = pooling === 'cumulative' ? 0 : horizon - 1;
  const per = (horizon - first) * sensors;
  const yTrue = new Float64Array(windows * per);
  const yPred = new Float64Array(windows * per);
  let k = 0;
  for (let w = 0; w < windows; w++) {
    for (let p = first; p < horizon; p++) {
      const t = (targetStart[w] as number) + p;
      for (let s = 0; s < sensors; s++) {
        yTrue[k] = values[t * sensors + s] as number;
        yPred[k] = pred[(w * outputSteps + p) * sensors + s] as number;
        k++;
      }
    }
  }
  const opts = { nullValue: NaN };
  let count = 0;
  let nonZero = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const v = yTrue[i] as number;
    if (!Number.isNaN(v)) count++;
    if (Math.abs(v) >= Number.EPSILON) nonZero++;
  }
  // Every scored reading 0 (a closed road, a dead detector reporting zeros): MAE, RMSE and R² are
  // defined, a percentage error and the T-GCN accuracy are not.
  const relative = count > 0 && nonZero === 0;
  return {
    steps: horizon,
    minutes: minutesAhead(horizon, intervalMinutes),
    mae: mae(yTrue, yPred, opts),
    rmse: rmse(yTrue, yPred, opts),
    mape: relative ? NaN : mape(yTrue, yPred, opts),
    accuracy: relative ? NaN : forecastAccuracy(yTrue, yPred, opts),
    r2: count >= 2 ? r2(yTrue, yPred, opts) : NaN,
    windows,
    count,
    pooling,
  };
}

/**
 * `steps` steps of `intervalMinutes` in minutes, without float noise: 3 steps of 0.1 min are 0.3, not
 * 0.30000000000000004 (rounded to 9 decimals, far below any interval's precision).
 */
export function minutesAhead(steps: number, intervalMinutes: number): number {
  return Number((steps * intervalMinutes).toFixed(9));
}
