import { describe, expect, it } from 'vitest';
import { createRng, initEngine, tf } from '@appliedml/engine';
import { ImageSegmenter, SEGMENTER_DEFAULTS, flipPairs, warpPairs } from './image-segmenter';

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

describe('warpPairs', () => {
  // Channel 0 of each image is its mask as 0 / 1, channels 1–2 a ramp: a pair warped together keeps
  // channel 0 (thresholded) equal to the warped mask, pixel for pixel.
  const size = 16;
  const pixels = size * size;
  const n = 24;
  const x = new Float32Array(n * pixels * 3);
  const y = new Float32Array(n * pixels);
  for (let k = 0; k < n; k++)
    for (let p = 0; p < pixels; p++) {
      const row = Math.floor(p / size);
      const col = p % size;
      const inside = (row - 6 - (k % 5)) ** 2 + (col - 8) ** 2 < 16 ? 1 : 0;
      y[k * pixels + p] = inside;
      x[(k * pixels + p) * 3] = inside;
      x[(k * pixels + p) * 3 + 1] = row / size;
      x[(k * pixels + p) * 3 + 2] = col / size;
    }
  const constant = (value: number): { next(): number } => ({ next: () => value });

  it('moves each image and its mask together, keeps masks binary, and leaks no tensor', async () => {
    await initEngine();
    const before = tf.memory().numTensors;
    const out = warpPairs(x, y, n, size, 3, createRng('warp-test'), { rotation: 20, zoom: 0.2, shift: 0.1 });
    expect(tf.memory().numTensors).toBe(before);
    let moved = 0;
    for (let k = 0; k < n; k++) {
      let changed = false;
      for (let p = 0; p < pixels; p++) {
        const m = out.y[k * pixels + p]!;
        expect(m === 0 || m === 1).toBe(true);
        expect(m).toBe(out.x[(k * pixels + p) * 3]! > 0.5 ? 1 : 0);
        if (Math.abs(out.x[(k * pixels + p) * 3 + 1]! - x[(k * pixels + p) * 3 + 1]!) > 1e-3) changed = true;
      }
      if (changed) moved++;
    }
    expect(moved).toBeGreaterThanOrEqual(n - 1);
    const again = warpPairs(x, y, n, size, 3, createRng('warp-test'), { rotation: 20, zoom: 0.2, shift: 0.1 });
    expect(again.x).toEqual(out.x);
    expect(again.y).toEqual(out.y);
  });

  it('is the identity for a zero draw, shifts by whole pixels, and turns a quarter about the centre', async () => {
    await initEngine();
    const config = { rotation: 90, zoom: 0.2, shift: 0.125 };
    const still = warpPairs(x, y, n, size, 3, constant(0.5), config);
    for (let i = 0; i < x.length; i++) expect(still.x[i]).toBeCloseTo(x[i]!, 5);
    expect(still.y).toEqual(y);
    // A draw of 1: +shift·size = 2 pixels each way, the output at (row, col) reads the input at (row + 2, col + 2).
    const shifted = warpPairs(x, y, n, size, 3, constant(1), { rotation: 0, zoom: 0, shift: 0.125 });
    for (let row = 0; row < size - 2; row++)
      for (let col = 0; col < size - 2; col++) {
        expect(shifted.x[(row * size + col) * 3 + 1]).toBeCloseTo(x[((row + 2) * size + col + 2) * 3 + 1]!, 5);
        expect(shifted.y[row * size + col]).toBe(y[(row + 2) * size + col + 2]);
      }
    // A quarter turn about the centre (a draw of 1): the output at (row, col) reads the input at (size − 1 − col, row).
    const turned = warpPairs(x, y, n, size, 3, constant(1), { rotation: 90, zoom: 0, shift: 0 });
    for (let row = 0; row < size; row++)
      for (let col = 0; col < size; col++) {
        const from = (size - 1 - col) * size + row;
        expect(turned.x[(row * size + col) * 3 + 1], `${row},${col}`).toBeCloseTo(x[from * 3 + 1]!, 4);
        expect(turned.x[(row * size + col) * 3 + 2], `${row},${col}`).toBeCloseTo(x[from * 3 + 2]!, 4);
        expect(turned.y[row * size + col]).toBe(y[from]);
      }
  });
});
