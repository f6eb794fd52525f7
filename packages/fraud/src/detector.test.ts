import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError, createRng, initEngine, tf } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FraudDetector } from './detector';

/**
 * A saved manifest as an editor sees it, without its own checksum (`manifestSha256`): what an earlier
 * version or another tool writes, so the loader's checks of the values themselves are what is tested.
 */
function unsealedManifest(text: string): any {
  const manifest = JSON.parse(text) as { manifestSha256?: string };
  delete manifest.manifestSha256;
  return manifest;
}

// A small fixed problem: 600 normal rows around 0, 20 anomalies far out in features 0 and 2.
function blob(seed = 1): { x: number[][]; y: number[] } {
  const rng = createRng(seed);
  const g = (): number => Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 600; i++) {
    x.push([g(), g(), g(), g()]);
    y.push(0);
  }
  for (let i = 0; i < 20; i++) {
    x.push([6 + g(), g(), -6 + g(), g()]);
    y.push(1);
  }
  return { x, y };
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(AppliedMLError.isInstance(e)).toBe(true);
    expect((e as AppliedMLError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

/**
 * Rewrites files of a saved bundle (null removes one) and keeps the manifest's sha256 entries right, so
 * the fraud package's own checks, not the bundle's checksums, have to catch what was changed.
 */
async function rewriteBundle(path: string, files: Record<string, string | null>): Promise<void> {
  const manifestPath = join(path, 'manifest.json');
  const manifest = unsealedManifest(await readFile(manifestPath, 'utf8')) as { files: Record<string, string> };
  for (const [name, text] of Object.entries(files)) {
    if (text === null) {
      delete manifest.files[name];
      await rm(join(path, name), { force: true });
    } else {
      await writeFile(join(path, name), text);
      manifest.files[name] = createHash('sha256').update(text).digest('hex');
    }
  }
  await writeFile(manifestPath, JSON.stringify(manifest));
}

async function expectCorrupt(p: Promise<unknown>, message: RegExp): Promise<void> {
  await expect(p).rejects.toMatchObject({ code: 'E_BUNDLE_CORRUPT', message: expect.stringMatching(message) });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fraud-detector-'));
  await initEngine();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FraudDetector', () => {
  const { x, y } = blob();

  for (const detector of ['ecod', 'iforest', 'pca', 'knn', 'ensemble'] as const) {
    it(`${detector} separates planted anomalies without labels`, async () => {
      const model = FraudDetector.create({ detector, seed: 3 });
      const report = await model.train(x);
      expect(report.rows).toBe(620);
      const ev = await model.evaluate(x, y);
      expect(ev.aucroc).toBeGreaterThan(0.97);
      const [p] = await model.predictBatch([x[610] as number[]]);
      expect(p?.isFraud).toBe(true);
      expect(['x0', 'x2']).toContain(p?.reasons[0]?.feature);
      model.dispose();
    });
  }

  it('unsupervised detectors ignore labels entirely', async () => {
    const a = FraudDetector.create({ detector: 'ensemble', seed: 4 });
    const b = FraudDetector.create({ detector: 'ensemble', seed: 4 });
    await a.train(x);
    await b.train(x, { labels: y });
    expect(Array.from(b.scores(x))).toEqual(Array.from(a.scores(x)));
    expect(b.threshold).toBe(a.threshold);
    a.dispose();
    b.dispose();
  });

  it('gbt learns from labels, explains with the planted features, and is deterministic', async () => {
    const model = FraudDetector.create({ detector: 'gbt', seed: 3, gbt: { trees: 60 } });
    const report = await model.train(x, { labels: y });
    expect(report.detector).toBe('gbt');
    expect(report.threshold).toBe(0.5);
    expect(report.boosting?.rounds).toBeGreaterThan(0);
    expect(report.boosting?.rounds).toBeLessThanOrEqual(60);
    const ev = await model.evaluate(x, y);
    expect(ev.aucroc).toBeGreaterThan(0.99);
    const [p, q] = await model.predictBatch([x[610] as number[], x[3] as number[]]);
    expect(p?.isFraud).toBe(true);
    expect(q?.isFraud).toBe(false);
    expect(['x0', 'x2']).toContain(p?.reasons[0]?.feature);
    expect(p?.reasons[0]?.share).toBeGreaterThan(0);
    const again = FraudDetector.create({ detector: 'gbt', seed: 3, gbt: { trees: 60 } });
    await again.train(x, { labels: y });
    expect(Array.from(again.scores(x))).toEqual(Array.from(model.scores(x)));
    model.dispose();
    again.dispose();
  });

  it('gbt says, through the logger, when a class too small to hold a row out turns early stopping off', async () => {
    const warn = vi.fn();
    const logger = { debug: () => {}, info: () => {}, warn };
    const one = y.map((v, i) => (v === 1 && i !== 610 ? 0 : v));
    const model = FraudDetector.create({ detector: 'gbt', seed: 3, gbt: { trees: 30, forest: false } });
    const report = await model.train(x, { labels: one, logger });
    expect(report.boosting?.rounds).toBe(30);
    expect(Number.isNaN(report.boosting?.validationLoss)).toBe(true);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/Early stopping was off.*1 fraud, 619 normal.*all 30 rounds/));
    warn.mockClear();
    await model.train(x, { labels: y, logger });
    // With validationFraction 0 early stopping is off by choice: nothing to say.
    const off = FraudDetector.create({ detector: 'gbt', seed: 3, gbt: { trees: 30, forest: false, validationFraction: 0 } });
    await off.train(x, { labels: one, logger });
    expect(warn).not.toHaveBeenCalled();
    model.dispose();
    off.dispose();
  });

  it('autoencoder, mlp and gbt train without leaking tensors', async () => {
    for (const [detector, loss] of [
      ['autoencoder', undefined],
      ['mlp', 'binaryCrossentropy'],
      ['mlp', 'focal'],
      ['gbt', undefined],
    ] as const) {
      const model = FraudDetector.create({ detector, seed: 1, autoencoder: { epochs: 8 }, mlp: { epochs: 8, ...(loss ? { loss } : {}) } });
      const before = tf.memory().numTensors;
      await model.train(x, { labels: y });
      const afterTrain = tf.memory().numTensors;
      await model.predictBatch(x);
      model.scores(x);
      await model.evaluate(x, y);
      expect(tf.memory().numTensors).toBe(afterTrain);
      const ev = await model.evaluate(x, y);
      expect(ev.aucroc).toBeGreaterThan(0.9);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it("combine: 'max' takes each row's largest z-scored member score, 'mean' their average; both survive save → load", async () => {
    const z = (s: Float64Array, train: Float64Array): number[] => {
      const m = train.reduce((a, v) => a + v, 0) / train.length;
      const sd = Math.sqrt(train.reduce((a, v) => a + (v - m) ** 2, 0) / train.length);
      return Array.from(s, (v) => (v - m) / sd);
    };
    const ecod = FraudDetector.create({ detector: 'ecod', seed: 5 });
    const iforest = FraudDetector.create({ detector: 'iforest', seed: 5 });
    const mean = FraudDetector.create({ seed: 5, refine: false });
    const max = FraudDetector.create({ seed: 5, combine: 'max', refine: false });
    for (const model of [ecod, iforest, mean, max]) await model.train(x);
    const ze = z(ecod.scores(x), ecod.scores(x));
    const zi = z(iforest.scores(x), iforest.scores(x));
    const meanScores = mean.scores(x);
    const maxScores = max.scores(x);
    ze.forEach((e, r) => {
      expect(meanScores[r]).toBeCloseTo((e + (zi[r] as number)) / 2, 9);
      expect(maxScores[r]).toBeCloseTo(Math.max(e, zi[r] as number), 9);
    });
    expect(max.config.combine).toBe('max');
    expect(mean.config.combine).toBe('mean');
    // The planted anomalies still lead, and the default threshold flags them.
    expect((await max.evaluate(x, y)).aucroc).toBeGreaterThan(0.97);
    expect((await max.predictBatch(x.slice(600))).every((p) => p.isFraud)).toBe(true);
    const path = join(dir, 'combine-max');
    await max.save(path);
    const loaded = await FraudDetector.load(path);
    expect(loaded.config.combine).toBe('max');
    expect(Array.from(loaded.scores(x))).toEqual(Array.from(maxScores));
    expect(loaded.threshold).toBe(max.threshold);
    await expectCode(() => FraudDetector.create({ combine: 'median' as never }), 'E_INPUT_INVALID');
    for (const model of [ecod, iforest, mean, max, loaded]) model.dispose();
  });

  it('save → load gives identical scores; a corrupted bundle is E_BUNDLE_CORRUPT', async () => {
    for (const detector of ['ensemble', 'mlp', 'gbt'] as const) {
      const model = FraudDetector.create({
        detector,
        seed: 2,
        mlp: { epochs: 3 },
        // The boosted trees alone here (gbt.json); the forest's bundle has its own test below.
        gbt: { trees: 20, forest: false },
        // Every unsupervised member and the tail normalisation go through the bundle.
        ...(detector === 'ensemble' ? { members: ['ecod', 'iforest', 'pca', 'knn'], normalize: 'tail' as const } : {}),
      });
      await model.train(x, { labels: y });
      model.setThreshold(0.25);
      const path = join(dir, detector);
      await model.save(path);
      const loaded = await FraudDetector.load(path);
      expect(Array.from(loaded.scores(x))).toEqual(Array.from(model.scores(x)));
      expect(await loaded.predictBatch(x.slice(600))).toEqual(await model.predictBatch(x.slice(600)));
      expect(loaded.threshold).toBe(0.25);
      model.dispose();
      loaded.dispose();
    }
    const path = join(dir, 'ensemble');
    const text = await readFile(join(path, 'iforest.json'), 'utf8');
    // A file changed behind the manifest's back: the bundle's checksum catches it.
    await writeFile(join(path, 'iforest.json'), text.slice(0, 100));
    await expectCode(FraudDetector.load(path), 'E_BUNDLE_CORRUPT');
    await expectCode(FraudDetector.load(join(dir, 'nothing-here')), 'E_BUNDLE_MISSING');
    // With the checksums kept right, the fraud checks catch truncated JSON, tampered trees (valid JSON,
    // wrong shape), a tail normalisation without its members and a missing member state.
    await rewriteBundle(path, { 'iforest.json': text.slice(0, 100) });
    await expectCorrupt(FraudDetector.load(path), /could not be read/);
    const gbtPath = join(dir, 'gbt');
    const trees = JSON.parse(await readFile(join(gbtPath, 'gbt.json'), 'utf8')) as { trees: { left: number[] }[] };
    (trees.trees[0] as { left: number[] }).left[0] = 0;
    await rewriteBundle(gbtPath, { 'gbt.json': JSON.stringify(trees) });
    await expectCorrupt(FraudDetector.load(gbtPath), /gbt\.json does not hold valid trees/);
    await rewriteBundle(gbtPath, { 'gbt.json': '{"kind":"gbt"' });
    await expectCorrupt(FraudDetector.load(gbtPath), /could not be read/);
    // An isolation tree that loops back on itself would spin forever when scoring: refused at load.
    const looped = JSON.parse(text) as { trees: { feature: number[]; left: number[] }[] };
    const root = looped.trees[0]!;
    root.left[root.feature.findIndex((f) => f >= 0)] = 0;
    await rewriteBundle(path, { 'iforest.json': JSON.stringify(looped) });
    await expectCorrupt(FraudDetector.load(path), /iforest\.json does not hold valid trees/);
    await rewriteBundle(path, { 'iforest.json': JSON.stringify({ ...looped, trees: [] }) });
    await expectCorrupt(FraudDetector.load(path), /iforest\.json does not hold valid trees/);
    await rewriteBundle(path, { 'iforest.json': text, 'tails.json': '{}' });
    await expectCorrupt(FraudDetector.load(path), /tails\.json has no valid entry/);
    await rewriteBundle(path, { 'tails.json': null });
    await expectCorrupt(FraudDetector.load(path), /tails\.json is missing/);
  });

  it('gbt with a forest: save → load the same under gbt-forest.json, a mismatched file is corrupt, retraining keeps what the bundle holds', async () => {
    // Four of the forest's trees extremely randomized: the same file format, the same checks.
    const model = FraudDetector.create({ detector: 'gbt', seed: 4, gbt: { trees: 20, forest: { trees: 10, extraTrees: 4 } } });
    await model.train(x, { labels: y });
    expect((await model.evaluate(x, y)).aucroc).toBeGreaterThan(0.99);
    const [p] = await model.predictBatch([x[605] as number[]]);
    expect(['x0', 'x2']).toContain(p?.reasons[0]?.feature);
    const path = join(dir, 'gbt-forest');
    await model.save(path);
    expect(await readFile(join(path, 'gbt.json')).catch(() => 'absent')).toBe('absent');
    const loaded = await FraudDetector.load(path);
    expect(Array.from(loaded.scores(x))).toEqual(Array.from(model.scores(x)));
    expect(await loaded.predictBatch(x.slice(600))).toEqual(await model.predictBatch(x.slice(600)));
    loaded.dispose();
    // Tampering that keeps the checksums right (so the fraud checks, not the bundle's sha256, must catch it).
    const original = await readFile(join(path, 'gbt-forest.json'), 'utf8');
    const manifestText = await readFile(join(path, 'manifest.json'), 'utf8');
    type Manifest = { files: Record<string, string>; config: { gbt: Record<string, unknown> } };
    const tamper = async (files: Record<string, string>, config?: (m: Manifest) => void): Promise<void> => {
      const manifest = unsealedManifest(manifestText) as Manifest;
      delete manifest.files['gbt-forest.json'];
      for (const [name, text] of Object.entries(files)) {
        await writeFile(join(path, name), text);
        manifest.files[name] = createHash('sha256').update(text).digest('hex');
      }
      config?.(manifest);
      await writeFile(join(path, 'manifest.json'), JSON.stringify(manifest));
    };
    await tamper({ 'gbt-forest.json': original });
    const again = await FraudDetector.load(path);
    expect(Array.from(again.scores(x))).toEqual(Array.from(model.scores(x)));
    expect(again.config.gbt?.forest).toEqual({ trees: 10, extraTrees: 4 });
    again.dispose();
    const state = JSON.parse(original) as { forest: { trees: { value: unknown[] }[] } };
    const nullLeaf = JSON.parse(original) as typeof state;
    (nullLeaf.forest.trees[0] as { value: unknown[] }).value[0] = null;
    for (const [files, config] of [
      [{ 'gbt-forest.json': JSON.stringify({ ...state, forest: undefined }) }], // trees without their forest
      [{ 'gbt-forest.json': JSON.stringify({ ...state, forest: { ...state.forest, trees: [] } }) }],
      [{ 'gbt-forest.json': JSON.stringify(nullLeaf) }], // a NaN node value comes back from JSON as null
      [{ 'gbt.json': original }], // a forest under the boosted trees' name
      [{ 'gbt-forest.json': original, 'gbt.json': original }], // both
      [{ 'gbt-forest.json': original }, (m: Manifest) => (m.config.gbt.forest = false)],
      [{ 'gbt-forest.json': original }, (m: Manifest) => (m.config.gbt.forest = { trees: 3 })],
      [{ 'gbt.json': JSON.stringify({ ...state, forest: undefined }) }], // a config asking for a forest, none stored
    ] as Array<[Record<string, string>, ((m: Manifest) => void)?]>) {
      await tamper(files, config);
      await expectCode(FraudDetector.load(path), 'E_BUNDLE_CORRUPT');
    }
    // The boosted trees alone with a config that says so load (the control for the last case above).
    await tamper({ 'gbt.json': JSON.stringify({ ...state, forest: undefined }) }, (m) => (m.config.gbt.forest = false));
    (await FraudDetector.load(path)).dispose();
    // A config that leaves the forest to the defaults loads with the forest it holds pinned.
    await tamper({ 'gbt-forest.json': original }, (m) => delete m.config.gbt.forest);
    const pinned = await FraudDetector.load(path);
    expect(pinned.config.gbt?.forest).toEqual({ trees: 10 });
    // The pinned config round-trips: saved again, it loads with the same scores.
    await pinned.save(join(dir, 'gbt-forest-again'));
    const twice = await FraudDetector.load(join(dir, 'gbt-forest-again'));
    expect(Array.from(twice.scores(x))).toEqual(Array.from(model.scores(x)));
    twice.dispose();
    pinned.dispose();
    // Forest options that are not options are corrupt, not rewritten.
    for (const bad of [true, 'x', { maxDepth: 0 }, { extraTrees: 11 }]) {
      await tamper({ 'gbt-forest.json': original }, (m) => (m.config.gbt.forest = bad));
      await expectCode(FraudDetector.load(path), 'E_BUNDLE_CORRUPT');
    }
    model.dispose();
    // A bundle without a forest pins forest: false, so retraining it builds the same kind of model.
    const plain = FraudDetector.create({ detector: 'gbt', seed: 4, gbt: { trees: 20, forest: false } });
    await plain.train(x, { labels: y });
    const plainPath = join(dir, 'gbt-plain');
    await plain.save(plainPath);
    const reloaded = await FraudDetector.load(plainPath);
    expect(reloaded.config.gbt?.forest).toBe(false);
    await reloaded.train(x, { labels: y });
    expect(Array.from(reloaded.scores(x))).toEqual(Array.from(plain.scores(x)));
    reloaded.dispose();
    // A bundle written before the forest existed (boosted trees in gbt.json, no forest option in its
    // config) loads and retrains as the boosted trees alone, not with today's default forest.
    const manifestPath = join(plainPath, 'manifest.json');
    const manifest = unsealedManifest(await readFile(manifestPath, 'utf8')) as { config: { gbt: Record<string, unknown> } };
    delete manifest.config.gbt.forest;
    await writeFile(manifestPath, JSON.stringify(manifest));
    const older = await FraudDetector.load(plainPath);
    expect(older.config.gbt?.forest).toBe(false);
    await older.train(x, { labels: y });
    expect(Array.from(older.scores(x))).toEqual(Array.from(plain.scores(x)));
    older.dispose();
    plain.dispose();
    // The default now trains the 50-tree forest beside the boosted trees.
    const byDefault = FraudDetector.create({ detector: 'gbt', seed: 4, gbt: { trees: 20 } });
    await byDefault.train(x, { labels: y });
    const defaultPath = join(dir, 'gbt-default');
    await byDefault.save(defaultPath);
    const defaultState = JSON.parse(await readFile(join(defaultPath, 'gbt-forest.json'), 'utf8')) as { forest: { trees: unknown[] } };
    expect(defaultState.forest.trees).toHaveLength(50);
    byDefault.dispose();
  });

  it('outlierFeatures (XGBOD): detector scores as features help shallow trees, save → load the same, reasons per column', async () => {
    // Fraud = far from the centre in any direction: hard for a few shallow axis-aligned trees, easy for a distance score.
    const rng = createRng(11);
    const g = (): number => Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());
    const make = (n: number): { x: number[][]; y: number[] } => {
      const rows = Array.from({ length: n }, () => [g(), g(), g(), g()]);
      return { x: rows, y: rows.map((r) => (Math.hypot(...r) > 3.2 ? 1 : 0)) };
    };
    const train = make(2000);
    const test = make(2000);
    const gbt = { trees: 8, maxDepth: 2, maxLeaves: 4, validationFraction: 0 };
    const plain = FraudDetector.create({ detector: 'gbt', seed: 1, gbt });
    const xgbod = FraudDetector.create({ detector: 'gbt', seed: 1, gbt, outlierFeatures: ['ecod', 'iforest', 'knn'] });
    await plain.train(train.x, { labels: train.y });
    await xgbod.train(train.x, { labels: train.y });
    const a = await plain.evaluate(test.x, test.y);
    const b = await xgbod.evaluate(test.x, test.y);
    expect(b.aucpr).toBeGreaterThan(a.aucpr + 0.1);
    expect(b.aucroc).toBeGreaterThan(0.97);
    const [p] = await xgbod.predictBatch([[5, 0.1, 0, 0]]);
    expect(p?.reasons[0]?.feature).toBe('x0');
    expect((p?.reasons ?? []).reduce((t, r) => t + r.share, 0)).toBeLessThanOrEqual(1 + 1e-9);
    const path = join(dir, 'xgbod');
    await xgbod.save(path);
    const loaded = await FraudDetector.load(path);
    expect(Array.from(loaded.scores(test.x))).toEqual(Array.from(xgbod.scores(test.x)));
    expect(await loaded.predictBatch(test.x.slice(0, 50))).toEqual(await xgbod.predictBatch(test.x.slice(0, 50)));
    loaded.dispose();
    // A score column's normalisation missing, an invalid outlier list, a detector state missing: corrupt.
    const manifestPath = join(path, 'manifest.json');
    const manifest = await readFile(manifestPath, 'utf8');
    const edited = unsealedManifest(manifest) as { config: { outlierFeatures: unknown; state: { norms: Record<string, unknown> } } };
    delete edited.config.state.norms.iforest;
    await writeFile(manifestPath, JSON.stringify(edited));
    await expectCode(FraudDetector.load(path), 'E_BUNDLE_CORRUPT');
    edited.config.outlierFeatures = ['autoencoder'];
    await writeFile(manifestPath, JSON.stringify(edited));
    await expectCode(FraudDetector.load(path), 'E_BUNDLE_CORRUPT');
    await writeFile(manifestPath, manifest);
    await rewriteBundle(path, { 'knn.json': null });
    await expectCorrupt(FraudDetector.load(path), /knn\.json is missing/);
    [plain, xgbod].forEach((m) => m.dispose());

    const mlp = FraudDetector.create({ detector: 'mlp', seed: 1, mlp: { epochs: 3 }, outlierFeatures: ['iforest'] });
    const before = tf.memory().numTensors;
    await mlp.train(x, { labels: y });
    const afterTrain = tf.memory().numTensors;
    await mlp.predictBatch(x);
    expect(tf.memory().numTensors).toBe(afterTrain);
    await mlp.save(join(dir, 'mlp-xgbod'));
    const back = await FraudDetector.load(join(dir, 'mlp-xgbod'));
    expect(Array.from(back.scores(x))).toEqual(Array.from(mlp.scores(x)));
    back.dispose();
    // Without the option in its config the bundle's network does not fit: refused, not fed the wrong width.
    const mlpManifest = join(dir, 'mlp-xgbod', 'manifest.json');
    const m = unsealedManifest(await readFile(mlpManifest, 'utf8')) as { config: Record<string, unknown>; models: Record<string, unknown> };
    delete m.config.outlierFeatures;
    await writeFile(mlpManifest, JSON.stringify(m));
    await expectCode(FraudDetector.load(join(dir, 'mlp-xgbod')), 'E_BUNDLE_CORRUPT');
    m.models.mlp = m.models['mlp-outliers'];
    await writeFile(mlpManifest, JSON.stringify(m));
    await expectCode(FraudDetector.load(join(dir, 'mlp-xgbod')), 'E_BUNDLE_CORRUPT');
    mlp.dispose();
    expect(tf.memory().numTensors).toBe(before);

    for (const bad of [[], ['ecod', 'ecod'], ['autoencoder'], 'iforest'])
      await expectCode(() => FraudDetector.create({ detector: 'gbt', outlierFeatures: bad as never }), 'E_INPUT_INVALID');
    await expectCode(() => FraudDetector.create({ detector: 'ensemble', outlierFeatures: ['iforest'] }), 'E_INPUT_INVALID');
  });

  it('refuses a bundle whose threshold was fitted on the earlier ECOD score, and loads one that does not score with ECOD', async () => {
    const asOld = async (path: string): Promise<void> => {
      const file = join(path, 'manifest.json');
      const manifest = unsealedManifest(await readFile(file, 'utf8')) as { config: { state: Record<string, unknown> } };
      delete manifest.config.state.ecodScoring; // what @appliedml/fraud 0.1.0 wrote
      await writeFile(file, JSON.stringify(manifest));
    };
    for (const detector of ['ecod', 'ensemble', 'iforest'] as const) {
      const model = FraudDetector.create({ detector, seed: 4 });
      await model.train(x);
      const path = join(dir, `old-${detector}`);
      await model.save(path);
      await asOld(path);
      if (detector === 'iforest') {
        // Its ECOD is only the explainer: no threshold depends on the ECOD score.
        const loaded = await FraudDetector.load(path);
        expect(Array.from(loaded.scores(x))).toEqual(Array.from(model.scores(x)));
        loaded.dispose();
      } else {
        await expect(FraudDetector.load(path)).rejects.toMatchObject({
          code: 'E_BUNDLE_INCOMPATIBLE',
          details: { ecodScoring: 1, expected: 2 },
        });
      }
      model.dispose();
    }
  });

  it('keeps a bounded explainer beside other detectors: the bundle stays small, reasons survive save → load', async () => {
    const rng = createRng(11);
    const rows = Array.from({ length: 9000 }, () => [rng.next(), rng.next() * 10, rng.next() - 0.5]);
    const model = FraudDetector.create({ detector: 'iforest', seed: 3 });
    await model.train(rows);
    const path = join(dir, 'bounded-explainer');
    await model.save(path);
    const explainer = await readFile(join(path, 'explainer.f64'));
    expect(explainer.byteLength).toBe(4096 * 3 * 8); // not 9,000 rows × 3 features
    const manifest = unsealedManifest(await readFile(join(path, 'manifest.json'), 'utf8')) as {
      config: { state: { explainer: { rows: number; trainingRows?: number } } };
    };
    expect(manifest.config.state.explainer).toMatchObject({ rows: 4096, trainingRows: 9000 });
    const loaded = await FraudDetector.load(path);
    const probe = [
      [0.5, 5, 0],
      [3, 5, 0],
      [0.5, 40, 0],
    ];
    const before = await model.predictBatch(probe);
    expect(await loaded.predictBatch(probe)).toEqual(before);
    // The planted outlier feature leads each alert's reasons (columns are named x0, x1, … for arrays).
    expect([before[1]!.reasons[0]!.feature, before[2]!.reasons[0]!.feature]).toEqual(['x0', 'x1']);
    model.dispose();
    loaded.dispose();
  });

  it('bad input is a typed error', async () => {
    const model = FraudDetector.create({ detector: 'ecod' });
    await expectCode(model.predictBatch(x), 'E_MODEL_NOT_TRAINED');
    await expectCode(model.train([]), 'E_INPUT_INVALID');
    await expectCode(model.train([[1, NaN]]), 'E_INPUT_INVALID');
    await expectCode(
      model.train([
        [1, Infinity],
        [2, 3],
      ]),
      'E_INPUT_INVALID',
    );
    await expectCode(model.train([[1, 2], [3]]), 'E_SHAPE_MISMATCH');
    await model.train(x);
    await expectCode(model.predictBatch([[1, 2, 3]]), 'E_SHAPE_MISMATCH');
    await expectCode(model.predictBatch([]), 'E_INPUT_INVALID');
    await expectCode(model.predictBatch([[0, 0, NaN, 0]]), 'E_INPUT_INVALID');
    await expectCode(model.predictBatch([{ a: 1 }]), 'E_INPUT_INVALID');
    await expectCode(model.predictBatch({ data: new Float64Array(4), rows: 1e8, cols: 4 }), 'E_INPUT_TOO_LARGE');
    await expectCode(model.evaluate(x, y.slice(1)), 'E_SHAPE_MISMATCH');
    await expectCode(FraudDetector.create({ detector: 'mlp' }).train(x), 'E_INPUT_INVALID');
    await expectCode(FraudDetector.create({ detector: 'gbt' }).train(x), 'E_INPUT_INVALID');
    await expectCode(FraudDetector.create({ detector: 'gbt' }).train(x, { labels: y.map(() => 0) }), 'E_INPUT_INVALID');
    await expectCode(FraudDetector.create({ detector: 'gbt' }).train(x, { labels: y.map(() => 2) }), 'E_INPUT_INVALID');
    await expectCode(() => FraudDetector.create({ detector: 'gbt', gbt: { learningRate: -1 } }), 'E_INPUT_INVALID');
    await expectCode(() => FraudDetector.create({ normalize: 'rank' as never }), 'E_INPUT_INVALID');
    await expectCode(() => FraudDetector.create({ members: ['lof' as never] }), 'E_INPUT_INVALID');
    await expectCode(() => FraudDetector.create({ detector: 'svm' as never }), 'E_INPUT_INVALID');
    model.dispose();
    await expectCode(model.predictBatch(x), 'E_MODEL_DISPOSED');
    await expectCode(model.train(x), 'E_MODEL_DISPOSED');
  });

  it('a constant column is accepted and carries no evidence', async () => {
    const xc = x.map((r) => [...r, 5]);
    const model = FraudDetector.create({ detector: 'ensemble' });
    await model.train(xc);
    const [p] = await model.predictBatch([[0, 0, 0, 0, 5]]);
    expect(p?.isFraud).toBe(false);
    const [q] = await model.predictBatch([[0, 0, 0, 0, 50]]);
    expect(q?.reasons[0]?.feature).toBe('x4');
    model.dispose();
  });

  it('records: one-hot categoricals, missing values, unseen categories', async () => {
    const rng = createRng(5);
    const recs = Array.from({ length: 400 }, (_, i) => ({
      amount: 20 + rng.next() * 30,
      channel: i % 3 === 0 ? 'web' : 'pos',
      mcc: `m${rng.nextInt(100)}`,
      tip: i % 10 === 0 ? null : rng.next(),
    }));
    const model = FraudDetector.create({ detector: 'ecod', preprocess: { unknownCategory: 'error' } });
    await model.train(recs);
    expect(model.featureNames).toContain('channel=web');
    expect(model.featureNames).toContain('tip:missing');
    expect(model.featureNames.filter((f) => f.startsWith('mcc#'))).toHaveLength(16);
    const [p] = await model.predictBatch([{ amount: 900, channel: 'pos', mcc: 'm1', tip: 0.5 }]);
    expect(p?.reasons[0]?.feature).toBe('amount');
    expect(p?.reasons[0]?.text).toMatch(/× the training median/);
    await expectCode(model.predictBatch([{ amount: 20, channel: 'phone', mcc: 'm1', tip: 0.1 }]), 'E_INPUT_INVALID');
    await expectCode(model.predictBatch([{ amount: 'lots', channel: 'pos', mcc: 'm1', tip: 0.1 }]), 'E_INPUT_INVALID');
    // Extra fields are ignored by default, refused with extraFields: 'error'.
    await expect(model.predictBatch([{ amount: 20, channel: 'pos', mcc: 'm1', tip: 0.1, extra: 1 }])).resolves.toHaveLength(1);
    const strict = FraudDetector.create({ detector: 'ecod', preprocess: { extraFields: 'error' } });
    await strict.train(recs);
    await expectCode(strict.predictBatch([{ amount: 20, channel: 'pos', mcc: 'm1', tip: 0.1, extra: 1 }]), 'E_INPUT_INVALID');
    await expectCode(strict.predictBatch([[1, 2, 3, 4]]), 'E_INPUT_INVALID');
    strict.dispose();
    // Missing fields are missing values, imputed with the training median.
    const [m] = await model.predictBatch([{ channel: 'pos' }]);
    expect(Number.isFinite(m?.score)).toBe(true);
    model.dispose();
  });

  it('a hand-edited PCA or kNN state that would score NaN, Infinity or throw is E_BUNDLE_CORRUPT at load', async () => {
    const { x } = blob(4);
    type Edit = (state: any) => void;
    const cases: Array<[detector: 'pca' | 'knn', edit: Edit]> = [
      ['pca', (s) => (s.variance[0] = 0)],
      ['pca', (s) => (s.variance[0] = 1e-300)],
      ['pca', (s) => (s.mean[0] = 'x')],
      ['pca', (s) => (s.mean[0] = 1e300)],
      ['pca', (s) => (s.sd[1] = 1e-200)],
      ['pca', (s) => delete s.sd],
      ['pca', (s) => (s.components[0] = null)],
      ['pca', (s) => s.components[0].push(0)],
      ['pca', (s) => s.components.push(s.components[0])],
      ['pca', (s) => (s.components[1][2] = 7)],
      ['knn', (s) => (s.k = 2 ** 40)],
      ['knn', (s) => (s.k = 1.5)],
      ['knn', (s) => (s.k = 10_000)],
      ['knn', (s) => (s.ref[0] = 'x')],
      ['knn', (s) => (s.ref[0] = null)],
      ['knn', (s) => (s.ref[0] = 1e9)],
    ];
    for (const detector of ['pca', 'knn'] as const) {
      const model = FraudDetector.create({ detector, seed: 1 });
      await model.train(x);
      const path = join(dir, `edited-${detector}`);
      await model.save(path);
      // The saved state itself loads and scores as trained.
      const back = await FraudDetector.load(path);
      expect(Array.from(back.scores(x))).toEqual(Array.from(model.scores(x)));
      back.dispose();
      const file = `${detector}.json`;
      const text = await readFile(join(path, file), 'utf8');
      for (const [kind, edit] of cases) {
        if (kind !== detector) continue;
        const state = JSON.parse(text) as unknown;
        edit(state);
        await rewriteBundle(path, { [file]: JSON.stringify(state) });
        await expectCorrupt(FraudDetector.load(path), new RegExp(`${file.replace('.', '\\.')} does not hold a valid`));
      }
      model.dispose();
    }
  });

  it('what training makes loads: PCA with a one-level category, kNN with fewer reference rows than k', async () => {
    const records = Array.from({ length: 1000 }, (_, i) => ({ amount: ((i * 7919) % 1000) / 10, hour: i % 24, currency: 'USD' }));
    const pca = FraudDetector.create({ detector: 'pca' });
    await pca.train(records);
    await pca.save(join(dir, 'pca-constant'));
    const pcaBack = await FraudDetector.load(join(dir, 'pca-constant'));
    expect(Array.from(pcaBack.scores(records))).toEqual(Array.from(pca.scores(records)));
    // The constant one-hot column is left out, as documented: another currency moves no PCA score.
    expect(pca.scores([{ ...records[0]!, currency: 'EUR' }])[0]).toBe(pca.scores([records[0]!])[0]);
    const rows = records.map((r) => [r.amount, r.hour]);
    const knn = FraudDetector.create({ detector: 'knn', knn: { k: 10, reference: 5 } });
    await knn.train(rows);
    await knn.save(join(dir, 'knn-small-reference'));
    const knnBack = await FraudDetector.load(join(dir, 'knn-small-reference'));
    expect(Array.from(knnBack.scores(rows))).toEqual(Array.from(knn.scores(rows)));
    [pca, pcaBack, knn, knnBack].forEach((m) => m.dispose());
  });
});
