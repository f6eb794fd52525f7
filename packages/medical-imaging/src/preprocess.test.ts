import { describe, expect, it } from 'vitest';
import type { GrayImage } from './gray-image';
import { codeOf as code } from './test-discs';
import { applyNormalization, fitNormalization, packImages, resizeGray } from './preprocess';

const img = (w = 4, h = 4): GrayImage => ({ width: w, height: h, data: Float32Array.from({ length: w * h }, (_, i) => (i % 5) / 5) });
const tooLarge = (pattern: RegExp) => expect.objectContaining({ code: 'E_INPUT_TOO_LARGE', message: expect.stringMatching(pattern) });

describe('packImages and resizeGray sizes', () => {
  it('packs small images', () => {
    const packed = packImages([img(), img(6, 3)], 8);
    expect(packed.length).toBe(2 * 64);
    expect(packImages([], 8).length).toBe(0);
  });

  it('refuses a size over 2^28 pixels an image or 2^30 values in all before allocating (E_INPUT_TOO_LARGE)', () => {
    // None of these allocates: the old code threw an untyped RangeError or returned an empty array.
    expect(() => packImages([], 16_385)).toThrow(tooLarge(/16385 × 16385 is over the limit of 268435456 pixels/));
    expect(() => packImages([img()], 65_536)).toThrow(tooLarge(/over the limit/));
    expect(() => packImages(new Array<GrayImage>(5000), 1024)).toThrow(
      tooLarge(/5000 images of 1024 × 1024 are 5242880000 values, over the limit of 1073741824/),
    );
    expect(() => packImages([img()], 1e6)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => resizeGray(img(), 65_536, 65_536)).toThrow(tooLarge(/65536 × 65536 is over the limit/));
  });
});

