import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { TextClassifier, type ModelType } from './text-classifier';

// A model left with no feature after fitting (linear minCount 100000 on 40 texts) trained without a word
// (featureCount 0, an info log), predicted every text from the label bias (naive Bayes 0.5 / 0.5) and saved.
// It is E_INPUT_INVALID now, saying why: the minCount option against the data, or texts that give no
// token under the feature options.

const KINDS: ModelType[] = ['linear', 'naive-bayes', 'fasttext', 'cnn'];
const small = {
  features: { charNgrams: false as const },
  fasttext: { buckets: 64, dim: 4, epochs: 1 },
  cnn: { embeddingDim: 4, filters: 2, epochs: 1 },
};

async function refusal(p: Promise<unknown>): Promise<AppliedMLError> {
  const caught = await p.then(
    () => 'trained',
    (e: unknown) => e,
  );
  expect(AppliedMLError.isInstance(caught), String(caught)).toBe(true);
  return caught as AppliedMLError;
}

describe('a training that keeps no feature', () => {
  const data = [
    { text: 'the parcel is late', label: 'delivery' },
    { text: 'where is my parcel', label: 'delivery' },
    { text: 'the app crashes', label: 'bug' },
    { text: 'crash on save', label: 'bug' },
  ];
  const withMinCount: [ModelType, string][] = [
    ['linear', 'linear.minCount'],
    ['naive-bayes', 'naiveBayes.minCount'],
    ['cnn', 'cnn.minCount'],
  ];
  for (const [model, field] of withMinCount)
    it(`${model}: a ${field} no feature reaches is E_INPUT_INVALID naming it and the count that would keep one`, async () => {
      const section = field.split('.')[0] as 'linear' | 'naiveBayes' | 'cnn';
      const classifier = TextClassifier.create({
        model,
        ...small,
        [section]: { ...(small as Record<string, object>)[section], minCount: 100_000 },
      });
      const e = await refusal(classifier.train(data));
      expect(e.code, e.message).toBe('E_INPUT_INVALID');
      expect(e.message).toContain(`${field} is 100000`);
      // 'the', 'parcel' and 'is' are each in two of the four texts (no character n-grams here).
      expect(e.message).toContain(`Set ${field} to 2 or less`);
      expect(e.details).toMatchObject({ reason: 'min-count', field, minCount: 100_000, mostCommonCount: 2, texts: 4 });
      // Nothing was trained: the classifier is still untrained.
      await expect(classifier.predict('the parcel')).rejects.toMatchObject({ code: 'E_MODEL_NOT_TRAINED' });
      // The count it names trains.
      const fine = TextClassifier.create({ model, ...small, [section]: { ...(small as Record<string, object>)[section], minCount: 2 } });
      expect((await fine.train(data)).featureCount).toBeGreaterThan(0);
      fine.dispose();
      classifier.dispose();
    });

  for (const model of KINDS)
    it(`${model}: texts that give no token under the feature options are E_INPUT_INVALID naming the options`, async () => {
      const stopWordsOnly = [
        { text: 'the and of', label: 'a' },
        { text: 'is it a', label: 'b' },
      ];
      const classifier = TextClassifier.create({ model, ...small, features: { removeStopWords: true, charNgrams: false } });
      const e = await refusal(classifier.train(stopWordsOnly));
      expect(e.code, e.message).toBe('E_INPUT_INVALID');
      expect(e.message).toMatch(
        /none of the 2 training texts gives a (token|feature) under the feature options \(tokenizer 'unicode', language 'en', removeStopWords\)/,
      );
      expect(e.details).toMatchObject({ reason: 'no-tokens', model, texts: 2 });
      classifier.dispose();
    });
});
