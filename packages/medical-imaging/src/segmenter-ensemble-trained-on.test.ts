import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '@appliedml/engine';
import { ImageSegmenter } from './image-segmenter';
import { SegmenterEnsemble } from './segmenter-ensemble';
import { discs } from './test-discs';
import type { DataSource } from './trained-on';

// The ensemble's trainedOn compared the members' source descriptions, while resume takes a reworded
// description as the same source: two members fitted on the same Kvasir split, one by a reader that
// words its description anew, gave the ensemble no record (undefined).

const config = { imageSize: 16, filters: [4, 8], flipAugment: false, seed: 3 };
const validation = discs(6, 32, 2);
const kvasir: DataSource = { name: 'kvasir-seg', synthetic: false, description: 'Kvasir-SEG train split' };
let before = 0;
const made: ImageSegmenter[] = [];

/** A segmenter fitted for one epoch on `count` discs named as `source`. */
async function member(source: DataSource | undefined, count = 20): Promise<ImageSegmenter> {
  const seg = ImageSegmenter.create({ ...config, seed: 3 + made.length });
  made.push(seg);
  await seg.train({ ...discs(count, 32, 1), ...(source ? { source } : {}) }, { epochs: 1, batchSize: 8, validation });
  return seg;
}

beforeAll(async () => {
  await initEngine();
  before = tf.memory().numTensors;
});
afterAll(() => {
  made.forEach((m) => m.dispose());
  expect(tf.memory().numTensors).toBe(before);
});

describe('SegmenterEnsemble.trainedOn and the source description', () => {
  it('members whose descriptions differ (reworded, or one gives none) have one record, without a description', async () => {
    const a = await member(kvasir);
    const reworded = await member({ ...kvasir, description: 'Kvasir-SEG, train split (v2 reader)' });
    const undescribed = await member({ name: 'kvasir-seg', synthetic: false });
    for (const others of [[reworded], [undescribed], [reworded, undescribed]]) {
      const ensemble = SegmenterEnsemble.from([a, ...others]);
      expect(ensemble.trainedOn).toStrictEqual({ source: { name: 'kvasir-seg', synthetic: false }, images: 20, validationImages: 6 });
      // Each member's own record keeps its words.
      expect(ensemble.membersTrainedOn.map((t) => t?.source?.description)).toEqual(
        [a, ...others].map((m) => m.trainedOn?.source?.description),
      );
    }
    // The same words: the record with them.
    const same = await member(kvasir);
    expect(SegmenterEnsemble.from([a, same]).trainedOn).toStrictEqual({ source: kvasir, images: 20, validationImages: 6 });
  });

  it('members fitted on other data are still told apart: another name, synthetic, image count, or no source', async () => {
    const a = await member(kvasir);
    for (const other of [
      await member({ ...kvasir, name: 'cvc-clinicdb' }),
      await member({ ...kvasir, synthetic: true }),
      await member(kvasir, 18),
      await member(undefined),
    ]) {
      const ensemble = SegmenterEnsemble.from([a, other]);
      expect([other.trainedOn, ensemble.trainedOn]).toEqual([other.trainedOn, undefined]);
    }
  });
});
