import { AppliedMLError } from '@appliedml/engine';
import { clockAt } from './features';
import type { SensorScaler } from './scaler';
import { MAX_READING, type TrafficSeries } from './series';
import { runSync, STEPS_PER_YIELD, VALUES_PER_YIELD, WINDOWS_PER_YIELD, type Work } from './work-turns';

/** Historical average by time-of-day slot, separately for weekdays and weekends, fitted on training steps. */
export interface HistoricalAverage {
  slotsPerDay: number;
  /**
   * Both tables, `table` then `pooled` (3 × slotsPerDay × sensors numbers): the layout of a bundle's
   * `ha.f64`; `table` and `pooled` are views into it.
   */
  cells: Float64Array;
  /** [2 (weekday, weekend), slotsPerDay, sensors]; NaN where the training data had no reading. */
  table: Float64Array;
  /** [slotsPerDay, sensors]: every day pooled, the fallback for an empty weekday/weekend slot. */
  pooled: Float64Array;
}

export function slotsPerDay(intervalMinutes: number): number {
  return Math.max(1, Math.round((24 * 60) / intervalMinutes));
}

/**
 * Most numbers the historical average's tables may hold (3 × slots a day × sensors): 50 million, 400 MB
 * as float64, in memory and in a bundle's `ha.f64`, the size of the largest series `readSeriesCsv`
 * and `generateTrafficNetwork` build. 300 sensors at 30 s hold 2.6 million; at 1 s, 77.8 million
 * (622 MB, and 4 times that as JSON, which ran out of memory) are refused.
 */
export const MAX_HISTORICAL_VALUES = 50_000_000;

/** An interval for messages: '30-s', '5-min'. */
function intervalLabel(intervalMinutes: number): string {
  return intervalMinutes >= 1 ? `${intervalMinutes}-min` : `${Number((intervalMinutes * 60).toPrecision(6))}-s`;
}

/**
 * E_INPUT_TOO_LARGE, before anything is allocated, when the historical average of `sensors` at
 * `intervalMinutes` would hold more than MAX_HISTORICAL_VALUES numbers; names the coarsest interval and
 * the most sensors that fit. `model` is the kind that needs the tables (for the message); `alternative`
 * another way out, if any.
 */
