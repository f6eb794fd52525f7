// The whole public surface of @appliedml/text. No tfjs types appear here.

export { TextClassifier, MODEL_TYPES, LINEAR_DEFAULTS, NAIVE_BAYES_DEFAULTS } from './text-classifier';
export type {
  EvaluateOptions,
  LinearConfig,
  ModelType,
  NaiveBayesConfig,
  TextClassifierConfig,
  TextExplanation,
  TextPrediction,
  TextTrainingReport,
  TokenWeight,
  TrainOptions,
} from './text-classifier';
export { CNN_DEFAULTS, FASTTEXT_DEFAULTS } from './neural-models';
export type { CnnConfig, FastTextConfig } from './neural-models';
export type { BinaryMetrics, ClassMetrics, MultiLabelMetrics, TextMetrics } from './text-metrics';

// Text processing
export { FEATURE_PRESETS, extractFeatures, resolveFeatureConfig, tokenize } from './features';
export type { FeatureConfig, ResolvedFeatureConfig } from './features';
export { STEMMER_LANGUAGES, STOPWORD_LANGUAGES, TOKENIZERS, stemmerFor, stopWordsFor, tokenizerFor } from './languages';
export type { StemmerLanguage, StopwordLanguage, TokenizerName } from './languages';
export { charNgrams } from './char-ngrams';
export type { CharNgramOptions } from './char-ngrams';
export { DEFAULT_MAX_TEXT_CHARS, checkText, decodeText } from './text-input';
export type { TextEncoding } from './text-input';

// Vectorisers
export { Vocabulary } from './vocabulary';
export type { VocabularyOptions } from './vocabulary';
export { TfidfVectorizer } from './tfidf';
export type { SparseVector, TfidfOptions } from './tfidf';
export { hashedNgrams } from './hashed-ngrams';
export type { HashedNgramOptions } from './hashed-ngrams';
export { fnv1a } from './hash';

// Sentiment
export { SentimentScorer } from './sentiment';
export type { SentimentOptions, SentimentResult, SentimentVocabulary } from './sentiment';

// Data
export { readSmsSpam, readTextCsv, readTextJsonl, readTrec } from './loaders';
export type { FieldOptions, LoaderOptions, TextExample } from './loaders';
export { SMS_SPAM_DATASET, TREC_DATASET } from './datasets';
export { TEXT_PACKAGE, TEXT_TASK, TEXT_VERSION } from './version';
