import { AppliedMLError, checkKnownKeys, describeKind, describeValue, keepKnownKeys, parseDateCell } from '@appliedml/engine';
import { amountHint, numberCell } from './amounts';
import { checkNoHoles } from './option-lists';
import type { TransactionInput } from './transaction';

/** A card transaction. `card` keys the entity state; other fields are optional. */
export interface Transaction {
  card: string;
  /**
   * A number from 0 to 1e9. Text from a feed is read as a record's numeric cell is ('1234.5', '1,234.50'
   * with commas between thousands); a currency sign or code, a decimal comma, spaced digit groups or
   * '(1,234.50)' are refused (E_INPUT_INVALID), not guessed.
   */
  amount: number;
  /** Epoch milliseconds (epoch seconds with `timeUnit: 's'`), a Date or an ISO string. */
  timestamp: number | string | Date;
  merchant?: string;
  country?: string;
}

export interface StreamFeatureOptions {
  /** Velocity windows in seconds (default 1 h and 24 h). */
  windowsSeconds?: number[];
  /** Past transactions kept per card (default 64): windows and medians look at most this far back. */
  historySize?: number;
  /**
   * Cards tracked at once (default 100,000); the least recently seen card is forgotten first. This is
   * the memory bound: a full card (`historySize` 64, 32 merchants and countries, 16-character ids) takes
   * about 5.3 KB of heap, about 0.5 GB at the default; 21 KB with 256-character ids (docs/fraud.md, Limits).
   */
  maxEntities?: number;
  /** Distinct merchants / countries remembered per card (default 32, oldest forgotten first). */
  maxSeenPerEntity?: number;
  /**
   * `card_history` counts the card's earlier transactions up to this many (default 10): past it a card
   * is established and the feature stops growing, so unsupervised detectors do not flag cards for
   * being older than any card in the training stream. Card state saved before this option existed
   * loads with the old behaviour (counted up to `historySize`).
   */
  historyCap?: number;
  /**
   * What a numeric `timestamp` counts: `'ms'` (default, as `Date.now()`) or `'s'` (Unix seconds, as
   * many payment APIs send them). Dates and ISO strings are read the same either way.
   */
  timeUnit?: TimeUnit;
}

/** The unit of numeric transaction timestamps. */
export type TimeUnit = 'ms' | 's';

/** The numeric features for one transaction, computed from the card's state before it. */
export type TransactionFeatureRow = Record<string, number>;

/** A card's state as it is held and as the scorer's card files store it (`cards.jsonl` + `history.f64`). */
export interface CardRecord {
  times: number[];
  amounts: number[];
  merchants: string[];
  countries: string[];
  /** When each merchant / country was first seen, parallel to the lists. */
  merchantSince: number[];
  countrySince: number[];
}

interface EntityState extends CardRecord {
  /** When the card was last seen, as a count of updates: its place in the least-recently-seen order. */
  seq: number;
}

/** A card's state as saved: first-seen times as [name, time] pairs (absent in states saved before them). */
export interface SavedEntityState {
  times: number[];
  amounts: number[];
  merchants: string[];
  countries: string[];
  merchantFirstSeen?: Array<[string, number]>;
  countryFirstSeen?: Array<[string, number]>;
}

/** The first-seen time of a merchant / country a saved state gives none for: before any transaction. */
const SEEN_BEFORE_ALL = -8.64e15;

export interface StreamState {
  options: Required<StreamFeatureOptions>;
  entities: Array<[string, SavedEntityState]>;
  /**
   * How the features are computed: 2 since a card whose median amount is 0 reads its amount against
   * one cent; absent (1) in states saved before, whose detectors learnt a ratio of 1 for such cards.
   */
  version?: number;
}

/** The feature computation new states are written with (see `StreamState.version`). */
const FEATURE_VERSION = 2;

const MAX_AMOUNT = 1e9;
/** Latest millisecond a Date holds. */
const MAX_DATE_MS = 8.64e15;
const STREAM_OPTION_KEYS = ['windowsSeconds', 'historySize', 'maxEntities', 'maxSeenPerEntity', 'historyCap', 'timeUnit'] as const;

/** The median `amount_vs_card_median` divides by when a card's median amount is 0. */
export const ZERO_MEDIAN_FLOOR = 0.01;

