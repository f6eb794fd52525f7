// Found in session 24: the segmenter bundle did not record what it was trained on, so `evaluate`
// scored an RGB segmenter trained on the generated phantoms on Kvasir-SEG whenever APPLIEDML_DATA_DIR
// held it, and printed the Dice as if it meant something. Bundles now carry `trainedOn`: a
// phantom-trained model is scored on the phantoms with a line saying why, a model trained on real
// images is not scored on phantoms (E_DATASET_MISSING), and an older bundle is said to be unknown.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDataset } from '@appliedml/engine';
import { ImageSegmenter, KVASIR_SEG_DATASET, TRAINED_ON_FILE } from '@appliedml/medical-imaging';
import { runCli, type CliRun } from '@appliedml/demo-kit';
import { phantomSegmentation } from './data';
import { evaluationPlan } from './provenance';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
let dir = '';
let phantomTrained = '';
let realTrained = '';
let older = '';
let dataDir = '';

beforeAll(async () => {
  dataDir = (await resolveDataset(KVASIR_SEG_DATASET)).root.replace(/[/\\]kvasir-seg[/\\]?$/, '');
  dir = await mkdtemp(join(tmpdir(), 'medical-demo-provenance-'));
  const data = phantomSegmentation(16, 24);
  const model = ImageSegmenter.create({ imageSize: 16, filters: [4, 8], channels: 3, flipAugment: false });
  await model.train(data.train, { epochs: 1, batchSize: 8, validation: data.val, progress: false });
  phantomTrained = join(dir, 'phantom-trained');
  await model.save(phantomTrained);
  // The same network said to be trained on real images: only the record differs.
  await model.train({ ...data.train, source: { name: 'kvasir-seg', synthetic: false } }, { epochs: 1, batchSize: 8, validation: data.val });
  realTrained = join(dir, 'real-trained');
  await model.save(realTrained);
  model.dispose();
  // As a version before trainedOn saved it: no trained-on.json, and the manifest without it.
  older = join(dir, 'older');
  await cp(phantomTrained, older, { recursive: true });
  await rm(join(older, TRAINED_ON_FILE));
  const manifest = JSON.parse(await readFile(join(older, 'manifest.json'), 'utf8'));
  delete manifest.manifestSha256;
  delete manifest.files[TRAINED_ON_FILE];
  await writeFile(join(older, 'manifest.json'), JSON.stringify(manifest));
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function evaluate(bundle: string, dataDirValue: string): Promise<CliRun> {
  const before = process.env.APPLIEDML_DATA_DIR;
  process.env.APPLIEDML_DATA_DIR = dataDirValue;
  try {
    return await runCli(cli, ['evaluate', '--task', 'segmenter', '--bundle', bundle], 120_000);
  } finally {
    if (before === undefined) delete process.env.APPLIEDML_DATA_DIR;
    else process.env.APPLIEDML_DATA_DIR = before;
  }
}

describe('medical-imaging-demo evaluate and what the bundle was trained on', () => {
  it('a phantom-trained RGB segmenter is scored on the phantoms, not Kvasir-SEG, and says why', async () => {
    const run = await evaluate(phantomTrained, dataDir);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^This segmenter was trained on SYNTHETIC phantoms \(the demo's generated RGB lesion phantoms\), 24 training images\.$/m,
    );
    expect(run.stdout).toMatch(
      /^Kvasir-SEG is in APPLIEDML_DATA_DIR, but a score on it of a model trained on generated phantoms would say nothing/m,
    );
    expect(run.stdout).toMatch(/^SYNTHETIC lesion phantoms .*: Dice \d/m);
    expect(run.stdout).toMatch(/generated offline \(the model was trained on the phantoms, not Kvasir-SEG\)/);
    expect(run.stdout).not.toMatch(/^Kvasir-SEG polyp segmentation .*: Dice/m);
  }, 180_000);

  it('a segmenter trained on real images is not scored on phantoms when the data is missing', async () => {
    const empty = await mkdtemp(join(dir, 'empty-'));
    const run = await evaluate(realTrained, empty);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^error E_DATASET_MISSING: This segmenter was trained on kvasir-seg, 24 training images, real images: Kvasir-SEG is not in APPLIEDML_DATA_DIR/m,
    );
    expect(run.stdout).not.toMatch(/Dice/);
  }, 180_000);

  it('a bundle that does not record its training data is said to be unknown beside the Kvasir-SEG scores', async () => {
    const run = await evaluate(older, dataDir);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^This segmenter's bundle does not record what it was trained on .* If it was trained on the generated phantoms, its Kvasir-SEG scores below say nothing\.$/m,
    );
    expect(run.stdout).toMatch(/^Kvasir-SEG polyp segmentation .*: Dice \d/m);
  }, 180_000);
});

describe('evaluationPlan', () => {
  const synthetic = { source: { name: 'phantoms', synthetic: true }, images: 10, validationImages: 2 };
  const real = { source: { name: 'pneumoniamnist', synthetic: false }, images: 10, validationImages: 2 };
  it('chooses the data the model was trained on', () => {
    expect(evaluationPlan('classifier', synthetic, true, true)).toMatchObject({ data: 'phantoms' });
    expect(evaluationPlan('classifier', synthetic, false, true).say).toHaveLength(1);
    expect(evaluationPlan('classifier', real, true, true)).toMatchObject({ data: 'real' });
    expect(() => evaluationPlan('classifier', real, false, true)).toThrow(/PneumoniaMNIST is not in APPLIEDML_DATA_DIR/);
    expect(() => evaluationPlan('segmenter', real, true, false)).toThrow(/it cannot take Kvasir-SEG/);
    expect(evaluationPlan('segmenter', undefined, true, false)).toMatchObject({
      data: 'phantoms',
      because: 'the model takes gray images, Kvasir-SEG is RGB',
    });
    expect(evaluationPlan('segmenter', undefined, false, true)).toMatchObject({ data: 'phantoms', because: undefined });
  });
});
