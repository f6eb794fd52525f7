// The path readers (readMedicalImage(path), readDicomFile): what is not a regular file is refused
// before it is opened, and errors from the bytes name the file and keep their code. Also: a truncated
// TIFF is E_INPUT_INVALID, as truncated PNG and JPEG are.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { readDicomFile } from './dicom/dicom-reader';
import { EXPLICIT, dataSet, file } from './dicom/test-dicom-bytes';
import { readImage, readMedicalImage } from './image-reader';

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medical-read-file-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function errorOf(promise: Promise<unknown>): Promise<AppliedMLError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
  return error as AppliedMLError;
}

/**
 * The error `read(fifo)` ends with. A reader that opens the FIFO waits for a writer: after 5 s a writer
 * opens and closes it, so the read ends (the old behaviour then fails the test instead of hanging it).
 */
async function readingFifo(fifo: string, read: (path: string) => Promise<unknown>): Promise<{ error: unknown; hung: boolean }> {
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // No reader is waiting on it.
    }
  }, 5000);
  try {
    return {
      error: await read(fifo).then(
        () => undefined,
        (e: unknown) => e,
      ),
      hung,
    };
  } finally {
    clearTimeout(timer);
  }
}

const posix = process.platform !== 'win32';

describe('path readers refuse what is not a regular file, before opening it', () => {
  it.runIf(posix)('a FIFO is E_IO at once, with the path (it hung waiting for a writer)', async () => {
    const fifo = join(dir, 'scan.png');
    execFileSync('mkfifo', [fifo]);
    for (const [read, what] of [
      [(p: string) => readMedicalImage(p), 'image file'],
      [(p: string) => readDicomFile(p), 'DICOM file'],
    ] as const) {
      const { error, hung } = await readingFifo(fifo, read);
      expect(hung).toBe(false);
      // The engine's words (statRegularFile), as every SDK's readers say it.
      expect(error).toMatchObject({ code: 'E_IO', details: { path: fifo, reason: 'not-a-regular-file' } });
      expect((error as Error).message).toBe(`Cannot read ${what} ${fifo}: it is a FIFO (named pipe), not a regular file.`);
    }
  });

  it('a directory is E_IO naming it as a directory; a missing file is E_IO with the reason', async () => {
    const sub = join(dir, 'folder.dcm');
    await mkdir(sub);
    for (const [read, what] of [
      [readMedicalImage, 'image file'],
      [readDicomFile, 'DICOM file'],
    ] as const) {
      const error = await errorOf(read(sub));
      expect(error).toMatchObject({ code: 'E_IO', details: { path: sub, reason: 'not-a-regular-file' } });
      expect(error.message).toBe(`Cannot read ${what} ${sub}: it is a directory, not a regular file.`);
      const nope = join(dir, 'nope.png');
      const missing = await errorOf(read(nope));
      expect(missing).toMatchObject({ code: 'E_IO', details: { path: nope, reason: 'ENOENT' } });
      expect(missing.message).toBe(`Cannot read ${what} ${nope}: no such file.`);
    }
  });
});

describe('errors from the bytes name the file and keep their code', () => {
  it('a truncated PNG, an unknown format and a truncated DICOM read from a path', async () => {
    const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 90, g: 90, b: 90 } } })
      .png()
      .toBuffer();
    const cut = join(dir, 'cut.png');
    await writeFile(cut, png.subarray(0, png.length - 20));
    const truncated = await errorOf(readMedicalImage(cut));
    expect(truncated.code).toBe('E_INPUT_INVALID');
    expect(truncated.message.startsWith(`${cut}: `)).toBe(true);
    expect(truncated.details.path).toBe(cut);

    const text = join(dir, 'notes.png');
    await writeFile(text, 'hello, not an image');
    const unknown = await errorOf(readMedicalImage(text));
    expect(unknown.code).toBe('E_FORMAT_UNSUPPORTED');
    expect(unknown.message).toContain(text);

    const dicom = file('part10', EXPLICIT, dataSet(true));
    const cutDicom = join(dir, 'cut.dcm');
    await writeFile(cutDicom, dicom.subarray(0, dicom.length - 6));
    for (const read of [readMedicalImage, readDicomFile]) {
      const error = await errorOf(read(cutDicom));
      expect(error.code).toBe('E_INPUT_INVALID');
      expect(error.message.startsWith(`${cutDicom}: `)).toBe(true);
      expect(error.details.path).toBe(cutDicom);
    }

    // Bytes have no name: the message is as before.
    expect((await errorOf(readMedicalImage(png.subarray(0, png.length - 20)))).message).toMatch(/^The image is corrupt or truncated/);
  });
});

describe('a truncated TIFF', () => {
  it('is E_INPUT_INVALID, as a truncated PNG or JPEG is (it was E_FORMAT_UNSUPPORTED); libvips messages are one line', async () => {
    const tiff = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 70, g: 70, b: 70 } } })
      .tiff()
      .toBuffer();
    expect((await readImage(tiff)).format).toBe('tiff');
    for (const length of [8, 100, Math.floor(tiff.length / 2)]) {
      const error = await errorOf(readImage(tiff.subarray(0, length)));
      expect(error.code, `${length} bytes`).toBe('E_INPUT_INVALID');
      expect(error.message).toMatch(/tiff/i);
    }
    const path = join(dir, 'cut.tif');
    await writeFile(path, tiff.subarray(0, 100));
    const error = await errorOf(readMedicalImage(path));
    expect(error.code).toBe('E_INPUT_INVALID');
    expect(error.message).toContain(path);

    // A JPEG cut inside its header: libvips says several lines, some twice.
    const jpeg = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 1, g: 2, b: 3 } } })
      .jpeg()
      .toBuffer();
    const header = await errorOf(readImage(jpeg.subarray(0, 200)));
    expect(header.code).toBe('E_INPUT_INVALID');
    expect(header.message).not.toContain('\n');
  });
});

describe('readMedicalImage(path) refuses a file over maxBytes from its size, before reading it', () => {
  it('a 1.1 GiB file (sparse) at the default 1 GiB, and a small PNG under maxBytes: 10; raised, it reads', async () => {
    const big = join(dir, 'huge.dcm');
    const handle = openSync(big, 'w');
    closeSync(handle);
    execFileSync('truncate', ['-s', String(Math.round(1.1 * 2 ** 30)), big]);
    const t0 = performance.now();
    const error = await errorOf(readMedicalImage(big));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(error.code).toBe('E_INPUT_TOO_LARGE');
    expect(error.message).toContain('over the maxBytes limit of 1073741824; raise maxBytes to read it');
    expect(error.details).toMatchObject({ path: big, maxBytes: 2 ** 30 });
    await rm(big);

    const png = join(dir, 'small.png');
    await writeFile(
      png,
      await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 128, g: 128, b: 128 } } })
        .png()
        .toBuffer(),
    );
    expect((await errorOf(readMedicalImage(png, { maxBytes: 10 }))).code).toBe('E_INPUT_TOO_LARGE');
    expect((await readMedicalImage(png, { maxBytes: 10_000 })).image.width).toBe(4);
    for (const maxBytes of [0, -1, 1.5, Number.NaN, '10' as unknown as number])
      expect((await errorOf(readMedicalImage(png, { maxBytes }))).code).toBe('E_INPUT_INVALID');
  });
});
