import { AppliedMLError, createRng } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { TextClassifier } from './text-classifier';

/** 10,000 labels (the documented limit), each with one text of 30 made-up words: ~600,000 distinct words and bigrams. */
function manyLabels(): { text: string; label: string }[] {
  const rng = createRng(5);
  const word = (): string => Array.from({ length: 8 }, () => String.fromCharCode(97 + Math.floor(rng.next() * 26))).join('');
  return Array.from({ length: 10_000 }, (_, i) => ({ text: Array.from({ length: 30 }, word).join(' '), label: `L${i}` }));
}

describe('the features × labels weight table is sized before it is allocated', () => {
  for (const [model, field] of [
    ['linear', 'linear.maxFeatures'],
    ['naive-bayes', 'naiveBayes.maxFeatures'],
  ] as const) {
    it(`${model}: 10,000 labels × 500,000 features is E_INPUT_TOO_LARGE naming ${field} and what fits`, async () => {
      const m = TextClassifier.create({
        model,
        features: { wordNgrams: 2, charNgrams: false },
        ...(model === 'linear' ? { linear: { maxFeatures: 500_000 } } : { naiveBayes: { maxFeatures: 500_000 } }),
      });
      let error: unknown;
      try {
        await m.train(manyLabels(), model === 'linear' ? { epochs: 1 } : {});
      } catch (e) {
        error = e;
      }
      expect(AppliedMLError.isInstance(error)).toBe(true);
      const e = error as AppliedMLError;
      expect(e.code).toBe('E_INPUT_TOO_LARGE');
      expect(e.message).toContain(field);
      expect(e.message).toContain('× 10000 labels');
      expect(e.message).toContain('10000 or fewer');
      expect(e.details).toMatchObject({ field, features: 500_000, labels: 10_000, maxFeaturesThatFit: 10_000 });
      expect(m.isTrained).toBe(false);
    }, 60_000);
  }
});
