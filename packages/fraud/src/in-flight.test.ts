import { AppliedMLError, initEngine, tf } from '@appliedml/engine';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FraudDetector, type FraudDetectorConfig } from './detector';
import { TransactionScorer } from './scorer';
import { generateTransactions } from './synthetic';

// Calls in flight when a service disposes or retrains the model under them.
describe('calls in flight during dispose or retrain', () => {
  beforeAll(async () => {
    await initEngine();
  });

  const rows = Array.from({ length: 300 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7), (i % 11) / 11, (i * 7919) % 13]);
  const labels = rows.map((r) => (r[0]! > 0.9 ? 1 : 0));

  it('a one-record predict finishes before a dispose that follows it in the same tick (it is synchronous to its end), however slow the machine', async () => {
    const configs: FraudDetectorConfig[] = [
      { detector: 'ecod' },
      { detector: 'iforest', iforest: { trees: 10 } },
      { detector: 'gbt', gbt: { trees: 5 } },
      { detector: 'autoencoder', autoencoder: { hidden: [4], epochs: 1 } },
      { detector: 'mlp', mlp: { hidden: [4], epochs: 1 } },
    ];
    for (const config of configs) {
      const before = tf.memory().numTensors;
      const model = FraudDetector.create(config);
      const supervised = config.detector === 'mlp' || config.detector === 'gbt';
      await model.train(rows, supervised ? { labels } : {});
      // The clock moves 100 ms per reading: a machine so busy that every step passes the 50 ms turn
      // interval (a loaded CI box). Such a batch still takes no turn (it did, before its only chunk, and
      // the dispose below then came first: E_MODEL_DISPOSED, now and then under load).
      let now = performance.now();
      const clock = vi.spyOn(performance, 'now').mockImplementation(() => (now += 100));
      let one: Promise<{ score: number }>;
      let few: Promise<unknown[]>;
      try {
        one = model.predict(rows[0]!);
        few = model.predictBatch(rows.slice(0, 5));
        model.dispose();
      } finally {
        clock.mockRestore();
      }
      expect((await one).score, config.detector).toBeTypeOf('number');
      expect(await few, config.detector).toHaveLength(5);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('a dispose while a large batch is scored (a network detector) is E_MODEL_DISPOSED, not a tfjs error, and frees everything', async () => {
    const big = Array.from({ length: 60_000 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7), (i % 11) / 11, (i * 7919) % 13]);
    const bigLabels = big.map((r) => (r[0]! > 0.9 ? 1 : 0));
    const configs: FraudDetectorConfig[] = [
      { detector: 'autoencoder', autoencoder: { hidden: [4], epochs: 1 } },
      { detector: 'mlp', mlp: { hidden: [4], epochs: 1 } },
    ];
    for (const config of configs) {
      for (const call of [(m: FraudDetector) => m.predictBatch(big), (m: FraudDetector) => m.evaluate(big, bigLabels)]) {
        const before = tf.memory().numTensors;
        const model = FraudDetector.create(config);
        await model.train(rows, config.detector === 'mlp' ? { labels } : {});
        // The clock moves 100 ms per reading, so the batch gives the event loop a turn at its first
        // chance whatever the machine's speed (a fast one finished 60,000 rows inside one 50 ms turn).
        let now = performance.now();
        const clock = vi.spyOn(performance, 'now').mockImplementation(() => (now += 100));
        let error: unknown;
        try {
          const run = call(model);
          // At the first turn: the batch is under way (transforming or scoring).
          setImmediate(() => model.dispose());
          error = await run.then(
            () => undefined,
            (e: unknown) => e,
          );
        } finally {
          clock.mockRestore();
        }
        expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
        expect(error).toMatchObject({ code: 'E_MODEL_DISPOSED' });
        expect(tf.memory().numTensors).toBe(before);
      }
    }
  });

  it('evaluate in flight across a retrain reports the model that scored (its scores with its threshold)', async () => {
    const big = Array.from({ length: 100_000 }, (_, i) => [Math.sin(i) * 3, Math.cos(i * 0.7), ((i * 7919) % 101) / 10, (i % 13) / 13]);
    const y = big.map((r, i) => (r[0]! > 2.8 && i % 2 === 0 ? 1 : 0));
    const model = FraudDetector.create({ detector: 'iforest', iforest: { trees: 50 } });
    await model.train(big.slice(0, 20_000));
    const before = await model.evaluate(big, y);
    // Scoring 100,000 rows takes many ~50 ms turns; the retrain (other rows, so another threshold) ends meanwhile.
    const inFlight = model.evaluate(big, y);
    await model.train(big.slice(50_000, 52_000));
    const after = await model.evaluate(big, y);
    expect(after.alerts).not.toBe(before.alerts);
    expect(await inFlight).toEqual(before);
    model.dispose();
  });

  it('a batch that keeps being overtaken by retrains of its network gives up with E_BUSY after three restarts', async () => {
    const big = Array.from({ length: 120_000 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7), (i % 11) / 11, (i * 7919) % 13]);
    const model = FraudDetector.create({ detector: 'autoencoder', autoencoder: { hidden: [4], epochs: 1 } });
    await model.train(rows);
    // The clock moves 100 ms per reading, so the batch takes a turn after every chunk (about 60 per
    // attempt) and the retrains interleave with it by turns, not by the machine's speed.
    let now = performance.now();
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => (now += 100));
    let settled = false;
    const outcome = model.predictBatch(big).then(
      () => 'resolved',
      (e: unknown) => e,
    );
    void outcome.then(() => (settled = true));
    // Retrains back to back, each far shorter than scoring the batch: without a bound the call never ends while they go on.
    let retrains = 0;
    try {
      while (!settled && retrains < 40) {
        await new Promise((resolve) => setImmediate(resolve));
        await model.train(rows);
        retrains++;
      }
      expect(await outcome).toMatchObject({ code: 'E_BUSY', details: { restarts: 4 } });
    } finally {
      clock.mockRestore();
    }
    expect(retrains).toBeLessThan(40);
    model.dispose();
  });

  it('a disposed streaming scorer says so before checking calibrate arguments', async () => {
    const txs = generateTransactions({ cards: 20, days: 3, seed: 3 });
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(txs.slice(0, 400));
    scorer.dispose();
    await expect(scorer.calibrate(undefined as never, undefined as never)).rejects.toMatchObject({ code: 'E_MODEL_DISPOSED' });
  });
});
