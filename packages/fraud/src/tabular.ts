import { AppliedMLError, describeKind, describeValue, parseDateCell, parseNumberCell } from '@appliedml/engine';
import { amountHint, amountLike, numberCell } from './amounts';
import { MAX_CELLS, isMatrix, toMatrix, type Matrix } from './matrix';
import { runSteps, type Steps } from './steps';
import { epochMs } from './stream';

/** Rows `transformSteps` converts between pauses. */
const TRANSFORM_BLOCK = 8192;

/**
 * Tabular preprocessing, fitted on training data only and stored in the bundle:
 * schema inference (numeric, categorical, timestamp), missing values (median imputation plus a
 * missing flag when the training data had gaps), robust scaling (median / IQR), one-hot encoding
 * for categoricals with few levels and hashing into buckets for the rest, and hour/weekday
 * features for timestamps.
 */
export type ColumnKind = 'numeric' | 'categorical' | 'timestamp';

/** A record: one transaction or row. Missing fields, `null`, `''` and `NaN` are missing values. */
export type TabularRecord = Record<string, unknown>;

/** What a detector accepts: a numeric matrix (rows of numbers) or records. */
export type TabularInput = Matrix | ReadonlyArray<ArrayLike<number>> | ReadonlyArray<TabularRecord>;

export interface PreprocessOptions {
  /** Force column kinds; others are inferred. */
  schema?: Record<string, ColumnKind>;
  /** Categoricals with at most this many training levels are one-hot encoded (default 32), others hashed. */
  maxOneHot?: number;
  /** Hash buckets for high-cardinality categoricals (default 16). */
  hashBuckets?: number;
  /** Unseen categories: 'ignore' (all-zero one-hot, the documented default) or 'error' (E_INPUT_INVALID). */
  unknownCategory?: 'ignore' | 'error';
  /** Fields in records that are not in the schema: 'ignore' (default) or 'error'. */
  extraFields?: 'ignore' | 'error';
  /**
   * What numbers in a timestamp field count: 'ms' (epoch milliseconds) or 's' (Unix seconds). Default:
   * per field from its training values ('s' when every one lies in [1e9, 1e10), seconds from 2001 to
   * 2286; else 'ms').
   */
  timeUnit?: 'ms' | 's';
  /**
   * Fields that must hold a value in every record, at training and at scoring: a missing one is
   * E_INPUT_INVALID naming it instead of being imputed with the training median (for an `amount`, a
   * gap is a data-quality incident, not a typical value).
   */
  required?: string[];
}

interface NumericColumn {
  name: string;
  kind: 'numeric';
  median: number;
  scale: number;
  hasMissing: boolean;
}
interface CategoricalColumn {
  name: string;
  kind: 'categorical';
  levels: string[] | null;
  buckets: number;
}
/**
 * How a timestamp becomes features: 'cyclic' is hour sin / cos and a weekend flag (supervised
 * detectors; every state before `encoding` was stored); 'rarity' is how rare the hour (UTC) and the
 * weekday were in training, −log of their smoothed share against an even spread (unsupervised
 * detectors: only a rare time is an extreme, whatever the hour's place on the clock).
 */
export type TimeEncoding = 'cyclic' | 'rarity';

interface TimestampColumn {
  name: string;
  kind: 'timestamp';
  /** What a number in the field counts (absent in earlier versions' states: 'ms'). */
  unit?: 'ms' | 's';
  /** Earliest and latest training time, epoch ms (absent in earlier versions' states: no range check). */
  range?: [number, number];
  /** The features the time becomes (absent in earlier versions' states: 'cyclic'). */
  encoding?: TimeEncoding;
  /** 'rarity' only: training transactions per UTC hour (24) and per UTC weekday (7, Sunday first). */
  hourCounts?: number[];
  weekdayCounts?: number[];
  /**
   * 'rarity' only: whether the hour / weekday rarity is a feature (else it is 0 for every time). Off
   * when the training times fall in fewer distinct UTC clock hours / days than two of its cycles
   * (`RARITY_MIN_HOURS`, `RARITY_MIN_DAYS`): a weekday or hour training could not have seen is no
   * evidence. Decided when fitting and saved, so a loaded state scores as it was saved. Absent in states
   * saved before (both on, scored as they were).
   */
  hourRarity?: boolean;
  weekdayRarity?: boolean;
}
/** A timestamp field's rarity features as fitted: whether each is on, and the distinct UTC days / clock hours holding training times. */
export interface TimeFeatures {
  field: string;
  hourRarity: boolean;
  weekdayRarity: boolean;
  days: number;
  clockHours: number;
}
export type FittedColumn = NumericColumn | CategoricalColumn | TimestampColumn;

export interface PreprocessorState {
  /** 'matrix' inputs are rows of numbers; 'records' inputs are objects. */
  input: 'matrix' | 'records';
  columns: FittedColumn[];
  unknownCategory: 'ignore' | 'error';
  extraFields: 'ignore' | 'error';
  /** Fields every record must hold (absent in earlier versions' states: none). */
  required?: string[];
}

/** One output feature: its name and the input column it came from. */
export interface FeatureInfo {
  name: string;
  column: string;
}

const MISSING = (v: unknown): boolean => v === undefined || v === null || v === '' || (typeof v === 'number' && Number.isNaN(v));

