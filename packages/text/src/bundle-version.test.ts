import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError, initEngine, tf } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextClassifier } from './text-classifier';
import { TICKETS } from './test-helpers';
import { TEXT_VERSION } from './version';

// A bundle saved by a newer version of the package, holding what this one cannot read (a model type, a
// tokenizer, a setting, a file it added), was E_BUNDLE_CORRUPT ("has no usable text-classifier
// preprocessing", "has an invalid feature config"), sending an operator who rolled a service back
// hunting for disk damage; a feature setting this version does not know was dropped without a word, so
// the model read texts otherwise than it was trained to. It is E_BUNDLE_INCOMPATIBLE now, naming the
// version that saved it and this one and asking for an upgrade (the engine's incompatibleIfNewer, as
// fraud and traffic do); a newer bundle this version can read loads and predicts as before, and the same
// edit in a bundle of this version or an earlier one is what it was (E_BUNDLE_CORRUPT, or loads).

type Json = Record<string, any>;
type Kind = 'linear' | 'naive-bayes' | 'fasttext' | 'cnn';

const KINDS: Kind[] = ['linear', 'naive-bayes', 'fasttext', 'cnn'];
const TEXTS = ['the parcel is late', 'app crashes on save', 'refund my payment'];
const NEWER = '9.1.0';

let root: string;
const saved = {} as Record<Kind, string>;
const expected = {} as Record<Kind, Record<string, number>[]>;
let k = 0;

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
  root = await mkdtemp(join(tmpdir(), 'text-bundle-version-'));
  for (const model of KINDS) {
    const trained = TextClassifier.create({ model, fasttext: { buckets: 512, dim: 4 }, cnn: { embeddingDim: 4, filters: 2 } });
    await trained.train(TICKETS, { epochs: 2 });
    expected[model] = (await trained.predictBatch(TEXTS)).map((p) => p.scores);
    saved[model] = join(root, model);
    await trained.save(saved[model]);
    trained.dispose();
  }
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/**
 * A copy of a saved `model` whose manifest says `packageVersion` and is changed by `change` (unsealed, as a
 * newer version's own save would be sealed: without the seal the loader checks the values themselves);
 * `files` are written into the bundle (or over its files) and listed with their checksums.
 */
async function edited(model: Kind, packageVersion: string, change: (m: Json) => void = () => {}, files: Record<string, string> = {}) {
  const to = join(root, `copy-${k++}`);
  await cp(saved[model], to, { recursive: true });
  const path = join(to, 'manifest.json');
  const manifest = JSON.parse(await readFile(path, 'utf8')) as Json;
  delete manifest.manifestSha256;
  manifest.packageVersion = packageVersion;
  change(manifest);
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(to, name), text);
    manifest.files[name] = createHash('sha256').update(text).digest('hex');
  }
  await writeFile(path, JSON.stringify(manifest));
  return to;
}

async function failure(p: Promise<unknown>): Promise<AppliedMLError> {
  const caught = await p.then(
    (m) => {
      (m as TextClassifier).dispose();
      return 'loaded';
    },
    (e: unknown) => e,
  );
  expect(AppliedMLError.isInstance(caught), String(caught)).toBe(true);
  return caught as AppliedMLError;
}

const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The tfidf.json of the saved linear model with `extra` fields. */
async function tfidfWith(extra: Json): Promise<string> {
  return JSON.stringify({ ...JSON.parse(await readFile(join(saved.linear, 'tfidf.json'), 'utf8')), ...extra });
}

