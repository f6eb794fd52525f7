import { initEngine } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { TextClassifier } from './text-classifier';
import { TICKETS } from './test-helpers';

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

/** 20,000 ticket-like texts (the training texts with a number appended, so no two are the same). */
const BIG = Array.from({ length: 20_000 }, (_, i) => `${TICKETS[i % TICKETS.length]!.text} ${i}`);

describe('predictBatch gives the event loop turns on a large batch, with the same results', () => {
  for (const model of ['linear', 'fasttext'] as const) {
    it(`${model}: a timer fires during a 20,000-text batch; the scores equal those of small batches`, async () => {
      const m = TextClassifier.create({ model, seed: 1, ...(model === 'fasttext' ? { fasttext: { epochs: 3, dim: 8 } } : {}) });
      await m.train(TICKETS);
      let ticks = 0;
      const timer = setInterval(() => ticks++, 0);
      let got: Awaited<ReturnType<TextClassifier['predictBatch']>>;
      try {
        got = await m.predictBatch(BIG);
      } finally {
        clearInterval(timer);
      }
      expect(ticks).toBeGreaterThan(0);
      expect(got).toHaveLength(BIG.length);
      // Spot checks against batches small enough to run in one go.
      for (const at of [0, 511, 512, 9_999, 19_999]) expect(got[at]).toEqual((await m.predictBatch([BIG[at]!]))[0]);
      expect(got.slice(1_000, 1_100)).toEqual(await m.predictBatch(BIG.slice(1_000, 1_100)));
      m.dispose();
    }, 120_000);
  }

  it('evaluate turns too, and a dispose during a batch is E_MODEL_DISPOSED', async () => {
    const m = TextClassifier.create({ seed: 1 });
    await m.train(TICKETS);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      const metrics = await m.evaluate(BIG.map((text, i) => ({ text, label: TICKETS[i % TICKETS.length]!.label })));
      expect(metrics.accuracy).toBeGreaterThan(0.9);
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
    const pending = m.predictBatch(BIG);
    setImmediate(() => m.dispose());
    await expect(pending).rejects.toMatchObject({ code: 'E_MODEL_DISPOSED' });
  }, 120_000);
});

describe('a batch starts again on a model retrained under it at most three times', () => {
  /** Retrains `m` every ~80 ms (each retrain ends during the batch) until `pending` settles or `limit` retrains. */
  async function retrainUntil(m: TextClassifier, pending: Promise<unknown>, limit: number): Promise<number> {
    let settled = false;
    void pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    let retrains = 0;
    while (!settled && retrains < limit) {
      await new Promise((r) => setTimeout(r, 80));
      if (settled) break;
      await m.train(TICKETS, { epochs: 1 });
      retrains++;
    }
    return retrains;
  }

  it('predictBatch and evaluate: retrained on and on during a batch is E_BUSY after three restarts', async () => {
    const m = TextClassifier.create({ seed: 1 });
    await m.train(TICKETS);
    const pending = m.predictBatch(BIG);
    const retrains = retrainUntil(m, pending, 25);
    await expect(pending).rejects.toMatchObject({ code: 'E_BUSY', details: { restarts: 4, texts: BIG.length } });
    expect(await retrains).toBeLessThan(25);
    const evaluating = m.evaluate(BIG.map((text, i) => ({ text, label: TICKETS[i % TICKETS.length]!.label })));
    const retraining = retrainUntil(m, evaluating, 25);
    await expect(evaluating).rejects.toMatchObject({ code: 'E_BUSY' });
    expect(await retraining).toBeLessThan(25);
    m.dispose();
  }, 120_000);

  it('one retrain during a batch: the batch is scored by the new model', async () => {
    const m = TextClassifier.create({ seed: 1 });
    await m.train(TICKETS);
    const pending = m.predictBatch(BIG);
    await new Promise((r) => setTimeout(r, 80));
    await m.train(TICKETS.map((t) => ({ text: t.text, label: `new-${t.label as string}` })));
    const got = await pending;
    expect(got).toHaveLength(BIG.length);
    expect(got.every((p) => p.label.startsWith('new-'))).toBe(true);
    m.dispose();
  }, 120_000);
});
