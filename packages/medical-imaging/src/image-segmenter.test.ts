import { describe, expect, it } from 'vitest';
import { ImageSegmenter, SEGMENTER_DEFAULTS, flipPairs } from './image-segmenter';

describe('ImageSegmenter.create', () => {
  it('refuses filters that cannot build a U-Net, with a typed error naming the field', () => {
    for (const filters of [[], [16], [16, Number.NaN], [16, 0], [16, 2.5], [8, 16, 32, 64, 128, 256, 512, 1024], 'abc']) {
      expect(() => ImageSegmenter.create({ filters: filters as number[] }), JSON.stringify(filters)).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', details: { field: 'filters' } }),
      );
    }
  });

  it('refuses non-boolean augmentation switches, and rotate90 without the flips it rides on', () => {
    for (const [config, field] of [
      [{ rotate90: 'yes' }, 'rotate90'],
      [{ flipAugment: 1 }, 'flipAugment'],
      [{ rotate90: true, flipAugment: false }, 'rotate90'],
    ] as const)
      expect(() => ImageSegmenter.create(config as never), JSON.stringify(config)).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', details: { field } }),
      );
    ImageSegmenter.create({ rotate90: true }).dispose();
  });

  it('refuses an image size the levels cannot halve, and takes one they can', () => {
    const factor = 2 ** (SEGMENTER_DEFAULTS.filters.length - 1);
    expect(() => ImageSegmenter.create({ imageSize: factor * 3 + 1 })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => ImageSegmenter.create({ imageSize: 0 })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    ImageSegmenter.create({ imageSize: factor * 3 }).dispose();
  });
});

describe('flipPairs', () => {
  // 4 × 4 images whose pixel values are their own (row, column) codes, so each output says which
  // transform made it; the mask is channel 0 thresholded, so a pair moved together stays consistent.
  const size = 4;
  const n = 64;
  const x = new Float32Array(n * size * size * 3);
  const y = new Float32Array(n * size * size);
  for (let k = 0; k < n; k++)
    for (let p = 0; p < size * size; p++) {
      for (let c = 0; c < 3; c++) x[(k * size * size + p) * 3 + c] = p + c / 10;
      y[k * size * size + p] = p % 3 === 0 ? 1 : 0;
    }
  const transformsSeen = (transpose: boolean): Set<string> => {
    let state = 1;
    const rng = { next: (): number => (state = (state * 48271) % 2147483647) / 2147483647 };
    const out = flipPairs(x, y, n, size, 3, rng, transpose);
    const seen = new Set<string>();
    for (let k = 0; k < n; k++) {
      const codes = Array.from({ length: size * size }, (_, p) => Math.round(out.x[(k * size * size + p) * 3]!));
      for (let p = 0; p < size * size; p++) {
        const src = codes[p]!;
        expect(out.x[(k * size * size + p) * 3 + 2]).toBeCloseTo(src + 0.2, 5);
        expect(out.y[k * size * size + p]).toBe(src % 3 === 0 ? 1 : 0);
      }
      seen.add(codes.join(','));
    }
    return seen;
  };

  it('moves each image and its mask together: 4 flips without transpose, all 8 symmetries with it', () => {
    expect(transformsSeen(false).size).toBe(4);
    const all = transformsSeen(true);
    expect(all.size).toBe(8);
    // The transpose itself is among them: pixel (r, c) taken from (c, r).
    expect(all.has(Array.from({ length: 16 }, (_, p) => (p % 4) * 4 + Math.floor(p / 4)).join(','))).toBe(true);
  });
});
