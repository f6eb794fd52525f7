// The whole public surface of @appliedml/fraud.
export { FraudDetector } from './detector';
export type {
  DetectorKind,
  FeatureReason,
  FraudDetectorConfig,
  FraudEvaluation,
  FraudPrediction,
  FraudTrainOptions,
  FraudTrainingReport,
  SupervisedKind,
  UnsupervisedKind,
} from './detector';
export { Preprocessor } from './tabular';
export type {
  ColumnKind,
  FeatureInfo,
  FittedColumn,
  PreprocessOptions,
  PreprocessorState,
  TabularInput,
  TabularRecord,
  TimeFeatures,
} from './tabular';
export { chooseThreshold } from './thresholds';
export type { ThresholdChoice, ThresholdRule } from './thresholds';
export { readLabel, readLabels } from './labels';
export { MAX_CELLS, takeRows, toMatrix } from './matrix';
export type { Matrix } from './matrix';
export { ADBENCH_FILES, ADBENCH_HOW_TO_GET, loadAdbench, readLabelledNpz } from './adbench';
export type { LabelledMatrix } from './adbench';
export { ADBENCH_MAX_ROWS, ADBENCH_MIN_ROWS, ADBENCH_SEEDS, adbenchSplit } from './adbench-split';
export type { RowSplit } from './adbench-split';
export { ADBENCH_PUBLISHED } from './published';
export type { PublishedPair, PublishedRow } from './published';
export type { AutoencoderOptions, MlpOptions } from './neural';
export type { IsolationForestOptions } from './iforest';
export { GBT_BAGGED, type GbtOptions } from './gbt';
export type { ForestOptions } from './forest';
export type { KnnOptions } from './knn';
export { FRAUD_PACKAGE, FRAUD_VERSION } from './version';
export { MAX_ID_CHARS, TransactionFeatures, checkTransaction } from './stream';
export type {
  CardRecord,
  SavedEntityState,
  StreamFeatureOptions,
  StreamState,
  TimeUnit,
  Transaction,
  TransactionFeatureRow,
} from './stream';
export { TransactionScorer, scorerSaveMarker } from './scorer';
export type { TransactionInput } from './transaction';
export type { TransactionScore, TransactionScorerConfig } from './scorer';
export { SYNTHETIC_NOTICE, generateTransactions } from './synthetic';
export type { FraudPattern, SyntheticOptions, SyntheticTransaction } from './synthetic';
export { MAX_RECORDS_FILE_BYTES, readRecords } from './records';
export { amountFormHint, parseAmount } from './amounts';
