import { createReadStream } from 'node:fs';
import { Readable, Transform, pipeline } from 'node:stream';
import { parse, type Parser } from 'csv-parse';
import { AppliedMLError, describeValue } from '../errors';
import { checkKnownKeys } from '../option-checks';
import { parseBooleanCell, parseDateCell, parseNumberCell } from './csv-cells';
import { CsvLineCounter } from './csv-lines';
import { statRegularFile } from './file-kind';
import { missingColumns, otherDelimiterIn } from './missing-columns';
import { setOwn } from './own-property';

/**
 * Streaming, typed CSV readers on top of csv-parse.
 *
 * - `readCsv` yields one object per data row. Columns named in `columns` are converted (number,
 *   string, date, boolean); the others stay strings. A cell equal to one of `missing` becomes `null`
 *   (in every column, including string columns). A cell that does not parse → E_INPUT_INVALID with
 *   `details: { line, column, columnIndex, value }`; a row with the wrong number of fields →
 *   E_INPUT_INVALID with `details: { line, expected, actual }`. `line` is the 1-based physical line
 *   on which the record ends. Every column is an own property of the row, including one named
 *   `__proto__` (as `JSON.parse` keeps it; plain assignment would set the row's prototype instead).
 * - `readNumericMatrix` reads an all-numeric table into one Float64Array (row-major).
 * - Sources: a file path, the file's bytes (Uint8Array/Buffer), or a readable stream. A path that is
 *   missing or not a regular file (a folder, a FIFO, a device) → E_IO in `statRegularFile`'s words
 *   ("Cannot read CSV file <path>: it is a FIFO (named pipe), not a regular file.") before it is opened,
 *   so a FIFO never blocks the read; one that cannot be opened → E_IO. Messages and `details.source`
 *   name the input by the `source` option when given (the file name of bytes or a stream), else the
 *   path, 'CSV input' (bytes) or 'CSV stream'.
 * - Text is UTF-8 (a UTF-8 byte-order mark is skipped), or UTF-16 little-endian starting with its
 *   byte-order mark FF FE (as Excel's "Unicode Text" saves). UTF-16 big-endian (FE FF), and UTF-16 of
 *   either order without a mark (a 0 byte beside each of the first two characters), → E_INPUT_INVALID
 *   saying which it is and how to convert it (`details.encoding`, `details.byteOrderMark`), rather than
 *   columns full of NUL characters.
 */

export type CsvColumnType = 'number' | 'string' | 'date' | 'boolean';
export type CsvColumnTypes = Record<string, CsvColumnType>;
export type CsvValue = number | string | boolean | Date | null;

type TypeOf<T extends CsvColumnType> = T extends 'number' ? number : T extends 'date' ? Date : T extends 'boolean' ? boolean : string;

/** A typed row: declared columns have their type (or null when missing); the rest are strings (or null). */
export type CsvRow<C extends CsvColumnTypes = CsvColumnTypes> = { [K in keyof C]: TypeOf<C[K]> | null } & Record<string, CsvValue>;

export type CsvSource = string | Uint8Array | NodeJS.ReadableStream;

export const CSV_DEFAULT_MISSING: readonly string[] = ['', 'NA', 'NaN', 'null'];

