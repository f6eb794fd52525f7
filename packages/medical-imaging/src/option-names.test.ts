import { describe, expect, it } from 'vitest';
import { ImageClassifier } from './image-classifier';
import { ImageSegmenter } from './image-segmenter';

describe('medical-imaging option names', () => {
  it('a misspelt option, at the top or in a nested option object, is refused at create with the valid names', () => {
    expect(() => ImageClassifier.create({ filter: [8] } as never)).toThrow(
      expect.objectContaining({
        code: 'E_INPUT_INVALID',
        message: expect.stringMatching(/ImageClassifier config has no option 'filter'; valid: /),
      }),
    );
    expect(() => ImageSegmenter.create({ flipaugment: false } as never)).toThrow(
      expect.objectContaining({
        code: 'E_INPUT_INVALID',
        message: expect.stringMatching(/ImageSegmenter config has no option 'flipaugment'; valid: /),
      }),
    );
    expect(() => ImageClassifier.create({ augmentation: { flip: true } } as never)).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringContaining("augmentation has no option 'flip'") }),
    );
    ImageClassifier.create({ filters: [8, 16], seed: 1 }).dispose();
    ImageSegmenter.create({ imageSize: 32, filters: [8, 16] }).dispose();
  });
});
