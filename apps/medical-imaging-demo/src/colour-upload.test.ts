// Found in session 30: the service with --segmenter, given a colour Kvasir-SEG photo, answered the chest X-ray
// classifier's "normal (99.5 %)" without a warning, and drew the photo and the mask overlay in grey.
import type { AnyImage, ImageClassifier, ImageSegmenter } from '@appliedml/medical-imaging';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { analyse } from './analysis';
import { COLOUR_NOT_CLASSIFIED } from './input-checks';

const SIZE = 64;

/** A JPEG of SIZE × SIZE: pinkish-red tissue colours, or (gray) the same luminance saved as RGB. */
async function jpeg(gray: boolean): Promise<Uint8Array> {
  const rgb = Buffer.alloc(SIZE * SIZE * 3);
  for (let p = 0; p < SIZE * SIZE; p++) {
    const x = p % SIZE;
    const [r, g, b] = [150 + x, 60 + x, 70 + x / 2];
    const y = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    rgb.set(gray ? [y, y, y] : [r, g, b], 3 * p);
  }
  return new Uint8Array(
    await sharp(rgb, { raw: { width: SIZE, height: SIZE, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer(),
  );
}

/** The mean chroma (max − min of R, G, B, 0..255) of a base64 PNG's pixels where `where` holds. */
async function chroma(pngBase64: string, where: (x: number, y: number, width: number) => boolean = () => true): Promise<number> {
  const { data, info } = await sharp(Buffer.from(pngBase64, 'base64')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  let n = 0;
  for (let p = 0; p < info.width * info.height; p++) {
    if (!where(p % info.width, Math.floor(p / info.width), info.width)) continue;
    const [r, g, b] = [data[3 * p]!, data[3 * p + 1]!, data[3 * p + 2]!];
    sum += Math.max(r, g, b) - Math.min(r, g, b);
    n++;
  }
  return sum / n;
}

/** A classifier whose verdict is always "normal (99.5 %)", and an RGB segmenter whose mask is the image's left half. */
function models() {
  const classify = vi.fn(async () => ({ label: 'normal', score: 0.995, probabilities: { normal: 0.995, pneumonia: 0.005 } }));
  const segment = vi.fn(async (image: AnyImage) => ({
    mask: {
      width: image.width,
      height: image.height,
      data: Float32Array.from({ length: image.width * image.height }, (_, p) => (p % image.width < image.width / 2 ? 1 : 0)),
    },
    area: 0.5,
  }));
  return {
    classify,
    segment,
    served: {
      classifier: { predict: classify } as unknown as ImageClassifier,
      segmenter: { config: { channels: 3 }, predict: segment } as unknown as ImageSegmenter,
      description: 'test',
    },
  };
}

describe('a colour upload', () => {
  it('is not given to the grayscale classifier (a warning says why), and the photo and its mask are drawn in colour', async () => {
    const m = models();
    const r = await analyse(m.served, await jpeg(false));
    expect(r.warnings).toEqual([COLOUR_NOT_CLASSIFIED]);
    expect(r.classification).toBeUndefined();
    expect(r.heatmapPng).toBeUndefined();
    expect(m.classify).not.toHaveBeenCalled();
    // The RGB segmenter read it in colour.
    expect(m.segment.mock.calls[0]![0]).toMatchObject({ channels: 3, width: SIZE, height: SIZE });
    // Drawn in colour (grey before: chroma 0): the photo, and the overlay outside the mask (its right half).
    expect(await chroma(r.imagePng)).toBeGreaterThan(40);
    expect(await chroma(r.segmentation!.overlayPng, (x, _y, width) => x > width * 0.6)).toBeGreaterThan(40);
  });

  it('a gray image saved as RGB is not colour: classified, drawn grey, no warning', async () => {
    const m = models();
    const r = await analyse(m.served, await jpeg(true));
    expect(r.warnings).toBeUndefined();
    expect(r.classification).toMatchObject({ label: 'normal' });
    expect(m.classify).toHaveBeenCalledTimes(1);
    expect(await chroma(r.imagePng)).toBeLessThan(3);
  });
});
