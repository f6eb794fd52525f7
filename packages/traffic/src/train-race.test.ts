import { initEngine, tf } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrafficForecaster } from './forecaster';
import { createSeries, type TrafficSeries } from './series';
import { expectCode } from './test-helpers';

// Found by review s28 R3: two overlapping `train` calls on one forecaster installed whichever finished
// last, so a slow retrain started earlier replaced a newer model (and, on other sensors, reset the
// live stream). The rule: the model ends as the last-started train left it, whatever the finishing order.
const START = Date.UTC(2026, 0, 5);
function seriesOf(sensors: string[]): TrafficSeries {
  return createSeries({
    values: Array.from({ length: 200 }, (_, t) => sensors.map((_, s) => 50 + 10 * Math.sin(t / 10 + s))),
    sensors,
    intervalMinutes: 5,
    start: START,
  });
}
const OLD = seriesOf(['old1', 'old2', 'old3']);
const NEW = seriesOf(['new1', 'new2']);

/** A promise the test settles: a train whose onEpochEnd returns it waits there (the engine awaits the callback). */
function gate(): { wait: () => Promise<void>; open: () => void; reached: Promise<void> } {
  let open!: () => void;
  let reach!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const reached = new Promise<void>((resolve) => (reach = resolve));
  return {
    wait: () => {
      reach();
      return opened;
    },
    open,
    reached,
  };
}

function create(): TrafficForecaster {
  return TrafficForecaster.create({ model: 'gru', hiddenUnits: 2, horizons: [1, 2] });
}

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

describe('overlapping train() calls', () => {
  it('the earlier-started train finishing last is E_BUSY, frees its network, and leaves the later model and its stream', async () => {
    const before = tf.memory().numTensors;
    const model = create();
    const first = gate();
    const older = model.train(OLD, { epochs: 1, onEpochEnd: first.wait });
    await first.reached;
    await model.train(NEW, { epochs: 1 });
    expect(model.sensors).toEqual(['new1', 'new2']);
    for (let k = 1; k <= 3; k++) model.update({ values: [50, 51], time: START + (200 + k) * 300_000 });
    first.open();
    const error = await expectCode(() => older, 'E_BUSY');
    expect(error.message).toMatch(/a train started later has already replaced the model/i);
    expect(model.sensors).toEqual(['new1', 'new2']);
    expect(model.bufferedSteps).toBe(3);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('finishing in start order, both resolve and the model is the later one', async () => {
    const model = create();
    const [first, second] = [gate(), gate()];
    const older = model.train(OLD, { epochs: 1, onEpochEnd: first.wait });
    await first.reached;
    const newer = model.train(NEW, { epochs: 1, onEpochEnd: second.wait });
    await second.reached;
    first.open();
    await older;
    expect(model.sensors).toEqual(['old1', 'old2', 'old3']);
    second.open();
    await newer;
    expect(model.sensors).toEqual(['new1', 'new2']);
    model.dispose();
  });

  it('the later train failing, the earlier one still installs', async () => {
    const model = create();
    const first = gate();
    const older = model.train(OLD, { epochs: 1, onEpochEnd: first.wait });
    await first.reached;
    await expect(
      model.train(NEW, {
        epochs: 1,
        onEpochEnd: () => {
          throw new Error('stop');
        },
      }),
    ).rejects.toThrow('stop');
    first.open();
    await older;
    expect(model.sensors).toEqual(['old1', 'old2', 'old3']);
    model.dispose();
  });

  it('a train started after an install finished is not refused (tickets are per start, not per install)', async () => {
    const model = TrafficForecaster.create({ model: 'ridge', horizons: [1, 2] });
    await model.train(OLD);
    await model.train(NEW);
    expect(model.sensors).toEqual(['new1', 'new2']);
    model.dispose();
  });
});
