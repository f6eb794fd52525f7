import { existsSync, openSync, readFileSync, closeSync, ftruncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from './npy';
import { expectCode, tempDir } from './test-helpers';

/** Bytes this process has read through system calls so far (Linux), or undefined elsewhere. */
function bytesReadSoFar(): number | undefined {
  if (!existsSync('/proc/self/io')) return undefined;
  const match = /^rchar:\s*(\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  return match ? Number(match[1]) : undefined;
}

/** A .npy file of `header`'s array whose file is `dataBytes` long after the header, sparse (nothing written). */
function sparseNpy(dir: string, name: string, shape: number[], dataBytes: number): string {
  const header = Buffer.from(writeNpy({ data: new Float64Array(0), shape: [0] })).toString('latin1');
  // The header is padded with spaces to 64 bytes: the longer shape takes some of them.
  const shaped = header.replace('(0,)', `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
  const text = shaped.replace(new RegExp(` {${shaped.length - header.length}}\n$`), '\n');
  const bytes = Buffer.from(text, 'latin1');
  expect(bytes.length).toBe(header.length);
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  writeSync(fd, bytes);
  ftruncateSync(fd, bytes.length + dataBytes);
  closeSync(fd);
  return path;
}

/** Runs `read` and returns the most bytes held in array buffers while it ran, and the bytes read by the process. */
async function measure(read: () => Promise<unknown>): Promise<{ peakArrayBuffers: number; bytesRead: number | undefined }> {
  const before = process.memoryUsage().arrayBuffers;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 1);
  const read0 = bytesReadSoFar();
  try {
    await read();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  const read1 = bytesReadSoFar();
  return { peakArrayBuffers: peak - before, bytesRead: read0 === undefined || read1 === undefined ? undefined : read1 - read0 };
}

const MB = 1024 * 1024;

describe('readNpy looks at the header before it reads the data (review s28 R1-1)', () => {
  it('refuses data over maxBytes without reading it: an 800 MB file with maxBytes 1 MB read 800 MB first', async () => {
    const path = sparseNpy(tempDir(), 'big.npy', [100_000_000], 800_000_000);
    let error: unknown;
    const { peakArrayBuffers, bytesRead } = await measure(async () => {
      error = await expectCode(() => readNpy(path, { maxBytes: 1_000_000 }), 'E_INPUT_TOO_LARGE');
    });
    const refusal = error as { message: string; details: Record<string, unknown> };
    expect(refusal.message).toBe(
      `${path}: .npy array float64(100000000) needs 800000000 bytes, over the 1000000-byte limit (raise maxBytes if you expect it).`,
    );
    expect(refusal.details).toMatchObject({ path, byteLength: 800_000_000, maxBytes: 1_000_000 });
    // The old code held the whole file (800 MB) in one buffer, and read all of it.
    expect(peakArrayBuffers).toBeLessThan(50 * MB);
    if (bytesRead !== undefined) expect(bytesRead).toBeLessThan(50 * MB);
  });

  it('refuses a file far longer than its header declares (trailing bytes) without reading it', async () => {
    const path = sparseNpy(tempDir(), 'tail.npy', [2], 400_000_000);
    let error: unknown;
    const { peakArrayBuffers, bytesRead } = await measure(async () => {
      error = await expectCode(() => readNpy(path), 'E_INPUT_INVALID');
    });
    expect((error as Error).message).toBe(
      `${path}: The .npy data has 399999984 unexpected trailing bytes after float64(2); the file is corrupt.`,
    );
    expect(peakArrayBuffers).toBeLessThan(50 * MB);
    if (bytesRead !== undefined) expect(bytesRead).toBeLessThan(50 * MB);
  });

  it('still reads a file whole when it fits, and says a short one is truncated', async () => {
    const dir = tempDir();
    const path = join(dir, 'ok.npy');
    const fd = openSync(path, 'w');
    writeSync(fd, writeNpy({ data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] }, { version: 2 }));
    closeSync(fd);
    const array = await readNpy(path, { maxBytes: 24 });
    expect(array.shape).toEqual([2, 3]);
    expect(Array.from(array.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    await expectCode(() => readNpy(path, { maxBytes: 23 }), 'E_INPUT_TOO_LARGE');
    const short = sparseNpy(dir, 'short.npy', [3], 16);
    expect((await expectCode(() => readNpy(short), 'E_INPUT_INVALID')).message).toBe(
      `${short}: The .npy data is truncated: the header declares float64(3) = 24 bytes but only 16 are present.`,
    );
    // A header cut short, and an empty file, in parseNpy's words.
    const cut = join(dir, 'cut.npy');
    const cutFd = openSync(cut, 'w');
    writeSync(cutFd, writeNpy({ data: [1] }).subarray(0, 30));
    closeSync(cutFd);
    expect((await expectCode(() => readNpy(cut), 'E_INPUT_INVALID')).message).toMatch(
      /truncated: its header needs \d+ bytes but only 20 remain/,
    );
    const empty = join(dir, 'empty.npy');
    closeSync(openSync(empty, 'w'));
    expect((await expectCode(() => readNpy(empty), 'E_INPUT_INVALID')).message).toBe(`${empty}: The .npy input is empty (0 bytes).`);
    await expectCode(() => readNpy(path, { maxBytes: NaN }), 'E_INPUT_INVALID');
  });
});
