// `npm run bench -w @appliedml/text`: our four models and scikit-learn's TF-IDF + LinearSVC / MultinomialNB
// on the same splits, in one run. Needs APPLIEDML_DATA_DIR (SMS Spam, TREC) and /usr/bin/python3 with
// python3-sklearn for the peer rows. Writes a Markdown table to stdout (pasted into docs/benchmarks/text.md).
// Optional first argument: the models to run, comma-separated (default linear,naive-bayes,fasttext,cnn).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { engineInfo, initEngine, resolveDataset, trainTestSplit } from '@appliedml/engine';
import {
  SMS_SPAM_DATASET,
  TREC_DATASET,
  TextClassifier,
  readSmsSpam,
  readTrec,
  type ModelType,
  type TextClassifierConfig,
  type TextExample,
} from '../src/index';

interface Split {
  name: string;
  train: TextExample[];
  test: TextExample[];
  positive?: string;
}
interface Row {
  dataset: string;
  model: string;
  accuracy: number;
  recall?: number;
  trainSeconds: number;
  predictPerSecond: number;
}

function config(dataset: string, model: ModelType): TextClassifierConfig {
  if (model === 'fasttext' || model === 'cnn') return { model };
  return dataset === 'trec'
    ? { model, features: { questionFeatures: true, wordnet: true, charNgrams: false } }
    : { model, features: { shapeFeatures: true } };
}

async function measure(split: Split, model: ModelType): Promise<Row> {
  const classifier = TextClassifier.create(config(split.name, model));
  const t0 = performance.now();
  await classifier.train(split.train, { progress: 'auto' });
  const trainSeconds = (performance.now() - t0) / 1000;
  const m = await classifier.evaluate(split.test, split.positive ? { positiveLabel: split.positive } : {});
  const texts = split.test.map((r) => r.text);
  await classifier.predictBatch(texts); // warm-up
  // Median of 5 rounds of at least 5,000 texts each (the scikit-learn peer measures the same way).
  const reps = Math.max(1, Math.ceil(5000 / texts.length));
  const rounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    const t1 = performance.now();
    for (let i = 0; i < reps; i++) await classifier.predictBatch(texts);
    rounds.push((performance.now() - t1) / 1000 / reps);
  }
  const predictPerSecond = texts.length / (rounds.sort((a, b) => a - b)[2] as number);
  classifier.dispose();
  const row: Row = { dataset: split.name, model: `appliedml ${model}`, accuracy: m.accuracy, trainSeconds, predictPerSecond };
  if (m.binary) row.recall = m.binary.recall;
  process.stderr.write(`${JSON.stringify(row)}\n`);
  return row;
}

async function main(): Promise<void> {
  await initEngine({});
  const models = (process.argv[2]?.split(',') ?? ['linear', 'naive-bayes', 'fasttext', 'cnn']) as ModelType[];
  const sms = await resolveDataset(SMS_SPAM_DATASET);
  const smsRows = await readSmsSpam(sms.files['SMSSpamCollection.tsv'] as string);
  const cut = trainTestSplit(smsRows.length, { testFraction: 0.2, seed: 2026, stratify: smsRows.map((r) => r.label as string) });
  const trec = await resolveDataset(TREC_DATASET);
  const splits: Split[] = [
    { name: 'sms-spam', train: cut.train.map((i) => smsRows[i]!), test: cut.test.map((i) => smsRows[i]!), positive: 'spam' },
    {
      name: 'trec',
      train: await readTrec(trec.files['train_5500.label'] as string),
      test: await readTrec(trec.files['TREC_10.label'] as string),
    },
  ];
  const rows: Row[] = [];
  for (const split of splits) for (const model of models) rows.push(await measure(split, model));

  const dir = mkdtempSync(join(tmpdir(), 'text-bench-'));
  const file = join(dir, 'splits.json');
  writeFileSync(
    file,
    JSON.stringify({
      datasets: splits.map((s) => ({
        name: s.name,
        positive: s.positive ?? null,
        train: s.train.map((r) => [r.text, r.label]),
        test: s.test.map((r) => [r.text, r.label]),
      })),
    }),
  );
  const peer = spawnSync('/usr/bin/python3', [resolve(__dirname, '../../../tools/text-bench-sklearn.py'), file], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  if (peer.status === 0)
    rows.push(
      ...peer.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Row),
    );
  else process.stderr.write(`scikit-learn peer skipped: ${peer.stderr || peer.error?.message}\n`);

  const info = engineInfo();
  process.stdout.write(`\nDevice: ${info?.device} (${info?.backend}); node ${process.versions.node}; ${new Date().toISOString()}\n\n`);
  process.stdout.write('| dataset | model | accuracy | spam recall | train (s) | predict (texts/s) |\n|---|---|---:|---:|---:|---:|\n');
  for (const r of rows.sort((a, b) => a.dataset.localeCompare(b.dataset))) {
    process.stdout.write(
      `| ${r.dataset} | ${r.model} | ${(r.accuracy * 100).toFixed(2)} % | ${r.recall === undefined ? '–' : `${(r.recall * 100).toFixed(2)} %`} | ${r.trainSeconds.toFixed(2)} | ${Math.round(r.predictPerSecond).toLocaleString('en')} |\n`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e instanceof Error ? e.stack : e)}\n`);
  process.exitCode = 1;
});