function isRecords(input: TabularInput): input is ReadonlyArray<TabularRecord> {
  if (isMatrix(input)) return false;
  const first = (input as ReadonlyArray<unknown>)[0];
  return typeof first === 'object' && first !== null && !ArrayBuffer.isView(first) && !Array.isArray(first);
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/**
 * A numeric column's median and robust scale: the IQR, else the mean absolute deviation, else 1 (a
 * constant column stays constant, documented). One typed-array sort (numeric, no comparator).
 */
function medianAndScale(values: ArrayLike<number>): { median: number; scale: number } {
  if (values.length === 0) return { median: 0, scale: 1 };
  const s = Float64Array.from(values).sort();
  const m = s.length >> 1;
  const med = s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
  const iqr = quantile(s, 0.75) - quantile(s, 0.25);
  if (iqr > 0) return { median: med, scale: iqr };
  let mad = 0;
  for (let i = 0; i < values.length; i++) mad += Math.abs((values[i] as number) - med);
  mad /= s.length;
  return { median: med, scale: mad > 0 ? mad : 1 };
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A value as a message shows it: numbers as JavaScript prints them (JSON would say null for Infinity and NaN). */
function shown(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return `Date(${String(v.getTime())})`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/**
 * A present field value that is not a string, number, boolean or Date (an object, an array, a
 * function …) is E_INPUT_INVALID naming the row and field: `String(v)` would read ['web'] as 'web'
 * and every object as the one level '[object Object]'.
 */
function checkCell(v: unknown, column: string, row: number, what: string): void {
  if (MISSING(v) || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof Date) return;
  throw new AppliedMLError(
    'E_INPUT_INVALID',
    `${what}: row ${row}, field '${column}' holds ${describeKind(v)} (${describeValue(v, 60)}); a field holds a string, a number, a boolean or a Date (null when missing).`,
    { details: { row, field: column, reason: 'not-a-scalar' } },
  );
}

/**
 * The weekday rarity is a feature only when the training times fall on at least this many distinct UTC
 * days, the hour rarity only when they fall in at least this many distinct UTC clock hours (or on
 * `RARITY_MIN_DAYS` days). Times in that many distinct days (hours) run first to last over at least two
 * weeks (two days), so every weekday (hour) came round at least twice while training was watching, and a
 * weekday (hour) training never saw is evidence (a shop closed on Sundays); a stray old record adds one
 * day and one clock hour, not its distance (39522fd measured first to last of the middle 98 %, and under
 * about 100 rows that trim dropped nothing: one record 60 days back made one day look like 60). With one
 * day of training every other weekday had a count of 0 and a rarity (about 5 at 3,000 rows) beyond
 * anything ECOD saw: the whole next day was alerts, blamed on the weekday. The middle 98 % of the times
 * must also touch that many days (hours), so that a few back-dated records on as many earlier days do
 * not make one day of data look like two weeks.
 */
export const RARITY_MIN_HOURS = 48;
export const RARITY_MIN_DAYS = 14;

/** Smoothed share of training times in `counts[bin]`, against an even spread: ≥ 0, 0 unless under half of even. */
function rarityOf(counts: readonly number[], bin: number): number {
  let n = 0;
  for (const c of counts) n += c;
  const share = ((counts[bin] as number) + 1) / (n + counts.length);
  return Math.max(0, Math.log(1 / counts.length / share) - Math.LN2);
}

/**
 * What a timestamp's training times cover: distinct UTC days and UTC clock hours holding a time, first
 * to last in days, and the UTC days / clock hours the middle 98 % of the times touch (at least one time
 * dropped at each end from 2 times on; no interpolation).
 */
interface TimeCover {
  days: number;
  clockHours: number;
  span: number;
  trimmedDays: number;
  trimmedHours: number;
}

function coverOf(times: readonly number[]): TimeCover {
  const days = new Set<number>();
  const hours = new Set<number>();
  for (const t of times) {
    days.add(Math.floor(t / 86_400_000));
    hours.add(Math.floor(t / 3_600_000));
  }
  if (times.length === 0) return { days: 0, clockHours: 0, span: 0, trimmedDays: 0, trimmedHours: 0 };
  const sorted = Float64Array.from(times).sort();
  const last = sorted.length - 1;
  const lo = sorted[Math.min(last, Math.ceil(0.01 * last))] as number;
  const hi = sorted[Math.max(0, Math.floor(0.99 * last))] as number;
  const touched = (unit: number): number => (hi >= lo ? Math.floor(hi / unit) - Math.floor(lo / unit) + 1 : 1);
  return {
    days: days.size,
    clockHours: hours.size,
    span: ((sorted[last] as number) - (sorted[0] as number)) / 86_400_000,
    trimmedDays: touched(86_400_000),
    trimmedHours: touched(3_600_000),
  };
}

/** What `train` tells the logger when a timestamp's training times are too few for its rarity features. */
function shortTimesNote(name: string, cover: TimeCover, hourRarity: boolean): string {
  const used = hourRarity ? 'the hour is used as evidence but the weekday is not' : 'neither the hour nor the weekday is used as evidence';
  const span = cover.span < 2 ? `${(cover.span * 24).toFixed(1)} hours` : `${cover.span.toFixed(1)} days`;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return (
    `Field '${name}': the training times fall on ${plural(cover.days, 'UTC day')} and in ${plural(cover.clockHours, 'UTC clock hour')} (first to last ${span}; the middle 98 % touch ${plural(cover.trimmedDays, 'day')}, ${plural(cover.trimmedHours, 'clock hour')}), so ${used}: ` +
    `a weekday needs training times on ${RARITY_MIN_DAYS} distinct days with the middle 98 % of them touching ${RARITY_MIN_DAYS} days, and an hour the same with ${RARITY_MIN_HOURS} clock hours, or every later time on a weekday (an hour) training never covered would be an alert. ` +
    `Train on a longer history to use them.`
  );
}

function toNumber(v: unknown, column: string, row: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? (numberCell(v) ?? NaN) : typeof v === 'boolean' ? Number(v) : NaN;
  if (!Number.isFinite(n)) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `Row ${row}, field '${column}': ${shown(v)} is not a finite number${typeof v === 'string' ? amountHint(v) : ''}.`,
      {
        details: { row, field: column },
      },
    );
  }
  return n;
}

/**
 * A time in epoch ms: a Date, a number in `unit`, or an ISO 8601 string (one without an offset is read
 * in UTC fields, the same on every server; any other text is refused, not guessed).
 */
function toTime(v: unknown, column: string, row: number, unit: 'ms' | 's' = 'ms'): number {
  const t = epochMs(v, unit);
  if (Number.isNaN(t)) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `Row ${row}, field '${column}': ${shown(v)} is not a timestamp (a Date, epoch ${unit === 's' ? 'seconds' : 'milliseconds'} or an ISO 8601 string).`,
      { details: { row, field: column } },
    );
  }
  return t;
}

