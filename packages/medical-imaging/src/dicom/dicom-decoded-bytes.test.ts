import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { DEFAULT_MAX_DECODED_BYTES, readMedicalImage } from '../image-reader';
import { readDicom, readDicomFile } from './dicom-reader';
import type { ReadDicomOptions } from './dicom-reader';
import { EXPLICIT, PIXELS, dataSet, encode, file, text, u16, u32 } from './test-dicom-bytes';
import type { El } from './test-dicom-bytes';

// maxDecodedBytes bounded only the PNG / JPEG / TIFF path: a DICOM header is trusted for Rows × Columns ×
// Frames × Bits, and an RLE (or JPEG) frame of a few bytes can declare 16,384 × 16,384 RGB at 32 bits
// (within maxPixels), for which the RLE decoder allocated 3 GiB before looking at its segments.

const RLE = '1.2.840.10008.1.2.5';

interface RleSpec {
  rows: number;
  columns: number;
  samples?: 1 | 3;
  bits?: 8 | 16 | 32;
  frames?: number;
  /** Each frame's stored value (every pixel and sample the same); default 100. */
  value?: number;
}

/** PackBits runs that repeat `value` `count` times (128 at most a run). */
function repeat(count: number, value: number): number[] {
  const out: number[] = [];
  for (let left = count; left > 0; left -= 128) out.push(257 - Math.min(128, left), value);
  return out;
}

/** One RLE frame: a segment per byte of each sample (most significant first), each a run of the right length. */
function rleFrame(pixels: number, samples: number, bytes: number, value: number): number[] {
  const segments: number[][] = [];
  for (let s = 0; s < samples; s++)
    for (let b = bytes - 1; b >= 0; b--) {
      const segment = repeat(pixels, (value >> (8 * b)) & 0xff);
      segments.push(segment.length % 2 ? [...segment, 0] : segment);
    }
  const header = new Array<number>(64).fill(0);
  header.splice(0, 4, ...u32(segments.length));
  let at = 64;
  segments.forEach((segment, i) => {
    header.splice(4 + 4 * i, 4, ...u32(at));
    at += segment.length;
  });
  return [...header, ...segments.flat()];
}

/** An RLE Part 10 file whose header declares `spec`; every frame a fragment (the runs are real only for small images). */
function rleFile(spec: RleSpec, fragments?: number[][]): Uint8Array {
  const samples = spec.samples ?? 1;
  const bits = spec.bits ?? 8;
  const frames = spec.frames ?? 1;
  const item = (bytes: number[]): number[] => [...u16(0xfffe), ...u16(0xe000), ...u32(bytes.length), ...bytes];
  const frameList =
    fragments ?? Array.from({ length: frames }, () => rleFrame(spec.rows * spec.columns, samples, bits / 8, spec.value ?? 100));
  const pixelData = [
    ...u16(0x7fe0),
    ...u16(0x0010),
    ...Buffer.from('OB'),
    0,
    0,
    ...u32(0xffffffff),
    ...item([]), // an empty basic offset table
    ...frameList.flatMap(item),
    ...u16(0xfffe),
    ...u16(0xe0dd),
    ...u32(0),
  ];
  const elements: El[] = [
    [0x0008, 0x0016, 'UI', text('1.2.840.10008.5.1.4.1.1.7', 0)],
    [0x0008, 0x0060, 'CS', text('OT')],
    [0x0028, 0x0002, 'US', u16(samples)],
    [0x0028, 0x0004, 'CS', text(samples === 3 ? 'RGB' : 'MONOCHROME2')],
    ...(samples === 3 ? [[0x0028, 0x0006, 'US', u16(0)] as El] : []),
    [0x0028, 0x0008, 'IS', text(String(frames))],
    [0x0028, 0x0010, 'US', u16(spec.rows)],
    [0x0028, 0x0011, 'US', u16(spec.columns)],
    [0x0028, 0x0100, 'US', u16(bits)],
    [0x0028, 0x0101, 'US', u16(bits)],
    [0x0028, 0x0102, 'US', u16(bits - 1)],
    [0x0028, 0x0103, 'US', u16(0)],
  ];
  return file('part10', RLE, [...encode(elements, true), ...pixelData]);
}

async function failure(run: () => Promise<unknown>): Promise<AppliedMLError> {
  const error = await run().catch((e: unknown) => e);
  expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
  return error as AppliedMLError;
}

