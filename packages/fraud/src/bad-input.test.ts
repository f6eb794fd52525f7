import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError, initEngine, tf } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { adbenchSplit } from './adbench-split';
import { FraudDetector, type FraudDetectorConfig } from './detector';
import { TransactionScorer } from './scorer';
import { TransactionFeatures } from './stream';
import { generateTransactions } from './synthetic';
import { takeRows } from './matrix';
import { chooseThreshold } from './thresholds';

const invalid = expect.objectContaining({ code: 'E_INPUT_INVALID' });
const rows = Array.from({ length: 40 }, (_, i) => [i % 7, (i * 3) % 11, i / 10]);

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return AppliedMLError.isInstance(e) ? e.code : `untyped ${String(e)}`;
  }
  return 'no error';
}

describe('bad input found by an audit: typed errors, no hangs, no silent garbage', () => {
  it('options that would exhaust memory, train nothing or fail inside tfjs are refused at create', () => {
    const bad: FraudDetectorConfig[] = [
      { detector: 'iforest', iforest: { trees: 0 } },
      { detector: 'iforest', iforest: { sampleSize: 0 } },
      { detector: 'knn', knn: { k: 0 } },
      { detector: 'knn', knn: { reference: Number.NaN } },
      { detector: 'ensemble', maxReasons: -1 },
      { detector: 'ensemble', members: ['ecod', 'ecod'] },
      { detector: 'mlp', mlp: { hidden: [0] } },
      { detector: 'mlp', mlp: { learningRate: Number.NaN } },
      { detector: 'mlp', mlp: { batchSize: 0 } },
      { detector: 'mlp', mlp: { classWeight: [Number.NaN, 1] } },
      { detector: 'autoencoder', autoencoder: { epochs: -1 } },
      { detector: 'gbt', gbt: { learningRate: 0 } },
      { detector: 'gbt', gbt: { maxBins: 300 } },
      { detector: 'gbt', gbt: { trees: 0 } },
      { detector: 'gbt', gbt: { subsample: 2 } },
      { detector: 'gbt', gbt: { forest: { maxBins: 300 } } },
      { detector: 'gbt', gbt: { forest: { trees: 2, extraTrees: 3 } } },
    ];
    for (const config of bad) expect(() => FraudDetector.create(config), JSON.stringify(config)).toThrow(invalid);
  });

  it('preprocessing widths are bounded, and enum options checked, at train', async () => {
    const records = rows.map(([a, b], i) => ({ amount: a, shop: `s${i}`, kind: String(b) }));
    for (const preprocess of [{ maxOneHot: 1, hashBuckets: 1e9 }, { hashBuckets: 0 }, { hashBuckets: -1 }, { unknownCategory: 'drop' }]) {
      const m = FraudDetector.create({ detector: 'ecod', preprocess: preprocess as never });
      expect(await codeOf(m.train(records)), JSON.stringify(preprocess)).toBe('E_INPUT_INVALID');
    }
  });

  it('values JSON cannot print (BigInt) are refused with their value in the message, not a TypeError', async () => {
    const model = FraudDetector.create({ detector: 'ecod' });
    await model.train(rows);
    await expect(model.predictBatch([[1n, 2, 3] as never])).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: expect.stringContaining('1n'),
    });
    expect(() => FraudDetector.create({ detector: 'mlp', mlp: { epochs: 2n as never } })).toThrow(invalid);
    model.dispose();
  });

  it('numeric rows hold numbers; a matrix holds rows × cols values; time fields are real times', async () => {
    const m = FraudDetector.create({ detector: 'ecod' });
    await m.train(rows);
    expect(await codeOf(m.predictBatch([['1', '2', '3']] as never))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => m.scores([[null, 2, 3]] as never))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => m.scores(['123'] as never))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => m.scores({ data: new Float64Array(4), rows: 3, cols: 3 }))).toBe('E_SHAPE_MISMATCH');
    expect(await codeOf(() => m.scores({ data: new Float64Array(3), rows: 1.5, cols: 2 }))).toBe('E_SHAPE_MISMATCH');
    expect(await codeOf(() => m.scores({ data: new Float64Array(3), rows: -1, cols: 3 }))).toBe('E_SHAPE_MISMATCH');
    expect(await codeOf(m.evaluate(rows, null as never))).toBe('E_INPUT_INVALID');
    expect(await codeOf(FraudDetector.create().train(null as never))).toBe('E_INPUT_INVALID');
    const timed = FraudDetector.create({ detector: 'ecod' });
    await timed.train(rows.map(([a], i) => ({ amount: a, ts: new Date(Date.UTC(2026, 0, 1 + i)).toISOString() })));
    expect(await codeOf(() => timed.scores([{ amount: 1, ts: 1e20 }]))).toBe('E_INPUT_INVALID');
    m.dispose();
    timed.dispose();
  });

  it('a misspelt option is refused at create with the valid names, not ignored', () => {
    const refused = (f: () => unknown, pattern: RegExp): void => {
      expect(f).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringMatching(pattern) }));
    };
    refused(() => FraudDetector.create({ detecter: 'ecod' } as never), /FraudDetector config has no option 'detecter'; valid: detector, /);
    refused(() => FraudDetector.create({ detector: 'gbt', gbt: { learningrate: 0.1 } as never }), /gbt has no option 'learningrate'/);
    refused(() => FraudDetector.create({ detector: 'gbt', gbt: { forest: { tress: 10 } as never } }), /gbt.forest has no option 'tress'/);
    refused(() => FraudDetector.create({ iforest: { tree: 10 } as never }), /iforest has no option 'tree'/);
    refused(() => FraudDetector.create({ preprocess: { onehot: 4 } as never }), /preprocess has no option 'onehot'/);
    refused(() => TransactionScorer.create({ feature: {} } as never), /TransactionScorer config has no option 'feature'/);
    refused(() => TransactionScorer.create({ features: { window: [60] } as never }), /features has no option 'window'/);
    refused(() => TransactionScorer.create({ detector: { detector: 'ecod', seeds: 1 } as never }), /has no option 'seeds'/);
    // Every documented option passes.
    FraudDetector.create({
      detector: 'gbt',
      gbt: { trees: 5, forest: { trees: 3, extraTrees: 1 } },
      preprocess: { maxOneHot: 4 },
    }).dispose();
  });

  it('reason texts compare a value with the training median only when both are positive', async () => {
    const records = Array.from({ length: 300 }, (_, i) => ({ drift: -0.05 - (i % 7) * 0.003, amount: 20 + (i % 11) }));
    const m = FraudDetector.create({ detector: 'ecod' });
    await m.train(records);
    const [neg, pos] = await m.predictBatch([
      { drift: -1.5, amount: 25 },
      { drift: -0.06, amount: 900 },
    ]);
    const negText = neg?.reasons.find((r) => r.feature === 'drift')?.text ?? '';
    expect(negText).toMatch(/^drift = -1\.50 \(training median -0\.0/);
    expect(negText).not.toMatch(/×/);
    expect(pos?.reasons.find((r) => r.feature === 'amount')?.text).toMatch(/^amount = 900 \(36× the training median 25/);
    m.dispose();
  });

  it('a numeric field with a stray text cell is an error naming the row, not a silent category', async () => {
    const records = Array.from({ length: 200 }, (_, i) => ({ amount: 10 + (i % 17), channel: i % 3 ? 'web' : 'pos' }));
    const stray = records.map((r, i) => (i === 57 ? { ...r, amount: 'N/A' } : r));
    const m = FraudDetector.create({ detector: 'ecod' });
    await expect(m.train(stray as never)).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      details: { row: 57, field: 'amount' },
      message: expect.stringMatching(/field 'amount' holds numbers in 199 of 200 rows, but row 57 holds "N\/A"/),
    });
    // Missing given as null is a missing value; a declared code field is a category.
    await m.train(records.map((r, i) => (i === 57 ? { ...r, amount: null } : r)) as never);
    expect(m.featureNames).toContain('amount');
    const coded = FraudDetector.create({ detector: 'ecod', preprocess: { schema: { amount: 'categorical' } } });
    await coded.train(stray as never);
    expect(coded.featureNames).not.toContain('amount');
    m.dispose();
    coded.dispose();
  });

  it("number strings are decimal: '0x10' is not 16, a column of codes like it is categorical", async () => {
    const m = FraudDetector.create({ detector: 'ecod' });
    await m.train(rows.map(([a, b], i) => ({ amount: String(a), code: i % 2 ? '0x10' : '12', fee: ` ${b}e-1 ` })));
    expect(m.inputColumns).toEqual(['amount', 'code', 'fee']);
    // One-hot columns for the codes; amount and fee as numbers.
    expect(m.featureNames.filter((n) => n.startsWith('code'))).toHaveLength(2);
    expect(m.featureNames).toContain('amount');
    expect(m.featureNames).toContain('fee');
    for (const amount of ['0x10', '0b11', '1_000', 'Infinity'])
      expect(await codeOf(() => m.scores([{ amount, code: '12', fee: '1' }])), amount).toBe('E_INPUT_INVALID');
    expect(m.scores([{ amount: '+1.5E1', code: '12', fee: '.5' }])).toHaveLength(1);
    m.dispose();
  });

  it('thresholds and splits refuse missing arguments with a typed error', async () => {
    expect(await codeOf(() => chooseThreshold([0.1, 0.9], undefined as never))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => chooseThreshold(null as never, { topK: 1 }))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => adbenchSplit(null as never, 1))).toBe('E_INPUT_INVALID');
    // Values JSON cannot print, inside a rule or an option list: typed, not a TypeError from the message.
    expect(await codeOf(() => chooseThreshold([0.1, 0.9], { topK: 1n } as never))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => chooseThreshold([0.1, 0.9], { topK: 1, extra: 1n } as never))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => FraudDetector.create({ members: [1n] as never }))).toBe('E_INPUT_INVALID');
  });

  it('a network whose training fails leaves no tensors behind', async () => {
    await initEngine();
    const before = tf.memory().numTensors;
    for (const detector of ['mlp', 'autoencoder'] as const) {
      const m = FraudDetector.create({ detector });
      // Two rows cannot be split for validation: training fails, typed.
      const code = await codeOf(
        m.train(
          [
            [1, 2],
            [3, 4],
          ],
          detector === 'mlp' ? { labels: [0, 1] } : {},
        ),
      );
      expect(code, detector).not.toBe('no error');
      expect(code.startsWith('untyped'), `${detector}: ${code}`).toBe(false);
      m.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a transaction is read once: a getter answering a number to the check and NaN later cannot reach the card state', async () => {
    const txs = generateTransactions({ cards: 40, days: 5, seed: 2 });
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(txs.slice(0, 300));
    const t0 = txs[301]!.timestamp as number;
    const sly = (): Record<string, unknown> => {
      let reads = 0;
      return {
        card: 'c-sly',
        timestamp: t0,
        get amount() {
          return ++reads <= 1 ? 10 : Number.NaN;
        },
      };
    };
    expect(Number.isFinite((await scorer.score(sly() as never)).score)).toBe(true);
    await scorer.scoreAll([sly() as never]);
    const next = await scorer.score({ card: 'c-sly', amount: 10, timestamp: t0 + 1000 }, { remember: false });
    for (const [name, v] of Object.entries(next.features)) expect(Number.isFinite(v), name).toBe(true);
    expect(next.features.card_history).toBe(2);
    // A Date whose time changes between reads is read once too: a batch refused for another transaction
    // leaves every card as it was, and a Proxy of a Date is E_INPUT_INVALID.
    class SlyDate extends Date {
      reads = 0;
      override getTime(): number {
        return ++this.reads <= 1 ? super.getTime() : Number.NaN;
      }
    }
    const history = scorer.entities;
    const fine = { card: 'c-fine', amount: 5, timestamp: new SlyDate(t0 + 2000) };
    const scored = await scorer.scoreAll([fine]);
    expect(Number.isFinite(scored[0]!.score)).toBe(true);
    expect(scorer.entities).toBe(history + 1);
    const pair = await scorer.scoreAll([
      { card: 'c-a2', amount: 5, timestamp: t0 + 2400 },
      { card: 'c-sly2', amount: 5, timestamp: new SlyDate(t0 + 2500) },
    ]);
    for (const p of pair) expect(Number.isFinite(p.score)).toBe(true);
    expect(scorer.entities).toBe(history + 3);
    expect(await codeOf(scorer.score({ ...fine, timestamp: new Proxy(new Date(t0), {}) } as never))).toBe('E_INPUT_INVALID');
    // score reads its transaction when called: an object changed before its turn is scored as given.
    const given = { card: 'c-given', amount: 7, timestamp: t0 + 3000 };
    const pending = scorer.score(given, { remember: false });
    given.amount = Number.NaN;
    expect((await pending).features.amount).toBe(7);
    // The state saved after them loads.
    const dir = await mkdtemp(join(tmpdir(), 'fraud-sly-'));
    try {
      await scorer.save(join(dir, 'scorer'));
      (await TransactionScorer.load(join(dir, 'scorer'))).dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Values JSON cannot print and getters that throw: E_INPUT_INVALID naming the field, not a TypeError.
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const throwing = {
      card: 'c',
      timestamp: t0,
      get amount(): number {
        throw new Error('no');
      },
    };
    for (const tx of [{ card: 'c', timestamp: t0, amount: 10n }, { card: 'c', timestamp: t0, amount: circular }, throwing]) {
      const error = await scorer.score(tx as never).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'E_INPUT_INVALID', details: { field: 'amount' } });
      expect(await codeOf(scorer.scoreAll([tx as never]))).toBe('E_INPUT_INVALID');
    }
    scorer.dispose();
  });

  it('the streaming scorer checks a whole batch before any of it enters the card state', async () => {
    const txs = generateTransactions({ cards: 40, days: 5, seed: 2 });
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(txs.slice(0, 300));
    const cards = scorer.entities;
    const fresh = txs.slice(300, 302).map((t) => ({ ...t, card: 'card-new-' + t.card }));
    const bad = { ...txs[302]!, card: '' };
    expect(await codeOf(scorer.scoreAll([...fresh, bad]))).toBe('E_INPUT_INVALID');
    expect(await codeOf(scorer.evaluate([...fresh, bad], [0, 0, 0]))).toBe('E_INPUT_INVALID');
    expect(scorer.entities).toBe(cards); // the two good ones did not enter the state
    expect(await codeOf(scorer.evaluate(fresh, [0]))).toBe('E_SHAPE_MISMATCH');
    expect(await codeOf(scorer.train(txs.slice(0, 10), { labels: [0, 1] }))).toBe('E_SHAPE_MISMATCH');
    expect(await codeOf(scorer.score({ ...txs[303]!, timestamp: 1e20 }))).toBe('E_INPUT_INVALID');
    expect(await codeOf(scorer.train(null as never))).toBe('E_INPUT_INVALID');
    for (const state of [
      null,
      { options: {}, entities: [1] },
      { options: {}, entities: [['c', { times: 'x' }]] },
      { options: { historySize: -1 }, entities: [] },
      // times out of order: the features read the history as a time-ordered prefix
      { options: {}, entities: [['c', { times: [2, 1], amounts: [1, 1], merchants: [], countries: [] }]] },
      { options: {}, entities: [['c', { times: [1], amounts: [1], merchants: ['m'], countries: [], merchantFirstSeen: [['m', 'soon']] }]] },
    ])
      expect(await codeOf(() => TransactionFeatures.fromState(state as never)), JSON.stringify(state)).toBe('E_BUNDLE_CORRUPT');
    for (const options of [{ historySize: Number.NaN }, { windowsSeconds: 3600 }, { maxEntities: 0 }])
      expect(await codeOf(() => new TransactionFeatures(options as never)), JSON.stringify(options)).toBe('E_INPUT_INVALID');
    scorer.dispose();
  });

  it('huge finite values are clipped, not overflowed: every detector scores finite, the huge row ranks first', async () => {
    const big = [1e300, 0, 0];
    for (const detector of ['pca', 'knn', 'ecod', 'iforest', 'ensemble'] as const) {
      const model = FraudDetector.create({ detector, seed: 1 });
      await model.train([...rows, [1e300, 1, 1]]);
      const scores = model.scores([...rows, big]);
      expect(scores.every(Number.isFinite), detector).toBe(true);
      expect(Math.max(...scores), detector).toBe(scores[rows.length]);
      const ev = await model.evaluate([...rows, big], [...rows.map(() => 0), 1]);
      expect(ev.aucroc, detector).toBe(1);
      model.dispose();
    }
  });

  it('takeRows refuses an index that is not a row (no silent rows of zeros)', async () => {
    const m = { data: Float64Array.from([1, 2, 3, 4, 5, 6]), rows: 3, cols: 2 };
    expect(Array.from(takeRows(m, [2, 0]).data)).toEqual([5, 6, 1, 2]);
    for (const idx of [[3], [-1], [1.5], [Number.NaN]]) expect(await codeOf(() => takeRows(m, idx)), String(idx)).toBe('E_INPUT_INVALID');
  });

  it('a batch of records with a hole is refused at that row, as in training (it scored as a row of zeros)', async () => {
    const records = Array.from({ length: 60 }, (_, i) => ({ amount: (i % 9) + 1, country: i % 2 ? 'DE' : 'FR' }));
    const model = FraudDetector.create({ detector: 'ecod' });
    await model.train(records);
    const batch = [records[0], , records[1]] as Array<Record<string, unknown>>;
    await expect(model.predictBatch(batch)).rejects.toMatchObject({ code: 'E_INPUT_INVALID', details: { row: 1 } });
    await expect(model.evaluate(batch, [0, 0, 0])).rejects.toMatchObject({ code: 'E_INPUT_INVALID', details: { row: 1 } });
    expect(() => model.scores(batch)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    await expect(model.train(batch)).rejects.toMatchObject({ code: 'E_INPUT_INVALID', details: { row: 1 } });
    model.dispose();
  });
});

