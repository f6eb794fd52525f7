import { describe, expect, it } from 'vitest';
import { SpeechRecognizer } from './speech-recognizer';

describe('SpeechRecognizer option names', () => {
  it('a misspelt option, at the top or in a nested option object, is refused at create with the valid names', () => {
    expect(() => SpeechRecognizer.create({ epoch: 3 } as never)).toThrow(
      expect.objectContaining({
        code: 'E_INPUT_INVALID',
        message: expect.stringMatching(/SpeechRecognizer config has no option 'epoch'; valid: /),
      }),
    );
    for (const [bad, name] of [
      [{ features: { melbands: 40 } }, "features has no option 'melbands'"],
      [{ vad: { padMS: 10 } }, "vad has no option 'padMS'"],
      [{ augment: { copy: 2 } }, "augment has no option 'copy'"],
      [{ frontEnds: [{ coefficients: 13 }, { cofficients: 13 }] }, "frontEnds[1] has no option 'cofficients'"],
    ] as const)
      expect(() => SpeechRecognizer.create(bad as never)).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringContaining(name) }),
      );
    // false still turns VAD and augmentation off.
    SpeechRecognizer.create({ vad: false, augment: false, seed: 1 }).dispose();
    SpeechRecognizer.create({ epochs: 3, seed: 1 }).dispose();
  });
});
