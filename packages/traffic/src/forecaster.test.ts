import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, initEngine, tf } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdjacency } from './adjacency';
import { TrafficForecaster } from './forecaster';
import { sliceSeries, splitSeries } from './series';
import { generateTrafficNetwork } from './synthetic';
import { expectCode } from './test-helpers';

/**
 * A saved manifest as an editor sees it, without its own checksum (`manifestSha256`): what an earlier
 * version or another tool writes, so the loader's checks of the values themselves are what is tested.
 */
function unsealedManifest(text: string): any {
  const manifest = JSON.parse(text) as { manifestSha256?: string };
  delete manifest.manifestSha256;
  return manifest;
}

const net = generateTrafficNetwork({ sensors: 6, corridorLength: 3, days: 3, incidents: 2, seed: 3 });
const { train, testStart } = splitSeries(net.series, 0.8);
const rows = (from: number, to: number): number[][] =>
  Array.from({ length: to - from }, (_, k) => Array.from(net.series.values.subarray((from + k) * 6, (from + k + 1) * 6)));
const timeOf = (step: number): number => net.series.start! + step * 5 * 60_000;

let dir: string;
let model: TrafficForecaster;

beforeAll(async () => {
  await initEngine();
  dir = await mkdtemp(join(tmpdir(), 'traffic-'));
  model = TrafficForecaster.create({ model: 'tgcn', hiddenUnits: 8, seed: 5 });
});

