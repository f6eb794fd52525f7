import { AppliedMLError } from '@appliedml/engine';
import { featureCount, timeFeatures } from './features';
import type { SensorScaler } from './scaler';
import type { TrafficSeries } from './series';
import { runSync, WINDOWS_PER_YIELD, type Work } from './work-turns';

/** Model inputs for a batch of windows, as flat arrays (the forecaster turns them into tensors). */
export interface WindowBatch {
  count: number;
  /** [count, inputSteps, sensors, features] (features = featureCount(dayOfWeek)) */
  x: Float32Array;
  /** Last observed reading per window and sensor (raw units; the sensor's mean when none): [count, sensors]. */
  last: Float64Array;
}

/** Window starts of the T-GCN protocol in a segment [from, to): every s from `from` with s + T + h < to, for T input and h output steps. */
export function windowStarts(from: number, to: number, inputSteps: number, outputSteps: number): number[] {
  const count = to - from - inputSteps - outputSteps;
  const starts: number[] = [];
  for (let i = 0; i < count; i++) starts.push(from + i);
  return starts;
}

export function assertLongEnough(steps: number, inputSteps: number, outputSteps: number, what: string): void {
  const need = inputSteps + outputSteps + 1;
  if (steps < need) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${what} has ${steps} steps; one window needs ${need} (${inputSteps} input + ${outputSteps} ahead + 1).`,
      {
        details: { steps, needed: need, inputSteps, outputSteps },
      },
    );
  }
}

/** Builds the inputs of the windows starting at `starts` (input steps [s, s + inputSteps)). */
export function buildInputs(
  series: TrafficSeries,
  starts: readonly number[],
  inputSteps: number,
  scaler: SensorScaler,
  dayOfWeek = false,
): WindowBatch {
  return runSync(buildInputsWork(series, starts, inputSteps, scaler, dayOfWeek));
}

/** `buildInputs` as work that yields every WINDOWS_PER_YIELD windows (see work-turns). */
export function* buildInputsWork(
  series: TrafficSeries,
  starts: readonly number[],
  inputSteps: number,
  scaler: SensorScaler,
  dayOfWeek = false,
): Work<WindowBatch> {
  const n = series.sensors.length;
  const F = featureCount(dayOfWeek);
  const x = new Float32Array(starts.length * inputSteps * n * F);
  const last = new Float64Array(starts.length * n);
  for (let b = 0; b < starts.length; b++) {
    if (b > 0 && b % WINDOWS_PER_YIELD === 0) yield;
    const s0 = starts[b] as number;
    for (let s = 0; s < n; s++) last[b * n + s] = scaler.mean[s] as number;
    for (let k = 0; k < inputSteps; k++) {
      const t = s0 + k;
      const tf = timeFeatures(series, t, dayOfWeek);
      for (let s = 0; s < n; s++) {
        const v = series.values[t * n + s] as number;
        const o = (((b * inputSteps + k) * n + s) * F) as number;
        if (!Number.isNaN(v)) {
          x[o] = (v - (scaler.mean[s] as number)) / (scaler.std[s] as number);
          x[o + 1] = 1;
          last[b * n + s] = v;
        }
        for (let f = 0; f < tf.length; f++) x[o + 2 + f] = tf[f] as number;
      }
    }
  }
  return { count: starts.length, x, last };
}

/**
 * Training targets for the windows: the change from the last observed reading, scaled per sensor,
 * with an observed-mask: [count, outputSteps, sensors, 2]. Steps beyond the series are masked.
 */
export function buildTargets(
  series: TrafficSeries,
  starts: readonly number[],
  inputSteps: number,
  outputSteps: number,
  scaler: SensorScaler,
  last: Float64Array,
): Float32Array {
  return runSync(buildTargetsWork(series, starts, inputSteps, outputSteps, scaler, last));
}

/** `buildTargets` as work that yields every WINDOWS_PER_YIELD windows (see work-turns). */
export function* buildTargetsWork(
  series: TrafficSeries,
  starts: readonly number[],
  inputSteps: number,
  outputSteps: number,
  scaler: SensorScaler,
  last: Float64Array,
): Work<Float32Array> {
  const n = series.sensors.length;
  const y = new Float32Array(starts.length * outputSteps * n * 2);
  for (let b = 0; b < starts.length; b++) {
    if (b > 0 && b % WINDOWS_PER_YIELD === 0) yield;
    const s0 = starts[b] as number;
    for (let p = 0; p < outputSteps; p++) {
      const t = s0 + inputSteps + p;
      if (t >= series.steps) continue;
      for (let s = 0; s < n; s++) {
        const v = series.values[t * n + s] as number;
        if (Number.isNaN(v)) continue;
        const o = ((b * outputSteps + p) * n + s) * 2;
        y[o] = (v - (last[b * n + s] as number)) / (scaler.std[s] as number);
        y[o + 1] = 1;
      }
    }
  }
  return y;
}
