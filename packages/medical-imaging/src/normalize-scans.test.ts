// The classifier normalises pixels it has already checked without applyNormalization's scan of them
// (checkModelImage / assertLabeled, packImages and, in training, fitNormalization have each scanned them);
// applyNormalization, the public entry, still refuses NaN.
import { describe, expect, it, vi } from 'vitest';
import { initEngine } from '@appliedml/engine';
import type { GrayImage } from './gray-image';
import { ImageClassifier } from './image-classifier';
import * as preprocess from './preprocess';
import { codeOf as code } from './test-discs';

vi.mock('./preprocess', async (importOriginal) => {
  const original = await importOriginal<typeof import('./preprocess')>();
  return { ...original, applyNormalization: vi.fn(original.applyNormalization) };
});

describe('ImageClassifier normalisation: pixels checked once, at the entry', () => {
  it('train, predict and Grad-CAM do not go through the checking applyNormalization', async () => {
    await initEngine();
    const images: GrayImage[] = Array.from({ length: 8 }, (_, k) => ({
      width: 8,
      height: 8,
      data: new Float32Array(64).map((_, p) => (k % 2 === 0 && p % 9 === 0 ? 0.9 : 0.1) + 0.01 * (p % 5)),
    }));
    const labels = images.map((_, k) => (k % 2 === 0 ? 'dots' : 'plain'));
    const scans = vi.mocked(preprocess.applyNormalization);
    scans.mockClear();
    for (const normalization of ['dataset', 'per-image'] as const) {
      const model = ImageClassifier.create({ imageSize: 8, filters: [2, 4], seed: 1, normalization });
      await model.train({ images, labels }, { epochs: 1 });
      const [result] = await model.predictBatch(images.slice(0, 2), { explain: true });
      expect(result!.heatmap!.data).toHaveLength(64);
      model.dispose();
    }
    expect(scans).not.toHaveBeenCalled();
    const packed = new Float32Array([0.5, NaN]);
    expect(await code(() => preprocess.applyNormalization(packed, 2, { mode: 'dataset', mean: 0, std: 1 }))).toBe('E_INPUT_INVALID');
  });
});
