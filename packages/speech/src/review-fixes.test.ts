import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '@appliedml/engine';
import { extractFeatures, resolveFeatureConfig } from './features';
import { SpeechRecognizer, type SpeechRecognizerConfig } from './speech-recognizer';
import { SYNTH_RATE, TINY_CONFIG, codeOf as code, synthSet, synthWord } from './test-helpers';
import { readAudio, resample } from './wav';

// Found by a first-hour review of the SDK: stream options that hung push(), dispose during train,
// holes, labels that are Object member names, lax bundle values, unchecked VAD / augmentation options.
const tiny: SpeechRecognizerConfig = TINY_CONFIG;

let model: SpeechRecognizer;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'speech-review-'));
  model = SpeechRecognizer.create(tiny);
  await model.train(synthSet(2));
});
afterAll(async () => {
  model.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('options checked where they are given', () => {
  it('createStream refuses options that hung push() or gave wrong answers', async () => {
    for (const options of [
      { maxWordSeconds: 0 },
      { maxWordSeconds: -1 },
      { endSilenceSeconds: 0 },
      { sampleRate: 0 },
      { sampleRate: 1 },
      { sampleRate: 10_000_000 },
      { minScore: 'x' },
      { vad: { padMs: -1 } },
    ])
      expect(await code(() => model.createStream(options as never)), JSON.stringify(options)).toBe('E_INPUT_INVALID');
  });

  it('VAD and augmentation settings are checked at create', async () => {
    for (const config of [
      { vad: { padMs: -100 } },
      { vad: { hopMs: 0 } },
      { vad: { rangeDb: Number.NaN } },
      { augment: { noiseSnrDb: [Number.NaN, Number.NaN] } },
      { augment: { vtlp: [-1, -1] } },
      { augment: { timeMasks: 1e6 } },
      { maxSeconds: 1e12 },
      { features: 'x' },
      { frontEnds: new Array(2) },
    ])
      expect(await code(() => SpeechRecognizer.create(config as never)), JSON.stringify(config)).toBe('E_INPUT_INVALID');
    expect(await code(() => SpeechRecognizer.create(null as never))).toBe('E_INPUT_INVALID');
  });

  it('audio far outside [-1, 1] is refused instead of giving NaN features; a directory or an infinite rate is typed', async () => {
    const loud = synthWord('up', 1).map((v) => v * 3e38);
    expect(await code(() => extractFeatures(loud, resolveFeatureConfig({ sampleRate: SYNTH_RATE })))).toBe('E_INPUT_INVALID');
    expect(await code(() => model.predict(loud, { sampleRate: SYNTH_RATE }))).toBe('E_INPUT_INVALID');
    expect(await code(() => readAudio(tmpdir()))).toBe('E_IO');
    expect(await code(() => resample(new Float32Array(8), 8000, Infinity))).toBe('E_INPUT_INVALID');
  });
});

describe('data and lifecycle', () => {
  it('holes are refused; a __proto__ label keeps its row in evaluate', async () => {
    expect(await code(() => model.evaluate(new Array(2)))).toBe('E_INPUT_INVALID');
    expect(await code(() => SpeechRecognizer.create(tiny).train(new Array(4)))).toBe('E_INPUT_INVALID');
    const named = synthSet(2).map((e) => ({ ...e, label: e.label === 'up' ? '__proto__' : e.label === 'down' ? 'constructor' : e.label }));
    const own = SpeechRecognizer.create(tiny);
    await own.train(named);
    const m = await own.evaluate(named);
    expect(Object.keys(m.perClass).sort()).toEqual(['__proto__', 'constructor', 'warble']);
    own.dispose();
  });

  it('dispose during train: train rejects E_MODEL_DISPOSED and frees the networks it built', async () => {
    const before = tf.memory().numTensors;
    const own = SpeechRecognizer.create(tiny);
    const training = own.train(synthSet(2));
    own.dispose();
    expect(await code(() => training)).toBe('E_MODEL_DISPOSED');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a bundle with labels that are not distinct strings, or settings out of range, is E_BUNDLE_CORRUPT', async () => {
    const path = join(dir, 'bundle');
    await model.save(path);
    const file = join(path, 'manifest.json');
    const original = JSON.parse(await readFile(file, 'utf8')) as Record<string, any>;
    delete original.manifestSha256;
    const edits: ((m: Record<string, any>) => void)[] = [
      (m) => (m.preprocessing.labels = ['up', 'up', 'warble']),
      (m) => (m.preprocessing.labels = [1, 2, 3]),
      (m) => (m.labels = ['a', 'b', 'c']),
      (m) => (m.preprocessing.features = 'x'),
      (m) => (m.preprocessing.vad = 'x'),
      (m) => (m.preprocessing.vad = { padMs: -1e9 }),
      (m) => (m.preprocessing.maxSeconds = 1e12),
      (m) => (m.preprocessing.windowSeconds = 0),
    ];
    for (const edit of edits) {
      const m = structuredClone(original);
      edit(m);
      await writeFile(file, JSON.stringify(m));
      expect(await code(() => SpeechRecognizer.load(path)), String(edit)).toBe('E_BUNDLE_CORRUPT');
    }
    await writeFile(file, JSON.stringify(original));
    (await SpeechRecognizer.load(path)).dispose();
  });
});
