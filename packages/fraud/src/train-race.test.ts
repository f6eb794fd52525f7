import { AppliedMLError, initEngine, tf } from '@appliedml/engine';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FraudDetector, type FraudDetectorConfig } from './detector';
import { TransactionScorer } from './scorer';
import { generateTransactions } from './synthetic';

// Two trains of one detector overlapping (a service retraining on fresh data while an older retrain runs):
// the model ends as the last-started train left it, whatever the finishing order.
describe('overlapping trains', () => {
  beforeAll(async () => {
    await initEngine();
  });

  /**
   * The clock moves 100 ms per reading, so every train takes an event-loop turn at each of its steps and
   * the two interleave by their steps, not by the machine's speed: the one with far more steps ends last.
   */
  let clock: { mockRestore(): void } | undefined;
  const stepClock = (): void => {
    let now = performance.now();
    clock = vi.spyOn(performance, 'now').mockImplementation(() => (now += 100));
  };
  afterEach(() => {
    clock?.mockRestore();
    clock = undefined;
  });

  // The older train has more columns (so more steps: the preprocessing and ECOD take a step per column) and rows.
  const older = Array.from({ length: 3000 }, (_, i) => ({
    amount: (i * 37) % 101,
    old_field: i % 2 ? 'a' : 'b',
    ...Object.fromEntries(Array.from({ length: 12 }, (_, k) => [`f${k}`, Math.sin(i * (k + 1))])),
  }));
  const olderColumns = ['amount', 'old_field', ...Array.from({ length: 12 }, (_, k) => `f${k}`)];
  const newer = Array.from({ length: 60 }, (_, i) => ({ amount: (i * 37) % 101, new_field: i % 3 ? 'x' : 'y' }));
  const labelsOf = (rows: readonly unknown[]): number[] => rows.map((_, i) => (i % 9 === 0 ? 1 : 0));

  /** Starts `first`, then `second` at the first turn `first` takes; the settle order and each outcome. */
  async function race(
    model: FraudDetector,
    first: () => Promise<unknown>,
    second: () => Promise<unknown>,
  ): Promise<{ order: string[]; first: unknown; second: unknown }> {
    const order: string[] = [];
    const settle = (name: string, run: Promise<unknown>): Promise<unknown> =>
      run.then(
        (value) => (order.push(name), value),
        (error: unknown) => (order.push(name), error),
      );
    const a = settle('first', first());
    const b = new Promise<unknown>((resolve) => setImmediate(() => resolve(settle('second', second()))));
    const [ra, rb] = await Promise.all([a, b]);
    return { order, first: ra, second: rb };
  }

  const configs: Array<[FraudDetectorConfig, boolean]> = [
    [{ detector: 'ecod' }, false],
    [{ detector: 'iforest', iforest: { trees: 20 } }, false],
    [{ detector: 'gbt', gbt: { trees: 20, forest: false } }, true],
    [{ detector: 'mlp', mlp: { hidden: [4], epochs: 3 } }, true],
    [{ detector: 'autoencoder', autoencoder: { hidden: [4], epochs: 3 } }, false],
  ];

  it('a train started earlier that finishes later is refused with E_BUSY, frees what it built, and the later model stays', async () => {
    for (const [config, supervised] of configs) {
      const before = tf.memory().numTensors;
      const model = FraudDetector.create(config);
      stepClock();
      const r = await race(
        model,
        () => model.train(older, supervised ? { labels: labelsOf(older) } : {}),
        () => model.train(newer, supervised ? { labels: labelsOf(newer) } : {}),
      );
      clock?.mockRestore();
      // The order this test forces: the later, smaller train ends first.
      expect(r.order, config.detector).toEqual(['second', 'first']);
      expect(AppliedMLError.isInstance(r.first), `${config.detector}: ${String(r.first)}`).toBe(true);
      expect(r.first, config.detector).toMatchObject({
        code: 'E_BUSY',
        message: expect.stringContaining('a train started later has already replaced the model'),
        details: { reason: 'superseded' },
      });
      expect(r.second, config.detector).toMatchObject({ rows: newer.length });
      expect(model.inputColumns, config.detector).toEqual(['amount', 'new_field']);
      // The installed model is the later train's whole: it scores as that train alone would have.
      const alone = FraudDetector.create(config);
      await alone.train(newer, supervised ? { labels: labelsOf(newer) } : {});
      expect(await model.predictBatch(newer.slice(0, 5)), config.detector).toEqual(await alone.predictBatch(newer.slice(0, 5)));
      alone.dispose();
      model.dispose();
      expect(tf.memory().numTensors, config.detector).toBe(before);
    }
  });

  it('when the earlier train finishes first both install, and the later one stays', async () => {
    const model = FraudDetector.create({ detector: 'iforest', iforest: { trees: 20 } });
    stepClock();
    const r = await race(
      model,
      () => model.train(newer),
      () => model.train(older),
    );
    expect(r.order).toEqual(['first', 'second']);
    expect(r.first).toMatchObject({ rows: newer.length });
    expect(r.second).toMatchObject({ rows: older.length });
    expect(model.inputColumns).toEqual(olderColumns);
    model.dispose();
  });

  it('when the later train fails, the earlier one still installs', async () => {
    const before = tf.memory().numTensors;
    const model = FraudDetector.create({ detector: 'mlp', mlp: { hidden: [4], epochs: 3 } });
    stepClock();
    // The later train has no labels (a supervised detector needs them): it fails after fitting its preprocessing.
    const r = await race(
      model,
      () => model.train(older, { labels: labelsOf(older) }),
      () => model.train(newer),
    );
    expect(r.order).toEqual(['second', 'first']);
    expect(r.second).toMatchObject({ code: 'E_INPUT_INVALID' });
    expect(r.first).toMatchObject({ rows: older.length });
    expect(model.inputColumns).toEqual(olderColumns);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("TransactionScorer's trains run one after another in call order: the last called is the model, a failed later one leaves the earlier", async () => {
    const txs = generateTransactions({ cards: 40, days: 6, seed: 3 });
    const part = txs.slice(0, Math.floor(txs.length / 2));
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    const order: string[] = [];
    const a = scorer.train(txs).then((r) => (order.push('first'), r));
    const b = scorer.train(part).then((r) => (order.push('second'), r));
    const [ra, rb] = await Promise.all([a, b]);
    expect(order).toEqual(['first', 'second']);
    const alone = TransactionScorer.create({ detector: { detector: 'ecod' } });
    expect(rb.rows).toBe((await alone.train(part)).rows);
    expect(ra.rows).toBeGreaterThan(rb.rows);
    expect(scorer.threshold).toBe(alone.threshold);
    // A later train that fails (no transactions) leaves the earlier one's model.
    const c = scorer.train(txs);
    const d = scorer.train([]);
    await c;
    await expect(d).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    const whole = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await whole.train(txs);
    expect(scorer.threshold).toBe(whole.threshold);
    for (const s of [scorer, alone, whole]) s.dispose();
  });
});
