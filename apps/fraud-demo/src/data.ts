import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkInputFile } from '@appliedml/demo-kit';
import {
  AppliedMLError,
  CSV_DEFAULT_MISSING,
  csvRowLine,
  describeKind,
  missingColumns,
  parseNumberCell,
  readCsvAll,
  type CsvValue,
} from '@appliedml/engine';
import {
  SYNTHETIC_NOTICE,
  amountFormHint,
  checkTransaction,
  generateTransactions,
  parseAmount,
  readLabel,
  type TimeUnit,
  type Transaction,
} from '@appliedml/fraud';

export interface LabelledTransactions {
  txs: Transaction[];
  labels?: number[];
  synthetic: boolean;
  source: string;
}

/**
 * 'synthetic' (the embedded default, its times in `timeUnit`: a seconds model gets Unix seconds), or a
 * .jsonl / .csv of transactions (card, amount, timestamp, merchant?, country?, label?). Every row is
 * checked here, so a bad one is E_INPUT_INVALID naming the file, its physical line (1-based, blank
 * lines counted) and the field; a file with no transactions is refused.
 */
export async function loadTransactions(spec: string, seed = 7, timeUnit: TimeUnit = 'ms'): Promise<LabelledTransactions> {
  if (spec === 'synthetic') {
    const generated = generateTransactions({ cards: 600, days: 30, seed });
    const txs = timeUnit === 's' ? generated.map((t) => ({ ...t, timestamp: Math.floor(t.timestamp / 1000) })) : generated;
    return { txs, labels: txs.map((t) => t.label), synthetic: true, source: SYNTHETIC_NOTICE };
  }
  const lower = spec.toLowerCase();
  if (!lower.endsWith('.jsonl') && !lower.endsWith('.csv'))
    throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `Use 'synthetic', a .jsonl or a .csv file (got ${spec}).`);
  // A directory, FIFO or device is refused before it is opened (a FIFO would block the read for ever).
  await checkInputFile(spec, 'transactions file');
  let rows: unknown[];
  let lineOf: (i: number) => number | undefined;
  // Whether a row's label cell is empty (a CSV's NA, NaN and null too: see below).
  let missingLabel = absent;
  if (lower.endsWith('.jsonl')) {
    const text = await readFile(spec, 'utf8').catch((cause: unknown) => {
      throw new AppliedMLError('E_IO', `Cannot read ${spec}: ${(cause as Error).message}`, { cause, details: { file: spec } });
    });
    const lines: number[] = [];
    rows = [];
    text
      .replace(/^\uFEFF/, '') // a byte-order mark some editors and Windows tools write
      .split('\n')
      .forEach((l, i) => {
        if (l.trim() === '') return;
        try {
          (rows as unknown[]).push(JSON.parse(l));
          lines.push(i + 1);
        } catch (cause) {
          throw new AppliedMLError('E_INPUT_INVALID', `${spec}: line ${i + 1} is not JSON (${(cause as Error).message}).`, {
            cause,
            details: { file: spec, line: i + 1 },
          });
        }
      });
    lineOf = (i) => lines[i];
  } else {
    try {
      // Only a blank cell is missing for the reader: its default missing words (NA, NaN, null) are names in
      // card, merchant and country (country NA is Namibia, a card may be 'NA'), kept as written as a JSONL
      // file keeps them. In amount and label, where no value is text, they are missing (readCsvAmounts).
      rows = await readCsvAll(spec, { missing: [''], onHeader: (found) => checkHeader(spec, found) });
    } catch (error) {
      // The reader's own messages name the file, except a few ("The CSV is empty: no header row …").
      if (AppliedMLError.isInstance(error) && !error.message.includes(spec))
        throw new AppliedMLError(error.code, `${spec}: ${error.message}`, { cause: error, details: { ...error.details, file: spec } });
      throw error;
    }
    // The engine's reader knows the physical line each row ends on (blank lines, quoted line breaks).
    const read = rows;
    lineOf = (i) => csvRowLine(read[i] as object);
    readCsvAmounts(spec, rows as Array<Record<string, CsvValue>>, lineOf);
    missingLabel = (v) => absent(v) || (typeof v === 'string' && MISSING_WORDS.has(v.trim()));
  }
  if (rows.length === 0) {
    const layout = lower.endsWith('.csv') ? 'a header row, then one transaction per line' : 'one JSON transaction per line';
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${spec} holds no transactions (${layout}: card, amount, timestamp, merchant?, country?, label?).`,
      {
        details: { file: spec, reason: 'no-transactions' },
      },
    );
  }
  const where = (i: number): string => {
    const line = lineOf(i);
    return line === undefined ? `${spec}: transaction ${i + 1}` : `${spec}: line ${line}`;
  };
  const txs: Transaction[] = [];
  for (let i = 0; i < rows.length; i++) {
    try {
      txs.push(readTransactionRow(rows[i], timeUnit));
    } catch (error) {
      // Read again with its place named (only a failing row pays for finding its CSV line).
      const place = where(i);
      try {
        readTransactionRow(rows[i], timeUnit, place);
      } catch (again) {
        throw located(again, place, { file: spec, line: lineOf(i) });
      }
      throw located(error, place, { file: spec, line: lineOf(i) });
    }
  }
  // Labelled when any row carries a label; then every row must (a gap is an error naming its line, not
  // a silent 'normal' and not a file quietly treated as unlabelled).
  // (A CSV whose label column is NA throughout, as R's write.csv writes missing values, is unlabelled.)
  const hasLabels = rows.some((r) => !missingLabel((r as Record<string, unknown>).label));
  if (!hasLabels) return { txs, synthetic: false, source: spec };
  const labels: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const raw = (rows[i] as Record<string, unknown>).label;
    const label = readLabel(raw);
    if (label === undefined)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `${where(i)}, field 'label': ${describe(raw)} is not a label; labels are 0 or 1, and a file with labels needs one on every transaction.`,
        { details: { file: spec, line: lineOf(i), field: 'label' } },
      );
    labels.push(label);
  }
  return { txs, labels, synthetic: false, source: spec };
}

/**
 * What a CSV writes for "no value" besides an empty cell (R's write.csv writes NA by default, pandas NaN,
 * others null): the engine reader's missing words. Missing in `amount` and `label`, where no value is
 * text; card, merchant and country keep them as text.
 */
const MISSING_WORDS: ReadonlySet<string> = new Set(CSV_DEFAULT_MISSING.filter((w) => w.trim() !== ''));

/**
 * A CSV's amounts, in place: a missing word is null (a missing amount, refused as an empty cell is), other
 * text the number the SDK reads it as (`parseAmount`: decimal or scientific notation, or commas between
 * groups of three digits, '1,234.50'), or refused naming the line and cell as the reader refuses a typed
 * column's cell (a decimal comma, '1.234,50', or a currency sign is not read: then the message says which
 * forms are, the SDK's `amountFormHint`).
 */
function readCsvAmounts(spec: string, rows: Array<Record<string, CsvValue>>, lineOf: (i: number) => number | undefined): void {
  rows.forEach((row, i) => {
    const text = row.amount;
    if (typeof text !== 'string') return;
    if (MISSING_WORDS.has(text.trim())) {
      row.amount = null;
      return;
    }
    const amount = parseAmount(text);
    if (amount !== undefined) {
      row.amount = amount;
      return;
    }
    const line = lineOf(i);
    const value = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    // An amount in another form ('$12.00', '1.234,50') is told which forms are read, as the SDK tells it.
    const hint = amountFormHint(text);
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${spec}: line ${line}, column 'amount': '${value}' is not a valid number${hint === undefined ? '' : `: ${hint}`}.`,
      { details: { file: spec, line, column: 'amount', value, expected: 'number' } },
    );
  });
}

