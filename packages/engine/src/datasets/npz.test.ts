import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { writeNpy } from './npy';
import { parseNpz, readNpz } from './npz';
import { expectCode, realDataset, tempDir } from './test-helpers';

const X = new Float64Array([0.5, -1, 2, 3.25, 4, 5]);
const y = new BigInt64Array([0n, 1n, 0n]);

/** A small ADBench-shaped archive: X float64 (3, 2) column-major, y int64 (3,). */
function fixture(level: 0 | 6 = 6): Uint8Array {
  return zipSync({
    'X.npy': [writeNpy({ data: X, shape: [3, 2] }, { fortranOrder: true }), { level }],
    'y.npy': [writeNpy({ data: y }), { level }],
  });
}

/** Offset of the first central-directory record (signature PK\x01\x02). */
function centralOffset(zip: Uint8Array): number {
  for (let i = zip.length - 4; i >= 0; i--) {
    if (zip[i] === 0x50 && zip[i + 1] === 0x4b && zip[i + 2] === 1 && zip[i + 3] === 2) {
      // keep looking backwards for the first one
      let first = i;
      for (let j = i - 1; j >= 0; j--) if (zip[j] === 0x50 && zip[j + 1] === 0x4b && zip[j + 2] === 1 && zip[j + 3] === 2) first = j;
      return first;
    }
  }
  throw new Error('no central directory');
}

describe('parseNpz / readNpz on synthetic archives', () => {
  for (const [label, level] of [
    ['deflate (np.savez_compressed)', 6],
    ['stored (np.savez)', 0],
  ] as const) {
    it(`reads ${label} archives and strips .npy from names`, () => {
      const arrays = parseNpz(fixture(level));
      expect(Object.keys(arrays).sort()).toEqual(['X', 'y']);
      expect(arrays.X?.shape).toEqual([3, 2]);
      expect(arrays.X?.fortranOrder).toBe(true);
      expect(Array.from(arrays.X?.data as Float64Array)).toEqual(Array.from(X));
      expect(arrays.y?.dtype).toBe('int64');
      expect(Array.from(arrays.y?.data as Float64Array)).toEqual([0, 1, 0]);
    });
  }

  it('reads only the requested keys', () => {
    const arrays = parseNpz(fixture(), { keys: ['y'] });
    expect(Object.keys(arrays)).toEqual(['y']);
  });

  it('a requested key that is absent names what is there', async () => {
    const error = await expectCode(() => parseNpz(fixture(), { keys: ['labels'] }), 'E_INPUT_INVALID');
    expect(error.message).toContain("'labels'");
    expect(error.message).toContain('X, y');
  });

  it('passes npy options through (int64 as bigint, limits)', async () => {
    const arrays = parseNpz(fixture(), { int64: 'bigint' });
    expect(arrays.y?.data).toBeInstanceOf(BigInt64Array);
    const error = await expectCode(() => parseNpz(fixture(), { maxBytes: 30 }), 'E_INPUT_TOO_LARGE');
    expect(error.details).toMatchObject({ entry: 'X.npy' });
  });

  it('ignores members that are not .npy', () => {
    const zip = zipSync({ 'README.txt': new TextEncoder().encode('hello'), 'a.npy': writeNpy({ data: new Uint8Array([1, 2]) }) });
    expect(Object.keys(parseNpz(zip))).toEqual(['a']);
  });

  it("keeps a member named '__proto__.npy' as a plain key; the result stays a plain object", async () => {
    const zip = zipSync({
      'X.npy': writeNpy({ data: [1, 2] }),
      '__proto__.npy': writeNpy({ data: [3] }),
      'constructor.npy': writeNpy({ data: [4] }),
    });
    for (const arrays of [parseNpz(zip), await readNpz(zip), parseNpz(zip, { keys: ['__proto__'] })]) {
      expect(Object.getPrototypeOf(arrays)).toBe(Object.prototype);
      expect(Object.hasOwn(arrays, '__proto__')).toBe(true);
      expect(Array.from(arrays['__proto__']!.data as Float64Array)).toEqual([3]);
      expect('dtype' in arrays).toBe(false);
    }
    expect(Object.keys(parseNpz(zip))).toEqual(['X', '__proto__', 'constructor']);
    expect(Array.from(parseNpz(zip)['constructor']!.data as Float64Array)).toEqual([4]);
  });

  it('readNpz takes a path or bytes; an unreadable path is E_IO', async () => {
    const dir = tempDir();
    const path = join(dir, 'd.npz');
    writeFileSync(path, fixture());
    expect(Object.keys(await readNpz(path)).sort()).toEqual(['X', 'y']);
    expect(Object.keys(await readNpz(fixture().buffer as ArrayBuffer)).sort()).toEqual(['X', 'y']);
    await expectCode(() => readNpz(join(dir, 'missing.npz')), 'E_IO');
    // What the path is, in statRegularFile's words (it said only "not a regular file").
    const error = await expectCode(() => readNpz(dir), 'E_IO');
    expect(error.message).toBe(`Cannot read .npz file ${dir}: it is a directory, not a regular file.`);
    expect(error.details).toEqual({ path: dir, reason: 'not-a-regular-file' });
    expect((await expectCode(() => readNpz('/dev/null'), 'E_IO')).message).toBe(
      'Cannot read .npz file /dev/null: it is a device, not a regular file.',
    );
  });
});

