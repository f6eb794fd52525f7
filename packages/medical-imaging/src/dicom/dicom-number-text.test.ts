// Review s28 R2: a Rescale Slope / Intercept whose text is not a number ("-1024,0" with a decimal comma,
// "abc", "1e400") was replaced by 1 / 0 without a word: a CT read 1024 HU off, its display all white.
import { describe, expect, it } from 'vitest';
import { readMedicalImage } from '../image-reader';
import { dicomToModality } from './dicom-pixels';
import { readDicom } from './dicom-reader';
import { EXPLICIT, encode, file, recorder, text, u16 } from './test-dicom-bytes';
import type { El } from './test-dicom-bytes';

/** A 2×2 16-bit CT of stored 1000..1003 with `extra` elements (group 0018 / 0020 / 0028, in tag order). */
function ct(extra: El[]): Uint8Array {
  const elements: El[] = [
    [0x0008, 0x0016, 'UI', text('1.2.840.10008.5.1.4.1.1.2', 0)],
    [0x0008, 0x0060, 'CS', text('CT')],
    [0x0028, 0x0002, 'US', u16(1)],
    [0x0028, 0x0004, 'CS', text('MONOCHROME2')],
    [0x0028, 0x0010, 'US', u16(2)],
    [0x0028, 0x0011, 'US', u16(2)],
    [0x0028, 0x0100, 'US', u16(16)],
    [0x0028, 0x0101, 'US', u16(16)],
    [0x0028, 0x0102, 'US', u16(15)],
    [0x0028, 0x0103, 'US', u16(0)],
    ...extra,
    [0x7fe0, 0x0010, 'OW', [1000, 1001, 1002, 1003].flatMap(u16)],
  ];
  elements.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return file('part10', EXPLICIT, encode(elements, true));
}

const rescale = (intercept: string, slope = '1'): El[] => [
  [0x0028, 0x1052, 'DS', text(intercept)],
  [0x0028, 0x1053, 'DS', text(slope)],
];

describe('DICOM number elements whose text is not a number', () => {
  it('an unreadable Rescale Intercept or Slope is E_INPUT_INVALID naming the element and its text (it became 0 / 1)', async () => {
    for (const [intercept, slope, tag, name, value] of [
      ['-1024,0', '1', '(0028,1052)', 'Rescale Intercept', '-1024,0'],
      ['abc', '1', '(0028,1052)', 'Rescale Intercept', 'abc'],
      ['1e400', '1', '(0028,1052)', 'Rescale Intercept', '1e400'],
      ['-1024', '0,5', '(0028,1053)', 'Rescale Slope', '0,5'],
      ['-1024', '1\\', '(0028,1053)', 'Rescale Slope', '1\\'],
    ]) {
      const bytes = ct(rescale(intercept!, slope));
      const error = await readDicom(bytes).catch((e: unknown) => e);
      expect(error, `${intercept} / ${slope}`).toMatchObject({
        code: 'E_INPUT_INVALID',
        details: { tag, name: name!.replace(' ', ''), value },
      });
      expect((error as Error).message).toBe(
        `The DICOM ${name} ${tag} is ${JSON.stringify(value)}, not a number: the modality values (e.g. Hounsfield units) cannot be computed without it.`,
      );
      await expect(readMedicalImage(bytes)).rejects.toMatchObject({ code: 'E_INPUT_INVALID', details: { tag } });
    }
  });

  it('readable ones, NUL or space padded, still map the stored values; an absent or empty one is 1 / 0', async () => {
    expect(Array.from(dicomToModality(await readDicom(ct(rescale('-1024 ')))))).toEqual([-24, -23, -22, -21]);
    const padded: El[] = [
      [0x0028, 0x1052, 'DS', [...Buffer.from('-1024'), 0]],
      [0x0028, 0x1053, 'DS', [...Buffer.from('2'), 0]],
    ];
    expect(Array.from(dicomToModality(await readDicom(ct(padded))))).toEqual([976, 978, 980, 982]);
    expect(Array.from(dicomToModality(await readDicom(ct([]))))).toEqual([1000, 1001, 1002, 1003]);
    const empty: El[] = [
      [0x0028, 0x1052, 'DS', []],
      [0x0028, 0x1053, 'DS', []],
    ];
    expect((await readDicom(ct(empty))).metadata).toMatchObject({ rescaleIntercept: 0, rescaleSlope: 1 });
  });

  it('an unreadable window, pixel spacing, thickness, position or orientation is left out with one warning each', async () => {
    const extra: El[] = [
      [0x0018, 0x0050, 'DS', text('2,5')],
      [0x0020, 0x0032, 'DS', text('0\\0\\x')],
      [0x0020, 0x0037, 'DS', text('1\\0\\0\\0\\1\\0')],
      [0x0028, 0x0030, 'DS', text('0,5\\0,5')],
      [0x0028, 0x1050, 'DS', text('40,5')],
      [0x0028, 0x1051, 'DS', text('400')],
      ...rescale('-1024'),
    ];
    const logger = recorder();
    const dicom = await readDicom(ct(extra), { logger });
    expect(dicom.metadata).toMatchObject({ rescaleIntercept: -1024, imageOrientationPatient: [1, 0, 0, 0, 1, 0] });
    for (const key of ['windowCenter', 'windowWidth', 'pixelSpacing', 'sliceThickness', 'imagePositionPatient'])
      expect(dicom.metadata, key).not.toHaveProperty(key);
    const warnings = logger.lines.filter(([level]) => level === 'warn').map(([, message]) => message);
    expect(warnings.sort()).toEqual([
      'dicom Image Position (Patient) (0020,0032) is "0\\\\0\\\\x", not a number: it is left out of the metadata',
      'dicom Pixel Spacing (0028,0030) is "0,5\\\\0,5", not a number: it is left out of the metadata',
      'dicom Slice Thickness (0018,0050) is "2,5", not a number: it is left out of the metadata',
      'dicom Window Center (0028,1050) is "40,5", not a number: the file\'s window is left out',
    ]);
    // Without its window the display is the frame's min..max, as for a file without one.
    const shown = await readMedicalImage(ct(extra));
    expect(Array.from(shown.image.data).map((v) => +v.toFixed(3))).toEqual([0, 0.333, 0.667, 1]);
  });
});