describe('normalisation and packing arguments', () => {
  it('refuse null or wrong-type arguments, an unknown mode and non-finite values (E_INPUT_INVALID)', async () => {
    expect(fitNormalization(new Float32Array([0, 1]), 'dataset')).toEqual({ mode: 'dataset', mean: 0.5, std: 0.5 });
    expect(fitNormalization(new Float32Array([0, 1]), 'per-image')).toEqual({ mode: 'per-image', mean: 0, std: 1 });
    expect(await code(() => fitNormalization(null as never, 'dataset'))).toBe('E_INPUT_INVALID');
    expect(await code(() => fitNormalization(new Float32Array([1, 2]), 'bogus' as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => fitNormalization(new Float32Array([1, NaN]), 'dataset'))).toBe('E_INPUT_INVALID');
    expect(await code(() => fitNormalization([1e300, -1e300] as never, 'dataset'))).toBe('E_INPUT_INVALID');
    expect(await code(() => applyNormalization(null as never, 4, { mode: 'dataset', mean: 0, std: 1 }))).toBe('E_INPUT_INVALID');
    expect(await code(() => applyNormalization('abcd' as never, 4, { mode: 'dataset', mean: 0, std: 1 }))).toBe('E_INPUT_INVALID');
    expect(await code(() => packImages(null as never, 8))).toBe('E_INPUT_INVALID');
    expect(await code(() => packImages({ length: 1 } as never, 8))).toBe('E_INPUT_INVALID');
  });
});

describe('applyNormalization: NaN and ±Infinity pixels (M1)', () => {
  it('are E_INPUT_INVALID with the first one’s index, before any value is changed (NaN came out as NaN)', () => {
    for (const mode of ['dataset', 'per-image'] as const)
      for (const [bad, index] of [
        [Number.NaN, 5],
        [Infinity, 0],
        [-Infinity, 7],
      ] as const) {
        const packed = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
        packed[index] = bad;
        if (index !== 7) packed[7] = Number.NaN;
        const before = Array.from(packed);
        let error: unknown;
        try {
          applyNormalization(packed, 4, { mode, mean: 1, std: 2 });
        } catch (e) {
          error = e;
        }
        expect(error).toMatchObject({
          code: 'E_INPUT_INVALID',
          message: `The packed array holds ${bad} at pixel ${index}.`,
          details: { index },
        });
        // Refused in place: nothing normalised half-way.
        expect(Array.from(packed)).toEqual(before);
      }
    expect(Array.from(applyNormalization(Float32Array.from([1, 3, 5, 7]), 2, { mode: 'dataset', mean: 1, std: 2 }))).toEqual([0, 1, 2, 3]);
    expect(Array.from(applyNormalization(Float32Array.from([1, 3, 5, 7]), 2, { mode: 'per-image', mean: 0, std: 1 }))).toEqual([
      -1, 1, -1, 1,
    ]);
  });
});

describe('resizeGray when one axis shrinks and the other enlarges', () => {
  /** A 1024 × 16 strip, 0 but for a bright 1-pixel column at `column` (a catheter, a fracture line). */
  const strip = (column: number): GrayImage => {
    const data = new Float32Array(1024 * 16);
    for (let y = 0; y < 16; y++) data[y * 1024 + column] = 1;
    return { width: 1024, height: 16, data };
  };

  it('averages the columns it shrinks: a thin line is kept at 1/16 (bilinear sampling lost it: 0 everywhere)', () => {
    const out = resizeGray(strip(100), 64, 64); // 16 columns into each, 16 rows spread over 64
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 64; x++) expect(out.data[y * 64 + x], `${x}, ${y}`).toBeCloseTo(x === 6 ? 1 / 16 : 0, 6);
  });

  it('is area averaging along x then bilinear along y, as the two one-axis resizes one after the other', () => {
    const image: GrayImage = { width: 300, height: 20, data: Float32Array.from({ length: 6000 }, (_, i) => Math.sin(i * 0.37) ** 2) };
    const direct = resizeGray(image, 64, 50).data;
    const twoSteps = resizeGray(resizeGray(image, 64, 20), 64, 50).data;
    direct.forEach((v, i) => expect(v).toBeCloseTo(twoSteps[i]!, 6));
    // and the other way round (enlarge x, shrink y)
    const tall: GrayImage = { width: 20, height: 300, data: image.data };
    const directTall = resizeGray(tall, 50, 64).data;
    const twoStepsTall = resizeGray(resizeGray(tall, 20, 64), 50, 64).data;
    directTall.forEach((v, i) => expect(v).toBeCloseTo(twoStepsTall[i]!, 6));
  });

  it('costs about the pixels in and out, not their product: 32768 × 2 made 2 × 32768 took 14 s', () => {
    const started = performance.now();
    const wide: GrayImage = {
      width: 32768,
      height: 2,
      data: Float32Array.from({ length: 65536 }, (_, i) => (i < 32768 ? (i % 7) / 6 : 1)),
    };
    const tall = resizeGray(wide, 2, 32768); // x shrinks 16384-fold, y enlarges
    const back = resizeGray({ width: 2, height: 32768, data: tall.data }, 32768, 2); // x enlarges, y shrinks
    resizeGray({ width: 16384, height: 2, data: wide.data.subarray(0, 32768) }, 1, 16384); // 3.3 s before
    expect(performance.now() - started).toBeLessThan(2000); // about 30 ms here
    // Each output column is the mean of its 16384 source columns; the top row is the first row's, the
    // bottom row the second's (all 1), and the middle blends them.
    const mean = wide.data.subarray(0, 16384).reduce((a, b) => a + b, 0) / 16384;
    expect(tall.data[0]).toBeCloseTo(mean, 5);
    expect(tall.data[2 * 32767]).toBeCloseTo(1, 5);
    expect(tall.data[2 * 16384]).toBeCloseTo((mean + 1) / 2, 3);
    // Back: the top row averages the upper half of the tall image's rows (its column 0 at x = 0).
    expect(back.data[0]).toBeCloseTo(tall.data.filter((_, i) => i % 2 === 0 && i < 32768).reduce((a, b) => a + b, 0) / 16384, 4);
  });
});

describe('sizes that are not numbers', () => {
  // They were written as they convert: packImages([image], '28') said "(got 28 × 28)", and a
  // normalisation given as the pixel count "do not split into images of [object Object] pixels".
  it('are shown as given', () => {
    expect(() => packImages([img()], '28' as unknown as number)).toThrow(
      expect.objectContaining({
        code: 'E_INPUT_INVALID',
        message: 'A resize target is width × height in whole pixels from 1 to 65536 (got "28" × "28").',
      }),
    );
    const norm = { mode: 'dataset' as const, mean: 0, std: 1 };
    for (const [pixels, shown] of [
      [norm, '{"mode":"dataset","mean":0,"std":1}'],
      ['16', '"16"'],
      [0, '0'],
    ] as const)
      expect(() => applyNormalization(new Float32Array(16), pixels as unknown as number, norm)).toThrow(
        expect.objectContaining({
          code: 'E_SHAPE_MISMATCH',
          message: `pixels must be the whole number of values an image holds, at least 1 (got ${shown}).`,
          details: { argument: 'pixels' },
        }),
      );
    expect(() => applyNormalization(new Float32Array(16), 5, norm)).toThrow(
      expect.objectContaining({ code: 'E_SHAPE_MISMATCH', message: '16 values do not split into images of 5 pixels.' }),
    );
  });
});