afterAll(async () => {
  model.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('TrafficForecaster lifecycle', () => {
  it('refuses to predict before training and rejects bad configs', async () => {
    expect(model.isTrained).toBe(false);
    await expectCode(() => model.predict({ values: rows(0, 12), end: timeOf(11) }), 'E_MODEL_NOT_TRAINED');
    await expectCode(() => TrafficForecaster.create({ model: 'arima' as never }), 'E_INPUT_INVALID');
    await expectCode(() => TrafficForecaster.create({ horizons: [] }), 'E_INPUT_INVALID');
    await expectCode(() => TrafficForecaster.create({ inputSteps: 0 }), 'E_INPUT_INVALID');
  });

  it('rejects a missing or mismatched adjacency and a series shorter than one window', async () => {
    const m = TrafficForecaster.create({ model: 'tgcn', hiddenUnits: 4 });
    await expectCode(() => m.train(train, { epochs: 1 }), 'E_INPUT_INVALID');
    await expectCode(
      () =>
        m.train(train, {
          epochs: 1,
          adjacency: createAdjacency([
            [1, 0],
            [0, 1],
          ]),
        }),
      'E_SHAPE_MISMATCH',
    );
    const e = await expectCode(() => m.train(sliceSeries(train, 0, 20), { epochs: 1, adjacency: net.adjacency }), 'E_INPUT_INVALID');
    expect(e.details.needed).toBeGreaterThan(20);
    m.dispose();
  });

  it('trains without leaking tensors and predicts every step ahead', async () => {
    const before = tf.memory().numTensors;
    const report = await model.train(train, { adjacency: net.adjacency, epochs: 2, batchSize: 64 });
    // The trained network's weights are the only tensors left.
    const weights = tf.memory().numTensors - before;
    expect(weights).toBeGreaterThan(0);
    expect(weights).toBeLessThan(20);
    expect(report.trainWindows).toBeGreaterThan(100);
    expect(report.validation.map((h) => h.minutes)).toEqual([15, 30, 45, 60]);
    expect(report.history.length).toBe(2);

    const input = { values: rows(testStart, testStart + 12), end: timeOf(testStart + 11) };
    const settled = tf.memory().numTensors;
    const f = await model.predict(input);
    expect(tf.memory().numTensors).toBe(settled);
    expect(f.steps).toHaveLength(12);
    expect(f.steps[0]!.values).toHaveLength(6);
    expect(f.steps[2]!.minutes).toBe(15);
    expect(f.steps[0]!.time).toBe(new Date(timeOf(testStart + 12)).toISOString());
    for (const step of f.steps) for (const v of step.values) expect(Number.isFinite(v)).toBe(true);
    const ev = await model.evaluate(net.series, { fromStep: testStart });
    expect(tf.memory().numTensors).toBe(settled);
    expect(ev.horizons[0]!.windows).toBe(net.series.steps - testStart - 12 - 3);
  });

  it('checks predict inputs', async () => {
    await expectCode(() => model.predict({ values: rows(0, 5), end: timeOf(4) }), 'E_INPUT_INVALID');
    await expectCode(() => model.predict({ values: rows(0, 12).map((r) => r.slice(1)), end: timeOf(11) }), 'E_SHAPE_MISMATCH');
    await expectCode(() => model.predict({ values: rows(0, 12) }), 'E_INPUT_INVALID');
  });

  it('streams: update then forecast equals predict on the same window, with bounded memory', async () => {
    const m = TrafficForecaster.create({ model: 'last-value' });
    await m.train(train);
    await expectCode(() => m.forecast(), 'E_INPUT_INVALID');
    m.dispose();
    for (let t = testStart; t < testStart + 40; t++) model.update({ values: rows(t, t + 1)[0]!, time: timeOf(t) });
    expect(model.bufferedSteps).toBe(12);
    const streamed = await model.forecast();
    const direct = await model.predict({ values: rows(testStart + 28, testStart + 40), end: timeOf(testStart + 39) });
    expect(streamed).toEqual(direct);
    await expectCode(() => model.update({ values: rows(0, 1)[0]!, time: timeOf(testStart) }), 'E_INPUT_INVALID');
    await expectCode(() => model.update([1, 2]), 'E_SHAPE_MISMATCH');
  });

  it('saves and loads to identical forecasts; a corrupted bundle is E_BUNDLE_CORRUPT', async () => {
    const input = { values: rows(testStart + 50, testStart + 62), end: timeOf(testStart + 61) };
    const before = await model.predict(input);
    const path = join(dir, 'tgcn');
    await model.save(path);
    const loaded = await TrafficForecaster.load(path);
    expect(loaded.isTrained).toBe(true);
    expect(await loaded.predict(input)).toEqual(before);
    expect(await loaded.predictBatch([input, input])).toEqual([before, before]);
    expect(loaded.sensors).toEqual(net.series.sensors);
    loaded.dispose();
    expect(loaded.isTrained).toBe(false);
    await expectCode(() => loaded.predict(input), 'E_MODEL_DISPOSED');

    const weights = join(path, 'main.weights.bin');
    const bytes = await readFile(weights);
    bytes[10] = (bytes[10]! + 1) % 256;
    await writeFile(weights, bytes);
    await expectCode(() => TrafficForecaster.load(path), 'E_BUNDLE_CORRUPT');
    await expectCode(() => TrafficForecaster.load(join(dir, 'nothing')), 'E_BUNDLE_MISSING');
  });

  it('trains the GRU and LSTM over all sensors; train + dispose leaves no tensor behind', async () => {
    for (const kind of ['gru', 'lstm'] as const) {
      const before = tf.memory().numTensors;
      const m = TrafficForecaster.create({ model: kind, hiddenUnits: 8, seed: 2 });
      const report = await m.train(train, { epochs: 1, batchSize: 64 });
      expect(report.validation[0]!.rmse).toBeGreaterThan(0);
      const f = await m.predict({ values: rows(testStart, testStart + 12), end: timeOf(testStart + 11) });
      expect(f.steps[11]!.values.every(Number.isFinite)).toBe(true);
      m.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('feeds the weekly phase on request; a bundle saved before the option existed loads without it', async () => {
    expect(model.config.dayOfWeek).toBe(false);
    const before = tf.memory().numTensors;
    const weekly = TrafficForecaster.create({ model: 'gru', hiddenUnits: 4, dayOfWeek: true, seed: 4 });
    await weekly.train(train, { epochs: 1, batchSize: 64 });
    const weeklyPath = join(dir, 'gru-weekly');
    const forecast = await weekly.predict({ values: rows(testStart, testStart + 12), end: timeOf(testStart + 11) });
    await weekly.save(weeklyPath);
    weekly.dispose();
    const weeklyLoaded = await TrafficForecaster.load(weeklyPath);
    expect(weeklyLoaded.config.dayOfWeek).toBe(true);
    expect(await weeklyLoaded.predict({ values: rows(testStart, testStart + 12), end: timeOf(testStart + 11) })).toEqual(forecast);
    weeklyLoaded.dispose();

    const m = TrafficForecaster.create({ model: 'gru', hiddenUnits: 4, seed: 4 });
    await m.train(train, { epochs: 1, batchSize: 64 });
    const input = { values: rows(testStart, testStart + 12), end: timeOf(testStart + 11) };
    const forecastWithout = await m.predict(input);
    const path = join(dir, 'gru-without-week');
    await m.save(path);
    m.dispose();
    const manifestPath = join(path, 'manifest.json');
    const manifest = unsealedManifest(await readFile(manifestPath, 'utf8')) as { config: Record<string, unknown> };
    delete manifest.config.dayOfWeek;
    await writeFile(manifestPath, JSON.stringify(manifest));
    const loaded = await TrafficForecaster.load(path);
    expect(loaded.config.dayOfWeek).toBe(false);
    expect(await loaded.predict(input)).toEqual(forecastWithout);
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => TrafficForecaster.create({ dayOfWeek: 'yes' as unknown as boolean })).toThrow(/dayOfWeek/);
  });

  it('graph ridge: trains in closed form, beats persistence, round-trips a bundle, rejects bad settings', async () => {
    const adjacency = net.adjacency;
    const before = tf.memory().numTensors;
    const ridge = TrafficForecaster.create({ model: 'ridge', ridge: { neighbours: 2, neighbourLags: 4 } });
    const report = await ridge.train(train, { adjacency });
    expect(report.trainWindows).toBeGreaterThan(100);
    const persistence = TrafficForecaster.create({ model: 'last-value' });
    await persistence.train(train);
    const ev = (await ridge.evaluate(net.series, { fromStep: testStart })).horizons;
    const base = (await persistence.evaluate(net.series, { fromStep: testStart })).horizons;
    expect(ev[0]!.rmse).toBeLessThan(base[0]!.rmse);
    const input = { values: rows(testStart, testStart + 12), end: timeOf(testStart + 11) };
    const path = join(dir, 'ridge');
    await ridge.save(path);
    const loaded = await TrafficForecaster.load(path);
    expect(await loaded.predict(input)).toEqual(await ridge.predict(input));
    expect(tf.memory().numTensors).toBe(before);
    // An unsealed manifest whose feature count disagrees with its config: caught by the traffic package itself.
    const manifestPath = join(path, 'manifest.json');
    const manifest = unsealedManifest(await readFile(manifestPath, 'utf8')) as { preprocessing: { ridge: { features: number } } };
    manifest.preprocessing.ridge.features += 1;
    await writeFile(manifestPath, JSON.stringify(manifest));
    await expectCode(() => TrafficForecaster.load(path), 'E_BUNDLE_CORRUPT');
    await writeFile(join(path, 'ridge.f64'), new Uint8Array(16));
    await expectCode(() => TrafficForecaster.load(path), 'E_BUNDLE_CORRUPT');
    expect(() => TrafficForecaster.create({ model: 'ridge', ridge: { lambdas: [] } })).toThrow(/lambdas/);
    expect(() => TrafficForecaster.create({ model: 'ridge', ridge: { neighbours: -1 } })).toThrow(/neighbours/);
    expect(() => TrafficForecaster.create({ ridge: { historicalAverage: 1 as unknown as boolean } })).toThrow(/historicalAverage/);
    expect(TrafficForecaster.create().config.model).toBe('ridge');
    await expectCode(() => ridge.train(train, { adjacency: createAdjacency([[1]]) }), 'E_SHAPE_MISMATCH');
    for (const m of [ridge, persistence, loaded]) m.dispose();
  });

  it("graph ridge: missing readings are filled from the sensor's previous reading, not its mean", async () => {
    const rng = createRng(21);
    const values = Float64Array.from(net.series.values, (v) => (rng.next() < 0.1 ? NaN : v));
    const gappy = { ...net.series, values };
    const { train: gappyTrain } = splitSeries(gappy, 0.8);
    const ridge = TrafficForecaster.create({ model: 'ridge', ridge: { neighbours: 2, neighbourLags: 4 } });
    await ridge.train(gappyTrain, { adjacency: net.adjacency });
    const persistence = TrafficForecaster.create({ model: 'last-value' });
    await persistence.train(gappyTrain);
    const ev = (await ridge.evaluate(gappy, { fromStep: testStart })).horizons;
    const base = (await persistence.evaluate(gappy, { fromStep: testStart })).horizons;
    ev.forEach((h) => expect(Number.isFinite(h.rmse)).toBe(true));
    expect(ev[0]!.rmse).toBeLessThan(base[0]!.rmse);
    // A window whose last two readings are missing forecasts like the one with them repeated.
    const window = rows(testStart, testStart + 12);
    const gap = window.map((r, k) => (k >= 10 ? r.map(() => NaN) : r));
    const repeated = window.map((r, k) => (k >= 10 ? window[9]! : r));
    const a = await ridge.predict({ values: gap, end: timeOf(testStart + 11) });
    const b = await ridge.predict({ values: repeated, end: timeOf(testStart + 11) });
    expect(a.steps[0]!.values).toEqual(b.steps[0]!.values);
    ridge.dispose();
    persistence.dispose();
  });

  it('round-trips baselines through bundles too', async () => {
    const ha = TrafficForecaster.create({ model: 'historical-average' });
    await ha.train(train);
    const input = { values: rows(testStart, testStart + 12), end: timeOf(testStart + 11) };
    const path = join(dir, 'ha');
    await ha.save(path);
    const loaded = await TrafficForecaster.load(path);
    expect(await loaded.predict(input)).toEqual(await ha.predict(input));
    ha.dispose();
    loaded.dispose();
  });
});
