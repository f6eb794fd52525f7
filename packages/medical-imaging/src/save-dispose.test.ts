// Review s28 R2: dispose() while save() ran let ImageClassifier / ImageSegmenter write a whole bundle and
// resolve, where docs/sdk-conventions.md ("Calls in flight") says E_MODEL_DISPOSED (SegmenterEnsemble
// already rejected and wrote nothing). And an ensemble save that failed named its hidden staging folder.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError, createRng, initEngine, tf } from '@appliedml/engine';
import type { GrayImage } from './gray-image';
import { ImageClassifier } from './image-classifier';
import type { LabeledImages } from './image-classifier';
import { ImageSegmenter } from './image-segmenter';
import { namingTarget } from './save-whole';
import { discs } from './test-discs';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'medical-save-dispose-'));
  await initEngine();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function blobs(count: number, size: number): LabeledImages {
  const rng = createRng(2);
  const images: GrayImage[] = [];
  const labels: string[] = [];
  for (let k = 0; k < count; k++) {
    const data = new Float32Array(size * size);
    for (let p = 0; p < size * size; p++) {
      const inside = k % 2 === 0 && Math.hypot((p % size) - size / 2, Math.floor(p / size) - size / 2) < size / 4;
      data[p] = 0.2 * rng.next() + (inside ? 0.7 : 0.1);
    }
    images.push({ width: size, height: size, data });
    labels.push(k % 2 ? 'a' : 'b');
  }
  return { images, labels };
}

async function trained(kind: 'classifier' | 'segmenter'): Promise<ImageClassifier | ImageSegmenter> {
  if (kind === 'classifier') {
    const model = ImageClassifier.create({ imageSize: 16, filters: [4, 8], seed: 3 });
    await model.train(blobs(12, 16), { epochs: 1, batchSize: 8 });
    return model;
  }
  const model = ImageSegmenter.create({ imageSize: 16, filters: [2, 4], flipAugment: false, seed: 1 });
  await model.train(discs(8, 16, 1), { epochs: 1, batchSize: 4 });
  return model;
}

describe('dispose() while save() runs', () => {
  for (const kind of ['classifier', 'segmenter'] as const)
    it(`${kind}: the save rejects E_MODEL_DISPOSED and writes nothing; a bundle already there stays as it was`, async () => {
      const parent = await mkdtemp(join(root, `${kind}-`));
      const base = tf.memory().numTensors;
      const model = await trained(kind);
      const fresh = join(parent, 'fresh');
      const saving = model.save(fresh);
      model.dispose();
      const error = await saving.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(AppliedMLError.hasCode(error, 'E_MODEL_DISPOSED'), String(error)).toBe(true); // it resolved, with a whole bundle
      expect((error as Error).message).toContain(`disposed while it saved; nothing was written to ${fresh}`);
      expect(await readdir(parent)).toEqual([]); // no bundle, no staging folder left
      expect(tf.memory().numTensors).toBe(base);

      // Over an earlier bundle: it is left whole.
      const other = await trained(kind);
      const kept = join(parent, 'kept');
      await other.save(kept);
      const manifest = await readFile(join(kept, 'manifest.json'), 'utf8');
      const again = other.save(kept);
      other.dispose();
      await expect(again).rejects.toMatchObject({ code: 'E_MODEL_DISPOSED' });
      expect(await readFile(join(kept, 'manifest.json'), 'utf8')).toBe(manifest);
      expect(await readdir(parent)).toEqual(['kept']);
      const loaded = kind === 'classifier' ? await ImageClassifier.load(kept) : await ImageSegmenter.load(kept);
      expect(loaded.isTrained).toBe(true);
      loaded.dispose();
    });

  it('a save that is not disposed writes the bundle as before, and it loads', async () => {
    const model = (await trained('classifier')) as ImageClassifier;
    const dir = join(root, 'plain');
    await model.save(dir);
    expect((await readdir(dir)).sort()).toEqual(['classifier.model.json', 'classifier.weights.bin', 'manifest.json', 'trained-on.json']);
    const loaded = await ImageClassifier.load(dir);
    expect(loaded.labels).toEqual(model.labels);
    loaded.dispose();
    model.dispose();
  });
});

describe('namingTarget', () => {
  it("says a failure inside the staging folder as the target's (typed errors, details, and a system error as E_IO)", () => {
    const staging = '/models/.seg.tmp-0123456789ab';
    const typed = new AppliedMLError('E_IO', `Could not write ${staging}/member-0/manifest.json: ENOSPC`, {
      details: { dir: `${staging}/member-0`, file: 'x' },
    });
    const said = namingTarget(typed, staging, '/models/seg') as AppliedMLError;
    expect(said).toMatchObject({
      code: 'E_IO',
      message: 'Could not write /models/seg/member-0/manifest.json: ENOSPC',
      details: { dir: '/models/seg/member-0', file: 'x' },
    });
    const system = namingTarget(new Error(`ENOSPC: no space left on device, write '${staging}/ensemble.json'`), staging, '/models/seg');
    expect(system).toMatchObject({
      code: 'E_IO',
      message: "Could not write the bundle to /models/seg: ENOSPC: no space left on device, write '/models/seg/ensemble.json'",
    });
    const unrelated = new AppliedMLError('E_INPUT_INVALID', 'bad');
    expect(namingTarget(unrelated, staging, '/models/seg')).toBe(unrelated);
  });
});
