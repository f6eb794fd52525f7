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
