import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEQUENCE_VAD_DEFAULTS, SpeechRecognizer, type StreamDetection } from './index';
import { SYNTH_RATE, TINY_CONFIG, synthSet, synthWord } from './test-helpers';
import { detectSpeech, recordingNoiseFloor, speechSegments, trimSilence, type VadOptions } from './vad';

// recognizeSequence (and detectSpeech under it) read one recording without a noise floor: over steady
// background noise, a recording whose loudest frame rose less than 24 dB over its quiet ones took every
// frame within 35 dB of that loudest frame as speech, so ten words at ~12 dB SNR came back as one segment
// (one word) where a stream of the same audio, holding words against its own floor, found the ten. One
// recording with a steady background is now held against its floor as a stream holds its buffer.

const RATE = SYNTH_RATE;
let seed = 5;
const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
const gauss = (): number => rnd() + rnd() + rnd() + rnd() + rnd() + rnd() - 3;
/** White noise at `db` dBFS (gauss() has variance 1/2). */
const noise = (seconds: number, db: number): Float32Array =>
  Float32Array.from({ length: Math.round(seconds * RATE) }, () => (10 ** (db / 20) / Math.sqrt(0.5)) * gauss());
const powerDb = (a: Float32Array): number => 10 * Math.log10(a.reduce((s, v) => s + v * v, 0) / a.length);
const LABELS = ['up', 'down', 'warble'] as const;

/** Ten synthetic words, word k at 1 + gap·k seconds, over white noise `snrDb` below their mean power; with each word's span. */
function wordsOverNoise(snrDb: number, gap: number): { audio: Float32Array; spans: Array<[number, number]>; labels: string[] } {
  const words = Array.from({ length: 10 }, (_, k) => synthWord(LABELS[k % 3]!, 20 + k));
  const wordDb = 10 * Math.log10(words.reduce((s, w) => s + 10 ** (powerDb(w) / 10), 0) / words.length);
  const audio = noise(1 + 10 * gap, wordDb - snrDb);
  const spans: Array<[number, number]> = [];
  words.forEach((w, k) => {
    const at = Math.round((1 + gap * k) * RATE);
    w.forEach((v, i) => (audio[at + i]! += v));
    spans.push([at / RATE, (at + w.length) / RATE]);
  });
  return { audio, spans, labels: words.map((_, k) => LABELS[k % 3]!) };
}

function streamed(model: SpeechRecognizer, audio: Float32Array): StreamDetection[] {
  const stream = model.createStream({ minScore: 0 });
  const found: StreamDetection[] = [];
  for (let i = 0; i < audio.length; i += 160) found.push(...stream.push(audio.subarray(i, i + 160)));
  found.push(...stream.flush());
  return found;
}

