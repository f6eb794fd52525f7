import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNpy, readNpy, writeNpy, type NpyDtype } from './npy';
import { expectCode, tempDir } from './test-helpers';

/** Builds a .npy by hand: preamble + header text (padded) + raw data bytes. */
function rawNpy(header: string, data: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const preamble = version === 1 ? 10 : 12;
  const text = new TextEncoder().encode(header.padEnd(Math.ceil((preamble + header.length + 1) / 64) * 64 - preamble - 1, ' ') + '\n');
  const out = new Uint8Array(preamble + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  out.set(text, preamble);
  out.set(data, preamble + text.length);
  return out;
}

describe('parseNpy / writeNpy round trip', () => {
  const cases: [NpyDtype, ArrayLike<number>, string][] = [
    ['float32', new Float32Array([1.5, -2.25, 0, 3e-7]), 'Float32Array'],
    ['float64', new Float64Array([Math.PI, -1e300, 0, 5e-324]), 'Float64Array'],
    ['int8', new Int8Array([-128, 127, 0, -1]), 'Int8Array'],
    ['uint8', new Uint8Array([0, 255, 7, 128]), 'Uint8Array'],
    ['int16', new Int16Array([-32768, 32767, 1, -2]), 'Int16Array'],
    ['uint16', new Uint16Array([0, 65535, 3, 4]), 'Uint16Array'],
    ['int32', new Int32Array([-2147483648, 2147483647, 5, -6]), 'Int32Array'],
    ['uint32', new Uint32Array([0, 4294967295, 7, 8]), 'Uint32Array'],
  ];
  for (const [dtype, data, ctor] of cases) {
    for (const byteOrder of ['little', 'big'] as const) {
      it(`${dtype} (${byteOrder}-endian) comes back as ${ctor}`, () => {
        const bytes = writeNpy({ data: data as never, shape: [2, 2] }, { byteOrder });
        const arr = parseNpy(bytes);
        expect(arr.dtype).toBe(dtype);
        expect(arr.shape).toEqual([2, 2]);
        expect(arr.fortranOrder).toBe(false);
        expect(arr.data.constructor.name).toBe(ctor);
        expect(Array.from(arr.data as ArrayLike<number>)).toEqual(Array.from(data));
      });
    }
  }

  it('int64/uint64 become exact Float64Array by default, BigInt arrays on request', () => {
    const big = new BigInt64Array([-(2n ** 53n), 2n ** 53n - 1n, 0n, -5n]);
    const bytes = writeNpy({ data: big });
    const asNumber = parseNpy(bytes);
    expect(asNumber.dtype).toBe('int64');
    expect(asNumber.data).toBeInstanceOf(Float64Array);
    expect(Array.from(asNumber.data as Float64Array)).toEqual([-(2 ** 53), 2 ** 53 - 1, 0, -5]);
    const asBig = parseNpy(bytes, { int64: 'bigint' });
    expect(asBig.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(asBig.data as BigInt64Array)).toEqual(Array.from(big));

    const ubytes = writeNpy({ data: new BigUint64Array([0n, 2n ** 53n, 12345n]) }, { byteOrder: 'big' });
    expect(Array.from(parseNpy(ubytes).data as Float64Array)).toEqual([0, 2 ** 53, 12345]);
  });

  it('int64 beyond 2^53 is an error, not a rounded number', async () => {
    const bytes = writeNpy({ data: new BigInt64Array([1n, 2n ** 53n + 1n]) });
    const error = await expectCode(() => parseNpy(bytes), 'E_FORMAT_UNSUPPORTED');
    expect(error.message).toContain('9007199254740993');
    expect(error.message).toContain("int64: 'bigint'");
    expect(error.details).toMatchObject({ index: 1 });
    const negative = writeNpy({ data: new BigInt64Array([-(2n ** 60n)]) });
    await expectCode(() => parseNpy(negative), 'E_FORMAT_UNSUPPORTED');
    const unsigned = writeNpy({ data: new BigUint64Array([2n ** 64n - 1n]) });
    await expectCode(() => parseNpy(unsigned), 'E_FORMAT_UNSUPPORTED');
    expect(parseNpy(unsigned, { int64: 'bigint' }).data[0]).toBe(2n ** 64n - 1n);
  });

  it('bool becomes a Uint8Array of 0/1', () => {
    const bytes = writeNpy({ data: new Uint8Array([1, 0, 1]), dtype: 'bool' });
    expect(new TextDecoder().decode(bytes.subarray(10, 40))).toContain("'|b1'");
    const arr = parseNpy(bytes);
    expect(arr.dtype).toBe('bool');
    expect(Array.from(arr.data as Uint8Array)).toEqual([1, 0, 1]);
    // Any nonzero byte is True in NumPy; normalise it.
    const odd = rawNpy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", new Uint8Array([0, 7]));
    expect(Array.from(parseNpy(odd).data as Uint8Array)).toEqual([0, 1]);
  });

  it('float16 is widened to Float32Array exactly', () => {
    const halves = [0x3c00, 0xc000, 0x3800, 0x7c00, 0x7bff, 0x0001, 0x0000, 0x8000];
    const data = new Uint8Array(halves.length * 2);
    const view = new DataView(data.buffer);
    halves.forEach((h, i) => view.setUint16(i * 2, h, true));
    const arr = parseNpy(rawNpy(`{'descr': '<f2', 'fortran_order': False, 'shape': (${halves.length},), }`, data));
    expect(arr.dtype).toBe('float16');
    expect(arr.data).toBeInstanceOf(Float32Array);
    expect(Array.from(arr.data as Float32Array)).toEqual([1, -2, 0.5, Infinity, 65504, 2 ** -24, 0, -0]);
  });

  it('reads format versions 1.0, 2.0 and 3.0', () => {
    const data = new Float64Array([1, 2, 3, 4, 5, 6]);
    for (const version of [1, 2, 3] as const) {
      const bytes = writeNpy({ data, shape: [3, 2] }, { version });
      expect(bytes[6]).toBe(version);
      expect((bytes.length - data.byteLength) % 64).toBe(0);
      const arr = parseNpy(bytes);
      expect(arr.shape).toEqual([3, 2]);
      expect(Array.from(arr.data as Float64Array)).toEqual([1, 2, 3, 4, 5, 6]);
    }
    // 3.0 allows a UTF-8 header; the literal parser must cope with non-ASCII text.
    const v3 = rawNpy("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array([9, 0, 0, 0]), 3);
    expect(Array.from(parseNpy(v3).data as Int32Array)).toEqual([9]);
  });

  it('fortran_order=True is transposed into C order (2-D and 3-D)', () => {
    const c2 = new Float64Array([1, 2, 3, 4, 5, 6]); // 2x3 in C order
    const f2 = writeNpy({ data: c2, shape: [2, 3] }, { fortranOrder: true });
    // On disk the column-major layout is 1 4 2 5 3 6.
    const raw = new Float64Array(f2.slice(f2.length - 48).buffer);
    expect(Array.from(raw)).toEqual([1, 4, 2, 5, 3, 6]);
    const arr = parseNpy(f2);
    expect(arr.fortranOrder).toBe(true);
    expect(Array.from(arr.data as Float64Array)).toEqual([1, 2, 3, 4, 5, 6]);

    const c3 = Int16Array.from({ length: 24 }, (_, i) => i);
    const arr3 = parseNpy(writeNpy({ data: c3, shape: [2, 3, 4] }, { fortranOrder: true, byteOrder: 'big' }));
    expect(Array.from(arr3.data as Int16Array)).toEqual(Array.from(c3));
    expect(arr3.shape).toEqual([2, 3, 4]);
  });

  it('handles 0-d scalars and empty arrays', () => {
    const scalar = parseNpy(writeNpy({ data: new Float32Array([7]), shape: [] }));
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data as Float32Array)).toEqual([7]);
    const empty = parseNpy(writeNpy({ data: new Float64Array(0), shape: [0, 5] }));
    expect(empty.shape).toEqual([0, 5]);
    expect(empty.data.length).toBe(0);
  });

  it('big-endian float16 / float32 / float64 / int64 (as numbers and as BigInts), at an odd offset, in host order', () => {
    const halves = [0x3c00, 0xc000, 0x7bff, 0x0001];
    const f2 = new Uint8Array(halves.length * 2);
    halves.forEach((h, i) => new DataView(f2.buffer).setUint16(i * 2, h, false));
    const odd = (bytes: Uint8Array): Uint8Array => Buffer.concat([Buffer.alloc(1), bytes]).subarray(1);
    const half = parseNpy(odd(rawNpy(`{'descr': '>f2', 'fortran_order': False, 'shape': (4,), }`, f2)));
    expect(Array.from(half.data as Float32Array)).toEqual([1, -2, 65504, 2 ** -24]);
    expect(Array.from(parseNpy(odd(writeNpy({ data: new Float32Array([1.5, -3]) }, { byteOrder: 'big' }))).data as Float32Array)).toEqual([
      1.5, -3,
    ]);
    expect(
      Array.from(parseNpy(odd(writeNpy({ data: new Float64Array([Math.PI, -0]) }, { byteOrder: 'big' }))).data as Float64Array),
    ).toEqual([Math.PI, -0]);
    const int64 = odd(writeNpy({ data: new BigInt64Array([-(2n ** 53n), 2n ** 40n + 3n, -1n]) }, { byteOrder: 'big' }));
    expect(Array.from(parseNpy(int64).data as Float64Array)).toEqual([-(2 ** 53), 2 ** 40 + 3, -1]);
    expect(Array.from(parseNpy(int64, { int64: 'bigint' }).data as BigInt64Array)).toEqual([-(2n ** 53n), 2n ** 40n + 3n, -1n]);
    const beyond = writeNpy({ data: new BigInt64Array([0n, -(2n ** 53n) - 1n]) }, { byteOrder: 'big' });
    expect(() => parseNpy(beyond)).toThrow('int64 value -9007199254740993 at flat index 1 exceeds 2^53');
  });

  it('accepts Buffers at any offset (copies, never aliases a misaligned view)', () => {
    const bytes = writeNpy({ data: new Float64Array([1.25, 2.5]) });
    const pool = Buffer.alloc(bytes.length + 3);
    pool.set(bytes, 3);
    const view = pool.subarray(3);
    const arr = parseNpy(view);
    expect(Array.from(arr.data as Float64Array)).toEqual([1.25, 2.5]);
    pool.fill(0);
    expect(Array.from(arr.data as Float64Array)).toEqual([1.25, 2.5]);
    expect(Array.from(parseNpy(bytes.buffer as ArrayBuffer).data as Float64Array)).toEqual([1.25, 2.5]);
  });

  it('parses headers written by old NumPy (Python 2 longs, no trailing comma)', () => {
    const arr = parseNpy(rawNpy('{"descr": "<u2", "fortran_order": False, "shape": (2L, 1L)}', new Uint8Array([1, 0, 2, 0])));
    expect(arr.shape).toEqual([2, 1]);
    expect(Array.from(arr.data as Uint16Array)).toEqual([1, 2]);
  });

  it('readNpy reads a file and reports a missing one as E_IO', async () => {
    const dir = tempDir();
    const path = join(dir, 'a.npy');
    writeFileSync(path, writeNpy({ data: new Int32Array([4, 5, 6]) }));
    expect(Array.from((await readNpy(path)).data as Int32Array)).toEqual([4, 5, 6]);
    const error = await expectCode(() => readNpy(join(dir, 'nope.npy')), 'E_IO');
    expect(error.message).toBe(`Cannot read .npy file ${join(dir, 'nope.npy')}: no such file.`);
    expect(error.details).toEqual({ path: join(dir, 'nope.npy'), reason: 'ENOENT' });
    // What is no path at all is bad input, not a failed read.
    await expectCode(() => readNpy(undefined as never), 'E_INPUT_INVALID');
  });
});