describe('TransactionScorer messages in its own words (review F10)', () => {
  const T = Date.UTC(2026, 9, 14);
  const refusal = async (p: Promise<unknown>): Promise<{ code: string; message: string }> => {
    try {
      await p;
    } catch (e) {
      if (AppliedMLError.isInstance(e)) return { code: e.code, message: e.message };
      throw e;
    }
    throw new Error('expected a refusal');
  };

  it('an untrained scorer names itself and what trains or loads it, not the FraudDetector', async () => {
    const scorer = TransactionScorer.create({});
    const tx = { card: 'a', amount: 1, timestamp: T };
    for (const call of [scorer.score(tx), scorer.scoreAll([tx]), scorer.evaluate([tx, tx], [0, 1]), scorer.calibrate([tx], { topK: 1 })]) {
      const { code, message } = await refusal(call);
      expect(code).toBe('E_MODEL_NOT_TRAINED');
      expect(message).toBe(
        'This TransactionScorer is not trained: train it on a history of transactions (scorer.train) or load a saved one (TransactionScorer.load) first.',
      );
    }
    expect(() => scorer.threshold).toThrow(
      expect.objectContaining({ code: 'E_MODEL_NOT_TRAINED', message: expect.stringMatching(/^This TransactionScorer is not trained/) }),
    );
    scorer.dispose();
  });

  it("an invalid Date is 'an invalid Date' (it was 'a object'); an empty batch needs a transaction, not a record", async () => {
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(generateTransactions({ cards: 20, days: 2, seed: 1 }));
    const got = async (timestamp: unknown): Promise<string> =>
      (await refusal(scorer.score({ card: 'a', amount: 1, timestamp } as never))).message;
    expect(await got(new Date('x'))).toBe(
      'Transaction timestamp is not a time (got an invalid Date): give a Date, epoch milliseconds or an ISO 8601 string.',
    );
    expect(await got({})).toMatch(/\(got an object\)/);
    expect(await got([1])).toMatch(/\(got an array\)/);
    expect(await got(Number.NaN)).toMatch(/\(got NaN\)/);
    expect(await got(true)).toMatch(/\(got a boolean\)/);
    expect(await refusal(scorer.scoreAll([]))).toEqual({ code: 'E_INPUT_INVALID', message: 'Scoring needs at least one transaction.' });
    expect((await refusal(scorer.calibrate([], { topK: 1 }))).message).toBe('Calibration needs at least one transaction.');
    expect((await refusal(scorer.evaluate([], []))).message).toBe('Evaluation needs at least one transaction.');
    scorer.dispose();
  });
});
