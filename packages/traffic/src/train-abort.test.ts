import { initEngine, tf } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrafficForecaster, type TrafficModelKind, type TrafficTrainingReport } from './forecaster';
import type { TrafficSeries } from './series';
import { generateTrafficNetwork } from './synthetic';
import { bits, expectCode } from './test-helpers';

// train takes signal?: AbortSignal (docs/sdk-conventions.md): an aborted train rejects with E_ABORTED,
// frees what it built, installs nothing, and the model forecasts as before; a signal never aborted
// changes no number. The graph ridge and the baselines fit without tfjs, so their loops take the
// event-loop turns where the abort is seen.

const small = generateTrafficNetwork({ sensors: 4, corridorLength: 4, days: 2, incidents: 0, seed: 11 });
// Long enough that the graph ridge fits for a while (about half a second on a quiet machine).
const big = generateTrafficNetwork({ sensors: 16, corridorLength: 8, days: 7, incidents: 2, seed: 12 });

/** Every window's forecast, to the last bit. */
async function forecastsOf(model: TrafficForecaster, series: TrafficSeries): Promise<string> {
  const T = model.config.inputSteps;
  const starts = Array.from({ length: 24 }, (_, i) => series.steps - T - 24 + i);
  return bits(await model.forecastSeries(series, starts));
}

/** The report without its timings (seconds differ from run to run). */
function withoutTimes(report: TrafficTrainingReport): unknown {
  return { ...report, seconds: 0, history: report.history.map((h) => ({ ...h, seconds: 0 })) };
}

function create(kind: TrafficModelKind): TrafficForecaster {
  return TrafficForecaster.create({ model: kind, hiddenUnits: 4, horizons: [1, 3], inputSteps: 6, seed: 3 });
}

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

describe('TrafficForecaster.train with an AbortSignal', () => {
  it('an already-aborted signal: E_ABORTED before any work, nothing trained or changed, no tensor left', async () => {
    for (const kind of ['ridge', 'historical-average', 'last-value', 'gru'] as const) {
      const before = tf.memory().numTensors;
      const untrained = create(kind);
      const reason = new Error('shutting down');
      const controller = new AbortController();
      controller.abort(reason);
      const started = performance.now();
      const error = await expectCode(() => untrained.train(big.series, { signal: controller.signal, epochs: 50 }), 'E_ABORTED');
      expect(performance.now() - started).toBeLessThan(100);
      expect(error.message).toBe('TrafficForecaster.train stopped: its signal was aborted: shutting down.');
      expect(error.cause).toBe(reason);
      expect(error.details).toEqual({ reason: 'aborted' });
      expect(untrained.isTrained).toBe(false);
      await expectCode(() => untrained.predict({ values: [[1, 2, 3, 4]] }), 'E_MODEL_NOT_TRAINED');
      expect(tf.memory().numTensors).toBe(before);
    }
    const trained = create('ridge');
    await trained.train(small.series, { adjacency: small.adjacency });
    const forecasts = await forecastsOf(trained, small.series);
    await expectCode(() => trained.train(big.series, { adjacency: big.adjacency, signal: AbortSignal.abort() }), 'E_ABORTED');
    expect(trained.sensors).toEqual(small.series.sensors);
    expect(await forecastsOf(trained, small.series)).toBe(forecasts);
  });

  it('gru aborted at the end of its first epoch: E_ABORTED, the old network forecasts as before, no tensor left', async () => {
    const model = create('gru');
    await model.train(small.series, { epochs: 1, batchSize: 64 });
    const forecasts = await forecastsOf(model, small.series);
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const epochs: number[] = [];
    const error = await expectCode(
      () =>
        model.train(small.series, {
          epochs: 50,
          batchSize: 64,
          patience: 50,
          signal: controller.signal,
          onEpochEnd: ({ epoch }) => {
            epochs.push(epoch);
            controller.abort();
          },
        }),
      'E_ABORTED',
    );
    expect(epochs).toEqual([0]);
    expect(error.message).toBe('TrafficForecaster.train stopped: its signal was aborted.');
    expect((error.cause as Error).name).toBe('AbortError');
    expect(tf.memory().numTensors).toBe(before);
    expect(model.isTrained).toBe(true);
    expect(await forecastsOf(model, small.series)).toBe(forecasts);
  });

  it('ridge aborted by a timer while it fits: E_ABORTED well before the fit would end, the old model kept', async () => {
    // How long the whole fit takes here.
    const reference = create('ridge');
    let started = performance.now();
    await reference.train(big.series, { adjacency: big.adjacency });
    const full = performance.now() - started;

    const model = create('ridge');
    await model.train(small.series, { adjacency: small.adjacency });
    const forecasts = await forecastsOf(model, small.series);
    started = performance.now();
    const error = await expectCode(
      () => model.train(big.series, { adjacency: big.adjacency, signal: AbortSignal.timeout(1) }),
      'E_ABORTED',
    );
    const stopped = performance.now() - started;
    expect(error.message).toBe('TrafficForecaster.train stopped: its signal timed out.');
    expect(error.details).toEqual({ reason: 'timeout' });
    expect(stopped, `aborted after ${stopped.toFixed(0)} ms; the whole fit took ${full.toFixed(0)} ms`).toBeLessThan(full / 2);
    expect(model.sensors).toEqual(small.series.sensors);
    expect(await forecastsOf(model, small.series)).toBe(forecasts);
  });

  it('a signal that is not an AbortSignal is E_INPUT_INVALID naming signal; nothing trained', async () => {
    for (const signal of [true, 'x', {}, null]) {
      const model = create('ridge');
      const error = await expectCode(() => model.train(small.series, { signal: signal as unknown as AbortSignal }), 'E_INPUT_INVALID');
      expect(error.details).toMatchObject({ field: 'signal' });
      expect(error.message).toMatch(/^signal must be an AbortSignal/);
      expect(model.isTrained).toBe(false);
    }
  });

  it('a signal never aborted changes no number: same report, forecasts and evaluation as without one', async () => {
    const cases: [TrafficModelKind, TrafficSeries, Record<string, unknown>][] = [
      ['ridge', big.series, { adjacency: big.adjacency }],
      ['historical-average', big.series, {}],
      ['seasonal-naive', big.series, {}],
      ['gru', small.series, { epochs: 2, batchSize: 64 }],
    ];
    for (const [kind, series, options] of cases) {
      const plain = create(kind);
      const signalled = create(kind);
      const a = await plain.train(series, options);
      const b = await signalled.train(series, { ...options, signal: new AbortController().signal });
      expect(withoutTimes(b), kind).toEqual(withoutTimes(a));
      expect(await forecastsOf(signalled, series), kind).toBe(await forecastsOf(plain, series));
      const ea = await plain.evaluate(series);
      const eb = await signalled.evaluate(series);
      expect(eb, kind).toEqual(ea);
      plain.dispose();
      signalled.dispose();
    }
  });
});

