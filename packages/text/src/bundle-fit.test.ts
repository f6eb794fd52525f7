import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError, initEngine, tf } from '@appliedml/engine';
import { TextClassifier, type TextClassifierConfig } from './text-classifier';
import { TICKETS } from './test-helpers';

// Found by a fuzz review of saved bundles: a bundle without manifestSha256 loads unchecked, so a hand edit
// reaches the loader. What sizes the network's input must fit the network itself, or the load is
// E_BUNDLE_CORRUPT with nothing left behind (and the wasm backend never reads out of bounds).
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'text-bundle-fit-'));
  await initEngine({ device: 'wasm' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Json = Record<string, any>;

const saved = new Map<string, string>();
/** A trained bundle per config (saved once), copied to a fresh directory for each edit. */
async function bundle(name: string, config: TextClassifierConfig): Promise<string> {
  const key = JSON.stringify(config);
  let source = saved.get(key);
  if (!source) {
    source = join(dir, `source-${saved.size}`);
    const model = TextClassifier.create(config);
    await model.train(TICKETS, { epochs: 1 });
    await model.save(source);
    model.dispose();
    saved.set(key, source);
  }
  const path = join(dir, name.replace(/\W+/g, '-'));
  await rm(path, { recursive: true, force: true });
  await cp(source, path, { recursive: true });
  return path;
}

/** Rewrites one file of a bundle, records its new sha256 and drops manifestSha256 (as a hand edit would). */
async function rewrite(path: string, file: string, change: (bytes: Buffer) => Buffer | string): Promise<void> {
  const out = change(await readFile(join(path, file)));
  await writeFile(join(path, file), out);
  const manifest = JSON.parse(await readFile(join(path, 'manifest.json'), 'utf8')) as Json;
  delete manifest.manifestSha256;
  if (file !== 'manifest.json') manifest.files[file] = createHash('sha256').update(out).digest('hex');
  await writeFile(join(path, 'manifest.json'), JSON.stringify(manifest));
}
const editJson = (path: string, file: string, change: (json: Json) => void): Promise<void> =>
  rewrite(path, file, (bytes) => {
    const json = JSON.parse(bytes.toString('utf8')) as Json;
    change(json);
    return JSON.stringify(json);
  });

/** The error a call gives, with the number of tensors it left behind. */
async function failure(fn: () => Promise<unknown>): Promise<{ error: unknown; leaked: number }> {
  const before = tf.memory().numTensors;
  const error = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, leaked: tf.memory().numTensors - before };
}

async function expectCorruptLoad(path: string, message: RegExp): Promise<void> {
  const { error, leaked } = await failure(async () => {
    const model = await TextClassifier.load(path);
    try {
      return await model.predictBatch(['refund', 'the app crashes when I open the settings page']);
    } finally {
      model.dispose();
    }
  });
  expect(AppliedMLError.hasCode(error, 'E_BUNDLE_CORRUPT'), String(error)).toBe(true);
  expect((error as Error).message).toMatch(message);
  expect(leaked).toBe(0);
}

const CNN: TextClassifierConfig = { model: 'cnn', cnn: { embeddingDim: 4, filters: 2 } };
const FASTTEXT: TextClassifierConfig = { model: 'fasttext', fasttext: { buckets: 512, dim: 4 } };

describe('TextClassifier.load checks the manifest and vocabulary against the network', () => {
  it('cnn.kernelSizes narrower than the network (or a kernel changed) is E_BUNDLE_CORRUPT; the backend stays sound', async () => {
    for (const kernelSizes of [[3, 4], [3], [3, 4, 6]]) {
      const path = await bundle(`kernels-${kernelSizes.join('-')}`, CNN);
      await editJson(path, 'manifest.json', (m) => (m.preprocessing.cnn.kernelSizes = kernelSizes));
      await expectCorruptLoad(path, /cnn\.kernelSizes is .*the network's convolutions are \[3,4,5\] wide/);
    }
    // The untouched bundle still loads and predicts in this process.
    const good = await TextClassifier.load(await bundle('kernels-good', CNN));
    expect((await good.predict('refund')).label).toBeTypeOf('string');
    good.dispose();
  });

  it('a deleted cnn section falls back to kernels [3, 4, 5]: on a network trained with [2, 3] that is E_BUNDLE_CORRUPT', async () => {
    const path = await bundle('cnn-section-deleted', { model: 'cnn', cnn: { embeddingDim: 4, filters: 2, kernelSizes: [2, 3] } });
    await editJson(path, 'manifest.json', (m) => delete m.preprocessing.cnn);
    await expectCorruptLoad(path, /cnn\.kernelSizes is \[3,4,5\]; the network's convolutions are \[2,3\] wide/);
  });

  it('a vocabulary with more ids than the embedding has rows is E_BUNDLE_CORRUPT (not E_INPUT_INVALID at predict)', async () => {
    const path = await bundle('vocabulary-extra', CNN);
    await editJson(path, 'vocabulary.json', (v) => {
      for (let i = 0; i < 500; i++) v.terms.push(`zzextra${i}`);
    });
    await expectCorruptLoad(path, /its vocabulary has \d+ ids .*the network's embedding has \d+ rows/);
  });

  it('fastText: more hash buckets than embedding rows, or a maxIds other than the input width, is E_BUNDLE_CORRUPT', async () => {
    const buckets = await bundle('fasttext-buckets', FASTTEXT);
    await editJson(buckets, 'manifest.json', (m) => (m.preprocessing.fasttext.buckets = 4096));
    await expectCorruptLoad(buckets, /fasttext\.buckets is 4096; the network's embedding has 512 rows/);
    const width = await bundle('fasttext-width', FASTTEXT);
    await editJson(width, 'manifest.json', (m) => (m.preprocessing.fasttext.maxIds += 3));
    await expectCorruptLoad(width, /fasttext\.maxIds is \d+; the network reads \d+ ids/);
  });

  it('a cnn.maxLength other than a fixed-width network reads, or below the widest kernel, is E_BUNDLE_CORRUPT', async () => {
    const fixed = join(dir, 'fixed-width');
    await cp(join(__dirname, '..', 'test', '__fixtures__', 'cnn-0.1-bundle'), fixed, { recursive: true });
    await editJson(fixed, 'manifest.json', (m) => (m.preprocessing.cnn.maxLength = 12));
    await expectCorruptLoad(fixed, /cnn\.maxLength is 12; the network reads 10 ids/);
    const short = await bundle('max-length-short', CNN);
    await editJson(short, 'manifest.json', (m) => {
      m.preprocessing.cnn.maxLength = 4;
      m.preprocessing.lengthCaps.cnnMaxLength = 4;
    });
    await expectCorruptLoad(short, /cnn\.maxLength 4 is narrower than the widest kernel \(5\)/);
  });
});

describe('a network whose output is not finite', () => {
  for (const config of [CNN, FASTTEXT]) {
    it(`${String(config.model)}: finite but huge weights (3e38) are E_BUNDLE_CORRUPT at predict and explain, never NaN scores`, async () => {
      const path = await bundle(`huge-weights-${String(config.model)}`, config);
      await rewrite(path, 'main.weights.bin', (bytes) => {
        const copy = Buffer.from(bytes);
        new Float32Array(copy.buffer, copy.byteOffset, copy.length / 4).fill(3e38);
        return copy;
      });
      const model = await TextClassifier.load(path);
      for (const call of [() => model.predictBatch(['refund my invoice', 'the app crashes']), () => model.explain('refund my invoice')]) {
        const { error, leaked } = await failure(call);
        expect(AppliedMLError.hasCode(error, 'E_BUNDLE_CORRUPT'), String(error)).toBe(true);
        expect((error as Error).message).toMatch(/network's output for text 0 is not finite/);
        expect(leaked).toBe(0);
      }
      model.dispose();
    });
  }
});

// Last: on a build without the padding floor this reads out of bounds in WebAssembly and breaks the backend.
describe('prediction pads every text to the widest kernel of the network itself', () => {
  it('even when the config in memory names narrower kernels', async () => {
    const model = await TextClassifier.load(await bundle('pad-floor', CNN));
    const texts = ['refund', 'app crash', 'the app crashes when I open the settings page'];
    const before = await model.predictBatch(texts);
    (model.config.cnn as { kernelSizes: number[] }).kernelSizes = [3];
    expect(await model.predictBatch(texts)).toEqual(before);
    model.dispose();
  });
});
