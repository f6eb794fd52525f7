// Found in session 30: evaluate, predict and serve --bundle <a segmenter's bundle> without --task loaded it as a
// classifier (--task defaulted to classifier) and failed "E_BUNDLE_INCOMPATIBLE: Bundle … holds a
// 'image-segmentation' model, not 'image-classification'". evaluate now takes the bundle's own task; predict
// and serve say how a segmenter is used.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '@appliedml/demo-kit';
import { ImageSegmenter } from '@appliedml/medical-imaging';
import { phantomSegmentation } from './data';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
let dir = '';
let segmenter = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medical-demo-bundle-task-'));
  const data = phantomSegmentation(16, 24);
  const model = ImageSegmenter.create({ imageSize: 16, filters: [4, 8], channels: 3, flipAugment: false });
  await model.train(data.train, { epochs: 1, batchSize: 8, validation: data.val, progress: false });
  segmenter = join(dir, 'segmenter');
  await model.save(segmenter);
  model.dispose();
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a segmenter bundle without --task', () => {
  it('evaluate scores it as a segmenter; predict and serve say how a segmenter is used', async () => {
    const before = process.env.APPLIEDML_DATA_DIR;
    process.env.APPLIEDML_DATA_DIR = dir; // no real data: scored on the phantoms it was trained on
    try {
      const [evaluated, predicted, served] = await Promise.all([
        runCli(cli, ['evaluate', '--bundle', segmenter], 120_000),
        runCli(cli, ['predict', join(dir, 'any.png'), '--bundle', segmenter], 120_000),
        runCli(cli, ['serve', '--bundle', segmenter, '--port', '0'], 120_000),
      ]);
      expect(evaluated.status, evaluated.stderr).toBe(0);
      expect(evaluated.stdout).toMatch(/^This segmenter was trained on SYNTHETIC phantoms/m);
      expect(evaluated.stdout).toMatch(/: Dice \d\.\d{3}, IoU \d\.\d{3} over \d+ images$/m);
      expect(predicted.status).toBe(1);
      expect(predicted.stderr).toBe(
        `error E_INPUT_INVALID: ${segmenter} is a segmenter bundle, and predict --bundle takes a classifier's: to segment an image, serve --bundle CLASSIFIER --segmenter ${segmenter} and upload it on the page; to score the segmenter, evaluate --bundle ${segmenter}.\n`,
      );
      expect(served.status).toBe(1);
      expect(served.stderr).toMatch(
        /^error E_INPUT_INVALID: .* is a segmenter bundle, and serve --bundle takes a classifier's: serve --bundle CLASSIFIER --segmenter .*segmenter serves it beside a classifier/,
      );
    } finally {
      if (before === undefined) delete process.env.APPLIEDML_DATA_DIR;
      else process.env.APPLIEDML_DATA_DIR = before;
    }
  }, 180_000);
});
