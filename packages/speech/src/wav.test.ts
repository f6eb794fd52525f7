import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wavBytes } from './test-helpers';
import { StreamingResampler, decodeAudioSync, decodeWav, encodeWav, readAudio, resample } from './wav';

const RATE = 8000;
const tone = (n: number, f = 440, rate = RATE, amp = 0.5): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * f * i) / rate));

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('WAV reading', () => {
  for (const depth of ['8', '16', '24', '32', '32f'] as const) {
    it(`decodes ${depth}-bit mono to [-1, 1] within quantisation`, () => {
      const x = tone(800);
      const d = decodeWav(encodeWav(x, RATE, depth));
      expect(d.samples.length).toBe(800);
      expect(d.source).toMatchObject({ sampleRate: RATE, channels: 1, encoding: depth === '32f' ? 'float' : 'pcm' });
      const tol = depth === '8' ? 1 / 64 : 1e-4;
      let worst = 0;
      x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (d.samples[i] as number)))));
      expect(worst).toBeLessThan(tol);
    });
  }

  it('decodes 64-bit float', () => {
    const x = tone(100);
    const bytes = new Uint8Array(new Float64Array(Array.from(x)).buffer);
    const d = decodeWav(wavBytes(3, 1, RATE, 64, bytes));
    expect(d.samples[10]).toBeCloseTo(x[10] as number, 6);
  });

  it('mixes stereo down to mono by averaging the channels', () => {
    const left = Int16Array.from([1000, 2000, -3000]);
    const right = Int16Array.from([3000, 0, 1000]);
    const inter = new Int16Array(6);
    left.forEach((v, i) => {
      inter[2 * i] = v;
      inter[2 * i + 1] = right[i] as number;
    });
    const d = decodeWav(wavBytes(1, 2, RATE, 16, new Uint8Array(inter.buffer)));
    expect(Array.from(d.samples)).toEqual([2000 / 32768, 1000 / 32768, -1000 / 32768]);
    expect(d.source.channels).toBe(2);
  });

  it('resamples with a band-limited resampler to the asked rate', () => {
    const x = tone(22050, 300, 22050);
    const d = decodeWav(encodeWav(x, 22050), { targetSampleRate: RATE });
    expect(d.sampleRate).toBe(RATE);
    expect(Math.abs(d.samples.length - RATE)).toBeLessThanOrEqual(1);
    // a 300 Hz tone stays a 300 Hz tone: compare with the analytic one away from the edges
    const ref = tone(RATE, 300, RATE);
    let err = 0;
    let power = 0;
    for (let i = 200; i < RATE - 200; i++) {
      err += ((d.samples[i] as number) - (ref[i] as number)) ** 2;
      power += (ref[i] as number) ** 2;
    }
    expect(Math.sqrt(err / power)).toBeLessThan(0.1);
    // a tone above the new Nyquist (5 kHz → 4 kHz Nyquist) is removed, not aliased
    const high = resample(tone(22050, 5000, 22050), 22050, RATE);
    let rms = 0;
    for (let i = 200; i < high.length - 200; i++) rms += (high[i] as number) ** 2;
    expect(Math.sqrt(rms / (high.length - 400))).toBeLessThan(0.05);
  });

  it('reads a path and float samples', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'speech-wav-'));
    const file = join(dir, 'a.wav');
    writeFileSync(file, encodeWav(tone(400), RATE));
    expect((await readAudio(file)).samples.length).toBe(400);
    expect((await readAudio(tone(400), { sampleRate: RATE })).durationSeconds).toBeCloseTo(0.05);
    await expect(readAudio(join(dir, 'missing.wav'))).rejects.toMatchObject({ code: 'E_IO' });
  });
});

describe('streaming resampler', () => {
  it('any chunking gives what resample gives for the joined input', () => {
    const input = Float32Array.from({ length: 4801 }, (_, i) => Math.sin(i / 7) + 0.3 * Math.sin(i / 2.3));
    for (const [from, to] of [
      [48_000, 8000],
      [44_100, 8000],
      [8000, 16_000],
    ] as const) {
      const whole = resample(input, from, to);
      for (const size of [1, 3, 128, 480, 5000]) {
        const r = new StreamingResampler(from, to);
        const parts: number[] = [];
        for (let i = 0; i < input.length; i += size) parts.push(...r.push(input.subarray(i, i + size)));
        parts.push(...r.flush());
        expect(parts.length, `${from}→${to} in chunks of ${size}`).toBe(whole.length);
        let worst = 0;
        parts.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - whole[i]!))));
        expect(worst).toBeLessThan(1e-5);
      }
    }
    const r = new StreamingResampler(48_000, 8000);
    r.push(input);
    r.flush();
    expect(() => r.push(input)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(r.flush()).toHaveLength(0);
  });
});

