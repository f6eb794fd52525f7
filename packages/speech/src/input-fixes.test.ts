import { createRng, tf } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNoise, changeSpeed } from './augment';
import { extractFeatureViews, extractFeatures, frameCount, hzToMel, melFilterBank, melToHz, mfcc, resolveFeatureConfig } from './features';
import { SpeechRecognizer, type SpeechRecognizerConfig } from './speech-recognizer';
import { SYNTH_RATE, TINY_CONFIG, codeOf as code, synthSet, synthWord } from './test-helpers';
import { detectSpeech, trimSilence } from './vad';
import { StreamingResampler, encodeWav, parseWavHeader, resample } from './wav';

// Found by a service-embedding review: warps with holes saved bundles that load refused, a stream of a
// disposed recognizer took audio until a word needed the network, helpers threw TypeErrors or answered
// for non-audio, and property reads answered after dispose.
const tiny: SpeechRecognizerConfig = TINY_CONFIG;

let model: SpeechRecognizer;
beforeAll(async () => {
  model = SpeechRecognizer.create(tiny);
  await model.train(synthSet(2));
});
afterAll(() => model.dispose());

const tone = Float32Array.from({ length: 8000 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / 8000));
const holed = [1, , 1.2];

describe('arrays with holes or non-numbers are refused where they are given', () => {
  it('testTimeWarps: the setter and create refuse holes and nested or string warps; good warps still work', async () => {
    for (const warps of [new Array(2), holed, [[1]], ['1'], [1, Number.NaN]]) {
      expect(await code(() => (model.testTimeWarps = warps as never)), JSON.stringify(warps)).toBe('E_INPUT_INVALID');
      expect(await code(() => SpeechRecognizer.create({ ...tiny, testTimeWarps: warps as never })), JSON.stringify(warps)).toBe(
        'E_INPUT_INVALID',
      );
    }
    expect(model.testTimeWarps).toEqual([1]);
    model.testTimeWarps = [0.9, 1.1];
    expect(model.testTimeWarps).toEqual([0.9, 1.1]);
    model.testTimeWarps = [1];
  });

  it('cnn.filters and the augmentation ranges with holes are refused at create', async () => {
    for (const config of [
      { cnn: { filters: [4, , 8] } },
      { cnn: { filters: new Array(2) } },
      { augment: { speed: new Array(2) } },
      { augment: { vtlp: [1, ,] } },
      { augment: { timeStretch: new Array(2) } },
    ])
      expect(await code(() => SpeechRecognizer.create(config as never)), JSON.stringify(config)).toBe('E_INPUT_INVALID');
  });
});

