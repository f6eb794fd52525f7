// Review s28 R2: float, 32-bit and signed TIFFs came back silently wrong (a float32 0.5 read as 0, a
// signed 16-bit -1000 as 0, a uint32 4e9 as 0), and a multi-page TIFF was said to have one frame.
import { describe, expect, it } from 'vitest';
import { rasterToColor, rasterToGray, readImage, readMedicalImage } from './image-reader';
import type { RasterImage } from './image-reader';
import { EXPLICIT, dataSet, file } from './dicom/test-dicom-bytes';

interface Page {
  width: number;
  height: number;
  /** BitsPerSample. */
  bits: number;
  /** SampleFormat: 1 unsigned, 2 signed, 3 float. */
  sampleFormat: number;
  /** The samples' bytes, little-endian, interleaved. */
  data: Uint8Array;
  samplesPerPixel?: number;
}

/** A little-endian, uncompressed TIFF holding one image directory a page, as scientific exports write them. */
function tiff(...pages: Page[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 8;
  const place = (bytes: Uint8Array): number => {
    const at = size;
    parts.push(bytes);
    size += bytes.length + (bytes.length % 2);
    if (bytes.length % 2) parts.push(new Uint8Array(1));
    return at;
  };
  const header = new Uint8Array(8);
  new DataView(header.buffer).setUint16(0, 0x4949);
  new DataView(header.buffer).setUint16(2, 42, true);
  const ifdAt: number[] = [];
  const ifds: DataView[] = [];
  for (const page of pages) {
    const spp = page.samplesPerPixel ?? 1;
    const dataAt = place(page.data);
    const bitsAt = spp > 2 ? place(new Uint8Array(new Uint16Array(spp).fill(page.bits).buffer)) : 0;
    const formatAt = spp > 2 ? place(new Uint8Array(new Uint16Array(spp).fill(page.sampleFormat).buffer)) : 0;
    const entries: [number, number, number, number][] = [
      [256, 4, 1, page.width],
      [257, 4, 1, page.height],
      [258, 3, spp, spp > 2 ? bitsAt : page.bits],
      [259, 3, 1, 1],
      [262, 3, 1, spp >= 3 ? 2 : 1],
      [273, 4, 1, dataAt],
      [277, 3, 1, spp],
      [278, 4, 1, page.height],
      [279, 4, 1, page.data.length],
      [339, 3, spp, spp > 2 ? formatAt : page.sampleFormat],
    ];
    const ifd = new DataView(new ArrayBuffer(2 + 12 * entries.length + 4));
    ifd.setUint16(0, entries.length, true);
    entries.forEach(([tag, type, count, value], i) => {
      const o = 2 + 12 * i;
      ifd.setUint16(o, tag, true);
      ifd.setUint16(o + 2, type, true);
      ifd.setUint32(o + 4, count, true);
      if (type === 3 && count <= 2) ifd.setUint16(o + 8, value, true);
      else ifd.setUint32(o + 8, value, true);
    });
    ifdAt.push(place(new Uint8Array(ifd.buffer)));
    ifds.push(ifd);
  }
  // Chain the directories: the header points at the first, each at the next.
  new DataView(header.buffer).setUint32(4, ifdAt[0]!, true);
  ifds.forEach((ifd, i) => ifd.setUint32(ifd.byteLength - 4, ifdAt[i + 1] ?? 0, true));
  const out = new Uint8Array(size);
  out.set(header);
  let at = 8;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const gray = (bits: number, sampleFormat: number, data: ArrayBufferView, width = 2, height = 2): Uint8Array =>
  tiff({ width, height, bits, sampleFormat, data: bytesOf(data) });
const close = (actual: ArrayLike<number>, expected: number[]): void =>
  expected.forEach((v, i) => expect(actual[i], `value ${i}`).toBeCloseTo(v, 5));

describe('TIFF sample formats are read as stored', () => {
  it('32-bit float: the floats themselves; auto and minmax stretch the min..max, a window is in stored units', async () => {
    const unit = gray(32, 3, new Float32Array([0, 0.25, 0.5, 1]));
    const raster = await readImage(unit);
    expect(raster).toMatchObject({ bitDepth: 32, sampleFormat: 'float', channels: 1, frames: 1 });
    expect(raster.data).toBeInstanceOf(Float32Array);
    expect(Array.from(raster.data)).toEqual([0, 0.25, 0.5, 1]);
    const read = await readMedicalImage(unit);
    expect(read).toMatchObject({ bitDepth: 32, sampleFormat: 'float', frames: 1 });
    close(read.image.data, [0, 0.25, 0.5, 1]); // was [0, 0, 0, 0.0039]
    // As themselves, whatever the image's own range, through the identity window the guide gives.
    const part = gray(32, 3, new Float32Array([0.1, 0.25, 0.5, 0.6]));
    close((await readMedicalImage(part, { voi: { center: 0.5, width: 1, function: 'LINEAR_EXACT' } })).image.data, [0.1, 0.25, 0.5, 0.6]);

    const hu = gray(32, 3, new Float32Array([-1000, 0, 500, 3000]));
    expect(Array.from((await readImage(hu)).data)).toEqual([-1000, 0, 500, 3000]);
    close((await readMedicalImage(hu)).image.data, [0, 0.25, 0.375, 1]); // was [0, 0, 1, 1]
    close((await readMedicalImage(hu, { voi: 'minmax' })).image.data, [0, 0.25, 0.375, 1]);
    const windowed = await readMedicalImage(hu, { voi: { center: 0, width: 2000, function: 'LINEAR_EXACT' } });
    close(windowed.image.data, [0, 0.5, 0.75, 1]);
  });

  it('signed 16-bit keeps its sign: auto over −32768..32767, minmax over the image, a window in stored units (HU)', async () => {
    const ct = gray(16, 2, new Int16Array([-1000, 0, 500, 3000]));
    const raster = await readImage(ct);
    expect(raster).toMatchObject({ bitDepth: 16, sampleFormat: 'int' });
    expect(raster.data).toBeInstanceOf(Int16Array);
    expect(Array.from(raster.data)).toEqual([-1000, 0, 500, 3000]); // was [0, 0, 500, 3000]
    const auto = await readMedicalImage(ct);
    expect(auto).toMatchObject({ bitDepth: 16, sampleFormat: 'int' });
    close(auto.image.data, [31768 / 65535, 32768 / 65535, 33268 / 65535, 35768 / 65535]);
    close((await readMedicalImage(ct, { voi: 'minmax' })).image.data, [0, 0.25, 0.375, 1]);
    // A soft-tissue-like window in HU: −1000 below it, 0 in its middle.
    const window = await readMedicalImage(ct, { voi: { center: 0, width: 2000, function: 'LINEAR_EXACT' } });
    close(window.image.data, [0, 0.5, 0.75, 1]);
    // The extremes of the type survive the read.
    const ends = await readImage(gray(16, 2, new Int16Array([-32768, -1, 1, 32767])));
    expect(Array.from(ends.data)).toEqual([-32768, -1, 1, 32767]);
    close(rasterToGray(ends).data, [0, 32767 / 65535, 32769 / 65535, 1]);
  });

  it('unsigned and signed 32-bit and signed 8-bit integers: exact samples, auto over the full range of the type', async () => {
    const u32 = await readImage(gray(32, 1, new Uint32Array([0, 70000, 140000, 4000000000])));
    expect(u32).toMatchObject({ bitDepth: 32, sampleFormat: 'uint' });
    expect(u32.data).toBeInstanceOf(Uint32Array);
    expect(Array.from(u32.data)).toEqual([0, 70000, 140000, 4000000000]); // was [0, 255, 255, 0]
    close(rasterToGray(u32).data, [0, 70000 / 4294967295, 140000 / 4294967295, 4000000000 / 4294967295]);

    const i32 = await readImage(gray(32, 2, new Int32Array([-70000, 0, 70000, 140000])));
    expect(i32).toMatchObject({ bitDepth: 32, sampleFormat: 'int' });
    expect(Array.from(i32.data)).toEqual([-70000, 0, 70000, 140000]);
    close((await readMedicalImage(gray(32, 2, new Int32Array([-70000, 0, 70000, 140000])), { voi: 'minmax' })).image.data, [
      0,
      1 / 3,
      2 / 3,
      1,
    ]);

    const i8 = await readImage(gray(8, 2, new Int8Array([-128, -100, 0, 127])));
    expect(i8).toMatchObject({ bitDepth: 8, sampleFormat: 'int' });
    expect(i8.data).toBeInstanceOf(Int8Array);
    expect(Array.from(i8.data)).toEqual([-128, -100, 0, 127]);
    close(rasterToGray(i8).data, [0, 28 / 255, 128 / 255, 1]);
  });

  it('8- and 16-bit unsigned images are read as before, marked uint', async () => {
    const u16 = await readImage(gray(16, 1, new Uint16Array([0, 1000, 2000, 65535])));
    expect(u16).toMatchObject({ bitDepth: 16, sampleFormat: 'uint', frames: 1 });
    expect(u16.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(u16.data)).toEqual([0, 1000, 2000, 65535]);
    close(rasterToGray(u16).data, [0, 1000 / 65535, 2000 / 65535, 1]);
    const u8 = await readMedicalImage(gray(8, 1, new Uint8Array([0, 51, 102, 255])));
    expect(u8).toMatchObject({ bitDepth: 8, sampleFormat: 'uint', frames: 1 });
    close(u8.image.data, [0, 0.2, 0.4, 1]);
  });

  it('64-bit float is E_FORMAT_UNSUPPORTED naming it (it was "corrupt or truncated")', async () => {
    const error = await readImage(gray(64, 3, new Float64Array([0, 0.25, 0.5, 1]))).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_FORMAT_UNSUPPORTED', details: { format: 'tiff', bitDepth: 64, sampleFormat: 3 } });
    expect((error as Error).message).toContain('The TIFF image holds 64-bit float samples, which are not read');
  });

  it('16-bit float (half) samples, which the decoder reads as zeros, and 12- or 24-bit integers are E_FORMAT_UNSUPPORTED', async () => {
    // 0, 0.25, 0.5, 1 as IEEE half floats: libvips gave [0, 0, 0, 0].
    const half = gray(16, 3, new Uint16Array([0x0000, 0x3400, 0x3800, 0x3c00]));
    await expect(readMedicalImage(half)).rejects.toMatchObject({
      code: 'E_FORMAT_UNSUPPORTED',
      message: expect.stringContaining('16-bit float samples') as unknown,
      details: { bitDepth: 16, sampleFormat: 3 },
    });
    for (const bits of [12, 24])
      await expect(readImage(gray(bits, 1, new Uint8Array((bits / 2) * 4))), String(bits)).rejects.toMatchObject({
        code: 'E_FORMAT_UNSUPPORTED',
        message: expect.stringContaining(`${bits}-bit unsigned integer samples`) as unknown,
      });
  });

  it('a float or signed colour image is E_FORMAT_UNSUPPORTED (libvips would cast it to unsigned)', async () => {
    const rgb = tiff({ width: 2, height: 2, bits: 32, sampleFormat: 3, samplesPerPixel: 3, data: bytesOf(new Float32Array(12).fill(0.5)) });
    await expect(readImage(rgb)).rejects.toMatchObject({
      code: 'E_FORMAT_UNSUPPORTED',
      message: expect.stringContaining('3 channels of 32-bit float samples') as unknown,
      details: { channels: 3, bitDepth: 32, sampleFormat: 'float' },
    });
  });

  it('NaN or infinite float samples: readImage gives them, the display refuses them (E_INPUT_INVALID)', async () => {
    const holes = gray(32, 3, new Float32Array([0, Number.NaN, 0.5, Number.POSITIVE_INFINITY]));
    const raster = await readImage(holes);
    expect(Number.isNaN(raster.data[1])).toBe(true);
    for (const voi of ['auto', 'minmax', { center: 0.5, width: 1 }] as const)
      await expect(readMedicalImage(holes, { voi })).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
        message: expect.stringContaining('holds 2 NaN or infinite samples (the first at x 1, y 0)') as unknown,
        details: { nonFinite: 2, index: 1 },
      });
    expect(() => rasterToColor(raster)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }) as Error);
  });

  it('rasterToGray / rasterToColor take a raster built by hand with its sample format', () => {
    const signed: RasterImage = {
      width: 2,
      height: 1,
      channels: 1,
      bitDepth: 16,
      sampleFormat: 'int',
      data: Int16Array.from([-32768, 32767]),
      format: 'raw',
    };
    close(rasterToGray(signed).data, [0, 1]);
    close(rasterToColor(signed).data, [0, 0, 0, 1, 1, 1]);
    const float: RasterImage = {
      width: 2,
      height: 1,
      channels: 3,
      bitDepth: 32,
      sampleFormat: 'float',
      data: Float32Array.from([-1, -1, -1, 3, 1, 1]),
      format: 'raw',
    };
    close(rasterToColor(float).data, [0, 0, 0, 1, 0.5, 0.5]);
    expect(() => rasterToGray({ ...signed, sampleFormat: 'complex' as never })).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID' }) as Error,
    );
    expect(() => rasterToGray({ ...signed, bitDepth: 12 as never })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }) as Error);
  });
});