/**
 * Epoch ms of a time value: a Date, a number in `unit`, or an ISO 8601 string (one without an offset
 * in UTC fields, the same on every server; other text is no time). NaN when it is no time or lies
 * beyond what a Date holds (±8.64e15 ms around 1970).
 */
export function epochMs(v: unknown, unit: TimeUnit = 'ms'): number {
  const t =
    v instanceof Date
      ? v.getTime()
      : typeof v === 'number'
        ? unit === 's'
          ? v * 1000
          : v
        : typeof v === 'string'
          ? (parseDateCell(v)?.getTime() ?? NaN)
          : NaN;
  return Number.isFinite(t) && Math.abs(t) <= 8.64e15 ? t : NaN;
}

/** What a refused timestamp was, without quoting it ('an invalid Date', 'an object', 'NaN'; it said 'a object'). */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (v instanceof Date) return 'an invalid Date';
  if (typeof v === 'number') return Number.isFinite(v) ? 'a number out of range' : String(v);
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * A transaction's time in epoch milliseconds (E_INPUT_INVALID when it is no time): a Date, a number in
 * `unit`, or an ISO 8601 string (one without an offset is read in UTC fields, the same on every server;
 * other text is refused). Under 's' a number of 1e11 or more (after the year 5000) is refused: it is
 * epoch milliseconds sent to a seconds scorer.
 */
export function transactionTime(tx: Transaction, unit: TimeUnit = 'ms'): number {
  const v = tx.timestamp;
  const t = epochMs(v, unit);
  if (Number.isNaN(t))
    // The value is not quoted: services pass SDK messages to their clients, and answers never echo input.
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `Transaction timestamp is not a time (got ${kindOf(v)}): give a Date, epoch ${unit === 's' ? 'seconds' : 'milliseconds'} or an ISO 8601 string.`,
      { details: { field: 'timestamp' } },
    );
  if (unit === 's' && typeof v === 'number' && Math.abs(v) >= 1e11)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      "Transaction timestamp is a number of 1e11 or more, which as Unix seconds is after the year 5000: it looks like epoch milliseconds, and this scorer reads numbers as seconds (timeUnit: 's').",
      { details: { field: 'timestamp', reason: 'timestamp-off-clock' } },
    );
  return t;
}

/**
 * The longest identifier a transaction may carry, in UTF-16 code units (JavaScript's `length`): `card`,
 * `merchant` and `country` are at most this long; a longer one is `E_INPUT_INVALID`
 * (`checkTransaction`). Services taking transactions can bound their request schema by it.
 */
export const MAX_ID_CHARS = 256;

/**
 * Validates one transaction's required fields (E_INPUT_INVALID with the field named) as the scorer reads
 * them: an amount may be text the SDK reads as a number (`parseAmount`: `'1,234.50'`), as `score` and
 * `update` take it; the transaction itself is not changed (`amount` stays text).
 */
export function checkTransaction(tx: unknown, unit: TimeUnit = 'ms'): asserts tx is TransactionInput {
  if (unit !== 'ms' && unit !== 's')
    throw new AppliedMLError('E_INPUT_INVALID', `The time unit must be 'ms' or 's' (got ${describeValue(unit)}).`, {
      details: { field: 'timeUnit' },
    });
  if (typeof tx !== 'object' || tx === null) throw new AppliedMLError('E_INPUT_INVALID', 'A transaction must be an object.');
  const t = tx as Record<string, unknown>;
  if (typeof t.card !== 'string' || t.card.length === 0 || t.card.length > MAX_ID_CHARS) {
    throw new AppliedMLError('E_INPUT_INVALID', `Transaction field card must be a non-empty string (≤ ${MAX_ID_CHARS} chars).`, {
      details: { field: 'card' },
    });
  }
  const amount = typeof t.amount === 'string' ? numberCell(t.amount) : t.amount;
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0 || amount > MAX_AMOUNT) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `Transaction field amount must be a finite number in [0, ${MAX_AMOUNT}] (got ${typeof t.amount === 'number' ? String(t.amount) : describeValue(t.amount)}${typeof t.amount === 'string' ? amountHint(t.amount) : ''}).`,
      {
        details: { field: 'amount' },
      },
    );
  }
  // Bounded like the card: up to 32 of each are kept per card, and saved.
  for (const k of ['merchant', 'country'] as const) {
    const v = t[k];
    if (v !== undefined && (typeof v !== 'string' || v.length > MAX_ID_CHARS))
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `Transaction field ${k} must be a string (≤ ${MAX_ID_CHARS} chars)${typeof v === 'string' ? `; got ${v.length} chars` : ''}.`,
        { details: { field: k } },
      );
  }
  transactionTime(t as unknown as Transaction, unit);
}

