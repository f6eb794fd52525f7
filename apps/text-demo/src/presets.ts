import type { ModelType, TextClassifierConfig } from '@appliedml/text';
import type { DatasetName } from './data';

/** The model configs the demo uses per dataset (what the benchmarks measured best). */
export function presetFor(dataset: DatasetName, model: ModelType): TextClassifierConfig {
  if (model === 'fasttext' || model === 'cnn') return { model };
  switch (dataset) {
    case 'trec':
      // Questions: words and bigrams, wh-word, head noun and its WordNet classes; no character n-grams.
      return { model, features: { questionFeatures: true, wordnet: true, charNgrams: false } };
    case 'sms-spam':
      return { model, features: { shapeFeatures: true } };
    case 'spam-assassin':
      // Long e-mails: words and bigrams only keep training quick.
      return { model, features: { charNgrams: false, shapeFeatures: true }, linear: { epochs: 10 } };
  }
}

/**
 * Reference numbers for the table: the papers' (Almeida 2011 is also in the dataset's SOURCE.md), and
 * scikit-learn's as the repository's benchmark measured them on this split (docs/benchmarks/text.md,
 * `tools/text-bench-sklearn.py`: TfidfVectorizer(sublinear_tf=True) on words, LinearSVC / MultinomialNB).
 */
export const PUBLISHED: Record<DatasetName, { what: string; accuracy?: number; recall?: number; fpr?: number; mcc?: number }[]> = {
  'sms-spam': [
    { what: 'Almeida 2011 linear SVM (30/70 file-order split)', accuracy: 0.9764, recall: 0.831, fpr: 0.0018, mcc: 0.893 },
    { what: 'scikit-learn TF-IDF + LinearSVC (this split, docs/benchmarks/text.md)', accuracy: 0.9855, recall: 0.9008 },
    { what: 'scikit-learn TF-IDF + MultinomialNB (this split, docs/benchmarks/text.md)', accuracy: 0.9594, recall: 0.6794 },
  ],
  trec: [
    { what: 'Kim 2014 CNN-rand', accuracy: 0.912 },
    { what: 'Kim 2014 CNN-non-static (word2vec)', accuracy: 0.936 },
    { what: 'Silva et al. 2011 SVM, head words + WordNet', accuracy: 0.95 },
    { what: 'scikit-learn TF-IDF + LinearSVC (official split, docs/benchmarks/text.md)', accuracy: 0.876 },
  ],
  'spam-assassin': [],
};
