import { describe, expect, it } from 'vitest';
import { clockAt, FEATURE_COUNT, featureCount, featureNames, NODE_FEATURES, timeFeatures } from './features';

const clock = { start: Date.UTC(2012, 2, 5, 0, 0), intervalMinutes: 5 }; // Monday 5 March 2012, 00:00 UTC
const stepsPerDay = 288;

describe('time features', () => {
  it('names every feature the models see, with and without the weekly phase', () => {
    expect(NODE_FEATURES).toHaveLength(FEATURE_COUNT);
    expect(FEATURE_COUNT).toBe(5);
    expect(featureCount(true)).toBe(7);
    expect(featureCount(false)).toBe(5);
    expect(featureNames(true).slice(5)).toEqual(['day-of-week sin', 'day-of-week cos']);
    expect(featureNames(false)).toEqual([...NODE_FEATURES]);
  });

  it('tells weekdays apart at the same time of day, and wraps smoothly from Saturday to Sunday', () => {
    const at = (day: number, hour: number): number[] => timeFeatures(clock, day * stepsPerDay + hour * 12, true);
    const monday = at(0, 8);
    const friday = at(4, 8);
    expect(monday.slice(0, 3)).toEqual(friday.slice(0, 3)); // same time of day, both weekdays
    expect(Math.hypot((monday[3] as number) - (friday[3] as number), (monday[4] as number) - (friday[4] as number))).toBeGreaterThan(1);
    for (const f of [monday, friday]) expect(Math.hypot(f[3] as number, f[4] as number)).toBeCloseTo(1, 12);
    // Saturday 23:55 and Sunday 00:00 are one step apart on the weekly circle.
    const sat = timeFeatures(clock, 6 * stepsPerDay - 1, true);
    const sun = timeFeatures(clock, 6 * stepsPerDay, true);
    expect(clockAt(clock.start, 5, 6 * stepsPerDay)?.weekday).toBe(0);
    expect(Math.hypot((sat[3] as number) - (sun[3] as number), (sat[4] as number) - (sun[4] as number))).toBeLessThan(0.01);
    expect(sat[2]).toBe(1);
    expect(sun[2]).toBe(1);
  });

  it('is three features without the weekly phase and zeros without a clock', () => {
    expect(timeFeatures(clock, 100)).toHaveLength(3);
    expect(timeFeatures({ start: null, intervalMinutes: 5 }, 3, true)).toEqual([0, 0, 0, 0, 0]);
    expect(timeFeatures({ start: null, intervalMinutes: 5 }, 3)).toEqual([0, 0, 0]);
  });
});
