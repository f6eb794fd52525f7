import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { readDicomFile } from './dicom-reader';
import { EXPLICIT, PIXELS, dataSet, file } from './test-dicom-bytes';

// readDicomFile read the whole file before comparing its length with maxBytes: an 800 MiB file with
// maxBytes 1000 took seconds and 800 MB of memory to be refused. It is refused from its size now.

const reads = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...fs,
    readFile: (...args: Parameters<typeof fs.readFile>) => {
      reads.count++;
      return fs.readFile(...args);
    },
  };
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dicom-file-size-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  reads.count = 0;
});

describe('readDicomFile and maxBytes', () => {
  it('refuses a file over maxBytes from its size, without reading it', async () => {
    const path = join(dir, 'big.dcm');
    const handle = await open(path, 'w');
    await handle.truncate(64 * 2 ** 20); // sparse
    await handle.close();
    const e = (await readDicomFile(path, { maxBytes: 1000 }).then(
      () => undefined,
      (error: unknown) => error,
    )) as AppliedMLError;
    expect(AppliedMLError.isInstance(e)).toBe(true);
    expect(e.code).toBe('E_INPUT_TOO_LARGE');
    expect(e.message).toBe(`${path}: The DICOM file is ${64 * 2 ** 20} bytes, over the maxBytes limit of 1000.`);
    expect(e.details).toEqual({ bytes: 64 * 2 ** 20, maxBytes: 1000, path });
    expect(reads.count).toBe(0);
  });

  it('reads a file within it', async () => {
    const path = join(dir, 'small.dcm');
    await writeFile(path, file('part10', EXPLICIT, dataSet(true)));
    const image = await readDicomFile(path, { maxBytes: 10_000 });
    expect(Array.from(image.frames[0]!)).toEqual(PIXELS);
    expect(reads.count).toBe(1);
  });
});
