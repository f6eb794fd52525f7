import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpeechRecognizer } from './speech-recognizer';
import { SYNTH_RATE, TINY_CONFIG, rejectionOf, synthSet, synthWord } from './test-helpers';

// Found by reviewer r2 (session 25) embedding the SDK in a service.
let model: SpeechRecognizer;
beforeAll(async () => {
  model = SpeechRecognizer.create(TINY_CONFIG);
  await model.train(synthSet(2));
});
afterAll(() => model.dispose());

describe('recognizeSequence minScore', () => {
  it('refuses NaN, a string, 2, -1 and Infinity with E_INPUT_INVALID naming minScore, as a stream does', async () => {
    const audio = synthWord('up', 3);
    for (const minScore of [Number.NaN, '0.9', 2, -1, Number.POSITIVE_INFINITY]) {
      const e = await rejectionOf(() => model.recognizeSequence(audio, { sampleRate: SYNTH_RATE, minScore: minScore as never }));
      expect(e.code, String(minScore)).toBe('E_INPUT_INVALID');
      expect(e.message).toContain('minScore');
    }
  });

  it('still takes 0, 1 and undefined', async () => {
    const audio = synthWord('up', 3);
    for (const minScore of [0, 1, undefined]) {
      const seq = await model.recognizeSequence(audio, { sampleRate: SYNTH_RATE, minScore });
      expect(Array.isArray(seq.words)).toBe(true);
    }
  });
});