export interface CsvReadOptions<C extends CsvColumnTypes = CsvColumnTypes> {
  /** Types for named columns (header names, or `names` when header is false). */
  columns?: C;
  /** First record holds column names (default true). */
  header?: boolean;
  /** Column names when `header` is false (default '0', '1', …). */
  names?: readonly string[];
  /** Field delimiter (default ','). */
  delimiter?: string;
  /** Quote character, or false to treat quotes as ordinary text (default '"'). */
  quote?: string | false;
  /** Cell texts that mean "no value" (default ['', 'NA', 'NaN', 'null']); matched after trimming. */
  missing?: readonly string[];
  /** Safety limit: more data rows than this → E_INPUT_TOO_LARGE (default: no limit). */
  maxRows?: number;
  /** Read only the first `limit` data rows, then stop (default: all). */
  limit?: number;
  /**
   * Records whose field count differs from the header's: 'error' (default, E_INPUT_INVALID with the
   * line) or 'pad' (missing trailing fields are null, extra ones dropped), for files whose rows carry
   * a varying tail (PeMS station files list one group of fields per lane).
   */
  raggedRows?: 'error' | 'pad';
  /** Longest record accepted, in characters (default 8 Mi); guards against a runaway quoted field. */
  maxRecordChars?: number;
  /**
   * Called once with the column names in the file's order, before the first row. A row object's keys
   * are not always in that order: JavaScript puts integer-like keys ('716331') first, ascending.
   */
  onHeader?: (columns: readonly string[]) => void;
  /**
   * What messages and `details.source` call the input (default: the path for a file, 'CSV input' for
   * bytes, 'CSV stream' for a stream): give the file name when you pass a file's bytes or a stream.
   */
  source?: string;
}

export interface NumericMatrix {
  /** Header names, or null for a headerless file. */
  columns: string[] | null;
  rows: number;
  cols: number;
  /** rows × cols values, row-major: value (r, c) is data[r * cols + c]. */
  data: Float64Array;
  /**
   * With `rowLines: true`: the 1-based physical line of the file each row ends on (the header, blank
   * lines and quoted line breaks counted, as `csvRowLine` gives for `readCsv`), for a caller's own
   * check of the values to point the user at the line to fix.
   */
  rowLines?: Uint32Array;
}

export interface NumericMatrixOptions {
  /**
   * true: first record is a header; false: no header; 'auto' (default): the first record is a
   * header when any of its cells is not a number. A header made only of numbers (e.g. sensor ids,
   * as in los_speed.csv) cannot be detected: pass `header: true` for those.
   */
  header?: boolean | 'auto';
  delimiter?: string;
  /** Missing cells (see `missing`) become NaN when true; otherwise they are an error (default false). */
  allowMissing?: boolean;
  missing?: readonly string[];
  /** Safety limit on data rows → E_INPUT_TOO_LARGE (default: no limit). */
  maxRows?: number;
  /** Safety limit on rows × cols → E_INPUT_TOO_LARGE (default 2^28 = 2 GiB of float64). */
  maxCells?: number;
  maxRecordChars?: number;
  /** Also return `rowLines`, the line each row ends on (default false: 4 bytes a row not kept). */
  rowLines?: boolean;
  /** What messages and `details.source` call the input (see `CsvReadOptions.source`). */
  source?: string;
}

/** The option names of readCsv / readCsvAll and readNumericMatrix: a misspelt one (`allowmissing`, `delimeter`) was ignored. */
const CSV_READ_KEYS = Object.keys({
  columns: 1,
  header: 1,
  names: 1,
  delimiter: 1,
  quote: 1,
  missing: 1,
  maxRows: 1,
  limit: 1,
  raggedRows: 1,
  maxRecordChars: 1,
  onHeader: 1,
  source: 1,
} satisfies Record<keyof CsvReadOptions, 1>);
const NUMERIC_MATRIX_KEYS = Object.keys({
  header: 1,
  delimiter: 1,
  allowMissing: 1,
  missing: 1,
  maxRows: 1,
  maxCells: 1,
  maxRecordChars: 1,
  rowLines: 1,
  source: 1,
} satisfies Record<keyof NumericMatrixOptions, 1>);

interface OpenedSource {
  stream: NodeJS.ReadableStream;
  label: string;
}

function* byteViews(bytes: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += 65_536) yield bytes.subarray(at, at + 65_536);
}

/** What messages call the input: `name` when given, else the path, 'CSV input' (bytes) or 'CSV stream'. */
function sourceLabel(source: CsvSource, name: string | undefined): string {
  if (name !== undefined) return name;
  if (typeof source === 'string') return source;
  return source instanceof Uint8Array ? 'CSV input' : 'CSV stream';
}

