// The names the CLI's usage lists and its flags are checked against, in a module that imports nothing:
// `--help` and a refused flag answer without the SDK (TensorFlow.js) or the datasets' readers.
import type { ModelType } from '@appliedml/text';

/** The datasets the demo reads (data.ts). */
export const DATASETS = ['spam-assassin', 'sms-spam', 'trec'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** The SDK's MODEL_TYPES, in its order (its index loads TensorFlow.js); names.test.ts holds the two equal. */
export const MODEL_TYPES: readonly ModelType[] = ['linear', 'naive-bayes', 'fasttext', 'cnn'];
