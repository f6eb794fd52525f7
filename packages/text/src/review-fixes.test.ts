import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError, initEngine } from '@appliedml/engine';
import { SentimentScorer } from './sentiment';
import { TextClassifier } from './text-classifier';
import { TICKETS, codeOf } from './test-helpers';

// Found by a first-hour review of the SDK: values in a saved manifest that a prediction depends on, labels
// that are also names of Object's own members, holes in arrays, option checks that came too late.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'text-review-'));
  await initEngine({ device: 'wasm' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Json = Record<string, any>;

/** Rewrites the manifest without its own checksum (as an earlier version or another tool would). */
async function edit(path: string, change: (manifest: Json) => void): Promise<void> {
  const file = join(path, 'manifest.json');
  const manifest = JSON.parse(await readFile(file, 'utf8')) as Json;
  delete manifest.manifestSha256;
  change(manifest);
  await writeFile(file, JSON.stringify(manifest));
}

describe('TextClassifier.load checks the values a prediction depends on', () => {
  const cases: [string, 'linear' | 'fasttext' | 'cnn', (m: Json) => void, RegExp][] = [
    ['cnn kernel sizes emptied', 'cnn', (m) => (m.preprocessing.cnn.kernelSizes = []), /kernelSizes/],
    ['fasttext maxIds negative', 'fasttext', (m) => (m.preprocessing.fasttext.maxIds = -3), /maxIds/],
    ['fasttext options null', 'fasttext', (m) => (m.preprocessing.fasttext = null), /fasttext options are not an object/],
    ['a fourth label on a three-output network', 'fasttext', (m) => m.preprocessing.labels.push('zzz'), /3 outputs for 4 labels/],
    ['labels not strings', 'linear', (m) => (m.preprocessing.labels = [1, 2, 3]), /labels/],
    ['duplicate labels', 'linear', (m) => (m.preprocessing.labels = ['bug', 'bug', 'delivery']), /labels/],
    ['maxTextChars negative', 'linear', (m) => (m.preprocessing.maxTextChars = -1), /maxTextChars/],
    ['unknown tokenizer', 'linear', (m) => (m.preprocessing.features.tokenizer = 'nope'), /feature config/],
  ];
  for (const [name, model, change, message] of cases) {
    it(`${name}: E_BUNDLE_CORRUPT at load`, async () => {
      const trained = TextClassifier.create({ model, fasttext: { buckets: 512, dim: 4 }, cnn: { embeddingDim: 4, filters: 2 } });
      await trained.train(TICKETS, { epochs: 1 });
      const path = join(dir, name.replace(/\W+/g, '-'));
      await trained.save(path);
      trained.dispose();
      await edit(path, change);
      const err = await TextClassifier.load(path).catch((e: unknown) => e);
      expect(AppliedMLError.hasCode(err, 'E_BUNDLE_CORRUPT'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('an idf out of range in tfidf.json is E_BUNDLE_CORRUPT', async () => {
    const trained = TextClassifier.create();
    await trained.train(TICKETS);
    const path = join(dir, 'idf');
    await trained.save(path);
    trained.dispose();
    const tfidf = JSON.parse(await readFile(join(path, 'tfidf.json'), 'utf8')) as Json;
    tfidf.idf[0] = 1e308;
    const text = JSON.stringify(tfidf);
    await writeFile(join(path, 'tfidf.json'), text);
    const { createHash } = await import('node:crypto');
    await edit(path, (m) => (m.files['tfidf.json'] = createHash('sha256').update(text).digest('hex')));
    expect(await codeOf(() => TextClassifier.load(path))).toBe('E_BUNDLE_CORRUPT');
  });
});

describe('labels, holes and options', () => {
  it("a label named '__proto__' keeps its score; 'constructor' in classWeight is a label like any other", async () => {
    const data = TICKETS.map((r) => ({ ...r, label: r.label === 'bug' ? '__proto__' : r.label === 'billing' ? 'constructor' : r.label }));
    const model = TextClassifier.create();
    await model.train(data, { classWeight: { constructor: 2 } });
    const p = await model.predict('The app crashes when I open the settings page');
    expect(Object.keys(p.scores).sort()).toEqual(['__proto__', 'constructor', 'delivery']);
    expect(Object.hasOwn(p.scores, '__proto__')).toBe(true);
    expect(Object.values(p.scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(await codeOf(() => model.train(data, { classWeight: { spam: 3 } }))).toBe('E_INPUT_INVALID');
    model.dispose();
  });

  it('holes in a batch are refused, not returned as undefined; so are a bad device name and a positive label of a three-class model', async () => {
    const model = TextClassifier.create();
    await model.train(TICKETS);
    expect(await codeOf(() => model.predictBatch(new Array(2)))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => model.train([TICKETS[0]!, , ...TICKETS.slice(1)] as never))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => model.train(TICKETS, { device: 'nope' as never }))).toBe('E_DEVICE_INVALID');
    expect(await codeOf(() => model.evaluate(TICKETS, { positiveLabel: 'bug' }))).toBe('E_INPUT_INVALID');
    model.dispose();
  });

  it('feature options are checked at create; a sentiment language that is an Object member is a typed error', async () => {
    expect(await codeOf(() => TextClassifier.create({ features: { tokenizer: 'nope' as never } }))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => TextClassifier.create({ features: { charNgrams: { min: 5, max: 2 } } }))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => TextClassifier.create({ seed: Number.NaN }))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => new SentimentScorer({ language: 'constructor' as never }))).toBe('E_INPUT_INVALID');
  });
});

// Found by a second first-hour review (a support-ticket router): retraining, validation, class weights, options that did nothing.
describe('second review', () => {
  it('retraining a neural model on longer texts widens its input again (up to the cap given at create)', async () => {
    const short = [
      { text: 'refund', label: 'billing' },
      { text: 'invoice wrong', label: 'billing' },
      { text: 'app crash', label: 'bug' },
      { text: 'error 500', label: 'bug' },
    ];
    const filler = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    const long = [
      ...Array.from({ length: 10 }, (_, i) => ({ text: `${filler} case ${i} refund invoice`, label: 'billing' })),
      ...Array.from({ length: 10 }, (_, i) => ({ text: `${filler} case ${i} crash error`, label: 'bug' })),
    ];
    for (const model of ['fasttext', 'cnn'] as const) {
      const width = (c: TextClassifier): number => (model === 'cnn' ? c.config.cnn.maxLength : c.config.fasttext.maxIds);
      const config = model === 'cnn' ? { model, cnn: { filters: 4, embeddingDim: 4 } } : { model };
      const fresh = TextClassifier.create(config);
      await fresh.train(long, { epochs: 1 });
      const reused = TextClassifier.create(config);
      await reused.train(short, { epochs: 1 });
      expect(width(reused)).toBeLessThan(width(fresh));
      await reused.train(long, { epochs: 1 });
      expect(width(reused)).toBe(width(fresh));
      // The cap asked for still holds, after save → load too.
      const capped = TextClassifier.create(
        model === 'cnn' ? { ...config, cnn: { ...config.cnn, maxLength: 8 } } : { model, fasttext: { maxIds: 8 } },
      );
      await capped.train(short, { epochs: 1 });
      const path = join(dir, `caps-${model}`);
      await capped.save(path);
      const loaded = await TextClassifier.load(path);
      await loaded.train(long, { epochs: 1 });
      expect(width(loaded)).toBe(8);
      for (const m of [fresh, reused, capped, loaded]) m.dispose();
    }
    // A CNN bundle saved before the caps were kept, fitted at 70 tokens under a cap of 200 (default 60):
    // retrained on longer texts it may widen to at least its saved width, not be cut to the default.
    const wide = TextClassifier.create({ model: 'cnn', cnn: { filters: 4, embeddingDim: 4, maxLength: 200 } });
    const seventy = Array.from({ length: 70 }, (_, i) => `w${i}`).join(' ');
    await wide.train(
      TICKETS.map((t) => ({ text: `${seventy} ${t.text}`, label: t.label })),
      { epochs: 1 },
    );
    const oldPath = join(dir, 'caps-old');
    await wide.save(oldPath);
    wide.dispose();
    await edit(oldPath, (m) => {
      delete m.preprocessing.lengthCaps;
    });
    const old = await TextClassifier.load(oldPath);
    expect(old.config.cnn.maxLength).toBeGreaterThan(70);
    const hundred = Array.from({ length: 100 }, (_, i) => `v${i}`).join(' ');
    await old.train(
      TICKETS.map((t) => ({ text: `${hundred} ${t.text}`, label: t.label })),
      { epochs: 1 },
    );
    expect(old.config.cnn.maxLength).toBeGreaterThan(70);
    old.dispose();
    {
    }
  });

  it('predicts keep answering from the current network while a retrain on longer texts runs', async () => {
    const short = TICKETS.map((t) => ({ text: t.text.split(' ').slice(0, 2).join(' '), label: t.label }));
    const filler = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const long = [...TICKETS, ...TICKETS].map((t, i) => ({ text: `${filler} ${i} ${t.text}`, label: t.label }));
    for (const model of ['fasttext', 'cnn'] as const) {
      const c = TextClassifier.create(model === 'cnn' ? { model, cnn: { filters: 8, embeddingDim: 8 } } : { model });
      await c.train(short, { epochs: 1 });
      let done = false;
      const training = c.train(long, { epochs: 40 }).finally(() => {
        done = true;
      });
      let answered = 0;
      while (!done) {
        await c.predict(`${filler} refund my invoice`);
        answered++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await training;
      expect(answered).toBeGreaterThan(0);
      expect((await c.predict(`${filler} refund my invoice`)).label).toBeTypeOf('string');
      c.dispose();
    }
  }, 120_000);

  it('a validation label the training data lacks is refused before training, for every kind; the model stays as it was', async () => {
    for (const model of ['linear', 'naive-bayes', 'fasttext'] as const) {
      const c = TextClassifier.create({ model });
      await c.train(TICKETS, { epochs: 1 });
      const before = await c.predict('refund my invoice');
      const labels = c.labels;
      await expect(
        c.train(TICKETS.slice(0, 12), { epochs: 1, validation: [{ text: 'a contract question', label: 'legal' }] }),
      ).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
        message: expect.stringMatching(/^Validation labels not in the training data: legal/),
      });
      expect(c.labels).toEqual(labels);
      expect(await c.predict('refund my invoice')).toEqual(before);
      c.dispose();
    }
  });

  it('class weights: all zero is refused; multi-label rows with no label weigh 1 (linear) and weights reach fastText multi-label', async () => {
    await expect(
      TextClassifier.create({ model: 'naive-bayes' }).train(TICKETS, {
        classWeight: Object.fromEntries([...new Set(TICKETS.map((t) => t.label as string))].map((l) => [l, 0])),
      }),
    ).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    const multi = TICKETS.map((t, i) => ({ text: t.text, label: i % 5 === 0 ? [] : [t.label as string] }));
    const linear = TextClassifier.create({ model: 'linear', multiLabel: true });
    await linear.train(multi, { classWeight: { bug: 5 } });
    expect((await linear.predict('The app crashes on start')).labels).toContain('bug');
    linear.dispose();
    const scores = async (classWeight?: Record<string, number>): Promise<number[]> => {
      const ft = TextClassifier.create({ model: 'fasttext', multiLabel: true, seed: 3 });
      await ft.train(multi, { epochs: 3, ...(classWeight ? { classWeight } : {}) });
      const p = await ft.predict('The app crashes on start');
      ft.dispose();
      return Object.values(p.scores);
    };
    expect(await scores({ bug: 50 })).not.toEqual(await scores());
  });

  it("labels are trimmed as the file loaders trim them: ' billing ' and 'billing' are one class", async () => {
    const padded = TICKETS.map((t, i) => ({ text: t.text, label: i % 2 ? ` ${t.label as string} ` : (t.label as string) }));
    const c = TextClassifier.create({ model: 'naive-bayes' });
    await c.train(padded);
    expect(c.labels).toEqual([...new Set(TICKETS.map((t) => t.label as string))].sort());
    expect((await c.evaluate(padded)).accuracy).toBeGreaterThan(0.5);
    c.dispose();
  });

  it('a bundle whose manifest names the other network kind is corrupt at load, not at predict', async () => {
    const cnn = TextClassifier.create({ model: 'cnn', cnn: { filters: 4, embeddingDim: 4 } });
    await cnn.train(TICKETS, { epochs: 1 });
    const path = join(dir, 'kind-swap');
    await cnn.save(path);
    cnn.dispose();
    await edit(path, (m) => {
      m.preprocessing.model = 'fasttext';
    });
    await expect(TextClassifier.load(path)).rejects.toMatchObject({ code: 'E_BUNDLE_CORRUPT', message: expect.stringMatching(/input/) });
  });

  it('options a model would ignore are refused at create: TF-IDF features for the networks, threshold for single-label', () => {
    expect(() => TextClassifier.create({ model: 'fasttext', features: { wordNgrams: 3 } })).toThrow(/fasttext\.wordNgrams/);
    expect(() => TextClassifier.create({ model: 'cnn', features: { shapeFeatures: true, charNgrams: { min: 2, max: 4 } } })).toThrow(
      /features\.charNgrams, features\.shapeFeatures/,
    );
    expect(() =>
      TextClassifier.create({ model: 'fasttext', features: { wordNgrams: 1, charNgrams: false, lowercase: false } }),
    ).not.toThrow();
    expect(() => TextClassifier.create({ model: 'linear', threshold: 0.9 })).toThrow(/multi-label/);
    expect(() => TextClassifier.create({ model: 'linear', multiLabel: true, threshold: 0.9 })).not.toThrow();
  });
});

// model.labels said "in score order", but for number-like labels Object.keys(scores) is in JavaScript's
// order (integer-like keys first, numerically): labels ['0', '1', '10', '2'], keys ['0', '1', '2', '10'].
// The documented contract: labels keep one fixed order (metrics follow it), scores are read by name.
describe('number-like labels: model.labels order and scores by name', () => {
  it('labels stay sorted by code unit, metrics follow them, and scores[label] pairs every label with its probability', async () => {
    const names = ['0', '1', '10', '2'];
    const data = [
      'refund my invoice',
      'the app crashes',
      'parcel is late',
      'change my password',
      'charged twice',
      'crash on save',
      'where is my parcel',
      'reset my login',
    ].map((text, i) => ({ text, label: names[i % 4] as string }));
    const model = TextClassifier.create({ model: 'naive-bayes' });
    await model.train(data);
    expect(model.labels).toEqual(['0', '1', '10', '2']);
    const p = await model.predict('my parcel is late');
    expect(Object.keys(p.scores)).toEqual(['0', '1', '2', '10']); // JavaScript's order, not model.labels'
    const byName = model.labels.map((l) => p.scores[l] as number);
    expect(byName.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(p.label).toBe(model.labels[byName.indexOf(Math.max(...byName))]);
    const m = await model.evaluate(data);
    expect(m.labels).toEqual(model.labels);
    expect(m.perClass.map((c) => c.label)).toEqual(model.labels);
    model.dispose();
  });
});
