import { describe, expect, it } from 'vitest';
import { changeSpeed } from './augment';
import { extractFeatures, logMel, mfcc } from './features';
import { SpeechRecognizer } from './speech-recognizer';
import { detectSpeech } from './vad';
import { codeOf } from './test-helpers';
import { decodeAudioSync, decodeWav, encodeWav } from './wav';

const tone = Float32Array.from({ length: 8000 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / 8000));

describe('speech bad input found by an audit: typed errors, no hangs, no silent silence', () => {
  it('feature configs that would exhaust memory or time, or give NaN frame counts, are refused', async () => {
    for (const config of [
      { nFft: 2 ** 24 },
      { deltaWidth: 1e9 + 1 },
      { frameMs: 1e5 },
      { frameMs: Number.NaN },
      { frameMs: Infinity },
      { hopMs: Number.NaN },
    ]) {
      expect(await codeOf(() => extractFeatures(tone, { sampleRate: 8000, ...config })), JSON.stringify(config)).toBe('E_INPUT_INVALID');
    }
  });

  it('NaN or infinite samples are refused, not read as silence', async () => {
    const bad = tone.slice();
    bad[100] = Number.NaN;
    expect(await codeOf(() => mfcc(bad, { sampleRate: 8000 }))).toBe('E_INPUT_INVALID');
    bad[100] = Infinity;
    expect(await codeOf(() => logMel(bad, { sampleRate: 8000 }))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => detectSpeech(bad, 8000))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => mfcc(null as never))).toBe('E_INPUT_INVALID');
  });

  it('sample rates and length caps are checked', async () => {
    for (const sampleRate of [0, -8000, Number.NaN, 1e10]) {
      expect(await codeOf(() => decodeAudioSync(tone, { sampleRate })), String(sampleRate)).toBe('E_INPUT_INVALID');
    }
    const wav = encodeWav(tone, 8000);
    expect(await codeOf(() => decodeWav(wav, { targetSampleRate: 1e10 }))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => decodeWav(wav, { targetSampleRate: Infinity }))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => decodeWav(wav, { maxSeconds: Number.NaN }))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => decodeAudioSync(tone, { sampleRate: 8000, maxSeconds: Number.NaN }))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => decodeWav(null as never))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => changeSpeed(tone, 0))).toBe('E_INPUT_INVALID');
  });

  it('network sizes and training numbers that would fail inside tfjs or lift the length cap are refused at create', async () => {
    for (const config of [
      { cnn: { dense: Number.NaN } },
      { cnn: { filters: [0] } },
      { cnn: { filters: [] } },
      { cnn: { dropout: 5 } },
      { model: 'gru' as const, rnn: { units: 0 } },
      { learningRate: -1 },
      { epochs: 0 },
      { maxSeconds: Number.NaN },
    ]) {
      expect(await codeOf(() => SpeechRecognizer.create(config as never)), JSON.stringify(config)).toBe('E_INPUT_INVALID');
    }
  });

  it('load options: null, a non-object or a misspelt option is E_INPUT_INVALID before the folder is read', async () => {
    for (const options of [null, 5, { devise: 'js' }])
      expect(await codeOf(() => SpeechRecognizer.load('no-such-folder', options as never)), JSON.stringify(options)).toBe(
        'E_INPUT_INVALID',
      );
  });
});
