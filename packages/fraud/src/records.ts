import { readFile } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import {
  AppliedMLError,
  checkIntegerOption,
  checkKnownKeys,
  csvRowLine,
  describeValue,
  readCsvAll,
  statRegularFile,
  type CsvValue,
} from '@appliedml/engine';
import type { TabularRecord } from './tabular';

/** Largest records file read in one go (default 512 MiB). */
export const MAX_RECORDS_FILE_BYTES = 512 * 1024 ** 2;

/**
 * Reads records from a `.csv` (header row; cells stay strings, numbers are inferred later by the
 * preprocessing) or `.jsonl` (one JSON object per line) file. Empty lines are skipped. The file must be
 * UTF-8 (a BOM is allowed): other bytes are refused naming the line and byte offset, never read as U+FFFD.
 * Lines end with LF, CRLF, or CR (a JSONL file with no LF at all: classic Mac line endings, as CSV reads them).
 * A CSV's header names every column, except that unnamed columns at its end whose cells are all empty
 * (a comma at the end of every line, as spreadsheets export) are dropped, and so is an unnamed first column
 * holding the row numbers 0, 1, 2, … (the index pandas' `to_csv()` writes); any other unnamed column is refused.
 * UTF-16 little-endian starting with its byte-order mark FF FE (Excel's "Unicode Text") is read too; other
 * UTF-16 is refused saying how to convert it.
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
  const jsonl = lower.endsWith('.jsonl') || lower.endsWith('.ndjson');
  if (!jsonl && !lower.endsWith('.csv'))
    throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `${path}: records are read from .csv or .jsonl files.`, { details: { file: path } });
  const bytes = await readFile(path).catch((cause: unknown) => {
    throw new AppliedMLError('E_IO', `Cannot read ${path}: ${(cause as Error).message}`, { cause, details: { file: path } });
  });
  const utf16 = utf16Start(bytes);
  // UTF-16 CSV goes to the engine's reader, which reads little-endian after its mark FF FE (Excel's
  // "Unicode Text") and refuses the rest saying what it is and how to convert it.
  if (!utf16) checkUtf8(bytes, path);
  if (jsonl) {
    // A byte-order mark (some editors and Windows tools write one) is no part of the first line's JSON.
    const text = (utf16 ? decodeUtf16(bytes, utf16, path) : bytes.toString('utf8')).replace(/^\uFEFF/, '');
    rows = [];
    // LF (a CR before it is JSON whitespace); a file with no LF at all splits at CR, as CSV reads one.
    const lines = text.includes('\n') ? text.split('\n') : text.split('\r');
    lines.forEach((line, i) => {
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
  } else rows = await readCsvRecords(path);
  if (rows.length === 0) throw new AppliedMLError('E_INPUT_INVALID', `${path} holds no records.`, { details: { file: path } });
  return rows;
}

/**
 * A CSV's records: every column named, or unnamed columns at the end with no value in any row, or an
 * unnamed first column of row numbers 0..n-1 (a pandas index) (dropped).
 */