/** A time cell given as a number (or decimal text, as CSV cells come): that number; else undefined. */
function epochNumber(v: unknown): number | undefined {
  return typeof v === 'number' ? v : typeof v === 'string' ? parseNumberCell(v) : undefined;
}

/** A scored time further than this from the training times is on another clock (a unit mix-up), not a later day. */
const TIME_MARGIN_MS = 20 * 365.25 * 86_400_000;

/** Field names that say "time": timestamp, ts, event_time, created_at, txn-date, createdAt, eventTime … */
export function timeLikeName(name: string): boolean {
  return (
    /(^|[_\-. ])(time|timestamp|ts|date|datetime|at)$|^(time|timestamp|ts|date|datetime)([_\-. ]|$)/i.test(name) ||
    /[a-z](Time|Timestamp|At|Date)$/.test(name)
  );
}

/** The epoch unit a number lies in (2001–2286): 's' in [1e9, 1e10), 'ms' in [1e12, 1e13), else undefined. */
function unitOf(n: number): 'ms' | 's' | undefined {
  return n >= 1e9 && n < 1e10 ? 's' : n >= 1e12 && n < 1e13 ? 'ms' : undefined;
}

/**
 * An epoch number that is a time before 2001 in `unit`, back to 1973 ('s' in [1e8, 1e9), 'ms' in
 * [1e11, 1e12)): a real time (an account opened in 1999) that the undeclared reading does not take.
 */
function earlyIn(n: number, unit: 'ms' | 's'): boolean {
  return unit === 's' ? n >= 1e8 && n < 1e9 : n >= 1e11 && n < 1e12;
}

/**
 * For a field declared a timestamp without `timeUnit` whose numbers are not all of one unit's
 * 2001–2286 range: 's' when every present number is Unix seconds of 1973–2286 ([1e8, 1e10)), else
 * undefined (read as ms). Seconds with a few times before 2001 were read as milliseconds of 1970.
 */
function earlySecondsUnit(values: unknown[]): 's' | undefined {
  let any = false;
  for (const v of values) {
    if (MISSING(v) || v instanceof Date) continue;
    const n = epochNumber(v);
    if (n === undefined) continue;
    if (!(n >= 1e8 && n < 1e10)) return undefined;
    any = true;
  }
  return any ? 's' : undefined;
}

/**
 * Whether every present number (as a number or decimal text; dates and ISO strings are skipped) is of
 * one epoch unit: 's' or 'ms', else undefined (also when there are no numbers).
 */
function epochUnit(values: unknown[]): 'ms' | 's' | undefined {
  let unit: 'ms' | 's' | undefined;
  for (const v of values) {
    if (MISSING(v) || v instanceof Date) continue;
    const n = epochNumber(v);
    if (n === undefined && typeof v === 'string' && parseDateCell(v) !== undefined) continue;
    const u = n === undefined ? undefined : unitOf(n);
    if (u === undefined || (unit !== undefined && u !== unit)) return undefined;
    unit = u;
  }
  return unit;
}

/**
 * A record's field, undefined when the record lacks it: a field named like a member of Object.prototype
 * (`constructor`, `toString`, `valueOf`, `__proto__`) is read only as the record's own, never from the
 * prototype. Other names are read as JavaScript reads them, so a class instance's getters, a row object
 * of an ORM (columns as prototype getters), `Object.create(template)` or a Proxy give their values.
 */
export function fieldOf(rec: object, name: string): unknown {
  return Object.hasOwn(rec, name) || !(name in Object.prototype) ? (rec as Record<string, unknown>)[name] : undefined;
}

/** The kind `preprocess.schema` forces on a field (its own entry only), else undefined. */
export function schemaKind(schema: Record<string, ColumnKind> | undefined, name: string): ColumnKind | undefined {
  return schema !== undefined && schema !== null && Object.hasOwn(schema, name) ? schema[name] : undefined;
}

/** E_INPUT_INVALID for the first record missing a required field. */
function checkRequired(records: ReadonlyArray<TabularRecord>, required: readonly string[], what: string): void {
  records.forEach((rec, r) => {
    if (typeof rec !== 'object' || rec === null) return;
    for (const field of required)
      if (MISSING(fieldOf(rec, field)))
        throw new AppliedMLError('E_INPUT_INVALID', `${what}: row ${r} has no value in required field '${field}'.`, {
          details: { row: r, field, reason: 'required-field-missing' },
        });
  });
}

/** Share of a field's present values that must be numbers before a stray text value is an error, not a category. */
const MOSTLY_NUMERIC = 0.9;

/**
 * Share of a field's present values that must be numbers (as read or in another form) before inference
 * reading it as categories tells the logger.
 */
