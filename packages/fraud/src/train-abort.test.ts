import { AppliedMLError, createRng, initEngine, tf } from '@appliedml/engine';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FraudDetector, type FraudDetectorConfig } from './detector';
import { fitForestSteps } from './forest';
import { fitGbtSteps } from './gbt';
import { fitPcaSteps } from './pca';
import { TransactionScorer } from './scorer';
import type { Steps } from './steps';
import { generateTransactions } from './synthetic';

// `train` takes `signal` (docs/sdk-conventions.md): an abort is seen at the next event-loop turn, in every
// detector's fit (the trees' and tables' too), and the call rejects with E_ABORTED, the detector as it was.

type Row = Record<string, number | string>;

// Six numbers and a five-level categorical; fraud leans on `a` and shop S3.
function records(seed: number, n: number): Row[] {
  const rng = createRng(seed);
  const g = (): number => Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());
  return Array.from({ length: n }, () => {
    const a = g();
    return { a, b: g(), c: a + 0.3 * g(), d: g(), e: Math.exp(g()), f: g(), shop: `S${Math.floor(rng.next() * 5)}` };
  });
}
const labelsOf = (rows: Row[]): number[] => rows.map((r) => ((r.a as number) + (r.shop === 'S3' ? 1.5 : 0) > 1.6 ? 1 : 0));

/**
 * Runs `call` with a clock that moves 100 ms per reading, so the call takes a turn at each chance
 * whatever the machine's speed; a setImmediate chain counts the turns. `atTurn` runs at each.
 */
async function countTurns<T>(
  call: () => Promise<T>,
  atTurn?: (turn: number) => void,
): Promise<{ value?: T; error?: unknown; turns: number }> {
  let now = performance.now();
  const clock = vi.spyOn(performance, 'now').mockImplementation(() => (now += 100));
  let turns = 0;
  let on = true;
  const tick = (): void => {
    turns++;
    atTurn?.(turns);
    if (on) setImmediate(tick);
  };
  try {
    setImmediate(tick);
    return await call().then(
      (value) => ({ value, turns }),
      (error: unknown) => ({ error, turns }),
    );
  } finally {
    on = false;
    clock.mockRestore();
  }
}

/** Everything a trained detector answers from, to compare bit for bit. */
async function answers(model: FraudDetector, rows: Row[]): Promise<unknown> {
  return { threshold: model.threshold, scores: Array.from(model.scores(rows)), predictions: await model.predictBatch(rows.slice(0, 60)) };
}

/** A proxy that throws when anything reads it: shows a call read none of its data. */
const untouchable = new Proxy([], {
  get() {
    throw new Error('the data was read');
  },
}) as unknown as Row[];

function expectAborted(error: unknown, what: string, reason?: unknown): void {
  expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
  expect(error).toMatchObject({ code: 'E_ABORTED', details: { reason: 'aborted' } });
  expect((error as Error).message).toContain(`${what} stopped`);
  if (reason !== undefined) expect((error as Error).cause).toBe(reason);
}

const train1 = records(1, 600);
const labels1 = labelsOf(train1);
const train2 = records(2, 600);
const labels2 = labelsOf(train2);
const test = records(3, 300);

beforeAll(async () => {
  await initEngine();
});

const KINDS: Array<[string, FraudDetectorConfig]> = [
  ['ecod', { detector: 'ecod' }],
  ['isolation forest', { detector: 'iforest' }],
  ['pca', { detector: 'pca' }],
  ['knn', { detector: 'knn' }],
  ['autoencoder', { detector: 'autoencoder', autoencoder: { epochs: 3 } }],
  ['ensemble (refined)', { detector: 'ensemble', members: ['ecod', 'iforest', 'pca', 'knn'] }],
  ['supervised mlp', { detector: 'mlp', mlp: { epochs: 3 } }],
  ['gradient-boosted trees + forest', { detector: 'gbt', gbt: { trees: 30 } }],
  [
    'gbt with outlier-score features',
    { detector: 'gbt', gbt: { trees: 20, forest: { trees: 10 } }, outlierFeatures: ['ecod', 'iforest', 'pca', 'knn'] },
  ],
];

