import { describe, expect, it } from 'vitest';
import { SpeechRecognizer } from './speech-recognizer';

describe('SpeechRecognizer option names', () => {
  it('a misspelt option is refused at create with the valid names, not ignored', () => {
    expect(() => SpeechRecognizer.create({ epoch: 3 } as never)).toThrow(
      expect.objectContaining({
        code: 'E_INPUT_INVALID',
        message: expect.stringMatching(/SpeechRecognizer config has no option 'epoch'; valid: /),
      }),
    );
    SpeechRecognizer.create({ epochs: 3, seed: 1 }).dispose();
  });
});
