import { AppliedMLError, createRng, initEngine, tf } from '@appliedml/engine';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FraudDetector, type FraudDetectorConfig } from './detector';
import type { Steps } from './steps';

// Above 0 while kNN's distances are being computed (its steps begun and not ended).
const inKnn = vi.hoisted(() => ({ depth: 0 }));
vi.mock('./knn', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./knn')>();
  const watched = <A extends unknown[], T>(steps: (...args: A) => Steps<T>) =>
    function* (...args: A): Steps<T> {
      inKnn.depth++;
      try {
        return yield* steps(...args);
      } finally {
        inKnn.depth--;
      }
    };
  return { ...actual, fitKnnSteps: watched(actual.fitKnnSteps), scoreKnnSteps: watched(actual.scoreKnnSteps) };
});

// predictBatch gave the event loop a turn every ~50 ms between blocks of 2,048 rows and while building
// reasons, but a block's scores ran in one go: a kNN block of 2,048 rows against 2,048 reference rows of
// 108 features kept a service from answering anything for 0.3–0.6 s, a PCA block with reasons up to
// 0.6 s. kNN now takes turns every few hundred rows of its distances (`knnStepRows`), on the same clock:
// as the detector, as an ensemble's member and as a supervised detector's outlier feature; PCA every few
// hundred rows too (`pcaStepRows`), and an ensemble between its members.

// Two 100-level categoricals (a long tail) and six numbers: 38 features.
function records(seed: number, n: number): Array<Record<string, number | string>> {
  const rng = createRng(seed);
  const g = (): number => Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());
  const level = (): string => `L${Math.min(99, Math.floor(Math.exp(rng.next() * Math.log(101)) - 1))}`;
  return Array.from({ length: n }, () => ({ a: g(), b: g(), c: g(), d: g(), e: g(), f: g(), shop: level(), region: level() }));
}

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

/** `cols` numbers, a few of them correlated: as many PCA components. */
function wide(seed: number, n: number, cols: number): Array<Record<string, number>> {
  const rng = createRng(seed);
  const g = (): number => Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());
  return Array.from({ length: n }, () => {
    const row: Record<string, number> = {};
    for (let c = 0; c < cols; c++) row[`x${c}`] = c % 10 === 1 ? (row[`x${c - 1}`] as number) + 0.1 * g() : g();
    return row;
  });
}

beforeAll(async () => {
  await initEngine();
});