describe('recognizeSequence over steady background noise', () => {
  let model: SpeechRecognizer;
  beforeAll(async () => {
    model = SpeechRecognizer.create(TINY_CONFIG);
    // A background-noise class, as keyword spotting trains one: a steady sound must still be read whole.
    const examples = [
      ...synthSet(3),
      ...[0, 1, 2, 3, 4, 5].map((i) => ({ audio: noise(1, -30 - 3 * i), label: 'noise', sampleRate: RATE })),
    ];
    await model.train(examples, { progress: false });
  });
  afterAll(() => model.dispose());

  it('ten words at ~12 dB SNR are ten segments, each around its word (one segment before), as a stream finds them', async () => {
    for (const gap of [2, 1]) {
      const { audio, spans } = wordsOverNoise(12, gap);
      const seq = await model.recognizeSequence(audio, { sampleRate: RATE });
      expect(seq.words, `${gap} s apart`).toHaveLength(10);
      seq.words.forEach((w, k) => {
        const [a, b] = spans[k]!;
        // synthWord pads its sound with 0.05–0.15 s of near silence on each side; the VAD pads 30 ms.
        expect(w.startSeconds, `word ${k}`).toBeGreaterThanOrEqual(a);
        expect(w.endSeconds, `word ${k}`).toBeLessThanOrEqual(b);
        expect(w.endSeconds - w.startSeconds, `word ${k}`).toBeGreaterThan(0.25);
      });
      // The stream of the same audio: the same words, within a word.
      const stream = streamed(model, audio);
      expect(Math.abs(stream.length - seq.words.length)).toBeLessThanOrEqual(1);
      for (const w of seq.words) expect(stream.some((d) => Math.abs(d.startSeconds - w.startSeconds) < 0.15)).toBe(true);
    }
  });

  it('trimSilence trims a word over steady noise to the word', () => {
    const { audio, spans } = wordsOverNoise(12, 2);
    const one = audio.subarray(0, Math.round(3 * RATE));
    const t = trimSilence(one, RATE, SEQUENCE_VAD_DEFAULTS);
    expect(t.start / RATE).toBeGreaterThanOrEqual(spans[0]![0]);
    expect(t.end / RATE).toBeLessThanOrEqual(spans[0]![1]);
  });

  it('a steady sound throughout is still read whole: one word, the noise class (3e82faf)', async () => {
    const audio = noise(1, -33);
    expect(recordingNoiseFloor(audio, RATE, SEQUENCE_VAD_DEFAULTS)).toBeUndefined();
    // Whatever the margin: a floor under 3 dB would make it a stream's steady sound, no speech.
    expect(detectSpeech(noise(3, -40), RATE, { floorMarginDb: 1 })).toHaveLength(1);
    const seq = await model.recognizeSequence(audio, { sampleRate: RATE });
    expect(seq.words).toHaveLength(1);
    expect(seq.words[0]!.label).toBe('noise');
    expect(seq.words[0]!.endSeconds - seq.words[0]!.startSeconds).toBeGreaterThan(0.9);
  });
});

describe('recordings without a steady background segment exactly as before', () => {
  const gap = (s: number): Float32Array => new Float32Array(Math.round(s * RATE));
  const join = (...parts: Float32Array[]): Float32Array => {
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
    return out;
  };
  const tone = (seconds: number, hz: number): Float32Array =>
    Float32Array.from({ length: Math.round(seconds * RATE) }, (_, i) => 0.3 * Math.sin((2 * Math.PI * hz * i) / RATE));

  it('the test suite’s sequences, words, silence, steady sounds: the same segments, bit for bit, as without a floor', () => {
    const recordings: Array<[string, Float32Array]> = [
      ...synthSet(4).map((e, i): [string, Float32Array] => [`word ${i}`, e.audio as Float32Array]),
      [
        'three words, 0.3 s apart',
        join(gap(0.3), synthWord('up', 900), gap(0.3), synthWord('warble', 901), gap(0.3), synthWord('down', 902), gap(0.3)),
      ],
      ['two words, 0.4 s apart', join(gap(0.4), synthWord('up', 1500), gap(0.4), synthWord('down', 1501), gap(0.4))],
      ['ten words, 1 s apart', join(...Array.from({ length: 10 }, (_, k) => join(gap(1), synthWord(LABELS[k % 3]!, 30 + k))))],
      ['silence', gap(1)],
      ['a second of noise', noise(1, -40)],
      ['ten seconds of noise', noise(10, -40)],
      ['a hum', tone(3, 50)],
      ['a tone with a word', join(tone(1, 440), synthWord('up', 3), tone(1, 440))],
    ];
    for (const [what, audio] of recordings)
      for (const options of [{}, SEQUENCE_VAD_DEFAULTS, { padMs: 150 }, { floorMarginDb: 1 }] as VadOptions[]) {
        expect(recordingNoiseFloor(audio, RATE, options), what).toBeUndefined();
        expect(detectSpeech(audio, RATE, options), what).toEqual(speechSegments(audio, RATE, options));
      }
  });
});
