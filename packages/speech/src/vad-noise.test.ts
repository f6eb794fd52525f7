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

describe('detectSpeech on a steady sound', () => {
  it('white noise, a hum, a tone, DTMF: no speech, reason steady-sound; silence and a click say so', () => {
    for (const [what, audio] of [
      ['noise', noise(1, -40)],
      ['loud noise', noise(1, -10)],
      ['hum', tone(1, 50)],
      ['DTMF', tone(1, 697, 1209)],
    ] as const) {
      expect(detectSpeech(audio, RATE), what).toEqual([]);
      expect(speechAnalysis(audio, RATE, {}).reason, what).toBe('steady-sound');
    }
    expect(speechAnalysis(new Float32Array(RATE), RATE, {}).reason).toBe('silence');
    const click = new Float32Array(RATE);
    click.set(tone(0.025, 440), RATE / 2);
    expect(speechAnalysis(click, RATE, {}).reason).toBe('too-short');
    // A word in it is found.
    expect(detectSpeech(synthWord('warble', 1), RATE)).toHaveLength(1);
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

  it('steady sound, a click, silence', async () => {
    for (const audio of [noise(1, -30), tone(1, 50)]) {
      const e = await rejectionOf(() => model.recognize(audio, { sampleRate: RATE }));
      expect(e.code).toBe('E_INPUT_INVALID');
      expect(e.message).toBe(
        'No speech found in the audio: it is a steady sound (noise, a hum or a tone) with no louder part that could be a word.',
      );
      expect(e.details).toEqual({ reason: 'steady-sound' });
    }
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
