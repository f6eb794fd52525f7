// Review s28 R2 (l4-crossload): ImageSegmenter.load on a SegmenterEnsemble's folder said "No model bundle
// at … (no manifest.json). Train and save a model there first.", as if the folder were empty.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '@appliedml/engine';
import { ImageClassifier } from './image-classifier';
import { ImageSegmenter } from './image-segmenter';
import { SegmenterEnsemble } from './segmenter-ensemble';
import { discs } from './test-discs';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'medical-ensemble-folder-'));
  await initEngine();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a single-model load on an ensemble folder', () => {
  it('is E_BUNDLE_INCOMPATIBLE pointing to SegmenterEnsemble.load; an empty folder is still E_BUNDLE_MISSING', async () => {
    const members = [];
    for (const seed of [1, 2]) {
      const member = ImageSegmenter.create({ imageSize: 16, filters: [2, 4], flipAugment: false, seed });
      await member.train(discs(8, 16, seed), { epochs: 1, batchSize: 4 });
      members.push(member);
    }
    const ensemble = SegmenterEnsemble.from(members);
    const dir = join(root, 'ensemble');
    await ensemble.save(dir);
    for (const load of [ImageSegmenter.load, ImageClassifier.load])
      await expect(load(dir)).rejects.toMatchObject({
        code: 'E_BUNDLE_INCOMPATIBLE',
        message: expect.stringContaining(`${dir} holds a segmenter ensemble (ensemble.json)`) as unknown,
        details: { dir, task: 'image-segmentation-ensemble' },
      });
    await expect(ImageSegmenter.load(dir)).rejects.toThrow('load it with SegmenterEnsemble.load');
    // Its members still load alone, and the ensemble as a whole.
    (await ImageSegmenter.load(join(dir, 'member-0'))).dispose();
    (await SegmenterEnsemble.load(dir)).dispose();
    const empty = join(root, 'empty');
    await mkdir(empty);
    await expect(ImageSegmenter.load(empty)).rejects.toMatchObject({ code: 'E_BUNDLE_MISSING' });
    ensemble.dispose();
  });
});
