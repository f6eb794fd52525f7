import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpeechRecognizer } from './speech-recognizer';
import { TINY_CONFIG, rejectionOf, synthSet, synthWord, SYNTH_RATE } from './test-helpers';

// Review R1 (session 23): evaluate with a label the model does not know said which label but not
// where: in a folder of hundreds of recordings the user had to search for it. A bad training example
// carries details.index; so do these now (and the message names the position).

let model: SpeechRecognizer;
beforeAll(async () => {
  model = SpeechRecognizer.create(TINY_CONFIG);
  await model.train(synthSet(2));
});
afterAll(() => model.dispose());

describe('a label the model does not know', () => {
  it('in evaluate data is E_INPUT_INVALID with details.index and label', async () => {
    const data = [...synthSet(1), { audio: synthWord('up', 9), label: 'sideways', sampleRate: SYNTH_RATE }, ...synthSet(1, 5)];
    const error = await rejectionOf(() => model.evaluate(data));
    expect(error.code).toBe('E_INPUT_INVALID');
    expect(error.details).toMatchObject({ index: 3, label: 'sideways' });
    expect(error.message).toContain('[3]');
  });

  it('in train validation data is E_INPUT_INVALID with details.index and label', async () => {
    const fresh = SpeechRecognizer.create(TINY_CONFIG);
    try {
      const validation = [...synthSet(1), { audio: synthWord('down', 9), label: 'sideways', sampleRate: SYNTH_RATE }];
      const error = await rejectionOf(() => fresh.train(synthSet(2), { validation }));
      expect(error.code).toBe('E_INPUT_INVALID');
      expect(error.details).toMatchObject({ index: 3, label: 'sideways' });
      expect(fresh.isTrained).toBe(false);
    } finally {
      fresh.dispose();
    }
  });
});