describe('FraudDetector.train with a signal', () => {
  for (const [name, config] of KINDS)
    it(`${name}: a never-aborted signal trains bit-identically; aborted mid-train it rejects E_ABORTED, the model as before, no tensor left`, async () => {
      const supervised = config.detector === 'gbt' || config.detector === 'mlp';
      const opts = (labels: number[]): { labels?: number[] } => (supervised ? { labels } : {});
      const model = FraudDetector.create({ seed: 4, ...config });
      await model.train(train1, opts(labels1));
      const before = await answers(model, test);

      // (4) The same seed with a signal that never aborts: the same model to the last bit.
      const twin = FraudDetector.create({ seed: 4, ...config });
      const full = await countTurns(() => twin.train(train1, { ...opts(labels1), signal: new AbortController().signal }));
      expect(full.error).toBeUndefined();
      expect(await answers(twin, test)).toEqual(before);
      twin.dispose();
      // A retrain of a few hundred rows takes several turns with this clock.
      expect(full.turns).toBeGreaterThanOrEqual(6);

      // (2) A retrain on other rows aborted halfway through (by turns): E_ABORTED at the next turn.
      const tensors = tf.memory().numTensors;
      const controller = new AbortController();
      const reason = new Error('shutting down');
      const abortAt = Math.floor(full.turns / 2);
      const aborted = await countTurns(
        () => model.train(train2, { ...opts(labels2), signal: controller.signal }),
        (turn) => {
          if (turn === abortAt) controller.abort(reason);
        },
      );
      expect(aborted.value).toBeUndefined();
      expectAborted(aborted.error, 'FraudDetector.train', reason);
      // Seen at the turn after the abort's (a few at most), well before the full train's count.
      expect(aborted.turns).toBeLessThanOrEqual(abortAt + 3);
      expect(aborted.turns).toBeLessThan(full.turns);
      expect(tf.memory().numTensors).toBe(tensors);
      expect(model.isTrained).toBe(true);
      expect(await answers(model, test)).toEqual(before);
      model.dispose();
    }, 60_000);

  it('(1) an already-aborted signal rejects before any work: nothing read, nothing changed, no tensor made', async () => {
    const trained = FraudDetector.create({ detector: 'gbt', gbt: { trees: 10 }, seed: 1 });
    await trained.train(train1, { labels: labels1 });
    const before = await answers(trained, test);
    const untrained = FraudDetector.create({ detector: 'autoencoder', autoencoder: { epochs: 1 } });
    const tensors = tf.memory().numTensors;
    const reason = new Error('gone');
    for (const model of [trained, untrained]) {
      const error = await model.train(untouchable, { labels: labels1, signal: AbortSignal.abort(reason) }).catch((e: unknown) => e);
      expectAborted(error, 'FraudDetector.train', reason);
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(await answers(trained, test)).toEqual(before);
    expect(untrained.isTrained).toBe(false);
    await expect(untrained.predict(test[0] as Row)).rejects.toMatchObject({ code: 'E_MODEL_NOT_TRAINED' });
    // A timeout's abort says so.
    const timeout = AbortSignal.timeout(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(untrained.train(untouchable, { signal: timeout })).rejects.toMatchObject({
      code: 'E_ABORTED',
      details: { reason: 'timeout' },
      message: expect.stringContaining('FraudDetector.train stopped: its signal timed out') as unknown,
    });
    trained.dispose();
    untrained.dispose();
  });

  it('(3) a signal that is not an AbortSignal is E_INPUT_INVALID naming signal, before the data is read', async () => {
    const model = FraudDetector.create({ detector: 'ecod' });
    for (const signal of [true, 'x', {}, null, 1])
      await expect(model.train(untouchable, { signal: signal as unknown as AbortSignal })).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
        details: { field: 'signal' },
      });
    expect(model.isTrained).toBe(false);
  });

  it('overlapping trains: an aborted train installs nothing and stops no other train, started before or after it', async () => {
    const expectedAfter = FraudDetector.create({ detector: 'ensemble', seed: 2 });
    await expectedAfter.train(train2);
    const expected = await answers(expectedAfter, test);
    expectedAfter.dispose();

    // Aborted first, a later train goes on and installs.
    const model = FraudDetector.create({ detector: 'ensemble', seed: 2 });
    await model.train(train1);
    const controller = new AbortController();
    let later: Promise<unknown> | undefined;
    const first = await countTurns(
      () => {
        const aborted = model.train(train1, { signal: controller.signal });
        later = model.train(train2);
        return aborted;
      },
      (turn) => {
        if (turn === 2) controller.abort();
      },
    );
    expectAborted(first.error, 'FraudDetector.train');
    await later;
    expect(await answers(model, test)).toEqual(expected);

    // Aborted second: the train started before it still installs (no E_BUSY: the aborted one installed nothing).
    const controller2 = new AbortController();
    const earlier = model.train(train1);
    const second = model.train(train2, { signal: controller2.signal });
    controller2.abort();
    await expect(second).rejects.toMatchObject({ code: 'E_ABORTED' });
    await earlier;
    const reference = FraudDetector.create({ detector: 'ensemble', seed: 2 });
    await reference.train(train1);
    expect(await answers(model, test)).toEqual(await answers(reference, test));
    reference.dispose();
    model.dispose();
  }, 60_000);

  it('a dispose during a train with a signal is still E_MODEL_DISPOSED, aborted too; no tensor left', async () => {
    const tensors = tf.memory().numTensors;
    for (const network of ['autoencoder', 'mlp'] as const) {
      const model = FraudDetector.create({ detector: network, [network]: { epochs: 3 } });
      const controller = new AbortController();
      const { error } = await countTurns(
        () => model.train(train1, { labels: labels1, signal: controller.signal }),
        (turn) => {
          if (turn === 3) {
            model.dispose();
            controller.abort();
          }
        },
      );
      expect(error).toMatchObject({ code: 'E_MODEL_DISPOSED' });
    }
    expect(tf.memory().numTensors).toBe(tensors);
  }, 60_000);
});

