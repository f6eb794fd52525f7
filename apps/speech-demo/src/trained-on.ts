// The demo-kit's index loads TensorFlow.js: evaluate and train have it loaded already.
import { readRecordBeside, writeRecordBeside } from '@appliedml/demo-kit';

/**
 * Beside a bundle `train` saved: the data it was trained on, so `evaluate` can say it and score the model
 * on that data by default. The SDK's bundle does not record it: an FSDD model evaluated without the data
 * fell back to synthetic digits (90 %), a synthetic one on FSDD scored 26.8 %, neither with a word.
 */
export const TRAINED_ON_FILE = 'speech-demo.json';

/** The data sets `train` reads: FSDD or the synthetic mespeak digits. */
export type TrainingData = 'fsdd' | 'synthetic';

/** How the CLI names each. */
export const TRAINING_DATA_NAMES: Readonly<Record<TrainingData, string>> = {
  fsdd: 'FSDD (Free Spoken Digit Dataset, real speakers)',
  synthetic: 'SYNTHETIC digits (mespeak voices)',
};

/** Records beside the bundle in `dir` the data it was trained on, whole or not at all (write it after the save, which replaces `dir`). */
export async function writeTrainedOn(dir: string, data: TrainingData): Promise<void> {
  await writeRecordBeside(dir, TRAINED_ON_FILE, { data });
}

/**
 * What the bundle in `dir` was trained on: the data, `undefined` when unrecorded (no record, a bundle saved
 * otherwise) or `{ unreadable }` saying why the record was not read (a FIFO, a link, a device, larger than
 * 64 KiB, not a record `train` writes, a read error). The record is read as the engine reads a
 * manifest: a regular file only, no link followed, bounded (a FIFO there hung evaluate; a link to /dev/zero
 * read ~736 MB).
 */
export async function readTrainedOn(dir: string): Promise<TrainingData | { unreadable: string } | undefined> {
  const read = await readRecordBeside(dir, TRAINED_ON_FILE);
  if (read === undefined || 'unreadable' in read) return read;
  const { record } = read;
  const data = typeof record === 'object' && record !== null ? (record as { data?: unknown }).data : undefined;
  return data === 'fsdd' || data === 'synthetic' ? data : { unreadable: 'it is not a record train writes' };
}
