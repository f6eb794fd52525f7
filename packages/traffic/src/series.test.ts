import { describe, expect, it } from 'vitest';
import { createSeries, selectSensors, sliceSeries, splitSeries } from './series';
import { expectCode } from './test-helpers';

describe('createSeries', () => {
  it('reads rows, marks missingValue readings as NaN and keeps the clock', () => {
    const s = createSeries({
      values: [
        [50, 0],
        [51, 40],
        [NaN, 41],
      ],
      sensors: ['a', 'b'],
      intervalMinutes: 5,
      start: '2026-01-05T00:00:00Z',
      missingValue: 0,
    });
    expect(s.steps).toBe(3);
    expect(Number.isNaN(s.values[1]!)).toBe(true);
    expect(Number.isNaN(s.values[4]!)).toBe(true);
    expect(s.values[3]).toBe(40);
    expect(s.start).toBe(Date.parse('2026-01-05T00:00:00Z'));
  });

  it('rejects ragged rows, infinities, all-missing sensors and bad ids with typed errors', async () => {
    await expectCode(() => createSeries({ values: [[1, 2], [3]], intervalMinutes: 5 }), 'E_INPUT_INVALID');
    await expectCode(() => createSeries({ values: [[1, Infinity]], intervalMinutes: 5 }), 'E_INPUT_INVALID');
    const e = await expectCode(
      () =>
        createSeries({
          values: [
            [1, NaN],
            [2, NaN],
          ],
          sensors: ['a', 'dead'],
          intervalMinutes: 5,
        }),
      'E_INPUT_INVALID',
    );
    expect(e.details.sensors).toEqual(['dead']);
    await expectCode(() => createSeries({ values: [[1, 2]], sensors: ['a'], intervalMinutes: 5 }), 'E_SHAPE_MISMATCH');
    await expectCode(() => createSeries({ values: [[1, 2]], sensors: ['a', 'a'], intervalMinutes: 5 }), 'E_INPUT_INVALID');
    await expectCode(() => createSeries({ values: [[1]], intervalMinutes: 0 }), 'E_INPUT_INVALID');
    await expectCode(() => createSeries({ values: [], intervalMinutes: 5 }), 'E_INPUT_INVALID');
    await expectCode(() => createSeries({ values: new Float64Array(5), sensors: 2, intervalMinutes: 5 }), 'E_SHAPE_MISMATCH');
  });

  it('slices, selects and splits chronologically (80/20 of 2016 steps is 1612 / 404)', () => {
    const values = new Float64Array(2016 * 2).map((_, i) => i);
    const s = createSeries({ values, sensors: ['a', 'b'], intervalMinutes: 5, start: 0 });
    const { train, test, testStart } = splitSeries(s, 0.8);
    expect([train.steps, test.steps, testStart]).toEqual([1612, 404, 1612]);
    expect(test.start).toBe(1612 * 5 * 60_000);
    expect(test.values[0]).toBe(1612 * 2);
    const b = selectSensors(sliceSeries(s, 10, 12), ['b']);
    expect(Array.from(b.values)).toEqual([21, 23]);
  });
});
