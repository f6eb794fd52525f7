import { readFile } from 'node:fs/promises';
import {
  AppliedMLError,
  checkIntegerOption,
  checkKnownKeys,
  csvRowLine,
  describeValue,
  missingColumns,
  readCsv,
  statRegularFile,
} from '@appliedml/engine';
import { checkLabelCharacters, normalizeLabel } from './labels';
import { TEXT_ENCODINGS, checkChoice, checkFlag, checkText, decodeText, decodeTextWith, type TextEncoding } from './text-input';

/** One labelled text. `label` is one class, or several for multi-label data. */
export interface TextExample {
  text: string;
  label: string | string[];
}

export interface LoaderOptions {
  /** Biggest file accepted, in bytes (default 256 MiB) → E_INPUT_TOO_LARGE. A positive integer. */
  maxBytes?: number;
  /** Longest text accepted per row (default 1 MiB of characters). A positive integer. */
  maxTextChars?: number;
}

const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/** Each loader's option names, so a misspelt one (`textfield`) is refused rather than ignored. */
const LOADER_KEYS = Object.keys({ maxBytes: 1, maxTextChars: 1 } satisfies Record<keyof LoaderOptions, 1>);
const FIELD_KEYS = Object.keys({ maxBytes: 1, maxTextChars: 1, textField: 1, labelField: 1, encoding: 1 } satisfies Record<
  keyof FieldOptions,
  1
>);

/** A CSV / JSONL file's text in `options.encoding` (default UTF-8); a UTF-8 refusal names that option. */
function decodeFile(bytes: Uint8Array, options: FieldOptions, file: string, loader: string): string {
  checkChoice(`${loader} encoding`, options.encoding, TEXT_ENCODINGS);
  return decodeTextWith(bytes, options.encoding ?? 'utf-8', file, `pass ${loader}(file, { encoding: 'windows-1252' }), or 'latin1'`);
}

/**
 * The CSV header's refusal: which of the text and label columns are missing, the columns it has, and a
 * near miss (the engine's missingColumns: a header that is one column holding ';', tab or '|', not the
 * delimiter given: another delimiter; a name that differs only in case or spaces: the field options naming it).
 */
function checkHeader(columns: readonly string[], file: string, textField: string, labelField: string, delimiter: string | undefined): void {
  const found = missingColumns(columns, [textField, labelField], { delimiter });
  if (found === undefined) return;
  const { missing, otherDelimiter, near } = found;
  const hints: string[] = [];
  const details: Record<string, unknown> = { file, columns: [...columns], missing };
  if (otherDelimiter !== undefined) {
    const shown = otherDelimiter === '\t' ? '\\t' : otherDelimiter;
    hints.push(`it looks ${otherDelimiter === '\t' ? 'tab' : `'${otherDelimiter}'`}-separated: pass { delimiter: '${shown}' }`);
    details.delimiter = otherDelimiter;
  } else {
    const named: string[] = [];
    for (const [option, field] of [
      ['textField', textField],
      ['labelField', labelField],
    ] as const) {
      const column = near.get(field);
      if (column !== undefined) named.push(`${option}: '${column}'`);
    }
    if (named.length > 0) hints.push(`column names are matched exactly (case and spaces): pass { ${named.join(', ')} }`);
  }
  const list = columns.map((c) => `'${c}'`).join(', ');
  throw new AppliedMLError(
    'E_INPUT_INVALID',
    `${file}: the header needs '${textField}' and '${labelField}' columns; ${missing.map((m) => `'${m}'`).join(' and ')} ${missing.length === 1 ? 'is' : 'are'} missing (the header has ${list || 'no column'})${hints.length > 0 ? `; ${hints.join('; ')}` : ''}.`,
    { details },
  );
}

async function readBytes(file: string, options: LoaderOptions, name: string, keys: readonly string[]): Promise<Buffer> {
  checkKnownKeys(`${name} options`, options, keys);
  // NaN or a negative limit would turn the check off (every comparison with NaN is false).
  checkIntegerOption('maxBytes', options.maxBytes, 1, Number.MAX_SAFE_INTEGER);
  checkIntegerOption('maxTextChars', options.maxTextChars, 1, Number.MAX_SAFE_INTEGER);
  const max = options.maxBytes ?? DEFAULT_MAX_BYTES;
  // A FIFO or a device (/dev/zero) reports size 0 and then never ends: read regular files only.
  const info = await statRegularFile(file, 'text file', { detailsKey: 'file' });
  try {
    if (info.size > max) {
      throw new AppliedMLError('E_INPUT_TOO_LARGE', `${file} is ${info.size} bytes, over the limit of ${max}.`, {
        details: { file, bytes: info.size, maxBytes: max },
      });
    }
    return await readFile(file);
  } catch (cause) {
    if (AppliedMLError.isInstance(cause)) throw cause;
    throw new AppliedMLError('E_IO', `Cannot read ${file}.`, { cause, details: { file } });
  }
}

