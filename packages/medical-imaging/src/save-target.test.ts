// Review s28 R4: every medical save checks what it would replace, as docs/sdk-conventions.md says (a
// bundle another SDK saved is E_BUNDLE_INCOMPATIBLE, nothing touched). ImageClassifier / ImageSegmenter
// pass the engine's bundleMarker of this package (save-whole.ts); SegmenterEnsemble's own index,
// ensemble.json, was taken on its name alone, so a folder holding someone else's ensemble.json (another
// package's, or any file so named beside other files) was replaced whole.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError, initEngine, saveBundle } from '@appliedml/engine';
import { ImageClassifier } from './image-classifier';
import { ImageSegmenter } from './image-segmenter';
import { SegmenterEnsemble } from './segmenter-ensemble';
import { discs, labelledDiscs } from './test-discs';

let root: string;
let classifier: ImageClassifier;
let segmenter: ImageSegmenter;
let ensemble: SegmenterEnsemble;
beforeAll(async () => {
  await initEngine();
  root = await mkdtemp(join(tmpdir(), 'medical-save-target-'));
  classifier = ImageClassifier.create({ imageSize: 16, filters: [4, 8], seed: 3 });
  await classifier.train(labelledDiscs(12, 1), { epochs: 1, batchSize: 8 });
  segmenter = ImageSegmenter.create({ imageSize: 16, filters: [2, 4], flipAugment: false, seed: 1 });
  await segmenter.train(discs(8, 16, 1), { epochs: 1, batchSize: 4 });
  ensemble = SegmenterEnsemble.from([segmenter]);
});
afterAll(async () => {
  classifier.dispose();
  segmenter.dispose();
  await rm(root, { recursive: true, force: true });
});

/** Every file under `dir` (one level of folders down) with its bytes. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) out[join(entry.parentPath, entry.name)] = (await readFile(join(entry.parentPath, entry.name))).toString('base64');
  return out;
}

async function refusal(save: () => Promise<void>): Promise<AppliedMLError> {
  const error = await save().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!AppliedMLError.isInstance(error)) throw new Error(`expected a typed refusal, got ${String(error)}`);
  return error;
}

const saves = {
  ImageClassifier: (dir: string) => classifier.save(dir),
  ImageSegmenter: (dir: string) => segmenter.save(dir),
  SegmenterEnsemble: (dir: string) => ensemble.save(dir),
};

describe("a medical save over another SDK's folder", () => {
  it('every save refuses a bundle @appliedml/text saved (the ensemble: no ensemble.json there) and leaves it as it was', async () => {
    const dir = join(root, 'text-bundle');
    await saveBundle(dir, { package: '@appliedml/text', packageVersion: '0.1.0', task: 'text-classification', labels: ['a', 'b'] });
    const before = await snapshot(dir);
    for (const [kind, save] of Object.entries(saves)) {
      const error = await refusal(() => save(dir));
      // The ensemble looks for its own index first: a folder without one is not an earlier ensemble save.
      if (kind === 'SegmenterEnsemble') expect([error.code, error.details.marker], kind).toEqual(['E_INPUT_INVALID', 'ensemble.json']);
      else
        expect([error.code, error.details.package, error.details.expected], kind).toEqual([
          'E_BUNDLE_INCOMPATIBLE',
          '@appliedml/text',
          '@appliedml/medical-imaging',
        ]);
      expect(await snapshot(dir), kind).toEqual(before);
    }
  });

  it("SegmenterEnsemble.save refuses another package's ensemble.json with E_BUNDLE_INCOMPATIBLE, untouched", async () => {
    const dir = join(root, 'other-ensemble');
    await mkdir(join(dir, 'member-0'), { recursive: true });
    await writeFile(
      join(dir, 'ensemble.json'),
      JSON.stringify({ format: 1, package: '@appliedml/speech', packageVersion: '0.1.0', task: 'speech-ensemble', members: ['member-0'] }),
    );
    await writeFile(join(dir, 'member-0', 'weights.bin'), 'weights');
    const before = await snapshot(dir);
    const error = await refusal(() => ensemble.save(dir));
    expect(error.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(error.details).toMatchObject({ dir, package: '@appliedml/speech', expected: '@appliedml/medical-imaging' });
    expect(await snapshot(dir)).toEqual(before);
  });

  it('SegmenterEnsemble.save refuses a folder whose ensemble.json is no ensemble index (E_INPUT_INVALID), untouched', async () => {
    for (const [name, text] of [
      ['not-json', 'ensemble: [a, b]'],
      ['list', '["member-0"]'],
      ['settings', JSON.stringify({ name: 'my ensemble settings', seed: 3 })],
    ] as const) {
      const dir = join(root, name);
      await mkdir(dir);
      await writeFile(join(dir, 'ensemble.json'), text);
      await writeFile(join(dir, 'notes.txt'), 'keep me');
      const error = await refusal(() => ensemble.save(dir));
      expect([error.code, error.details.reason], name).toEqual(['E_INPUT_INVALID', 'not-an-earlier-save']);
      expect(error.message, name).toContain('is not a @appliedml/medical-imaging segmenter ensemble index');
      expect((await readdir(dir)).sort(), name).toEqual(['ensemble.json', 'notes.txt']);
      expect(await readFile(join(dir, 'ensemble.json'), 'utf8'), name).toBe(text);
    }
  });

  it('SegmenterEnsemble.save replaces its own earlier ensemble (and one whose index lost its package), which loads', async () => {
    const dir = join(root, 'own-ensemble');
    await ensemble.save(dir);
    await ensemble.save(dir, { dice: 0.25 });
    expect(JSON.parse(await readFile(join(dir, 'ensemble.json'), 'utf8'))).toMatchObject({ metrics: { dice: 0.25 } });
    const index = JSON.parse(await readFile(join(dir, 'ensemble.json'), 'utf8')) as Record<string, unknown>;
    delete index.package;
    await writeFile(join(dir, 'ensemble.json'), JSON.stringify(index));
    await ensemble.save(dir);
    const loaded = await SegmenterEnsemble.load(dir);
    expect(loaded.size).toBe(1);
    loaded.dispose();
  });

  it("ImageClassifier / ImageSegmenter replace their own package's bundle (either task), and refuse an ensemble folder", async () => {
    const dir = join(root, 'own-bundle');
    await classifier.save(dir);
    await segmenter.save(dir); // a bundle of this package, another task: replaced (the engine's rule)
    await classifier.save(dir);
    (await ImageClassifier.load(dir)).dispose();
    const ensembleDir = join(root, 'own-ensemble');
    for (const save of [saves.ImageClassifier, saves.ImageSegmenter])
      expect((await refusal(() => save(ensembleDir))).details).toMatchObject({ marker: 'manifest.json' });
    (await SegmenterEnsemble.load(ensembleDir)).dispose();
  });
});
