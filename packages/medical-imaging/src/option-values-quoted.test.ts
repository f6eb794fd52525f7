import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import type { GrayImage } from './gray-image';
import { ImageClassifier } from './image-classifier';
import { readImage, readMedicalImage } from './image-reader';
import { ImageSegmenter } from './image-segmenter';
import { grayToPng, maskOverlayPng } from './overlay';
import { discs } from './test-discs';

// A size given as text ('32', as a form or a CLI hands it over) was refused with "(got 32)", which reads
// as if the number 32 were refused. A value that is not a number is quoted now ("(got \"32\")"), as the
// engine's describeValue writes it; a refused number stays bare.

async function refusal(run: () => unknown): Promise<AppliedMLError> {
  const caught = await (async () => run())().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AppliedMLError.isInstance(caught), String(caught)).toBe(true);
  expect((caught as AppliedMLError).code).toBe('E_INPUT_INVALID');
  return caught as AppliedMLError;
}

const image: GrayImage = { width: 4, height: 4, data: new Float32Array(16).fill(0.5) };

describe('a size option given as text is quoted in its refusal', () => {
  it('imageSize of the classifier and the segmenter', async () => {
    const c = await refusal(() => ImageClassifier.create({ imageSize: '32' as never }));
    expect(c.message).toBe('imageSize must be an integer in 8..1024 (got "32").');
    expect(c.details).toMatchObject({ field: 'imageSize' });
    const s = await refusal(() => ImageSegmenter.create({ imageSize: '32' as never, filters: [2, 4] }));
    expect(s.message).toBe('imageSize must be a multiple of 2 up to 1024 (got "32").');
    // A number refused stays bare.
    expect((await refusal(() => ImageClassifier.create({ imageSize: 4 }))).message).toContain('(got 4)');
  });

  it("the segmenter's augmentation amounts and epochs", async () => {
    expect((await refusal(() => ImageSegmenter.create({ imageSize: 16, filters: [2, 4], rotation: '10' as never }))).message).toBe(
      'rotation must be a number from 0 to 180 (got "10").',
    );
    const s = ImageSegmenter.create({ imageSize: 16, filters: [2, 4], seed: 1 });
    try {
      const e = await refusal(() => s.train(discs(4, 16, 1), { epochs: '3' as never }));
      expect(e.message).toMatch(/^epochs must be .*\(got "3"\)\.$/);
    } finally {
      s.dispose();
    }
  });

  it("an overlay's width", async () => {
    expect((await refusal(() => grayToPng(image, { width: '32' as never }))).message).toBe(
      'An overlay width is an integer from 1 to 8192 pixels (got "32").',
    );
    expect((await refusal(() => maskOverlayPng(image, image, { width: '32' as never }))).details).toMatchObject({ field: 'width' });
  });

  it("a reader's size limits", async () => {
    const png = await grayToPng(image);
    for (const read of [readImage, readMedicalImage]) {
      const e = await refusal(() => read(png, { maxPixels: '1000' as never }));
      expect(e.message).toBe('maxPixels must be a positive integer (got "1000").');
      expect(e.details).toMatchObject({ field: 'maxPixels' });
    }
  });
});