describe("predictBatch's kNN and PCA scores take event-loop turns", () => {
  const train = records(1, 3_000);
  const labels = train.map((r) => ((r.a as number) + (r.shop === 'L3' ? 1.5 : 0) > 1.6 ? 1 : 0));
  // Two blocks of 2,048 rows.
  const batch = records(2, 4_096);
  const labels4096 = batch.map((r) => ((r.a as number) + (r.shop === 'L3' ? 1.5 : 0) > 1.6 ? 1 : 0));
  // The default 2,048 reference rows × 38 features: 431 rows between yields (knnStepRows).
  const knn = {};
  // 100 features and components: 419 rows between yields (pcaStepRows).
  const wideTrain = wide(3, 3_000, 100);
  const wideBatch = wide(4, 4_096, 100);

  for (const [name, config, data = { train, batch }] of [
    ['knn, no reasons', { detector: 'knn', knn, maxReasons: 0 }],
    ['knn with reasons', { detector: 'knn', knn }],
    ['an ensemble with knn', { detector: 'ensemble', members: ['ecod', 'knn'], knn }],
    ['gbt with a knn outlier feature, no reasons', { detector: 'gbt', outlierFeatures: ['knn'], knn, maxReasons: 0 }],
    ['pca, no reasons', { detector: 'pca', maxReasons: 0 }, { train: wideTrain, batch: wideBatch }],
    ['pca with reasons', { detector: 'pca' }, { train: wideTrain, batch: wideBatch }],
  ] as Array<
    [string, FraudDetectorConfig, { train: Array<Record<string, number | string>>; batch: Array<Record<string, number | string>> }?]
  >)
    it(`${name}: a block's rows a few hundred at a time, a turn due between them; the results of one pass, no tensor left`, async () => {
      const model = FraudDetector.create({ seed: 1, ...config });
      const { train, batch } = data;
      await model.train(train, config.detector === 'gbt' ? { labels } : {});
      // One pass: a batch of one block (2,048 rows) takes no turn, whatever the clock says.
      const first = await countTurns(() => model.predictBatch(batch.slice(0, 2_048)));
      expect(first.turns).toBe(0);
      const onePass = [...(first.value ?? []), ...(await model.predictBatch(batch.slice(2_048)))];
      const before = tf.memory().numTensors;
      const { value, turns } = await countTurns(() => model.predictBatch(batch));
      expect(tf.memory().numTensors).toBe(before);
      expect(value).toEqual(onePass);
      // 4 yields in each block's distances or projections (431 or 419 rows apart), a turn at each; one
      // between the blocks and, with reasons, 8 among each block's texts. When a block's scores ran in
      // one go: 1 turn without reasons, 17 with.
      // An ensemble also takes one between its members' scores (25 with ecod and knn before).
      const reasons = config.maxReasons === 0 ? 0 : 2 * 8;
      const members = config.detector === 'ensemble' ? 2 * ((config.members?.length ?? 2) - 1) : 0;
      expect(turns).toBeGreaterThanOrEqual(1 + 2 * 4 + reasons + members);
      model.dispose();
    }, 120_000);

  it('a dispose while a block is scored is E_MODEL_DISPOSED and frees everything', async () => {
    const before = tf.memory().numTensors;
    const model = FraudDetector.create({ detector: 'ensemble', members: ['knn', 'autoencoder'], knn, autoencoder: { epochs: 1 }, seed: 1 });
    await model.train(train);
    // The first turn is inside the first block's kNN scores (a batch's rows are transformed in one go).
    const { value, error, turns } = await countTurns(
      () => model.predictBatch(batch),
      (turn) => {
        if (turn === 1) model.dispose();
      },
    );
    expect(value).toBeUndefined();
    expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
    expect(error).toMatchObject({ code: 'E_MODEL_DISPOSED' });
    expect(turns).toBeGreaterThanOrEqual(1);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  // A call stopped at a turn closes its steps (`steps.return()`), so a generator's `finally` runs: here the
  // mock's, which counts kNN's open steps. predictBatch's and evaluate's blocks dropped theirs (1 left open).
  for (const what of ['train', 'predictBatch', 'evaluate'] as const)
    it(`${what}: a dispose at a turn inside kNN's steps closes them`, async () => {
      const model = FraudDetector.create({ detector: 'knn', knn, seed: 1 });
      if (what !== 'train') await model.train(train);
      const open = inKnn.depth;
      let inside = false;
      const { error } = await countTurns<unknown>(
        () =>
          what === 'train' ? model.train(train) : what === 'predictBatch' ? model.predictBatch(batch) : model.evaluate(batch, labels4096),
        () => {
          if (!inside && inKnn.depth > open) {
            inside = true;
            model.dispose();
          }
        },
      );
      expect(inside).toBe(true);
      expect(error).toMatchObject({ code: 'E_MODEL_DISPOSED' });
      expect(inKnn.depth).toBe(open);
    }, 120_000);

  it("train and evaluate: kNN's training scores and evaluate's blocks take turns inside the distances; the same model and results", async () => {
    const reference = FraudDetector.create({ detector: 'knn', seed: 1 });
    await reference.train(train);
    const expected = await reference.evaluate(batch, labels4096);
    reference.dispose();
    const model = FraudDetector.create({ detector: 'knn', seed: 1 });
    let inside = 0;
    const trained = await countTurns(
      () => model.train(train),
      () => {
        if (inKnn.depth > 0) inside++;
      },
    );
    expect(trained.error).toBeUndefined();
    // 3,000 training rows, 431 rows apart: 6 turns inside the leave-one-out scores (none before).
    expect(inside).toBeGreaterThanOrEqual(6);
    inside = 0;
    const evaluated = await countTurns(
      () => model.evaluate(batch, labels4096),
      () => {
        if (inKnn.depth > 0) inside++;
      },
    );
    // Two blocks of 2,048 rows, 4 turns inside each (none before).
    expect(inside).toBeGreaterThanOrEqual(2 * 4);
    expect(evaluated.value).toEqual(expected);
    model.dispose();
  }, 120_000);
});
