import { AppliedMLError, initEngine, tf } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { FraudDetector, type FraudDetectorConfig } from './detector';

const rows = (n: number): { amount: number; chan: string }[] =>
  Array.from({ length: n }, (_, i) => ({ amount: 10 + i, chan: i % 2 ? 'a' : 'b' }));

async function refusal(p: Promise<unknown>): Promise<AppliedMLError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppliedMLError);
    return e as AppliedMLError;
  }
  throw new Error('expected a refusal');
}

describe('the network detectors on too few rows', () => {
  it('autoencoder, mlp and an ensemble with an autoencoder say how many rows they need and what to use instead, not validationSplit', async () => {
    await initEngine();
    const tensors = tf.memory().numTensors;
    const cases: Array<[FraudDetectorConfig, string, string]> = [
      [{ detector: 'autoencoder' }, 'autoencoder', "detector: 'ecod'"],
      [{ detector: 'ensemble', members: ['ecod', 'autoencoder'] }, 'autoencoder', "without 'autoencoder' in members"],
      [{ detector: 'mlp' }, 'mlp', "detector: 'gbt'"],
    ];
    for (const [config, what, instead] of cases) {
      for (const n of [2, 5, 9]) {
        const data = rows(n);
        const model = FraudDetector.create({ ...config, seed: 0 });
        const e = await refusal(model.train(data, what === 'mlp' ? { labels: data.map((_, i) => (i === 0 ? 1 : 0)) } : {}));
        expect(e.code).toBe('E_INPUT_INVALID');
        expect(e.message).not.toContain('validationSplit');
        expect(e.message).toContain(`The ${what} detector needs at least 10 training rows (it got ${n})`);
        expect(e.message).toContain(instead);
        expect(e.details).toMatchObject({ detector: what, rows: n, minRows: 10, reason: 'too-few-rows' });
        model.dispose();
      }
    }
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('10 rows train', async () => {
    const data = rows(10);
    const ae = FraudDetector.create({ detector: 'autoencoder', seed: 0, autoencoder: { epochs: 2 } });
    await ae.train(data);
    const mlp = FraudDetector.create({ detector: 'mlp', seed: 0, mlp: { epochs: 2 } });
    await mlp.train(data, { labels: data.map((_, i) => (i < 2 ? 1 : 0)) });
    expect((await mlp.predictBatch(data)).every((p) => Number.isFinite(p.score))).toBe(true);
    expect((await ae.predictBatch(data)).every((p) => Number.isFinite(p.score))).toBe(true);
    ae.dispose();
    mlp.dispose();
  });
});
