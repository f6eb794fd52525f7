import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { createAdjacency } from './adjacency';
import { TrafficForecaster } from './forecaster';
import { IncidentMonitor } from './incident-monitor';
import { createSeries, selectSensors, sliceSeries, splitSeries } from './series';
import { generateTrafficNetwork } from './synthetic';
import { expectCode, resealBundle, type BundleJson as Json } from './test-helpers';

// Found by a first-hour review of the SDK: manifest values a forecast depends on, a sensor order that
// scored silently, readings closer than one interval, an incident monitor without range checks.
const net = generateTrafficNetwork({ sensors: 4, corridorLength: 2, days: 3, incidents: 1, seed: 11 });
const { train, test } = splitSeries(net.series, 0.8);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'traffic-review-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function saved(kind: 'ridge' | 'historical-average' | 'gru'): Promise<string> {
  const model = TrafficForecaster.create({ model: kind, hiddenUnits: 4 });
  await model.train(train, { epochs: 1 });
  const path = join(dir, `${kind}-${Math.random().toString(36).slice(2)}`);
  await model.save(path);
  model.dispose();
  return path;
}

describe('TrafficForecaster.load checks the values a forecast depends on', () => {
  const cases: [string, 'ridge' | 'historical-average' | 'gru', (m: Json) => void][] = [
    ['interval a string', 'historical-average', (m) => (m.preprocessing.intervalMinutes = 'abc')],
    ['interval 0', 'historical-average', (m) => (m.preprocessing.intervalMinutes = 0)],
    ['scaler sd 0', 'gru', (m) => (m.preprocessing.scaler.std[0] = 0)],
    ['scaler mean huge', 'gru', (m) => (m.preprocessing.scaler.mean[0] = 1e308)],
    ['historical average not a table', 'historical-average', (m) => (m.preprocessing.ha.table = 5)],
    ['historical average naming another file', 'ridge', (m) => (m.preprocessing.ha.file = 'ridge.f64')],
    ['slots per day 0', 'ridge', (m) => (m.preprocessing.ha.slotsPerDay = 0)],
    ['duplicate sensor ids', 'historical-average', (m) => (m.labels[1] = m.labels[0])],
    ['horizons edited after training', 'gru', (m) => (m.config.horizons = [3])],
    ['inputSteps edited after training', 'gru', (m) => (m.config.inputSteps = 6)],
  ];
  for (const [name, kind, change] of cases) {
    it(`${name}: E_BUNDLE_CORRUPT`, async () => {
      const path = await saved(kind);
      await TrafficForecaster.load(path).then((m) => m.dispose());
      await resealBundle(path, { manifest: change });
      await expectCode(() => TrafficForecaster.load(path), 'E_BUNDLE_CORRUPT');
    });
  }
});

