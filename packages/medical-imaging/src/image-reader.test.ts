import { constants, deflateRawSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { dicomToColor } from './dicom/dicom-pixels';
import type { DicomImage } from './dicom/dicom-reader';
import { DEFAULT_MAX_DECODED_BYTES, rasterToColor, readImage, readMedicalImage, rasterToGray } from './image-reader';
import { EXPLICIT, dataSet, file } from './dicom/test-dicom-bytes';

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

function pngChunk(type: string, body: Uint8Array): Uint8Array {
  const typed = new Uint8Array(4 + body.length);
  typed.set(Buffer.from(type, 'latin1'));
  typed.set(body, 4);
  const chunk = new Uint8Array(8 + body.length + 4);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, body.length);
  chunk.set(typed, 4);
  view.setUint32(8 + body.length, crc32(typed));
  return chunk;
}

/**
 * A valid, all-zero (black, transparent) PNG of any size, built in milliseconds: a few rows of zeros are
 * deflated once with a full flush (which makes the block independent of what came before) and repeated,
 * as a decompression bomb would be. colorType 0 gray, 2 RGB, 4 gray + alpha, 6 RGBA.
 */
function zeroPng(width: number, height: number, colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16): Uint8Array {
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType];
  const rowBytes = 1 + width * channels * (bitDepth / 8);
  const block = Math.min(height, 64);
  const flushed = (rows: number): Uint8Array =>
    deflateRawSync(new Uint8Array(rows * rowBytes), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const whole = flushed(block);
  const parts: Uint8Array[] = [Uint8Array.from([0x78, 0x01])];
  for (let r = 0; r + block <= height; r += block) parts.push(whole);
  if (height % block) parts.push(flushed(height % block));
  const total = height * rowBytes; // the Adler-32 of `total` zero bytes: a = 1, b = total mod 65521
  parts.push(Uint8Array.from([0x03, 0x00]), Uint8Array.from([0, 0, 0, 0]));
  new DataView(parts.at(-1)!.buffer).setUint32(0, (((total % 65521) << 16) | 1) >>> 0);
  const idat = Buffer.concat(parts);
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([bitDepth, colorType, 0, 0, 0], 8);
  const signature = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', new Uint8Array(0))]);
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

  // Review R2-3: readMedicalImage(png, { frame: 3 }) returned the PNG's only image, as if frame 3 existed.
  it('a frame other than the first asked of a PNG is E_INPUT_INVALID; frame 0 reads it', async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .png()
      .toBuffer();
    for (const frame of [3, 1, -1, 0.5, '0'])
      await expect(readMedicalImage(png, { frame } as never), String(frame)).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
        details: { field: 'frame', format: 'png' },
      });
    await expect(readMedicalImage(png, { frame: 3 })).rejects.toThrow(
      'frame 3 applies to DICOM files and multi-page TIFFs; this is a png image with one frame (frame 0).',
    );
    expect((await readMedicalImage(png, { frame: 0 })).image.width).toBe(4);
    // A DICOM file's frames are still picked, and one it lacks still refused.
    const dcm = file('part10', EXPLICIT, dataSet(true));
    expect((await readMedicalImage(dcm, { frame: 0 })).format).toBe('dicom');
    await expect(readMedicalImage(dcm, { frame: 3 })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
  });
});

