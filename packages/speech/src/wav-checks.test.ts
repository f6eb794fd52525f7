// Each sample is checked once on the way in (final read, finding 7): the WAV decoder checks float blocks
// with the features' own checkFiniteSamples (naming the file and the sample's index in it) and pushes them
// through the resampling filter without StreamingResampler.push's public check, which scanned every block a
// second time (and for integer PCM could never fail); resample and decodeAudioSync check once too.
import { afterEach, describe, expect, it, vi } from 'vitest';

vi.mock('./features', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./features')>();
  return { ...actual, checkAudioSamples: vi.fn(actual.checkAudioSamples), checkFiniteSamples: vi.fn(actual.checkFiniteSamples) };
});

import { AppliedMLError } from '@appliedml/engine';
import { checkAudioSamples, checkFiniteSamples } from './features';
import { StreamingResampler, decodeAudioSync, decodeWav, encodeWav, resample } from './wav';

const tone = (n: number, rate: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / rate));
const checks = (): number => vi.mocked(checkAudioSamples).mock.calls.length + vi.mocked(checkFiniteSamples).mock.calls.length;

afterEach(() => vi.clearAllMocks());

describe('samples are checked once on the way in', () => {
  it('integer PCM, resampled, is not scanned at all (its samples are in range by construction)', () => {
    const wav = encodeWav(tone(768_000, 768_000), 768_000, '16'); // 1.5 MB of data: two blocks
    vi.clearAllMocks();
    const d = decodeWav(wav, { targetSampleRate: 16_000 });
    expect(d.samples.length).toBe(16_000);
    expect(checks()).toBe(0);
  });

  it('float PCM, resampled, is scanned once per block, by checkFiniteSamples naming the file', () => {
    const wav = encodeWav(tone(768_000, 768_000), 768_000, '32f'); // 3 MB of data: three 1 MB blocks
    vi.clearAllMocks();
    decodeWav(wav, { targetSampleRate: 16_000, name: 'tone.wav' });
    expect(vi.mocked(checkAudioSamples)).not.toHaveBeenCalled();
    const calls = vi.mocked(checkFiniteSamples).mock.calls;
    expect(calls.map(([samples, input]) => [samples.length, input])).toEqual([
      [262_144, { name: 'tone.wav', start: 0 }],
      [262_144, { name: 'tone.wav', start: 262_144 }],
      [243_712, { name: 'tone.wav', start: 524_288 }],
    ]);
  });

  it('resample and decodeAudioSync scan their samples once; StreamingResampler.push still checks each chunk', () => {
    const samples = tone(48_000, 48_000);
    resample(samples, 48_000, 16_000);
    expect(checks()).toBe(1);
    vi.clearAllMocks();
    decodeAudioSync(samples, { sampleRate: 48_000, targetSampleRate: 16_000 });
    expect(checks()).toBe(1);
    vi.clearAllMocks();
    const r = new StreamingResampler(48_000, 16_000);
    r.push(samples);
    expect(checks()).toBe(1);
    const bad = new Float32Array(10);
    bad[3] = NaN;
    expect(() => r.push(bad)).toThrow(AppliedMLError);
  });

  it('checkFiniteSamples given a name and a start words its refusal as the decoder always did', () => {
    const block = new Float32Array(8);
    block[5] = Infinity;
    expect(() => checkFiniteSamples(block, { name: 'a.wav', start: 100 })).toThrow(
      'a.wav has a non-finite sample (Infinity) at index 105.',
    );
    block[5] = 3e6;
    const error = (() => {
      try {
        checkFiniteSamples(block, { name: 'a.wav', start: 100 });
      } catch (e) {
        return e as AppliedMLError;
      }
      throw new Error('not refused');
    })();
    expect(error.message).toMatch(/^a\.wav has a sample of 3000000 at index 105; audio samples are expected in \[-1, 1\]/);
    expect(error).toMatchObject({ code: 'E_INPUT_INVALID', details: { name: 'a.wav', index: 105 } });
    expect(() => checkFiniteSamples(block)).toThrow(/^Sample 5 is 3000000; audio samples are expected in \[-1, 1\]/);
  });
});
