import { AppliedMLError, initEngine, tf } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
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

  it('a dispose right after predict / predictBatch / evaluate of a network detector is E_MODEL_DISPOSED, not a tfjs error, and frees everything', async () => {
    const configs: FraudDetectorConfig[] = [
      { detector: 'autoencoder', autoencoder: { hidden: [4], epochs: 1 } },
      { detector: 'mlp', mlp: { hidden: [4], epochs: 1 } },
    ];
    for (const config of configs) {
      for (const call of [
        (m: FraudDetector) => m.predictBatch(rows.slice(0, 5)),
        (m: FraudDetector) => m.predict(rows[0]!),
        (m: FraudDetector) => m.evaluate(rows, labels),
      ]) {
        const before = tf.memory().numTensors;
        const model = FraudDetector.create(config);
        await model.train(rows, config.detector === 'mlp' ? { labels } : {});
        const run = call(model);
        model.dispose();
        const error = await run.then(
          () => undefined,
          (e: unknown) => e,
        );
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

  it('a disposed streaming scorer says so before checking calibrate arguments', async () => {
    const txs = generateTransactions({ cards: 20, days: 3, seed: 3 });
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(txs.slice(0, 400));
    scorer.dispose();
    await expect(scorer.calibrate(undefined as never, undefined as never)).rejects.toMatchObject({ code: 'E_MODEL_DISPOSED' });
  });
});