describe('aborted trains and overlapping trains (TrainTickets)', () => {
  it('an aborted train does not stop a train started after it', async () => {
    const model = create('ridge');
    const controller = new AbortController();
    const first = model.train(big.series, { adjacency: big.adjacency, signal: controller.signal });
    const second = model.train(small.series, { adjacency: small.adjacency });
    controller.abort();
    const [earlier, later] = await Promise.allSettled([first, second]);
    expect(later.status).toBe('fulfilled');
    expect(earlier.status).toBe('rejected');
    await expectCode(() => first, 'E_ABORTED');
    const alone = create('ridge');
    await alone.train(small.series, { adjacency: small.adjacency });
    expect(model.sensors).toEqual(small.series.sensors);
    expect(await forecastsOf(model, small.series)).toBe(await forecastsOf(alone, small.series));
  });

  it('a later train aborted leaves the earlier one to install', async () => {
    const model = create('ridge');
    const controller = new AbortController();
    const first = model.train(small.series, { adjacency: small.adjacency });
    const second = model.train(big.series, { adjacency: big.adjacency, signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    const [earlier, later] = await Promise.allSettled([first, second]);
    expect(earlier.status).toBe('fulfilled');
    await expectCode(() => second, 'E_ABORTED');
    expect(later.status).toBe('rejected');
    const alone = create('ridge');
    await alone.train(small.series, { adjacency: small.adjacency });
    expect(model.sensors).toEqual(small.series.sensors);
    expect(await forecastsOf(model, small.series)).toBe(await forecastsOf(alone, small.series));
  });

  it('a dispose() while the ridge fits: E_MODEL_DISPOSED, nothing installed', async () => {
    const model = create('ridge');
    const training = model.train(big.series, { adjacency: big.adjacency });
    setTimeout(() => model.dispose(), 1);
    await expectCode(() => training, 'E_MODEL_DISPOSED');
    expect(model.isTrained).toBe(false);
  });
});

// docs/sdk-conventions.md: a dispose and an abort both (a service's shutdown does both, in either order)
// make `train` reject with E_MODEL_DISPOSED, as the dispose alone does; it said E_ABORTED.
describe('dispose and abort in the same tick while train runs', () => {
  const ORDERS = ['dispose,abort', 'abort,dispose'] as const;
  function stopper(model: TrafficForecaster, controller: AbortController, order: (typeof ORDERS)[number]): () => void {
    return () => {
      if (order === 'dispose,abort') {
        model.dispose();
        controller.abort();
      } else {
        controller.abort();
        model.dispose();
      }
    };
  }

  it.each(ORDERS)('gru, %s from onEpochEnd: E_MODEL_DISPOSED, no tensor left', async (order) => {
    const before = tf.memory().numTensors;
    const model = create('gru');
    await model.train(small.series, { epochs: 1, batchSize: 64 });
    const controller = new AbortController();
    const stop = stopper(model, controller, order);
    const epochs: number[] = [];
    const error = await expectCode(
      () =>
        model.train(small.series, {
          epochs: 50,
          batchSize: 64,
          patience: 50,
          signal: controller.signal,
          onEpochEnd: ({ epoch }) => {
            epochs.push(epoch);
            stop();
          },
        }),
      'E_MODEL_DISPOSED',
    );
    expect(epochs).toEqual([0]);
    expect(error.message).toBe('This TrafficForecaster was disposed while it trained; create or load a new one.');
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(ORDERS)('ridge, %s while it fits (20 ms in): E_MODEL_DISPOSED, nothing installed', async (order) => {
    const model = create('ridge');
    const controller = new AbortController();
    const training = model.train(big.series, { adjacency: big.adjacency, signal: controller.signal });
    let fitting = false;
    setTimeout(() => {
      fitting = !model.isTrained;
      stopper(model, controller, order)();
    }, 20);
    await expectCode(() => training, 'E_MODEL_DISPOSED');
    expect(fitting).toBe(true);
    expect(model.isTrained).toBe(false);
  });

  it.each(ORDERS)('every kind, %s right after train() returned (at its first turn): E_MODEL_DISPOSED', async (order) => {
    for (const kind of ['ridge', 'historical-average', 'last-value', 'seasonal-naive', 'gru'] as const) {
      const before = tf.memory().numTensors;
      const model = create(kind);
      const controller = new AbortController();
      const training = model.train(small.series, { epochs: 2, signal: controller.signal });
      stopper(model, controller, order)();
      const error = await expectCode(() => training, 'E_MODEL_DISPOSED');
      expect(error.message, kind).toMatch(/^This TrafficForecaster was disposed/);
      expect(tf.memory().numTensors, kind).toBe(before);
    }
  });
});

// docs/sdk-conventions.md: the options are checked first (E_INPUT_INVALID), then an aborted signal
// (E_ABORTED) before the series is read or checked, then the series.
describe('train checks its options, then the signal, then the series', () => {
  it.each([
    { epochs: -1 },
    { batchSize: 0 },
    { patience: 1.5 },
    { learningRate: 0 },
    { valFraction: 1 },
    { progress: 'yes' },
    { epoch: 3 },
    { adjacency: { size: 2, weights: new Float64Array([1, Number.NaN, 0, 1]) } },
  ])('a bad option %j with an aborted signal is E_INPUT_INVALID, whatever the series', async (bad) => {
    for (const kind of ['ridge', 'gru'] as const) {
      const model = create(kind);
      for (const series of [small.series, 'not data']) {
        await expectCode(
          () => model.train(series as TrafficSeries, { ...(bad as object), signal: AbortSignal.abort() }),
          'E_INPUT_INVALID',
        );
      }
      model.dispose();
    }
  });

  it('a device that is not one, with an aborted signal: E_DEVICE_INVALID, every kind (the baselines never start the engine)', async () => {
    for (const kind of ['ridge', 'historical-average', 'last-value', 'gru'] as const) {
      for (const series of [small.series, 'not data']) {
        const error = await expectCode(
          () => create(kind).train(series as TrafficSeries, { device: 'gpu9' as never, signal: AbortSignal.abort() }),
          'E_DEVICE_INVALID',
        );
        expect(error.details).toMatchObject({ requested: 'gpu9' });
      }
    }
  });

  it('tgcn without an adjacency, with an aborted signal: E_INPUT_INVALID', async () => {
    const model = create('tgcn');
    await expectCode(() => model.train(small.series, { signal: AbortSignal.abort() }), 'E_INPUT_INVALID');
  });

  it.each([
    { name: "'not data'", series: 'not data' },
    { name: 'null', series: null },
    { name: 'a series without values', series: { ...small.series, values: 'x' } },
    { name: 'a series too short', series: { ...small.series, steps: 3, values: small.series.values.slice(0, 3) } },
  ])('bad data ($name) with an aborted signal is E_ABORTED', async ({ series }) => {
    for (const kind of ['ridge', 'historical-average', 'gru'] as const) {
      const model = create(kind);
      await expectCode(() => model.train(series as TrafficSeries, { epochs: 2, signal: AbortSignal.abort() }), 'E_ABORTED');
      model.dispose();
    }
  });
});