async function readCsvRecords(path: string): Promise<TabularRecord[]> {
  let columns: readonly string[] = [];
  try {
    const rows = await readCsvAll(path, { onHeader: (found) => (columns = found) });
    if (!columns.includes('')) return rows as TabularRecord[];
  } catch (error) {
    // Two or more unnamed columns: the reader refuses the name '' as one that appears twice.
    if (!(AppliedMLError.isInstance(error) && error.details.column === '' && error.details.expected === undefined)) throw error;
  }
  // The header's names as written (the reader trims them, as here); the file read again with the unnamed
  // columns given names of their own, to see whether they hold anything.
  const [head] = await readCsvAll(path, { header: false, limit: 1, missing: [] });
  const header = Array.from({ length: Object.keys(head ?? {}).length }, (_, i) => String(head?.[String(i)] ?? '').trim());
  // An unnamed first column before a named one is the index pandas' to_csv() writes by default: dropped
  // when it holds the row numbers 0, 1, 2, … (checked below), refused otherwise.
  const index = header[0] === '' && header.length > 1 && header[1] !== '';
  const found = header.indexOf('', index ? 1 : 0);
  const first = found === -1 ? header.length : found;
  const trailing = first > 0 && header.slice(first).every((name) => name === '');
  if (!trailing) throw unnamedColumn(path, header, first, 'name it, or remove the column');
  const names = header.map((name, i) => (i === 0 && index ? '\u0000index' : i < first ? name : `\u0000unnamed ${i}`));
  const rows = (await readCsvAll(path, { header: false, names })).slice(1) as Array<Record<string, CsvValue>>;
  for (const [k, row] of rows.entries()) {
    if (index) {
      const cell = row['\u0000index'];
      if (cell !== String(k))
        throw unnamedColumn(
          path,
          header,
          0,
          `line ${csvRowLine(row) ?? '?'} has ${cell === null ? 'no value' : `'${String(cell)}'`} there, not the row number ${k}. ` +
            'An unnamed first column is dropped only when it holds the row numbers 0, 1, 2, … (the index pandas writes: to_csv(index=False) leaves it out); name it, or remove the column',
          csvRowLine(row),
        );
      delete row['\u0000index'];
    }
    for (let c = first; c < names.length; c++) {
      const name = names[c] as string;
      if (row[name] !== null)
        throw unnamedColumn(
          path,
          header,
          c,
          `line ${csvRowLine(row) ?? '?'} has a value there. Name the column, or remove its values (an unnamed column is dropped only when every cell in it is empty)`,
          csvRowLine(row),
        );
      delete row[name];
    }
  }
  return rows as TabularRecord[];
}

function unnamedColumn(path: string, header: readonly string[], i: number, fix: string, line?: number): AppliedMLError {
  // Counted from the last named column before it (the one just before may be unnamed too).
  let named = i - 1;
  while (named >= 0 && header[named] === '') named--;
  // (Only the first column has no named one before it: an unnamed column is refused where it first appears.)
  const place =
    named < 0
      ? 'the first column'
      : i - named === 1
        ? `the column after '${header[named]}'`
        : `the ${ordinal(i - named)} column after '${header[named]}'`;
  return new AppliedMLError('E_INPUT_INVALID', `${path}: the header's column ${i + 1} (${place}) has no name: ${fix}.`, {
    details: { file: path, column: i + 1, reason: 'column-unnamed', ...(line !== undefined ? { line } : {}) },
  });
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** UTF-16 as the engine's CSV reader tells it from the first 4 bytes: a byte-order mark, or a 0 byte beside each of two characters. */
interface Utf16Start {
  encoding: 'UTF-16LE' | 'UTF-16BE';
  byteOrderMark: boolean;
}

function utf16Start(b: Uint8Array): Utf16Start | undefined {
  const [b0, b1, b2, b3] = b;
  if (b0 === 0xff && b1 === 0xfe) return b2 === 0 && b3 === 0 ? undefined : { encoding: 'UTF-16LE', byteOrderMark: true };
  if (b0 === 0xfe && b1 === 0xff) return { encoding: 'UTF-16BE', byteOrderMark: true };
  if (b.length < 4) return undefined;
  if (b0 === 0 && b2 === 0 && b1 !== 0 && b3 !== 0) return { encoding: 'UTF-16BE', byteOrderMark: false };
  if (b1 === 0 && b3 === 0 && b0 !== 0 && b2 !== 0) return { encoding: 'UTF-16LE', byteOrderMark: false };
  return undefined;
}

/**
 * A JSONL file in UTF-16: little-endian after its mark FF FE decoded strictly (an odd byte count or a lone
 * surrogate refused), as the text loaders and the engine's CSV reader take it; any other UTF-16 refused in
 * the engine reader's words.
 */
function decodeUtf16(bytes: Uint8Array, kind: Utf16Start, path: string): string {
  const details = { file: path, encoding: kind.encoding.toLowerCase(), byteOrderMark: kind.byteOrderMark };
  if (kind.encoding === 'UTF-16LE' && kind.byteOrderMark) {
    try {
      return new TextDecoder('utf-16le', { fatal: true }).decode(bytes);
    } catch (cause) {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `${path} starts with the UTF-16 little-endian byte-order mark FF FE but is not valid UTF-16 (an odd number of bytes, or a lone surrogate).`,
        { cause, details },
      );
    }
  }
  const order = kind.encoding === 'UTF-16BE' ? 'big-endian' : 'little-endian';
  const what = kind.byteOrderMark
    ? `is UTF-16 ${order} text (it starts with the byte-order mark FE FF)`
    : `looks like UTF-16 ${order} text without a byte-order mark (a 0 byte ${kind.encoding === 'UTF-16BE' ? 'before' : 'after'} each of its first characters)`;
  throw new AppliedMLError(
    'E_INPUT_INVALID',
    `${path} ${what}; records are read as UTF-8, or as UTF-16 little-endian starting with the byte-order mark FF FE. ` +
      `Convert it to UTF-8 first, e.g. iconv -f ${kind.encoding} -t UTF-8 in.jsonl > out.jsonl.`,
    { details },
  );
}