describe('the tree learners and the PCA fit yield inside their long work (the same results)', () => {
  const count = <T>(steps: Steps<T>): { value: T; yields: number } => {
    let yields = 0;
    for (;;) {
      const r = steps.next();
      if (r.done) return { value: r.value, yields };
      yields++;
    }
  };
  // 3,000 rows of 8 features; one tree each.
  const x = { rows: 3_000, cols: 8, data: Float64Array.from({ length: 24_000 }, (_, i) => (Math.sin(i * 12.9898) * 43_758.5453) % 1) };
  const y = Uint8Array.from({ length: 3_000 }, (_, r) => ((x.data[r * 8] as number) + (x.data[r * 8 + 1] as number) > 0.9 ? 1 : 0));

  it('one boosted tree yields after its root and each split (leaf-wise) or level (symmetric)', () => {
    // Before: the binning's 8 + 1 yields and one after the tree.
    const leafWise = count(fitGbtSteps(x, y, { trees: 1, maxLeaves: 16, forest: false, validationFraction: 0 }));
    const splits = leafWise.value.trees[0]?.feature.filter((f) => f >= 0).length ?? 0;
    expect(splits).toBeGreaterThanOrEqual(8);
    expect(leafWise.yields).toBeGreaterThanOrEqual(8 + 1 + 1 + splits);
    const symmetric = count(fitGbtSteps(x, y, { trees: 1, growth: 'symmetric', maxDepth: 4, forest: false, validationFraction: 0 }));
    expect(symmetric.yields).toBeGreaterThanOrEqual(8 + 1 + 1 + 4);
  });

  it("a forest's tree yields every 65,536 rows its splits look through", () => {
    // 40,000 rows bootstrapped, grown to depth 12: several 65,536 rows looked through, an extra tree too.
    const big = { rows: 40_000, cols: 8, data: Float64Array.from({ length: 320_000 }, (_, i) => (Math.sin(i * 78.233) * 43_758.5453) % 1) };
    const by = Uint8Array.from({ length: 40_000 }, (_, r) => ((big.data[r * 8] as number) * (big.data[r * 8 + 2] as number) > 0.1 ? 1 : 0));
    for (const extraTrees of [0, 1]) {
      const fit = count(fitForestSteps(big, by, { trees: 1, extraTrees, maxDepth: 12 }));
      // Before: 8 (binning) + 4 (codes, every 8,192 rows) + 1 (the tree).
      expect(fit.yields).toBeGreaterThanOrEqual(8 + 4 + 1 + 2);
    }
  });

  it("PCA's fit yields in its covariance and eigen-decomposition", () => {
    // Before: none (fitPca ran in one go).
    expect(count(fitPcaSteps(x)).yields).toBeGreaterThanOrEqual(2);
  });
});