describe('maxDecodedBytes bounds DICOM too, from the header, before any pixel data is decoded', () => {
  it('a crafted RLE file declaring 65535 × 65535 × 1000 frames (maxPixels raised): E_INPUT_TOO_LARGE naming the sizes and the option, at once', async () => {
    const bytes = rleFile({ rows: 65535, columns: 65535, bits: 16, frames: 1000 }, [rleFrame(1, 1, 2, 0)]);
    expect(bytes.length).toBeLessThan(1000);
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    const error = await failure(() => readDicom(bytes, { maxPixels: Number.MAX_SAFE_INTEGER }));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
    expect(error.code).toBe('E_INPUT_TOO_LARGE');
    const decodedBytes = 65535 * 65535 * 2 * 1002;
    expect(error.details).toEqual({
      rows: 65535,
      columns: 65535,
      frames: 1000,
      samplesPerPixel: 1,
      bitsAllocated: 16,
      decodedBytes,
      maxDecodedBytes: DEFAULT_MAX_DECODED_BYTES,
    });
    expect(error.message).toBe(
      'Reading this DICOM image (65535 × 65535, 1000 frames, 1 sample a pixel, 16 bits allocated) would allocate ' +
        `${(decodedBytes / 2 ** 30).toFixed(2)} GiB, over the maxDecodedBytes limit of 1.50 GiB; raise maxDecodedBytes to read it.`,
    );
    // readMedicalImage and readDicomFile say the same.
    const viaMedical = await failure(() => readMedicalImage(bytes, { maxPixels: Number.MAX_SAFE_INTEGER }));
    expect(viaMedical.code).toBe('E_INPUT_TOO_LARGE');
    expect(viaMedical.details).toMatchObject({ rows: 65535, frames: 1000, maxDecodedBytes: DEFAULT_MAX_DECODED_BYTES });
    const dir = await mkdtemp(path.join(tmpdir(), 'dicom-decoded-bytes-'));
    try {
      const onDisk = path.join(dir, 'crafted.dcm');
      await writeFile(onDisk, bytes);
      const viaFile = await failure(() => readDicomFile(onDisk, { maxPixels: Number.MAX_SAFE_INTEGER }));
      expect(viaFile.code).toBe('E_INPUT_TOO_LARGE');
      expect(viaFile.message).toContain('maxDecodedBytes');
      expect(viaFile.details).toMatchObject({ path: onDisk, decodedBytes });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('within the default maxPixels: a 16,384 × 16,384 RGB 32-bit RLE frame of a few hundred bytes is refused by default', async () => {
    const bytes = rleFile({ rows: 16384, columns: 16384, samples: 3, bits: 32 }, [rleFrame(128, 3, 4, 0)]);
    expect(bytes.length).toBeLessThan(1000);
    const before = process.memoryUsage().arrayBuffers;
    const error = await failure(() => readDicom(bytes));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
    expect(error.code).toBe('E_INPUT_TOO_LARGE');
    expect(error.details).toMatchObject({
      rows: 16384,
      columns: 16384,
      samplesPerPixel: 3,
      bitsAllocated: 32,
      decodedBytes: 2 ** 28 * 12 * 3,
    });
    // A native (uncompressed) file declaring as much is refused the same way, before its short pixel data is looked at.
    const native = file('part10', EXPLICIT, dataSet(true, PIXELS, { rows: 16384, columns: 16384, frames: 8 }));
    const nativeError = await failure(() => readDicom(native, { maxPixels: 2 ** 31 }));
    expect(nativeError.code).toBe('E_INPUT_TOO_LARGE');
    expect(nativeError.details).toMatchObject({ frames: 8, decodedBytes: 2 ** 28 * 2 * 10 });
  });

  it('readDicom counts every frame’s stored values and two frames of decoding copies: the exact limit reads, one byte less does not', async () => {
    const cases: Array<[string, Uint8Array, number, number[]]> = [
      // 2 × 2 native, 16 bits: 8 bytes a frame, (1 + 2) frames.
      ['native 16-bit', file('part10', EXPLICIT, dataSet(true)), 24, PIXELS],
      // 4 × 4 RLE, 8 bits, 2 frames: 16 bytes a frame, (2 + 2) frames.
      ['RLE 8-bit, 2 frames', rleFile({ rows: 4, columns: 4, frames: 2, value: 77 }), 64, new Array<number>(16).fill(77)],
      // 4 × 4 RLE RGB, 16 bits: 96 bytes a frame, (1 + 2) frames.
      ['RLE RGB 16-bit', rleFile({ rows: 4, columns: 4, samples: 3, bits: 16, value: 1234 }), 288, new Array<number>(48).fill(1234)],
      // 4 × 4 native 1-bit: one byte a value, 16 a frame.
      [
        '1-bit',
        file('part10', EXPLICIT, dataSet(true, PIXELS, { rows: 4, columns: 4, bitsAllocated: 1, pixelData: [0xff, 0xff] })),
        48,
        new Array<number>(16).fill(1),
      ],
    ];
    for (const [what, bytes, exact, frame0] of cases) {
      const image = await readDicom(bytes, { maxDecodedBytes: exact });
      expect(Array.from(image.frames[0]!), what).toEqual(frame0);
      const error = await failure(() => readDicom(bytes, { maxDecodedBytes: exact - 1 }));
      expect(error.code, what).toBe('E_INPUT_TOO_LARGE');
      expect(error.details, what).toMatchObject({ decodedBytes: exact, maxDecodedBytes: exact - 1 });
    }
  });

  it('readMedicalImage adds its Float32 images of the frame shown: 8 bytes a pixel gray, 20 colour, 44 colour with color: true', async () => {
    const gray = file('part10', EXPLICIT, dataSet(true)); // 2 × 2: 24 + 4 × 8
    expect((await readMedicalImage(gray, { maxDecodedBytes: 56 })).image.data.length).toBe(4);
    expect((await failure(() => readMedicalImage(gray, { maxDecodedBytes: 55 }))).details).toMatchObject({ decodedBytes: 56 });
    const rgb = rleFile({ rows: 4, columns: 4, samples: 3, value: 200 }); // 48 bytes a frame × 3, + 16 pixels × 20 (× 44)
    expect((await readMedicalImage(rgb, { maxDecodedBytes: 464 })).color).toBeUndefined();
    expect((await failure(() => readMedicalImage(rgb, { maxDecodedBytes: 463 }))).code).toBe('E_INPUT_TOO_LARGE');
    const color = await readMedicalImage(rgb, { maxDecodedBytes: 848, color: true });
    expect(color.color?.data[0]).toBeCloseTo(200 / 255, 6);
    expect((await failure(() => readMedicalImage(rgb, { maxDecodedBytes: 847, color: true }))).details).toMatchObject({
      decodedBytes: 848,
    });
    // The default reads them.
    expect((await readMedicalImage(rgb, { color: true })).format).toBe('dicom');
  });

  it('a maxDecodedBytes that is not a positive integer is E_INPUT_INVALID (readDicom, readDicomFile, readMedicalImage)', async () => {
    const bytes = file('part10', EXPLICIT, dataSet(true));
    for (const bad of [0, -5, Number.NaN, 1.5, Number.POSITIVE_INFINITY, '100', null]) {
      const options = { maxDecodedBytes: bad } as unknown as ReadDicomOptions;
      const error = await failure(() => readDicom(bytes, options));
      expect(error.code, String(bad)).toBe('E_INPUT_INVALID');
      expect(error.message).toMatch(/^maxDecodedBytes must be a positive integer/);
      expect((await failure(() => readMedicalImage(bytes, options))).code).toBe('E_INPUT_INVALID');
    }
    expect((await failure(() => readDicomFile('/nonexistent.dcm', { maxDecodedBytes: 0 }))).code).toBe('E_INPUT_INVALID');
  });
});

describe('readDicom’s other size limits are checked and named', () => {
  it('a maxPixels or maxBytes that is not a positive integer is E_INPUT_INVALID: NaN turned its check off', async () => {
    // 4096 × 4096 declared, 8 bytes of pixel data: with maxPixels NaN it got past the pixel limit.
    const big = file('part10', EXPLICIT, dataSet(true, PIXELS, { rows: 4096, columns: 4096 }));
    const small = file('part10', EXPLICIT, dataSet(true));
    for (const [option, bytes] of [
      ['maxPixels', big],
      ['maxBytes', small],
    ] as const)
      for (const bad of [Number.NaN, 0, -1, 2.5, '64']) {
        const options = { [option]: bad } as unknown as ReadDicomOptions;
        const error = await failure(() => readDicom(bytes, options));
        expect([error.code, error.message], `${option} ${String(bad)}`).toEqual([
          'E_INPUT_INVALID',
          // Text quoted: '64' is not the number 64.
          `${option} must be a positive integer (got ${typeof bad === 'string' ? `"${bad}"` : String(bad)}).`,
        ]);
        expect((await failure(() => readDicomFile('/nonexistent.dcm', options))).code).toBe('E_INPUT_INVALID');
      }
  });

  it('over maxPixels or maxBytes, the message names the option and the sizes', async () => {
    const big = file('part10', EXPLICIT, dataSet(true, PIXELS, { rows: 4096, columns: 4096 }));
    const pixels = await failure(() => readDicom(big, { maxPixels: 1000 }));
    expect([pixels.code, pixels.message]).toEqual([
      'E_INPUT_TOO_LARGE',
      'The DICOM image declares 16777216 pixels (4096 × 4096 × 1 frame), over the maxPixels limit of 1000.',
    ]);
    const small = file('part10', EXPLICIT, dataSet(true));
    const bytes = await failure(() => readDicom(small, { maxBytes: 100 }));
    expect([bytes.code, bytes.message]).toEqual([
      'E_INPUT_TOO_LARGE',
      `The DICOM file is ${small.length} bytes, over the maxBytes limit of 100.`,
    ]);
    expect(bytes.details).toEqual({ bytes: small.length, maxBytes: 100 });
  });
});