/** `source` (the name for messages): a non-empty string when given. */
function checkSourceName(name: unknown): void {
  if (name !== undefined && (typeof name !== 'string' || name.trim() === ''))
    throw new AppliedMLError('E_INPUT_INVALID', `source must be a non-empty string naming the input (got ${describeValue(name)}).`, {
      details: { field: 'source' },
    });
}

function openSource(source: CsvSource, name: string | undefined): OpenedSource {
  const label = sourceLabel(source, name);
  if (typeof source === 'string') return { stream: createReadStream(source), label };
  // Bytes in memory are read in 64 KiB views (no copy), so the parser and the line counter work on a
  // bounded window instead of the whole input at once.
  if (source instanceof Uint8Array) return { stream: Readable.from(byteViews(source)), label };
  if (source && typeof (source as NodeJS.ReadableStream).pipe === 'function') return { stream: source, label };
  throw new AppliedMLError('E_INPUT_INVALID', 'A CSV source must be a file path, a Uint8Array/Buffer or a readable stream.');
}

/** Bytes the reader looks at before passing any on: enough for a byte-order mark and two UTF-16 characters. */
const SNIFF_BYTES = 4;

/**
 * Why the input cannot be read as it is, when its first bytes show UTF-16 text the parser would take
 * for UTF-8 (a 0 byte beside every ASCII character): big-endian with its byte-order mark FE FF, or either
 * order without a mark. UTF-16 little-endian starting with FF FE is read (csv-parse decodes it).
 */
function utf16Refusal(start: Uint8Array, label: string): AppliedMLError | undefined {
  const [b0, b1, b2, b3] = start;
  let encoding: 'UTF-16BE' | 'UTF-16LE' | undefined;
  let marked = false;
  if (b0 === 0xfe && b1 === 0xff) {
    encoding = 'UTF-16BE';
    marked = true;
  } else if (start.length >= 4 && b0 === 0 && b2 === 0 && b1 !== 0 && b3 !== 0) encoding = 'UTF-16BE';
  else if (start.length >= 4 && b1 === 0 && b3 === 0 && b0 !== 0 && b2 !== 0) encoding = 'UTF-16LE';
  if (encoding === undefined) return undefined;
  const order = encoding === 'UTF-16BE' ? 'big-endian' : 'little-endian';
  const what = marked
    ? `is UTF-16 ${order} text (it starts with the byte-order mark FE FF)`
    : `looks like UTF-16 ${order} text without a byte-order mark (a 0 byte ${encoding === 'UTF-16BE' ? 'before' : 'after'} each of its first characters)`;
  return new AppliedMLError(
    'E_INPUT_INVALID',
    `${label}: the CSV ${what}; the CSV readers take UTF-8, or UTF-16 little-endian starting with the byte-order mark FF FE. ` +
      `Convert it to UTF-8 first, e.g. iconv -f ${encoding} -t UTF-8 in.csv > out.csv (or save it from the spreadsheet as "CSV UTF-8").`,
    { details: { source: label, encoding: encoding.toLowerCase(), byteOrderMark: marked } },
  );
}

interface RawRecord {
  info: { lines: number; bytes: number };
  record: string[];
}