describe('readMedicalImage says the sample format and frame count of a DICOM file too', () => {
  it('unsigned 12-bit CT: uint, 1 frame', async () => {
    expect(await readMedicalImage(file('part10', EXPLICIT, dataSet(true)))).toMatchObject({
      format: 'dicom',
      bitDepth: 12,
      sampleFormat: 'uint',
      frames: 1,
    });
  });
});

describe('multi-page TIFF', () => {
  const page = (value: number, width = 4, height = 4): Page => ({
    width,
    height,
    bits: 8,
    sampleFormat: 1,
    data: new Uint8Array(width * height).fill(value),
  });

  it('gives its page count and reads the page asked for (frame), each at its own size', async () => {
    const stack = tiff(page(0), page(255), page(51, 2, 3));
    const first = await readMedicalImage(stack);
    expect(first.frames).toBe(3); // was 1
    expect(first.image.data[0]).toBe(0);
    const second = await readMedicalImage(stack, { frame: 1 }); // was E_INPUT_INVALID "one frame"
    expect(second.image.data[0]).toBe(1);
    const third = await readImage(stack, { frame: 2 });
    expect(third).toMatchObject({ width: 2, height: 3, frames: 3 });
    expect(third.data[0]).toBe(51);
  });

  it('a page past the last is E_INPUT_INVALID with the count; a one-page file keeps its one-frame refusal', async () => {
    const stack = tiff(page(0), page(255));
    const past = await readMedicalImage(stack, { frame: 2 }).catch((e: unknown) => e);
    expect(past).toMatchObject({ code: 'E_INPUT_INVALID', details: { field: 'frame', frame: 2, frames: 2, format: 'tiff' } });
    expect((past as Error).message).toBe('frame 2 is out of range: this tiff image has 2 pages, numbered 0 to 1.');
    await expect(readImage(stack, { frame: 1.5 })).rejects.toMatchObject({ code: 'E_INPUT_INVALID', details: { field: 'frame' } });
    await expect(readMedicalImage(tiff(page(9)), { frame: 1 })).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      details: { field: 'frame', format: 'tiff' },
    });
  });
});
