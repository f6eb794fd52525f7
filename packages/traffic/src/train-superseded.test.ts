import { initEngine, tf } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrafficForecaster, type TrafficModelKind } from './forecaster';
import type { TrafficSeries } from './series';
import { generateTrafficNetwork } from './synthetic';
import { bits, expectCode } from './test-helpers';

// Overlapping trains: the last started wins. A train still running when a later one installs its model
// can never install: it ran on to its end (every epoch asked for) before rejecting with E_BUSY. It now
// stops at its next step.

const series = generateTrafficNetwork({ sensors: 4, corridorLength: 4, days: 2, incidents: 0, seed: 11 }).series;

function create(kind: TrafficModelKind): TrafficForecaster {
  return TrafficForecaster.create({ model: kind, hiddenUnits: 4, horizons: [1, 3], inputSteps: 6, seed: 3 });
}

async function forecastsOf(model: TrafficForecaster, s: TrafficSeries): Promise<string> {
  const T = model.config.inputSteps;
  const starts = Array.from({ length: 24 }, (_, i) => s.steps - T - 24 + i);
  return bits(await model.forecastSeries(s, starts));
}

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

describe('a superseded TrafficForecaster.train stops at its next step', () => {
  it('a long gru train still running when a later one installs: E_BUSY without another epoch; the model is the later one', async () => {
    const before = tf.memory().numTensors;
    const model = create('gru');
    let epochs = 0;
    let firstEpoch = (): void => undefined;
    const started = new Promise<void>((resolve) => (firstEpoch = resolve));
    // 300 epochs, no validation (no early stop): all of them ran before the rejection.
    const first = model
      .train(series, {
        epochs: 300,
        valFraction: 0,
        onEpochEnd: () => {
          epochs += 1;
          firstEpoch();
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    await started;
    await model.train(series, { epochs: 2, valFraction: 0 });
    const atInstall = epochs;
    const t0 = performance.now();
    const error = await first;
    const ms = performance.now() - t0;
    expect(ms, `ran ${Math.round(ms)} ms after the later train installed`).toBeLessThan(2000);
    expect(error).toMatchObject({ code: 'E_BUSY', details: { reason: 'superseded' } });
    expect((error as Error).message).toMatch(/^TrafficForecaster\.train: a train started later has already replaced the model/);
    // Stopped at its next step: no epoch of it ended after the later train installed.
    expect(epochs).toBe(atInstall);
    expect(atInstall).toBeLessThan(300);
    // The model is the later train's, as trained alone.
    const alone = create('gru');
    await alone.train(series, { epochs: 2, valFraction: 0 });
    expect(await forecastsOf(model, series)).toBe(await forecastsOf(alone, series));
    model.dispose();
    alone.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expectCode(() => model.train(series), 'E_MODEL_DISPOSED');
  });
});