/** The columns a transaction file must have (its header's names, as written). */
const REQUIRED_COLUMNS = ['card', 'amount', 'timestamp'] as const;

/**
 * A CSV header without card, amount or timestamp is refused as a header (not as line 2's empty card or
 * missing time), naming the missing columns and the ones found, with a hint for a near name
 * ('Card', 'card_id') or a header read as one column (the engine's missingColumns).
 */
function checkHeader(spec: string, found: readonly string[]): void {
  const mismatch = missingColumns(found, REQUIRED_COLUMNS, { contains: true });
  if (mismatch === undefined) return;
  const { missing, otherDelimiter, near } = mismatch;
  const hints =
    otherDelimiter !== undefined
      ? [`the header is one column holding ${JSON.stringify(otherDelimiter)}: the demo reads comma-separated files, so save it with commas`]
      : missing.flatMap((c) => (near.has(c) ? [`rename '${near.get(c)}' to '${c}'?`] : []));
  const shown = found.slice(0, 20).map((f) => `'${f.length > 40 ? `${f.slice(0, 40)}…` : f}'`);
  throw new AppliedMLError(
    'E_INPUT_INVALID',
    `${spec}: the header has no ${missing.map((c) => `'${c}'`).join(' or ')} column (its columns: ${shown.join(', ')}${found.length > 20 ? ', …' : ''}); a transaction file's header names card, amount and timestamp, and optionally merchant, country and label, in lower case${hints.length > 0 ? ` (${hints.join(' ')})` : ''}.`,
    { details: { file: spec, line: 1, reason: 'header-missing-columns', missingColumns: missing, columns: found.slice(0, 200) } },
  );
}

