import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError, initEngine, tf } from '@appliedml/engine';
import { ImageClassifier } from './image-classifier';
import { ImageSegmenter } from './image-segmenter';
import { discs, labelledDiscs } from './test-discs';
import { TRAINED_ON_FILE, type DataSource } from './trained-on';

// A saved model did not say what it was trained on: a segmenter fitted on generated phantoms was
// scored on Kvasir-SEG by whoever loaded it, with nothing in the bundle to tell them. The training
// data's `source` and the image counts are saved in trained-on.json and exposed as `trainedOn`; a
// bundle without the file (saved before) loads with `trainedOn` undefined: unknown.

const phantoms: DataSource = { name: 'phantoms', synthetic: true, description: 'generated discs, seed 1' };
let root: string;
let k = 0;

beforeAll(async () => {
  await initEngine();
  root = await mkdtemp(join(tmpdir(), 'medical-trained-on-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function failure(p: Promise<unknown> | (() => unknown)): Promise<AppliedMLError> {
  const caught = await Promise.resolve()
    .then(() => (typeof p === 'function' ? p() : p))
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(AppliedMLError.isInstance(caught), String(caught)).toBe(true);
  return caught as AppliedMLError;
}

/** A copy of `from` whose trained-on.json is `text` (removed when undefined), its checksums kept true. */
async function withTrainedOn(from: string, text: string | undefined): Promise<string> {
  const to = join(root, `copy-${k++}`);
  await cp(from, to, { recursive: true });
  const manifest = JSON.parse(await readFile(join(to, 'manifest.json'), 'utf8'));
  delete manifest.manifestSha256;
  if (text === undefined) {
    await rm(join(to, TRAINED_ON_FILE));
    delete manifest.files[TRAINED_ON_FILE];
  } else {
    await writeFile(join(to, TRAINED_ON_FILE), text);
    manifest.files[TRAINED_ON_FILE] = createHash('sha256').update(text).digest('hex');
  }
  await writeFile(join(to, 'manifest.json'), JSON.stringify(manifest));
  return to;
}

describe('trainedOn: the training data a model records', () => {
  it('a classifier saves the source and counts, and a loaded one reports them', async () => {
    const c = ImageClassifier.create({ imageSize: 16, filters: [4, 8], seed: 1 });
    expect(c.trainedOn).toBeUndefined();
    await c.train({ ...labelledDiscs(20, 3), source: phantoms }, { epochs: 1, validationFraction: 0.25 });
    expect(c.trainedOn).toEqual({ source: phantoms, images: 15, validationImages: 5 });
    const dir = join(root, 'classifier');
    await c.save(dir);
    c.dispose();
    const loaded = await ImageClassifier.load(dir);
    expect(loaded.trainedOn).toEqual({ source: phantoms, images: 15, validationImages: 5 });
    // A copy: the caller cannot rewrite what the model says.
    loaded.trainedOn!.source!.synthetic = false;
    expect(loaded.trainedOn!.source!.synthetic).toBe(true);
    loaded.dispose();
    expect(() => loaded.trainedOn).toThrow(/disposed/);

    const older = await ImageClassifier.load(await withTrainedOn(dir, undefined));
    expect(older.trainedOn).toBeUndefined();
    expect(older.labels).toEqual(['disc', 'plain']);
    older.dispose();
  }, 60_000);

  it('a segmenter saves the source and counts (also in its best checkpoint); an older bundle loads as unknown', async () => {
    const s = ImageSegmenter.create({ imageSize: 16, filters: [2, 4], seed: 1 });
    const validation = { ...discs(4, 16, 2), source: { name: 'other', synthetic: false } };
    await s.train({ ...discs(8, 16, 1), source: phantoms }, { epochs: 1, batchSize: 4, validation, checkpointDir: join(root, 'ck') });
    expect(s.trainedOn).toEqual({ source: phantoms, images: 8, validationImages: 4 });
    const dir = join(root, 'segmenter');
    await s.save(dir);
    s.dispose();
    const before = tf.memory().numTensors;
    const loaded = await ImageSegmenter.load(dir);
    expect(loaded.trainedOn).toEqual({ source: phantoms, images: 8, validationImages: 4 });
    loaded.dispose();
    const best = await ImageSegmenter.load(join(root, 'ck', 'best'));
    expect(best.trainedOn).toEqual({ source: phantoms, images: 8, validationImages: 4 });
    best.dispose();
    const older = await ImageSegmenter.load(await withTrainedOn(dir, undefined));
    expect(older.trainedOn).toBeUndefined();
    older.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('data without a source trains as before: counts only, the source unknown', async () => {
    const s = ImageSegmenter.create({ imageSize: 16, filters: [2, 4], seed: 1 });
    await s.train(discs(10, 16, 1), { epochs: 1, batchSize: 4, validationFraction: 0.2 });
    expect(s.trainedOn).toEqual({ images: 8, validationImages: 2 });
    const dir = join(root, 'no-source');
    await s.save(dir);
    s.dispose();
    const loaded = await ImageSegmenter.load(dir);
    expect(loaded.trainedOn).toEqual({ images: 8, validationImages: 2 });
    loaded.dispose();
  }, 60_000);

  it('refuses a malformed source before training, and a malformed trained-on.json as a corrupt bundle', async () => {
    const s = ImageSegmenter.create({ imageSize: 16, filters: [2, 4], seed: 1 });
    const bad = await failure(s.train({ ...discs(8, 16, 1), source: { name: 'x', synthetic: 'yes' } as never }, { epochs: 1 }));
    expect(bad.code).toBe('E_INPUT_INVALID');
    expect(bad.message).toMatch(/training data's source is not valid: its synthetic must be true or false/);
    const c = ImageClassifier.create({ imageSize: 16, filters: [4, 8], seed: 1 });
    expect((await failure(c.train({ ...labelledDiscs(8, 1), source: { synthetic: true } as never }, { epochs: 1 }))).code).toBe(
      'E_INPUT_INVALID',
    );
    s.dispose();
    c.dispose();

    const before = tf.memory().numTensors;
    for (const text of ['not json', '{"images":-1,"validationImages":2}', '{"images":3,"validationImages":2,"source":{"name":""}}']) {
      const dir = await withTrainedOn(join(root, 'segmenter'), text);
      const e = await failure(ImageSegmenter.load(dir));
      expect(e.code).toBe('E_BUNDLE_CORRUPT');
      expect(e.message).toMatch(new RegExp(`^Bundle .*: its ${TRAINED_ON_FILE} `));
      const ce = await failure(ImageClassifier.load(await withTrainedOn(join(root, 'classifier'), text)));
      expect(ce.code).toBe('E_BUNDLE_CORRUPT');
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});
