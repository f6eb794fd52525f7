import { initEngine, tf } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { SpeechRecognizer } from './speech-recognizer';

// train's `parallel` was read as `!== false`: the text 'false' (a form field, an environment variable) or 0
// trained an ensemble in worker threads. It takes true or false only, checked with the other options.
beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

describe('SpeechRecognizer.train parallel option', () => {
  it('anything but true / false is E_INPUT_INVALID naming parallel, before any data is read', async () => {
    const model = SpeechRecognizer.create({ seed: 1 });
    const tensors = tf.memory().numTensors;
    try {
      for (const parallel of ['false', 0, 1, null, 'no']) {
        const error = await model.train('not data' as never, { parallel: parallel as never }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toMatchObject({ code: 'E_INPUT_INVALID', details: { field: 'parallel' } });
        expect((error as Error).message).toMatch(/^parallel must be true or false \(got /);
      }
      expect(tf.memory().numTensors).toBe(tensors);
      expect(model.isTrained).toBe(false);
    } finally {
      model.dispose();
    }
  });
});
