import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '@appliedml/engine';
import { TextClassifier } from './text-classifier';
import { Vocabulary } from './vocabulary';
import { TICKETS, codeOf } from './test-helpers';

/**
 * A saved manifest as an editor sees it, without its own checksum (`manifestSha256`): what an earlier
 * version or another tool writes, so the loader's checks of the values themselves are what is tested.
 */
function unsealedManifest(text: string): any {
  const manifest = JSON.parse(text) as { manifestSha256?: string };
  delete manifest.manifestSha256;
  return manifest;
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'appliedml-text-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('TextClassifier lifecycle (linear)', () => {
  it('trains, predicts probabilities, explains, evaluates, saves and loads identically, disposes', async () => {
    const model = TextClassifier.create();
    expect(await codeOf(() => model.predict('hello'))).toBe('E_MODEL_NOT_TRAINED');
    const report = await model.train(TICKETS);
    expect(report.labels).toEqual(['billing', 'bug', 'delivery']);
    expect(report.history.length).toBeGreaterThan(0);
    const p = await model.predict('I was charged twice, please refund me');
    expect(p.label).toBe('billing');
    expect(Object.values(p.scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    const ex = await model.explain('I was charged twice, please refund me');
    expect(ex.method).toBe('linear-contributions');
    expect(ex.tokens[0]?.weight).toBeGreaterThan(0);
    expect(['refund', 'charged', 'twice,', 'me']).toContain(ex.tokens[0]?.token);
    const metrics = await model.evaluate(TICKETS);
    expect(metrics.accuracy).toBe(1);
    expect(metrics.confusion).toHaveLength(3);

    const dir = await tempDir();
    await model.save(dir);
    const loaded = await TextClassifier.load(dir);
    const texts = ['parcel never came', 'crash on save', 'double charge'];
    expect(await loaded.predictBatch(texts)).toEqual(await model.predictBatch(texts));
    model.dispose();
    expect(await codeOf(() => model.predict('x'))).toBe('E_MODEL_DISPOSED');
    expect(await codeOf(() => model.train(TICKETS))).toBe('E_MODEL_DISPOSED');
    loaded.dispose();
  });

  it('classifies a language without spaces through character n-grams over the text', async () => {
    const data = [
      ['我的包裹还没有到', 'delivery'],
      ['快递送错地址了', 'delivery'],
      ['包裹什么时候送到', 'delivery'],
      ['发票金额不对', 'billing'],
      ['请退款给我', 'billing'],
      ['我被重复扣款了', 'billing'],
    ].map(([text, label]) => ({ text: text as string, label: label as string }));
    const model = TextClassifier.create({ features: { wordNgrams: 0, charNgrams: { min: 1, max: 2, scope: 'text' } } });
    await model.train(data);
    expect((await model.predict('包裹送到哪里了')).label).toBe('delivery');
    expect((await model.predict('退款金额')).label).toBe('billing');
  });

  it('naive Bayes trains on the same API', async () => {
    const model = TextClassifier.create({ model: 'naive-bayes' });
    await model.train(TICKETS);
    expect((await model.predict('my parcel is late')).label).toBe('delivery');
  });

  it('multi-label: one text may carry several labels', async () => {
    const data = [
      ...TICKETS.map((t) => ({ text: t.text, label: [t.label as string] })),
      { text: 'Charged twice and the parcel never arrived', label: ['billing', 'delivery'] },
      { text: 'Refund page crashes with an error', label: ['billing', 'bug'] },
      { text: 'Tracking page shows error 500', label: ['bug', 'delivery'] },
    ];
    const model = TextClassifier.create({ multiLabel: true });
    await model.train(data);
    const p = await model.predict('The tracking page crashes');
    expect(p.labels.length).toBeGreaterThanOrEqual(1);
    const m = await model.evaluateMultiLabel(data);
    expect(m.microF1).toBeGreaterThan(0.8);
    expect(await codeOf(() => model.evaluate(data))).toBe('E_INPUT_INVALID');
  });

  it('class weights move the decision towards the weighted class', async () => {
    const text = 'order problem';
    const plain = TextClassifier.create();
    await plain.train(TICKETS);
    const weighted = TextClassifier.create();
    await weighted.train(TICKETS, { classWeight: { bug: 20 } });
    expect((await weighted.predict(text)).scores.bug).toBeGreaterThan((await plain.predict(text)).scores.bug ?? 1);
    const balanced = TextClassifier.create();
    await balanced.train(TICKETS, { classWeight: 'balanced' });
  });
});

describe('TextClassifier bad input', () => {
  it('gives a typed error for each kind of bad input', async () => {
    const model = TextClassifier.create();
    expect(await codeOf(() => model.train([]))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => model.train(TICKETS.map((t) => ({ ...t, label: 'only' }))))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => model.train([...TICKETS, { text: '   ', label: 'bug' }]))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => model.train([...TICKETS, { text: 42 as unknown as string, label: 'bug' }]))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => model.train([...TICKETS, { text: 'ok', label: Number.NaN as unknown as string }]))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => model.train([...TICKETS, { text: 'x'.repeat(1_100_000), label: 'bug' }]))).toBe('E_INPUT_TOO_LARGE');
    await model.train(TICKETS);
    expect(await codeOf(() => model.predict(''))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => model.predict('bad \uFFFD decode'))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => model.predictBatch(['fine', null as unknown as string]))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => model.evaluate([{ text: 'where is my refund', label: 'sales' }]))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => model.explain('ok', { label: 'nope' }))).toBe('E_INPUT_INVALID');
    expect(await model.predictBatch([])).toEqual([]);
    // a text with no known feature still gets a prediction (the prior)
    expect((await model.predict('zzzz qqqq')).label).toMatch(/billing|bug|delivery/);
    expect(await codeOf(() => TextClassifier.create({ model: 'svm' as never }))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => TextClassifier.create({ model: 'naive-bayes', multiLabel: true }))).toBe('E_INPUT_INVALID');
  });

  it('refuses options that would give NaN, train nothing, fail inside tfjs or exhaust memory, before any tensor exists', async () => {
    await initEngine();
    const before = tf.memory().numTensors;
    const invalid = [
      { naiveBayes: { alpha: 0 } },
      { naiveBayes: { alpha: Number.NaN } },
      { linear: { epochs: -1 } },
      { linear: { l2: -5 } },
      { model: 'fasttext', fasttext: { learningRate: Number.NaN } },
      { model: 'fasttext', fasttext: { buckets: 0 } },
      { model: 'cnn', cnn: { kernelSizes: [0] } },
      { model: 'cnn', cnn: { kernelSizes: [] } },
      { model: 'cnn', cnn: { embeddingDim: 1e7 } },
    ] as const;
    for (const config of invalid)
      expect(await codeOf(() => TextClassifier.create(config as never)), JSON.stringify(config)).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => TextClassifier.create({ model: 'fasttext', fasttext: { buckets: 1 << 24, dim: 1024 } }))).toBe(
      'E_INPUT_TOO_LARGE',
    );
    expect(await codeOf(() => TextClassifier.create().train(TICKETS, { epochs: Number.NaN }))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => Vocabulary.fit(null as never))).toBe('E_INPUT_INVALID');
    // A CNN whose embedding table would be too large is refused after the vocabulary is counted, and
    // the length setting it fitted to that data is put back.
    const wide = TextClassifier.create({ model: 'cnn', cnn: { embeddingDim: 1024, maxLength: 1000, maxVocabulary: 10_000_000 } });
    const words = (k: number): string => Array.from({ length: 600 }, (_, j) => `w${k}x${j}`).join(' ');
    const many = Array.from({ length: 200 }, (_, k) => ({ text: words(k), label: k % 2 ? 'a' : 'b' }));
    expect(await codeOf(() => wide.train(many))).toBe('E_INPUT_TOO_LARGE');
    expect((wide as unknown as { config: { cnn: { maxLength: number } } }).config.cnn.maxLength).toBe(1000);
    wide.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses missing and corrupted bundles', async () => {
    expect(await codeOf(() => TextClassifier.load(join(tmpdir(), 'no-such-text-bundle')))).toBe('E_BUNDLE_MISSING');
    const model = TextClassifier.create();
    await model.train(TICKETS);
    const dir = await tempDir();
    await model.save(dir);
    const file = join(dir, 'linear.bin');
    const bytes = await readFile(file);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    await writeFile(file, bytes);
    expect(await codeOf(() => TextClassifier.load(dir))).toBe('E_BUNDLE_CORRUPT');
    // Unsealed (as an older bundle or a tool rewriting it): an edited feature config is caught by the text package itself.
    const fresh = await tempDir();
    await model.save(join(fresh, 'm'));
    const manifestPath = join(fresh, 'm', 'manifest.json');
    const manifest = unsealedManifest(await readFile(manifestPath, 'utf8')) as { preprocessing: { features: unknown } };
    manifest.preprocessing.features = null;
    await writeFile(manifestPath, JSON.stringify(manifest));
    expect(await codeOf(() => TextClassifier.load(join(fresh, 'm')))).toBe('E_BUNDLE_CORRUPT');
  });
});