describe('TransactionScorer.train with a signal', () => {
  const history = generateTransactions({ cards: 60, days: 10, seed: 5 });
  const later = generateTransactions({ cards: 60, days: 10, seed: 6 });
  const probe = later.slice(0, 20);

  const state = async (scorer: TransactionScorer): Promise<unknown> => ({
    entities: scorer.entities,
    scores: await Promise.all(probe.map((tx) => scorer.score(tx, { remember: false }))),
  });

  it('aborted (already, or at a turn of its replay or its detector): E_ABORTED naming the scorer, card state and detector as before', async () => {
    const scorer = TransactionScorer.create({ detector: { detector: 'gbt', gbt: { trees: 10 } } });
    const labels = history.map((tx) => tx.label);
    await scorer.train(history, { labels });
    const before = await state(scorer);
    const tensors = tf.memory().numTensors;
    const reason = new Error('deadline');
    const error = await scorer.train(history, { labels, signal: AbortSignal.abort(reason) }).catch((e: unknown) => e);
    expectAborted(error, 'TransactionScorer.train', reason);
    for (const abortAt of [1, 4]) {
      const controller = new AbortController();
      const { error: midway } = await countTurns(
        () => scorer.train(later, { labels: later.map((tx) => tx.label), signal: controller.signal }),
        (turn) => {
          if (turn === abortAt) controller.abort(reason);
        },
      );
      expectAborted(midway, 'TransactionScorer.train', reason);
    }
    await expect(scorer.train(history, { signal: 'x' as unknown as AbortSignal })).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      details: { field: 'signal' },
    });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(await state(scorer)).toEqual(before);
    scorer.dispose();
  }, 60_000);

  it('the replay takes turns: an abort or a dispose (aborted too) at its first is seen there', async () => {
    const long = generateTransactions({ cards: 250, days: 14, seed: 7 });
    expect(long.length).toBeGreaterThan(3 * 1024);
    // In the replay: the detector never starts (its preprocessing would read the rows' fields).
    const train = vi.spyOn(FraudDetector.prototype, 'train');
    const aborting = TransactionScorer.create({ detector: { detector: 'ecod' } });
    const controller = new AbortController();
    const aborted = await countTurns(
      () => aborting.train(long, { signal: controller.signal }),
      (turn) => {
        if (turn === 1) controller.abort();
      },
    );
    expectAborted(aborted.error, 'TransactionScorer.train');
    expect(train).not.toHaveBeenCalled();
    expect(aborting.isTrained).toBe(false);
    aborting.dispose();
    train.mockRestore();
    for (const abort of [false, true]) {
      const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
      const controller = new AbortController();
      const { error } = await countTurns(
        () => scorer.train(long, { signal: controller.signal }),
        (turn) => {
          if (turn === 1) {
            scorer.dispose();
            if (abort) controller.abort();
          }
        },
      );
      expect(error).toMatchObject({ code: 'E_MODEL_DISPOSED', message: expect.stringContaining('TransactionScorer') as unknown });
    }
  });
});