/**
 * A checked copy of a transaction: each field read once (a getter or a Proxy answering one thing to the
 * check and another to the use cannot slip a NaN into a card's state), then checked as `checkTransaction`
 * does. A field whose read throws is E_INPUT_INVALID naming it.
 */
export function readTransaction(tx: unknown, unit: TimeUnit = 'ms'): Transaction {
  if (typeof tx !== 'object' || tx === null) throw new AppliedMLError('E_INPUT_INVALID', 'A transaction must be an object.');
  const copy: Record<string, unknown> = {};
  for (const field of ['card', 'amount', 'timestamp', 'merchant', 'country'] as const) {
    let value: unknown;
    try {
      value = (tx as Record<string, unknown>)[field];
      // A Date is an object too: its time is read once here (a subclass or a Proxy cannot answer later reads otherwise).
      if (value instanceof Date) value = new Date(Date.prototype.getTime.call(value));
    } catch (cause) {
      throw new AppliedMLError('E_INPUT_INVALID', `Transaction field ${field} could not be read.`, { cause, details: { field } });
    }
    if (value !== undefined) copy[field] = value;
  }
  // An amount given as text ('1234.5', '1,234.50', as a CSV or JSON feed carries it) is read as a record's
  // numeric cell is (training a FraudDetector on records, the demo's files): other text, a currency sign
  // or a decimal comma among it, is refused below.
  if (typeof copy.amount === 'string') copy.amount = numberCell(copy.amount) ?? copy.amount;
  checkTransaction(copy, unit);
  // A text amount the check passed was read into a number above.
  return copy as Transaction;
}

