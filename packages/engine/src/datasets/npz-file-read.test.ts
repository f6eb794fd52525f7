// readNpz(path) read the whole file (readFile) before looking at it: the zip's directory is at the end,
// so a huge .npz, or a huge file named .npz, cost its size in memory and seconds before the checks on
// what its directory declares refused it. It now reads the end records, the directory and the local
// headers by offset, then only the members asked for; these tests hold it to that and to parseNpz's
// results and errors.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { crc32 } from 'node:zlib';
import { zipSync } from 'fflate';
import { describe, expect, it, vi } from 'vitest';
import { writeNpy } from './npy';
import { parseNpz, readNpz, type NpzReadOptions } from './npz';
import { expectCode, tempDir } from './test-helpers';

// readNpz's open, so that a test can make it fail or hand out a handle that misreports the size.
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return { ...real, open: vi.fn(real.open) };
});
const open = vi.mocked(fsp.open);

const MB = 1024 * 1024;
const GB = 1024 * MB;

/** A stored member: its bytes, or only the size it declares (its data left a hole in a sparse file). */
interface Member {
  name: string;
  data?: Uint8Array;
  size?: number;
}

/** Little-endian fields into a fresh byte array. */
function record(fields: [bytes: 2 | 4 | 8, value: number][]): Uint8Array {
  const out = new Uint8Array(fields.reduce((n, [b]) => n + b, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const [bytes, value] of fields) {
    if (bytes === 2) view.setUint16(at, value, true);
    else if (bytes === 4) view.setUint32(at, value, true);
    else view.setBigUint64(at, BigInt(value), true);
    at += bytes;
  }
  return out;
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

/**
 * A zip of stored members as pieces at offsets (a member without `data` is a hole), written by hand so
 * that a member may declare a size it does not hold and the archive may be zip64 (fflate's zipSync
 * writes neither): with `zip64`, every entry's sizes and offset are in a zip64 extra field and the end
 * record points to a zip64 one.
 */
function zipPieces(members: Member[], { zip64 = false } = {}): { pieces: { offset: number; bytes: Uint8Array }[]; size: number } {
  const pieces: { offset: number; bytes: Uint8Array }[] = [];
  const central: Uint8Array[] = [];
  let at = 0;
  for (const { name, data, size = data?.length ?? 0 } of members) {
    const rawName = new TextEncoder().encode(name);
    const crc = data ? crc32(data) : 0;
    const small = (v: number): number => (zip64 ? 0xffffffff : v);
    const local = concat(
      record([
        [4, 0x04034b50],
        [2, zip64 ? 45 : 20],
        [2, 0],
        [2, 0],
        [4, 0],
        [4, crc],
        [4, small(size)],
        [4, small(size)],
        [2, rawName.length],
        [2, zip64 ? 20 : 0],
      ]),
      rawName,
      zip64
        ? record([
            [2, 1],
            [2, 16],
            [8, size],
            [8, size],
          ])
        : new Uint8Array(0),
    );
    pieces.push({ offset: at, bytes: local });
    if (data) pieces.push({ offset: at + local.length, bytes: data });
    central.push(
      concat(
        record([
          [4, 0x02014b50],
          [2, zip64 ? 45 : 20],
          [2, zip64 ? 45 : 20],
          [2, 0],
          [2, 0],
          [4, 0],
          [4, crc],
          [4, small(size)],
          [4, small(size)],
          [2, rawName.length],
          [2, zip64 ? 28 : 0],
          [2, 0],
          [2, 0],
          [2, 0],
          [4, 0],
          [4, small(at)],
        ]),
        rawName,
        zip64
          ? record([
              [2, 1],
              [2, 24],
              [8, size],
              [8, size],
              [8, at],
            ])
          : new Uint8Array(0),
      ),
    );
    at += local.length + size;
  }
  const directory = concat(...central);
  const cdOffset = at;
  const n = members.length;
  const tail: Uint8Array[] = [directory];
  if (zip64) {
    const record64 = cdOffset + directory.length;
    tail.push(
      record([
        [4, 0x06064b50],
        [8, 44],
        [2, 45],
        [2, 45],
        [4, 0],
        [4, 0],
        [8, n],
        [8, n],
        [8, directory.length],
        [8, cdOffset],
      ]),
      record([
        [4, 0x07064b50],
        [4, 0],
        [8, record64],
        [4, 1],
      ]),
    );
  }
  tail.push(
    record([
      [4, 0x06054b50],
      [2, 0],
      [2, 0],
      [2, zip64 ? 0xffff : n],
      [2, zip64 ? 0xffff : n],
      [4, zip64 ? 0xffffffff : directory.length],
      [4, zip64 ? 0xffffffff : cdOffset],
      [2, 0],
    ]),
  );
  const end = concat(...tail);
  pieces.push({ offset: cdOffset, bytes: end });
  return { pieces, size: cdOffset + end.length };
}

/** The archive in memory (members with data only). */
function zipBytes(members: Member[], options: { zip64?: boolean } = {}): Uint8Array {
  const { pieces, size } = zipPieces(members, options);
  const out = new Uint8Array(size);
  for (const { offset, bytes } of pieces) out.set(bytes, offset);
  return out;
}

/** Writes the archive's pieces at their offsets with a file handle: the members without data stay holes. */
async function writeSparse(path: string, members: Member[]): Promise<number> {
  const { pieces, size } = zipPieces(members);
  const handle = await open(path, 'w');
  try {
    for (const { offset, bytes } of pieces) await handle.write(bytes, 0, bytes.length, offset);
    await handle.truncate(size);
  } finally {
    await handle.close();
  }
  return size;
}

// The garbage collector, so that memory a previous test let go of is not counted as this one's (or
// reused by it unseen).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** How long `run` took and how far memory grew while it ran (sampled every millisecond, and the peak RSS the kernel kept). */
async function measure(
  run: () => Promise<unknown>,
): Promise<{ outcome: unknown; ms: number; rssGrowth: number; arrayBuffersGrowth: number; peakRssGrowth: number }> {
  gc();
  const start = process.memoryUsage();
  const startPeak = process.resourceUsage().maxRSS * 1024;
  let rss = start.rss;
  let arrayBuffers = start.arrayBuffers;
  const sample = (): void => {
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss);
    arrayBuffers = Math.max(arrayBuffers, now.arrayBuffers);
  };
  const timer = setInterval(sample, 1);
  const t0 = performance.now();
  let outcome: unknown;
  try {
    outcome = await run();
  } catch (error) {
    outcome = error;
  } finally {
    clearInterval(timer);
    sample();
  }
  return {
    outcome,
    ms: performance.now() - t0,
    rssGrowth: rss - start.rss,
    arrayBuffersGrowth: arrayBuffers - start.arrayBuffers,
    peakRssGrowth: process.resourceUsage().maxRSS * 1024 - startPeak,
  };
}

/** The bounds the path form keeps on a file it refuses (or reads a small part of) whatever the file's size. */
function expectCheap(m: Awaited<ReturnType<typeof measure>>): void {
  expect(m.rssGrowth, 'RSS growth').toBeLessThan(50 * MB);
  expect(m.peakRssGrowth, 'peak RSS growth').toBeLessThan(50 * MB);
  expect(m.arrayBuffersGrowth, 'arrayBuffers growth').toBeLessThan(50 * MB);
  expect(m.ms, 'milliseconds').toBeLessThan(1000);
}

const y = writeNpy({ data: new BigInt64Array([0n, 1n, 1n]) });

describe('readNpz(path) reads the end of a huge file, not all of it (1 GiB sparse files)', () => {
  it('a member declaring 1 GiB, over maxBytes, is refused before the file is read', async () => {
    const path = join(tempDir(), 'huge.npz');
    const size = await writeSparse(path, [
      { name: 'X.npy', size: GB },
      { name: 'y.npy', data: y },
    ]);
    expect(size).toBeGreaterThan(GB);
    const m = await measure(() => readNpz(path, { maxBytes: MB }));
    expect(m.outcome).toMatchObject({
      code: 'E_INPUT_TOO_LARGE',
      message: `${path}: .npz member 'X.npy' declares ${GB} bytes, more than a .npy within maxBytes (1048576) and maxHeaderBytes (65536) can hold (1114124); refusing before inflating it (raise maxBytes if you expect it).`,
      details: { entry: 'X.npy', uncompressedSize: GB, maxBytes: MB, maxHeaderBytes: 65536, path },
    });
    expectCheap(m);
  });

  it('the zip-bomb guard refuses it before the file is read', async () => {
    const path = join(tempDir(), 'huge.npz');
    await writeSparse(path, [{ name: 'X.npy', size: GB }]);
    const m = await measure(() => readNpz(path, { maxUncompressedBytes: 100 * MB }));
    expect(m.outcome).toMatchObject({
      code: 'E_INPUT_TOO_LARGE',
      details: { entry: 'X.npy', originalSize: GB, maxUncompressedBytes: 100 * MB, path },
    });
    expect((m.outcome as Error).message).toMatch(/possible zip bomb/);
    expectCheap(m);
  });

  it('a small member of it is read without reading the huge one', async () => {
    const path = join(tempDir(), 'huge.npz');
    await writeSparse(path, [
      { name: 'X.npy', size: GB },
      { name: 'y.npy', data: y },
    ]);
    const m = await measure(() => readNpz(path, { keys: ['y'] }));
    const arrays = m.outcome as Record<string, { dtype: string; data: Float64Array }>;
    expect(Object.keys(arrays)).toEqual(['y']);
    expect(arrays.y?.dtype).toBe('int64');
    expect(Array.from(arrays.y?.data ?? [])).toEqual([0, 1, 1]);
    expectCheap(m);
  });

  it('a file over 2 GiB (readFile refused it, E_IO) is read, and its 3 GiB member refused on the default limits', async () => {
    const path = join(tempDir(), 'huge.npz');
    await writeSparse(path, [
      { name: 'X.npy', size: 3 * GB },
      { name: 'y.npy', data: y },
    ]);
    const m = await measure(() => readNpz(path, { keys: ['y'] }));
    expect(Array.from((m.outcome as Record<string, { data: Float64Array }>).y?.data ?? [])).toEqual([0, 1, 1]);
    expectCheap(m);
    expect(await expectCode(() => readNpz(path), 'E_INPUT_TOO_LARGE')).toMatchObject({
      details: { entry: 'X.npy', uncompressedSize: 3 * GB, path },
    });
  });

  it('a 1 GiB file that is not a zip is E_FORMAT_UNSUPPORTED from its first and last bytes', async () => {
    const path = join(tempDir(), 'zeros.npz');
    const handle = await open(path, 'w');
    await handle.truncate(GB);
    await handle.close();
    const m = await measure(() => readNpz(path));
    expect(m.outcome).toMatchObject({
      code: 'E_FORMAT_UNSUPPORTED',
      message: `${path}: Not a zip/.npz archive: no zip signature found.`,
      details: { firstBytes: [0, 0, 0, 0, 0, 0, 0, 0], path },
    });
    expectCheap(m);
  });
});

/** What a read gave: the arrays, or the error's kind, code, message and details. */
async function outcomeOf(run: () => unknown): Promise<unknown> {
  try {
    return { arrays: await run() };
  } catch (error) {
    const e = error as { name?: string; code?: unknown; message?: string; details?: unknown };
    return { error: { name: e.name, code: e.code, message: e.message, details: e.details } };
  }
}

/** parseNpz's outcome as readNpz(path) gives it: an error's message led by the path, the path in its details. */
function asFromPath(outcome: unknown, path: string): unknown {
  const { error } = outcome as { error?: { name?: string; code?: unknown; message?: string; details?: Record<string, unknown> } };
  if (!error?.code) return outcome;
  return { error: { ...error, message: `${path}: ${error.message}`, details: { ...error.details, path } } };
}

/** readNpz(path) and parseNpz(bytes) agree on `bytes` with these options. */
async function expectSame(path: string, bytes: Uint8Array, options: NpzReadOptions = {}, label = ''): Promise<unknown> {
  writeFileSync(path, bytes);
  const fromBytes = await outcomeOf(() => parseNpz(bytes, options));
  const fromPath = await outcomeOf(() => readNpz(path, options));
  expect(fromPath, label).toEqual(asFromPath(fromBytes, path));
  return fromBytes;
}

const X = new Float64Array([0.5, -1, 2, 3.25, 4, 5]);
const fixture = (level: 0 | 6): Uint8Array =>
  zipSync({
    'X.npy': [writeNpy({ data: X, shape: [3, 2] }, { fortranOrder: true }), { level }],
    'y.npy': [y, { level }],
  });

describe('readNpz(path) gives what parseNpz gives for the same bytes', () => {
  it('valid archives, with and without options (stored, deflated, zip64)', async () => {
    const path = join(tempDir(), 'd.npz');
    const archives = {
      stored: fixture(0),
      deflated: fixture(6),
      zip64: zipBytes(
        [
          { name: 'X.npy', data: writeNpy({ data: X, shape: [3, 2] }) },
          { name: 'y.npy', data: y },
        ],
        { zip64: true },
      ),
    };
    for (const [label, bytes] of Object.entries(archives)) {
      for (const options of [
        {},
        { keys: ['y'] },
        { int64: 'bigint' as const },
        { maxBytes: 30 },
        { maxUncompressedBytes: 100 },
        { keys: ['nope'] },
      ])
        await expectSame(path, bytes, options, `${label} ${JSON.stringify(options)}`);
    }
    // The zip64 archive is read (parseNpz reads it too), not refused.
    writeFileSync(path, archives.zip64);
    const arrays = await readNpz(path);
    expect(arrays.X?.shape).toEqual([3, 2]);
    expect(Array.from(arrays.X?.data as Float64Array)).toEqual(Array.from(X));
    expect(Array.from(arrays.y?.data as Float64Array)).toEqual([0, 1, 1]);
  });

  it('every truncation and every flipped byte of stored, deflated and zip64 archives', async () => {
    const path = join(tempDir(), 'd.npz');
    const zip64 = zipBytes([{ name: 'y.npy', data: y }], { zip64: true });
    // What the cases came to, so that the comparison is seen to cover reads and many refusals.
    const seen = new Set<string>();
    const note = (outcome: unknown): void => {
      const { error } = outcome as { error?: { code?: string; message?: string } };
      seen.add(error ? `${error.code}: ${error.message?.replace(/\d+/g, 'N')}` : 'read');
    };
    for (const [label, zip] of [
      ['stored', fixture(0)],
      ['deflated', fixture(6)],
      ['zip64', zip64],
    ] as const) {
      for (let keep = 0; keep < zip.length; keep++) note(await expectSame(path, zip.subarray(0, keep), {}, `${label} cut to ${keep}`));
      for (let i = 0; i < zip.length; i++) {
        const bad = zip.slice();
        bad[i] = (bad[i] as number) ^ 0xff;
        note(await expectSame(path, bad, {}, `${label} byte ${i} flipped`));
      }
    }
    expect(seen).toContain('read');
    expect([...seen].filter((s) => s.startsWith('E_INPUT_INVALID')).length).toBeGreaterThan(10);
    expect([...seen].some((s) => s.startsWith('E_FORMAT_UNSUPPORTED'))).toBe(true);
  });

  it('an end record listing fewer entries on this disk than the directory holds: the others are left out, as unzipSync leaves them', async () => {
    const path = join(tempDir(), 'd.npz');
    const onThisDisk = (zip: Uint8Array, n: number): Uint8Array => {
      const out = zip.slice();
      new DataView(out.buffer).setUint16(out.length - 22 + 8, n, true);
      return out;
    };
    const one = onThisDisk(fixture(6), 1);
    expect(await expectSame(path, one)).toMatchObject({
      error: { code: 'E_INPUT_INVALID', message: "Corrupt .npz: member 'y.npy' does not match its recorded size; the file is damaged." },
    });
    expect(await expectSame(path, one, { keys: ['X'] })).toHaveProperty('arrays');
    expect(Object.keys(await readNpz(path, { keys: ['X'] }))).toEqual(['X']);
    expect(await expectSame(path, onThisDisk(fixture(0), 0))).toMatchObject({ error: { details: { entry: 'X.npy', actualBytes: 0 } } });
    // A zip64 end record saying 0 on this disk is read as none too (unzipSync looks at it first).
    const zip64 = zipBytes([{ name: 'y.npy', data: y }], { zip64: true });
    expect(await expectSame(path, onThisDisk(zip64, 0))).toMatchObject({ error: { details: { entry: 'y.npy', actualBytes: 0 } } });
    expect(await expectSame(path, onThisDisk(zip64, 1))).toHaveProperty('arrays');
  });

  it('a truncated archive, a bad central directory offset and a bad zip64 record keep their typed errors', async () => {
    const path = join(tempDir(), 'd.npz');
    const zip = fixture(6);
    writeFileSync(path, zip.subarray(0, zip.length - 30));
    expect(await expectCode(() => readNpz(path), 'E_INPUT_INVALID')).toMatchObject({
      message: `${path}: Corrupt or truncated zip archive: no end-of-central-directory record (the file was probably cut short).`,
      details: { bytes: zip.length - 30, path },
    });
    const pastEnd = zip.slice();
    new DataView(pastEnd.buffer).setUint32(pastEnd.length - 6, zip.length, true);
    writeFileSync(path, pastEnd);
    expect((await expectCode(() => readNpz(path), 'E_INPUT_INVALID')).message).toBe(
      `${path}: Corrupt or truncated zip archive: the central directory lies past the end of the file.`,
    );
    const inside = zip.slice();
    new DataView(inside.buffer).setUint32(inside.length - 6, 10, true);
    writeFileSync(path, inside);
    expect(await expectCode(() => readNpz(path), 'E_INPUT_INVALID')).toMatchObject({
      message: `${path}: Corrupt or truncated zip archive: central directory entry 0 is damaged.`,
      details: { entry: 0, offset: 10, path },
    });
    const zip64 = zipBytes([{ name: 'y.npy', data: y }], { zip64: true });
    // The locator's offset of the zip64 record, past the end of the file.
    new DataView(zip64.buffer).setUint32(zip64.length - 22 - 12, zip64.length, true);
    writeFileSync(path, zip64);
    expect((await expectCode(() => readNpz(path), 'E_INPUT_INVALID')).message).toBe(
      `${path}: Corrupt or truncated zip archive: bad zip64 end-of-central-directory record.`,
    );
  });

  it('a zip64 field longer than the extra field it is in is short, not read past the end of the archive (it was a RangeError)', async () => {
    const path = join(tempDir(), 'd.npz');
    // One entry whose sizes and offset are all in the zip64 field, which is only its 4-byte header
    // (claiming 24 bytes), last in the directory: its values lay in the end record and past it.
    const zip = zipBytes([{ name: 'y.npy', data: y }], { zip64: true });
    const view = new DataView(zip.buffer);
    const cd = zip.length - 22 - 20 - 56 - (46 + 5 + 28);
    view.setUint16(cd + 30, 4, true);
    const cut = concat(zip.subarray(0, cd + 46 + 5 + 4), zip.subarray(zip.length - 22));
    const eocd = new DataView(cut.buffer, cut.length - 22);
    eocd.setUint16(8, 1, true);
    eocd.setUint16(10, 1, true);
    eocd.setUint32(12, 46 + 5 + 4, true);
    eocd.setUint32(16, cd, true);
    for (const read of [() => parseNpz(cut), () => readNpz(cut)]) {
      expect((await expectCode(read, 'E_INPUT_INVALID')).message).toBe(
        "Corrupt or truncated zip archive: zip64 field of 'y.npy' is short.",
      );
    }
    await expectSame(path, cut);
  });

  it('a directory, a FIFO and a device are E_IO without being opened, a missing file too', async () => {
    const dir = tempDir();
    expect(await expectCode(() => readNpz(dir), 'E_IO')).toMatchObject({
      message: `Cannot read .npz file ${dir}: it is a directory, not a regular file.`,
      details: { path: dir, reason: 'not-a-regular-file' },
    });
    if (process.platform !== 'win32') {
      const fifo = join(dir, 'pipe.npz');
      execFileSync('mkfifo', [fifo]);
      expect(await expectCode(() => readNpz(fifo), 'E_IO')).toMatchObject({
        message: `Cannot read .npz file ${fifo}: it is a FIFO (named pipe), not a regular file.`,
        details: { path: fifo, reason: 'not-a-regular-file' },
      });
    }
    expect((await expectCode(() => readNpz('/dev/zero'), 'E_IO')).message).toBe(
      'Cannot read .npz file /dev/zero: it is a device, not a regular file.',
    );
    const missing = join(dir, 'missing.npz');
    expect(await expectCode(() => readNpz(missing), 'E_IO')).toMatchObject({
      message: `Cannot read .npz file ${missing}: no such file.`,
      details: { path: missing, reason: 'ENOENT' },
    });
  });
});

describe('readNpz(path) read failures are E_IO, as when it read the whole file', () => {
  it('a file that cannot be opened, and one that ends before the size it had when opened', async () => {
    const path = join(tempDir(), 'd.npz');
    const zip = fixture(6);
    writeFileSync(path, zip);
    const denied = Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
    open.mockRejectedValueOnce(denied);
    const error = await expectCode(() => readNpz(path), 'E_IO');
    expect(error).toMatchObject({ message: `Cannot read .npz file ${path}: EACCES: permission denied, open '${path}'`, details: { path } });
    expect(error.cause).toBe(denied);
    // A handle whose size is 100 bytes more than the file holds: the file was cut short after it was opened.
    const real = await fsp.open(path, 'r');
    const stat = real.stat.bind(real);
    const shorter = Object.assign(real, { stat: async () => ({ ...(await stat()), size: zip.length + 100 }) });
    open.mockResolvedValueOnce(shorter as never);
    expect(await expectCode(() => readNpz(path), 'E_IO')).toMatchObject({
      message: `Cannot read .npz file ${path}: it ended at byte ${zip.length}, short of the ${zip.length + 100} bytes it had when opened`,
      details: { path },
    });
    // The handle was closed.
    await expect(real.read(new Uint8Array(1), 0, 1, 0)).rejects.toMatchObject({ code: 'EBADF' });
  });
});
