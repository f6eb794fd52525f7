import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpeechRecognizer } from './speech-recognizer';
import { StreamingRecognizer } from './streaming';
import { SYNTH_RATE, TINY_CONFIG, rejectionOf, synthSet, synthWord } from './test-helpers';
import { detectSpeech, speechAnalysis } from './vad';

// Steady background noise was speech to the VAD: a buffer spanning less than 24 dB took every frame
// within 35 dB of its loudest as speech, so a stream of white noise (-54 to -30 dBFS) gave a "word" every
// maxWordSeconds (30 in a minute, scored 0.71-0.89 by the demo's model), and recognize on a second of
// noise, a hum or a tone answered a word. A stream now holds words against its own floor over the last
// seconds (a steady level is no word however loud), a buffer whose loudest frame is barely above its quiet
// ones is a steady sound, and recognize says why it found no word: 'silence', 'steady-sound', or
// 'too-short' for a click shorter than minSpeechMs (it said "silence only, or too quiet").

const RATE = SYNTH_RATE;
let seed = 5;
const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
const gauss = (): number => rnd() + rnd() + rnd() + rnd() + rnd() + rnd() - 3;
/** White noise at `db` dBFS, rising and falling `swingDb` (peak to peak) 0.7 times a second. */
const noise = (seconds: number, db: number, swingDb = 0): Float32Array =>
  Float32Array.from(
    { length: Math.round(seconds * RATE) },
    (_, i) => 10 ** (db / 20) * 10 ** (((swingDb / 2) * Math.sin((2 * Math.PI * 0.7 * i) / RATE)) / 20) * gauss(),
  );
const tone = (seconds: number, ...hz: number[]): Float32Array =>
  Float32Array.from({ length: Math.round(seconds * RATE) }, (_, i) =>
    hz.reduce((s, f) => s + 0.3 * Math.sin((2 * Math.PI * f * i) / RATE), 0),
  );

/** Every VAD segment the stream closes, as a word (the classify callback scores each one 0.9). */
function words(audio: Float32Array, chunk = 160): number[] {
  const stream = new StreamingRecognizer(RATE, () => ({ probs: Float32Array.from([0.9, 0.1]), labels: ['a', 'b'] }));
  const found = [];
  for (let i = 0; i < audio.length; i += chunk) found.push(...stream.push(audio.subarray(i, i + chunk)));
  found.push(...stream.flush());
  return found.map((w) => w.startSeconds);
}

describe('a stream over background noise', () => {
  it('steady noise, however loud, or noise rising and falling a few dB, gives no word', () => {
    for (const db of [-54, -40, -30]) expect(words(noise(30, db)), `${db} dBFS`).toEqual([]);
    expect(words(noise(30, -40, 8))).toEqual([]);
  });

  it('words over it are found, each once', () => {
    for (const [db, swing] of [
      [-55, 0],
      [-40, 0],
      [-45, 8],
    ] as const) {
      const audio = noise(30, db, swing);
      for (let k = 0; k < 5; k++)
        audio.set(
          synthWord('up', k).map((v, i) => v + audio[(6 * k + 1) * RATE + i]!),
          (6 * k + 1) * RATE,
        );
      expect(
        words(audio).map((s) => Math.round(s)),
        `${db} dBFS`,
      ).toEqual([1, 7, 13, 19, 25]);
    }
  });
});

/** A recording's level in dB as the VAD measures frames (10 log10 of the mean power). */
const levelDb = (audio: Float32Array): number => 10 * Math.log10(audio.reduce((s, v) => s + v * v, 0) / audio.length + 1e-12);

describe('a steady sound', () => {
  it('in a stream (its noise floor known): white noise, a hum, a tone, DTMF are no speech, reason steady-sound', () => {
    for (const [what, audio] of [
      ['noise', noise(1, -40)],
      ['loud noise', noise(1, -10)],
      ['hum', tone(1, 50)],
      ['DTMF', tone(1, 697, 1209)],
    ] as const)
      expect(speechAnalysis(audio, RATE, {}, levelDb(audio)), what).toEqual({ segments: [], reason: 'steady-sound' });
    // A word over the floor of the noise it stands in is found.
    expect(speechAnalysis(synthWord('warble', 1), RATE, {}, -60).segments).toHaveLength(1);
  });

  it('in one recording (detectSpeech, recognize, train): read whole, as a model with a noise class needs', () => {
    for (const audio of [noise(1, -40), noise(1, -10), tone(1, 50), tone(1, 697, 1209)]) {
      const segments = detectSpeech(audio, RATE);
      expect(segments).toHaveLength(1);
      expect(segments[0]!.end - segments[0]!.start).toBeGreaterThan(0.9 * RATE);
    }
    expect(speechAnalysis(new Float32Array(RATE), RATE, {}).reason).toBe('silence');
    const click = new Float32Array(RATE);
    click.set(tone(0.025, 440), RATE / 2);
    expect(speechAnalysis(click, RATE, {}).reason).toBe('too-short');
    expect(detectSpeech(synthWord('warble', 1), RATE)).toHaveLength(1);
  });

  it('a model with a background-noise class trains on steady noise and answers it (train refused it: review R4-1)', async () => {
    const examples = [
      ...synthSet(3),
      ...[0, 1, 2, 3, 4, 5].map((i) => ({ audio: noise(1, -30 - 3 * i), label: 'noise', sampleRate: RATE })),
    ];
    const model = SpeechRecognizer.create(TINY_CONFIG);
    try {
      await model.train(examples);
      const result = await model.recognize(noise(1, -33), { sampleRate: RATE });
      expect(Object.keys(result.scores)).toContain('noise');
      expect(result.label).toBe('noise');
    } finally {
      model.dispose();
    }
  });
});

describe('recognize says why it found no word', () => {
  let model: SpeechRecognizer;
  beforeAll(async () => {
    model = SpeechRecognizer.create(TINY_CONFIG);
    await model.train(synthSet(2));
  });
  afterAll(() => {
    model.dispose();
  });

  it('a click, silence', async () => {
    const click = new Float32Array(RATE);
    click.set(tone(0.025, 440), RATE / 2);
    const short = await rejectionOf(() => model.recognize(click, { sampleRate: RATE }));
    expect(short.message).toBe(
      "No speech found in the audio: its sounds are shorter than the VAD's minSpeechMs (80 ms), too short for a word.",
    );
    expect(short.details).toEqual({ reason: 'too-short', minSpeechMs: 80 });
    const quiet = await rejectionOf(() => model.recognize(new Float32Array(RATE), { sampleRate: RATE }));
    expect(quiet.message).toBe('No speech found in the audio (silence only, or too quiet).');
    expect(quiet.details).toEqual({ reason: 'silence' });
    // A word still is one.
    expect((await model.recognize(synthWord('up', 9), { sampleRate: RATE })).label).toBeTypeOf('string');
  });
});
