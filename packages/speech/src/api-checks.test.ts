import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { fsddOfficialSplit, type FsddRecording } from './datasets';
import { SpeechRecognizer } from './speech-recognizer';
import { errorOf, rejectionOf } from './test-helpers';
import { StreamingRecognizer } from './streaming';
import { detectSpeech, trimSilence } from './vad';
import { decodeAudioSync, decodeWav, encodeWav, readAudio } from './wav';
import {
  extractFeatureViews,
  extractFeatures,
  frameCount,
  logMel,
  melFilterBank,
  mfcc,
  resolveFeatureConfig,
  type ResolvedFeatureConfig,
} from './features';

// Found by an API fuzz of the SDKs (review 18, S1/S3/S7): resolved feature configs changed by a spread
// were trusted, misspelt helper options were ignored, and null or NaN arguments gave TypeErrors.

const fieldOf = (e: AppliedMLError): unknown => (e.details as { field?: unknown } | undefined)?.field;
const tone = (n: number, rate = 8000): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / rate));

describe('a resolved feature config changed after resolveFeatureConfig is checked again, not trusted (S1)', () => {
  const r = resolveFeatureConfig({ sampleRate: 8000 });
  /** Every helper that takes a resolved config, on `config`. */
  const helpers = (config: ResolvedFeatureConfig): Array<() => unknown> => [
    () => extractFeatures(tone(8000), config),
    () => extractFeatureViews(tone(8000), [{}, config]),
    () => melFilterBank(config),
    () => frameCount(8000, config),
  ];

  it('a spread with another sample rate (stale window and hop) is E_INPUT_INVALID naming the cause', () => {
    for (const fn of helpers({ ...r, sampleRate: 16000 })) {
      const e = errorOf(fn);
      expect(e.code).toBe('E_INPUT_INVALID');
      expect(e.message).toMatch(/changed after resolveFeatureConfig/);
    }
  });

  it('derived sizes that no longer match the settings are refused, naming the size', () => {
    for (const [changed, field] of [
      [{ ...r, frameMs: 20 }, 'winLength'],
      [{ ...r, hopLength: 0 }, 'hopLength'],
      [{ ...r, dim: 3 }, 'dim'],
      [{ ...r, cepstralDim: 1 }, 'cepstralDim'],
      [{ ...r, deltas: 0 as const }, 'dim'],
    ] as const)
      for (const fn of helpers(changed)) {
        const e = errorOf(fn);
        expect([e.code, fieldOf(e)]).toEqual(['E_INPUT_INVALID', field]);
        expect(e.message).toMatch(/resolve it again/);
      }
  });

  it('settings out of range are refused as in resolveFeatureConfig, before anything is allocated', () => {
    for (const [changed, field] of [
      [{ ...r, kind: 'bogus' }, 'kind'],
      [{ ...r, nFft: 2 ** 17 }, 'nFft'],
      [{ ...r, nFft: -2 }, 'nFft'],
      [{ ...r, melBands: 0.5 }, 'melBands'],
    ] as const)
      for (const fn of helpers(changed as unknown as ResolvedFeatureConfig))
        expect([errorOf(fn).code, fieldOf(errorOf(fn))]).toEqual(['E_INPUT_INVALID', field]);
  });

  it('a resolved config changed in place is checked too', () => {
    const mutable = resolveFeatureConfig({});
    mutable.hopLength = 0;
    for (const fn of helpers(mutable)) expect(fieldOf(errorOf(fn))).toBe('hopLength');
  });

  it('a resolved config, as is or with a change its sizes do not depend on, gives what its settings give', () => {
    const audio = tone(8000);
    const fresh = extractFeatures(audio, { sampleRate: 8000, cmvn: 'mean' });
    expect(extractFeatures(audio, { ...r, cmvn: 'mean' })).toEqual(fresh);
    expect(extractFeatures(audio, resolveFeatureConfig({ cmvn: 'mean' }))).toEqual(fresh);
    expect(frameCount(8000, r)).toBe(frameCount(8000, resolveFeatureConfig({})));
    expect(melFilterBank(r)).toEqual(melFilterBank(resolveFeatureConfig({})));
    // mfcc and logMel override deltas and cmvn: the sizes of a resolved config given to them are recomputed.
    expect(mfcc(audio, r)).toEqual(mfcc(audio, {}));
    expect(logMel(audio, r)).toEqual(logMel(audio, {}));
  });
});

describe('misspelt option names in the helpers are refused with the valid names, as the model classes do (S3)', () => {
  it('resolveFeatureConfig and the feature helpers', () => {
    for (const fn of [
      () => resolveFeatureConfig({ mfcc: 13 } as never),
      () => extractFeatures(tone(8000), { melbands: 40 } as never),
      () => extractFeatureViews(tone(8000), [{}, { coefficient: 13 } as never]),
      () => mfcc(tone(8000), { samplerate: 8000 } as never),
    ]) {
      const e = errorOf(fn);
      expect(e.code).toBe('E_INPUT_INVALID');
      expect(e.message).toMatch(/^Feature config has no option '\w+'; valid: sampleRate, kind, /);
    }
    // undefined still means the default, and a resolved config's own sizes are not misspelt settings.
    expect(resolveFeatureConfig({ sampleRate: undefined })).toEqual(resolveFeatureConfig({}));
    expect(resolveFeatureConfig(resolveFeatureConfig({ melBands: 32 }))).toEqual(resolveFeatureConfig({ melBands: 32 }));
  });
});

