import { describe, expect, it } from 'vitest';
import { ImageSegmenter, SEGMENTER_DEFAULTS } from './image-segmenter';

describe('ImageSegmenter.create', () => {
  it('refuses filters that cannot build a U-Net, with a typed error naming the field', () => {
    for (const filters of [[], [16], [16, Number.NaN], [16, 0], [16, 2.5], [8, 16, 32, 64, 128, 256, 512, 1024], 'abc']) {
      expect(() => ImageSegmenter.create({ filters: filters as number[] }), JSON.stringify(filters)).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', details: { field: 'filters' } }),
      );
    }
  });

  it('refuses an image size the levels cannot halve, and takes one they can', () => {
    const factor = 2 ** (SEGMENTER_DEFAULTS.filters.length - 1);
    expect(() => ImageSegmenter.create({ imageSize: factor * 3 + 1 })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => ImageSegmenter.create({ imageSize: 0 })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    ImageSegmenter.create({ imageSize: factor * 3 }).dispose();
  });
});