/**
 * A row's label, trimmed; else E_INPUT_INVALID at `file:line:` saying what is wrong with it: missing (no
 * such field), empty, a JSON number or true/false (a CSV cell "1" is text, a JSON 1 is not: quote it), or
 * another value. `name` is how the message calls it ('label', or 'label[1]' in a list).
 */
function checkLabel(label: unknown, file: string, line: number, field: string, name = 'label'): string {
  const refuse = (why: string): never => {
    throw new AppliedMLError('E_INPUT_INVALID', `${file}:${line}: ${why}.`, { details: { file, line, field } });
  };
  if (label === undefined) refuse(`the label is missing (no '${field}' field)`);
  if (typeof label === 'number' || typeof label === 'boolean')
    refuse(`the ${name} is the ${typeof label} ${String(label)}, not a string: write it as "${String(label)}" (labels are text)`);
  if (typeof label !== 'string') refuse(`the ${name} must be a string (got ${describeValue(label)})`);
  if ((label as string).trim() === '') refuse(`the ${name} is empty`);
  checkLabelCharacters(label as string, `${file}:${line}`, { file, line, field });
  return normalizeLabel(label as string);
}

function nonEmpty(rows: TextExample[], file: string): TextExample[] {
  if (rows.length === 0) throw new AppliedMLError('E_INPUT_INVALID', `${file} holds no examples.`, { details: { file } });
  return rows;
}

/**
 * The SMS Spam Collection TSV (UTF-8, no header, `ham|spam<TAB>text`). With `dedupe` (default
 * true) a text that repeats an earlier one is dropped, as the dataset's notes advise.
 */
export async function readSmsSpam(file: string, options: LoaderOptions & { dedupe?: boolean } = {}): Promise<TextExample[]> {
  checkFlag('readSmsSpam dedupe', options?.dedupe);
  const text = decodeText(await readBytes(file, options, 'readSmsSpam', [...LOADER_KEYS, 'dedupe']), 'utf-8', file);
  const seen = new Set<string>();
  const rows: TextExample[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line === '') return;
    const tab = line.indexOf('\t');
    const label = tab < 0 ? '' : line.slice(0, tab);
    if (label !== 'ham' && label !== 'spam') {
      throw new AppliedMLError('E_INPUT_INVALID', `${file}:${i + 1}: expected 'ham' or 'spam' then a tab; got '${line.slice(0, 20)}'.`, {
        details: { file, line: i + 1 },
      });
    }
    const body = checkText(line.slice(tab + 1), { maxChars: options.maxTextChars, where: { file, line: i + 1 } });
    if (options.dedupe !== false) {
      if (seen.has(body)) return;
      seen.add(body);
    }
    rows.push({ text: body, label });
  });
  return nonEmpty(rows, file);
}

/**
 * A TREC question-classification label file (Latin-1, `COARSE:fine question` per line).
 * `granularity` 'coarse' (default, TREC-6) or 'fine' (TREC-50, labels like `NUM:dist`).
 */
export async function readTrec(file: string, options: LoaderOptions & { granularity?: 'coarse' | 'fine' } = {}): Promise<TextExample[]> {
  checkChoice('readTrec granularity', options?.granularity, ['coarse', 'fine']);
  const text = decodeText(await readBytes(file, options, 'readTrec', [...LOADER_KEYS, 'granularity']), 'latin1', file);
  const rows: TextExample[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const m = /^([A-Z]+):(\S+) (.+)$/.exec(line);
    if (!m)
      throw new AppliedMLError('E_INPUT_INVALID', `${file}:${i + 1}: expected 'COARSE:fine question'.`, { details: { file, line: i + 1 } });
    const question = checkText(m[3], { maxChars: options.maxTextChars, where: { file, line: i + 1 } });
    rows.push({ text: question, label: options.granularity === 'fine' ? `${m[1]}:${m[2]}` : (m[1] as string) });
  });
  return nonEmpty(rows, file);
}

export interface FieldOptions extends LoaderOptions {
  /** Field holding the text (default 'text'). */
  textField?: string;
  /** Field holding the label (default 'label'); in JSONL it may be an array of labels (multi-label). */
  labelField?: string;
  /**
   * The file's encoding (default 'utf-8', refused if the bytes are not UTF-8): 'windows-1252' for a
   * Western European file from Windows or Excel, 'latin1' for ISO-8859-1.
   */
  encoding?: TextEncoding;
}

