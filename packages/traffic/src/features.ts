import type { TrafficSeries } from './series';

/**
 * Features per sensor and step fed to the neural models. The last two, the weekly phase (sin/cos of
 * the position in the week, which tells Monday from Friday), only with the forecaster's `dayOfWeek`
 * option; without it the models see the first five.
 */
export const NODE_FEATURES = [
  'speed (scaled)',
  'observed',
  'time-of-day sin',
  'time-of-day cos',
  'weekend',
  'day-of-week sin',
  'day-of-week cos',
] as const;
export const FEATURE_COUNT = NODE_FEATURES.length;

/** Features the neural models see: all of them, or without the weekly phase (older bundles). */
export function featureCount(dayOfWeek: boolean): number {
  return dayOfWeek ? FEATURE_COUNT : FEATURE_COUNT - 2;
}

const DAY_MS = 86_400_000;

/** Fraction of the day (0..1), the weekday (0 = Sunday) and whether it is Saturday/Sunday, on the series' own clock (UTC fields). */
export function clockAt(
  start: number | null,
  intervalMinutes: number,
  step: number,
): { dayFraction: number; weekend: boolean; weekday: number } | null {
  if (start === null) return null;
  const ms = start + step * intervalMinutes * 60_000;
  const d = new Date(ms);
  const weekday = d.getUTCDay();
  return { dayFraction: (((ms % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS, weekend: weekday === 0 || weekday === 6, weekday };
}

/**
 * Time features for one step: [time-of-day sin, cos, weekend] and, with `dayOfWeek`, [week-phase sin,
 * cos] where the phase runs continuously from Sunday 00:00 to Saturday 24:00. Zeros for a series
 * without clock.
 */
export function timeFeatures(series: Pick<TrafficSeries, 'start' | 'intervalMinutes'>, step: number, dayOfWeek = false): number[] {
  const c = clockAt(series.start, series.intervalMinutes, step);
  if (!c) return dayOfWeek ? [0, 0, 0, 0, 0] : [0, 0, 0];
  const angle = 2 * Math.PI * c.dayFraction;
  const day = [Math.sin(angle), Math.cos(angle), c.weekend ? 1 : 0];
  if (!dayOfWeek) return day;
  const week = (2 * Math.PI * (c.weekday + c.dayFraction)) / 7;
  return [...day, Math.sin(week), Math.cos(week)];
}
