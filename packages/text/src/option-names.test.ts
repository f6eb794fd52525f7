import { describe, expect, it } from 'vitest';
import { TextClassifier } from './text-classifier';

describe('TextClassifier option names', () => {
  it('a misspelt option is refused at create with the valid names, not ignored', () => {
    expect(() => TextClassifier.create({ modle: 'cnn' } as never)).toThrow(
      expect.objectContaining({
        code: 'E_INPUT_INVALID',
        message: expect.stringMatching(/TextClassifier config has no option 'modle'; valid: /),
      }),
    );
    TextClassifier.create({ model: 'linear', seed: 1 }).dispose();
  });
});
