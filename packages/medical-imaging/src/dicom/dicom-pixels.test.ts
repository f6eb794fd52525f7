import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { readMedicalImage } from '../image-reader';
import { codeOf as code } from '../test-discs';
import { applyWindow, dicomToColor, dicomToDisplay, dicomToModality } from './dicom-pixels';
import { readDicom } from './dicom-reader';
import { EXPLICIT, dataSet, file } from './test-dicom-bytes';

describe('DICOM pixel helpers: arguments', () => {
  it('refuse null, {} or a hand-made image missing its parts, a non-integer frame, and bad display options (E_INPUT_INVALID)', async () => {
    const bytes = file('part10', EXPLICIT, dataSet(true));
    const image = await readDicom(bytes);
    expect(dicomToDisplay(image).data.length).toBe(4);
    expect(dicomToDisplay(image, undefined).data.length).toBe(4);
    expect(dicomToDisplay(image, { voi: { center: 100, width: 200 } }).data.length).toBe(4);
    for (const bad of [null, {}, 'x', { ...image, rows: 0 }, { ...image, frames: null }, { ...image, metadata: undefined }]) {
      expect(await code(() => dicomToDisplay(bad as never)), JSON.stringify(bad)?.slice(0, 40)).toBe('E_INPUT_INVALID');
      expect(await code(() => dicomToModality(bad as never))).toBe('E_INPUT_INVALID');
      expect(await code(() => dicomToColor(bad as never))).toBe('E_INPUT_INVALID');
    }
    expect(await code(() => dicomToModality(image, 'x' as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => dicomToDisplay(image, null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => dicomToDisplay(image, { frames: 0 } as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => dicomToDisplay(image, { voi: 'bogus' } as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => dicomToDisplay(image, { voi: null } as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => dicomToDisplay(image, { voi: { centre: 40, width: 400 } } as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => readMedicalImage(bytes, { voi: 'bogus' } as never))).toBe('E_INPUT_INVALID');
  });

  it('applyWindow refuses values that are not an array', async () => {
    expect(Array.from(applyWindow(new Float32Array([-1000, 1000]), 40, 400))).toEqual([0, 1]);
    for (const bad of [null, undefined, 5, 'ab', { length: 2 }])
      expect(await code(() => applyWindow(bad as never, 40, 400)), String(bad)).toBe('E_INPUT_INVALID');
  });
});

/** The AppliedMLError `fn` throws (fails the test on none or an untyped one). */
function errorOf(fn: () => unknown): AppliedMLError {
  try {
    fn();
  } catch (e) {
    if (AppliedMLError.isInstance(e)) return e;
    throw new Error(`untyped error: ${String(e)}`, { cause: e });
  }
  throw new Error('no error');
}

describe('applyWindow: NaN values and windows no image can have (M1, M2)', () => {
  it('a NaN or ±Infinity value is E_INPUT_INVALID with its index (NaN came out as NaN), whatever the function', () => {
    for (const fn of ['LINEAR', 'LINEAR_EXACT', 'SIGMOID'] as const)
      for (const [bad, index] of [
        [Number.NaN, 1],
        [Infinity, 2],
        [-Infinity, 0],
      ] as const) {
        const values = Float32Array.from([0, 100, -100]);
        values[index] = bad;
        const e = errorOf(() => applyWindow(values, 40, 400, fn));
        expect([e.code, e.details.index, e.message]).toEqual([
          'E_INPUT_INVALID',
          index,
          `The array given to applyWindow holds ${bad} at pixel ${index}.`,
        ]);
      }
    expect(errorOf(() => applyWindow([0, Number.NaN] as never, 40, 400)).details.index).toBe(1);
  });

  it('a width or |center| over 1e10 is E_INPUT_INVALID naming it (width 1e308 gave 0.5 everywhere)', () => {
    const values = Float32Array.from([-1000, 0, 1000]);
    for (const [center, width, fn, field] of [
      [0, 1e308, 'LINEAR', 'width'],
      [-1e308, 1e308, 'LINEAR_EXACT', 'width'],
      [0, 1.0000001e10, 'SIGMOID', 'width'],
      [1e308, 400, 'LINEAR', 'center'],
      [-1e308, 400, 'SIGMOID', 'center'],
      [1.7e308, 1.7e308, 'LINEAR', 'width'],
      [-1.0000001e10, 400, 'LINEAR_EXACT', 'center'],
      [0, 0, 'SIGMOID', 'width'],
      [0, 0.5, 'LINEAR', 'width'],
      ['40', 400, 'LINEAR', 'center'],
      [40, 400, 'linear', 'function'],
    ] as const) {
      const e = errorOf(() => applyWindow(values, center as never, width, fn as never));
      expect([e.code, e.details.field], `${center} ${width} ${fn}`).toEqual(['E_INPUT_INVALID', field]);
    }
    expect(errorOf(() => applyWindow(values, 0, 1e308)).message).toBe('Window width must be at least 1 and at most 1e10 (got 1e+308).');
    expect(errorOf(() => applyWindow(values, 1e308, 10)).message).toBe('Window center must be a number from -1e10 to 1e10 (got 1e+308).');
  });

  it('windows up to the bound still work: a full-range 32-bit window, 1e10 itself, a tiny LINEAR_EXACT width', () => {
    // Unsigned 32-bit samples over their whole range: center 2^31, width 2^32 (over 1e9, under 1e10).
    const full = applyWindow(Float32Array.from([0, 2 ** 31, 2 ** 32 - 1]), 2 ** 31, 2 ** 32, 'LINEAR_EXACT');
    expect(Array.from(full)).toEqual([0, 0.5, 1]);
    expect(Array.from(applyWindow(Float32Array.from([-1e10, 1e10]), 0, 1e10, 'LINEAR_EXACT'))).toEqual([0, 1]);
    expect(Array.from(applyWindow(Float32Array.from([-1e10, 1e10]), -1e10, 1e10))).toEqual([0.5, 1]);
    expect(Array.from(applyWindow(Float32Array.from([0.25, 0.5, 0.75]), 0.5, 1e-300, 'LINEAR_EXACT'))).toEqual([0, 0.5, 1]);
    expect(Array.from(applyWindow(Float32Array.from([0.25, 0.5, 0.75]), 0.5, 1e-300, 'SIGMOID'))).toEqual([0, 0.5, 1]);
  });

  it('a voi window over the bound is refused before the file is read; a file window over it is passed over (min..max)', async () => {
    const bytes = file('part10', EXPLICIT, dataSet(true));
    expect(await code(() => readMedicalImage(bytes, { voi: { center: 40, width: 1e308 } }))).toBe('E_INPUT_INVALID');
    expect(await code(() => readMedicalImage(Uint8Array.from([1, 2, 3]), { voi: { center: 1e11, width: 400 } }))).toBe('E_INPUT_INVALID');
    const image = await readDicom(bytes);
    expect(await code(() => dicomToDisplay(image, { voi: { center: 40, width: 1e308 } }))).toBe('E_INPUT_INVALID');
    const minmax = Array.from(dicomToDisplay(image, { voi: 'minmax' }).data);
    for (const [windowCenter, windowWidth] of [
      [0, 1e308],
      [1e308, 400],
    ]) {
      const wide = { ...image, metadata: { ...image.metadata, windowCenter, windowWidth } };
      expect(Array.from(dicomToDisplay(wide).data), `${windowCenter} ${windowWidth}`).toEqual(minmax);
    }
    // A file window within the bound is used as before.
    const own = { ...image, metadata: { ...image.metadata, windowCenter: 2048, windowWidth: 4096 } };
    expect(Array.from(dicomToDisplay(own).data)).toEqual(Array.from(applyWindow(dicomToModality(image), 2048, 4096)));
  });
});