describe('parseNpz rejects corrupt and hostile archives', () => {
  it('empty input, an empty archive, and non-zip bytes', async () => {
    await expectCode(() => parseNpz(new Uint8Array(0)), 'E_INPUT_INVALID');
    await expectCode(() => parseNpz(zipSync({})), 'E_INPUT_INVALID');
    await expectCode(() => parseNpz(new TextEncoder().encode('this is plainly not a zip file, just some text')), 'E_FORMAT_UNSUPPORTED');
    const npy = await expectCode(() => parseNpz(writeNpy({ data: new Float32Array(4) })), 'E_FORMAT_UNSUPPORTED');
    expect(npy.message).toContain('parseNpy');
  });

  it('truncated archives (cut anywhere) → E_INPUT_INVALID', async () => {
    const zip = fixture();
    for (const keep of [10, 30, Math.floor(zip.length / 2), zip.length - 30, zip.length - 1]) {
      const error = await expectCode(() => parseNpz(zip.subarray(0, keep)), 'E_INPUT_INVALID');
      expect(error.message).toMatch(/truncated|corrupt/i);
    }
  });

  it('a flipped byte in stored data is caught by the CRC check', async () => {
    const zip = fixture(0);
    // The first member's data starts after its 30-byte local header and 5-byte name; flip a data byte.
    const bad = zip.slice();
    bad[30 + 5 + 130] = (bad[30 + 5 + 130] as number) ^ 0x01;
    const error = await expectCode(() => parseNpz(bad), 'E_INPUT_INVALID');
    expect(error.message).toContain('CRC');
  });

  it('flipped bytes anywhere never crash, hang or return garbage silently', async () => {
    for (const level of [0, 6] as const) {
      const zip = fixture(level);
      for (let i = 0; i < zip.length; i++) {
        const bad = zip.slice();
        bad[i] = (bad[i] as number) ^ 0xff;
        let arrays;
        try {
          arrays = parseNpz(bad);
        } catch (error) {
          expect((error as { code?: string }).code, `byte ${i}`).toMatch(/^E_/);
          continue;
        }
        // Some bytes (timestamps, version fields) do not matter; then the content must be intact.
        expect(Object.keys(arrays).sort(), `byte ${i}`).toEqual(['X', 'y']);
        expect(Array.from(arrays.X?.data as Float64Array), `byte ${i}`).toEqual(Array.from(X));
        expect(Array.from(arrays.y?.data as Float64Array), `byte ${i}`).toEqual([0, 1, 0]);
      }
    }
  });

  it('zip bomb guard: declared uncompressed size over the limit → E_INPUT_TOO_LARGE before inflating', async () => {
    // 16 MiB of zeros deflates to a few KiB.
    const bomb = zipSync({ 'big.npy': [writeNpy({ data: new Uint8Array(16 * 1024 * 1024) }), { level: 9 }] });
    expect(bomb.length).toBeLessThan(100_000);
    const error = await expectCode(() => parseNpz(bomb, { maxUncompressedBytes: 1024 * 1024 }), 'E_INPUT_TOO_LARGE');
    expect(error.message).toMatch(/zip bomb/);
    expect(error.details).toMatchObject({ entry: 'big.npy' });
    // The default limit (2 GiB) stops a member that claims 3 GiB, without allocating it.
    const lying = fixture().slice();
    new DataView(lying.buffer).setUint32(centralOffset(lying) + 24, 3 * 1024 ** 3, true);
    await expectCode(() => parseNpz(lying), 'E_INPUT_TOO_LARGE');
  });

  it('a member whose declared size understates the real one is rejected', async () => {
    const zip = fixture().slice();
    const view = new DataView(zip.buffer);
    const cd = centralOffset(zip);
    view.setUint32(cd + 24, view.getUint32(cd + 24, true) - 16, true);
    await expectCode(() => parseNpz(zip), 'E_INPUT_INVALID');
  });

  it('unsupported compression methods and encryption → E_FORMAT_UNSUPPORTED', async () => {
    const zip = fixture().slice();
    const view = new DataView(zip.buffer);
    const cd = centralOffset(zip);
    view.setUint16(cd + 10, 12, true); // bzip2
    await expectCode(() => parseNpz(zip), 'E_FORMAT_UNSUPPORTED');
    const enc = fixture().slice();
    const encView = new DataView(enc.buffer);
    encView.setUint16(centralOffset(enc) + 8, 1, true);
    await expectCode(() => parseNpz(enc), 'E_FORMAT_UNSUPPORTED');
  });
});

