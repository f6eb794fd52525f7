import type { TrafficSeries } from './series';

/** Features per sensor and step fed to the neural models. */
export const NODE_FEATURES = ['speed (scaled)', 'observed', 'time-of-day sin', 'time-of-day cos', 'weekend'] as const;
export const FEATURE_COUNT = NODE_FEATURES.length;

const DAY_MS = 86_400_000;

/** Fraction of the day (0..1) and whether the day is Saturday/Sunday, read on the series' own clock (UTC fields). */
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

/** Time features [sin, cos, weekend] for one step; zeros for a series without clock. */
export function timeFeatures(series: Pick<TrafficSeries, 'start' | 'intervalMinutes'>, step: number): [number, number, number] {
  const c = clockAt(series.start, series.intervalMinutes, step);
  if (!c) return [0, 0, 0];
  const angle = 2 * Math.PI * c.dayFraction;
  return [Math.sin(angle), Math.cos(angle), c.weekend ? 1 : 0];
}