// From a fuzz review: a 784 KB all-black 16,384 × 16,384 RGB PNG (within maxPixels) took 7 GB and 37 s
// to read in colour, because the pixel limit did not count the bytes the read allocates.
describe('maxDecodedBytes', () => {
  it('the zero-PNG builder makes PNGs that decode', async () => {
    const png = zeroPng(70, 130, 2, 8);
    expect(inflateSync(png.subarray(33 + 8, png.length - 12 - 4)).length).toBe(130 * (1 + 70 * 3));
    const raster = await readImage(png);
    expect([raster.width, raster.height, raster.channels, raster.bitDepth]).toEqual([70, 130, 3, 8]);
    expect(raster.data.every((v) => v === 0)).toBe(true);
    // The samples are sharp's own output buffer, not a copy of it.
    expect(raster.data.buffer.byteLength).toBe(raster.data.byteLength);
    const deep = await readImage(zeroPng(9, 5, 6, 16));
    expect([deep.channels, deep.bitDepth, deep.data.length]).toEqual([4, 16, 9 * 5 * 4]);
  });

  it('a 16,384 × 16,384 RGB PNG of 0.8 MB is refused from its header, fast and without decoding', async () => {
    const png = zeroPng(16_384, 16_384, 2, 8);
    expect(png.length).toBeLessThan(2_000_000);
    const pixels = 16_384 * 16_384;
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const started = performance.now();
    try {
      // RGB samples (3 bytes a pixel), the grayscale image (4) and the colour one (12): 4.75 GiB.
      await expect(readMedicalImage(png, { color: true })).rejects.toMatchObject({
        code: 'E_INPUT_TOO_LARGE',
        message: expect.stringMatching(
          /16384 × 16384 image \(3 channels, 8-bit\) would allocate 4\.75 GiB, over the maxDecodedBytes limit of 1\.50 GiB/,
        ),
        details: {
          width: 16_384,
          height: 16_384,
          channels: 3,
          bitDepth: 8,
          decodedBytes: 19 * pixels,
          maxDecodedBytes: DEFAULT_MAX_DECODED_BYTES,
        },
      });
      await expect(readMedicalImage(png)).rejects.toMatchObject({ code: 'E_INPUT_TOO_LARGE', details: { decodedBytes: 7 * pixels } });
      await expect(readImage(png, { maxDecodedBytes: 2 ** 29 })).rejects.toMatchObject({
        code: 'E_INPUT_TOO_LARGE',
        details: { decodedBytes: 3 * pixels },
      });
    } finally {
      clearInterval(sampler);
    }
    expect(performance.now() - started).toBeLessThan(2000);
    peak = Math.max(peak, process.memoryUsage().rss);
    // Decoding would take 768 MiB for the samples alone.
    expect(peak - before).toBeLessThan(100 * 2 ** 20);
  });

  it('the default reads any 8,192 × 8,192 image in colour (at most 24 bytes a pixel); 4,096 × 4,096 16-bit grayscale needs 96 MiB', async () => {
    const refusedAt = async (png: Uint8Array, color: boolean): Promise<number> => {
      const error = await readMedicalImage(png, { color, maxDecodedBytes: 1 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'E_INPUT_TOO_LARGE' });
      return (error as { details: { decodedBytes: number } }).details.decodedBytes;
    };
    const rgba16 = await refusedAt(zeroPng(8192, 8192, 6, 16), true);
    expect(rgba16).toBe(24 * 8192 * 8192);
    expect(rgba16).toBeLessThanOrEqual(DEFAULT_MAX_DECODED_BYTES);
    expect(await refusedAt(zeroPng(8192, 8192, 2, 8), true)).toBe(19 * 8192 * 8192);
    expect(await refusedAt(zeroPng(4096, 4096, 0, 16), false)).toBe(6 * 4096 * 4096);
  });

  it('counts channels × bytes a sample, the Float32 images, and the full buffer of an interlaced PNG or a rotation', async () => {
    const pixels = 64 * 48;
    const png = zeroPng(64, 48, 2, 16);
    // readImage: the 16-bit RGB samples only.
    await expect(readImage(png, { maxDecodedBytes: 6 * pixels - 1 })).rejects.toMatchObject({ code: 'E_INPUT_TOO_LARGE' });
    expect((await readImage(png, { maxDecodedBytes: 6 * pixels })).data).toHaveLength(3 * pixels);
    // readMedicalImage: plus the grayscale image (4 bytes a pixel), plus the colour one (12) with color: true.
    await expect(readMedicalImage(png, { maxDecodedBytes: 10 * pixels - 1 })).rejects.toMatchObject({ code: 'E_INPUT_TOO_LARGE' });
    expect((await readMedicalImage(png, { maxDecodedBytes: 10 * pixels, voi: 'minmax' })).image.width).toBe(64);
    await expect(readMedicalImage(png, { color: true, maxDecodedBytes: 22 * pixels - 1 })).rejects.toMatchObject({
      code: 'E_INPUT_TOO_LARGE',
    });
    expect((await readMedicalImage(png, { color: true, maxDecodedBytes: 22 * pixels })).color?.channels).toBe(3);
    // A grayscale input has no colour image to count.
    expect((await readMedicalImage(zeroPng(64, 48, 0, 8), { color: true, maxDecodedBytes: 5 * pixels })).color).toBeUndefined();
    const decoded = async (bytes: Uint8Array): Promise<unknown> =>
      (await readImage(bytes, { maxDecodedBytes: 1 }).catch(
        (e: { details: { decodedBytes: number } }) => e.details.decodedBytes,
      )) as unknown;
    const rgb = sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 9, g: 9, b: 9 } } });
    expect(await decoded(await rgb.clone().png().toBuffer())).toBe(3 * pixels);
    // An interlaced PNG is decoded whole before conversion, at its own depth.
    expect(await decoded(await rgb.clone().png({ progressive: true }).toBuffer())).toBe(6 * pixels);
    expect(await decoded(await rgb.clone().toColourspace('rgb16').png({ progressive: true }).toBuffer())).toBe(12 * pixels);
    // A progressive JPEG holds 2 bytes a DCT coefficient: 3 bytes a pixel at 4:2:0, 6 at 4:4:4.
    expect(await decoded(await rgb.clone().jpeg({ progressive: true }).toBuffer())).toBe(6 * pixels);
    expect(await decoded(await rgb.clone().jpeg({ progressive: true, chromaSubsampling: '4:4:4' }).toBuffer())).toBe(9 * pixels);
    // A JPEG the EXIF orientation turns: one more copy of the samples.
    expect(await decoded(await rgb.clone().jpeg().withMetadata({ orientation: 6 }).toBuffer())).toBe(6 * pixels);
  });

  it('a maxDecodedBytes that is not a positive integer is E_INPUT_INVALID, for DICOM input too (where it is applied)', async () => {
    const png = zeroPng(4, 4, 0, 8);
    const dicom = file('part10', EXPLICIT, dataSet(true));
    for (const bad of [0, -1, 1.5, Number.NaN, '1024']) {
      await expect(readImage(png, { maxDecodedBytes: bad as number })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
      await expect(readMedicalImage(png, { maxDecodedBytes: bad as number })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
      await expect(readMedicalImage(dicom, { maxDecodedBytes: bad as number })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    }
    await expect(readMedicalImage(dicom, { maxDecodedBytes: 1 })).rejects.toMatchObject({ code: 'E_INPUT_TOO_LARGE' });
    expect((await readMedicalImage(dicom, { maxDecodedBytes: 56 })).format).toBe('dicom');
  });
});

describe('raster channel counts', () => {
  it('rasterToColor and rasterToGray refuse a raster of more than 4 channels (E_INPUT_INVALID; 5 channels gave zeros)', () => {
    const five = { width: 1, height: 1, channels: 5, bitDepth: 8 as const, data: Uint8Array.of(10, 20, 30, 40, 50), format: 'raw' };
    expect(() => rasterToColor(five)).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringMatching(/1 to 4 channels/) }),
    );
    expect(() => rasterToGray(five)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    const rgba = { ...five, channels: 4, data: Uint8Array.of(255, 0, 51, 7) };
    expect(rasterToColor(rgba).data).toEqual(Float32Array.of(1, 0, 0.2));
  });
});

// Review R2-6 (docs): alpha is discarded, not composited; docs/medical-imaging.md says so. This pins it.
describe('alpha', () => {
  it('a transparent pixel reads as the colour stored under it', async () => {
    // Red, transparent; red, opaque; black, transparent; white, half transparent.
    const rgba = Buffer.from([255, 0, 0, 0, 255, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 128]);
    const png = await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } })
      .png()
      .toBuffer();
    expect((await readImage(png)).channels).toBe(4);
    const { image, color } = await readMedicalImage(png, { color: true });
    expect(Array.from(image.data)).toEqual([Math.fround(0.299), Math.fround(0.299), 0, 1]);
    expect(Array.from(color!.data)).toEqual([1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1]);
  });
});