describe('parseNpy rejects bad input with typed errors', () => {
  const good = writeNpy({ data: new Float64Array([1, 2, 3, 4]), shape: [2, 2] });

  it('empty and too-short input', async () => {
    await expectCode(() => parseNpy(new Uint8Array(0)), 'E_INPUT_INVALID');
    await expectCode(() => parseNpy(good.subarray(0, 4)), 'E_INPUT_INVALID');
    await expectCode(() => parseNpy(good.subarray(0, 9)), 'E_INPUT_INVALID');
  });

  it('wrong magic → E_FORMAT_UNSUPPORTED, with a hint for zip files', async () => {
    const bad = good.slice();
    bad[1] = 0x58;
    await expectCode(() => parseNpy(bad), 'E_FORMAT_UNSUPPORTED');
    const zip = await expectCode(() => parseNpy(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0, 0, 0])), 'E_FORMAT_UNSUPPORTED');
    expect(zip.message).toContain('readNpz');
    await expectCode(() => parseNpy(new TextEncoder().encode('a,b,c\n1,2,3\n')), 'E_FORMAT_UNSUPPORTED');
  });

  it('unsupported format versions', async () => {
    const bad = good.slice();
    bad[6] = 4;
    await expectCode(() => parseNpy(bad), 'E_FORMAT_UNSUPPORTED');
  });

  it('truncated header and truncated data', async () => {
    await expectCode(() => parseNpy(good.subarray(0, 40)), 'E_INPUT_INVALID');
    const error = await expectCode(() => parseNpy(good.subarray(0, good.length - 1)), 'E_INPUT_INVALID');
    expect(error.message).toMatch(/truncated/);
    expect(error.details).toMatchObject({ expectedBytes: 32, actualBytes: 31 });
  });

  it('a header claiming more data than present', async () => {
    const lying = rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 1000), }", new Uint8Array(64));
    const error = await expectCode(() => parseNpy(lying), 'E_INPUT_INVALID');
    expect(error.message).toContain('8000000 bytes');
  });

  it('trailing garbage after the data', async () => {
    const padded = new Uint8Array(good.length + 8);
    padded.set(good);
    await expectCode(() => parseNpy(padded), 'E_INPUT_INVALID');
  });

  it('huge header length and huge shapes → E_INPUT_TOO_LARGE before allocating', async () => {
    const bad = good.slice();
    new DataView(bad.buffer).setUint16(8, 65535, true);
    await expectCode(() => parseNpy(bad, { maxHeaderBytes: 1024 }), 'E_INPUT_TOO_LARGE');
    const v2 = writeNpy({ data: new Float64Array([1]) }, { version: 2 });
    new DataView(v2.buffer).setUint32(8, 0xfffffff0, true);
    await expectCode(() => parseNpy(v2), 'E_INPUT_TOO_LARGE');
    const huge = rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000, 100000), }");
    await expectCode(() => parseNpy(huge), 'E_INPUT_TOO_LARGE');
    await expectCode(() => parseNpy(good, { maxBytes: 16 }), 'E_INPUT_TOO_LARGE');
    const overflow = rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (9007199254740991, 9007199254740991), }");
    await expectCode(() => parseNpy(overflow), 'E_INPUT_TOO_LARGE');
  });

  it('object, unicode, bytes, structured, complex and datetime dtypes → E_FORMAT_UNSUPPORTED', async () => {
    for (const descr of ['|O', '<U10', '|S5', '|V8', '<c16', '<M8', '<f16', '<i3']) {
      const bytes = rawNpy(`{'descr': '${descr}', 'fortran_order': False, 'shape': (1,), }`, new Uint8Array(8));
      const error = await expectCode(() => parseNpy(bytes), 'E_FORMAT_UNSUPPORTED');
      expect(error.message).toContain(descr);
    }
    const pickle = await expectCode(
      () => parseNpy(rawNpy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8))),
      'E_FORMAT_UNSUPPORTED',
    );
    expect(pickle.message).toMatch(/pickle/);
    const structured = rawNpy("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8));
    await expectCode(() => parseNpy(structured), 'E_FORMAT_UNSUPPORTED');
  });

  it('malformed or hostile header dicts → E_INPUT_INVALID (nothing is evaluated)', async () => {
    const headers = [
      "__import__('os').system('echo pwned')",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1}",
      "{'descr': '<f8', 'fortran_order': False}",
      "{'descr': '<f8', 'fortran_order': 0, 'shape': (2,)}",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (-2,)}",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2.5,)}",
      "{'descr': '<f8', 'fortran_order': False, 'shape': 2}",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)",
      "{'descr': '<f8' 'fortran_order': False, 'shape': (2,)}",
      "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,)}",
      "{'descr': 5, 'fortran_order': False, 'shape': (2,)}",
      '[1, 2]',
      "{'descr': '<f8, 'fortran_order': False, 'shape': (2,)}",
      '((((((((((((((((((((((((1))))))))))))))))))))))))',
    ];
    for (const header of headers) {
      await expectCode(() => parseNpy(rawNpy(header, new Uint8Array(16))), 'E_INPUT_INVALID');
    }
  });

  it('flipped bytes in the header never crash or hang', async () => {
    // Flip each header byte in turn: every result is either a valid parse or an AppliedMLError.
    for (let i = 0; i < 74; i++) {
      const bad = good.slice();
      bad[i] = (bad[i] as number) ^ 0xff;
      try {
        parseNpy(bad);
      } catch (error) {
        expect((error as { code?: string }).code, `byte ${i}`).toMatch(/^E_/);
      }
    }
  });

  it('writeNpy validates its input', async () => {
    await expectCode(() => writeNpy({ data: new Float32Array(3), shape: [2, 2] }), 'E_SHAPE_MISMATCH');
    await expectCode(() => writeNpy({ data: [1.5], dtype: 'int32' }), 'E_INPUT_INVALID');
    await expectCode(() => writeNpy({ data: [300], dtype: 'uint8' }), 'E_INPUT_INVALID');
    await expectCode(() => writeNpy({ data: [1], dtype: 'float16' }), 'E_FORMAT_UNSUPPORTED');
    expect(Array.from(parseNpy(writeNpy({ data: [1, 2, 3], dtype: 'int64' })).data as Float64Array)).toEqual([1, 2, 3]);
  });

  it('writeNpy refuses values outside the dtype, non-numbers and unknown dtype / version / byteOrder (API fuzz F15)', async () => {
    for (const [data, dtype] of [
      [[2 ** 70], 'int64'],
      [[1e30], 'int64'],
      [[-1], 'uint64'],
      [new BigInt64Array([-1n]), 'uint64'],
      [[2], 'bool'],
      [[0.5], 'bool'],
      [[-1], 'bool'],
      [[NaN], 'bool'],
      [['1'], 'float64'],
      [[1, , 3], 'float32'],
      [[1], 'float128'],
      [[1], 'constructor'],
    ] as const) {
      const error = await expectCode(() => writeNpy({ data: data as never, dtype: dtype as never }), 'E_INPUT_INVALID');
      expect(error.message).toMatch(/does not fit|not a number|not an integer|dtype must be one of/);
    }
    for (const options of [{ version: 5 }, { version: '1' }, { byteOrder: 'middle' }, { fortranOrder: 'yes' }])
      await expectCode(() => writeNpy({ data: [1] }, options as never), 'E_INPUT_INVALID');
    // The ends of the 64-bit ranges still write.
    const ends = parseNpy(writeNpy({ data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) }), { int64: 'bigint' });
    expect(Array.from(ends.data as BigInt64Array)).toEqual([-(2n ** 63n), 2n ** 63n - 1n]);
    expect(Array.from(parseNpy(writeNpy({ data: [0, 1, 1], dtype: 'bool' })).data as Uint8Array)).toEqual([0, 1, 1]);
    expect(parseNpy(writeNpy({ data: [1] }, { version: 3, byteOrder: 'big' })).data[0]).toBe(1);
  });
});