/** Median of the first `count` values (sorted on a copy). */
function median(values: number[], count: number): number {
  const s = values.slice(0, count).sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * Streaming per-card features with bounded memory: velocity counts and sums over windows, the
 * amount relative to the card's median, time since the card's last transaction, and new-merchant /
 * new-country flags. Features describe a transaction against the state *before* it.
 */
export class TransactionFeatures {
  readonly options: Required<StreamFeatureOptions>;
  private readonly entities = new Map<string, EntityState>();
  /** Updates so far: each card's `seq`. */
  private seq = 0;
  /**
   * One iterator over the cards for forgetting the least recently seen, kept between updates: a new
   * `keys()` each time starts at the table's first slot and skips every card deleted since V8 last
   * rehashed it (up to ~170 µs an update with millions of distinct cards). Everything before this
   * iterator's place has been forgotten or moved to the end, so its next card is always the oldest.
   */
  private evictor: Iterator<string> | undefined;
  /** During `batch`: each card's state before the batch first changed it (null: it was not there). */
  private journal: Map<string, EntityState | null> | undefined;
  /** Version 1 (a card state saved before version 2): a zero median gives a ratio of 1, as it was learnt. */
  private version = FEATURE_VERSION;
  /**
   * A `replay` view only: the state it reads through. A card is copied from it when the view first
   * updates it, and forgotten in the view only; `base` itself is never changed.
   */
  private base: TransactionFeatures | undefined;
  /** A `replay` view only: the base's cards the view has copied or forgotten (no longer read from the base). */
  private readonly shadowed = new Set<string>();
  /** A `replay` view only: the base's cards from the least recently seen, for the view's forgetting. */
  private baseEvictor: Iterator<string> | undefined;

  constructor(options: StreamFeatureOptions = {}) {
    checkKnownKeys('TransactionFeatures options', options, STREAM_OPTION_KEYS);
    const windowsSeconds = options.windowsSeconds ?? [3600, 86400];
    // By index: `some` below skips an empty slot, and `[, 86400]` lost its hour window without a word.
    checkNoHoles('windowsSeconds', windowsSeconds);
    if (
      !Array.isArray(windowsSeconds) ||
      windowsSeconds.length === 0 ||
      windowsSeconds.length > 16 ||
      windowsSeconds.some((w) => !(typeof w === 'number' && w > 0 && w <= 3.2e7))
    )
      throw new AppliedMLError('E_INPUT_INVALID', 'windowsSeconds must be a list of 1 to 16 positive numbers of seconds (at most a year).');
    if (new Set(windowsSeconds).size !== windowsSeconds.length)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `windowsSeconds lists a window twice (${windowsSeconds.join(', ')}): each gives the same features.`,
        {
          details: { field: 'windowsSeconds' },
        },
      );
    this.options = {
      windowsSeconds,
      historySize: options.historySize ?? 64,
      maxEntities: options.maxEntities ?? 100_000,
      maxSeenPerEntity: options.maxSeenPerEntity ?? 32,
      historyCap: options.historyCap ?? 10,
      timeUnit: options.timeUnit ?? 'ms',
    };
    if (this.options.timeUnit !== 'ms' && this.options.timeUnit !== 's')
      throw new AppliedMLError('E_INPUT_INVALID', `timeUnit must be 'ms' or 's' (got ${String(this.options.timeUnit)}).`, {
        details: { field: 'timeUnit' },
      });
    for (const [name, max] of [
      ['historySize', 100_000],
      ['maxEntities', 100_000_000],
      ['maxSeenPerEntity', 100_000],
      ['historyCap', 100_000],
    ] as const) {
      const v = this.options[name];
      if (!(Number.isInteger(v) && v >= 1 && v <= max))
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `${name} must be an integer from 1 to ${max} (got ${String(v)}): it bounds the memory the card state takes.`,
          {
            details: { field: name },
          },
        );
    }
  }

  /** Restores saved card state; a malformed one is `E_BUNDLE_CORRUPT` (it is read back from disk). */
  static fromState(state: StreamState): TransactionFeatures {
    if (state === null || typeof state !== 'object' || !Array.isArray(state.entities))
      throw new AppliedMLError('E_BUNDLE_CORRUPT', 'The stored card state is not { options, entities }.');
    const pairs = (a: unknown): boolean =>
      Array.isArray(a) && a.every((p) => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'number' && Number.isFinite(p[1]));
    const lists = (v: Partial<SavedEntityState>): boolean =>
      Array.isArray(v.times) && Array.isArray(v.amounts) && Array.isArray(v.merchants) && Array.isArray(v.countries);
    // Times are looked up by name: a list changed by a version that kept no times still lines up.
    const since = (names: string[], seen: Array<[string, number]> | undefined): number[] => {
      const byName = new Map(seen ?? []);
      return names.map((name) => byName.get(name) ?? SEEN_BEFORE_ALL);
    };
    // Copies of the saved lists (the caller keeps its state), checked as `fromCards` checks cards.
    return TransactionFeatures.restore(state, state.entities, (entry) => {
      const [k, v] = (Array.isArray(entry) ? entry : []) as [unknown, Partial<SavedEntityState> | undefined];
      if (
        typeof k !== 'string' ||
        !v ||
        !lists(v) ||
        (v.merchantFirstSeen !== undefined && !pairs(v.merchantFirstSeen)) ||
        (v.countryFirstSeen !== undefined && !pairs(v.countryFirstSeen))
      )
        return [k, undefined];
      return [
        k,
        {
          times: [...v.times!],
          amounts: [...v.amounts!],
          merchants: [...v.merchants!],
          countries: [...v.countries!],
          merchantSince: since(v.merchants!, v.merchantFirstSeen),
          countrySince: since(v.countries!, v.countryFirstSeen),
        },
      ];
    });
  }

  /**
   * Restores card state from `header` (the options and feature version saved beside the cards) and
   * `cards` as the scorer's card files hold them, least recently seen first. The cards' lists are taken
   * as they are, not copied: the caller must not use them afterwards. Checked as `fromState` checks a
   * saved state (`E_BUNDLE_CORRUPT`).
   */
  static fromCards(header: Omit<StreamState, 'entities'>, cards: ReadonlyArray<readonly [string, CardRecord]>): TransactionFeatures {
    if (header === null || typeof header !== 'object')
      throw new AppliedMLError('E_BUNDLE_CORRUPT', 'The stored card state is not { options, entities }.');
    return TransactionFeatures.restore(header, cards, (entry) => entry);
  }

  /** `fromState` and `fromCards`: the options, then each card as `card` makes it (undefined: malformed), checked. */
  private static restore<T>(
    header: Omit<StreamState, 'entities'>,
    entries: ReadonlyArray<T>,
    card: (entry: T) => readonly [unknown, CardRecord | undefined],
  ): TransactionFeatures {
    const corrupt = (why: string): AppliedMLError => new AppliedMLError('E_BUNDLE_CORRUPT', `The stored card state ${why}.`);
    let f: TransactionFeatures;
    try {
      // A field a later version saved beside the options is ignored; options that are no object are refused.
      const saved: StreamFeatureOptions =
        header.options === undefined
          ? {}
          : typeof header.options === 'object' && header.options !== null
            ? keepKnownKeys(header.options, STREAM_OPTION_KEYS)
            : header.options;
      // Saved before duplicate windows were refused: a repeated window gave the same features, so one is kept.
      const options = Array.isArray(saved.windowsSeconds) ? { ...saved, windowsSeconds: [...new Set(saved.windowsSeconds)] } : saved;
      // Saved before historyCap existed: card_history was counted up to historySize, so it stays so.
      f = new TransactionFeatures(
        typeof options === 'object' && options !== null && !('historyCap' in options)
          ? { ...options, historyCap: options.historySize ?? 64 }
          : options,
      );
    } catch (cause) {
      throw new AppliedMLError('E_BUNDLE_CORRUPT', `The stored card state has invalid options: ${(cause as Error).message}`, { cause });
    }
    const numbers = (a: unknown): boolean => Array.isArray(a) && a.every((v) => typeof v === 'number' && Number.isFinite(v));
    const strings = (a: unknown): boolean => Array.isArray(a) && a.every((v) => typeof v === 'string');
    if (entries.length > f.options.maxEntities)
      throw corrupt(`holds ${entries.length} cards, over its maxEntities (${f.options.maxEntities})`);
    // Times as a Date holds them (kept in ms whatever the input's unit), amounts as a transaction may carry them.
    const maxTime = MAX_DATE_MS;
    for (const entry of entries) {
      const [k, v] = card(entry);
      if (
        typeof k !== 'string' ||
        !v ||
        !numbers(v.times) ||
        !v.times.every((time, j) => Math.abs(time) <= maxTime && (j === 0 || (v.times[j - 1] as number) <= time)) ||
        v.times.length > f.options.historySize ||
        !numbers(v.amounts) ||
        !v.amounts.every((a) => a >= 0 && a <= MAX_AMOUNT) ||
        v.times.length !== v.amounts.length ||
        !strings(v.merchants) ||
        !strings(v.countries) ||
        v.merchants.length > f.options.maxSeenPerEntity ||
        v.countries.length > f.options.maxSeenPerEntity ||
        !numbers(v.merchantSince) ||
        !numbers(v.countrySince) ||
        v.merchantSince.length !== v.merchants.length ||
        v.countrySince.length !== v.countries.length
      )
        throw corrupt(`holds a malformed card entry (${typeof k === 'string' ? k.slice(0, 40) : describeKind(k)})`);
      f.entities.set(k, {
        times: v.times,
        amounts: v.amounts,
        merchants: v.merchants,
        countries: v.countries,
        merchantSince: v.merchantSince,
        countrySince: v.countrySince,
        seq: ++f.seq,
      });
    }
    const version = header.version ?? 1;
    if (version !== 1 && version !== FEATURE_VERSION)
      throw corrupt(`has feature version ${String(version)}, which this version does not know`);
    f.version = version;
    return f;
  }

  /** The options and feature version, which a save writes beside the cards. */
  stateHeader(): Omit<StreamState, 'entities'> {
    return { options: this.options, version: this.version };
  }

  /**
   * The cards, least recently seen first, as they are held (not copied, so a save of 100,000 full cards
   * does not need a second state's memory): for writing them out while nothing changes the state, as
   * the scorer's saves do (they run after the calls before them and before the calls after).
   */
  *cards(): IterableIterator<readonly [string, Readonly<CardRecord>]> {
    for (const [card, e] of this.entities) yield [card, e];
  }

  toState(): StreamState {
    const pairsOf = (names: string[], since: number[]): Array<[string, number]> => names.map((name, i) => [name, since[i] as number]);
    return {
      options: this.options,
      version: this.version,
      entities: [...this.entities.entries()].map(([card, e]) => [
        card,
        {
          times: [...e.times],
          amounts: [...e.amounts],
          merchants: [...e.merchants],
          countries: [...e.countries],
          merchantFirstSeen: pairsOf(e.merchants, e.merchantSince),
          countryFirstSeen: pairsOf(e.countries, e.countrySince),
        },
      ]),
    };
  }

  get size(): number {
    return this.entities.size + (this.base ? this.base.entities.size - this.shadowed.size : 0);
  }

  /** A card's state: its own, else (in a `replay` view) the base's unless the view copied or forgot it. */
  private entity(card: string): EntityState | undefined {
    return this.entities.get(card) ?? (this.base && !this.shadowed.has(card) ? this.base.entities.get(card) : undefined);
  }

  /**
   * The features `update` would give each transaction, one after another in the order given, without
   * changing the state: a view copies a card only when a transaction first touches it (copy on write)
   * and forgets, in the view alone, the least recently seen cards `update` would forget on the way. The
   * cost is a copy of each card the transactions touch, not of the whole state (`calibrate` copied and
   * re-checked every card: 0.4 s for 2 transactions at 100,000 cards).
   */
  replay(transactions: readonly Transaction[]): TransactionFeatureRow[] {
    const view = new TransactionFeatures(this.options);
    view.version = this.version;
    view.base = this;
    return transactions.map((tx) => view.update(tx));
  }

  get featureNames(): string[] {
    const w = this.options.windowsSeconds.flatMap((s) => [`count_${label(s)}`, `sum_${label(s)}`]);
    return ['amount', ...w, 'amount_vs_card_median', 'log_seconds_since_last', 'new_merchant', 'new_country', 'card_history'];
  }

  /**
   * Features of `tx` against the card's state, without changing the state. A late transaction (older
   * than the card's latest) sees only the history up to its own time: windows, median, time since last.
   */
  peek(transaction: Transaction): TransactionFeatureRow {
    const tx = readTransaction(transaction, this.options.timeUnit);
    return this.rowOf(tx, transactionTime(tx, this.options.timeUnit));
  }

  /** `peek` of a checked copy `tx` at its time `t` (epoch ms). */
  private rowOf(tx: Transaction, t: number): TransactionFeatureRow {
    const e = this.entity(tx.card);
    const times = e?.times ?? [];
    const amounts = e?.amounts ?? [];
    // The stored times are ordered: the history before `tx` is the prefix up to its time.
    const end = countUpTo(times, t);
    const row: TransactionFeatureRow = { amount: tx.amount };
    for (const s of this.options.windowsSeconds) {
      let count = 0;
      let sum = 0;
      for (let i = end - 1; i >= 0; i--) {
        if (t - (times[i] as number) > s * 1000) break;
        count++;
        sum += amounts[i] as number;
      }
      row[`count_${label(s)}`] = count;
      row[`sum_${label(s)}`] = sum;
    }
    const med = end > 0 ? median(amounts, end) : 0;
    // A card whose median is 0 (zero-amount verifications, a classic card-testing prelude) has no scale:
    // the ratio is taken to one cent, so a large charge after them reads as large, not as 1 (typical).
    row.amount_vs_card_median =
      end === 0 || tx.amount === med ? 1 : this.version >= 2 ? tx.amount / Math.max(med, ZERO_MEDIAN_FLOOR) : med > 0 ? tx.amount / med : 1;
    const last = end > 0 ? times[end - 1] : undefined;
    row.log_seconds_since_last = last === undefined ? Math.log1p(30 * 86400) : Math.log1p(Math.max(0, t - last) / 1000);
    // New = not seen on this card by the transaction's time; a card's first transaction is flagged neither way.
    row.new_merchant = e && end > 0 && tx.merchant !== undefined ? (seenBy(e.merchants, e.merchantSince, tx.merchant, t) ? 0 : 1) : 0;
    row.new_country = e && end > 0 && tx.country !== undefined ? (seenBy(e.countries, e.countrySince, tx.country, t) ? 0 : 1) : 0;
    row.card_history = Math.min(end, this.options.historyCap);
    return row;
  }

  /** Features of `tx`, then adds it to the card's state. */
  update(transaction: Transaction): TransactionFeatureRow {
    const tx = readTransaction(transaction, this.options.timeUnit);
    const t = transactionTime(tx, this.options.timeUnit);
    const row = this.rowOf(tx, t);
    let e = this.entities.get(tx.card);
    if (!e && this.base && !this.shadowed.has(tx.card)) {
      // A replay view's first change to a card of its base: a copy, the base's own left as it was.
      const kept = this.base.entities.get(tx.card);
      if (kept) {
        e = copyEntity(kept);
        this.shadowed.add(tx.card);
      }
    }
    if (this.journal && !this.journal.has(tx.card)) this.journal.set(tx.card, e ? copyEntity(e) : null);
    if (e) this.entities.delete(tx.card);
    else e = { times: [], amounts: [], merchants: [], countries: [], merchantSince: [], countrySince: [], seq: 0 };
    e.seq = ++this.seq;
    this.entities.set(tx.card, e);
    // Keep times ordered: a late transaction is inserted in place.
    const i = countUpTo(e.times, t);
    e.times.splice(i, 0, t);
    e.amounts.splice(i, 0, tx.amount);
    if (e.times.length > this.options.historySize) {
      e.times.shift();
      e.amounts.shift();
    }
    remember(e.merchants, e.merchantSince, tx.merchant, t, this.options.maxSeenPerEntity);
    remember(e.countries, e.countrySince, tx.country, t, this.options.maxSeenPerEntity);
    if (this.size > this.options.maxEntities) this.forgetOldest();
    return row;
  }

  /** Forgets the least recently seen card. */
  private forgetOldest(): void {
    if (this.base) {
      // A replay view: the base's cards it has not touched are older than every card of its own.
      this.baseEvictor ??= this.base.entities.keys();
      for (let n = this.baseEvictor.next(); !n.done; n = this.baseEvictor.next()) {
        if (this.shadowed.has(n.value)) continue;
        this.shadowed.add(n.value);
        return;
      }
    }
    let next = this.evictor?.next();
    if (!next || next.done) {
      this.evictor = this.entities.keys();
      next = this.evictor.next();
    }
    if (next.done) return;
    const oldest = next.value;
    // Forgotten, not changed: the state object itself is what the batch's undo puts back.
    if (this.journal && !this.journal.has(oldest)) this.journal.set(oldest, this.entities.get(oldest) ?? null);
    this.entities.delete(oldest);
  }

  /**
   * Runs `work` (which may update cards, and wait) and keeps its changes only if it succeeds: when it
   * throws or rejects, every card it changed, added or forgot is put back as it was, in its place in the
   * least-recently-seen order. The cost is a copy of each card the batch touches, not of the whole state.
   * Batches do not nest.
   */
  async batch<T>(work: () => Promise<T>): Promise<T> {
    if (this.journal) throw new AppliedMLError('E_INTERNAL', 'TransactionFeatures batches do not nest.');
    const journal = new Map<string, EntityState | null>();
    this.journal = journal;
    try {
      return await work();
    } catch (error) {
      this.undo(journal);
      throw error;
    } finally {
      this.journal = undefined;
    }
  }

  private undo(journal: Map<string, EntityState | null>): void {
    const kept: Array<[string, EntityState]> = [];
    for (const [card, e] of this.entities) if (!journal.has(card)) kept.push([card, e]);
    for (const [card, e] of journal) if (e) kept.push([card, e]);
    kept.sort((a, b) => a[1].seq - b[1].seq);
    this.entities.clear();
    for (const [card, e] of kept) this.entities.set(card, e);
    this.evictor = undefined;
  }

  reset(): void {
    this.entities.clear();
    this.evictor = undefined;
  }
}