const NUMERIC_LOOKING = 0.5;

function inferKind(values: unknown[], column: string, notes: string[]): ColumnKind {
  let numeric = 0;
  let dates = 0;
  let seen = 0;
  let stray = -1;
  // Text cells holding an amount in a form not read as a number ('$12.00', '1.234,50'), and the first.
  let other = 0;
  let firstOther = -1;
  // Numbers in each epoch unit, and the first present value that is neither a date nor such a number.
  const epochs = { s: 0, ms: 0 };
  const notTime = { s: -1, ms: -1 };
  // The first present value that is neither a date, nor such a number, nor a time before 2001 in that unit.
  const notEarly = { s: -1, ms: -1 };
  for (const [i, v] of values.entries()) {
    if (MISSING(v)) continue;
    seen++;
    let unit: 'ms' | 's' | undefined;
    let date = false;
    if (v instanceof Date) date = true;
    else if (typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && numberCell(v) !== undefined)) {
      numeric++;
      const n = epochNumber(v);
      unit = n === undefined ? undefined : unitOf(n);
      if (unit) epochs[unit]++;
    } else if (typeof v === 'string' && parseDateCell(v) !== undefined) date = true;
    else {
      if (stray < 0) stray = i;
      if (typeof v === 'string' && amountLike(v)) {
        other++;
        if (firstOther < 0) firstOther = i;
      }
    }
    if (date) dates++;
    for (const u of ['s', 'ms'] as const) {
      if (date || unit === u) continue;
      if (notTime[u] < 0) notTime[u] = i;
      const n = epochNumber(v);
      if (notEarly[u] < 0 && !(n !== undefined && earlyIn(n, u))) notEarly[u] = i;
    }
  }
  if (seen === 0) return 'numeric';
  if (dates === seen) return 'timestamp';
  // Epoch numbers in a field named like a time (created_at: 1767571200) are times, not amounts; so are
  // ISO times beside epoch numbers of one unit (two exporters), which the timestamp reading takes both.
  const unit = epochs.ms >= epochs.s ? 'ms' : 's';
  const times = dates + epochs[unit];
  const timeLike = timeLikeName(column) || dates > 0;
  if (timeLike && times === seen) return 'timestamp';
  // A time field with a few values of another kind (0 or -1 for unknown, one row in seconds among
  // milliseconds, 'N/A') would silently become an amount-like number or hashed codes, and every later
  // time an outlier: refused, naming the row.
  if (timeLike && times >= MOSTLY_NUMERIC * seen && (dates > 0 || numeric === seen)) {
    const unitName = unit === 's' ? 'seconds' : 'milliseconds';
    // Every other value a real time before 2001 in the same unit (accounts opened in 1999): times
    // throughout, only earlier than the range read without a declaration.
    if (dates === 0 && notEarly[unit] < 0) {
      const row = notTime[unit];
      const n = epochNumber(values[row]) as number;
      const day = new Date(unit === 's' ? n * 1000 : n).toISOString().slice(0, 10);
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `training data: field '${column}' holds epoch ${unitName} in ${times} of ${seen} rows and earlier times in the others: row ${row} holds ${shown(values[row])}, ${day} in epoch ${unitName}, before the 2001–2286 range read without a declaration. ` +
          `If these are times, declare the field with preprocess: { schema: { '${column}': 'timestamp' } }${unit === 's' ? ` (its numbers are then read as seconds, back to 1973; timeUnit: 's' says so for every timestamp field)` : ''}; if not, declare it 'numeric'.`,
        { details: { row, field: column, reason: 'time-field-early' } },
      );
    }
    const row = notEarly[unit] >= 0 ? notEarly[unit] : notTime[unit];
    const held = dates === 0 ? `epoch ${unit === 's' ? 'seconds' : 'milliseconds'}` : epochs[unit] > 0 ? 'times' : 'dates';
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `training data: field '${column}' holds ${held} in ${times} of ${seen} rows, but row ${row} holds ${shown(values[row])}. ` +
        `Give unknown times as null, '' or NaN, write every time in one form (ISO 8601, or epoch ${unit === 's' ? 'seconds' : 'milliseconds'} throughout), ` +
        `or declare the field with preprocess: { schema: { '${column}': '${dates > 0 ? 'categorical' : 'numeric'}' } } if it is not a time.`,
      { details: { row, field: column, reason: 'time-field-mixed' } },
    );
  }
  if (numeric === seen) return 'numeric';
  // Amounts written with a currency sign, a decimal comma or spaces between digit groups would be hashed
  // as categories: a $999,999 charge one more code, scored as ordinary. Refused, naming the form.
  if (other > 0 && numeric + other >= MOSTLY_NUMERIC * seen) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `training data: field '${column}' holds numbers in ${numeric + other} of ${seen} rows, but ${other} of them are written in a form not read as a number: row ${firstOther} holds ${shown(values[firstOther])}. ` +
        `Numbers are read in decimal or scientific notation, with or without commas between groups of three digits ('1234.50', '1,234.50'); a currency sign or code, a decimal comma ('1.234,50'), spaces between digit groups or parentheses for a negative are not. ` +
        `Write them so (a negative with '-', the currency as a field of its own), or declare the field with preprocess: { schema: { '${column}': 'categorical' } } if it is a code.`,
      { details: { row: firstOther, field: column, reason: 'number-format' } },
    );
  }
  // A numeric field with a few text cells ('N/A', '-', 'unknown') is far more often a missing-value
  // marker than a field of codes: hashing it as a category would silently drop the numbers' meaning.
  if (numeric >= MOSTLY_NUMERIC * seen && stray >= 0) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `training data: field '${column}' holds numbers in ${numeric} of ${seen} rows, but row ${stray} holds ${shown(values[stray])}. ` +
        `Give missing values as null, '' or NaN, or declare the field with preprocess: { schema: { '${column}': 'categorical' } } if it is a code.`,
      { details: { row: stray, field: column } },
    );
  }
  if (numeric + other >= NUMERIC_LOOKING * seen) {
    const share = Math.round((100 * (numeric + other)) / seen);
    notes.push(
      `Field '${column}' is read as categories (each value a code, not a quantity), but ${share} % of its values are numbers${other > 0 ? ` or amounts written with a currency sign, a decimal comma or spaced digit groups (row ${firstOther}: ${shown(values[firstOther])})` : ''}. ` +
        `If it is a quantity, clean its values and declare it with preprocess: { schema: { '${column}': 'numeric' } }; declare it 'categorical' to keep it so without this note.`,
    );
  }
  return 'categorical';
}