describe('a text bundle from a newer version of the package', () => {
  it('that this version can read loads and predicts as the saved model did (every model type)', async () => {
    for (const model of KINDS) {
      const loaded = await TextClassifier.load(await edited(model, NEWER));
      const scores = (await loaded.predictBatch(TEXTS)).map((p) => p.scores);
      scores.forEach((s, i) => {
        for (const [label, v] of Object.entries(s)) expect(v, `${model} ${label}`).toBeCloseTo(expected[model][i]?.[label] ?? -1, 6);
      });
      loaded.dispose();
    }
  });

  it('with a model type this version does not know is E_BUNDLE_INCOMPATIBLE naming both versions', async () => {
    const path = await edited('linear', NEWER, (m) => (m.preprocessing.model = 'transformer'));
    const e = await failure(TextClassifier.load(path));
    expect(e.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(e.message).toMatch(
      new RegExp(
        `^Bundle ${escaped(path)} was saved by @appliedml/text 9\\.1\\.0, newer than this ${escaped(TEXT_VERSION)}, which cannot read it \\(its model type .transformer. is not one this version reads \\(linear, naive-bayes, fasttext, cnn\\)\\)\\. Upgrade @appliedml/text to 9\\.1\\.0 or later\\.$`,
      ),
    );
    expect(e.details).toMatchObject({ dir: path, packageVersion: NEWER, version: TEXT_VERSION });
    expect((e.cause as { code?: string }).code).toBe('E_BUNDLE_CORRUPT');
  });

  const unreadable: [string, Kind, (m: Json) => void, RegExp][] = [
    [
      'a tokenizer',
      'linear',
      (m) => (m.preprocessing.features.tokenizer = 'sentencepiece'),
      /its feature config is invalid \(Unknown tokenizer 'sentencepiece'/,
    ],
    [
      'a normalisation',
      'fasttext',
      (m) => (m.preprocessing.features.normalize = 'NFKC_Casefold'),
      /its feature config is invalid \(features\.normalize/,
    ],
    [
      "model options out of this version's range",
      'fasttext',
      (m) => (m.preprocessing.fasttext.dim = 4096),
      /its model options are invalid \(fasttext\.dim/,
    ],
    [
      'labels as objects',
      'cnn',
      (m) => (m.preprocessing.labels = m.preprocessing.labels.map((l: string) => ({ name: l }))),
      /its labels are not distinct non-empty strings/,
    ],
  ];
  for (const [what, model, change, reason] of unreadable)
    it(`with ${what} this version cannot read is E_BUNDLE_INCOMPATIBLE; saved by this version or an earlier one, E_BUNDLE_CORRUPT`, async () => {
      const e = await failure(TextClassifier.load(await edited(model, NEWER, change)));
      expect(e.code, e.message).toBe('E_BUNDLE_INCOMPATIBLE');
      expect(e.message).toMatch(reason);
      expect(e.message).toContain(`Upgrade @appliedml/text to ${NEWER} or later.`);
      for (const version of [TEXT_VERSION, '0.0.9', 'not a version']) {
        const old = await failure(TextClassifier.load(await edited(model, version, change)));
        expect(old.code, `${version}: ${old.message}`).toBe('E_BUNDLE_CORRUPT');
        expect(old.message).toMatch(reason);
      }
    });

  it('with settings, fields or files this version does not know (which it dropped, reading texts otherwise) is E_BUNDLE_INCOMPATIBLE naming them', async () => {
    const tfidf = await tfidfWith({ bm25: { k1: 1.2 } });
    const cases: [Kind, (m: Json) => void, Record<string, string>, string][] = [
      ['linear', (m) => (m.preprocessing.features.stemmer = 'porter'), {}, 'features.stemmer'],
      [
        'linear',
        (m) => (m.preprocessing.features.charNgrams = { min: 2, max: 5, scope: 'word', weighting: 'bm25' }),
        {},
        'features.charNgrams.weighting',
      ],
      ['cnn', (m) => (m.preprocessing.cnn.attention = true), {}, 'cnn.attention'],
      ['naive-bayes', (m) => (m.preprocessing.calibration = { method: 'isotonic' }), {}, 'calibration'],
      ['linear', () => {}, { 'tfidf.json': tfidf }, 'tfidf.json bm25'],
      ['fasttext', () => {}, { 'calibration.bin': 'x' }, "file 'calibration.bin'"],
    ];
    for (const [model, change, written, named] of cases) {
      const e = await failure(TextClassifier.load(await edited(model, NEWER, change, written)));
      expect(e.code, e.message).toBe('E_BUNDLE_INCOMPATIBLE');
      expect(e.message).toContain(`this version does not know: ${named}`);
      // details.unknown names them as the message does (a JSON file's field was its bare name: 'bm25').
      expect(e.details).toMatchObject({ unknown: [named] });
      // A field inside one JSON file names that file too (details.file, as before f8d1589); other names do not.
      if (named.startsWith('tfidf.json ')) expect(e.details).toMatchObject({ file: 'tfidf.json' });
      else expect(e.details).not.toHaveProperty('file');
      // In a bundle of this version they were ignored, as before: it loads and predicts as saved.
      const same = await TextClassifier.load(await edited(model, TEXT_VERSION, change, written));
      const scores = (await same.predictBatch(TEXTS)).map((p) => p.scores);
      expect(scores[0]?.bug).toBeCloseTo(expected[model][0]?.bug ?? -1, 6);
      same.dispose();
    }
  });

  it('leaves no tensors behind when it refuses a newer network bundle', async () => {
    const path = await edited('cnn', NEWER, (m) => (m.preprocessing.cnn.attention = true));
    const before = tf.memory().numTensors;
    expect((await failure(TextClassifier.load(path))).code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(tf.memory().numTensors).toBe(before);
  });
});

// A network this engine cannot rebuild (a layer class a later tfjs or engine writes) failed inside the
// engine's loadBundle, before the classifier saw the manifest's packageVersion: E_BUNDLE_CORRUPT 'could
// not be rebuilt' for a newer bundle that only needed an upgrade. It is E_BUNDLE_INCOMPATIBLE now; the same
// edit in a bundle of this version stays E_BUNDLE_CORRUPT.
describe('a newer text bundle whose network this engine cannot rebuild', () => {
  for (const [model, layer] of [
    ['fasttext', 'Dense'],
    ['cnn', 'Conv1D'],
  ] as [Kind, string][])
    it(`(${model}, a Future${layer} layer) is E_BUNDLE_INCOMPATIBLE "Upgrade"; from this version E_BUNDLE_CORRUPT`, async () => {
      const text = await readFile(join(saved[model], 'main.model.json'), 'utf8');
      expect(text).toContain(`"class_name":"${layer}"`);
      const future = { 'main.model.json': text.replace(`"class_name":"${layer}"`, `"class_name":"Future${layer}"`) };
      const newer = await edited(model, NEWER, () => {}, future);
      const e = await failure(TextClassifier.load(newer));
      expect(e.code, e.message).toBe('E_BUNDLE_INCOMPATIBLE');
      expect(e.message).toMatch(
        new RegExp(
          `^Bundle ${escaped(newer)} was saved by @appliedml/text 9\\.1\\.0, newer than this ${escaped(TEXT_VERSION)}, which cannot read it \\(.*could not be rebuilt: .*Future${layer}.*\\)\\. Upgrade @appliedml/text to 9\\.1\\.0 or later\\.$`,
        ),
      );
      expect(e.details).toMatchObject({ dir: newer, packageVersion: NEWER, version: TEXT_VERSION });
      const same = await failure(TextClassifier.load(await edited(model, TEXT_VERSION, () => {}, future)));
      expect(same.code, same.message).toBe('E_BUNDLE_CORRUPT');
      expect(same.message).toContain('could not be rebuilt');
    });
});
