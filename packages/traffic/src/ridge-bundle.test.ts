import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine, tf } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrafficForecaster } from './forecaster';
import { createSeries } from './series';
import { generateTrafficNetwork } from './synthetic';
import { expectCode, manifestOf, resealBundle } from './test-helpers';

let dir: string;
beforeAll(async () => {
  await initEngine();
  dir = await mkdtemp(join(tmpdir(), 'traffic-ridge-bundle-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Edits ridge.f64's weights in place and re-seals the bundle. */
async function editWeights(path: string, edit: (weights: Float64Array) => void): Promise<void> {
  await resealBundle(path, {
    files: {
      'ridge.f64': (buf) => {
        const weights = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
        edit(weights);
        return new Uint8Array(weights.buffer);
      },
    },
  });
}

describe('ridge bundle values (SDK fuzz S11)', () => {
  it('a re-sealed ridge.f64 with a NaN or infinite weight is E_BUNDLE_CORRUPT at load, not a NaN forecast', async () => {
    const net = generateTrafficNetwork({ sensors: 4, corridorLength: 2, days: 2, incidents: 0, seed: 5 });
    const model = TrafficForecaster.create({ model: 'ridge', inputSteps: 6, horizons: [1, 3] });
    await model.train(net.series, { adjacency: net.adjacency });
    const before = tf.memory().numTensors;
    for (const bad of [NaN, Infinity, -Infinity]) {
      const path = join(dir, `ridge-${String(bad)}`);
      await model.save(path);
      const intact = await TrafficForecaster.load(path);
      expect(intact.isTrained).toBe(true);
      intact.dispose();
      await editWeights(path, (w) => {
        w[3] = bad;
      });
      const error = await expectCode(() => TrafficForecaster.load(path), 'E_BUNDLE_CORRUPT');
      expect(error.message).toMatch(new RegExp(`ridge weight 3 is ${String(bad)}`));
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('ridge weights no fit makes (T3)', () => {
  const net = generateTrafficNetwork({ sensors: 4, corridorLength: 2, days: 2, incidents: 0, seed: 5 });
  const n = net.series.sensors.length;
  const rows = Array.from({ length: 12 }, (_, t) => Array.from(net.series.values.subarray(t * n, (t + 1) * n)));
  const end = net.series.start! + 11 * 5 * 60_000;

  it('a re-sealed ridge.f64 with a finite but huge weight (1e300, or 1e13 on the series scale) is E_BUNDLE_CORRUPT at load', async () => {
    const model = TrafficForecaster.create({ model: 'ridge', inputSteps: 6, horizons: [1, 3] });
    await model.train(net.series, { adjacency: net.adjacency });
    const std = (model as unknown as { fitted: { scaler: { std: number[] } } }).fitted.scaler.std;
    // Weight 3 of sensor 0 reads its own window: on the series' scale it is the weight itself.
    for (const [label, huge] of [
      ['1e300', 1e300],
      ['1e13', 1e13],
      ['-1e13', -1e13],
    ] as const) {
      const path = join(dir, `ridge-huge-${label}`);
      await model.save(path);
      await editWeights(path, (w) => {
        w[3] = huge;
      });
      const error = await expectCode(() => TrafficForecaster.load(path), 'E_BUNDLE_CORRUPT');
      expect(error.message).toMatch(/ridge weight 3 is .*on the series' scale: past 1000000000000/);
    }
    // The constant's weight (sensor units) is scaled by 1 / std: 1e11 × std is within the bound, 2e12 × std past it.
    // Sensor 0's weights are [features, 3 steps ahead]: its window (6), each neighbour's 6 lags, sin, cos, 1, ...
    const neighbours = (model as unknown as { fitted: { ridge: { neighbours: number[][] } } }).fitted.ridge.neighbours[0]!.length;
    const at = (6 + neighbours * 6 + 2) * 3;
    const path = join(dir, 'ridge-constant');
    await model.save(path);
    await editWeights(path, (w) => {
      w[at] = 1e11 * std[0]!;
    });
    const loaded = await TrafficForecaster.load(path);
    const forecast = await loaded.predict({ values: rows, end });
    expect(forecast.steps.every((s) => s.values.every(Number.isFinite))).toBe(true);
    loaded.dispose();
    await editWeights(path, (w) => {
      w[at] = 2e12 * std[0]!;
    });
    await expectCode(() => TrafficForecaster.load(path), 'E_BUNDLE_CORRUPT');
    model.dispose();
  });

  it('a ridge whose weights still overflow (set after load) is an error at predict, never an Infinity forecast', async () => {
    const model = TrafficForecaster.create({ model: 'ridge', inputSteps: 6, horizons: [1, 3] });
    await model.train(net.series, { adjacency: net.adjacency });
    const path = join(dir, 'ridge-poked');
    await model.save(path);
    const loaded = await TrafficForecaster.load(path);
    (loaded as unknown as { fitted: { ridge: { weights: Float64Array } } }).fitted.ridge.weights[0] = 1.7e308;
    const error = await expectCode(() => loaded.predict({ values: rows.map((r, t) => r.map((v) => v + t)), end }), 'E_BUNDLE_CORRUPT');
    expect(error.message).toMatch(/sensor 'S000' is not finite/);
    await expectCode(() => loaded.evaluate(net.series), 'E_BUNDLE_CORRUPT');
    loaded.dispose();
    // Trained in this process: E_TRAINING_FAILED.
    (model as unknown as { fitted: { ridge: { weights: Float64Array } } }).fitted.ridge.weights[0] = -1.7e308;
    await expectCode(() => model.predict({ values: rows.map((r, t) => r.map((v) => v + t)), end }), 'E_TRAINING_FAILED');
    model.dispose();
  });

  it('training with next to no penalty still gives weights that load (the bound is far from what fitting makes)', async () => {
    const model = TrafficForecaster.create({ model: 'ridge', inputSteps: 6, horizons: [1, 3], ridge: { lambdas: [1e-300] } });
    await model.train(net.series, { adjacency: net.adjacency });
    const path = join(dir, 'ridge-weak');
    await model.save(path);
    const loaded = await TrafficForecaster.load(path);
    expect(loaded.isTrained).toBe(true);
    loaded.dispose();
    model.dispose();
  });
});

describe('a saved standard deviation below what training gives (K1)', () => {
  const net = generateTrafficNetwork({ sensors: 4, corridorLength: 2, days: 2, incidents: 0, seed: 5 });

  it("is E_BUNDLE_CORRUPT at load: with 1e-300 the weight bound (on the series' scale) no longer bounds the forecast", async () => {
    const model = TrafficForecaster.create({ model: 'ridge', inputSteps: 6, horizons: [1, 3] });
    await model.train(net.series, { adjacency: net.adjacency });
    const fitted = (model as unknown as { fitted: { scaler: { std: number[] }; ridge: { neighbours: number[][]; features: number } } })
      .fitted;
    const D = fitted.ridge.features;
    const j = fitted.ridge.neighbours[0]![0]!;
    const path = join(dir, 'ridge-tiny-std');
    await model.save(path);
    // Sensor j reads only its own window (so its weights pass the bound with a tiny std); sensor 0's
    // first weight on j's lags is 1e300 on the series' scale of a std of 1e-300: 1 × std[0].
    await editWeights(path, (w) => {
      for (let i = 6; i < D; i++) for (let h = 0; h < 3; h++) w[(j * D + i) * 3 + h] = 0;
      w[(0 * D + 6) * 3] = 1e300 * fitted.scaler.std[0]!;
    });
    await resealBundle(path, { manifest: (m) => (m.preprocessing.scaler.std[j] = 1e-300) });
    const error = await expectCode(() => TrafficForecaster.load(path), 'E_BUNDLE_CORRUPT');
    expect(error.message).toMatch(new RegExp(`standard deviation of sensor '${net.series.sensors[j]}' \\(1e-300\\) is below`));
    model.dispose();
  });

  it("is refused just below the floor (max(1e-3 × max(1, |mean|), 1e-6)); a flat sensor's floored std still loads", async () => {
    const n = net.series.sensors.length;
    const values = Float64Array.from(net.series.values, (v, i) => (i % n === 1 ? 250 : v)); // sensor 1 flat at 250
    const series = createSeries({ values, sensors: net.series.sensors, intervalMinutes: 5, start: net.series.start });
    const model = TrafficForecaster.create({ model: 'ridge', inputSteps: 6, horizons: [1, 3] });
    await model.train(series, { adjacency: net.adjacency });
    const path = join(dir, 'ridge-flat');
    await model.save(path);
    const std = (await manifestOf(path)).preprocessing.scaler.std as number[];
    expect(std[1]).toBe(0.25);
    const loaded = await TrafficForecaster.load(path);
    expect(loaded.isTrained).toBe(true);
    loaded.dispose();
    await resealBundle(path, { manifest: (m) => (m.preprocessing.scaler.std[1] = 0.2499) });
    const error = await expectCode(() => TrafficForecaster.load(path), 'E_BUNDLE_CORRUPT');
    expect(error.message).toMatch(/\(0\.2499\) is below 0\.25, the least training gives a mean of 250/);
    model.dispose();
  });
});