/**
 * Scaled values are clipped to ± this many robust-scale units from the training median: a finite input
 * as large as 1e300 would otherwise overflow the distance detectors (PCA, kNN) and float32 networks to
 * Infinity / NaN. Every value this far out is as extreme as any other (documented in docs/fraud.md).
 */
export const SCALED_LIMIT = 1e9;

function clipScaled(v: number): number {
  return v > SCALED_LIMIT ? SCALED_LIMIT : v < -SCALED_LIMIT ? -SCALED_LIMIT : v;
}

/** Most columns one categorical field may expand to (one-hot levels or hash buckets). */
const MAX_ENCODED_WIDTH = 4096;

export class Preprocessor {
  /**
   * What fitting found worth telling the caller (a timestamp whose training times are too short for its
   * rarity features); `train` passes them to the logger. Not saved.
   */
  readonly notes: string[] = [];
  /** Per rarity-encoded timestamp field, whether its rarities are on and what its training times cover (the training report's `timeFeatures`). Not saved. */
  readonly timeFeatures: TimeFeatures[] = [];

  private constructor(readonly state: PreprocessorState) {}

  /** A saved state (from a bundle): checked, since a bad median or scale would score silently wrong. */
  static fromState(state: PreprocessorState): Preprocessor {
    const bad = (what: string): AppliedMLError =>
      new AppliedMLError('E_BUNDLE_CORRUPT', `The saved preprocessing is invalid: ${what}.`, { details: { what } });
    if (state === null || typeof state !== 'object') throw bad('it is missing');
    if (state.input !== 'matrix' && state.input !== 'records') throw bad(`input is ${shown(state.input)}`);
    if (!['ignore', 'error'].includes(state.unknownCategory)) throw bad(`unknownCategory is ${shown(state.unknownCategory)}`);
    if (!['ignore', 'error'].includes(state.extraFields)) throw bad(`extraFields is ${shown(state.extraFields)}`);
    if (!Array.isArray(state.columns) || state.columns.length === 0) throw bad('it has no columns');
    if (state.required !== undefined && !(Array.isArray(state.required) && state.required.every((f) => typeof f === 'string')))
      throw bad('required is not a list of field names');
    const names = new Set<string>();
    for (const [i, c] of state.columns.entries()) {
      if (c === null || typeof c !== 'object' || typeof c.name !== 'string' || names.has(c.name))
        throw bad(`column ${i} has no distinct name`);
      names.add(c.name);
      if (c.kind === 'numeric') {
        if (!Number.isFinite(c.median) || !Number.isFinite(c.scale) || !(c.scale > 0) || typeof c.hasMissing !== 'boolean')
          throw bad(`numeric column '${c.name}' needs a finite median, a positive scale and hasMissing`);
      } else if (c.kind === 'categorical') {
        const levelsOk = c.levels === null || (Array.isArray(c.levels) && c.levels.every((l) => typeof l === 'string'));
        // Buckets matter only to a hashed column (no levels); earlier versions stored any value beside levels.
        const bucketsOk = c.levels !== null || (Number.isInteger(c.buckets) && c.buckets >= 1 && c.buckets <= MAX_ENCODED_WIDTH);
        if (!levelsOk || !bucketsOk)
          throw bad(`categorical column '${c.name}' needs string levels or 1..${MAX_ENCODED_WIDTH} hash buckets`);
      } else if (c.kind === 'timestamp') {
        if (c.unit !== undefined && c.unit !== 'ms' && c.unit !== 's') throw bad(`timestamp column '${c.name}' has unit ${shown(c.unit)}`);
        if (
          c.range !== undefined &&
          !(Array.isArray(c.range) && c.range.length === 2 && c.range.every((t) => Number.isFinite(t)) && c.range[0] <= c.range[1])
        )
          throw bad(`timestamp column '${c.name}' has a malformed range`);
        if (c.encoding !== undefined && c.encoding !== 'cyclic' && c.encoding !== 'rarity')
          throw bad(`timestamp column '${c.name}' has encoding ${shown(c.encoding)}`);
        const counts = (v: unknown, n: number): boolean =>
          Array.isArray(v) && v.length === n && v.every((k) => Number.isSafeInteger(k) && (k as number) >= 0);
        if (c.encoding === 'rarity' && !(counts(c.hourCounts, 24) && counts(c.weekdayCounts, 7)))
          throw bad(`timestamp column '${c.name}' needs 24 hour and 7 weekday counts`);
        for (const key of ['hourRarity', 'weekdayRarity'] as const)
          if (c[key] !== undefined && typeof c[key] !== 'boolean') throw bad(`timestamp column '${c.name}' has ${key} ${shown(c[key])}`);
      } else {
        throw bad(`column '${(c as { name: string }).name}' has kind ${shown((c as { kind?: unknown }).kind)}`);
      }
      if (state.input === 'matrix' && c.kind !== 'numeric') throw bad(`numeric rows cannot have a ${c.kind} column`);
    }
    return new Preprocessor(state);
  }

