import { describe, expect, it } from 'vitest';
import { resampleToGrid } from './read-csv';
import { createSeries, MAX_EPOCH_MS, sliceSeries, splitSeries, type TrafficSeries } from './series';
import { expectCode } from './test-helpers';

// A series' start was held to what a Date holds (less ten days), its end was not: 600 hourly steps from
// 11 days before the limit made a series whose slices started at no date (train then said "start must
// be epoch milliseconds or null; got 8640000129600000"), and whose last steps' time features came from
// no date. The last step is held to the same bound now.

const hour = 3_600_000;
const rows = (steps: number): number[][] => Array.from({ length: steps }, (_, t) => [50 + Math.sin(t / 10), 40]);

describe("a series' last step is held to the bound of its start", () => {
  it('createSeries refuses a series that ends past it, naming start, steps and interval', async () => {
    const start = MAX_EPOCH_MS - 11 * 24 * hour;
    const e = await expectCode(
      () => createSeries({ values: rows(600), sensors: ['a', 'b'], intervalMinutes: 60, start }),
      'E_INPUT_INVALID',
    );
    expect(e.message).toBe(
      `The series ends past the latest time a series can hold (${new Date(MAX_EPOCH_MS).toISOString()}): 600 steps of 60 min from ${new Date(start).toISOString()}; check start and intervalMinutes.`,
    );
    expect(e.details).toEqual({ field: 'start', start, steps: 600, intervalMinutes: 60 });
    // Ending on the bound itself is fine.
    const last = createSeries({ values: rows(265), sensors: ['a', 'b'], intervalMinutes: 60, start });
    expect(last.start! + (last.steps - 1) * hour).toBe(MAX_EPOCH_MS);
    expect(sliceSeries(last, 264).start).toBe(MAX_EPOCH_MS);
  });

  it('a hand-built series that ends past it is refused by the functions that check a series', async () => {
    const start = MAX_EPOCH_MS - 11 * 24 * hour;
    const handBuilt: TrafficSeries = {
      sensors: ['a', 'b'],
      steps: 600,
      intervalMinutes: 60,
      start,
      values: Float64Array.from(rows(600).flat()),
    };
    for (const call of [() => sliceSeries(handBuilt, 300), () => splitSeries(handBuilt)]) {
      const e = await expectCode(call, 'E_INPUT_INVALID');
      expect(e.message).toMatch(/: the series ends past the latest time a series can hold/);
    }
  });

  it('resampleToGrid refuses times whose last one is past it', async () => {
    const e = await expectCode(
      () => resampleToGrid(Float64Array.from([MAX_EPOCH_MS - hour, MAX_EPOCH_MS + hour]), Float64Array.from([1, 2]), ['a'], 60),
      'E_INPUT_INVALID',
    );
    expect(e.details).toMatchObject({ field: 'start', steps: 3 });
  });
});
