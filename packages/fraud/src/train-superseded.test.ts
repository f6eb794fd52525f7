import { AppliedMLError, initEngine, silentLogger, tf, type Logger } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { FraudDetector, type FraudDetectorConfig } from './detector';

// Overlapping trains: the last started wins. A train still running when a later one installs its model
// can never install: it ran on to its end (its network's every epoch, up to early stopping) before
// rejecting with E_BUSY. It now stops at its next step.

beforeAll(async () => {
  await initEngine();
});

const older = Array.from({ length: 3000 }, (_, i) => ({
  amount: (i * 37) % 101,
  ...Object.fromEntries(Array.from({ length: 8 }, (_, k) => [`f${k}`, Math.sin(i * (k + 1))])),
}));
const newer = Array.from({ length: 60 }, (_, i) => ({ amount: (i * 37) % 101, new_field: i % 3 ? 'x' : 'y' }));
const labelsOf = (rows: readonly unknown[]): number[] => rows.map((_, i) => (i % 9 === 0 ? 1 : 0));

/** A logger that counts the network's epochs (the engine logs each at debug) and calls `first` after the first. */
function epochCounter(first: () => void): { logger: Logger; epochs: () => number } {
  let epochs = 0;
  return {
    logger: {
      ...silentLogger,
      debug: (message) => {
        if (message !== 'epoch') return;
        epochs += 1;
        if (epochs === 1) first();
      },
    },
    epochs: () => epochs,
  };
}

describe('a superseded FraudDetector.train stops at its next step', () => {
  const configs: Array<[FraudDetectorConfig, boolean]> = [
    [{ detector: 'mlp', mlp: { hidden: [32, 16], epochs: 200 }, seed: 4 }, true],
    [{ detector: 'autoencoder', autoencoder: { hidden: [8, 4], epochs: 200 }, seed: 4 }, false],
  ];

  it.each(configs)('%o: E_BUSY without another epoch of its network; the model is the later one', async (config, supervised) => {
    const before = tf.memory().numTensors;
    const model = FraudDetector.create(config);
    let firstEpoch = (): void => undefined;
    const started = new Promise<void>((resolve) => (firstEpoch = resolve));
    const counter = epochCounter(firstEpoch);
    const first = model.train(older, { ...(supervised ? { labels: labelsOf(older) } : {}), logger: counter.logger }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await started;
    await model.train(newer, supervised ? { labels: labelsOf(newer) } : {});
    const atInstall = counter.epochs();
    const t0 = performance.now();
    const error = await first;
    const ms = performance.now() - t0;
    expect(ms, `ran ${Math.round(ms)} ms after the later train installed`).toBeLessThan(2000);
    expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
    expect(error).toMatchObject({ code: 'E_BUSY', details: { reason: 'superseded' } });
    expect((error as Error).message).toMatch(/^FraudDetector\.train: a train started later has already replaced the model/);
    // Stopped at its next step: no epoch of its network ended after the later train installed.
    expect(counter.epochs()).toBe(atInstall);
    expect(model.inputColumns).toEqual(['amount', 'new_field']);
    const alone = FraudDetector.create(config);
    await alone.train(newer, supervised ? { labels: labelsOf(newer) } : {});
    expect(await model.predictBatch(newer.slice(0, 5))).toEqual(await alone.predictBatch(newer.slice(0, 5)));
    alone.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
