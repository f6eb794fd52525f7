// Pixel Padding Value (0028,0120) and Pixel Padding Range Limit (0028,0121): CT scanners fill the
// corners outside the scanned circle with a value far below air (-2000 stored, -3024 HU). A file without
// a window was shown min..max over those corners too, so the anatomy sat in the top third of the gray
// scale; the reader now keeps the padding in metadata and dicomToDisplay's min..max leaves it out.
import { describe, expect, it } from 'vitest';
import { readMedicalImage } from '../image-reader';
import { dicomToDisplay, dicomToModality } from './dicom-pixels';
import { readDicom } from './dicom-reader';
import { EXPLICIT, IMPLICIT, encode, file, text, u16 } from './test-dicom-bytes';
import type { El } from './test-dicom-bytes';

/** A 2×2 signed 16-bit CT (intercept -1024, no window) with the given padding elements. */
function paddedCt(pixels: number[], padding: El[], explicit = true): Uint8Array {
  const body = encode(
    [
      [0x0008, 0x0016, 'UI', text('1.2.840.10008.5.1.4.1.1.2', 0)],
      [0x0008, 0x0060, 'CS', text('CT')],
      [0x0028, 0x0002, 'US', u16(1)],
      [0x0028, 0x0004, 'CS', text('MONOCHROME2')],
      [0x0028, 0x0010, 'US', u16(2)],
      [0x0028, 0x0011, 'US', u16(2)],
      [0x0028, 0x0100, 'US', u16(16)],
      [0x0028, 0x0101, 'US', u16(16)],
      [0x0028, 0x0102, 'US', u16(15)],
      [0x0028, 0x0103, 'US', u16(1)],
      ...padding,
      [0x0028, 0x1052, 'DS', text('-1024')],
      [0x0028, 0x1053, 'DS', text('1')],
      [0x7fe0, 0x0010, 'OW', pixels.flatMap(u16)],
    ],
    explicit,
  );
  return file('part10', explicit ? EXPLICIT : IMPLICIT, body);
}

describe('Pixel Padding Value', () => {
  it('is read (SS, or by Pixel Representation in implicit VR) and left out of min..max: the corners clamp to black', async () => {
    for (const explicit of [true, false]) {
      const image = await readDicom(paddedCt([-2000, 0, 500, 1000], [[0x0028, 0x0120, 'SS', u16(-2000)]], explicit));
      expect(image.metadata.pixelPaddingValue).toBe(-2000);
      expect(Array.from(dicomToModality(image))).toEqual([-3024, -1024, -524, -24]); // modality values as stored
      // Without the padding left out: [0, 0.667, 0.833, 1]; the three real pixels now span the scale.
      expect(Array.from(dicomToDisplay(image).data)).toEqual([0, 0, 0.5, 1]);
      expect(Array.from(dicomToDisplay(image, { voi: 'minmax' }).data)).toEqual([0, 0, 0.5, 1]);
      // A window given is applied to every pixel as before.
      expect(dicomToDisplay(image, { voi: { center: -1024, width: 2000 } }).data[0]).toBe(0);
    }
    const read = await readMedicalImage(paddedCt([-2000, 0, 500, 1000], [[0x0028, 0x0120, 'SS', u16(-2000)]]));
    expect(Array.from(read.image.data)).toEqual([0, 0, 0.5, 1]);
  });

  // The VR should follow Pixel Representation; written as US or UN on a signed image it was read
  // unsigned (63536 for -2000), matched no pixel and changed nothing, without a word.
  it('written with VR US or UN on signed pixels, it is read signed as the pixels are', async () => {
    for (const vr of ['US', 'UN']) {
      const image = await readDicom(paddedCt([-2000, 0, 500, 1000], [[0x0028, 0x0120, vr, u16(-2000)]]));
      expect(image.metadata.pixelPaddingValue).toBe(-2000);
      expect(Array.from(dicomToDisplay(image).data)).toEqual([0, 0, 0.5, 1]);
    }
  });

  it('a Pixel Padding Range Limit pads the whole range (either order); a file without padding is scaled as before', async () => {
    const ranged = await readDicom(
      paddedCt(
        [-2000, -1500, 0, 1000],
        [
          [0x0028, 0x0120, 'SS', u16(-1500)],
          [0x0028, 0x0121, 'SS', u16(-2048)],
        ],
      ),
    );
    expect(ranged.metadata).toMatchObject({ pixelPaddingValue: -1500, pixelPaddingRangeLimit: -2048 });
    expect(Array.from(dicomToDisplay(ranged).data)).toEqual([0, 0, 0, 1]);
    const plain = await readDicom(paddedCt([-2000, 0, 500, 1000], []));
    expect(plain.metadata.pixelPaddingValue).toBeUndefined();
    expect(Array.from(dicomToDisplay(plain).data)).toEqual([0, 2000 / 3000, 2500 / 3000, 1].map(Math.fround));
    // Padding declared but on no pixel, or on every pixel: min..max as before, and all black.
    const unused = await readDicom(paddedCt([-2000, 0, 500, 1000], [[0x0028, 0x0120, 'SS', u16(-3000)]]));
    expect(Array.from(dicomToDisplay(unused).data)).toEqual(Array.from(dicomToDisplay(plain).data));
    const all = await readDicom(paddedCt([7, 7, 7, 7], [[0x0028, 0x0120, 'SS', u16(7)]]));
    expect(Array.from(dicomToDisplay(all).data)).toEqual([0, 0, 0, 0]);
  });
});