  /** Fits on training data. */
  static fit(input: TabularInput, options: PreprocessOptions = {}, timeEncoding: TimeEncoding = 'cyclic'): Preprocessor {
    return runSteps(Preprocessor.fitSteps(input, options, timeEncoding));
  }

  /**
   * `fit` as steps that pause after each column (`runStepsWithTurns` gives the event loop a turn there).
   * `timeEncoding` is the detector's choice, not the caller's: see `TimeEncoding`.
   */
  static *fitSteps(input: TabularInput, options: PreprocessOptions = {}, timeEncoding: TimeEncoding = 'cyclic'): Steps<Preprocessor> {
    const maxOneHot = options.maxOneHot ?? 32;
    const buckets = options.hashBuckets ?? 16;
    if (!(Number.isInteger(maxOneHot) && maxOneHot >= 0 && maxOneHot <= MAX_ENCODED_WIDTH)) {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `preprocess.maxOneHot must be an integer in [0, ${MAX_ENCODED_WIDTH}] (got ${maxOneHot}).`,
      );
    }
    if (!(Number.isInteger(buckets) && buckets >= 1 && buckets <= MAX_ENCODED_WIDTH)) {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `preprocess.hashBuckets must be an integer in [1, ${MAX_ENCODED_WIDTH}] (got ${buckets}).`,
      );
    }
    for (const [key, value, valid] of [
      ['unknownCategory', options.unknownCategory, ['ignore', 'error']],
      ['extraFields', options.extraFields, ['ignore', 'error']],
      ['timeUnit', options.timeUnit, ['ms', 's']],
    ] as const) {
      if (value !== undefined && !(valid as readonly string[]).includes(value)) {
        throw new AppliedMLError('E_INPUT_INVALID', `preprocess.${key} must be one of ${valid.join(', ')} (got ${String(value)}).`);
      }
    }
    if (input === null || typeof input !== 'object') {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `training data: expected records, rows of numbers or a matrix; got ${describeKind(input)}.`,
      );
    }
    const required = options.required;
    if (
      required !== undefined &&
      !(
        Array.isArray(required) &&
        Array.from({ length: required.length }, (_, i) => required[i]).every((f) => typeof f === 'string' && f !== '')
      )
    )
      throw new AppliedMLError('E_INPUT_INVALID', `preprocess.required must be a list of field names (got ${shown(required)}).`, {
        details: { field: 'preprocess.required' },
      });
    const common = {
      unknownCategory: options.unknownCategory ?? 'ignore',
      extraFields: options.extraFields ?? 'ignore',
      ...(required && required.length > 0 ? { required: [...required] } : {}),
    } as const;
    if (!isRecords(input)) {
      const m = toMatrix(input as Matrix | ArrayLike<ArrayLike<number>>, undefined, 'training data');
      const columns: FittedColumn[] = [];
      const col = new Float64Array(m.rows);
      for (let c = 0; c < m.cols; c++) {
        for (let r = 0; r < m.rows; r++) col[r] = m.data[r * m.cols + c] as number;
        columns.push({ name: `x${c}`, kind: 'numeric', ...medianAndScale(col), hasMissing: false });
        yield;
      }
      return new Preprocessor({ input: 'matrix', columns, ...common });
    }
    const records = input;
    if (records.length === 0) throw new AppliedMLError('E_INPUT_INVALID', 'training data is empty: give at least one record.');
    for (const [field, kind] of Object.entries(options.schema ?? {}))
      if (!['numeric', 'categorical', 'timestamp'].includes(kind))
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `preprocess.schema.${field} must be one of numeric, categorical, timestamp (got ${shown(kind)}).`,
          { details: { field } },
        );
    const names: string[] = [];
    const seen = new Set<string>();
    for (const [r, rec] of records.entries()) {
      if (r > 0 && r % TRANSFORM_BLOCK === 0) yield;
      if (typeof rec !== 'object' || rec === null || Array.isArray(rec))
        throw new AppliedMLError('E_INPUT_INVALID', `training data: row ${r} is not a record (got ${shown(rec)}).`, {
          details: { row: r },
        });
      for (const k of Object.keys(rec)) {
        if (!seen.has(k)) {
          seen.add(k);
          names.push(k);
        }
      }
    }
    if (common.required) checkRequired(records, common.required, 'training data');
    const columns: FittedColumn[] = [];
    const notes: string[] = [];
    const timeFeatures: TimeFeatures[] = [];
    for (const name of names) {
      const values = records.map((r) => fieldOf(r, name));
      values.forEach((v, i) => checkCell(v, name, i, 'training data'));
      const kind = schemaKind(options.schema, name) ?? inferKind(values, name, notes);
      if (kind === 'numeric') {
        const present: number[] = [];
        let missing = false;
        values.forEach((v, i) => {
          if (MISSING(v)) missing = true;
          else present.push(toNumber(v, name, i));
        });
        columns.push({ name, kind, ...medianAndScale(present), hasMissing: missing });
      } else if (kind === 'categorical') {
        const levels = [...new Set(values.filter((v) => !MISSING(v)).map((v) => String(v)))].sort();
        columns.push({ name, kind, levels: levels.length <= maxOneHot ? levels : null, buckets });
      } else {
        const unit = options.timeUnit ?? epochUnit(values) ?? earlySecondsUnit(values) ?? 'ms';
        let lo = Infinity;
        let hi = -Infinity;
        const hourCounts = new Array<number>(24).fill(0);
        const weekdayCounts = new Array<number>(7).fill(0);
        const times: number[] = [];
        values.forEach((v, i) => {
          if (MISSING(v)) return;
          const t = toTime(epochNumber(v) ?? v, name, i, unit);
          if (t < lo) lo = t;
          if (t > hi) hi = t;
          times.push(t);
          const d = new Date(t);
          (hourCounts[d.getUTCHours()] as number)++;
          (weekdayCounts[d.getUTCDay()] as number)++;
        });
        let rarity = {};
        if (timeEncoding === 'rarity') {
          const cover = coverOf(times);
          // Both: enough distinct days (hours) — a stray adds one, not its distance — and the middle
          // 98 % of the times spanning them — a few back-dated records (13 strays on 13 earlier days
          // beside 3,000 times of one day) are not two weeks of data.
          const weekdayRarity = cover.days >= RARITY_MIN_DAYS && cover.trimmedDays >= RARITY_MIN_DAYS;
          const hourRarity = weekdayRarity || (cover.clockHours >= RARITY_MIN_HOURS && cover.trimmedHours >= RARITY_MIN_HOURS);
          rarity = { encoding: 'rarity' as const, hourCounts, weekdayCounts, hourRarity, weekdayRarity };
          timeFeatures.push({ field: name, hourRarity, weekdayRarity, days: cover.days, clockHours: cover.clockHours });
          if (times.length > 0 && !(hourRarity && weekdayRarity)) notes.push(shortTimesNote(name, cover, hourRarity));
        }
        columns.push({ name, kind, unit, ...(lo <= hi ? { range: [lo, hi] as [number, number] } : {}), ...rarity });
      }
      yield;
    }
    const pre = new Preprocessor({ input: 'records', columns, ...common });
    pre.notes.push(...notes);
    pre.timeFeatures.push(...timeFeatures);
    return pre;
  }

  /** Output features, in order. */
  get features(): FeatureInfo[] {
    const out: FeatureInfo[] = [];
    for (const c of this.state.columns) {
      if (c.kind === 'numeric') {
        out.push({ name: c.name, column: c.name });
        if (c.hasMissing) out.push({ name: `${c.name}:missing`, column: c.name });
      } else if (c.kind === 'categorical') {
        if (c.levels) for (const l of c.levels) out.push({ name: `${c.name}=${l}`, column: c.name });
        else for (let b = 0; b < c.buckets; b++) out.push({ name: `${c.name}#${b}`, column: c.name });
      } else if (c.encoding === 'rarity') {
        out.push({ name: `${c.name}:hour_rarity`, column: c.name }, { name: `${c.name}:weekday_rarity`, column: c.name });
      } else {
        out.push(
          { name: `${c.name}:hour_sin`, column: c.name },
          { name: `${c.name}:hour_cos`, column: c.name },
          { name: `${c.name}:weekend`, column: c.name },
        );
      }
    }
    return out;
  }

  /** Raw numeric value of a numeric column for a row, for explanations (undefined for other kinds). */
  rawNumeric(input: TabularInput, row: number, column: string): number | undefined {
    const idx = this.state.columns.findIndex((c) => c.name === column);
    const col = this.state.columns[idx];
    if (!col || col.kind !== 'numeric') return undefined;
    if (this.state.input === 'matrix') {
      if (isMatrix(input)) return input.data[row * input.cols + idx];
      return (input as ReadonlyArray<ArrayLike<number>>)[row]?.[idx];
    }
    const rec = (input as ReadonlyArray<TabularRecord>)[row];
    const v = rec ? fieldOf(rec, column) : undefined;
    return MISSING(v) ? undefined : typeof v === 'string' ? numberCell(v) : Number(v);
  }

  /** A record field's value as given, for explanations (undefined for numeric rows or a missing value). */
  rawValue(input: TabularInput, row: number, column: string): unknown {
    if (this.state.input === 'matrix' || !isRecords(input)) return undefined;
    const rec = input[row];
    const v = rec ? fieldOf(rec, column) : undefined;
    return MISSING(v) ? undefined : v;
  }

  /** A timestamp field's time (epoch ms) for explanations, read as `transform` reads it; undefined if absent. */
  timeValue(input: TabularInput, row: number, column: string): number | undefined {
    const col = this.state.columns.find((c) => c.name === column);
    const v = this.rawValue(input, row, column);
    if (!col || col.kind !== 'timestamp' || v === undefined) return undefined;
    return toTime(epochNumber(v) ?? v, column, row, col.unit);
  }

  /**
   * For a 'rarity' timestamp column: the share of training times in `t`'s UTC hour and weekday (as
   * counted, not smoothed), for explanations; undefined for other columns.
   */
  timeShares(column: string, t: number): { hour: number; weekday: number; hourRare: boolean; weekdayRare: boolean } | undefined {
    const col = this.state.columns.find((c) => c.name === column);
    if (!col || col.kind !== 'timestamp' || col.encoding !== 'rarity') return undefined;
    const hours = col.hourCounts as number[];
    const days = col.weekdayCounts as number[];
    const n = hours.reduce((a, b) => a + b, 0);
    const d = new Date(t);
    const [h, w] = [d.getUTCHours(), d.getUTCDay()];
    return {
      hour: n > 0 ? (hours[h] as number) / n : 0,
      weekday: n > 0 ? (days[w] as number) / n : 0,
      // Whether each is evidence at all (a rarity above 0): the reason names only those.
      hourRare: col.hourRarity !== false && rarityOf(hours, h) > 0,
      weekdayRare: col.weekdayRarity !== false && rarityOf(days, w) > 0,
    };
  }

  /** Transforms to the scaled feature matrix the detectors see. */
  transform(input: TabularInput): Matrix {
    return runSteps(this.transformSteps(input));
  }

  /** `transform` as steps that pause every `TRANSFORM_BLOCK` rows (nothing is returned until every row is checked). */
  *transformSteps(input: TabularInput): Steps<Matrix> {
    const s = this.state;
    if (input === null || typeof input !== 'object')
      throw new AppliedMLError('E_INPUT_INVALID', `input: expected records, rows of numbers or a matrix; got ${describeKind(input)}.`);
    if (s.input === 'matrix') {
      if (isRecords(input))
        throw new AppliedMLError('E_INPUT_INVALID', 'This model was trained on numeric rows; pass rows of numbers, not records.');
      const m = toMatrix(input as Matrix | ArrayLike<ArrayLike<number>>, s.columns.length, 'input');
      const out = new Float64Array(m.data.length);
      for (let r = 0; r < m.rows; r++) {
        for (let c = 0; c < m.cols; c++) {
          const col = s.columns[c] as NumericColumn;
          out[r * m.cols + c] = clipScaled(((m.data[r * m.cols + c] as number) - col.median) / col.scale);
        }
        if ((r + 1) % TRANSFORM_BLOCK === 0) yield;
      }
      return { data: out, rows: m.rows, cols: m.cols };
    }
    if (!isRecords(input)) {
      const n = (input as ArrayLike<unknown>).length;
      if (n === 0) throw new AppliedMLError('E_INPUT_INVALID', 'input is empty: give at least one record.');
      throw new AppliedMLError('E_INPUT_INVALID', 'This model was trained on records; pass objects with the training fields.');
    }
    const records = input;
    const width = this.features.length;
    if (records.length * width > MAX_CELLS) {
      throw new AppliedMLError(
        'E_INPUT_TOO_LARGE',
        `${records.length} records × ${width} features is over the per-call limit; score in chunks.`,
      );
    }
    const known = new Set(s.columns.map((c) => c.name));
    if (s.required) checkRequired(records, s.required, 'input');
    const out = new Float64Array(records.length * width);
    for (let r = 0; r < records.length; r++) {
      if (r > 0 && r % TRANSFORM_BLOCK === 0) yield;
      const rec = records[r] as TabularRecord;
      if (typeof rec !== 'object' || rec === null)
        throw new AppliedMLError('E_INPUT_INVALID', `Row ${r} is not a record.`, { details: { row: r } });
      if (s.extraFields === 'error') {
        for (const k of Object.keys(rec)) {
          if (!known.has(k))
            throw new AppliedMLError('E_INPUT_INVALID', `Row ${r} has field '${k}', which the model was not trained on.`, {
              details: { row: r, field: k },
            });
        }
      }
      let j = r * width;
      for (const c of s.columns) {
        const v = fieldOf(rec, c.name);
        checkCell(v, c.name, r, 'input');
        if (c.kind === 'numeric') {
          const miss = MISSING(v);
          out[j++] = miss ? 0 : clipScaled((toNumber(v, c.name, r) - c.median) / c.scale);
          if (c.hasMissing) out[j++] = miss ? 1 : 0;
        } else if (c.kind === 'categorical') {
          const size = c.levels ? c.levels.length : c.buckets;
          if (!MISSING(v)) {
            const text = String(v);
            if (c.levels) {
              const k = c.levels.indexOf(text);
              if (k >= 0) out[j + k] = 1;
              else if (s.unknownCategory === 'error') {
                throw new AppliedMLError('E_INPUT_INVALID', `Row ${r}, field '${c.name}': category '${text}' was not seen in training.`, {
                  details: { row: r, field: c.name, value: text },
                });
              }
            } else out[j + (fnv1a(text) % c.buckets)] = 1;
          }
          j += size;
        } else {
          if (MISSING(v)) j += c.encoding === 'rarity' ? 2 : 3;
          else {
            const n = epochNumber(v);
            const numeric = n !== undefined;
            const t = toTime(n ?? v, c.name, r, c.unit);
            // Only numbers can be in the wrong unit (a birth date in 1915 is a date, not a mix-up).
            if (numeric && c.range && (t < c.range[0] - TIME_MARGIN_MS || t > c.range[1] + TIME_MARGIN_MS))
              throw new AppliedMLError(
                'E_INPUT_INVALID',
                `Row ${r}, field '${c.name}': an epoch number more than 20 years from the training times: are these epoch ${c.unit === 's' ? 'seconds' : 'milliseconds'}, as in training?`,
                { details: { row: r, field: c.name, reason: 'timestamp-off-clock' } },
              );
            const d = new Date(t);
            if (c.encoding === 'rarity') {
              out[j++] = c.hourRarity === false ? 0 : rarityOf(c.hourCounts as number[], d.getUTCHours());
              out[j++] = c.weekdayRarity === false ? 0 : rarityOf(c.weekdayCounts as number[], d.getUTCDay());
              continue;
            }
            const hour = d.getUTCHours() + d.getUTCMinutes() / 60;
            out[j++] = Math.sin((2 * Math.PI * hour) / 24);
            out[j++] = Math.cos((2 * Math.PI * hour) / 24);
            const dow = d.getUTCDay();
            out[j++] = dow === 0 || dow === 6 ? 1 : 0;
          }
        }
      }
    }
    return { data: out, rows: records.length, cols: width };
  }
}