// Real files from $APPLIEDML_DATA_DIR. Expected values were read once with numpy 1.24 and hard-coded.
describe('real datasets from APPLIEDML_DATA_DIR', () => {
  const adbench = {
    name: 'adbench',
    howToGet: 'ADBench Classical datasets (BSD-2-Clause), https://github.com/Minqi824/ADBench, adbench/datasets/Classical/*.npz',
    files: [
      { path: '6_cardio.npz', sha256: 'bc5009bde6930b4d298b594f31b34485a9a17210cff0e8fb00a8c3068b885a2d' },
      { path: '32_shuttle.npz', sha256: '26900b0f6be45d9ddb7a402c9b2f956ceda42d23a8ca4cf4406b8bc1352823d1' },
      { path: '38_thyroid.npz', sha256: '8de161b3f235b7647bb0b39a836d983ff61d67bf234edac461da2d71e889cb87' },
    ],
  };

  it('ADBench cardio: X float64 1831x21 (Fortran order on disk), y int64 with 176 anomalies', async () => {
    const ds = await realDataset(adbench);
    const { X: cx, y: cy } = await readNpz(ds.files['6_cardio.npz'] as string);
    expect(cx?.dtype).toBe('float64');
    expect(cx?.shape).toEqual([1831, 21]);
    expect(cx?.fortranOrder).toBe(true);
    const data = cx?.data as Float64Array;
    expect(Array.from(data.subarray(0, 4))).toEqual([0.004912314661768384, 0.6931907749193863, -0.20364048566636067, 0.5953221199773836]);
    expect(Array.from(data.subarray(data.length - 2))).toEqual([3.5846529474813322, -0.49329396944014214]);
    expect(cy?.dtype).toBe('int64');
    expect(cy?.shape).toEqual([1831]);
    expect((cy?.data as Float64Array).reduce((s, v) => s + v, 0)).toBe(176);
  });

  it('ADBench shuttle: X int16 49097x9, y has 3511 anomalies', async () => {
    const ds = await realDataset(adbench);
    const { X: sx, y: sy } = await readNpz(ds.files['32_shuttle.npz'] as string);
    expect(sx?.dtype).toBe('int16');
    expect(sx?.shape).toEqual([49097, 9]);
    const data = sx?.data as Int16Array;
    expect(data).toBeInstanceOf(Int16Array);
    expect(Array.from(data.subarray(0, 4))).toEqual([50, 21, 77, 0]);
    expect(Array.from(data.subarray(data.length - 2))).toEqual([85, 20]);
    expect(data.reduce((s, v) => s + v, 0)).toBe(13157400);
    const labels = sy?.data as Float64Array;
    expect(labels[0]).toBe(1);
    expect(labels.reduce((s, v) => s + v, 0)).toBe(3511);
  });

  it('ADBench thyroid: values and checksum verification', async () => {
    const dataDir = (await realDataset(adbench)).root;
    expect(dataDir).toMatch(/adbench$/);
    const { X: tx, y: ty } = await readNpz(join(dataDir, '38_thyroid.npz'));
    expect(tx?.shape).toEqual([3772, 6]);
    const data = tx?.data as Float64Array;
    expect(Array.from(data.subarray(0, 4))).toEqual([0.774193548387, 0.0011320754717, 0.137571157495, 0.275700934579]);
    expect(data.reduce((s, v) => s + v, 0)).toBeCloseTo(5814.554025547037, 6);
    expect((ty?.data as Float64Array).reduce((s, v) => s + v, 0)).toBe(93);
  });

  it('PneumoniaMNIST: uint8 images and labels at the official split sizes', async () => {
    const ds = await realDataset({
      name: 'medmnist',
      howToGet: 'PneumoniaMNIST (MedMNIST v2, CC BY 4.0); see medmnist/SOURCE.md for how the full file was rebuilt',
      files: [
        { path: 'pneumoniamnist_full_reconstructed.npz', sha256: '3bdc58eee9dc4d49cf5fec1bc07512b2a0e7c12531ff301951c36c39b95e6ae6' },
      ],
    });
    const path = ds.files['pneumoniamnist_full_reconstructed.npz'] as string;
    const all = await readNpz(path);
    expect(Object.keys(all).sort()).toEqual(['test_images', 'test_labels', 'train_images', 'train_labels', 'val_images', 'val_labels']);
    const sum = (a: Uint8Array): number => a.reduce((s, v) => s + v, 0);
    const expected = {
      train: { n: 4708, pixels: 538305934, positives: 3494, head: [92, 108, 117, 111] },
      val: { n: 524, pixels: 59624090, positives: 389, head: [88, 81, 87, 112] },
      test: { n: 624, pixels: 70355184, positives: 390, head: [62, 19, 15, 42] },
    };
    for (const [split, e] of Object.entries(expected)) {
      const images = all[`${split}_images`];
      const labels = all[`${split}_labels`];
      expect(images?.dtype).toBe('uint8');
      expect(images?.shape).toEqual([e.n, 28, 28]);
      expect(Array.from((images?.data as Uint8Array).subarray(0, 4))).toEqual(e.head);
      expect(sum(images?.data as Uint8Array)).toBe(e.pixels);
      expect(labels?.shape).toEqual([e.n, 1]);
      expect(sum(labels?.data as Uint8Array)).toBe(e.positives);
    }
    const onlyTest = await readNpz(path, { keys: ['test_labels'] });
    expect(Object.keys(onlyTest)).toEqual(['test_labels']);
  });
});

describe('parseNpz option types (API fuzz F19)', () => {
  it('refuses keys that are not a list of names and a NaN or negative size limit', async () => {
    const npz = zipSync({ 'X.npy': writeNpy({ data: [1, 2] }), 'y.npy': writeNpy({ data: [3] }) });
    for (const keys of ['Xy', 5, [1]])
      expect((await expectCode(() => parseNpz(npz, { keys: keys as never }), 'E_INPUT_INVALID')).message).toMatch(/keys must be a list/);
    for (const limit of [NaN, -1, '5']) await expectCode(() => parseNpz(npz, { maxUncompressedBytes: limit as never }), 'E_INPUT_INVALID');
    await expectCode(() => parseNpz(npz, { maxBytes: NaN }), 'E_INPUT_INVALID');
    expect(Object.keys(parseNpz(npz, { keys: ['y'] }))).toEqual(['y']);
  });
});
