import { describe, expect, it } from 'vitest';
import { ImageClassifier } from './image-classifier';
import { ImageSegmenter } from './image-segmenter';

describe('medical-imaging option names', () => {
  it('a misspelt option is refused at create with the valid names, not ignored', () => {
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
    ImageClassifier.create({ filters: [8, 16], seed: 1 }).dispose();
    ImageSegmenter.create({ imageSize: 32, filters: [8, 16] }).dispose();
  });
});
