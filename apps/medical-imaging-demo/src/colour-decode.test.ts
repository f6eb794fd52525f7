// Found in session 30 (RF2's F3): to tell a colour upload from a gray one, the service decoded every upload in
// colour too (16 bytes a pixel of Float32 instead of 4): an 8192 × 8192 4:4:4 JPEG it took before was refused
// (E_INPUT_TOO_LARGE, 1.56 GiB over maxDecodedBytes' 1.5 GiB), and each upload took about three times the
// memory. Colour is now measured on a small preview, and a gray upload (saved as RGB or not) decoded in gray.
import type { ImageClassifier, ImageSegmenter } from '@appliedml/medical-imaging';
import * as medical from '@appliedml/medical-imaging';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { analyse } from './analysis';

vi.mock('@appliedml/medical-imaging', async (original) => {
  const sdk = await original<typeof import('@appliedml/medical-imaging')>();
  return { ...sdk, readMedicalImage: vi.fn(sdk.readMedicalImage) };
});
const read = vi.mocked(medical.readMedicalImage);

const SIZE = 48;

/** A JPEG of SIZE × SIZE saved as RGB: a gray gradient, or the same in tissue colours. */
async function jpeg(gray: boolean): Promise<Uint8Array> {
  const rgb = Buffer.alloc(SIZE * SIZE * 3);
  for (let p = 0; p < SIZE * SIZE; p++) {
    const x = p % SIZE;
    rgb.set(gray ? [60 + 3 * x, 60 + 3 * x, 60 + 3 * x] : [150 + x, 60 + 2 * x, 70], 3 * p);
  }
  return new Uint8Array(
    await sharp(rgb, { raw: { width: SIZE, height: SIZE, channels: 3 } })
      .jpeg({ quality: 90, chromaSubsampling: '4:4:4' })
      .toBuffer(),
  );
}

const classifier = {
  predict: async () => ({ label: 'normal', score: 0.9, probabilities: { normal: 0.9, pneumonia: 0.1 } }),
} as unknown as ImageClassifier;
const segmenter = (channels: number) =>
  ({
    config: { channels },
    predict: async (image: { width: number; height: number }) => ({
      mask: { width: image.width, height: image.height, data: new Float32Array(image.width * image.height) },
      area: 0,
    }),
  }) as unknown as ImageSegmenter;

/** The `color` option `analyse` read the upload with (one read), and what it answered. */
async function decodedInColour(bytes: Uint8Array, models: Parameters<typeof analyse>[0]) {
  read.mockClear();
  const answer = await analyse(models, bytes);
  expect(read).toHaveBeenCalledTimes(1);
  return { color: read.mock.calls[0]![1]?.color ?? false, classified: answer.classification !== undefined };
}

describe('the upload is decoded in colour only when it is in colour or the segmenter reads RGB', () => {
  it('a gray image saved as RGB is decoded in gray, and classified', async () => {
    expect(await decodedInColour(await jpeg(true), { classifier, description: 't' })).toEqual({ color: false, classified: true });
    // A grayscale segmenter does not need colour either.
    expect(await decodedInColour(await jpeg(true), { classifier, segmenter: segmenter(1), description: 't' })).toEqual({
      color: false,
      classified: true,
    });
  });

  it('a colour image is decoded in colour (drawn so, not classified); an RGB segmenter reads any RGB upload in colour', async () => {
    expect(await decodedInColour(await jpeg(false), { classifier, description: 't' })).toEqual({ color: true, classified: false });
    expect(await decodedInColour(await jpeg(true), { classifier, segmenter: segmenter(3), description: 't' })).toEqual({
      color: true,
      classified: true,
    });
  });
});
