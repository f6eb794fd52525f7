import { clockAt } from './features';
import type { SensorScaler } from './scaler';
import type { TrafficSeries } from './series';

/** Historical average by time-of-day slot, separately for weekdays and weekends, fitted on training steps. */
export interface HistoricalAverage {
  slotsPerDay: number;
  /** [2 (weekday, weekend), slotsPerDay, sensors]; NaN where the training data had no reading. */
  table: number[];
  /** [slotsPerDay, sensors]: every day pooled, the fallback for an empty weekday/weekend slot. */
  pooled: number[];
}

export function slotsPerDay(intervalMinutes: number): number {
  return Math.max(1, Math.round((24 * 60) / intervalMinutes));
}

export function fitHistoricalAverage(series: TrafficSeries): HistoricalAverage | null {
  if (series.start === null) return null;
  const n = series.sensors.length;
  const slots = slotsPerDay(series.intervalMinutes);
  const sum = new Float64Array(2 * slots * n);
  const cnt = new Float64Array(2 * slots * n);
  for (let t = 0; t < series.steps; t++) {
    const c = clockAt(series.start, series.intervalMinutes, t, series.timeZone)!;
    const slot = Math.min(slots - 1, Math.floor(c.dayFraction * slots));
    const base = ((c.weekend ? 1 : 0) * slots + slot) * n;
    for (let s = 0; s < n; s++) {
      const v = series.values[t * n + s] as number;
      if (Number.isNaN(v)) continue;
      sum[base + s] = (sum[base + s] as number) + v;
      cnt[base + s] = (cnt[base + s] as number) + 1;
    }
  }
  const table: number[] = [];
  const pooled: number[] = [];
  for (let i = 0; i < sum.length; i++) table.push((cnt[i] as number) > 0 ? (sum[i] as number) / (cnt[i] as number) : NaN);
  for (let slot = 0; slot < slots; slot++) {
    for (let s = 0; s < n; s++) {
      const a = slot * n + s;
      const b = (slots + slot) * n + s;
      const c = (cnt[a] as number) + (cnt[b] as number);
      pooled.push(c > 0 ? ((sum[a] as number) + (sum[b] as number)) / c : NaN);
    }
  }
  return { slotsPerDay: slots, table, pooled };
}

/** The historical average for sensor `s` at step `t` of `series`'s clock, falling back to the pooled slot, then the sensor mean. */
export function historicalValue(
  ha: HistoricalAverage | null,
  series: Pick<TrafficSeries, 'start' | 'intervalMinutes' | 'timeZone'>,
  n: number,
  t: number,
  s: number,
  scaler: SensorScaler,
): number {
  const c = ha ? clockAt(series.start, series.intervalMinutes, t, series.timeZone) : null;
  if (ha && c) {
    const slot = Math.min(ha.slotsPerDay - 1, Math.floor(c.dayFraction * ha.slotsPerDay));
    const v = ha.table[((c.weekend ? 1 : 0) * ha.slotsPerDay + slot) * n + s] as number;
    if (!Number.isNaN(v)) return v;
    const p = ha.pooled[slot * n + s] as number;
    if (!Number.isNaN(p)) return p;
  }
  return scaler.mean[s] as number;
}

export type BaselineKind = 'last-value' | 'window-mean' | 'historical-average' | 'seasonal-naive';

export interface BaselineContext {
  series: TrafficSeries;
  starts: readonly number[];
  inputSteps: number;
  outputSteps: number;
  last: Float64Array;
  scaler: SensorScaler;
  ha: HistoricalAverage | null;
  /** Steps in one season (a day by default) for seasonal naive. */
  season: number;
}

/** Baseline forecasts for every window and every step ahead: [count, outputSteps, sensors] in raw units. */
export function baselineForecast(kind: BaselineKind, ctx: BaselineContext): Float64Array {
  const { series, starts, inputSteps, outputSteps, last, scaler, ha, season } = ctx;
  const n = series.sensors.length;
  const out = new Float64Array(starts.length * outputSteps * n);
  starts.forEach((s0, b) => {
    let level: Float64Array | undefined;
    if (kind === 'window-mean') {
      level = new Float64Array(n);
      for (let s = 0; s < n; s++) {
        let sum = 0;
        let c = 0;
        for (let k = 0; k < inputSteps; k++) {
          const v = series.values[(s0 + k) * n + s] as number;
          if (!Number.isNaN(v)) {
            sum += v;
            c++;
          }
        }
        level[s] = c > 0 ? sum / c : (last[b * n + s] as number);
      }
    }
    for (let p = 0; p < outputSteps; p++) {
      const t = s0 + inputSteps + p;
      for (let s = 0; s < n; s++) {
        let v: number;
        switch (kind) {
          case 'last-value':
            v = last[b * n + s] as number;
            break;
          case 'window-mean':
            v = level![s] as number;
            break;
          case 'historical-average':
            v = historicalValue(ha, series, n, t, s, scaler);
            break;
          case 'seasonal-naive': {
            const back = t - season;
            const prev = back >= 0 && back < s0 + inputSteps ? (series.values[back * n + s] as number) : NaN;
            v = Number.isNaN(prev) ? historicalValue(ha, series, n, t, s, scaler) : prev;
            break;
          }
        }
        out[(b * outputSteps + p) * n + s] = v;
      }
    }
  });
  return out;
}
