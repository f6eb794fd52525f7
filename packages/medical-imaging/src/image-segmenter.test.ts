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

  it('refuses a rotation, zoom or shift that is not a number in its range, naming the field', () => {
    for (const [config, field] of [
      [{ rotation: -1 }, 'rotation'],
      [{ rotation: 181 }, 'rotation'],
      [{ zoom: Number.NaN }, 'zoom'],
      [{ zoom: 0.6 }, 'zoom'],
      [{ shift: '0.1' }, 'shift'],
      [{ shift: Number.POSITIVE_INFINITY }, 'shift'],
    ] as const)
      expect(() => ImageSegmenter.create(config as never), JSON.stringify(config)).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', details: { field } }),
      );
    ImageSegmenter.create({ rotation: 15, zoom: 0.15, shift: 0.1, flipAugment: false }).dispose();
  });

  it('refuses an image size the levels cannot halve, and takes one they can', () => {
    const factor = 2 ** (SEGMENTER_DEFAULTS.filters.length - 1);
    expect(() => ImageSegmenter.create({ imageSize: factor * 3 + 1 })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => ImageSegmenter.create({ imageSize: 0 })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    ImageSegmenter.create({ imageSize: factor * 3 }).dispose();
  });
});
