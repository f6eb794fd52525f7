import { AppliedMLError } from '@appliedml/engine';
import { MAX_READING, type TrafficSeries } from './series';
import { runSync, VALUES_PER_YIELD, type Work } from './work-turns';

/** Per-sensor standardisation fitted on the training steps only (observed readings only). */
export interface SensorScaler {
  mean: number[];
  std: number[];
}

/**
 * The least standard deviation `fitScaler` gives a sensor of mean `mean`: a flat sensor's scaled values
 * stay small. Load refuses a saved one below it (every bundle ever saved was floored), as the graph ridge's
 * weight bound, measured on the series' scale, holds only with it (a hand-edited 1e-300 let a forecast reach 1e300).
 */
export function stdFloor(mean: number): number {
  return Math.max(1e-3 * Math.max(1, Math.abs(mean)), 1e-6);
}

export function fitScaler(series: TrafficSeries): SensorScaler {
  return runSync(fitScalerWork(series));
}

/** `fitScaler` as work that yields every VALUES_PER_YIELD readings (see work-turns). */
export function* fitScalerWork(series: TrafficSeries): Work<SensorScaler> {
  const n = series.sensors.length;
  const sum = new Float64Array(n);
  const sq = new Float64Array(n);
  const count = new Float64Array(n);
  const length = series.values.length;
  for (let from = 0; from < length; from += VALUES_PER_YIELD) {
    const to = Math.min(length, from + VALUES_PER_YIELD);
    for (let i = from; i < to; i++) {
      const v = series.values[i] as number;
      if (Number.isNaN(v)) continue;
      const s = i % n;
      sum[s] = (sum[s] as number) + v;
      sq[s] = (sq[s] as number) + v * v;
      count[s] = (count[s] as number) + 1;
    }
    yield;
  }
  const mean: number[] = [];
  const std: number[] = [];
  let globalSum = 0;
  let globalCount = 0;
  for (let s = 0; s < n; s++) {
    globalSum += sum[s] as number;
    globalCount += count[s] as number;
  }
  if (globalCount === 0) throw new AppliedMLError('E_INPUT_INVALID', 'The training steps hold no reading at all.');
  const globalMean = globalSum / globalCount;
  for (let s = 0; s < n; s++) {
    const c = count[s] as number;
    // Readings are at most MAX_READING (1e12) in size, and so are their mean and standard deviation, as
    // load checks. The mean keeps to it as computed (each partial sum's bound, k × 1e12, is a float64 for
    // k below 3.6e7); the standard deviation can round past it (9,000 readings of ±1e12 gave 1e12 + 0.03),
    // so it is held there.
    const m = c > 0 ? (sum[s] as number) / c : globalMean;
    const variance = c > 1 ? Math.max(0, (sq[s] as number) / c - m * m) : 0;
    mean.push(m);
    // A floor keeps a flat sensor from blowing up its scaled values.
    std.push(Math.max(Math.min(Math.sqrt(variance), MAX_READING), stdFloor(m)));
  }
  return { mean, std };
}
