// Review s28 R2: a valid uncompressed YBR_FULL_422 file (two samples a pixel: Y1 Y2 Cb Cr for each pair
// of pixels) was refused as "truncated", its pixel data counted at three samples a pixel.
import { describe, expect, it } from 'vitest';
import { readMedicalImage } from '../image-reader';
import { dicomToColor } from './dicom-pixels';
import { readDicom } from './dicom-reader';
import { EXPLICIT, encode, file, text, u16 } from './test-dicom-bytes';
import type { El } from './test-dicom-bytes';

function ybr(
  pixelData: number[],
  spec: { rows?: number; columns?: number; bits?: 8 | 16; photometric?: string; planar?: number } = {},
): Uint8Array {
  const bits = spec.bits ?? 8;
  const elements: El[] = [
    [0x0008, 0x0016, 'UI', text('1.2.840.10008.5.1.4.1.1.77.1.4', 0)],
    [0x0008, 0x0060, 'CS', text('XC')],
    [0x0028, 0x0002, 'US', u16(3)],
    [0x0028, 0x0004, 'CS', text(spec.photometric ?? 'YBR_FULL_422')],
    [0x0028, 0x0006, 'US', u16(spec.planar ?? 0)],
    [0x0028, 0x0010, 'US', u16(spec.rows ?? 2)],
    [0x0028, 0x0011, 'US', u16(spec.columns ?? 4)],
    [0x0028, 0x0100, 'US', u16(bits)],
    [0x0028, 0x0101, 'US', u16(bits)],
    [0x0028, 0x0102, 'US', u16(bits - 1)],
    [0x0028, 0x0103, 'US', u16(0)],
    [0x7fe0, 0x0010, bits === 8 ? 'OB' : 'OW', bits === 8 ? pixelData : pixelData.flatMap(u16)],
  ];
  return file('part10', EXPLICIT, encode(elements, true));
}

// 4 × 2 pixels: Y1 Y2 Cb Cr for each pair, row by row.
const STORED = [100, 110, 90, 200, 50, 60, 160, 40, 30, 250, 128, 128, 0, 255, 255, 0];

describe('uncompressed YBR_FULL_422', () => {
  it('is decoded: each pair of pixels gets its chroma, and RGB is what pydicom 3.0.2 gives', async () => {
    const dicom = await readDicom(ybr(STORED));
    expect(dicom).toMatchObject({ samplesPerPixel: 3, photometric: 'YBR_FULL', metadata: { photometricInterpretation: 'YBR_FULL_422' } });
    expect(Array.from(dicom.frames[0]!)).toEqual([
      100, 90, 200, 110, 90, 200, 50, 160, 40, 60, 160, 40, 30, 128, 128, 250, 128, 128, 0, 255, 0, 255, 255, 0,
    ]);
    // pydicom.dcmread(...).pixel_array (YBR_FULL_422 converted to RGB) of the same file.
    const rgb = Array.from(dicomToColor(dicom)!.data).map((v) => Math.round(v * 255));
    expect(rgb).toEqual([201, 62, 33, 211, 72, 43, 0, 102, 107, 0, 112, 117, 30, 30, 30, 250, 250, 250, 0, 48, 225, 76, 255, 255]);
    const read = await readMedicalImage(ybr(STORED), { color: true });
    expect(read.color?.data.length).toBe(24);
    expect(read.image.width).toBe(4);
  });

  it('16-bit samples too', async () => {
    const dicom = await readDicom(ybr([1000, 2000, 300, 400, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], { bits: 16 }));
    expect(Array.from(dicom.frames[0]!.slice(0, 6))).toEqual([1000, 300, 400, 2000, 300, 400]);
  });

  it('pixel data shorter than two samples a pixel is still truncated; odd columns, planar or YBR_PARTIAL_422 are E_FORMAT_UNSUPPORTED', async () => {
    await expect(readDicom(ybr(STORED.slice(0, 12)))).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      details: { expectedBytes: 16, actualBytes: 12 },
    });
    await expect(readDicom(ybr([...STORED, 1, 2], { columns: 3, rows: 3 }))).rejects.toMatchObject({
      code: 'E_FORMAT_UNSUPPORTED',
      message: expect.stringContaining('its 3 columns are odd') as unknown,
    });
    await expect(readDicom(ybr(STORED, { planar: 1 }))).rejects.toMatchObject({
      code: 'E_FORMAT_UNSUPPORTED',
      message: expect.stringContaining('Planar Configuration 1') as unknown,
    });
    await expect(readDicom(ybr(STORED, { photometric: 'YBR_PARTIAL_422' }))).rejects.toMatchObject({
      code: 'E_FORMAT_UNSUPPORTED',
      details: { photometricInterpretation: 'YBR_PARTIAL_422' },
    });
  });
});
