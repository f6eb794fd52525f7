import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError, initEngine, tf } from '@appliedml/engine';
import type { ColorImage } from './gray-image';
import { ImageSegmenter } from './image-segmenter';
import { resizeGray } from './preprocess';
import { SegmenterEnsemble } from './segmenter-ensemble';
import { discs } from './test-discs';

const root = mkdtempSync(join(tmpdir(), 'mi-ensemble-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const train = discs(24, 32, 1);
const probe = discs(6, 40, 3); // 40 × 40 images: the members' 16 and 24 px outputs are upsampled
let a: ImageSegmenter;
let b: ImageSegmenter;

beforeAll(async () => {
  await initEngine();
  a = ImageSegmenter.create({ imageSize: 16, filters: [4, 8], flipAugment: false, seed: 1 });
  b = ImageSegmenter.create({ imageSize: 24, filters: [4, 8], flipAugment: false, seed: 2 });
  await a.train(train, { epochs: 2, batchSize: 8 });
  await b.train(train, { epochs: 2, batchSize: 8 });
});

describe('SegmenterEnsemble', () => {
  it('averages the members’ probabilities upsampled to each image, thresholds at 0.5, and leaks no tensor', async () => {
    const ensemble = SegmenterEnsemble.from([a, b]);
    expect(ensemble.size).toBe(2);
    const before = tf.memory().numTensors;
    const out = await ensemble.predictBatch(probe.images);
    expect(tf.memory().numTensors).toBe(before);
    const pa = await a.predictBatch(probe.images);
    const pb = await b.predictBatch(probe.images);
    out.forEach((o, i) => {
      const ra = resizeGray(pa[i]!.probability, 40, 40).data;
      const rb = resizeGray(pb[i]!.probability, 40, 40).data;
      expect(o.mask.width).toBe(40);
      expect(o.probability.width).toBe(40);
      for (let p = 0; p < 1600; p++) {
        const mean = (ra[p]! + rb[p]!) / 2;
        expect(o.probability.data[p]).toBeCloseTo(mean, 6);
        if (Math.abs(mean - 0.5) > 1e-6) expect(o.mask.data[p]).toBe(mean > 0.5 ? 1 : 0);
      }
    });
    // One member: exactly that member's masks.
    const single = await a.predictBatch(probe.images);
    const alone = SegmenterEnsemble.from([a]);
    expect((await alone.predictBatch(probe.images)).map((p) => Array.from(p.mask.data))).toEqual(
      single.map((p) => Array.from(p.mask.data)),
    );
    expect((await alone.evaluate(probe)).dice).toBeCloseTo((await a.evaluate(probe)).dice, 10);
  });

  it('saves and loads as one directory with the same masks; refuses missing, corrupt and foreign ones', async () => {
    const ensemble = SegmenterEnsemble.from([a, b]);
    const dir = join(root, 'ens');
    await ensemble.save(dir, { dice: 0.5 });
    const loaded = await SegmenterEnsemble.load(dir);
    expect(loaded.size).toBe(2);
    const before = (await ensemble.predictBatch(probe.images)).map((p) => Array.from(p.mask.data));
    expect((await loaded.predictBatch(probe.images)).map((p) => Array.from(p.mask.data))).toEqual(before);
    expect((await loaded.evaluate(probe)).dice).toBeCloseTo((await ensemble.evaluate(probe)).dice, 10);
    expect(loaded.isTrained).toBe(true);
    loaded.dispose();
    expect(loaded.isTrained).toBe(false);

    await expect(SegmenterEnsemble.load(join(root, 'nothing'))).rejects.toMatchObject({ code: 'E_BUNDLE_MISSING' });
    const index = join(dir, 'ensemble.json');
    const good = readFileSync(index, 'utf8');
    const tensors = tf.memory().numTensors;
    for (const [text, code] of [
      ['{not json', 'E_BUNDLE_CORRUPT'],
      [good.replace('image-segmentation-ensemble', 'image-classification'), 'E_BUNDLE_INCOMPATIBLE'],
      [good.replace('"member-1"', '"../member-1"'), 'E_BUNDLE_CORRUPT'],
      [good.replace('"member-1"', '"member-0"'), 'E_BUNDLE_CORRUPT'],
      [good.replace('"member-1"', '"member-7"'), 'E_BUNDLE_CORRUPT'],
    ] as const) {
      writeFileSync(index, text);
      await expect(SegmenterEnsemble.load(dir), text.slice(0, 40)).rejects.toMatchObject({ code });
    }
    writeFileSync(index, good);
    // A damaged member: the member loaded before it is disposed again.
    writeFileSync(join(dir, 'member-1', 'segmenter.weights.bin'), 'x');
    await expect(SegmenterEnsemble.load(dir)).rejects.toMatchObject({ code: 'E_BUNDLE_CORRUPT' });
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('keeps the previous save when a save fails part-way, and leaves nothing behind', async () => {
    const dir = join(root, 'keep');
    await SegmenterEnsemble.from([a, b]).save(dir);
    const spare = ImageSegmenter.create({ imageSize: 16, filters: [4, 8], flipAugment: false, seed: 5 });
    await spare.train(train, { epochs: 1, batchSize: 8 });
    const live = ImageSegmenter.create({ imageSize: 16, filters: [4, 8], flipAugment: false, seed: 6 });
    await live.train(train, { epochs: 1, batchSize: 8 });
    const doomed = SegmenterEnsemble.from([live, spare]);
    expect(doomed.isTrained).toBe(true);
    spare.dispose(); // member 1 dies under the ensemble: member 0 is written to staging, then the save throws
    expect(doomed.isTrained).toBe(false);
    await expect(doomed.save(dir)).rejects.toMatchObject({ code: 'E_MODEL_DISPOSED' });
    const again = await SegmenterEnsemble.load(dir);
    expect(again.size).toBe(2); // the previous two-member save, not a half-written one
    expect(readdirSync(root).filter((name) => name.startsWith('.keep'))).toEqual([]); // no staging or retired copy
    // `again` owns freshly loaded copies; dispose them without touching `a` and `b`.
    again.dispose();
    live.dispose();
  });

  it('refuses an ensemble.json of a newer layout, and a null or sizeless image with a typed error (ensemble and segmenter)', async () => {
    const dir = join(root, 'newer');
    await SegmenterEnsemble.from([a]).save(dir);
    const index = join(dir, 'ensemble.json');
    const json = JSON.parse(readFileSync(index, 'utf8')) as { format: number };
    expect(json.format).toBe(1);
    writeFileSync(index, JSON.stringify({ ...json, format: 2 }));
    await expect(SegmenterEnsemble.load(dir)).rejects.toMatchObject({ code: 'E_BUNDLE_INCOMPATIBLE', details: { format: 2 } });
    const ensemble = SegmenterEnsemble.from([a]);
    for (const bad of [null, {}, { width: 2, height: Number.NaN, channels: 3, data: new Float32Array(12) }])
      for (const target of [ensemble, a])
        await expect(target.predictBatch([bad as unknown as ColorImage])).rejects.toSatisfy(
          (e: unknown) => AppliedMLError.isInstance(e) && e.code === 'E_INPUT_INVALID',
        );
  });

  it('disposed while a predictBatch or save is in flight, it rejects naming itself (E_MODEL_DISPOSED), leaking nothing', async () => {
    const before = tf.memory().numTensors;
    for (const call of [
      (e: SegmenterEnsemble) => e.predictBatch(probe.images),
      (e: SegmenterEnsemble) => e.save(join(root, 'in-flight')),
    ]) {
      const members = [1, 2].map((seed) => ImageSegmenter.create({ imageSize: 16, filters: [4, 8], flipAugment: false, seed }));
      for (const m of members) await m.train(train, { epochs: 1, batchSize: 8 });
      const ensemble = SegmenterEnsemble.from(members);
      const run = call(ensemble);
      ensemble.dispose();
      await expect(run).rejects.toMatchObject({ code: 'E_MODEL_DISPOSED', message: expect.stringContaining('SegmenterEnsemble') });
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses an empty list, too many members, an untrained member, one member twice, and use after dispose', async () => {
    expect(() => SegmenterEnsemble.from([])).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => SegmenterEnsemble.from(Array.from({ length: 9 }, () => a))).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => SegmenterEnsemble.from([a, a])).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => SegmenterEnsemble.from([{} as ImageSegmenter])).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    const untrained = ImageSegmenter.create({ imageSize: 16, filters: [4, 8] });
    expect(() => SegmenterEnsemble.from([a, untrained])).toThrow(expect.objectContaining({ code: 'E_MODEL_NOT_TRAINED' }));
    untrained.dispose();
    const ensemble = SegmenterEnsemble.from([a]);
    await expect(ensemble.predictBatch([])).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(ensemble.evaluate({ images: probe.images, masks: probe.masks.slice(1) })).rejects.toMatchObject({
      code: 'E_SHAPE_MISMATCH',
    });
    // Disposing the ensemble disposes its members (it owns them): last test, so `a` may go.
    ensemble.dispose();
    expect(a.isTrained).toBe(false);
    await expect(ensemble.predict(probe.images[0]!)).rejects.toMatchObject({ code: 'E_MODEL_DISPOSED' });
    await expect(b.probabilityMaps([])).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    b.dispose();
    await expect(b.probabilityMaps(probe.images)).rejects.toMatchObject({ code: 'E_MODEL_DISPOSED' });
  });

  it('a member bundle whose manifest was edited (config, image size, normalisation) is E_BUNDLE_CORRUPT at load, leaking nothing', async () => {
    const dir = join(root, 'tampered');
    const own = ImageSegmenter.create({ imageSize: 16, filters: [4, 8], flipAugment: false, seed: 9 });
    await own.train(train, { epochs: 1, batchSize: 8 });
    await own.save(dir);
    own.dispose();
    const manifestPath = join(dir, 'manifest.json');
    const original = readFileSync(manifestPath, 'utf8');
    const edits: Array<(m: { config: Record<string, unknown>; preprocessing: Record<string, unknown> }) => void> = [
      (m) => (m.config.filters = [0]),
      (m) => (m.preprocessing.imageSize = 24),
      (m) => (m.preprocessing.channels = 1),
      (m) => (m.preprocessing.std = [0, 1, 1]),
      (m) => (m.preprocessing.mean = ['x', 0, 0]),
    ];
    const before = tf.memory().numTensors;
    for (const edit of edits) {
      const m = JSON.parse(original) as { config: Record<string, unknown>; preprocessing: Record<string, unknown> };
      // Without the manifest's own checksum, as a tool that edits it would leave it: the values are what is checked.
      delete (m as { manifestSha256?: string }).manifestSha256;
      edit(m);
      writeFileSync(manifestPath, JSON.stringify(m));
      let error: unknown;
      try {
        (await ImageSegmenter.load(dir)).dispose();
      } catch (e) {
        error = e;
      }
      expect(AppliedMLError.isInstance(error) && error.code, edit.toString()).toBe('E_BUNDLE_CORRUPT');
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
