import { describe, expect, it } from 'vitest';
import { TextClassifier } from './text-classifier';

describe('TextClassifier option names', () => {
  it('a misspelt option, at the top or in a nested option object, is refused at create with the valid names', () => {
    expect(() => TextClassifier.create({ modle: 'cnn' } as never)).toThrow(
      expect.objectContaining({
        code: 'E_INPUT_INVALID',
        message: expect.stringMatching(/TextClassifier config has no option 'modle'; valid: /),
      }),
    );
    for (const [bad, name] of [
      [{ linear: { epoch: 3 } }, "linear has no option 'epoch'"],
      [{ features: { wordNGrams: 2 } }, "features has no option 'wordNGrams'"],
      [{ cnn: { filter: 8 } }, "cnn has no option 'filter'"],
    ] as const)
      expect(() => TextClassifier.create(bad as never)).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringContaining(name) }),
      );
    TextClassifier.create({ model: 'linear', seed: 1 }).dispose();
  });
});