describe('misspelt option names of the audio and VAD helpers are refused with the valid names (S3)', () => {
  const wav = encodeWav(tone(800), 8000);

  it('decodeWav, decodeAudioSync and readAudio: maxAudioSeconds is not maxSeconds', async () => {
    for (const [fn, what] of [
      [() => decodeWav(wav, { maxAudioSeconds: 0 } as never), 'decodeWav options'],
      [() => decodeAudioSync(wav, { maxAudioSeconds: 0 } as never), 'decodeAudioSync options'],
      [() => decodeAudioSync(tone(800), { sampleRate: 8000, targetRate: 16000 } as never), 'decodeAudioSync options'],
      [() => readAudio(wav, { maxAudioSeconds: 0 } as never), 'readAudio options'],
      [() => readAudio('/nonexistent.wav', { maxAudioSeconds: 0 } as never), 'readAudio options'],
    ] as const) {
      const e = await rejectionOf(fn);
      expect(e.code).toBe('E_INPUT_INVALID');
      expect(e.message).toMatch(new RegExp(`^${what} has no option '\\w+'; valid: .*maxSeconds`));
    }
    // Options that are not an object (null from a JSON body): E_INPUT_INVALID, not a TypeError.
    for (const fn of [() => decodeWav(wav, null as never), () => decodeAudioSync(wav, null as never), () => readAudio(wav, null as never)])
      expect((await rejectionOf(fn)).code).toBe('E_INPUT_INVALID');
    // The real names still work, and undefined options mean the defaults.
    expect(() => decodeWav(wav, { maxSeconds: 0.01 })).toThrow(expect.objectContaining({ code: 'E_INPUT_TOO_LARGE' }));
    expect(decodeWav(wav, { targetSampleRate: 16000, name: 'x' }).sampleRate).toBe(16000);
    expect((await readAudio(wav, undefined)).samples.length).toBe(800);
    expect(decodeWav(wav, undefined).samples.length).toBe(800);
  });

  it('detectSpeech and trimSilence', () => {
    for (const fn of [
      () => detectSpeech(tone(8000), 8000, { thresholdDb: -30 } as never),
      () => trimSilence(tone(8000), 8000, { padMS: 10 } as never),
    ]) {
      const e = errorOf(fn);
      expect(e.code).toBe('E_INPUT_INVALID');
      expect(e.message).toMatch(/^vad has no option '\w+'; valid: frameMs, hopMs, /);
    }
    expect(detectSpeech(tone(8000), 8000, { padMs: undefined })).toEqual(detectSpeech(tone(8000), 8000));
  });

  it('a StreamingRecognizer built directly refuses a misspelt VAD setting at construction, not at the first word', () => {
    const classify = (): { probs: Float32Array; labels: string[] } => ({ probs: new Float32Array([1]), labels: ['x'] });
    expect(() => new StreamingRecognizer(8000, classify, { vad: { padMS: 10 } as never })).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringMatching(/^vad has no option 'padMS'/) }),
    );
  });

  it('the recognizer still names the nested option as before', () => {
    expect(() => SpeechRecognizer.create({ vad: { padMS: 10 } } as never)).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringMatching(/^vad has no option 'padMS'; valid: /) }),
    );
  });
});

describe('null and NaN arguments are E_INPUT_INVALID where they gave a TypeError or failed later (S7)', () => {
  it('fsddOfficialSplit: not a list, or a recording without a whole-number index (it fell out of both sides)', () => {
    for (const [bad, index] of [
      [null, undefined],
      [{ length: 1 }, undefined],
      [[{ label: '1', speaker: 'a', path: 'p' }], 0],
      [[{ label: '1', speaker: 'a', path: 'p', index: 3 }, { index: '7' }], 1],
      [[null], 0],
      [new Array(1), 0],
    ] as const) {
      const e = errorOf(() => fsddOfficialSplit(bad as never));
      expect([e.code, (e.details as { index?: unknown }).index]).toEqual(['E_INPUT_INVALID', index]);
    }
    const rec = (index: number): FsddRecording => ({ path: `p${index}`, label: '1', speaker: 'a', index });
    const split = fsddOfficialSplit([rec(0), rec(4), rec(5), rec(49)]);
    expect([split.train.map((r) => r.index), split.test.map((r) => r.index)]).toEqual([
      [5, 49],
      [0, 4],
    ]);
    expect(fsddOfficialSplit([])).toEqual({ train: [], test: [] });
  });

  it('new StreamingRecognizer refuses a rate that is not a whole number of Hz and a classify that is not a function at construction', () => {
    const classify = (): { probs: Float32Array; labels: string[] } => ({ probs: new Float32Array([1]), labels: ['x'] });
    for (const [rate, fn, field] of [
      [NaN, classify, 'rate'],
      [0, classify, 'rate'],
      [8000.5, classify, 'rate'],
      ['8000', classify, 'rate'],
      [8000, null, 'classify'],
      [8000, 'classify', 'classify'],
    ] as const) {
      const e = errorOf(() => new StreamingRecognizer(rate as never, fn as never));
      expect([e.code, fieldOf(e)]).toEqual(['E_INPUT_INVALID', field]);
    }
    expect(fieldOf(errorOf(() => new StreamingRecognizer(8000, classify, {}, null as never)))).toBe('alive');
    // undefined options and callback take the defaults.
    const stream = new StreamingRecognizer(8000, classify, undefined, undefined);
    expect(stream.push(new Float32Array(800))).toEqual([]);
    expect(stream.flush()).toEqual([]);
  });
});