describe('TextClassifier neural models (small, for lifecycle and leaks)', () => {
  it('fasttext multi-label trains with sigmoid outputs', async () => {
    await initEngine({ device: 'wasm' });
    const data = [
      ...TICKETS.map((t) => ({ text: t.text, label: [t.label as string] })),
      { text: 'Charged twice and the parcel never arrived', label: ['billing', 'delivery'] },
      { text: 'Refund page crashes with an error', label: ['billing', 'bug'] },
    ];
    const model = TextClassifier.create({ model: 'fasttext', multiLabel: true, fasttext: { buckets: 4096, dim: 16, learningRate: 0.05 } });
    await model.train(data, { epochs: 40 });
    const m = await model.evaluateMultiLabel(data);
    expect(m.microF1).toBeGreaterThan(0.7);
    const p = await model.predict('refund crashes');
    expect(Object.values(p.scores).every((v) => v >= 0 && v <= 1)).toBe(true);
    model.dispose();
  });

  beforeAll(async () => {
    await initEngine({ device: 'wasm' });
  });
  for (const kind of ['fasttext', 'cnn'] as const) {
    it(`${kind}: trains, predicts without leaking tensors, explains by occlusion, round-trips a bundle`, async () => {
      const model = TextClassifier.create({
        model: kind,
        fasttext: { buckets: 4096, dim: 16 },
        cnn: { embeddingDim: 16, filters: 8, learningRate: 0.01 },
      });
      const before = tf.memory().numTensors;
      await model.train(TICKETS, { epochs: 30, device: 'wasm' });
      const afterTrain = tf.memory().numTensors;
      const texts = ['the parcel is late', 'app crashes', 'refund my payment'];
      const first = await model.predictBatch(texts);
      expect(tf.memory().numTensors).toBe(afterTrain);
      await model.explain('the app crashes on save');
      expect(tf.memory().numTensors).toBe(afterTrain);
      expect((await model.evaluate(TICKETS)).accuracy).toBeGreaterThan(0.8);
      const dir = await tempDir();
      await model.save(dir);
      const loaded = await TextClassifier.load(dir);
      const again = await loaded.predictBatch(texts);
      again.forEach((p, i) => {
        expect(p.label).toBe(first[i]?.label);
        for (const [k, v] of Object.entries(p.scores)) expect(v).toBeCloseTo(first[i]?.scores[k] ?? -1, 5);
      });
      loaded.dispose();
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
