import * as fflate from 'fflate';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { writeNpy } from './npy';
import { parseNpz } from './npz';
import { expectCode } from './test-helpers';

// Whether parseNpz got as far as inflating: fflate's unzipSync allocates each member's declared size first.
vi.mock('fflate', async (importOriginal) => {
  const real = await importOriginal<typeof import('fflate')>();
  return { ...real, unzipSync: vi.fn(real.unzipSync) };
});
const unzipSync = vi.mocked(fflate.unzipSync);

/** Sets the uncompressed size the local header and the central directory declare for the archive's one member. */
function declare(zip: Uint8Array, size: number): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  view.setUint32(22, size, true);
  for (let at = out.length - 22; at >= 0; at--)
    if (view.getUint32(at, true) === 0x02014b50) {
      view.setUint32(at + 24, size, true);
      break;
    }
  return out;
}

const MB = 1024 * 1024;

describe('parseNpz checks the sizes a member declares before inflating it (review s28 R1-2)', () => {
  beforeEach(() => {
    unzipSync.mockClear();
  });

  it('a deflated member declaring more than 1032 times its compressed size is refused as corrupt, nothing inflated (a 300-byte archive took 1.9 GB)', async () => {
    const small = fflate.zipSync({ 'X.npy': writeNpy({ data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] }) }, { level: 9 });
    const bomb = declare(small, 2_000_000_000);
    expect(bomb.length).toBeLessThan(400);
    const before = process.memoryUsage().arrayBuffers;
    const error = await expectCode(() => parseNpz(bomb), 'E_INPUT_INVALID');
    const held = process.memoryUsage().arrayBuffers - before;
    expect(unzipSync).not.toHaveBeenCalled();
    expect(held).toBeLessThan(100 * MB);
    expect(error.message).toMatch(
      /^Corrupt \.npz: member 'X\.npy' declares 2000000000 bytes inflated from \d+ compressed, more than deflate can expand to \(1032 times\); the file is damaged\.$/,
    );
    expect(error.details).toMatchObject({ entry: 'X.npy', uncompressedSize: 2_000_000_000, maxRatio: 1032 });
  });

  it("a member larger than a .npy within the caller's maxBytes is refused before it is inflated", async () => {
    // 16 MiB of zeros, truthfully declared, deflated about 1000-fold.
    const zeros = fflate.zipSync({ 'big.npy': [writeNpy({ data: new Uint8Array(16 * MB) }), { level: 9 }] });
    const error = await expectCode(() => parseNpz(zeros, { maxBytes: MB }), 'E_INPUT_TOO_LARGE');
    expect(unzipSync).not.toHaveBeenCalled();
    expect(error.message).toMatch(
      /^\.npz member 'big\.npy' declares 16777344 bytes, more than a \.npy within maxBytes \(1048576\) and maxHeaderBytes \(65536\) can hold \(1114124\); refusing before inflating it/,
    );
    expect(error.details).toMatchObject({ entry: 'big.npy', uncompressedSize: 16 * MB + 128, maxBytes: MB, maxHeaderBytes: 65536 });
    // A NaN limit is refused before anything is inflated too.
    await expectCode(() => parseNpz(zeros, { maxBytes: NaN }), 'E_INPUT_INVALID');
    expect(unzipSync).not.toHaveBeenCalled();
  });

  it('a real high-ratio member (16 MiB of zeros) and a stored one still read, under the limits and at them', async () => {
    const zeros = fflate.zipSync({ 'big.npy': [writeNpy({ data: new Uint8Array(16 * MB) }), { level: 9 }] });
    expect(zeros.length * 900).toBeLessThan(16 * MB);
    const read = parseNpz(zeros, { maxBytes: 16 * MB });
    expect(read.big?.shape).toEqual([16 * MB]);
    expect(unzipSync).toHaveBeenCalledTimes(1);
    const stored = fflate.zipSync({ 'y.npy': [writeNpy({ data: [1, 2, 3] }), { level: 0 }] });
    expect(Array.from(parseNpz(stored, { maxBytes: 24 }).y?.data as Float64Array)).toEqual([1, 2, 3]);
  });
});