/** Yields raw records with their line numbers, mapping parser and I/O failures to AppliedMLError. */
async function* rawRecords(
  source: CsvSource,
  options: { delimiter?: string; quote?: string | false; maxRecordChars?: number; source?: string },
): AsyncGenerator<RawRecord & { label: string; line: number }> {
  // Options are checked before the source is opened: a stream opened and then abandoned would report
  // its own error (a missing file) with no listener, and that ends the process.
  if (options.delimiter !== undefined && (typeof options.delimiter !== 'string' || options.delimiter.length === 0)) {
    throw new AppliedMLError('E_INPUT_INVALID', `CSV delimiter must be a non-empty string; got ${describeValue(options.delimiter)}.`);
  }
  const maxRecordChars = options.maxRecordChars ?? 8 * 1024 * 1024;
  if (!(Number.isInteger(maxRecordChars) && maxRecordChars >= 0)) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `maxRecordChars must be a non-negative integer (0: no limit); got ${String(maxRecordChars)}.`,
    );
  }
  let parser: Parser;
  try {
    parser = parse({
      delimiter: options.delimiter ?? ',',
      quote: options.quote === false ? null : (options.quote ?? '"'),
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
      max_record_size: maxRecordChars,
    });
  } catch (cause) {
    throw new AppliedMLError('E_INPUT_INVALID', `Invalid CSV options: ${(cause as Error).message}`, { cause });
  }
  // A path is looked at before it is opened, as every reader of the engine does: a FIFO blocked the read
  // for ever, and a folder or a missing file gave the system's words (EISDIR, ENOENT …).
  if (typeof source === 'string') await statRegularFile(source, 'CSV file');
  const { stream, label } = openSource(source, options.source);
  // A stream passed in that is already closed or read to its end would otherwise never end the read
  // (or read as an empty CSV).
  const s = stream as Partial<Readable>;
  if (s.destroyed === true || s.readableEnded === true) {
    throw new AppliedMLError('E_IO', `Cannot read ${label}: the stream was already closed or read to its end.`, {
      details: { source: label },
    });
  }
  // Chunks must be bytes or text: an object-mode stream of anything else is E_INPUT_INVALID (pipe()
  // threw an uncaught ERR_INVALID_ARG_TYPE that ended the process).
  const lines = new CsvLineCounter();
  // The first bytes are held back until they show whether the input is UTF-16 the parser cannot read.
  let held: Uint8Array[] | undefined = [];
  let heldLength = 0;
  const release = (push: (bytes: Uint8Array) => void): AppliedMLError | undefined => {
    const start = Buffer.concat(held ?? []);
    held = undefined;
    const refusal = utf16Refusal(start, label);
    if (refusal) return refusal;
    lines.scan(start);
    push(start);
    return undefined;
  };
  const bytesOnly = new Transform({
    writableObjectMode: true,
    transform(chunk: unknown, _encoding, done): void {
      if (typeof chunk === 'string' || chunk instanceof Uint8Array) {
        // Text goes on as UTF-8 bytes, the offsets the parser counts in.
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        if (held) {
          held.push(bytes);
          heldLength += bytes.length;
          done(heldLength < SNIFF_BYTES ? null : (release((b) => this.push(b)) ?? null));
          return;
        }
        lines.scan(bytes);
        done(null, bytes);
      } else
        done(
          new AppliedMLError('E_INPUT_INVALID', `${label} gave ${describeValue(chunk)}; a CSV stream must give bytes or text.`, {
            details: { source: label },
          }),
        );
    },
    flush(done): void {
      done(held ? (release((b) => this.push(b)) ?? null) : null);
    },
  });
  // pipeline, unlike pipe, ends the read when the source closes without its end (a request destroyed by
  // a timeout): that is E_IO, not the rows so far, so a cut-off upload is never taken for the whole file.
  pipeline(stream, bytesOnly, parser, () => undefined);
  try {
    for await (const item of parser as AsyncIterable<RawRecord>) yield { ...item, label, line: lines.lineOf(item.info.bytes) };
  } catch (error) {
    if (AppliedMLError.isInstance(error)) throw error;
    const err = error as { code?: unknown; lines?: unknown; bytes?: unknown; message?: string };
    if (typeof err.code === 'string' && /^(CSV_|INVALID_)/.test(err.code)) {
      // The line of the byte the parser stopped at, counted as the rows' lines are (csv-parse's own count
      // takes a quoted CRLF for two lines).
      const line = typeof err.bytes === 'number' ? lines.lineAt(err.bytes) : typeof err.lines === 'number' ? err.lines : undefined;
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `${label}: malformed CSV${line ? ` at line ${line}` : ''}: ${(err.message ?? err.code).replace(/ at line \d+/g, '')}`,
        {
          cause: error,
          details: { line, csvCode: err.code, source: label },
        },
      );
    }
    const why = err.code === 'ERR_STREAM_PREMATURE_CLOSE' ? 'the stream was closed before its end' : (err.message ?? String(error));
    throw new AppliedMLError('E_IO', `Cannot read ${label}: ${why}`, { cause: error, details: { source: label } });
  } finally {
    parser.destroy();
    bytesOnly.destroy();
    // Like Node's own stream iterators, finishing or breaking out closes the source (a stream you pass in, too).
    (stream as Readable).destroy?.();
  }
}

