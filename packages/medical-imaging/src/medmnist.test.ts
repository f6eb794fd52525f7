// Review s28 R2: readMedMnist divided any image array by 255 whatever its dtype (float32 in [0, 1] came out
// 255 times too dark, uint16 up to 257 times too bright) and took 0 × 0 images.
import { describe, expect, it } from 'vitest';
import type { NpyArray, NpyData, NpyDtype } from '@appliedml/engine';
import { split } from './medmnist';

const array = (dtype: NpyDtype, data: NpyData, shape: number[]): NpyArray => ({ dtype, data, shape, fortranOrder: false });
const withImages = (images: NpyArray): Record<string, NpyArray> => ({
  train_images: images,
  train_labels: array('uint8', Uint8Array.from([0, 1]), [2, 1]),
});

describe('readMedMnist image arrays', () => {
  it('uint8 images are read as value / 255', () => {
    const read = split(
      withImages(array('uint8', Uint8Array.from([0, 51, 102, 255, 255, 0, 0, 0]), [2, 2, 2])),
      'train',
      ['a', 'b'],
      'x.npz',
    );
    [0, 0.2, 0.4, 1].forEach((v, i) => expect(read.images[0]!.data[i]).toBeCloseTo(v, 6));
    expect(read.labels).toEqual(['a', 'b']);
  });

  it('float32 or uint16 images are E_INPUT_INVALID naming the array and dtype', () => {
    for (const [dtype, data] of [
      ['float32', new Float32Array(8).fill(0.5)],
      ['uint16', new Uint16Array(8).fill(4095)],
    ] as const)
      expect(() => split(withImages(array(dtype, data, [2, 2, 2])), 'train', ['a', 'b'], 'x.npz'), dtype).toThrow(
        expect.objectContaining({
          code: 'E_INPUT_INVALID',
          message: expect.stringContaining(`train_images are ${dtype}; MedMNIST stores uint8 images`) as unknown,
          details: { array: 'train_images', dtype },
        }) as Error,
      );
  });

  it('0 × 0 images are E_INPUT_INVALID', () => {
    expect(() => split(withImages(array('uint8', new Uint8Array(0), [2, 0, 0])), 'train', ['a', 'b'], 'x.npz')).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringContaining('0 × 0 pixels') as unknown }) as Error,
    );
  });
});
