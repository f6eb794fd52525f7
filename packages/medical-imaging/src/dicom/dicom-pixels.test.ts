import { join } from 'node:path';
import { AppliedMLError, resolveDataset } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { DICOM_SAMPLES_DATASET } from '../datasets';
import { readMedicalImage } from '../image-reader';
import { codeOf as code } from '../test-discs';
import { applyWindow, dicomToColor, dicomToDisplay, dicomToModality } from './dicom-pixels';
import { MAX_MODALITY_VALUE, MAX_WINDOW } from './dicom-pixels';
import { MAX_RESCALE_INTERCEPT, MAX_RESCALE_SLOPE, boundText, readDicom } from './dicom-reader';
import { EXPLICIT, dataSet, encode, file, text, u16, u32 } from './test-dicom-bytes';
import type { El } from './test-dicom-bytes';

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

  it('a frame past the last says which frame and how many there are in details (frame, frames), not only in words', async () => {
    // It had no details: the medical demo read the whole file a second time to say how many frames it has.
    const bytes = file('part10', EXPLICIT, dataSet(true));
    const image = await readDicom(bytes);
    const runs: Array<() => unknown> = [
      () => dicomToDisplay(image, { frame: 1 }),
      () => dicomToModality(image, 3),
      () => readMedicalImage(bytes, { frame: 2 }),
    ];
    for (const run of runs) {
      const error = await Promise.resolve()
        .then(run)
        .catch((e: unknown) => e);
      expect(AppliedMLError.hasCode(error, 'E_INPUT_INVALID'), String(error)).toBe(true);
      const { frame, frames, field } = (error as AppliedMLError).details;
      expect({ field, frames }).toEqual({ field: 'frame', frames: 1 });
      expect((error as AppliedMLError).message).toBe(`Frame ${String(frame)} does not exist: the image has 1 frame, numbered 0.`);
    }
  });

  it('a frame past the last of a multi-frame file names the numbering ("the image has 10" beside frame 10 left it to guess)', async () => {
    const mri = join((await resolveDataset(DICOM_SAMPLES_DATASET)).root, 'emri_small.dcm');
    await expect(readMedicalImage(mri, { frame: 10 })).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: expect.stringContaining('Frame 10 does not exist: the image has 10 frames, numbered 0 to 9.'),
      details: { field: 'frame', frame: 10, frames: 10 },
    });
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

  it('a width or |center| over 1e16 is E_INPUT_INVALID naming it (width 1e308 gave 0.5 everywhere)', () => {
    const values = Float32Array.from([-1000, 0, 1000]);
    for (const [center, width, fn, field] of [
      [0, 1e308, 'LINEAR', 'width'],
      [-1e308, 1e308, 'LINEAR_EXACT', 'width'],
      [0, 1.0000001e16, 'SIGMOID', 'width'],
      [1e308, 400, 'LINEAR', 'center'],
      [-1e308, 400, 'SIGMOID', 'center'],
      [1.7e308, 1.7e308, 'LINEAR', 'width'],
      [-1.0000001e16, 400, 'LINEAR_EXACT', 'center'],
      [0, 0, 'SIGMOID', 'width'],
      [0, 0.5, 'LINEAR', 'width'],
      ['40', 400, 'LINEAR', 'center'],
      [40, 400, 'linear', 'function'],
    ] as const) {
      const e = errorOf(() => applyWindow(values, center as never, width, fn as never));
      expect([e.code, e.details.field], `${center} ${width} ${fn}`).toEqual(['E_INPUT_INVALID', field]);
    }
    expect(errorOf(() => applyWindow(values, 0, 1e308)).message).toBe('Window width must be at least 1 and at most 1e16 (got 1e+308).');
    expect(errorOf(() => applyWindow(values, 1e308, 10)).message).toBe('Window center must be a number from -1e16 to 1e16 (got 1e+308).');
  });

  it('windows up to the bound still work: a full-range 32-bit window, 1e16 itself, a tiny LINEAR_EXACT width', () => {
    // Unsigned 32-bit samples over their whole range: center 2^31, width 2^32.
    const full = applyWindow(Float32Array.from([0, 2 ** 31, 2 ** 32 - 1]), 2 ** 31, 2 ** 32, 'LINEAR_EXACT');
    expect(Array.from(full)).toEqual([0, 0.5, 1]);
    expect(Array.from(applyWindow(Float32Array.from([-1e16, 1e16]), 0, 1e16, 'LINEAR_EXACT'))).toEqual([0, 1]);
    // -1e16 as float32 is 2.7e8 below the center: a hair under 0.5.
    const edge = Array.from(applyWindow(Float32Array.from([-1e16, 1e16]), -1e16, 1e16));
    expect(edge[0]).toBeCloseTo(0.5, 6);
    expect(edge[1]).toBe(1);
    expect(Array.from(applyWindow(Float32Array.from([0.25, 0.5, 0.75]), 0.5, 1e-300, 'LINEAR_EXACT'))).toEqual([0, 0.5, 1]);
    expect(Array.from(applyWindow(Float32Array.from([0.25, 0.5, 0.75]), 0.5, 1e-300, 'SIGMOID'))).toEqual([0, 0.5, 1]);
  });

  it('a voi window over the bound is refused before the file is read; a file window over it is passed over (min..max)', async () => {
    const bytes = file('part10', EXPLICIT, dataSet(true));
    expect(await code(() => readMedicalImage(bytes, { voi: { center: 40, width: 1e308 } }))).toBe('E_INPUT_INVALID');
    expect(await code(() => readMedicalImage(Uint8Array.from([1, 2, 3]), { voi: { center: 1e17, width: 400 } }))).toBe('E_INPUT_INVALID');
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

/**
 * A 2×2 MONOCHROME2 CT file with `bits` stored bits (16 or 32, unsigned), the given rescale and, when
 * `window` is given, its own VOI window (DS values).
 */
function rescaledFile(bits: 16 | 32, pixels: number[], slope: string, intercept: string, window?: [string, string]): Uint8Array {
  const body = encode(
    [
      [0x0008, 0x0016, 'UI', text('1.2.840.10008.5.1.4.1.1.2', 0)],
      [0x0008, 0x0060, 'CS', text('CT')],
      [0x0028, 0x0002, 'US', u16(1)],
      [0x0028, 0x0004, 'CS', text('MONOCHROME2')],
      [0x0028, 0x0010, 'US', u16(2)],
      [0x0028, 0x0011, 'US', u16(2)],
      [0x0028, 0x0100, 'US', u16(bits)],
      [0x0028, 0x0101, 'US', u16(bits)],
      [0x0028, 0x0102, 'US', u16(bits - 1)],
      [0x0028, 0x0103, 'US', u16(0)],
      ...(window ? [[0x0028, 0x1050, 'DS', text(window[0])] as El, [0x0028, 0x1051, 'DS', text(window[1])] as El] : []),
      [0x0028, 0x1052, 'DS', text(intercept)],
      [0x0028, 0x1053, 'DS', text(slope)],
      [0x7fe0, 0x0010, 'OW', pixels.flatMap(bits === 16 ? u16 : u32)],
    ],
    true,
  );
  return file('part10', EXPLICIT, body);
}

describe('the window bound covers every modality value the reader gives (review: slope 1e6 went past 1e10)', () => {
  it("is derived from the reader's rescale limits: a window centred on 0 over ±the largest value fits", () => {
    expect(MAX_MODALITY_VALUE).toBe((2 ** 32 - 1) * MAX_RESCALE_SLOPE + MAX_RESCALE_INTERCEPT);
    expect(MAX_WINDOW).toBeGreaterThanOrEqual(2 * MAX_MODALITY_VALUE);
  });

  it('a 16-bit file at RescaleSlope 1e6 is shown through its own window, and a user window at that scale works', async () => {
    // Modality values 0, 2e10, 4e10 and 6.55e10; the file's window is 3.2e10 / 4e10 (it was passed over for min..max).
    const image = await readDicom(rescaledFile(16, [0, 20000, 40000, 65535], '1000000', '0', ['3.2e10', '4e10']));
    const modality = dicomToModality(image);
    expect(Array.from(modality)).toEqual([0, 2e10, 4e10, Math.fround(65535e6)]);
    const shown = Array.from(dicomToDisplay(image).data);
    expect(shown).toEqual(Array.from(applyWindow(modality, 3.2e10, 4e10)));
    expect(shown).not.toEqual(Array.from(dicomToDisplay(image, { voi: 'minmax' }).data));
    [0, 0.2, 0.7, 1].forEach((v, i) => expect(shown[i]).toBeCloseTo(v, 6));
    // The same window given by the user (it was E_INPUT_INVALID 'at most 1e10'), and through readMedicalImage.
    expect(Array.from(dicomToDisplay(image, { voi: { center: 3.2e10, width: 4e10 } }).data)).toEqual(shown);
    const read = await readMedicalImage(rescaledFile(16, [0, 20000, 40000, 65535], '1000000', '0'), {
      voi: { center: 3.2e10, width: 4e10 },
    });
    expect(Array.from(read.image.data)).toEqual(shown);
  });

  it('a 32-bit file at the largest slope and intercept: its own full-range window and a user window over ±the largest value', async () => {
    const top = Math.fround(MAX_MODALITY_VALUE);
    const image = await readDicom(rescaledFile(32, [0, 2 ** 31, 2 ** 32 - 1, 1], '1e6', '1e9', ['2147484147500000', '4294967295000000']));
    const modality = dicomToModality(image);
    expect(modality[2]).toBe(top);
    const shown = Array.from(dicomToDisplay(image).data);
    expect(shown).toEqual(Array.from(applyWindow(modality, 2147484147500000, 4294967295000000)));
    [0, 0.5, 1, 0].forEach((v, i) => expect(shown[i]).toBeCloseTo(v, 6));
    const wide = Array.from(dicomToDisplay(image, { voi: { center: 0, width: 2 * MAX_MODALITY_VALUE, function: 'LINEAR_EXACT' } }).data);
    [0.5, 0.75, 1, 0.5].forEach((v, i) => expect(wide[i]).toBeCloseTo(v, 6));
    // Negative slope and intercept: the lowest value the reader gives.
    const low = await readDicom(rescaledFile(32, [0, 2 ** 32 - 1, 0, 0], '-1e6', '-1e9'));
    expect(dicomToModality(low)[1]).toBe(-top);
    const lowShown = Array.from(dicomToDisplay(low, { voi: { center: -top, width: 1e9 } }).data);
    expect(lowShown[1]).toBeCloseTo(0.5, 6);
  });
});

describe('the rescale and window messages name the bounds their checks enforce (they were literals beside the constants)', () => {
  it('boundText writes a bound as the docs do', () => {
    expect([1e6, 1e9, 1e16, 4.3e15, 1000, -2e7].map(boundText)).toEqual(['1e6', '1e9', '1e16', '4.3e15', '1000', '-2e7']);
  });

  it('a RescaleSlope or RescaleIntercept just past its bound is refused, with that bound in the message; at the bound it is read', async () => {
    const limits = `(|slope| ≤ ${boundText(MAX_RESCALE_SLOPE)}, |intercept| ≤ ${boundText(MAX_RESCALE_INTERCEPT)})`;
    expect(limits).toBe('(|slope| ≤ 1e6, |intercept| ≤ 1e9)');
    const slope = String(MAX_RESCALE_SLOPE + 1);
    const intercept = String(-(MAX_RESCALE_INTERCEPT + 1));
    for (const [s, i] of [
      [slope, '0'],
      ['1', intercept],
    ] as const) {
      const error = await readDicom(rescaledFile(16, [0, 1, 2, 3], s, i)).catch((e: unknown) => e);
      expect(AppliedMLError.hasCode(error, 'E_INPUT_INVALID'), String(error)).toBe(true);
      expect((error as Error).message).toBe(`RescaleSlope ${s} / RescaleIntercept ${i} are out of range ${limits}.`);
    }
    const edge = await readDicom(rescaledFile(16, [0, 1, 2, 3], String(-MAX_RESCALE_SLOPE), String(MAX_RESCALE_INTERCEPT)));
    expect(edge.metadata).toMatchObject({ rescaleSlope: -MAX_RESCALE_SLOPE, rescaleIntercept: MAX_RESCALE_INTERCEPT });
  });

  it('a window past MAX_WINDOW is refused naming MAX_WINDOW', () => {
    const values = new Float32Array([0, 1]);
    expect(() => applyWindow(values, 0, MAX_WINDOW * 2)).toThrow(`at most ${boundText(MAX_WINDOW)} (got`);
    expect(() => applyWindow(values, -MAX_WINDOW * 2, 1)).toThrow(`from -${boundText(MAX_WINDOW)} to ${boundText(MAX_WINDOW)} (got`);
    expect(boundText(MAX_WINDOW)).toBe('1e16');
  });
});
