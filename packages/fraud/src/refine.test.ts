import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError, createRng, initEngine, tf } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FraudDetector } from './detector';

// `refine`: unsupervised detectors fitted a second time without the `contamination` share of training rows
// the first fit scores highest (the ensemble's default since session 23; docs/benchmarks/fraud.md).

/** 950 normal rows around 0 and 50 anomalies in a tight cluster of features 0 and 1 (masked in one fit). */
function clustered(seed: number): { x: number[][]; y: number[] } {
  const rng = createRng(seed);
  const g = (): number => Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 950; i++) {
    x.push([g(), g(), g(), g()]);
    y.push(0);
  }
  for (let i = 0; i < 50; i++) {
    x.push([2.5 + 0.1 * g(), 2.5 + 0.1 * g(), g(), g()]);
    y.push(1);
  }
  return { x, y };
}

function zscored(s: Float64Array, train: Float64Array): Float64Array {
  const m = train.reduce((a, v) => a + v, 0) / train.length;
  const sd = Math.sqrt(train.reduce((a, v) => a + (v - m) ** 2, 0) / train.length);
  return s.map((v) => (v - m) / sd);
}

async function expectInvalid(f: () => unknown, message: RegExp): Promise<void> {
  try {
    await f();
  } catch (e) {
    expect(AppliedMLError.isInstance(e)).toBe(true);
    expect((e as AppliedMLError).code).toBe('E_INPUT_INVALID');
    expect((e as AppliedMLError).message).toMatch(message);
    return;
  }
  throw new Error('expected E_INPUT_INVALID');
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fraud-refine-'));
  await initEngine();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('refine: a second fit without the rows the first fit finds most unusual', () => {
  const { x } = clustered(1);

  it("is the ensemble's default: its members are fitted again on the rows the one-fit ensemble scored lowest", async () => {
    const one = FraudDetector.create({ seed: 7, refine: false });
    const oneReport = await one.train(x);
    expect(oneReport.setAside).toBeUndefined();
    const first = one.scores(x);
    const drop = Math.floor(0.05 * x.length);
    const order = Array.from(first.keys()).sort((i, j) => (first[j] as number) - (first[i] as number) || i - j);
    const out = new Set(order.slice(0, drop));
    const kept = x.filter((_, i) => !out.has(i));
    const expected = new Float64Array(x.length);
    for (const detector of ['ecod', 'iforest'] as const) {
      const member = FraudDetector.create({ detector, seed: 7 });
      await member.train(kept);
      const z = zscored(member.scores(x), member.scores(kept));
      z.forEach((v, i) => (expected[i] = (expected[i] as number) + v / 2));
      member.dispose();
    }
    const refined = FraudDetector.create({ seed: 7 });
    const report = await refined.train(x);
    expect(report.setAside).toBe(drop);
    expect(report.rows).toBe(x.length);
    const got = refined.scores(x);
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i] as number, 9));
    // The default threshold still flags the `contamination` share of every training row.
    const flagged = got.filter((v) => v >= refined.threshold).length;
    expect(Math.abs(flagged - drop)).toBeLessThanOrEqual(1);
    one.dispose();
    refined.dispose();
  });

  it('finds a cluster of anomalies the one fit learnt as normal (scored on other rows of the same kind)', async () => {
    const test = clustered(2);
    const figures: Record<string, { aucroc: number; aucpr: number }> = {};
    for (const refine of [false, true]) {
      const model = FraudDetector.create({ seed: 1, refine });
      await model.train(x);
      figures[String(refine)] = await model.evaluate(test.x, test.y);
      model.dispose();
    }
    expect(figures.true?.aucpr).toBeGreaterThan((figures.false?.aucpr as number) + 0.05);
    expect(figures.true?.aucroc).toBeGreaterThan((figures.false?.aucroc as number) + 0.01);
  });

  it('one detector fits once unless asked; gbt and mlp refuse it; a non-boolean is refused', async () => {
    const plain = FraudDetector.create({ detector: 'iforest', seed: 2 });
    expect((await plain.train(x)).setAside).toBeUndefined();
    const twice = FraudDetector.create({ detector: 'iforest', seed: 2, refine: true });
    expect((await twice.train(x)).setAside).toBe(50);
    expect(Array.from(twice.scores(x))).not.toEqual(Array.from(plain.scores(x)));
    plain.dispose();
    twice.dispose();
    await expectInvalid(() => FraudDetector.create({ detector: 'gbt', refine: true }), /'gbt' learns from labels/);
    await expectInvalid(() => FraudDetector.create({ detector: 'mlp', refine: true }), /'mlp' learns from labels/);
    await expectInvalid(() => FraudDetector.create({ refine: 'yes' as never }), /refine must be true or false \(got/);
    // false is what they do anyway.
    expect(() => FraudDetector.create({ detector: 'gbt', refine: false }).dispose()).not.toThrow();
  });

  it('sets nothing aside when the share is under one row', async () => {
    const small = x.slice(0, 19);
    const a = FraudDetector.create({ seed: 3 });
    const b = FraudDetector.create({ seed: 3, refine: false });
    expect((await a.train(small)).setAside).toBe(0);
    await b.train(small);
    expect(Array.from(a.scores(x))).toEqual(Array.from(b.scores(x)));
    expect(a.threshold).toBe(b.threshold);
    a.dispose();
    b.dispose();
  });

  it('saves and loads: same scores; the bundle names refine only when it was given', async () => {
    for (const refine of [undefined, false] as const) {
      const model = FraudDetector.create({ seed: 4, ...(refine === undefined ? {} : { refine }) });
      await model.train(x);
      const path = join(dir, `refine-${String(refine)}`);
      await model.save(path);
      const manifest = JSON.parse(await readFile(join(path, 'manifest.json'), 'utf8')) as { config: Record<string, unknown> };
      expect(Object.hasOwn(manifest.config, 'refine')).toBe(refine !== undefined);
      const loaded = await FraudDetector.load(path);
      expect(Array.from(loaded.scores(x))).toEqual(Array.from(model.scores(x)));
      expect(loaded.threshold).toBe(model.threshold);
      expect(loaded.config.refine).toBe(refine);
      model.dispose();
      loaded.dispose();
    }
  });

  it("a category's share in its reason counts every training row, also the set-aside ones, and survives save → load", async () => {
    const rng = createRng(5);
    const g = (): number => Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());
    const records: Array<{ amount: number; channel: string }> = [];
    for (let i = 0; i < 960; i++) records.push({ amount: 50 + 10 * g(), channel: ['web', 'app', 'pos'][i % 3] as string });
    // 4 % of the rows: 'phone', all far out on amount, so the first fit sets them aside.
    for (let i = 0; i < 40; i++) records.push({ amount: 400 + 10 * g(), channel: 'phone' });
    const model = FraudDetector.create({ seed: 1, preprocess: { schema: { channel: 'categorical' } } });
    expect((await model.train(records)).setAside).toBe(50);
    const text = async (m: FraudDetector): Promise<string | undefined> =>
      (await m.predictBatch([{ amount: 55, channel: 'phone' }]))[0]?.reasons.find((r) => r.feature === 'channel')?.text;
    expect(await text(model)).toMatch(/^channel = phone \(4% of training rows; \d+% of the evidence\)$/);
    const path = join(dir, 'refine-levels');
    await model.save(path);
    const loaded = await FraudDetector.load(path);
    expect(await text(loaded)).toBe(await text(model));
    model.dispose();
    loaded.dispose();
  });

  it('sets aside the share as decimals: 0.29 of 100 rows is 29 (28.999… in floating point), as many as the threshold flags', async () => {
    const rows = x.slice(0, 100);
    const model = FraudDetector.create({ detector: 'ecod', seed: 5, refine: true, contamination: 0.29 });
    expect((await model.train(rows)).setAside).toBe(29);
    expect(Array.from(model.scores(rows)).filter((v) => v >= model.threshold)).toHaveLength(29);
    model.dispose();
  });

  it("kNN's threshold after a second fit reads the kept rows' leave-one-out distances, not their distance to themselves", async () => {
    // 0.0106 × 1,000: 10 rows set aside, 11 flagged, so the threshold is a kept row's score. Scored with
    // itself among its neighbours a kept row is 0 away (k = 1), and the threshold would flag every row.
    const rng = createRng(21);
    const g = (): number => Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());
    const rows = Array.from({ length: 1000 }, () => [g(), g(), g()]);
    const fresh = Array.from({ length: 2000 }, () => [g(), g(), g()]);
    const model = FraudDetector.create({ detector: 'knn', seed: 3, refine: true, contamination: 0.0106, knn: { k: 1 } });
    expect((await model.train(rows)).setAside).toBe(10);
    expect(model.threshold).toBeGreaterThan(0);
    expect(Array.from(model.scores(fresh)).filter((v) => v >= model.threshold).length).toBeLessThan(0.05 * fresh.length);
    model.dispose();
  });

  it('reasons after a second fit read the kept rows only: a detector whose explainer is not a member refits it too', async () => {
    // 990 normal rows and 10 far apart in x0 and x2 (1 % of 1,000: exactly the share set aside). A value
    // beyond every normal row in x0 is as unusual as one in x1 only if the explainer no longer holds them.
    const rng = createRng(11);
    const g = (): number => Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());
    const normal = Array.from({ length: 990 }, () => [g(), g(), g(), g()]);
    const far = Array.from({ length: 10 }, (_, i) => [50 * (i + 1), g(), 50 * (i + 1), g()]);
    const query = [
      [4, 3.5, 0, 0],
      [-3, 0, 3, 0],
    ];
    const shares = async (refine: boolean, rows: number[][]): Promise<string[][]> => {
      const model = FraudDetector.create({ detector: 'iforest', seed: 3, contamination: 0.01, refine });
      const report = await model.train(rows);
      if (refine) expect(report.setAside).toBe(10);
      const out = (await model.predictBatch(query)).map((p) => p.reasons.map((r) => `${r.feature} ${r.share.toFixed(3)}`));
      model.dispose();
      return out;
    };
    const refined = await shares(true, [...normal, ...far]);
    expect(refined).toEqual(await shares(false, normal));
    // Both values lie beyond every normal row: about the same evidence each (a refit that kept the far
    // rows in the explainer gave x0 a third of it).
    const x0 = Number((refined[0] as string[]).find((r) => r.startsWith('x0'))?.split(' ')[1]);
    expect(x0).toBeGreaterThan(0.4);
  });

  it("an autoencoder fitted twice keeps the second network's typical errors (its reasons' baseline)", async () => {
    const typical = async (refine: boolean): Promise<number[]> => {
      const model = FraudDetector.create({ detector: 'autoencoder', seed: 6, refine, autoencoder: { epochs: 5 } });
      await model.train(x);
      const path = join(dir, `typical-${String(refine)}`);
      await model.save(path);
      model.dispose();
      const manifest = JSON.parse(await readFile(join(path, 'manifest.json'), 'utf8')) as {
        config: { state: { autoencoderTypicalError: number[] } };
      };
      return manifest.config.state.autoencoderTypicalError;
    };
    const once = await typical(false);
    const twice = await typical(true);
    expect(twice).toHaveLength(once.length);
    // The first fit is the one-fit model (same seed, same rows); the second network is another.
    expect(twice).not.toEqual(once);
  });

  it('fits once when setting the share aside would leave under half the rows, and says so', async () => {
    const info: string[] = [];
    const logger = { debug: () => {}, info: (m: string) => void info.push(m), warn: () => {} };
    const a = FraudDetector.create({ seed: 3, contamination: 0.6 });
    const b = FraudDetector.create({ seed: 3, contamination: 0.6, refine: false });
    expect((await a.train(x, { logger })).setAside).toBe(0);
    await b.train(x);
    expect(Array.from(a.scores(x))).toEqual(Array.from(b.scores(x)));
    expect(info).toContain('no second fit: setting aside the contamination share would leave under half the rows');
    // Half exactly is still a second fit.
    const half = FraudDetector.create({ seed: 3, contamination: 0.5 });
    expect((await half.train(x)).setAside).toBe(500);
    for (const m of [a, b, half]) m.dispose();
  });

  it('an autoencoder fitted twice leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const model = FraudDetector.create({ detector: 'autoencoder', seed: 1, refine: true, autoencoder: { epochs: 3 } });
    const report = await model.train(x);
    expect(report.setAside).toBe(50);
    expect(report.training?.epochsRun).toBe(3);
    const afterTrain = tf.memory().numTensors;
    await model.predictBatch(x.slice(0, 50));
    expect(tf.memory().numTensors).toBe(afterTrain);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
