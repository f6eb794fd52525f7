import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine, tf } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAdjacencyCsv } from './adjacency';
import { MODEL_KINDS, TrafficForecaster, type TrafficModelKind } from './forecaster';
import { loadLosLoop } from './los-loop';
import { errorByHorizonSpec } from './plots';
import { selectSensors } from './series';
import { generateTrafficNetwork } from './synthetic';
import { expectCode } from './test-helpers';

// Found by a service-embedding review: a model disposed while it trained, null as the options object,
// property reads after dispose.
const net = generateTrafficNetwork({ sensors: 3, corridorLength: 3, days: 1, incidents: 0, seed: 5 });
const series = net.series;
const NEURAL: TrafficModelKind[] = ['gru', 'lstm', 'tgcn'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'traffic-lifecycle-'));
  await initEngine({ device: 'wasm' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('TrafficForecaster.dispose() while train() runs', () => {
  for (const kind of NEURAL) {
    it(`${kind}: disposed mid-training, train rejects E_MODEL_DISPOSED, frees its network and isTrained stays false`, async () => {
      const before = tf.memory().numTensors;
      const model: TrafficForecaster = TrafficForecaster.create({ model: kind, hiddenUnits: 2, horizons: [1] });
      const training = model.train(series, { epochs: 2, batchSize: 256, adjacency: net.adjacency, onEpochEnd: () => model.dispose() });
      await expectCode(() => training, 'E_MODEL_DISPOSED');
      expect(model.isTrained).toBe(false);
      model.dispose(); // a second dispose has nothing left to free either
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('gru disposed before the engine started: nothing is built', async () => {
    const before = tf.memory().numTensors;
    const model = TrafficForecaster.create({ model: 'gru', hiddenUnits: 2, horizons: [1] });
    const training = model.train(series, { epochs: 1 });
    model.dispose();
    await expectCode(() => training, 'E_MODEL_DISPOSED');
    expect(model.isTrained).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a retrained gru disposed mid-training frees both networks', async () => {
    const before = tf.memory().numTensors;
    const model: TrafficForecaster = TrafficForecaster.create({ model: 'gru', hiddenUnits: 2, horizons: [1] });
    await model.train(series, { epochs: 1, batchSize: 256 });
    const training = model.train(series, { epochs: 2, batchSize: 256, onEpochEnd: () => model.dispose() });
    await expectCode(() => training, 'E_MODEL_DISPOSED');
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const kind of MODEL_KINDS.filter((k) => !NEURAL.includes(k))) {
    // These fit between event-loop turns (where a train's signal is seen), so a dispose() lands while they
    // run, as the networks' does: train rejects E_MODEL_DISPOSED (it resolved when they fitted in one go).
    it(`${kind}: disposed right after train starts, train rejects E_MODEL_DISPOSED, isTrained is false and calls are E_MODEL_DISPOSED`, async () => {
      const model = TrafficForecaster.create({ model: kind, horizons: [1] });
      const training = model.train(series, { adjacency: net.adjacency });
      model.dispose();
      await expectCode(() => training, 'E_MODEL_DISPOSED');
      expect(model.isTrained).toBe(false);
      await expectCode(() => model.sensors, 'E_MODEL_DISPOSED');
    });
  }
});

describe('TrafficForecaster across a retrain', () => {
  const one = generateTrafficNetwork({ sensors: 4, days: 3, seed: 1 });
  const two = generateTrafficNetwork({ sensors: 4, days: 3, seed: 2 });
  const n = 4;
  const rowAt = (t: number): { values: number[]; time: number } => ({
    values: Array.from(one.series.values.subarray(t * n, (t + 1) * n)),
    time: (one.series.start as number) + t * one.series.intervalMinutes * 60_000,
  });

  it('predictBatch called as a retrain ends answers every input from one model (it mixed the two)', async () => {
    const config = { model: 'gru' as const, hiddenUnits: 4, inputSteps: 6, horizons: [1, 2], seed: 5 };
    const inputs = Array.from({ length: 12 }, (_, k) => ({
      values: Array.from({ length: 6 }, (_, t) => rowAt(k + t).values),
      end: rowAt(k + 5).time,
    }));
    const model = TrafficForecaster.create(config);
    await model.train(one.series, { epochs: 2 });
    const before = await model.predictBatch(inputs);
    let inFlight: ReturnType<TrafficForecaster['predictBatch']> | undefined;
    await model.train(two.series, {
      epochs: 2,
      // A request arriving as the retrain finishes its last epoch.
      onEpochEnd: (e) => {
        if (e.epoch === 1) inFlight ??= model.predictBatch(inputs);
      },
    });
    const after = await model.predictBatch(inputs);
    expect(after).not.toEqual(before);
    expect(await inFlight).toEqual(before);
    model.dispose();
  });

  it('a retrain on the same sensors keeps the stream; on other sensors it starts a new one', async () => {
    const model = TrafficForecaster.create({ model: 'ridge', inputSteps: 6, horizons: [1, 2] });
    await model.train(one.series);
    for (let t = 600; t < 606; t++) model.update(rowAt(t));
    await model.train(two.series);
    expect(model.bufferedSteps).toBe(6);
    // Forecasts go on at once, by the new model, from the readings already streamed.
    const forecast = await model.forecast();
    expect(forecast.steps).toHaveLength(2);
    expect(forecast.from).toBe(new Date(rowAt(605).time).toISOString());
    model.update(rowAt(606));
    expect(model.bufferedSteps).toBe(Math.min(7, model.streamCapacity));
    await model.train(selectSensors(two.series, two.series.sensors.slice(0, 3)));
    expect(model.bufferedSteps).toBe(0);
    model.dispose();
  });
});

describe('TrafficForecaster options that are not an object', () => {
  it('null (or a number, a list) options are E_INPUT_INVALID in train, evaluate and load; undefined means the defaults', async () => {
    const model = TrafficForecaster.create({ model: 'historical-average', horizons: [1] });
    for (const bad of [null, 5, [1]]) await expectCode(() => model.train(series, bad as never), 'E_INPUT_INVALID');
    expect(model.isTrained).toBe(false);
    await model.train(series, undefined);
    for (const bad of [null, 5, 'step']) await expectCode(() => model.evaluate(series, bad as never), 'E_INPUT_INVALID');
    expect((await model.evaluate(series, undefined)).horizons).toHaveLength(1);
    const path = join(dir, 'ha');
    await model.save(path);
    await expectCode(() => TrafficForecaster.load(path, null as never), 'E_INPUT_INVALID');
    (await TrafficForecaster.load(path, undefined)).dispose();
    model.dispose();
  });

  it('forecastSeries without a list of window starts is E_INPUT_INVALID', async () => {
    const model = TrafficForecaster.create({ model: 'last-value', horizons: [1] });
    await model.train(series);
    for (const bad of [undefined, 5, {}, null, '0']) await expectCode(() => model.forecastSeries(series, bad as never), 'E_INPUT_INVALID');
    await expectCode(() => model.forecastSeries(series, new Array(2) as number[]), 'E_INPUT_INVALID');
    expect(await model.forecastSeries(series, [0, 1])).toHaveLength(2 * 1 * 3);
    model.dispose();
  });

  it('a misspelt option of train, evaluate or load is refused with the valid names', async () => {
    const model = TrafficForecaster.create({ model: 'last-value', horizons: [1] });
    await expect(model.train(series, { epoch: 3 } as never)).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: expect.stringContaining("train options has no option 'epoch'; valid: "),
    });
    await model.train(series);
    await expect(model.evaluate(series, { from: 3 } as never)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(TrafficForecaster.load(join(dir, 'nowhere'), { devise: 'wasm' } as never)).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
    });
    model.dispose();
  });

  it('the traffic helpers refuse null options with E_INPUT_INVALID, not a TypeError', async () => {
    await expectCode(() => generateTrafficNetwork(null as never), 'E_INPUT_INVALID');
    await expectCode(() => loadLosLoop(null as never), 'E_INPUT_INVALID');
    await expectCode(() => readAdjacencyCsv(join(dir, 'adjacency.csv'), null as never), 'E_INPUT_INVALID');
    await expectCode(() => errorByHorizonSpec([], null as never), 'E_INPUT_INVALID');
  });
});

describe('TrafficForecaster property reads', () => {
  it('outputSteps, isNeural and bufferedSteps answer before training and are E_MODEL_DISPOSED after dispose, like sensors', async () => {
    const model = TrafficForecaster.create({ model: 'last-value', horizons: [1, 2] });
    expect([model.outputSteps, model.isNeural, model.bufferedSteps]).toEqual([2, false, 0]);
    await model.train(series);
    model.update(Array.from(series.values.subarray(0, 3)));
    expect(model.bufferedSteps).toBe(1);
    model.dispose();
    for (const read of [() => model.outputSteps, () => model.isNeural, () => model.bufferedSteps, () => model.sensors])
      await expectCode(read, 'E_MODEL_DISPOSED');
    expect(model.isTrained).toBe(false);
  });
});

describe('chart helpers', () => {
  it('forecastChartSpec of null or without arrays is E_INPUT_INVALID', async () => {
    const { forecastChartSpec } = await import('./plots');
    expect(() => forecastChartSpec(null as never)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => forecastChartSpec({ sensor: 'a', times: [0], actual: 5, forecast: [1] } as never)).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID' }),
    );
    expect(forecastChartSpec({ sensor: 'a', times: [0, 1], actual: [50, 51], forecast: [49, 52] })).toBeTypeOf('object');
  });
});