/**
 * E_INPUT_INVALID when `bytes` are not UTF-8, naming the first bad byte's offset and line: decoded, such
 * bytes became U+FFFD without a word (two merchants 'Caf\xe9' and 'Caf\xe8' in Windows-1252 one category).
 */
function checkUtf8(bytes: Uint8Array, path: string): void {
  if (isUtf8(bytes)) return;
  const offset = firstInvalidUtf8(bytes);
  let line = 1;
  const lf = bytes.includes(0x0a);
  for (let i = 0; i < offset; i++) if (bytes[i] === (lf ? 0x0a : 0x0d)) line++;
  // UTF-16 never comes here (utf16Start); FF FE 00 00 is UTF-32 little-endian's mark.
  const utf32 = bytes[0] === 0xff && bytes[1] === 0xfe && bytes[2] === 0 && bytes[3] === 0;
  throw new AppliedMLError(
    'E_INPUT_INVALID',
    `${path} is not UTF-8: byte ${offset} (line ${line}) ${utf32 ? 'starts a UTF-32 byte-order mark (FF FE 00 00)' : `is 0x${(bytes[offset] as number).toString(16).padStart(2, '0')}, no part of a UTF-8 character`}. Save the file as UTF-8 (Excel: "CSV UTF-8"); a Windows-1252 or Latin-1 file must be converted first.`,
    { details: { file: path, offset, line, reason: 'not-utf8' } },
  );
}

/** The offset of the first byte that does not begin a well-formed UTF-8 sequence (Unicode table 3-7); -1 when all do. */
function firstInvalidUtf8(b: Uint8Array): number {
  const cont = (i: number, lo = 0x80, hi = 0xbf): boolean => i < b.length && (b[i] as number) >= lo && (b[i] as number) <= hi;
  let i = 0;
  while (i < b.length) {
    const x = b[i] as number;
    let n = 0;
    if (x < 0x80) n = 1;
    else if (x >= 0xc2 && x <= 0xdf) n = cont(i + 1) ? 2 : 0;
    else if (x >= 0xe0 && x <= 0xef) {
      const lo = x === 0xe0 ? 0xa0 : 0x80;
      const hi = x === 0xed ? 0x9f : 0xbf;
      n = cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
    } else if (x >= 0xf0 && x <= 0xf4) {
      const lo = x === 0xf0 ? 0x90 : 0x80;
      const hi = x === 0xf4 ? 0x8f : 0xbf;
      n = cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    }
    if (n === 0) return i;
    i += n;
  }
  return -1;
}
