// 5-fold cross-validation on the TREC training file only (the test set untouched): how much the question,
// head-word and WordNet features help away from the test questions they were tuned on.
import { join } from 'node:path';
import { AppliedMLError, dataDirFromEnv, kFold } from '@appliedml/engine';
import { TextClassifier, readTrec, type FeatureConfig } from '../src/index';

async function main(): Promise<void> {
  const dataDir = dataDirFromEnv();
  const file = process.argv[2] ?? (dataDir ? join(dataDir, 'trec', 'train_5500.label') : undefined);
  if (!file)
    throw new AppliedMLError('E_DATASET_MISSING', 'Set APPLIEDML_DATA_DIR to the folder holding trec/train_5500.label, or pass the file.');
  const data = await readTrec(file);
  const folds = kFold(data.length, { k: 5, seed: 3, stratify: data.map((r) => r.label as string) });
  const configs: Record<string, FeatureConfig> = {
    'words + char n-grams': {},
    'words + question features': { questionFeatures: true, charNgrams: false },
    'words + question + WordNet': { questionFeatures: true, wordnet: true, charNgrams: false },
  };
  for (const [name, features] of Object.entries(configs)) {
    let correct = 0;
    for (const fold of folds) {
      const model = TextClassifier.create({ features });
      await model.train(fold.train.map((i) => data[i]!));
      correct += (await model.evaluate(fold.test.map((i) => data[i]!))).accuracy * fold.test.length;
    }
    process.stdout.write(`${name}: ${((correct / data.length) * 100).toFixed(2)} % (5-fold CV on train)\n`);
  }
}
void main();