// docs/sdk-conventions.md: the options are checked first (E_INPUT_INVALID; a device that is not one,
// E_DEVICE_INVALID), then an aborted signal (E_ABORTED) before the data is read or checked, then the
// data. `labels` are data. The device was checked only by the detectors that start the engine, after the
// data: an aborted signal hid it, and a gbt, ecod or forest took any device name.
describe('train checks its options, then the signal, then the data', () => {
  const history = generateTransactions({ cards: 20, days: 3, seed: 5 });

  it('FraudDetector: a bad option with an aborted signal is E_INPUT_INVALID / E_DEVICE_INVALID, data unread', async () => {
    for (const [, config] of KINDS) {
      const model = FraudDetector.create(config);
      for (const data of [train1, untouchable]) {
        await expect(model.train(data, { threshold: 2, signal: AbortSignal.abort() } as never)).rejects.toMatchObject({
          code: 'E_INPUT_INVALID',
        });
        await expect(model.train(data, { device: 'gpu9' as never, signal: AbortSignal.abort() })).rejects.toMatchObject({
          code: 'E_DEVICE_INVALID',
          details: { requested: 'gpu9' },
        });
      }
      model.dispose();
    }
  });

  it('FraudDetector: a device that is not one is refused by every detector, not only those that start the engine', async () => {
    const model = FraudDetector.create({ detector: 'ecod' });
    await expect(model.train(train1, { device: 'gpu9' as never })).rejects.toMatchObject({ code: 'E_DEVICE_INVALID' });
    expect(model.isTrained).toBe(false);
  });

  it('FraudDetector: bad data (or bad labels) with an aborted signal is E_ABORTED', async () => {
    const model = FraudDetector.create({ detector: 'gbt', gbt: { trees: 5 } });
    for (const [data, labels] of [
      ['not data', undefined],
      [null, undefined],
      [[], undefined],
      [train1, 'x'],
      [train1, [1, 0]],
    ] as const)
      await expect(
        model.train(data as never, { ...(labels !== undefined ? { labels: labels as never } : {}), signal: AbortSignal.abort() }),
      ).rejects.toMatchObject({ code: 'E_ABORTED' });
    model.dispose();
  });

  it('TransactionScorer: a bad option with an aborted signal is E_INPUT_INVALID / E_DEVICE_INVALID; bad data or labels, E_ABORTED', async () => {
    const scorer = TransactionScorer.create({ detector: { detector: 'gbt', gbt: { trees: 5 } } });
    for (const data of [history, 'not data']) {
      await expect(scorer.train(data as never, { threshold: 2, signal: AbortSignal.abort() } as never)).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
      });
      await expect(scorer.train(data as never, { device: 'gpu9' as never, signal: AbortSignal.abort() })).rejects.toMatchObject({
        code: 'E_DEVICE_INVALID',
      });
    }
    for (const [data, labels] of [
      ['not data', undefined],
      [[{ amount: 'x' }], undefined],
      [history, 'x'],
    ] as const)
      await expect(
        scorer.train(data as never, { ...(labels !== undefined ? { labels: labels as never } : {}), signal: AbortSignal.abort() }),
      ).rejects.toMatchObject({ code: 'E_ABORTED' });
    await expect(scorer.train(history, { device: 'gpu9' as never })).rejects.toMatchObject({ code: 'E_DEVICE_INVALID' });
    scorer.dispose();
  });
});