const absent = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** A value for a message: strings quoted and cut, the rest by kind (never a multi-line dump). */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return describeKind(v);
  return String(v);
}

/** The forms a timestamp may take, for messages (the demo's flags, not SDK options). */
/** For a time ending in an hours-only offset (PostgreSQL's `2026-10-01 01:00:00+00`): what to write instead. */
function offsetHint(v: unknown): string {
  return typeof v === 'string' && /\d[+-]\d\d\s*$/.test(v) ? ` (an offset needs its minutes: ${v.trim()}:00)` : '';
}

export function timestampForms(unit: TimeUnit): string {
  return unit === 's'
    ? 'give an ISO 8601 time (2026-01-01T12:00:00Z) or Unix seconds (10 digits, 2001–2286), as this time unit (s, --time-unit s) reads numbers'
    : 'give an ISO 8601 time (2026-01-01T12:00:00Z) or epoch milliseconds (13 digits, 2001–2286); Unix seconds (10 digits) need a model trained with --time-unit s';
}

/**
 * Plausible epoch numbers: 2001-09-09 to 2286-11-20 (1e12 to 1e13 ms, 1e9 to 1e10 s), one range per unit
 * so the number of digits tells the unit. Outside it a number is not a transaction time: `2026` (a year)
 * would be 1970, 20260101000000 (YYYYMMDDhhmmss) the year 2612.
 */
const EPOCH_RANGE: Record<TimeUnit, [number, number]> = { ms: [1e12, 1e13], s: [1e9, 1e10] };

/** A field error with the field named (`where` prefixes the message when given). */
function fieldError(where: string | undefined, field: string, what: string, details: Record<string, unknown> = {}): AppliedMLError {
  return new AppliedMLError('E_INPUT_INVALID', `${where ? `${where}, field` : 'Field'} '${field}': ${what}`, {
    details: { field, ...details },
  });
}

/** An identifier field (card, merchant, country): text, or a number written as text; never an object or boolean. */
function identifier(v: unknown, field: string, where: string | undefined): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw fieldError(where, field, `${describe(v)} is not an identifier; give text (or a number).`, { reason: 'not-an-identifier' });
}

/**
 * One transaction from a parsed row (a CSV row or a JSON value): amounts given as text become the
 * numbers the SDK reads them as (`parseAmount`: '12.50', '1,234.50') and anything else reaches the SDK
 * as it came, which refuses it naming the value (Number() would read '' as 0 and '0x10' as 16); card,
 * merchant and country are text (a number is taken as its text; an object, array or boolean is refused,
 * not turned into "[object Object]" or "true"); a blank or null
 * merchant / country is absent, not the text 'null'; epoch numbers (also as text) must lie in the plausible
 * range of `timeUnit` (see `EPOCH_RANGE`). `where` ('file.jsonl: line 4', '--tx') starts the messages.
 */