describe('WAV bad input', () => {
  it('non-WAV bytes → E_FORMAT_UNSUPPORTED', () => {
    expect(code(() => decodeWav(Buffer.from('ID3\u0004 this is an mp3 really, not a wav file at all')))).toBe('E_FORMAT_UNSUPPORTED');
  });
  it('empty bytes → E_INPUT_INVALID', () => {
    expect(code(() => decodeWav(new Uint8Array(0)))).toBe('E_INPUT_INVALID');
  });
  it('a truncated header → E_INPUT_INVALID', () => {
    expect(code(() => decodeWav(encodeWav(tone(100), RATE).subarray(0, 30)))).toBe('E_INPUT_INVALID');
  });
  it('a truncated data chunk → E_INPUT_INVALID with the byte counts', () => {
    const full = encodeWav(tone(1000), RATE);
    let error: unknown;
    try {
      decodeWav(full.subarray(0, full.length - 500));
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'E_INPUT_INVALID', details: { declaredBytes: 2000, presentBytes: 1500 } });
  });
  it('a data size of 0xFFFFFFFF or 0, as streaming recorders leave it, reads the samples to the end of the file', () => {
    const full = encodeWav(tone(1000), RATE);
    const expected = decodeWav(full).samples;
    const dataAt = 36; // encodeWav writes fmt (16 bytes) then data: its size field is at byte 40
    expect(String.fromCharCode(...full.subarray(dataAt, dataAt + 4))).toBe('data');
    // [RIFF size, data size] as recorders that cannot seek back leave them: ffmpeg to a pipe, SoX, arecord.
    for (const [riff, size] of [
      [0xffffffff, 0xffffffff],
      [0, 0],
      [0xffffffff, 0],
      [full.length - 8, 0xffffffff],
      [0x7ffff024, 0x7ffff000],
      [0x7fffff24, 0x7fffff00],
    ]) {
      const streamed = Uint8Array.from(full);
      new DataView(streamed.buffer).setUint32(4, riff!, true);
      new DataView(streamed.buffer).setUint32(dataAt + 4, size!, true);
      expect(Array.from(decodeWav(streamed).samples), `${riff} / ${size}`).toEqual(Array.from(expected));
      // A stray odd byte at the end (half a sample) is left out.
      expect(decodeWav(Uint8Array.from([...streamed, 7])).samples.length).toBe(expected.length);
    }
    // A zero data size where the RIFF size is a real one is an empty chunk, not a stream.
    const zeroed = Uint8Array.from(full);
    new DataView(zeroed.buffer).setUint32(dataAt + 4, 0, true);
    expect(code(() => decodeWav(zeroed))).toBe('E_INPUT_INVALID');
    // A truly empty data chunk followed by another chunk is still empty.
    const empty = wavBytes(1, 1, RATE, 16, new Uint8Array(0));
    const withList = Uint8Array.from([...empty, ...new TextEncoder().encode('LIST'), 4, 0, 0, 0, 0x49, 0x4e, 0x46, 0x4f]);
    expect(code(() => decodeWav(withList))).toBe('E_INPUT_INVALID');
  });
  it('µ-law, A-law and ADPCM → E_FORMAT_UNSUPPORTED', () => {
    expect(code(() => decodeWav(wavBytes(7, 1, RATE, 8, new Uint8Array(100))))).toBe('E_FORMAT_UNSUPPORTED');
    expect(code(() => decodeWav(wavBytes(6, 1, RATE, 8, new Uint8Array(100))))).toBe('E_FORMAT_UNSUPPORTED');
    expect(code(() => decodeWav(wavBytes(0x11, 1, RATE, 4, new Uint8Array(100))))).toBe('E_FORMAT_UNSUPPORTED');
    expect(() => decodeWav(wavBytes(7, 1, RATE, 8, new Uint8Array(100)))).toThrow(/µ-law/);
  });
  it('zero samples → E_INPUT_INVALID', () => {
    expect(code(() => decodeWav(wavBytes(1, 1, RATE, 16, new Uint8Array(0))))).toBe('E_INPUT_INVALID');
    expect(code(() => decodeAudioSync(new Float32Array(0), { sampleRate: RATE }))).toBe('E_INPUT_INVALID');
  });
  it('NaN samples → E_INPUT_INVALID with the index', () => {
    const floats = new Float32Array([0.1, Number.NaN, 0.2]);
    expect(code(() => decodeWav(wavBytes(3, 1, RATE, 32, new Uint8Array(floats.buffer))))).toBe('E_INPUT_INVALID');
    expect(code(() => decodeAudioSync(floats, { sampleRate: RATE }))).toBe('E_INPUT_INVALID');
  });
  it('hours of audio → E_INPUT_TOO_LARGE before decoding (documented cap, default 600 s)', () => {
    // a header that declares two hours of 8 kHz audio, with the bytes present
    const twoHours = wavBytes(1, 1, RATE, 8, new Uint8Array(2 * 3600 * RATE).fill(128));
    expect(code(() => decodeWav(twoHours))).toBe('E_INPUT_TOO_LARGE');
    expect(code(() => decodeWav(encodeWav(tone(RATE * 2), RATE), { maxSeconds: 1 }))).toBe('E_INPUT_TOO_LARGE');
    expect(code(() => decodeAudioSync(new Float32Array(RATE * 2), { sampleRate: RATE, maxSeconds: 1 }))).toBe('E_INPUT_TOO_LARGE');
  });
  it('float samples without a rate, and other types → E_INPUT_INVALID', () => {
    expect(code(() => decodeAudioSync(tone(10)))).toBe('E_INPUT_INVALID');
    expect(code(() => decodeAudioSync([1, 2, 3] as unknown as Float32Array, { sampleRate: RATE }))).toBe('E_INPUT_INVALID');
  });
});
