import { describe, expect, it } from 'vitest';
import { createSeries, readingStride } from './index';

// readingStride is exported (the demo had its own copy of the SDK's check, duplicates D3): steps between
// readings when every sensor reads only on every k-th step, else 1.
describe('readingStride', () => {
  const rows = (steps: number, every: number[]): Array<Array<number | null>> =>
    Array.from({ length: steps }, (_, t) => every.map((k, s) => (t % k === 0 ? 50 + s + t : null)));

  it('is the common step between readings of every sensor', () => {
    expect(readingStride(createSeries({ values: rows(24, [3, 3]), intervalMinutes: 5 }))).toBe(3);
    expect(readingStride(createSeries({ values: rows(24, [2, 4]), intervalMinutes: 5 }))).toBe(2);
  });

  it('is 1 for complete data and as soon as any two readings are one step apart', () => {
    expect(readingStride(createSeries({ values: rows(12, [1, 1]), intervalMinutes: 5 }))).toBe(1);
    expect(readingStride(createSeries({ values: rows(24, [3, 1]), intervalMinutes: 5 }))).toBe(1);
  });
});
