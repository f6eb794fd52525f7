// A Modality LUT Sequence (0028,3000) in place of RescaleSlope / RescaleIntercept (some CR, XA and US
// files): it was ignored, so dicomToModality gave the stored values and the file's window, written for
// the LUT's output, was applied to them. The reader now keeps it (metadata.modalityLut) and
// dicomToModality / dicomToDisplay map each stored value through it.
import { describe, expect, it } from 'vitest';
import { applyWindow, dicomToDisplay, dicomToModality } from './dicom-pixels';
import { readDicom } from './dicom-reader';
import { EXPLICIT, IMPLICIT, encode, file, text, u16, u32 } from './test-dicom-bytes';
import type { El } from './test-dicom-bytes';

/** A 2×2 unsigned 16-bit CR image with a window of 250 / 200 and, when given, a Modality LUT Sequence. */
function crWithLut(pixels: number[], lut: { first: number; data: number[] } | undefined, explicit = true): Uint8Array {
  const item = lut
    ? encode(
        [
          [0x0028, 0x3002, 'US', [...u16(lut.data.length), ...u16(lut.first), ...u16(16)]],
          [0x0028, 0x3006, 'US', lut.data.flatMap(u16)],
        ],
        explicit,
      )
    : [];
  const sequence: El[] = lut ? [[0x0028, 0x3000, 'SQ', [...u16(0xfffe), ...u16(0xe000), ...u32(item.length), ...item]]] : [];
  const body = encode(
    [
      [0x0008, 0x0016, 'UI', text('1.2.840.10008.5.1.4.1.1.1', 0)],
      [0x0008, 0x0060, 'CS', text('CR')],
      [0x0028, 0x0002, 'US', u16(1)],
      [0x0028, 0x0004, 'CS', text('MONOCHROME2')],
      [0x0028, 0x0010, 'US', u16(2)],
      [0x0028, 0x0011, 'US', u16(2)],
      [0x0028, 0x0100, 'US', u16(16)],
      [0x0028, 0x0101, 'US', u16(12)],
      [0x0028, 0x0102, 'US', u16(11)],
      [0x0028, 0x0103, 'US', u16(0)],
      [0x0028, 0x1050, 'DS', text('250')],
      [0x0028, 0x1051, 'DS', text('200')],
      ...sequence,
      [0x7fe0, 0x0010, 'OW', pixels.flatMap(u16)],
    ],
    explicit,
  );
  return file('part10', explicit ? EXPLICIT : IMPLICIT, body);
}

describe('Modality LUT Sequence', () => {
  it('maps each stored value through the LUT (clamped to its ends), in explicit and implicit VR; the window applies to its output', async () => {
    for (const explicit of [true, false]) {
      const image = await readDicom(crWithLut([9, 10, 12, 20], { first: 10, data: [100, 200, 300, 400] }, explicit));
      expect(image.metadata.modalityLut).toEqual({ firstMapped: 10, bits: 16, data: [100, 200, 300, 400] });
      const modality = dicomToModality(image);
      expect(Array.from(modality)).toEqual([100, 100, 300, 400]); // the stored values were [9, 10, 12, 20]
      expect(Array.from(dicomToDisplay(image).data)).toEqual(Array.from(applyWindow(modality, 250, 200)));
      expect(Array.from(dicomToDisplay(image).data)).toEqual([0, 0, expect.closeTo(0.75, 2), 1]);
    }
  });

  it('a file without one is rescaled as before', async () => {
    const image = await readDicom(crWithLut([9, 10, 12, 20], undefined));
    expect(image.metadata.modalityLut).toBeUndefined();
    expect(Array.from(dicomToModality(image))).toEqual([9, 10, 12, 20]);
  });
});
