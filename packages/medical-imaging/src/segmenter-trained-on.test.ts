import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '@appliedml/engine';
import type { Logger } from '@appliedml/engine';
import { ImageSegmenter } from './image-segmenter';
import { SegmenterEnsemble } from './segmenter-ensemble';
import { discs } from './test-discs';
import type { DataSource } from './trained-on';

// A SegmenterEnsemble had no trainedOn of its own (a user could not tell an ensemble of phantom-trained
// members from one of Kvasir-trained ones without opening each member), and resume took a checkpoint
// written from data of another source without a word: the model then recorded the new source.

const root = mkdtempSync(join(tmpdir(), 'mi-trained-on-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = { imageSize: 16, filters: [4, 8], flipAugment: false, seed: 3 };
const phantoms: DataSource = { name: 'phantoms', synthetic: true, description: 'generated discs' };
const scans: DataSource = { name: 'kvasir-seg', synthetic: false };
const data = (source?: DataSource) => ({ ...discs(20, 32, 1), ...(source ? { source } : {}) });
const validation = discs(6, 32, 2);

/** A logger keeping its warnings. */
function recording(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, warn: (message) => void warnings.push(message) };
  return { logger, warnings };
}

beforeAll(async () => {
  await initEngine();
});

describe('SegmenterEnsemble.trainedOn', () => {
  it("is the members' one record when they agree, else undefined, with each member's in membersTrainedOn", async () => {
    const a = ImageSegmenter.create(config);
    const b = ImageSegmenter.create({ ...config, seed: 4 });
    await a.train(data(phantoms), { epochs: 1, batchSize: 8, validation });
    await b.train(data(phantoms), { epochs: 1, batchSize: 8, validation });
    const agree = SegmenterEnsemble.from([a, b]);
    expect(agree.trainedOn).toEqual({ source: phantoms, images: 20, validationImages: 6 });
    expect(agree.membersTrainedOn).toEqual([a.trainedOn, b.trainedOn]);
    // Saved and loaded: read back from the members' bundles.
    await agree.save(join(root, 'agree'));
    const loaded = await SegmenterEnsemble.load(join(root, 'agree'));
    expect(loaded.trainedOn).toEqual(agree.trainedOn);
    loaded.dispose();
    agree.dispose();
    // Members fitted on different data: no one record, each member's own.
    const a2 = ImageSegmenter.create(config);
    const c2 = ImageSegmenter.create({ ...config, seed: 5 });
    await a2.train(data(phantoms), { epochs: 1, batchSize: 8, validation });
    await c2.train(data(scans), { epochs: 1, batchSize: 8, validation });
    const differ = SegmenterEnsemble.from([a2, c2]);
    expect(differ.trainedOn).toBeUndefined();
    expect(differ.membersTrainedOn.map((t) => t?.source?.name)).toEqual(['phantoms', 'kvasir-seg']);
    differ.dispose();
    expect(() => differ.trainedOn).toThrow(expect.objectContaining({ code: 'E_MODEL_DISPOSED' }) as unknown as Error);
  });
});

describe('ImageSegmenter resume and the recorded source', () => {
  it('refuses a checkpoint written from data of another source; only one side naming a source is a warning', async () => {
    const before = tf.memory().numTensors;
    const dir = join(root, 'ckpt');
    const first = ImageSegmenter.create(config);
    await first.train(data(phantoms), { epochs: 2, batchSize: 8, validation, checkpointDir: dir });
    first.dispose();
    // The same pixels named as another data set (or acquired where they were generated): refused.
    for (const source of [scans, { ...phantoms, synthetic: false }]) {
      const seg = ImageSegmenter.create(config);
      const { logger } = recording();
      await expect(
        seg.train(data(source), { epochs: 2, batchSize: 8, validation, checkpointDir: dir, resume: true, logger }),
      ).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
        details: { field: 'source', checkpoint: phantoms, now: source },
      });
      seg.dispose();
    }
    // Another description of the same source resumes (a reader's new version may reword it); the run
    // ended at its last epoch, so nothing more is trained.
    const reworded = ImageSegmenter.create(config);
    const report = await reworded.train(data({ ...phantoms, description: 'discs, reworded' }), {
      epochs: 2,
      batchSize: 8,
      validation,
      checkpointDir: dir,
      resume: true,
    });
    expect(report.resumedAt).toBe(2);
    reworded.dispose();
    // The data now names no source: resumed, with a warning that the model records none.
    const bare = ImageSegmenter.create(config);
    const { logger, warnings } = recording();
    const bareReport = await bare.train(data(), { epochs: 2, batchSize: 8, validation, checkpointDir: dir, resume: true, logger });
    expect(bareReport.resumedAt).toBeGreaterThan(0);
    expect(warnings.some((w) => w.includes('names no source'))).toBe(true);
    expect(bare.trainedOn?.source).toBeUndefined();
    bare.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