function checkLimit(name: string, value: number | undefined): number {
  if (value === undefined) return Infinity;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new AppliedMLError('E_INPUT_INVALID', `${name} must be a non-negative number; got ${String(value)}.`);
  }
  return value;
}

/**
 * A list of strings (`missing`, `names`) or undefined: a string 'NA' became the characters {N, A}, and
 * a number was a TypeError.
 */
function checkStrings(name: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new AppliedMLError('E_INPUT_INVALID', `${name} must be a list of strings (got ${describeValue(value)}).`, {
      details: { field: name },
    });
  return value as string[];
}

function cellPreview(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * Streams typed rows from a CSV file, buffer or stream. Break out of the loop at any time; the
 * source is closed. See the module notes for types, missing values and errors.
 */
export async function* readCsv<C extends CsvColumnTypes = CsvColumnTypes>(
  source: CsvSource,
  options: CsvReadOptions<C> = {},
): AsyncGenerator<CsvRow<C>, void, undefined> {
  checkKnownKeys('readCsv options', options, CSV_READ_KEYS);
  const header = options.header ?? true;
  const types: CsvColumnTypes = options.columns ?? {};
  if (options.raggedRows !== undefined && options.raggedRows !== 'error' && options.raggedRows !== 'pad')
    throw new AppliedMLError('E_INPUT_INVALID', `raggedRows must be 'error' or 'pad' (got ${String(options.raggedRows)}).`, {
      details: { field: 'raggedRows' },
    });
  const missing = new Set(checkStrings('missing', options.missing) ?? CSV_DEFAULT_MISSING);
  const maxRows = checkLimit('maxRows', options.maxRows);
  const limit = checkLimit('limit', options.limit);
  checkStrings('names', options.names);
  checkSourceName(options.source);
  if (options.onHeader !== undefined && typeof options.onHeader !== 'function')
    throw new AppliedMLError('E_INPUT_INVALID', `onHeader must be a function (got ${describeValue(options.onHeader)}).`, {
      details: { field: 'onHeader' },
    });
  for (const [name, type] of Object.entries(types)) {
    if (!['number', 'string', 'date', 'boolean'].includes(type)) {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `Column '${name}' has unknown type '${String(type)}'; use number, string, date or boolean.`,
        {
          details: { column: name },
        },
      );
    }
  }
  if (limit === 0) return;

  let names: string[] | undefined = header ? undefined : options.names ? [...options.names] : undefined;
  let converters: ((text: string) => CsvValue | undefined)[] = [];
  let rows = 0;

  const setNames = (found: string[], line: number, label: string): void => {
    const seen = new Set<string>();
    for (const n of found) {
      if (seen.has(n)) {
        throw new AppliedMLError('E_INPUT_INVALID', `${label}: column name '${n}' appears twice in the header (line ${line}).`, {
          details: { line, column: n },
        });
      }
      seen.add(n);
    }
    const unknown = missingColumns(found, Object.keys(types))?.missing ?? [];
    if (unknown.length > 0) {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `${label}: typed column(s) ${unknown.map((k) => `'${k}'`).join(', ')} not found; the columns are: ${found.slice(0, 50).join(', ')}.`,
        { details: { missingColumns: unknown, columns: found.slice(0, 200) } },
      );
    }
    names = found;
    options.onHeader?.([...found]);
    converters = found.map((n) => {
      switch (types[n]) {
        case 'number':
          return parseNumberCell;
        case 'boolean':
          return parseBooleanCell;
        case 'date':
          return parseDateCell;
        default:
          return (text: string) => text;
      }
    });
  };

  for await (const { line, record, label } of rawRecords(source, options)) {
    if (!names || converters.length === 0) {
      if (header) {
        setNames(
          record.map((n) => n.trim()),
          line,
          label,
        );
        continue;
      }
      setNames(names ?? record.map((_, i) => String(i)), line, label);
    }
    const cols = names as string[];
    if (record.length !== cols.length && options.raggedRows !== 'pad') {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `${label}: line ${line} has ${record.length} fields but the ${header ? 'header has' : 'table has'} ${cols.length}.`,
        { details: { line, expected: cols.length, actual: record.length } },
      );
    }
    if (rows >= maxRows) {
      throw new AppliedMLError('E_INPUT_TOO_LARGE', `${label}: more than ${maxRows} data rows (maxRows); refusing to read further.`, {
        details: { line, maxRows },
      });
    }
    const row: Record<string, CsvValue> = {};
    for (let c = 0; c < cols.length; c++) {
      const name = cols[c] as string;
      const text = record[c] ?? '';
      if (missing.has(text.trim())) {
        setOwn(row, name, null);
        continue;
      }
      const value = (converters[c] as (t: string) => CsvValue | undefined)(text);
      if (value === undefined) {
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `${label}: line ${line}, column '${name}': '${cellPreview(text)}' is not a valid ${types[name]}.`,
          { details: { line, column: name, columnIndex: c, value: cellPreview(text), expected: types[name] } },
        );
      }
      setOwn(row, name, value);
    }
    rows++;
    rowLines.set(row, line);
    yield row as CsvRow<C>;
    if (rows >= limit) return;
  }
  if (!names && header) {
    const named = typeof source === 'string' || options.source !== undefined;
    const label = sourceLabel(source, options.source);
    throw new AppliedMLError('E_INPUT_INVALID', `${named ? `${label}: the CSV` : 'The CSV'} is empty: no header row was found.`, {
      details: named ? { source: label } : {},
    });
  }
}

