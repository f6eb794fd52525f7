import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, initEngine, tf } from '@appliedml/engine';
import type { GrayImage } from './gray-image';
import { ImageClassifier, type LabeledImages } from './image-classifier';
import { ImageSegmenter, type SegmenterTrainingReport } from './image-segmenter';
import { SegmenterEnsemble } from './segmenter-ensemble';
import { codeOf as code, discs } from './test-discs';

// A model embedded in a long-running service: dispose() while train() runs, overlapping trains,
// null option objects from a JSON body, property reads after dispose.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medical-lifecycle-'));
  await initEngine();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function blobs(count: number, size: number, seed: number): LabeledImages {
  const rng = createRng(seed);
  const images: GrayImage[] = [];
  const labels: string[] = [];
  for (let k = 0; k < count; k++) {
    const blob = k % 2 === 0;
    const data = new Float32Array(size * size);
    for (let p = 0; p < size * size; p++) {
      const inside = blob && Math.hypot((p % size) - size / 2, Math.floor(p / size) - size / 2) < size * 0.25;
      data[p] = 0.3 * rng.next() + (inside ? 0.6 : 0.1);
    }
    images.push({ width: size, height: size, data });
    labels.push(blob ? 'blob' : 'none');
  }
  return { images, labels };
}

const tinyClassifier = (): ImageClassifier => ImageClassifier.create({ imageSize: 16, filters: [4, 8], seed: 3 });
const tinySegmenter = (): ImageSegmenter => ImageSegmenter.create({ imageSize: 16, filters: [2, 4], flipAugment: false, seed: 1 });

describe('dispose() while train() runs', () => {
  it('ImageClassifier: the train rejects E_MODEL_DISPOSED, the new network is freed, isTrained stays false', async () => {
    const data = blobs(12, 16, 1);
    for (const trainedFirst of [false, true]) {
      const base = tf.memory().numTensors;
      const model = tinyClassifier();
      if (trainedFirst) await model.train(data, { epochs: 1, batchSize: 8 });
      const outcome = await code(() => model.train(data, { epochs: 2, batchSize: 8, onEpoch: () => model.dispose() }));
      expect(outcome, `trained first: ${trainedFirst}`).toBe('E_MODEL_DISPOSED');
      expect(model.isTrained).toBe(false);
      expect(tf.memory().numTensors).toBe(base);
      model.dispose();
      expect(tf.memory().numTensors).toBe(base);
    }
  });

  it('ImageSegmenter: the same, whether disposed before the last epoch or during it', async () => {
    const data = discs(8, 16, 1);
    for (const [trainedFirst, epochs] of [
      [false, 2],
      [true, 1],
    ] as const) {
      const base = tf.memory().numTensors;
      const seg = tinySegmenter();
      if (trainedFirst) await seg.train(data, { epochs: 1, batchSize: 4 });
      const outcome = await code(() => seg.train(data, { epochs, batchSize: 4, onEpoch: () => seg.dispose() }));
      expect(outcome, `trained first: ${trainedFirst}`).toBe('E_MODEL_DISPOSED');
      expect(seg.isTrained).toBe(false);
      expect(tf.memory().numTensors).toBe(base);
    }
  });
});

describe('overlapping ImageSegmenter.train() calls', () => {
  it('both succeed, the last to finish wins, predict answers from the current model meanwhile, nothing leaks', async () => {
    const base = tf.memory().numTensors;
    const seg = tinySegmenter();
    const data = discs(8, 16, 1);
    await seg.train(data, { epochs: 1, batchSize: 4 });
    const probe = data.images.slice(0, 2);
    const before = await seg.predictBatch(probe);
    // predictBatch computes its answer synchronously: collected at the end of each epoch of either run.
    const during: Array<Promise<unknown>> = [];
    const onEpoch = (): void => void during.push(seg.predictBatch(probe));
    const validation = discs(4, 16, 9);
    const finished: SegmenterTrainingReport[] = [];
    const run = (epochs: number): Promise<SegmenterTrainingReport> =>
      seg.train(data, { epochs, batchSize: 4, validation, onEpoch }).then((report) => {
        finished.push(report);
        return report;
      });
    const results = await Promise.allSettled([run(1), run(2)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(during.length).toBe(3);
    // The first epoch to end, of either run, came before any run installed its network.
    expect(await during[0]).toEqual(before);
    await Promise.all(during);
    expect(seg.isTrained).toBe(true);
    expect(finished).toHaveLength(2);
    // The model now is the network of the run that finished last.
    expect(await seg.evaluate(validation)).toEqual(finished[1]!.validation);
    seg.dispose();
    expect(tf.memory().numTensors).toBe(base);
  });
});

describe('null option objects', () => {
  it('are refused with E_INPUT_INVALID on every model method that takes options; undefined still means the defaults', async () => {
    const base = tf.memory().numTensors;
    const data = blobs(12, 16, 1);
    const model = tinyClassifier();
    expect(await code(() => model.train(data, null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => model.train(data, { epoch: 1 } as never))).toBe('E_INPUT_INVALID');
    expect(model.isTrained).toBe(false);
    await model.train(data, { epochs: 1, batchSize: 8 });
    const image = data.images[0]!;
    expect(await code(() => model.predict(image, null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => model.predictBatch([image], null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => model.predictBatch([image], 5 as never))).toBe('E_INPUT_INVALID');
    expect((await model.predict(image, undefined)).label).toMatch(/^(blob|none)$/);
    const saved = join(dir, 'classifier');
    await model.save(saved);
    expect(await code(() => ImageClassifier.load(saved, null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => ImageClassifier.create({}, null as never))).toBe('E_INPUT_INVALID');
    model.dispose();

    const seg = tinySegmenter();
    const masked = discs(8, 16, 1);
    expect(await code(() => seg.train(masked, null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => seg.train(masked, [] as never))).toBe('E_INPUT_INVALID');
    expect(seg.isTrained).toBe(false);
    expect(await code(() => ImageSegmenter.create({}, null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => ImageSegmenter.load(join(dir, 'none'), null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => SegmenterEnsemble.load(join(dir, 'none'), null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => SegmenterEnsemble.load(Symbol('dir') as never))).toBe('E_INPUT_INVALID');
    seg.dispose();
    expect(tf.memory().numTensors).toBe(base);
  });
});

describe('property reads after dispose', () => {
  it('ImageClassifier labels and threshold throw E_MODEL_DISPOSED, as every method does', async () => {
    const base = tf.memory().numTensors;
    const model = tinyClassifier();
    expect(model.labels).toEqual([]);
    expect(model.threshold).toBeUndefined();
    await model.train(blobs(12, 16, 1), { epochs: 1, batchSize: 8 });
    expect(model.labels).toEqual(['blob', 'none']);
    expect(typeof model.threshold).toBe('number');
    model.dispose();
    expect(await code(() => model.labels)).toBe('E_MODEL_DISPOSED');
    expect(await code(() => model.threshold)).toBe('E_MODEL_DISPOSED');
    expect(model.isTrained).toBe(false);
    expect(tf.memory().numTensors).toBe(base);
  });
});
