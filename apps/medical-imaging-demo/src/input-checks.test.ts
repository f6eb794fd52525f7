import { describe, expect, it } from 'vitest';
import { MAX_ASPECT_RATIO, MAX_DARK, MIN_SIDE, outOfDistribution } from './input-checks';

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

  // Found in session 24: a 12-bit X-ray in a 16-bit PNG (samples up to 4095 of 65535) was read near
  // black and predicted on with no word.
  it('names a nearly black image, as a 12-bit image in 16 bits reads', () => {
    expect(outOfDistribution(image(64, 64, (i) => (i % 4096) / 65535))).toEqual([
      'its brightest pixel is at 6.2 % of full scale: the image is nearly black',
    ]);
    expect(outOfDistribution(image(64, 64, (i) => (i % 2 ? MAX_DARK + 0.01 : 0)))).toEqual([]);
  });
});