export function checkHistoricalAverageSize(intervalMinutes: number, sensors: number, model: string, alternative = ''): void {
  const slots = slotsPerDay(intervalMinutes);
  const values = 3 * slots * sensors;
  if (values <= MAX_HISTORICAL_VALUES) return;
  const maxSlots = Math.floor(MAX_HISTORICAL_VALUES / (3 * sensors));
  const maxSensors = Math.floor(MAX_HISTORICAL_VALUES / (3 * slots));
  // An interval of `seconds` has round(86400 / seconds) <= maxSlots slots.
  const seconds = maxSlots >= 1 ? Math.ceil(86_400 / maxSlots) : 0;
  const coarser =
    seconds === 0
      ? ''
      : `a coarser interval (at least ${seconds < 60 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`} for ${sensors} sensors: resampleToGrid) or `;
  throw new AppliedMLError(
    'E_INPUT_TOO_LARGE',
    `The '${model}' model keeps a historical average of ${slots} time-of-day slots (${intervalLabel(intervalMinutes)} steps) × ${sensors} sensors × 3 tables = ${values} numbers (${Math.round((values * 8) / 1e6)} MB); at most ${MAX_HISTORICAL_VALUES} (${(MAX_HISTORICAL_VALUES * 8) / 1e6} MB). Train on ${coarser}fewer sensors (at most ${maxSensors} at this interval: selectSensors)${alternative}.`,
    { details: { model, intervalMinutes, slotsPerDay: slots, sensors, values, max: MAX_HISTORICAL_VALUES } },
  );
}

/** A historical average over `cells` (table then pooled, 3 × slots × sensors numbers). */
export function historicalAverageOf(slots: number, sensors: number, cells: Float64Array): HistoricalAverage {
  return { slotsPerDay: slots, cells, table: cells.subarray(0, 2 * slots * sensors), pooled: cells.subarray(2 * slots * sensors) };
}

/**
 * What is wrong with stored tables, or null: every cell NaN (no reading) or a reading (finite, at most
 * MAX_READING in size), and each pooled cell what fitting makes of its weekday and weekend cells, a mean
 * of the two: NaN exactly when both are, and between them.
 */
export function findImplausibleHistoricalCell(ha: HistoricalAverage, sensors: number): string | null {
  const { cells, table, pooled, slotsPerDay: slots } = ha;
  for (let i = 0; i < cells.length; i++) {
    const v = cells[i] as number;
    if (!Number.isNaN(v) && !(Math.abs(v) <= MAX_READING))
      return `cell ${i} is ${v}, not a reading (finite, at most ${MAX_READING} in size)`;
  }
  for (let i = 0; i < pooled.length; i++) {
    const a = table[i] as number;
    const b = table[slots * sensors + i] as number;
    const p = pooled[i] as number;
    const lo = Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.min(a, b);
    const hi = Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b);
    // The pooled mean and the two table means are each rounded once: a margin of a few ulps.
    const margin = 1e-12 * Math.max(Math.abs(lo), Math.abs(hi));
    const slot = Math.floor(i / sensors);
    if (Number.isNaN(p) !== Number.isNaN(lo) || p < lo - margin || p > hi + margin)
      return `pooled cell ${i} (slot ${slot}, sensor ${i % sensors}) is ${p}, not the mean of its weekday (${a}) and weekend (${b}) cells`;
  }
  return null;
}

export function fitHistoricalAverage(series: TrafficSeries): HistoricalAverage | null {
  return runSync(fitHistoricalAverageWork(series));
}

/** `fitHistoricalAverage` as work that yields every STEPS_PER_YIELD steps (see work-turns). */
export function* fitHistoricalAverageWork(series: TrafficSeries): Work<HistoricalAverage | null> {
  if (series.start === null) return null;
  const n = series.sensors.length;
  const slots = slotsPerDay(series.intervalMinutes);
  const ha = historicalAverageOf(slots, n, new Float64Array(3 * slots * n));
  // Sums in `table` (then divided in place); a cell counts at most one reading a step.
  const sum = ha.table;
  const cnt = new Uint32Array(2 * slots * n);
  for (let t = 0; t < series.steps; t++) {
    if (t > 0 && t % STEPS_PER_YIELD === 0) yield;
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
  for (let slot = 0; slot < slots; slot++) {
    if (slot > 0 && slot % STEPS_PER_YIELD === 0) yield;
    for (let s = 0; s < n; s++) {
      const a = slot * n + s;
      const b = (slots + slot) * n + s;
      const c = (cnt[a] as number) + (cnt[b] as number);
      ha.pooled[a] = c > 0 ? ((sum[a] as number) + (sum[b] as number)) / c : NaN;
    }
  }
  for (let i = 0; i < sum.length; i++) {
    if (i > 0 && i % VALUES_PER_YIELD === 0) yield;
    sum[i] = (cnt[i] as number) > 0 ? (sum[i] as number) / (cnt[i] as number) : NaN;
  }
  return ha;
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
  return runSync(baselineForecastWork(kind, ctx));
}

/** `baselineForecast` as work that yields every WINDOWS_PER_YIELD windows (see work-turns). */
export function* baselineForecastWork(kind: BaselineKind, ctx: BaselineContext): Work<Float64Array> {
  const { series, starts, inputSteps, outputSteps, last, scaler, ha, season } = ctx;
  const n = series.sensors.length;
  const out = new Float64Array(starts.length * outputSteps * n);
  for (let b = 0; b < starts.length; b++) {
    if (b > 0 && b % WINDOWS_PER_YIELD === 0) yield;
    const s0 = starts[b] as number;
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
  }
  return out;
}
