import { describe, expect, it } from 'vitest';
import { HOST_BYTE_ORDER, hostOrderBytes } from './byte-order';
import { AppliedMLError } from './errors';
import * as engine from './index';

const other = HOST_BYTE_ORDER === 'little' ? 'big' : 'little';

function float64Bytes(values: number[], order: 'little' | 'big'): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat64(i * 8, v, order === 'little'));
  return out;
}

function refusal(run: () => unknown): AppliedMLError {
  let error: unknown = 'no error';
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(AppliedMLError.hasCode(error, 'E_INPUT_INVALID'), String(error)).toBe(true);
  return error as AppliedMLError;
}

describe('byte order', () => {
  it('is exported by the engine, and HOST_BYTE_ORDER is the order of this machine’s typed arrays', () => {
    expect(engine.HOST_BYTE_ORDER).toBe(HOST_BYTE_ORDER);
    expect(engine.hostOrderBytes).toBe(hostOrderBytes);
    const probe = new Uint8Array(new Float64Array([1]).buffer);
    expect(probe[HOST_BYTE_ORDER === 'little' ? 7 : 0]).toBe(0x3f);
  });

  it('reads numbers written in either order, from any offset, as a fresh aligned copy', () => {
    const values = [1.5, -2.25, Math.PI, -0, Number.MAX_VALUE];
    for (const order of ['little', 'big'] as const) {
      const file = new Uint8Array(3 + 40);
      file.set(float64Bytes(values, order), 3);
      const bytes = file.subarray(3);
      const host = hostOrderBytes(bytes, order, 8);
      expect(host.byteOffset).toBe(0);
      expect(host.buffer).not.toBe(file.buffer);
      expect(Array.from(new Float64Array(host.buffer, host.byteOffset, 5))).toEqual(values);
      expect(Array.from(bytes)).toEqual(Array.from(float64Bytes(values, order))); // the input is untouched
    }
    const ints = new Uint8Array([0x01, 0x02, 0x03, 0x04, 0xff, 0xff, 0xff, 0xfe]);
    expect(Array.from(new Int32Array(hostOrderBytes(ints, 'big', 4).buffer))).toEqual([0x01020304, -2]);
    expect(Array.from(new Uint16Array(hostOrderBytes(ints, 'little', 2).buffer))).toEqual([0x0201, 0x0403, 0xffff, 0xfeff]);
    expect(Array.from(hostOrderBytes(ints, other, 1))).toEqual(Array.from(ints));
  });

  it('with { view: true } gives the bytes themselves when nothing needs to change, else a copy', () => {
    const bytes = float64Bytes([1, 2], HOST_BYTE_ORDER);
    expect(hostOrderBytes(bytes, HOST_BYTE_ORDER, 8, { view: true })).toBe(bytes);
    expect(hostOrderBytes(bytes, HOST_BYTE_ORDER, 8)).not.toBe(bytes);
    const swapped = hostOrderBytes(float64Bytes([1, 2], other), other, 8, { view: true });
    expect(Array.from(new Float64Array(swapped.buffer))).toEqual([1, 2]);
    const unaligned = new Uint8Array(17).subarray(1);
    const copy = hostOrderBytes(unaligned, HOST_BYTE_ORDER, 8, { view: true });
    expect(copy).not.toBe(unaligned);
    expect(copy.byteOffset).toBe(0);
    expect(hostOrderBytes(Buffer.from(bytes), HOST_BYTE_ORDER, 8).length).toBe(16); // a Buffer is a Uint8Array
  });

  it('refuses bad arguments with E_INPUT_INVALID', () => {
    expect(refusal(() => hostOrderBytes(new Uint8Array(12), 'little', 8)).message).toBe(
      '12 bytes are not a whole number of 8-byte numbers.',
    );
    expect(refusal(() => hostOrderBytes(new Uint8Array(8), 'middle' as never, 8)).message).toBe(
      `The byte order must be 'little' or 'big' (got "middle").`,
    );
    expect(refusal(() => hostOrderBytes(new Uint8Array(8), 'big', 3 as never)).message).toBe(
      'The size of a number must be 1, 2, 4 or 8 bytes (got 3).',
    );
    refusal(() => hostOrderBytes(new Float64Array(1) as never, 'big', 8));
    refusal(() => hostOrderBytes([1, 2] as never, 'big', 1));
    refusal(() => hostOrderBytes(new Uint8Array(8), 'big', 8, { veiw: true } as never));
    refusal(() => hostOrderBytes(new Uint8Array(8), 'big', 8, { view: 'yes' } as never));
    refusal(() => hostOrderBytes(new Uint8Array(8), 'big', 8, null as never));
  });
});