export function toTransaction(r: unknown, timeUnit: TimeUnit = 'ms', where?: string): Transaction {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) {
    const what = `an object with card, amount and timestamp (got ${describe(r)})`;
    throw new AppliedMLError('E_INPUT_INVALID', where ? `${where} is not a transaction: give ${what}.` : `A transaction is ${what}.`, {
      details: { reason: 'not-an-object' },
    });
  }
  const row = r as Record<string, unknown>;
  let timestamp = row.timestamp;
  // An absent timestamp stays absent, so the SDK's message says so (not "got a string").
  // Decimal or scientific notation ('1.79e12', as a spreadsheet writes a 13-digit number), not hex or ''.
  if (typeof timestamp === 'string' && !absent(timestamp)) timestamp = parseNumberCell(timestamp) ?? timestamp;
  if (typeof timestamp === 'number') {
    const [lo, hi] = EPOCH_RANGE[timeUnit];
    if (!(timestamp >= lo && timestamp < hi))
      throw fieldError(
        where,
        'timestamp',
        `${describe(row.timestamp)} is not a plausible ${timeUnit === 's' ? 'Unix-seconds' : 'epoch-milliseconds'} time; ${timestampForms(timeUnit)}.`,
        {
          reason: 'timestamp-out-of-range',
        },
      );
  }
  return {
    card: absent(row.card) ? '' : identifier(row.card, 'card', where),
    amount: (typeof row.amount === 'string' ? (parseAmount(row.amount) ?? row.amount) : row.amount) as number,
    timestamp: timestamp as Transaction['timestamp'],
    ...(!absent(row.merchant) ? { merchant: identifier(row.merchant, 'merchant', where) } : {}),
    ...(!absent(row.country) ? { country: identifier(row.country, 'country', where) } : {}),
  };
}

/**
 * `toTransaction`, then the SDK's own check of the result (card, amount, a time it can read), so a file's
 * or stdin's bad row is refused where it is read, with its line, rather than later by index.
 */
export function readTransactionRow(r: unknown, timeUnit: TimeUnit = 'ms', where?: string): Transaction {
  const tx = toTransaction(r, timeUnit, where);
  // A JSON transaction without a required field (a 'card_id', a 'created_at') is told which it lacks and
  // which it has, not that its card is empty or 'nothing is not a time'.
  const row = r as Record<string, unknown>;
  const fields = Object.keys(row);
  const lacking = missingColumns(fields, REQUIRED_COLUMNS, { contains: true });
  if (lacking !== undefined) {
    // The first field missing, and a field named nearly so (one read as a one-column CSV header does not arise here).
    const field = lacking.missing[0] as string;
    const near = lacking.near.get(field);
    const shown = fields.slice(0, 20).map((f) => `'${f.length > 40 ? `${f.slice(0, 40)}…` : f}'`);
    throw fieldError(
      where,
      field,
      `the transaction has no '${field}' field (its fields: ${shown.join(', ') || 'none'}${fields.length > 20 ? ', …' : ''}); give card, amount and timestamp${near !== undefined ? ` (rename '${near}' to '${field}'?)` : ''}.`,
      { reason: 'field-missing' },
    );
  }
  try {
    checkTransaction(tx, timeUnit);
  } catch (error) {
    if (AppliedMLError.isInstance(error) && error.details?.field === 'timestamp' && error.details.reason === undefined)
      throw fieldError(
        where,
        'timestamp',
        `${describe((r as Record<string, unknown>).timestamp)} is not a time; ${timestampForms(timeUnit)}${offsetHint((r as Record<string, unknown>).timestamp)}.`,
        {
          reason: 'not-a-time',
        },
      );
    throw where ? located(error, where) : error;
  }
  return tx;
}

/** `error` with `where` in front of its message (unless it already starts with it), code and details kept. */
export function located(error: unknown, where: string, details: Record<string, unknown> = {}): unknown {
  if (!AppliedMLError.isInstance(error)) return error;
  const message = error.message.startsWith(where) ? error.message : `${where}: ${error.message}`;
  return new AppliedMLError(error.code, message, { cause: error, details: { ...error.details, ...details } });
}

/** Beside a model `train` saved: what it was trained on, so `serve` can say so on its page. */
export const TRAINED_ON_FILE = 'fraud-demo.json';

/** Records beside the saved model in `dir` whether its training stream was the generated one. */
export async function writeTrainedOn(dir: string, synthetic: boolean): Promise<void> {
  await writeFile(join(dir, TRAINED_ON_FILE), `${JSON.stringify({ data: synthetic ? 'synthetic' : 'file' })}\n`);
}

/** Whether the model in `dir` was trained on the generated stream (false when unrecorded: a model saved otherwise). */
export async function trainedOnSynthetic(dir: string): Promise<boolean> {
  try {
    return (JSON.parse(await readFile(join(dir, TRAINED_ON_FILE), 'utf8')) as { data?: unknown } | null)?.data === 'synthetic';
  } catch {
    return false;
  }
}
