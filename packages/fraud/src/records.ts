import { readFile } from 'node:fs/promises';
import { AppliedMLError, checkIntegerOption, checkKnownKeys, describeValue, readCsvAll, statRegularFile } from '@appliedml/engine';
import type { TabularRecord } from './tabular';

/** Largest records file read in one go (default 512 MiB). */
export const MAX_RECORDS_FILE_BYTES = 512 * 1024 ** 2;

/**
 * Reads records from a `.csv` (header row; cells stay strings, numbers are inferred later by the
 * preprocessing) or `.jsonl` (one JSON object per line) file. Empty lines are skipped.
 */
export async function readRecords(path: string, options: { maxBytes?: number } = {}): Promise<TabularRecord[]> {
  if (typeof path !== 'string' || path.trim() === '')
    throw new AppliedMLError('E_INPUT_INVALID', `readRecords needs a file path (a non-empty string); got ${describeValue(path)}.`);
  checkKnownKeys('readRecords options', options, ['maxBytes']);
  checkIntegerOption('maxBytes', options.maxBytes, 1, Number.MAX_SAFE_INTEGER);
  const max = options.maxBytes ?? MAX_RECORDS_FILE_BYTES;
  // A FIFO or a device reports size 0 and may never end; a directory is no records file.
  const { size } = await statRegularFile(path, 'records file', { detailsKey: 'file' });
  if (size > max)
    throw new AppliedMLError('E_INPUT_TOO_LARGE', `${path} is ${size} bytes; the limit is ${max}. Split it or raise maxBytes.`, {
      details: { file: path },
    });
  let rows: TabularRecord[];
  const lower = path.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) {
    // A byte-order mark (some editors and Windows tools write one) is no part of the first line's JSON.
    const text = (
      await readFile(path, 'utf8').catch((cause: unknown) => {
        throw new AppliedMLError('E_IO', `Cannot read ${path}: ${(cause as Error).message}`, { cause, details: { file: path } });
      })
    ).replace(/^\uFEFF/, '');
    rows = [];
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch (cause) {
        throw new AppliedMLError('E_INPUT_INVALID', `${path}: line ${i + 1} is not JSON.`, { cause, details: { file: path, line: i + 1 } });
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        throw new AppliedMLError('E_INPUT_INVALID', `${path}: line ${i + 1} is not a JSON object.`, {
          details: { file: path, line: i + 1 },
        });
      }
      rows.push(v as TabularRecord);
    });
  } else if (lower.endsWith('.csv')) {
    rows = (await readCsvAll(path)) as TabularRecord[];
  } else {
    throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `${path}: records are read from .csv or .jsonl files.`, { details: { file: path } });
  }
  if (rows.length === 0) throw new AppliedMLError('E_INPUT_INVALID', `${path} holds no records.`, { details: { file: path } });
  return rows;
}
