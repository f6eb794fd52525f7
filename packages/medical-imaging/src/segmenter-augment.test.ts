import { describe, expect, it } from 'vitest';
import { createRng, initEngine, tf } from '@appliedml/engine';
import { flipPairs, warpPairs } from './segmenter-augment';

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