describe('a stream whose recognizer was disposed', () => {
  it('refuses the first push and the flush after dispose with E_MODEL_DISPOSED, and leaves no tensors', async () => {
    const before = tf.memory().numTensors;
    const own = SpeechRecognizer.create(tiny);
    await own.train(synthSet(2));
    const stream = own.createStream({ sampleRate: SYNTH_RATE });
    own.dispose();
    // A word with no silence after it yet: before the fix it was buffered and push returned [].
    expect(await code(() => stream.push(synthWord('up', 1)))).toBe('E_MODEL_DISPOSED');
    expect(await code(() => stream.push(new Float32Array(SYNTH_RATE)))).toBe('E_MODEL_DISPOSED');
    expect(await code(() => stream.flush())).toBe('E_MODEL_DISPOSED');
    expect(await code(() => stream.push(synthWord('down', 2)))).toBe('E_MODEL_DISPOSED');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('public helpers refuse what is not audio samples or a sample rate', () => {
  const notSamples: unknown[] = [null, undefined, 42, 'x', {}, [], [0.1, 0.2], new Array(3), () => 1];

  it('detectSpeech, trimSilence, resample and StreamingResampler.push', async () => {
    for (const v of notSamples) {
      const what = String(v);
      expect(await code(() => detectSpeech(v as never, 8000)), what).toBe('E_INPUT_INVALID');
      expect(await code(() => trimSilence(v as never, 8000)), what).toBe('E_INPUT_INVALID');
      expect(await code(() => resample(v as never, 8000, 16000)), what).toBe('E_INPUT_INVALID');
      expect(await code(() => resample(v as never, 8000, 8000)), what).toBe('E_INPUT_INVALID');
      expect(await code(() => new StreamingResampler(8000, 16000).push(v as never)), what).toBe('E_INPUT_INVALID');
      expect(await code(() => changeSpeed(v as never, 1)), what).toBe('E_INPUT_INVALID');
      expect(await code(() => addNoise(v as never, 20, createRng(1))), what).toBe('E_INPUT_INVALID');
      expect(await code(() => encodeWav(v as never, 8000)), what).toBe('E_INPUT_INVALID');
    }
    // Noise 10^20 times the signal, or a random source that gives NaN: refused, not huge or NaN samples.
    for (const snr of [-400, -21, 121]) expect(await code(() => addNoise(tone, snr, createRng(1))), String(snr)).toBe('E_INPUT_INVALID');
    expect(await code(() => addNoise(tone, 20, { next: () => Number.NaN }))).toBe('E_INPUT_INVALID');
    expect(Array.from(addNoise(tone, -20, createRng(1))).every(Number.isFinite)).toBe(true);
    expect(await code(() => melToHz(1e6))).toBe('E_INPUT_INVALID');
    const nan = tone.slice();
    nan[3] = Number.NaN;
    expect(await code(() => resample(nan, 8000, 16000))).toBe('E_INPUT_INVALID');
    expect(await code(() => encodeWav(nan, 8000))).toBe('E_INPUT_INVALID');
  });

  it('sample rates and the other number arguments', async () => {
    for (const rate of [null, undefined, '8000', 0, -8000, Number.NaN, Infinity, 10, 1e9]) {
      const what = String(rate);
      expect(await code(() => detectSpeech(tone, rate as never)), what).toBe('E_INPUT_INVALID');
      expect(await code(() => resample(tone, rate as never, 16000)), what).toBe('E_INPUT_INVALID');
      expect(await code(() => resample(tone, rate as never, rate as never)), what).toBe('E_INPUT_INVALID');
      expect(await code(() => new StreamingResampler(8000, rate as never)), what).toBe('E_INPUT_INVALID');
      expect(await code(() => encodeWav(tone, rate as never)), what).toBe('E_INPUT_INVALID');
    }
    expect(await code(() => changeSpeed(tone, '1' as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => addNoise(tone, Number.NaN, createRng(1)))).toBe('E_INPUT_INVALID');
    expect(await code(() => addNoise(tone, 20, null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => encodeWav(tone, 8000, '12' as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => encodeWav(tone, 8000, '16', 0))).toBe('E_INPUT_INVALID');
    expect(await code(() => parseWavHeader(null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => hzToMel('x' as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => melToHz(Number.NaN))).toBe('E_INPUT_INVALID');
  });

  it('feature helpers: configs that are not objects, lists with holes, bad warps and sample counts', async () => {
    const config = resolveFeatureConfig({ sampleRate: 8000 });
    expect(await code(() => resolveFeatureConfig(null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => resolveFeatureConfig('x' as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => extractFeatures(tone, null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => mfcc(tone, 'x' as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => extractFeatureViews(tone, new Array(2)))).toBe('E_INPUT_INVALID');
    expect(await code(() => extractFeatureViews(tone, null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => extractFeatures(tone, config, { warp: Number.NaN }))).toBe('E_INPUT_INVALID');
    expect(await code(() => extractFeatures(tone, config, null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => melFilterBank(null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => melFilterBank(config, Number.NaN))).toBe('E_INPUT_INVALID');
    expect(await code(() => frameCount(-1, config))).toBe('E_INPUT_INVALID');
    expect(await code(() => frameCount(100, null as never))).toBe('E_INPUT_INVALID');
  });

  it('good input still works: Float64Array for the VAD, the same rate, a tone', () => {
    // A tone between silences (a steady tone alone is no speech to the VAD: noise, a hum).
    const burst = new Float64Array(16000);
    burst.set(tone, 4000);
    expect(detectSpeech(burst as never, 8000)).toHaveLength(1);
    expect(resample(tone, 8000, 8000)).toBe(tone);
    expect(resample(tone, 8000, 16000)).toHaveLength(16000);
    expect(frameCount(8000, resolveFeatureConfig({ sampleRate: 8000 }))).toBeGreaterThan(0);
    expect(melFilterBank(resolveFeatureConfig({ sampleRate: 8000 }), 1.1)).toHaveLength(40);
  });
});

describe('property reads after dispose', () => {
  it('every getter and the warps setter are E_MODEL_DISPOSED, trained or not; isTrained is false', async () => {
    const before = tf.memory().numTensors;
    const trained = SpeechRecognizer.create(tiny);
    await trained.train(synthSet(2));
    for (const m of [trained, SpeechRecognizer.create(tiny)]) {
      expect(m.sampleRate).toBe(SYNTH_RATE);
      m.dispose();
      expect(m.isTrained).toBe(false);
      expect(await code(() => m.labels)).toBe('E_MODEL_DISPOSED');
      expect(await code(() => m.featureConfig)).toBe('E_MODEL_DISPOSED');
      expect(await code(() => m.frontEndConfigs)).toBe('E_MODEL_DISPOSED');
      expect(await code(() => m.testTimeWarps)).toBe('E_MODEL_DISPOSED');
      expect(await code(() => (m.testTimeWarps = [1]))).toBe('E_MODEL_DISPOSED');
      expect(await code(() => m.sampleRate)).toBe('E_MODEL_DISPOSED');
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('a refused stream chunk leaves the stream as it was', () => {
  it('an out-of-range sample is refused before the chunk is kept; the same stream then answers as a fresh one', async () => {
    const silence = new Float32Array(SYNTH_RATE / 2);
    const feed = (s: ReturnType<typeof model.createStream>): string[] =>
      [...s.push(silence), ...s.push(synthWord('up', 0)), ...s.push(silence), ...s.push(silence), ...s.flush()].map((d) => d.label);
    const reference = feed(model.createStream());
    expect(reference.length).toBeGreaterThan(0);
    const stream = model.createStream();
    for (const bad of [Float32Array.from([0.1, 1e38]), Float32Array.from([Number.NaN])])
      expect(await code(() => stream.push(bad))).toBe('E_INPUT_INVALID');
    expect(stream.seconds).toBe(0);
    expect(feed(stream)).toEqual(reference);
  });

  it('at another rate: a chunk at the accepted limit does not resample past it, and a reused chunk buffer is not read later', async () => {
    // A ±1e6 square wave (the largest samples accepted) at 44.1 kHz: the windowed sinc overshoots.
    const loud = Float32Array.from({ length: 4410 }, (_, i) => (Math.floor(i / 50) % 2 ? 1e6 : -1e6));
    const stream = model.createStream({ sampleRate: 44_100 });
    expect(() => stream.push(loud)).not.toThrow();
    expect(() => stream.push(new Float32Array(441))).not.toThrow();
    expect(() => stream.flush()).not.toThrow();
    const nan = await code(() => model.createStream().push(Float32Array.from([0, Number.NaN])));
    expect(nan).toBe('E_INPUT_INVALID');
    // The same Float32Array refilled for every chunk resamples as fresh chunks do.
    const sine = Float32Array.from({ length: 8000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 44_100));
    const fresh = new StreamingResampler(44_100, 8000);
    const reused = new StreamingResampler(44_100, 8000);
    const buffer = new Float32Array(128);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < sine.length; i += 128) {
      a.push(...fresh.push(sine.slice(i, i + 128)));
      buffer.set(sine.subarray(i, i + 128));
      b.push(...reused.push(buffer.subarray(0, Math.min(128, sine.length - i))));
    }
    a.push(...fresh.flush());
    b.push(...reused.flush());
    expect(b).toEqual(a);
  });
});
