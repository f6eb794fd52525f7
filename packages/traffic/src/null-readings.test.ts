import { initEngine } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrafficForecaster } from './forecaster';
import { IncidentMonitor } from './incident-monitor';
import { createSeries } from './series';
import { expectCode } from './test-helpers';

// A JSON service cannot send NaN (JSON.stringify writes it as null), and predict, update, the incident
// monitor and createSeries refused null: "null is not a reading". null is a missing reading now, as a
// 'null' cell is in the CSV readers; undefined and other values are still refused.

const rows = Array.from({ length: 60 }, (_, t) => [50 + Math.sin(t / 5), 40 + Math.cos(t / 3)]);
const END = '2026-01-05T00:15:00Z';
let model: TrafficForecaster;

beforeAll(async () => {
  await initEngine();
  model = TrafficForecaster.create({ model: 'window-mean', inputSteps: 4, horizons: [1, 2] });
  await model.train(createSeries({ values: rows, sensors: ['a', 'b'], intervalMinutes: 5, start: '2026-01-05T00:00:00Z' }));
});

/** The rows as a JSON service receives them: NaN becomes null. */
const overJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('null is a missing reading', () => {
  it('predict: null answers as NaN does (a sensor with only nulls is unobserved)', async () => {
    const window = [
      [NaN, 40],
      [51, NaN],
      [NaN, 41],
      [52, 42],
    ];
    const withNaN = await model.predict({ values: window, end: END });
    const withNull = await model.predict(overJson({ values: window, end: END }));
    expect(overJson(window)[0]).toEqual([null, 40]);
    expect(withNull).toEqual(withNaN);
    const dark = await model.predict({ values: window.map((r) => [null, r[1] as number]), end: END });
    expect(dark.unobserved).toEqual(['a']);
    // Still refused: undefined, a string, a number past the bound.
    for (const bad of [undefined, 'NaN', 3e12]) {
      const e = await expectCode(() => model.predict({ values: [...window.slice(0, 3), [bad as never, 1]], end: END }), 'E_INPUT_INVALID');
      expect(e.message).toMatch(/is not a reading \(finite, at most 1000000000000 in size; NaN or null for missing\)\.$/);
    }
  });

  it('update: a null reading is missing, the same stream as with NaN', async () => {
    const feed = [
      [50, 40],
      [NaN, 41],
      [52, NaN],
      [53, 43],
    ];
    const streamed = async (values: Array<Array<number | null>>) => {
      model.resetStream();
      values.forEach((row, t) => model.update({ values: row, time: Date.parse(END) - (3 - t) * 300_000 }));
      return model.forecast();
    };
    const withNaN = await streamed(feed);
    expect(await streamed(overJson(feed))).toEqual(withNaN);
    // The bare-array form too.
    model.resetStream();
    model.update([null, 40]);
    expect(model.bufferedSteps).toBe(1);
  });

  it('the incident monitor: null in observed or expected is skipped like NaN, and counts toward clearAfterMissing', () => {
    const run = (missing: number | null) => {
      const monitor = new IncidentMonitor({ sensors: ['a', 'b'], minHistory: 3, persistence: 1, threshold: 3, clearAfterMissing: 2 });
      const events = [];
      for (let t = 0; t < 20; t++) events.push(...monitor.observe({ observed: [50 + (t % 3), 40], expected: [50, 40] }));
      events.push(...monitor.observe({ observed: [10, 40], expected: [50, 40] })); // a jam: raised
      events.push(...monitor.observe({ observed: [missing, 40], expected: [50, missing] }));
      events.push(...monitor.observe({ observed: [10, 40], expected: [missing, 40] })); // second step without data: cleared
      return events.map((e) => `${e.type} ${e.alert.sensor} ${e.type === 'cleared' ? e.reason : ''}`);
    };
    expect(run(NaN)).toEqual(['raised a ', 'cleared a no-data']);
    expect(run(null)).toEqual(run(NaN));
  });

  it('createSeries: null in rows is a missing reading, as a null cell is in the CSV readers', () => {
    const withNull = createSeries({
      values: [
        [1, null],
        [null, 2],
        [3, 4],
      ],
      intervalMinutes: 5,
    });
    expect(Array.from(withNull.values)).toEqual([1, NaN, NaN, 2, 3, 4]);
    // A sensor with nothing but nulls has no reading at all, as with NaN.
    expect(() =>
      createSeries({
        values: [
          [1, null],
          [2, null],
        ],
        intervalMinutes: 5,
      }),
    ).toThrow(/no reading/);
  });
});
