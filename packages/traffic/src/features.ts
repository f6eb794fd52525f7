import type { TrafficSeries } from './series';
import { localWallMs } from './time-zone';

/** Features per sensor and step fed to the neural models (the default set). */
export const NODE_FEATURES = ['speed (scaled)', 'observed', 'time-of-day sin', 'time-of-day cos', 'weekend'] as const;
/** The default models' feature count (`NODE_FEATURES.length`). */
export const FEATURE_COUNT = NODE_FEATURES.length;
/** Added after NODE_FEATURES with the forecaster's `dayOfWeek` option: the position in the week. */
export const WEEKLY_FEATURES = ['day-of-week sin', 'day-of-week cos'] as const;

/** The features the neural models see, with or without the weekly phase. */
export function featureNames(dayOfWeek: boolean): string[] {
  return dayOfWeek ? [...NODE_FEATURES, ...WEEKLY_FEATURES] : [...NODE_FEATURES];
}

/** How many features the neural models see, with or without the weekly phase. */
export function featureCount(dayOfWeek: boolean): number {
  return FEATURE_COUNT + (dayOfWeek ? WEEKLY_FEATURES.length : 0);
}

const DAY_MS = 86_400_000;

/**
 * Fraction of the day (0..1), the weekday (0 = Sunday) and whether it is Saturday/Sunday, on the series'
 * own clock: the local time of `timeZone` when the series has one, else its UTC fields.
 */
export function clockAt(
  start: number | null,
  intervalMinutes: number,
  step: number,
  timeZone?: string,
): { dayFraction: number; weekend: boolean; weekday: number } | null {
  if (start === null) return null;
  const instant = start + step * intervalMinutes * 60_000;
  const ms = timeZone ? localWallMs(timeZone, instant) : instant;
  const d = new Date(ms);
  const weekday = d.getUTCDay();
  return { dayFraction: (((ms % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS, weekend: weekday === 0 || weekday === 6, weekday };
}

/**
 * Time features for one step: [time-of-day sin, cos, weekend] and, with `dayOfWeek`, [week-phase sin,
 * cos] where the phase runs continuously from Sunday 00:00 to Saturday 24:00. Zeros for a series
 * without clock.
 */
export function timeFeatures(
  series: Pick<TrafficSeries, 'start' | 'intervalMinutes' | 'timeZone'>,
  step: number,
  dayOfWeek = false,
): number[] {
  const c = clockAt(series.start, series.intervalMinutes, step, series.timeZone);
  if (!c) return dayOfWeek ? [0, 0, 0, 0, 0] : [0, 0, 0];
  const angle = 2 * Math.PI * c.dayFraction;
  const day = [Math.sin(angle), Math.cos(angle), c.weekend ? 1 : 0];
  if (!dayOfWeek) return day;
  const week = (2 * Math.PI * (c.weekday + c.dayFraction)) / 7;
  return [...day, Math.sin(week), Math.cos(week)];
}
