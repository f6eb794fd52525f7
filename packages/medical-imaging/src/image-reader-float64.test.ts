// 64-bit float TIFFs (SampleFormat 3, BitsPerSample 64), BigTIFF ones included. The decoder (libvips)
// does not read them ("tiff2vips: samples out of range"): a classic TIFF was refused without saying how to
// convert it, and a BigTIFF, whose directory was not read, was called "corrupt or truncated" (and a BigTIFF
// of 16-bit floats read as zeros). Each is now E_FORMAT_UNSUPPORTED naming its samples and the conversion.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { readImage, readMedicalImage } from './image-reader';

interface Page {
  /** BitsPerSample: 16 (half), 32 or 64, float samples (SampleFormat 3). */
  bits: 16 | 32 | 64;
  values: number[];
  width: number;
  height: number;
}

const HALF: Record<number, number> = { 0: 0x0000, 0.25: 0x3400, 0.5: 0x3800, 1: 0x3c00 };

/** An uncompressed one-channel float TIFF (classic or BigTIFF, either byte order), one directory a page. */
function floatTiff(pages: Page[], { big = false, little = true } = {}): Uint8Array {
  const chunks: Array<(view: DataView) => void> = [];
  let size = big ? 16 : 8;
  const reserve = (bytes: number): number => {
    const at = size;
    size += bytes + (bytes % 2);
    return at;
  };
  const dirAt: number[] = [];
  const nextAt: number[] = [];
  for (const page of pages) {
    const bytes = page.values.length * (page.bits / 8);
    const dataAt = reserve(bytes);
    chunks.push((v) =>
      page.values.forEach((x, i) => {
        if (page.bits === 64) v.setFloat64(dataAt + 8 * i, x, little);
        else if (page.bits === 32) v.setFloat32(dataAt + 4 * i, x, little);
        else v.setUint16(dataAt + 2 * i, HALF[x]!, little);
      }),
    );
    const entries: Array<[tag: number, type: 'short' | 'offset', value: number]> = [
      [256, 'short', page.width],
      [257, 'short', page.height],
      [258, 'short', page.bits],
      [259, 'short', 1],
      [262, 'short', 1],
      [273, 'offset', dataAt],
      [277, 'short', 1],
      [278, 'short', page.height],
      [279, 'offset', bytes],
      [339, 'short', 3],
    ];
    const entrySize = big ? 20 : 12;
    const at = reserve((big ? 8 : 2) + entries.length * entrySize + (big ? 8 : 4));
    dirAt.push(at);
    nextAt.push(at + (big ? 8 : 2) + entries.length * entrySize);
    chunks.push((v) => {
      if (big) v.setBigUint64(at, BigInt(entries.length), little);
      else v.setUint16(at, entries.length, little);
      entries.forEach(([tag, type, value], i) => {
        const e = at + (big ? 8 : 2) + i * entrySize;
        v.setUint16(e, tag, little);
        v.setUint16(e + 2, type === 'short' ? 3 : big ? 16 : 4, little);
        const field = e + (big ? 12 : 8);
        if (big) v.setBigUint64(e + 4, 1n, little);
        else v.setUint32(e + 4, 1, little);
        if (type === 'short') v.setUint16(field, value, little);
        else if (big) v.setBigUint64(field, BigInt(value), little);
        else v.setUint32(field, value, little);
      });
    });
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(little ? [0x49, 0x49] : [0x4d, 0x4d]);
  view.setUint16(2, big ? 43 : 42, little);
  if (big) {
    view.setUint16(4, 8, little);
    view.setBigUint64(8, BigInt(dirAt[0]!), little);
  } else view.setUint32(4, dirAt[0]!, little);
  chunks.forEach((write) => write(view));
  nextAt.forEach((at, i) =>
    big ? view.setBigUint64(at, BigInt(dirAt[i + 1] ?? 0), little) : view.setUint32(at, dirAt[i + 1] ?? 0, little),
  );
  return out;
}

const page = (bits: Page['bits']): Page => ({ bits, values: [0, 0.25, 0.5, 1], width: 2, height: 2 });

async function refusal(read: Promise<unknown>): Promise<AppliedMLError> {
  const error = await read.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!AppliedMLError.isInstance(error)) throw new Error(`expected a typed refusal, got ${String(error)}`);
  return error;
}

const CONVERT = "tifffile.imwrite('out.tif', tifffile.imread('in.tif').astype('float32'))";
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('64-bit float TIFFs', () => {
  it('a classic 64-bit float TIFF is E_FORMAT_UNSUPPORTED saying what it is and how to convert it', async () => {
    const error = await refusal(readImage(floatTiff([page(64)])));
    expect(error).toMatchObject({
      code: 'E_FORMAT_UNSUPPORTED',
      details: { format: 'tiff', bitDepth: 64, sampleFormat: 3, convertTo: 'float32' },
    });
    expect(error.message).toContain('The TIFF image holds 64-bit float samples, which are not read');
    expect(error.message).toContain(`Convert it to 32-bit float samples first, e.g. in Python: ${CONVERT}.`);
  });

  it.each([
    ['little-endian', true],
    ['big-endian', false],
  ])('a %s BigTIFF of 64-bit floats is E_FORMAT_UNSUPPORTED too (it was "corrupt or truncated")', async (_, little) => {
    const bytes = floatTiff([page(64)], { big: true, little });
    const error = await refusal(readImage(bytes));
    expect(error).toMatchObject({
      code: 'E_FORMAT_UNSUPPORTED',
      details: { format: 'tiff', bitDepth: 64, sampleFormat: 3, bigTiff: true, convertTo: 'float32' },
    });
    expect(error.message).toMatch(/^The BigTIFF image holds 64-bit float samples, which are not read/);
    expect(error.message).toContain(CONVERT);
    expect(error.message).not.toMatch(/corrupt/);
    // The same from a file, named.
    const dir = mkdtempSync(join(tmpdir(), 'mi-f64-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'stack.tif'), bytes);
    const fromFile = await refusal(readMedicalImage(join(dir, 'stack.tif')));
    expect(fromFile).toMatchObject({ code: 'E_FORMAT_UNSUPPORTED', details: { bitDepth: 64, bigTiff: true } });
    expect(fromFile.message).toContain('stack.tif');
  });

  it("a BigTIFF's pages: its 32-bit float page read as stored, its 64-bit page refused by its own directory", async () => {
    const bytes = floatTiff([page(32), { ...page(64), values: [1, 2, 3, 4, 5, 6], width: 3 }], { big: true });
    const first = await readImage(bytes);
    expect(first).toMatchObject({ bitDepth: 32, sampleFormat: 'float', frames: 2, width: 2, height: 2 });
    expect(Array.from(first.data)).toEqual([0, 0.25, 0.5, 1]);
    const second = await refusal(readImage(bytes, { frame: 1 }));
    expect(second).toMatchObject({ code: 'E_FORMAT_UNSUPPORTED', details: { bitDepth: 64, bigTiff: true } });
    // A 64-bit first page, a 32-bit second: the first refused, the second read.
    const swapped = floatTiff([page(64), page(32)], { big: true });
    expect((await refusal(readImage(swapped))).details).toMatchObject({ bitDepth: 64, bigTiff: true });
  });

  it('a BigTIFF of 16-bit floats is refused as a classic one is (the decoder read it as zeros)', async () => {
    const error = await refusal(readImage(floatTiff([page(16)], { big: true })));
    expect(error).toMatchObject({ code: 'E_FORMAT_UNSUPPORTED', details: { bitDepth: 16, sampleFormat: 3, bigTiff: true } });
    expect(error.message).toContain(CONVERT);
  });
});