describe('parseNpy limits and readNpy on special files (API fuzz F19)', () => {
  it('refuses a NaN, negative or non-number maxBytes / maxHeaderBytes (NaN turned the guard off)', async () => {
    const bytes = writeNpy({ data: [1, 2] });
    for (const value of [NaN, -1, '9'])
      for (const field of ['maxBytes', 'maxHeaderBytes'])
        expect((await expectCode(() => parseNpy(bytes, { [field]: value }), 'E_INPUT_INVALID')).message).toMatch(new RegExp(field));
  });

  it('readNpy refuses a FIFO, a device or a folder with E_IO naming it, without reading (a FIFO or /dev/zero never ended)', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'pipe.npy');
    execFileSync('mkfifo', [fifo]);
    expect((await expectCode(() => readNpy(fifo), 'E_IO')).message).toMatch(/FIFO/);
    expect((await expectCode(() => readNpy('/dev/zero'), 'E_IO')).message).toMatch(/a device/);
    mkdirSync(join(dir, 'folder.npy'));
    // In statRegularFile's words, as every reader of the engine says it.
    const folder = join(dir, 'folder.npy');
    const error = await expectCode(() => readNpy(folder), 'E_IO');
    expect(error.message).toBe(`Cannot read .npy file ${folder}: it is a directory, not a regular file.`);
    expect(error.details).toEqual({ path: folder, reason: 'not-a-regular-file' });
  });
});
