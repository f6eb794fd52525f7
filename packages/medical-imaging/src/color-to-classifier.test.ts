import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError, createRng, initEngine } from '@appliedml/engine';
import type { ColorImage, GrayImage } from './gray-image';
import { ImageClassifier } from './image-classifier';
import { readMedicalImage } from './image-reader';
import { heatmapOverlayPng } from './overlay';
import { checkImage, resizeGray } from './preprocess';

// The docs say the classifier is grayscale and colour is converted to luminance, but an RGB image
// (channels: 3, as readMedicalImage(…, { color: true }).color gives) given to it was E_SHAPE_MISMATCH
// "The image 0 holds 1200 values for 20 × 20 pixels", which reads like a corrupt image. The classifier
// reads it as its luminance now, the same image readMedicalImage gives as `image`; the grayscale helpers
// that cannot (resizeGray, the overlays, checkImage) say it is an RGB image and where the gray one is.

let model: ImageClassifier;
let gray: GrayImage;
let color: ColorImage;
beforeAll(async () => {
  await initEngine();
  const rng = createRng(4);
  const images: GrayImage[] = Array.from({ length: 12 }, (_, k) => ({
    width: 20,
    height: 20,
    data: Float32Array.from({ length: 400 }, () => 0.5 * rng.next() + (k % 2 ? 0.4 : 0)),
  }));
  model = ImageClassifier.create({ imageSize: 20, filters: [4, 8], seed: 2 });
  await model.train({ images, labels: images.map((_, k) => (k % 2 ? 'bright' : 'dark')) }, { epochs: 2 });
  const rgb = Uint8Array.from({ length: 20 * 20 * 3 }, (_, i) => (i * 37 + (i % 3) * 90) % 256);
  const png = await sharp(rgb, { raw: { width: 20, height: 20, channels: 3 } })
    .png()
    .toBuffer();
  const read = await readMedicalImage(png, { color: true });
  gray = read.image;
  color = read.color!;
  expect(color.channels).toBe(3);
});
afterAll(() => {
  model.dispose();
});

async function rejection(p: Promise<unknown>): Promise<AppliedMLError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
  return error as AppliedMLError;
}

function refusal(f: () => unknown): AppliedMLError {
  try {
    f();
  } catch (error) {
    expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
    return error as AppliedMLError;
  }
  throw new Error('expected a refusal');
}

describe('an RGB image given to the grayscale classifier', () => {
  it('is read as its luminance, as readMedicalImage gives it', async () => {
    const fromColor = await model.predict(color, { explain: true });
    const fromGray = await model.predict(gray, { explain: true });
    expect(fromColor.label).toBe(fromGray.label);
    for (const label of model.labels) expect(fromColor.probabilities[label]).toBeCloseTo(fromGray.probabilities[label]!, 5);
    expect(fromColor.heatmap).toMatchObject({ width: 20, height: 20 });
    const batch = await model.predictBatch([gray, color]);
    expect(batch[1]!.score).toBeCloseTo(batch[0]!.score, 5);
  });

  it('trains and evaluates with RGB images too', async () => {
    const other = ImageClassifier.create({ imageSize: 20, filters: [4, 8], seed: 2 });
    const images = [color, gray, color, gray];
    const labels = ['a', 'b', 'a', 'b'];
    await other.train({ images, labels }, { epochs: 1, validation: { images, labels } });
    expect((await other.evaluate({ images, labels })).accuracy).toBeGreaterThanOrEqual(0);
    other.dispose();
  });

  it('whose data is not 3 values a pixel says so', async () => {
    const short = { ...color, data: color.data.subarray(0, 400) };
    const e = await rejection(model.predict(short));
    expect(e.code).toBe('E_SHAPE_MISMATCH');
    expect(e.message).toBe('The image 0 (channels: 3) holds 400 values for 20 × 20 RGB pixels; it needs 1200.');
    expect(e.details).toEqual({ width: 20, height: 20, channels: 3, values: 400 });
  });

  it('to a grayscale helper is refused naming the channels and the gray image', async () => {
    for (const f of [() => resizeGray(color, 10, 10), () => checkImage(color)]) {
      const e = refusal(f);
      expect(e.code).toBe('E_SHAPE_MISMATCH');
      expect(e.message).toBe(
        'The image is an RGB image (channels: 3, 1200 values for 20 × 20 pixels); this takes a grayscale one: readMedicalImage gives it as image (its luminance) beside color.',
      );
      expect(e.details).toEqual({ width: 20, height: 20, channels: 3, values: 1200 });
    }
    const overlay = await rejection(heatmapOverlayPng(color, gray));
    expect(overlay.code).toBe('E_SHAPE_MISMATCH');
    expect(overlay.message).toContain('is an RGB image (channels: 3');
  });
});