function copyEntity(e: EntityState): EntityState {
  return {
    times: [...e.times],
    amounts: [...e.amounts],
    merchants: [...e.merchants],
    countries: [...e.countries],
    merchantSince: [...e.merchantSince],
    countrySince: [...e.countrySince],
    seq: e.seq,
  };
}

/** How many of the ordered `times` are at or before `t` (scanning from the latest: late arrivals are rare). */
function countUpTo(times: number[], t: number): number {
  let n = times.length;
  while (n > 0 && (times[n - 1] as number) > t) n--;
  return n;
}

/** Whether `v` was seen by time `t` (the list keeps each one's first-seen time beside it). */
function seenBy(list: string[], since: number[], v: string, t: number): boolean {
  const i = list.indexOf(v);
  return i >= 0 && (since[i] as number) <= t;
}

/** Moves `v` to the most recent end of `list` (oldest forgotten past `max`), keeping its earliest sighting. */
function remember(list: string[], since: number[], v: string | undefined, t: number, max: number): void {
  if (v === undefined) return;
  const i = list.indexOf(v);
  let first = t;
  if (i >= 0) {
    first = Math.min(since[i] as number, t);
    list.splice(i, 1);
    since.splice(i, 1);
  }
  list.push(v);
  since.push(first);
  if (list.length > max) {
    list.shift();
    since.shift();
  }
}

function label(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
