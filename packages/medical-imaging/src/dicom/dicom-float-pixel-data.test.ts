import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { readMedicalImage } from '../image-reader';
import { readDicom } from './dicom-reader';
import { EXPLICIT, IMPLICIT, encode, file, text, u16 } from './test-dicom-bytes';
import type { El } from './test-dicom-bytes';

// Parametric maps and other computed images hold their values as floats, in Float Pixel Data (7FE0,0008)
// or Double Float Pixel Data (7FE0,0009). Such a file was E_INPUT_INVALID "holds no pixel data
// (7FE0,0010)", as if it were damaged or had no image; it is E_FORMAT_UNSUPPORTED naming the element now.

/** A 2 × 2 32-bit (or 64-bit) image whose values are in `element` (7FE0,0008 or 7FE0,0009). */
function floatImage(explicit: boolean, element: 0x0008 | 0x0009): number[] {
  const bits = element === 0x0008 ? 32 : 64;
  const values = new Array<number>((4 * bits) / 8).fill(0);
  const elements: El[] = [
    [0x0008, 0x0016, 'UI', text('1.2.840.10008.5.1.4.1.1.30', 0)],
    [0x0008, 0x0060, 'CS', text('MR')],
    [0x0028, 0x0002, 'US', u16(1)],
    [0x0028, 0x0004, 'CS', text('MONOCHROME2')],
    [0x0028, 0x0010, 'US', u16(2)],
    [0x0028, 0x0011, 'US', u16(2)],
    [0x0028, 0x0100, 'US', u16(bits)],
    [0x7fe0, element, element === 0x0008 ? 'OF' : 'OD', values],
  ];
  return encode(elements, explicit);
}

async function failure(p: Promise<unknown>): Promise<AppliedMLError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
  return error as AppliedMLError;
}

describe('DICOM floating point pixel data', () => {
  it('Float / Double Float Pixel Data is E_FORMAT_UNSUPPORTED naming the element', async () => {
    for (const [element, name, tag] of [
      [0x0008, 'Float Pixel Data', '7FE0,0008'],
      [0x0009, 'Double Float Pixel Data', '7FE0,0009'],
    ] as const)
      for (const [explicit, syntax] of [
        [true, EXPLICIT],
        [false, IMPLICIT],
      ] as const) {
        const bytes = file('part10', syntax, floatImage(explicit, element));
        for (const read of [readDicom(bytes), readMedicalImage(bytes)]) {
          const e = await failure(read);
          expect(e.code, e.message).toBe('E_FORMAT_UNSUPPORTED');
          expect(e.message).toBe(`The DICOM file holds ${name} (${tag}), which is not decoded: only integer Pixel Data (7FE0,0010) is.`);
          expect(e.details).toEqual({ element: tag, name });
        }
      }
  });

  it('a file with no pixel data at all is still E_INPUT_INVALID', async () => {
    const header = encode([[0x0028, 0x0010, 'US', u16(2)]], true);
    const e = await failure(readDicom(file('part10', EXPLICIT, header)));
    expect(e.code).toBe('E_INPUT_INVALID');
    expect(e.message).toBe(
      'The DICOM file holds no pixel data (7FE0,0010): its data set ends after (0028,0010), so the file is truncated, or holds no image.',
    );
  });
});
