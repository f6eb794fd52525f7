import { describe, expect, it } from 'vitest';
import { AUGMENT_OFF, augmentBatch } from './augment';

/** One example of `frames` × 1 with ones on frames [from, to) and zeros elsewhere. */
function block(frames: number, from: number, to: number): Float32Array {
  const x = new Float32Array(frames);
  x.fill(1, from, to);
  return x;
}
const width = (x: Float32Array): number => x.reduce((a, v) => a + v, 0);

describe('augmentBatch time stretch', () => {
  it('is the identity at factor 1 and scales a centred word by the factor', () => {
    const x = block(101, 40, 61); // 21 frames around the centre (50)
    expect(Array.from(augmentBatch(x, 1, 101, 1, 1, { ...AUGMENT_OFF, timeStretch: [1, 1] }))).toEqual(Array.from(x));
    const longer = augmentBatch(x, 1, 101, 1, 1, { ...AUGMENT_OFF, timeStretch: [2, 2] });
    const shorter = augmentBatch(x, 1, 101, 1, 1, { ...AUGMENT_OFF, timeStretch: [0.5, 0.5] });
    expect(Math.abs(width(longer) - 42)).toBeLessThanOrEqual(1);
    expect(Math.abs(width(shorter) - 10.5)).toBeLessThanOrEqual(1);
    // Stretched about the centre: the mass stays centred.
    const centre = (y: Float32Array): number => y.reduce((a, v, i) => a + v * i, 0) / width(y);
    expect(centre(longer)).toBeCloseTo(50, 0);
    expect(centre(shorter)).toBeCloseTo(50, 0);
  });

  it('draws factors inside the range and keeps every dimension of a frame together', () => {
    const frames = 60;
    const dim = 3;
    const batch = 20;
    const x = new Float32Array(batch * frames * dim);
    for (let b = 0; b < batch; b++) for (let t = 25; t < 35; t++) for (let k = 0; k < dim; k++) x[(b * frames + t) * dim + k] = k + 1;
    const out = augmentBatch(x, batch, frames, dim, 1, { ...AUGMENT_OFF, timeStretch: [0.8, 1.25] });
    for (let b = 0; b < batch; b++) {
      let mass = 0;
      for (let t = 0; t < frames; t++) {
        const o = (b * frames + t) * dim;
        expect(out[o + 1]).toBeCloseTo(2 * (out[o] as number), 5);
        expect(out[o + 2]).toBeCloseTo(3 * (out[o] as number), 5);
        mass += out[o] as number;
      }
      expect(mass).toBeGreaterThan(10 * 0.8 - 0.5);
      expect(mass).toBeLessThan(10 * 1.25 + 0.5);
    }
  });
});

describe('augmentBatch coefficient masks and trailing values', () => {
  it('mask the same coefficient in every block; the values after the blocks stay on every frame through shift, stretch and masks', () => {
    const frames = 8;
    const blockDim = 4;
    const dim = 3 * blockDim + 5; // three blocks, then five utterance statistics
    const batch = 50;
    const x = new Float32Array(batch * frames * dim).fill(1);
    for (let i = 0; i < batch * frames; i++) for (let k = 3 * blockDim; k < dim; k++) x[i * dim + k] = k;
    const out = augmentBatch(x, batch, frames, dim, 3, { ...AUGMENT_OFF, freqMasks: 2, freqMaskBins: 2 }, blockDim);
    const moved = augmentBatch(
      x,
      batch,
      frames,
      dim,
      3,
      { ...AUGMENT_OFF, timeShiftFrames: 3, timeStretch: [0.8, 1.25], timeMasks: 2, timeMaskFrames: 3 },
      blockDim,
    );
    let masked = 0;
    for (let b = 0; b < batch; b++)
      for (let t = 0; t < frames; t++) {
        const o = (b * frames + t) * dim;
        for (let k = 0; k < blockDim; k++) {
          expect(out[o + blockDim + k]).toBe(out[o + k]);
          expect(out[o + 2 * blockDim + k]).toBe(out[o + k]);
          if (out[o + k] === 0) masked++;
        }
        for (let k = 3 * blockDim; k < dim; k++) {
          expect(out[o + k]).toBe(k);
          expect(moved[o + k]).toBe(k);
        }
      }
    expect(masked).toBeGreaterThan(0);
    expect(moved.some((v) => v === 0)).toBe(true); // the shift and masks did act on the blocks
  });

  it('refuses a layout that does not fit the frame', () => {
    expect(() => augmentBatch(new Float32Array(64), 1, 1, 64, 3, AUGMENT_OFF, 64 / 3)).toThrow(
      expect.objectContaining({ code: 'E_INTERNAL' }),
    );
    expect(() => augmentBatch(new Float32Array(64), 1, 1, 64, 3, AUGMENT_OFF, 22)).toThrow(expect.objectContaining({ code: 'E_INTERNAL' }));
  });
});
