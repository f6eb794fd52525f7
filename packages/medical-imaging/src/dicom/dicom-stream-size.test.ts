import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppliedMLError, resolveDataset } from '@appliedml/engine';
import { DICOM_SAMPLES_DATASET } from '../datasets';
import { readDicom } from './dicom-reader';

// A codec allocates for the size its own stream declares, not the DICOM header's (which maxDecodedBytes
// bounds): a 64 × 64 JPEG-LS file whose frame header said 20,000 × 20,000 grew the codec's wasm memory
// (which never shrinks) by about 800 MB before failing. The stream's size is now compared first.

async function sample(name: string): Promise<Uint8Array> {
  const data = await resolveDataset(DICOM_SAMPLES_DATASET);
  return new Uint8Array(await readFile(join(data.root, name)));
}

/** `bytes` with the frame size in its first JPEG 2000 SIZ (and tile size) or JPEG-LS SOF55 set to `size`. */
function withStreamSize(bytes: Uint8Array, size: number): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  for (let i = 2; i + 30 < out.length; i++) {
    if (view.getUint16(i - 2) === 0xff4f && view.getUint16(i) === 0xff51) {
      for (const at of [6, 10, 22, 26]) view.setUint32(i + at, size); // Xsiz, Ysiz, XTsiz, YTsiz
      return out;
    }
    if (view.getUint16(i) === 0xfff7) {
      view.setUint16(i + 5, size);
      view.setUint16(i + 7, size);
      return out;
    }
  }
  throw new Error('no frame header found');
}

async function failure(bytes: Uint8Array): Promise<AppliedMLError> {
  const error = await readDicom(bytes).catch((e: unknown) => e);
  expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
  return error as AppliedMLError;
}

describe('a compressed frame whose own header declares another size is refused before it is decoded', () => {
  for (const [name, syntax] of [
    ['MR_small_jpeg_ls_lossless.dcm', 'JPEG-LS Lossless'],
    ['MR_small_jp2klossless.dcm', 'JPEG 2000 (Lossless Only)'],
  ] as const)
    it(`${name}: 20,000 × 20,000 in the stream, 64 × 64 in the header`, async () => {
      const bytes = await sample(name);
      expect((await readDicom(bytes)).frames[0]!.length).toBe(64 * 64); // as stored, it reads
      const rss = process.memoryUsage().rss;
      const started = performance.now();
      const error = await failure(withStreamSize(bytes, 20000));
      expect(performance.now() - started).toBeLessThan(500);
      expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 2 ** 20);
      expect(error.code).toBe('E_INPUT_INVALID');
      expect(error.message).toBe(`The ${syntax} frame is 20000×20000 but the header says 64×64: the stream is corrupt.`);
      expect(error.details).toEqual({ streamWidth: 20000, streamHeight: 20000, columns: 64, rows: 64 });
    });
});