describe('series, stream and monitor checks', () => {
  it('evaluate refuses sensors in another order; train refuses a hand-built series whose values do not fit', async () => {
    const model = TrafficForecaster.create({ model: 'historical-average' });
    await model.train(train);
    const reordered = selectSensors(test, [3, 2, 1, 0]);
    const err = await model.evaluate(reordered).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(err, 'E_INPUT_INVALID'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/Sensor 0 of the series/);
    await expectCode(() => model.train({ ...train, steps: train.steps * 2 }), 'E_SHAPE_MISMATCH');
    model.dispose();
  });

  it('update refuses a reading in the same interval slot as the previous one (it shifted the clock)', async () => {
    const model = TrafficForecaster.create({ model: 'historical-average' });
    await model.train(train);
    const t0 = test.start! + 10 * 5 * 60_000;
    model.update({ values: [60, 60, 60, 60], time: t0 });
    await expectCode(() => model.update({ values: [60, 60, 60, 60], time: t0 + 60_000 }), 'E_INPUT_INVALID');
    expect(model.bufferedSteps).toBe(1);
    model.update({ values: [60, 60, 60, 60], time: t0 + 5 * 60_000 });
    expect(model.bufferedSteps).toBe(2);
    model.dispose();
  });

  it('the incident monitor refuses readings that are not numbers or over 1e12 in size; NaN is missing', () => {
    const monitor = new IncidentMonitor({ sensors: ['a', 'b'] });
    for (const bad of [1e13, 1.7e308, Infinity, '5']) {
      expect(() => monitor.observe({ observed: [bad as number, 50], expected: [50, 50] }), String(bad)).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID' }),
      );
      expect(() => monitor.observe({ observed: [50, 50], expected: [bad as number, 50] })).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID' }),
      );
    }
    expect(monitor.observe({ observed: [Number.NaN, 50], expected: [50, 50] })).toEqual([]);
  });

  it('an adjacency row that is not a row, and an adjacency of another size for a non-graph model, are typed errors', async () => {
    await expectCode(() => createAdjacency([[0, 1], null] as never), 'E_SHAPE_MISMATCH');
    const model = TrafficForecaster.create({ model: 'gru', hiddenUnits: 4 });
    await expectCode(
      () =>
        model.train(train, {
          epochs: 1,
          adjacency: createAdjacency([
            [0, 1],
            [1, 0],
          ]),
        }),
      'E_SHAPE_MISMATCH',
    );
    model.dispose();
  });

  it('a model trained on a series with an empty sensor id (createSeries accepts one) saves and loads', async () => {
    const renamed = { ...train, sensors: ['', ...train.sensors.slice(1)] };
    const model = TrafficForecaster.create({ model: 'ridge' });
    await model.train(renamed);
    const path = join(dir, 'empty-id');
    await model.save(path);
    const loaded = await TrafficForecaster.load(path);
    expect(loaded.sensors).toEqual(renamed.sensors);
    loaded.dispose();
    model.dispose();
  });
});

