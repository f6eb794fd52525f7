import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { dicomToColor } from './dicom/dicom-pixels';
import type { DicomImage } from './dicom/dicom-reader';
import { rasterToColor, readImage, readMedicalImage, rasterToGray } from './image-reader';

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A PNG that declares width × height in its header but carries (almost) no data: a decompression bomb's header. */
function bombPng(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(17);
  const view = new DataView(ihdr.buffer);
  ihdr.set([0x49, 0x48, 0x44, 0x52]);
  view.setUint32(4, width);
  view.setUint32(8, height);
  ihdr.set([8, 0, 0, 0, 0], 12);
  const chunk = new Uint8Array(4 + 17 + 4);
  new DataView(chunk.buffer).setUint32(0, 13);
  chunk.set(ihdr, 4);
  new DataView(chunk.buffer).setUint32(21, crc32(ihdr));
  const iend = Uint8Array.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
  return Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...chunk, ...iend]);
}

describe('image reader (sharp)', () => {
  it('keeps 16-bit PNG samples at 16 bits', async () => {
    const values = new Uint16Array([0, 1000, 40000, 65535]);
    const png = await sharp(values, { raw: { width: 2, height: 2, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    const raster = await readImage(png);
    expect(raster.bitDepth).toBe(16);
    expect(Array.from(raster.data).filter((_, i) => i % raster.channels === 0)).toEqual([0, 1000, 40000, 65535]);
    const gray = rasterToGray(raster);
    expect(gray.data[3]).toBeCloseTo(1, 6);
  });

  it('reads an 8-bit RGB PNG as grayscale in [0, 1]', async () => {
    const png = await sharp({ create: { width: 4, height: 3, channels: 3, background: { r: 255, g: 255, b: 255 } } })
      .png()
      .toBuffer();
    const { image, format } = await readMedicalImage(png);
    expect(format).toBe('png');
    expect([image.width, image.height]).toEqual([4, 3]);
    expect(image.data[0]).toBeCloseTo(1, 5);
  });

  it('refuses a PNG declaring 100,000 × 100,000 pixels from its header, without decoding', async () => {
    const started = performance.now();
    await expect(readImage(bombPng(100_000, 100_000))).rejects.toMatchObject({ code: 'E_INPUT_TOO_LARGE' });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('rejects non-image bytes, empty input and a truncated PNG with typed errors', async () => {
    await expect(readMedicalImage(new TextEncoder().encode('{"not": "an image"}'))).rejects.toMatchObject({ code: 'E_FORMAT_UNSUPPORTED' });
    await expect(readImage(new Uint8Array(0))).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 10, g: 200, b: 30 } } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    await expect(readImage(png.subarray(0, png.length - 200))).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
  });

  it('an SVG (text sharp would render) is E_FORMAT_UNSUPPORTED; a maxPixels that is not a positive integer is refused for DICOM too', async () => {
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>');
    await expect(readImage(svg)).rejects.toMatchObject({ code: 'E_FORMAT_UNSUPPORTED', message: expect.stringMatching(/svg/) });
    await expect(readMedicalImage(svg)).rejects.toMatchObject({ code: 'E_FORMAT_UNSUPPORTED' });
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 1, g: 2, b: 3 } } })
      .png()
      .toBuffer();
    await expect(readMedicalImage(png, { maxPixels: Number.NaN })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
  });
});

// From a first-hour review (a PACS integrator): colour for an RGB-trained segmenter, 12-bit data in 16-bit PNGs.
describe('colour and stored ranges', () => {
  it('color: true returns an RGB input as RGB in [0, 1] beside its luminance; a grayscale one has none', async () => {
    const rgb = await sharp(Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]), {
      raw: { width: 2, height: 2, channels: 3 },
    })
      .png()
      .toBuffer();
    const read = await readMedicalImage(rgb, { color: true });
    expect(read.color?.channels).toBe(3);
    expect(Array.from(read.color!.data).map((v) => Number(v.toFixed(3)))).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]);
    expect(read.image.data[0]).toBeCloseTo(0.299, 3);
    expect((await readMedicalImage(rgb)).color).toBeUndefined();
    const gray = await sharp(Uint8Array.from([0, 128, 255, 64]), { raw: { width: 2, height: 2, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    expect((await readMedicalImage(gray, { color: true })).color).toBeUndefined();
    expect(Array.from(rasterToColor(await readImage(gray)).data.subarray(0, 6)).map((v) => Number(v.toFixed(3)))).toEqual([
      0, 0, 0, 0.502, 0.502, 0.502,
    ]);
  });

  it("a 12-bit image in a 16-bit PNG: 'auto' divides by 65535, 'minmax' stretches its range, a window is in stored units", async () => {
    const values = new Uint16Array([0, 1024, 2048, 4095]);
    const png = await sharp(values, { raw: { width: 2, height: 2, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    expect((await readMedicalImage(png)).image.data[3]).toBeCloseTo(4095 / 65535, 6);
    expect(Array.from((await readMedicalImage(png, { voi: 'minmax' })).image.data).map((v) => Number(v.toFixed(4)))).toEqual([
      0, 0.2501, 0.5001, 1,
    ]);
    const windowed = (await readMedicalImage(png, { voi: { center: 2048, width: 2048 } })).image.data;
    expect([windowed[0], windowed[3]]).toEqual([0, 1]);
    expect(windowed[2]).toBeCloseTo(0.5, 2);
  });

  it('dicomToColor converts YBR_FULL to RGB and gives nothing for a grayscale frame', () => {
    const base = { rows: 1, columns: 2, tags: [] };
    const metadata = { bitsStored: 8, rescaleSlope: 1, rescaleIntercept: 0 } as DicomImage['metadata'];
    // Pure red and mid gray in YBR_FULL (8 bits).
    const ybr = { ...base, samplesPerPixel: 3, photometric: 'YBR_FULL', frames: [Uint8Array.from([76, 85, 255, 128, 128, 128])], metadata };
    const rgb = dicomToColor(ybr)!;
    expect(Array.from(rgb.data).map((v) => Number(v.toFixed(2)))).toEqual([1, 0, 0, 0.5, 0.5, 0.5]);
    expect(
      dicomToColor({ ...base, samplesPerPixel: 1, photometric: 'MONOCHROME2', frames: [Uint8Array.from([1, 2])], metadata }),
    ).toBeUndefined();
    expect(() => dicomToColor({ ...ybr, photometric: 'YBR_PARTIAL_420' })).toThrow(
      expect.objectContaining({ code: 'E_FORMAT_UNSUPPORTED' }),
    );
  });
});

describe('reader options', () => {
  it('null or misspelt options are E_INPUT_INVALID, not a TypeError', async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .png()
      .toBuffer();
    await expect(readImage(png, null as never)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(readMedicalImage(png, null as never)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(readMedicalImage(png, { frames: 1 } as never)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    expect((await readMedicalImage(png)).image.width).toBe(4);
  });
});
