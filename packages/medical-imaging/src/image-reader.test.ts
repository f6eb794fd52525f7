import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { readImage, readMedicalImage, rasterToGray } from './image-reader';

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