/** The physical line each row `readCsv` yielded ends on (blank lines and quoted line breaks counted). */
const rowLines = new WeakMap<object, number>();

/**
 * The 1-based physical line of the file a row from `readCsv` / `readCsvAll` ends on (blank lines and
 * line breaks inside quoted fields counted), for messages that point a user at it; undefined for any
 * other object.
 */
export function csvRowLine(row: object): number | undefined {
  return rowLines.get(row);
}

/** Reads every row into an array (see `readCsv`). */
export async function readCsvAll<C extends CsvColumnTypes = CsvColumnTypes>(
  source: CsvSource,
  options: CsvReadOptions<C> = {},
): Promise<CsvRow<C>[]> {
  checkKnownKeys('readCsvAll options', options, CSV_READ_KEYS);
  const out: CsvRow<C>[] = [];
  for await (const row of readCsv(source, options)) out.push(row);
  return out;
}

/**
 * For a row read as one field that holds another usual delimiter (a ';'-separated export, as spreadsheets
 * in many locales write, or tabs): the hint to pass it; otherwise ''.
 */
function otherDelimiterHint(text: string, given: string | undefined): string {
  const found = otherDelimiterIn(text, given);
  if (found === undefined) return '';
  const shown = found === '\t' ? "'\\t'" : `'${found}'`;
  return ` The rows are one field holding ${shown}: if the file is separated by ${shown}, pass delimiter: ${shown}.`;
}

/**
 * Reads an all-numeric CSV (a time × sensors matrix, an adjacency matrix …) into a row-major
 * Float64Array. Non-numeric cells, missing cells (unless `allowMissing`), ragged rows and empty
 * input → E_INPUT_INVALID with the line (and column).
 */
