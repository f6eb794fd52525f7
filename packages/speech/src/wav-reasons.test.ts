import { describe, expect, it } from 'vitest';
import { decodeWav, encodeWav } from './wav';
import { errorOf, wavBytes } from './test-helpers';

// Review R1 (session 23): a service answering uploads could only say "truncated or malformed" for every
// bad WAV, because the decoder said what was wrong in words only. Every E_INPUT_INVALID of a WAV's
// bytes now carries details.reason, a stable name of the fault, beside the message.

const good = encodeWav(
  Float32Array.from({ length: 800 }, (_, i) => 0.3 * Math.sin(i / 3)),
  8000,
  '16',
);
const edited = (edit: (v: DataView, b: Uint8Array) => void): Uint8Array => {
  const b = good.slice();
  edit(new DataView(b.buffer), b);
  return b;
};
const floatWav = (value: number, at: number): Uint8Array => {
  const samples = new Float32Array(400).fill(0.1);
  samples[at] = value;
  return wavBytes(3, 1, 8000, 32, new Uint8Array(samples.buffer));
};

describe('decodeWav: details.reason names what is wrong', () => {
  it.each([
    ['empty', new Uint8Array(0)],
    ['fmt-truncated', good.subarray(0, 30)],
    ['no-fmt-chunk', good.subarray(0, 12)],
    ['no-data-chunk', good.subarray(0, 36)],
    ['data-truncated', good.subarray(0, good.length - 100)],
    ['bad-channels', edited((v) => v.setUint16(22, 0, true))],
    ['sample-rate-out-of-range', edited((v) => v.setUint32(24, 123, true))],
    ['bad-block-align', edited((v) => v.setUint16(32, 3, true))],
    ['no-samples', encodeWav(new Float32Array(0), 8000, '16')],
    ['sample-not-finite', floatWav(Number.NaN, 100)],
    ['sample-out-of-range', floatWav(1e9, 100)],
  ] as const)('%s', (reason, bytes) => {
    const error = errorOf(() => decodeWav(bytes, { name: 'up.wav' }));
    expect(error.code).toBe('E_INPUT_INVALID');
    expect(error.details?.['reason']).toBe(reason);
    if (reason === 'sample-not-finite' || reason === 'sample-out-of-range') expect(error.details?.['index']).toBe(100);
  });

  it('data-before-fmt', () => {
    // The data chunk first, then the fmt chunk.
    const fmt = good.subarray(12, 36);
    const data = good.subarray(36);
    const out = new Uint8Array(good.length);
    out.set(good.subarray(0, 12), 0);
    out.set(data, 12);
    out.set(fmt, 12 + data.length);
    expect(errorOf(() => decodeWav(out)).details?.['reason']).toBe('data-before-fmt');
  });
});
