import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, initEngine, tf } from '@appliedml/engine';
import type { GrayImage } from './gray-image';
import { ImageClassifier, type LabeledImages } from './image-classifier';
import { ImageSegmenter } from './image-segmenter';
import { codeOf as code, discs } from './test-discs';

// Found by a first-hour review of the SDK: a failed segmenter run that discarded the trained network,
// unchecked training options and configs, classifier bundles whose labels do not fit the network,
// labels that are Object member names, holes in arrays, NaN out of a network.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medical-review-'));
  await initEngine();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function twoClasses(count: number, size: number, seed: number, names = ['disc', 'plain']): LabeledImages {
  const rng = createRng(seed);
  const images: GrayImage[] = [];
  const labels: string[] = [];
  for (let k = 0; k < count; k++) {
    const disc = k % 2 === 0;
    const data = new Float32Array(size * size);
    for (let p = 0; p < size * size; p++) {
      const inside = disc && Math.hypot((p % size) - size / 2, Math.floor(p / size) - size / 2) < size * 0.25;
      data[p] = 0.3 * rng.next() + (inside ? 0.6 : 0.1);
    }
    images.push({ width: size, height: size, data });
    labels.push(names[disc ? 0 : 1]!);
  }
  return { images, labels };
}

describe('ImageSegmenter training', () => {
  it('a failed train keeps the trained network; bad options are refused before anything changes', async () => {
    const seg = ImageSegmenter.create({ imageSize: 16, filters: [2, 4], seed: 1 });
    const data = discs(8, 16, 1);
    await seg.train(data, { epochs: 1, batchSize: 4 });
    const probe = data.images.slice(0, 2);
    const before = await seg.predictBatch(probe);
    for (const options of [{ learningRate: Number.NaN }, { batchSize: 0 }, { patience: -1 }, { epochs: 0 }])
      expect(await code(() => seg.train(data, { epochs: 1, ...options })), JSON.stringify(options)).toBe('E_INPUT_INVALID');
    // A failure after the new network is built: resuming from a checkpoint another config wrote.
    const other = ImageSegmenter.create({ imageSize: 16, filters: [3, 6], seed: 1 });
    const checkpointDir = join(dir, 'other-checkpoint');
    await other.train(data, { epochs: 1, batchSize: 4, checkpointDir });
    other.dispose();
    const afterOther = tf.memory().numTensors;
    expect(await code(() => seg.train(data, { epochs: 2, batchSize: 4, checkpointDir, resume: true }))).not.toBe('no error');
    expect(tf.memory().numTensors).toBe(afterOther);
    expect(seg.isTrained).toBe(true);
    expect(await seg.predictBatch(probe)).toEqual(before);
    for (const config of [{ dropout: 5 }, { brightness: -5 }, { contrast: 'x' }])
      expect(
        await code(() => ImageSegmenter.create({ imageSize: 16, filters: [2, 4], ...(config as object) })),
        JSON.stringify(config),
      ).toBe('E_INPUT_INVALID');
    seg.dispose();
  });
});

describe('ImageClassifier', () => {
  it('configs tfjs would fail on are refused at create', async () => {
    for (const config of [
      { filters: [] },
      { filters: [4, 0] },
      { dropout: 2 },
      { labels: ['a', 'a', 'b'] },
      { augmentation: { zoom: 3 } },
      { seed: Number.NaN },
    ])
      expect(await code(() => ImageClassifier.create({ imageSize: 16, ...(config as object) })), JSON.stringify(config)).toBe(
        'E_INPUT_INVALID',
      );
  });

  it("labels '__proto__' / 'constructor' keep their probabilities; holes and non-string labels are refused; NaN out of the network is an error", async () => {
    const model = ImageClassifier.create({ imageSize: 16, filters: [4, 8], seed: 2 });
    const data = twoClasses(12, 16, 3, ['__proto__', 'constructor']);
    await model.train(data, { epochs: 1 });
    const [p] = await model.predictBatch([data.images[0]!]);
    expect(Object.keys(p!.probabilities).sort()).toEqual(['__proto__', 'constructor']);
    expect(await code(() => model.predictBatch(new Array(2)))).toBe('E_INPUT_INVALID');
    expect(await code(() => model.evaluate({ images: new Array(2), labels: ['__proto__', 'constructor'] }))).toBe('E_INPUT_INVALID');
    expect(
      await code(() => model.train({ images: data.images, labels: data.labels.map((_, i) => (i === 3 ? (7 as never) : data.labels[i]!)) })),
    ).toBe('E_INPUT_INVALID');
    const huge: GrayImage = { width: 16, height: 16, data: Float32Array.from({ length: 256 }, (_, i) => (i % 2 ? 3e38 : -3e38)) };
    expect(await code(() => model.predict(huge))).toBe('E_INPUT_INVALID');
    model.dispose();
  });

  it('a bundle whose labels do not fit its network, or whose threshold is not a number, is E_BUNDLE_CORRUPT', async () => {
    const model = ImageClassifier.create({ imageSize: 16, filters: [4, 8], seed: 4 });
    await model.train(twoClasses(12, 16, 5), { epochs: 1 });
    const path = join(dir, 'classifier');
    await model.save(path);
    model.dispose();
    const file = join(path, 'manifest.json');
    const original = JSON.parse(await readFile(file, 'utf8')) as Record<string, any>;
    delete original.manifestSha256;
    for (const change of [
      (m: Record<string, any>) => (m.labels = ['clear', 'lesion', 'extra']),
      (m: Record<string, any>) => (m.labels = ['a', 'a']),
      (m: Record<string, any>) => (m.labels = [1, 2]),
      (m: Record<string, any>) => (m.labels = 'ab'),
      (m: Record<string, any>) => (m.preprocessing.threshold = '0.99'),
    ]) {
      const m = structuredClone(original);
      change(m);
      await writeFile(file, JSON.stringify(m));
      expect(await code(() => ImageClassifier.load(path)), String(change)).toBe('E_BUNDLE_CORRUPT');
    }
    await writeFile(file, JSON.stringify(original));
    (await ImageClassifier.load(path)).dispose();
    // A field an earlier version wrote beside the options does not stop the bundle loading (create refuses it).
    await writeFile(file, JSON.stringify({ ...original, config: { ...original.config, savedBy: '0.0.1' } }));
    (await ImageClassifier.load(path)).dispose();
  });
});
