// Found in session 30 (RF2's F2): a real PneumoniaMNIST chest X-ray with a slight colour cast lost its verdict as
// a "colour image": the service measured the raw mean chroma (>= 0.05), and a warm scan cast (1, .97, .92)
// measures 0.055, a blue lightbox (.88, .95, 1) 0.082, light sepia 0.10, sepia 0.21. A uniform tint is a cast,
// not colour: the chroma is now measured once the image's own cast is taken out, and Kvasir-SEG's endoscopy
// frames (the lowest of the 1,000 among them here) stay colour.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMedMnist, type GrayImage, type ImageClassifier } from '@appliedml/medical-imaging';
import sharp from 'sharp';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { analyse } from './analysis';
import { COLOUR_NOT_CLASSIFIED } from './input-checks';

const dataDir = (): string => {
  const dir = process.env.APPLIEDML_DATA_DIR;
  if (!dir) throw new Error('APPLIEDML_DATA_DIR is not set: this test reads PneumoniaMNIST and Kvasir-SEG from it.');
  return dir;
};

const TINTS: Record<string, [number, number, number]> = {
  'warm scan cast': [1, 0.97, 0.92],
  'blue lightbox': [0.88, 0.95, 1],
  'light sepia': [1, 0.95, 0.85],
  sepia: [1, 0.89, 0.7],
};

/** `image` tinted by `tint` (each channel's share of its gray), stretched to full scale, as a 256 × 256 PNG or JPEG. */
async function tinted(image: GrayImage, tint: readonly number[], format: 'png' | 'jpeg'): Promise<Uint8Array> {
  const { width, height, data } = image;
  const max = data.reduce((m, v) => Math.max(m, v), 0);
  const rgb = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) for (let c = 0; c < 3; c++) rgb[3 * p + c] = Math.round(((255 * data[p]!) / max) * tint[c]!);
  const resized = sharp(rgb, { raw: { width, height, channels: 3 } }).resize(256, 256);
  return new Uint8Array(await (format === 'png' ? resized.png() : resized.jpeg({ quality: 85 })).toBuffer());
}

function classifier() {
  const predict = vi.fn(async () => ({ label: 'pneumonia', score: 0.97, probabilities: { normal: 0.03, pneumonia: 0.97 } }));
  return { predict, served: { classifier: { predict } as unknown as ImageClassifier, description: 'test' } };
}

let xrays: GrayImage[];
beforeAll(async () => {
  xrays = (await readMedMnist(join(dataDir(), 'medmnist', 'pneumoniamnist_full_reconstructed.npz'))).test.images.slice(0, 2);
});

describe('a chest X-ray under a uniform colour cast', () => {
  for (const [name, tint] of Object.entries(TINTS))
    it(`(${name}) is still classified, without the colour warning`, async () => {
      for (const xray of xrays)
        for (const format of ['png', 'jpeg'] as const) {
          const m = classifier();
          const r = await analyse(m.served, await tinted(xray, tint, format));
          expect({ format, warnings: r.warnings, label: r.classification?.label }).toEqual({
            format,
            warnings: undefined,
            label: 'pneumonia',
          });
          expect(m.predict).toHaveBeenCalledTimes(1);
        }
    });
});

describe('Kvasir-SEG endoscopy frames', () => {
  // The three that measure least of the 1,000 (0.029 to 0.032, the threshold 0.02), and two ordinary ones.
  const FRAMES = [
    'cju846ec0kj7z08012o10klrb.jpg',
    'cju2y5zas8m7f0801d34g5owq.jpg',
    'cju16d65tzw9d0799ouslsw25.jpg',
    'cju0qkwl35piu0993l0dewei2.jpg',
    'cju8dk7eztzup08182yxko5zh.jpg',
  ];
  it('stay colour: not classified, with the warning', async () => {
    for (const file of FRAMES) {
      const m = classifier();
      const r = await analyse(m.served, new Uint8Array(readFileSync(join(dataDir(), 'kvasir-seg', 'images', file))));
      expect({ file, warnings: r.warnings, classification: r.classification }).toEqual({
        file,
        warnings: [COLOUR_NOT_CLASSIFIED],
        classification: undefined,
      });
      expect(m.predict).not.toHaveBeenCalled();
    }
  });
});
