import { describe, expect, it } from 'vitest';
import { MAX_ASPECT_RATIO, MIN_SIDE, outOfDistribution } from './input-checks';

const image = (width: number, height: number, value: (i: number) => number = (i) => (i % 7) / 7) => ({
  width,
  height,
  data: Float32Array.from({ length: width * height }, (_, i) => value(i)),
});

describe('outOfDistribution: what predict warns about', () => {
  it('says nothing for an ordinary image', () => {
    expect(outOfDistribution(image(28, 28))).toEqual([]);
    expect(outOfDistribution(image(MIN_SIDE, MIN_SIDE * MAX_ASPECT_RATIO))).toEqual([]);
  });

  it('names a tiny image, a strip and a constant image', () => {
    expect(outOfDistribution(image(1, 1))).toEqual([`it is 1×1 pixels, smaller than ${MIN_SIDE} on a side`]);
    expect(outOfDistribution(image(MIN_SIDE - 1, 40))).toHaveLength(1);
    const strip = outOfDistribution(image(4000, 20));
    expect(strip).toEqual([`its sides are 200:1, more than ${MAX_ASPECT_RATIO}:1`]);
    expect(outOfDistribution(image(64, 64, () => 0))).toEqual(['every pixel has the same value (0.000)']);
    expect(outOfDistribution(image(4000, 2, () => 0.5))).toHaveLength(3);
  });
});