// Found by a second first-hour review: a series' missing-value marker was forgotten after reading the file.
describe('missingValue travels from the series to the model and its bundle', () => {
  it("update and predict read the training series' missingValue as missing, after save → load too", async () => {
    const n = net.series.sensors.length;
    // The same readings with broken detectors reporting 0 instead of NaN.
    const zeros = Float64Array.from(train.values, (v, i) => (i % 37 === 0 ? 0 : v));
    const marked = createSeries({
      values: zeros,
      sensors: train.sensors,
      intervalMinutes: train.intervalMinutes,
      start: train.start!,
      missingValue: 0,
    });
    expect(marked.missingValue).toBe(0);
    expect(sliceSeries(marked, 10).missingValue).toBe(0);
    const model = TrafficForecaster.create({ model: 'ridge' });
    await model.train(marked);
    expect(model.missingValue).toBe(0);
    const rows = Array.from({ length: 12 }, (_, t) => Array.from(test.values.subarray(t * n, (t + 1) * n)));
    const end = test.start! + 11 * test.intervalMinutes * 60_000;
    const withZero = rows.map((r, t) => (t === 11 ? r.map((v, s) => (s === 1 ? 0 : v)) : r));
    const withNaN = rows.map((r, t) => (t === 11 ? r.map((v, s) => (s === 1 ? NaN : v)) : r));
    const a = await model.predict({ values: withZero, end });
    expect(a).toEqual(await model.predict({ values: withNaN, end }));
    // A 0 is not a reading: without the marker the forecast for that sensor drops towards it.
    const plain = TrafficForecaster.create({ model: 'ridge' });
    await plain.train({ ...marked, missingValue: undefined } as never);
    expect(plain.missingValue).toBeUndefined();
    expect((await plain.predict({ values: withZero, end })).steps[0]!.values[1]).toBeLessThan(a.steps[0]!.values[1]! - 5);
    const path = join(dir, `missing-${Math.random().toString(36).slice(2)}`);
    await model.save(path);
    const loaded = await TrafficForecaster.load(path);
    expect(loaded.missingValue).toBe(0);
    withZero.forEach((r, t) => loaded.update({ values: r, time: end - (11 - t) * test.intervalMinutes * 60_000 }));
    expect(await loaded.forecast()).toEqual(a);
    await resealBundle(path, {
      manifest: (m) => {
        m.preprocessing.missingValue = 'zero';
      },
    });
    await expectCode(() => TrafficForecaster.load(path), 'E_BUNDLE_CORRUPT');
    for (const m of [model, plain, loaded]) m.dispose();
  });

  it('the incident monitor skips a missingValue reading like NaN; a misspelt option is refused', () => {
    const sensors = ['a'];
    const run = (monitor: IncidentMonitor, last: number) => {
      for (let t = 0; t < 30; t++) monitor.observe({ observed: [60 + (t % 3)], expected: [61] });
      return [0, 1, 2, 3].flatMap(() => monitor.observe({ observed: [last], expected: [61] }));
    };
    expect(run(new IncidentMonitor({ sensors }), 0).map((e) => e.type)).toEqual(['raised']);
    expect(run(new IncidentMonitor({ sensors, missingValue: 0 }), 0)).toEqual([]);
    expect(() => new IncidentMonitor({ sensors, missingvalue: 0 } as never)).toThrow(/missingvalue/);
    expect(() => new IncidentMonitor({ sensors, missingValue: NaN })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
  });
});

describe('forecasts and metrics say what they rest on', () => {
  it('a forecast names the sensors with no reading in its input window; metrics say how steps were pooled', async () => {
    const n = net.series.sensors.length;
    const model = TrafficForecaster.create({ model: 'ridge' });
    await model.train(train);
    const rows = Array.from({ length: 14 }, (_, t) => Array.from(test.values.subarray(t * n, (t + 1) * n)));
    const end = test.start! + 13 * test.intervalMinutes * 60_000;
    expect((await model.predict({ values: rows, end })).unobserved).toEqual([]);
    // Sensor 2 dark for the last 12 rows (the window); its reading two rows before the window does not count.
    const dark = rows.map((r, t) => (t >= 2 ? r.map((v, s) => (s === 2 ? NaN : v)) : r));
    const f = await model.predict({ values: dark, end });
    expect(f.unobserved).toEqual([net.series.sensors[2]]);
    expect(f.steps[0]!.values.every(Number.isFinite)).toBe(true);
    const { horizons } = await model.evaluate(test);
    expect(horizons.every((h) => h.pooling === 'cumulative')).toBe(true);
    expect((await model.evaluate(test, { pooling: 'step' })).horizons.map((h) => h.pooling)).toEqual(horizons.map(() => 'step'));
    model.dispose();
  });
});

describe('an alert whose sensor goes dark', () => {
  it('stays open by default; with clearAfterMissing it clears after that many steps without a reading, saying why', () => {
    const feed = (monitor: IncidentMonitor): string[] => {
      const types: string[] = [];
      for (let t = 0; t < 30; t++) monitor.observe({ observed: [60 + (t % 3)], expected: [61] });
      for (let t = 0; t < 3; t++) types.push(...monitor.observe({ observed: [20], expected: [61] }).map((e) => e.type));
      for (let t = 0; t < 6; t++)
        types.push(...monitor.observe({ observed: [NaN], expected: [61] }).map((e) => `${e.type}:${e.reason ?? ''}`));
      return types;
    };
    expect(feed(new IncidentMonitor({ sensors: ['a'] }))).toEqual(['raised']);
    const monitor = new IncidentMonitor({ sensors: ['a'], clearAfterMissing: 4 });
    expect(feed(monitor)).toEqual(['raised', 'cleared:no-data']);
    expect(monitor.active).toEqual([]);
    expect(() => new IncidentMonitor({ sensors: ['a'], clearAfterMissing: 0 })).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID' }),
    );
  });
});