/**
 * A CSV file with a header row and (at least) a text column and a label column; UTF-8 (or UTF-16
 * little-endian starting with its byte-order mark FF FE, as Excel's "Unicode Text" saves; other UTF-16 is
 * refused saying how to convert it, see `decodeText`). A bad row is named
 * by the file's line it ends on (`file:N:`, `details.line`), blank lines and quoted line breaks counted.
 */
export async function readTextCsv(file: string, options: FieldOptions & { delimiter?: string } = {}): Promise<TextExample[]> {
  const bytes = await readBytes(file, options, 'readTextCsv', [...FIELD_KEYS, 'delimiter']);
  const decoded = decodeFile(bytes, options, file, 'readTextCsv');
  const textField = options.textField ?? 'text';
  const labelField = options.labelField ?? 'label';
  const rows: TextExample[] = [];
  let records = 1;
  // UTF-8 is read from the bytes (the reader drops a BOM), and so is UTF-16LE with its mark FF FE (the
  // reader decodes it; decodeFile has refused other UTF-16); another encoding from its decoded text, as
  // UTF-8 bytes (a string source is a path to the reader).
  const source = (options.encoding ?? 'utf-8') === 'utf-8' ? bytes : Buffer.from(decoded, 'utf8');
  try {
    for await (const row of readCsv(source, {
      missing: [],
      // The reader names the file in its own refusals (it was given bytes: it said 'CSV input').
      source: file,
      ...(options.delimiter ? { delimiter: options.delimiter } : {}),
      // The header is checked as it is read (a header-only file said 'holds no examples').
      onHeader: (columns) => checkHeader(columns, file, textField, labelField, options.delimiter || undefined),
    })) {
      records++;
      // The file's physical line the row ends on (blank lines and a quoted text's line breaks counted), as an
      // editor numbers it; counting records said line 4 for line 6 after a three-line text.
      const line = csvRowLine(row) ?? records;
      rows.push({
        text: checkText(row[textField], { maxChars: options.maxTextChars, where: { file, line } }),
        label: checkLabel(row[labelField], file, line, labelField),
      });
    }
  } catch (error) {
    throw namingFile(error, file);
  }
  return nonEmpty(rows, file);
}

/**
 * A refusal of the CSV reader with the file in its message and `details.file`. The reader is given the
 * file's bytes and `source: file`, so its refusals name the file (and `details.source`); one that does not
 * (a message without the reader's label) gets it in front. The header and cell checks name it already.
 */
function namingFile(error: unknown, file: string): unknown {
  if (!AppliedMLError.isInstance(error) || error.details.file !== undefined) return error;
  const message = error.message.includes(file)
    ? error.message
    : `${file}: ${/^[A-Z][a-z]/.test(error.message) ? error.message.charAt(0).toLowerCase() + error.message.slice(1) : error.message}`;
  return new AppliedMLError(error.code, message, { cause: error, details: { source: file, ...error.details, file } });
}

/** JSON Lines: one object per line with a text field and a label (a string, or an array of strings). */
export async function readTextJsonl(file: string, options: FieldOptions = {}): Promise<TextExample[]> {
  const text = decodeFile(await readBytes(file, options, 'readTextJsonl', FIELD_KEYS), options, file, 'readTextJsonl');
  const textField = options.textField ?? 'text';
  const labelField = options.labelField ?? 'label';
  const rows: TextExample[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (cause) {
      throw new AppliedMLError('E_INPUT_INVALID', `${file}:${i + 1}: not valid JSON.`, { cause, details: { file, line: i + 1 } });
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw new AppliedMLError('E_INPUT_INVALID', `${file}:${i + 1}: expected a JSON object.`, { details: { file, line: i + 1 } });
    }
    // Own fields only: a line without a field named like an Object.prototype member ('constructor',
    // 'toString') lacks it, as it lacks any other.
    const field = (name: string): unknown => (Object.hasOwn(obj, name) ? (obj as Record<string, unknown>)[name] : undefined);
    const value = field(labelField);
    const label = Array.isArray(value)
      ? value.map((v, j) => checkLabel(v, file, i + 1, labelField, `label[${j}]`))
      : checkLabel(value, file, i + 1, labelField);
    rows.push({ text: checkText(field(textField), { maxChars: options.maxTextChars, where: { file, line: i + 1 } }), label });
  });
  return nonEmpty(rows, file);
}