export async function readNumericMatrix(source: CsvSource, options: NumericMatrixOptions = {}): Promise<NumericMatrix> {
  checkKnownKeys('readNumericMatrix options', options, NUMERIC_MATRIX_KEYS);
  const headerMode = options.header ?? 'auto';
  const missing = new Set(checkStrings('missing', options.missing) ?? CSV_DEFAULT_MISSING);
  const maxRows = checkLimit('maxRows', options.maxRows);
  const maxCells = checkLimit('maxCells', options.maxCells ?? 2 ** 28);
  let columns: string[] | null = null;
  let cols = -1;
  let rows = 0;
  if (options.rowLines !== undefined && typeof options.rowLines !== 'boolean')
    throw new AppliedMLError('E_INPUT_INVALID', `rowLines must be true or false (got ${describeValue(options.rowLines)}).`, {
      details: { field: 'rowLines' },
    });
  let data = new Float64Array(1024);
  let lines = options.rowLines ? new Uint32Array(256) : undefined;
  checkSourceName(options.source);
  let label = sourceLabel(source, options.source);
  let first = true;

  for await (const item of rawRecords(source, options)) {
    const { line, record } = item;
    label = item.label;
    if (first) {
      first = false;
      const isHeader = headerMode === 'auto' ? record.some((t) => parseNumberCell(t) === undefined && !missing.has(t.trim())) : headerMode;
      cols = record.length;
      if (isHeader) {
        columns = record.map((t) => t.trim());
        continue;
      }
    }
    if (record.length !== cols) {
      throw new AppliedMLError('E_INPUT_INVALID', `${label}: line ${line} has ${record.length} fields but the first row has ${cols}.`, {
        details: { line, expected: cols, actual: record.length },
      });
    }
    if (rows >= maxRows || (rows + 1) * cols > maxCells) {
      throw new AppliedMLError(
        'E_INPUT_TOO_LARGE',
        `${label}: the matrix exceeds ${rows >= maxRows ? `${maxRows} rows` : `${maxCells} cells`}.`,
        {
          details: { line, maxRows, maxCells },
        },
      );
    }
    const need = (rows + 1) * cols;
    if (need > data.length) {
      const grown = new Float64Array(Math.min(Math.max(need, data.length * 2), Math.max(need, maxCells)));
      grown.set(data);
      data = grown;
    }
    const base = rows * cols;
    for (let c = 0; c < cols; c++) {
      const text = record[c] as string;
      let value = parseNumberCell(text);
      if (value === undefined) {
        const isMissing = missing.has(text.trim());
        if (isMissing && options.allowMissing) value = NaN;
        else {
          const column = columns ? (columns[c] ?? String(c)) : String(c);
          throw new AppliedMLError(
            'E_INPUT_INVALID',
            isMissing
              ? `${label}: line ${line}, column '${column}' is missing ('${cellPreview(text)}'); pass allowMissing: true to read it as NaN.`
              : `${label}: line ${line}, column '${column}': '${cellPreview(text)}' is not a number.${cols === 1 ? otherDelimiterHint(text, options.delimiter) : ''}`,
            { details: { line, column, columnIndex: c, value: cellPreview(text) } },
          );
        }
      }
      data[base + c] = value;
    }
    if (lines) {
      if (rows === lines.length) {
        const grown = new Uint32Array(lines.length * 2);
        grown.set(lines);
        lines = grown;
      }
      lines[rows] = line;
    }
    rows++;
  }
  if (first) throw new AppliedMLError('E_INPUT_INVALID', `${label}: the CSV is empty.`, { details: { source: label } });
  if (rows === 0)
    throw new AppliedMLError('E_INPUT_INVALID', `${label}: the CSV has a header but no data rows.`, { details: { source: label } });
  return { columns, rows, cols, data: data.slice(0, rows * cols), ...(lines ? { rowLines: lines.slice(0, rows) } : {}) };
}
