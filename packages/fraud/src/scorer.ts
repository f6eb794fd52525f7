import { createHash } from 'node:crypto';
import { stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AppliedMLError,
  abortedError,
  checkKnownKeys,
  checkPathArgument,
  checkDevice,
  checkSignalOption,
  eventLoopTurns,
  throwIfAborted,
  describeValue,
  peekBundle,
  replaceDirAtomic,
  waitForSave,
  writeFileDurable,
  type BundleIdentity,
  type Device,
  type Logger,
  type SaveMarker,
} from '@appliedml/engine';
import {
  FraudDetector,
  explainConstantColumns,
  ratioText,
  type FraudDetectorConfig,
  type FraudEvaluation,
  type FraudPrediction,
  type FraudTrainingReport,
} from './detector';
import { openScorerFile, readCardFiles, writeCardFiles, type CardFiles } from './card-files';
import { readLabels } from './labels';
import { FRAUD_PACKAGE } from './version';
import type { ThresholdChoice, ThresholdRule } from './thresholds';
import {
  TransactionFeatures,
  ZERO_MEDIAN_FLOOR,
  readTransaction,
  transactionTime,
  type CardRecord,
  type TimeUnit,
  type StreamFeatureOptions,
  type StreamState,
  type Transaction,
  type TransactionFeatureRow,
} from './stream';
import type { TransactionInput } from './transaction';

export interface TransactionScorerConfig {
  detector?: FraudDetectorConfig;
  features?: StreamFeatureOptions;
}

export interface TransactionScore extends FraudPrediction {
  features: TransactionFeatureRow;
}

/**
 * Checked copies of a list of transactions (each read once, see `readTransaction`), or E_INPUT_INVALID
 * naming the first bad one.
 */
function readBatch(txs: unknown, what: string, unit: TimeUnit): Transaction[] {
  if (!Array.isArray(txs)) throw new AppliedMLError('E_INPUT_INVALID', `${what} needs an array of transactions.`);
  // In the scorer's words (the detector's said 'input is empty: give at least one record').
  if (txs.length === 0) throw new AppliedMLError('E_INPUT_INVALID', `${what} needs at least one transaction.`);
  return Array.from({ length: txs.length }, (_, i) => {
    try {
      return readTransaction((txs as unknown[])[i], unit);
    } catch (cause) {
      if (!AppliedMLError.isInstance(cause)) throw cause;
      throw new AppliedMLError(cause.code, `Transaction ${i}: ${cause.message}`, { cause, details: { ...cause.details, index: i } });
    }
  });
}

/** Labels as long as the transactions they belong to (E_SHAPE_MISMATCH otherwise). */
/** Labels checked in full before any transaction enters the card state (0 / 1; evaluation needs both). */
function checkLabels(labels: unknown, txs: readonly unknown[], bothClasses = false): number[] {
  const y = Array.from(readLabels(labels, txs.length, 'transactions'));
  if (bothClasses && (!y.includes(0) || !y.includes(1)))
    throw new AppliedMLError('E_INPUT_INVALID', 'Evaluation needs both fraud (1) and normal (0) transactions.');
  return y;
}

/** A scored time further than this from the scorer's times is on another clock (a unit mix-up), not a later day. */
const CLOCK_MARGIN_MS = 20 * 365.25 * 86_400_000;

/** Earliest and latest time of a batch, epoch ms. */
function timeSpan(txs: readonly Transaction[], unit: TimeUnit): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const tx of txs) {
    const t = transactionTime(tx, unit);
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  return [lo, hi];
}

/** E_INPUT_INVALID for the first numeric timestamp more than 20 years from `clock` (the times the scorer has seen): a unit mix-up. */
function checkClock(txs: readonly Transaction[], unit: TimeUnit, clock: [number, number] | undefined, what: string): void {
  if (!clock) return;
  txs.forEach((tx, i) => {
    // Only numbers can be in the wrong unit; a Date or an ISO string says what it is.
    if (typeof tx.timestamp !== 'number') return;
    const t = transactionTime(tx, unit);
    if (t >= clock[0] - CLOCK_MARGIN_MS && t <= clock[1] + CLOCK_MARGIN_MS) return;
    // Neither the value nor the scorer's dates are quoted: services pass SDK messages to their clients.
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${what}: transaction ${i}'s timestamp is more than 20 years from the times this scorer has seen: are its timestamps epoch ${unit === 's' ? 'seconds' : 'milliseconds'}, as in training?`,
      { details: { index: i, field: 'timestamp', reason: 'timestamp-off-clock' } },
    );
  });
}

/**
 * stream.json's layout: 2 is the card files (cards.jsonl, history.f64) beside it; 3 is 2 with `frozen`
 * (flags held at 0 when scoring), written only when a flag is frozen, so that a version reading up to 2
 * refuses that save as newer instead of scoring the flags live (a save with nothing frozen stays 2 and
 * loads there as before); absent in earlier saves (cards inside stream.json, or the card files from this
 * session before the field). This version reads up to SCORER_FORMAT; a later layout is
 * E_BUNDLE_INCOMPATIBLE "saved by a newer version", not "corrupt".
 */
export const SCORER_FORMAT = 3;

/** The layout a save without frozen flags writes (what versions before `frozen` read). */
const SCORER_FORMAT_UNFROZEN = 2;

/** Loads read the folder again at most this many times while saves keep replacing it. */
const LOAD_ATTEMPTS = 3;

/** What identifies a file's version on disk (a save writes a new stream.json into a new folder). */
async function statId(path: string): Promise<string | undefined> {
  try {
    const st = await stat(path, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return undefined;
  }
}

/**
 * stream.json's text and identity, from one open file; a missing or unreadable one is a typed error, and
 * so is a directory, FIFO or device in its place (`openScorerFile`: a FIFO blocked the load for ever).
 */
async function readStreamJson(dir: string): Promise<{ text: string; id: string }> {
  let handle: FileHandle | undefined;
  try {
    handle = await openScorerFile(dir, 'stream.json', dir, 'scorer file');
    const st = await handle.stat({ bigint: true });
    const text = await handle.readFile('utf8');
    return { text, id: `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}` };
  } catch (error) {
    // ENOTDIR: `dir` is a file (a path inside a file cannot exist), so there is no scorer there.
    const code = AppliedMLError.isInstance(error) ? error.details.reason : (error as NodeJS.ErrnoException).code;
    const missing = code === 'ENOENT' || code === 'ENOTDIR';
    const cause = AppliedMLError.isInstance(error) ? (error.cause ?? error) : error;
    // A folder holding some model's manifest but no stream.json is another kind of bundle, not a missing one.
    const bundle = code === 'ENOENT' ? await peekBundle(dir) : undefined;
    if (bundle)
      throw new AppliedMLError(
        'E_BUNDLE_INCOMPATIBLE',
        `${dir} holds ${bundleWords(bundle)}, not a transaction scorer (stream.json beside detector/): ${
          bundle.package === '@appliedml/fraud'
            ? 'load it with FraudDetector.load'
            : bundle.package
              ? `load it with ${bundle.package}'s own load`
              : "load it with that model's own load (a FraudDetector: FraudDetector.load)"
        }.`,
        { cause, details: { package: bundle.package, task: bundle.task } },
      );
    if (code === 'ENOTDIR')
      throw new AppliedMLError('E_BUNDLE_MISSING', `Transaction scorer at ${dir}: ${dir} is a file, not a scorer folder.`, { cause });
    // Missing, or not a regular file: openScorerFile's words.
    if (AppliedMLError.isInstance(error)) throw error;
    throw new AppliedMLError(
      missing ? 'E_BUNDLE_MISSING' : 'E_BUNDLE_CORRUPT',
      `Transaction scorer at ${dir}: stream.json ${missing ? 'is missing' : `cannot be read (${(error as Error).message})`}.`,
      { cause },
    );
  } finally {
    await handle?.close();
  }
}

/** 'a @appliedml/fraud model bundle (fraud-detection)', or 'a model bundle (manifest.json)' when it does not say. */
function bundleWords(bundle: BundleIdentity): string {
  if (!bundle.package) return 'a model bundle (manifest.json)';
  return `a ${bundle.package} model bundle${bundle.task ? ` (${bundle.task})` : ''}`;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * How a save tells an earlier scorer save, which it replaces whole, from a folder that merely holds a file
 * named stream.json (someone's own JSON, whose neighbours the swap would delete): the file must be what
 * every scorer save wrote, the shape `load` first looks for: a JSON object whose `format`, if there, is a
 * whole number from 1 (a later version's save counts: it is this package's, and `load` calls it newer, not
 * corrupt), with `state.options` an object and the cards either in card files (`cards`) or, in the first
 * saves, in `state.entities`. A damaged save of that shape is still replaced; anything else is refused
 * with E_INPUT_INVALID and left as it is.
 */
const SCORER_MARKER: SaveMarker = {
  file: 'stream.json',
  noun: 'the card state of an earlier TransactionScorer save',
  writtenBy(text: string): boolean {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return false;
    }
    if (!isRecord(parsed)) return false;
    const format = parsed.format;
    if (format !== undefined && !(typeof format === 'number' && Number.isInteger(format) && format >= 1)) return false;
    const state = parsed.state;
    if (!isRecord(state) || !isRecord(state.options)) return false;
    return isRecord(parsed.cards) || Array.isArray(state.entities);
  },
};

/**
 * The rule a scorer's `save` uses to tell an earlier save, which it replaces whole, from a folder it must
 * not touch (see `SCORER_MARKER`), as the engine's `SaveMarker`: give it to `checkSaveTarget` (a CLI's
 * `train --out DIR` check, demo-kit's `checkTrainTarget`) to refuse before training the folder the save
 * would refuse after it, with the save's own words. A fresh copy each call: changing it changes no save.
 */
export function scorerSaveMarker(): SaveMarker {
  return { ...SCORER_MARKER };
}

/** The checksum stream.json carries over its other fields (an edited or damaged card state is E_BUNDLE_CORRUPT). */
function streamChecksum(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

function byTime(txs: readonly Transaction[], unit: TimeUnit): number[] {
  const t = txs.map((tx) => transactionTime(tx, unit));
  return Array.from({ length: txs.length }, (_, i) => i).sort((a, b) => (t[a] as number) - (t[b] as number) || a - b);
}

/**
 * Whether every timestamp is a number in [1e9, 1e10): Unix seconds from 2001 to 2286, or epoch
 * milliseconds from the first four months of 1970, which no payment stream has.
 */
function looksLikeSeconds(txs: readonly Transaction[]): boolean {
  return txs.length > 0 && txs.every((tx) => typeof tx.timestamp === 'number' && tx.timestamp >= 1e9 && tx.timestamp < 1e10);
}

/** Seconds as people say them: 42 s, 7 min, 3.5 h, 2.0 days. */
function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

/** The flags a transaction sets only by naming a merchant / a country, and the field each needs. */
const NAMED_FLAGS = [
  ['new_merchant', 'merchant'],
  ['new_country', 'country'],
] as const;
type NamedFlag = (typeof NAMED_FLAGS)[number][0];

/**
 * The flags of `NAMED_FLAGS` whose field no training transaction gave (held at 0 when scoring: see
 * `TransactionScorer.train`), with the warnings for those and for flags that were 0 on every transaction
 * though the field was given.
 */
function namedFlagsInTraining(
  history: readonly Transaction[],
  rows: readonly TransactionFeatureRow[],
): { frozen: NamedFlag[]; warnings: string[] } {
  const frozen: NamedFlag[] = [];
  const warnings: string[] = [];
  for (const [flag, field] of NAMED_FLAGS) {
    if (!history.some((tx) => tx[field] !== undefined)) frozen.push(flag);
    else if (rows.every((row) => row[flag] === 0))
      warnings.push(
        `${flag} was 0 on every training transaction (no card bought ${field === 'merchant' ? 'at a second merchant' : 'from a second country'} within its history): a card's first purchase ${field === 'merchant' ? 'at another merchant' : 'from another country'} when scoring is a value the detector never saw and scores as extreme. Train on a longer stream in which cards use several ${field === 'merchant' ? 'merchants' : 'countries'}, unless such a purchase is itself what you want flagged.`,
      );
  }
  if (frozen.length > 0) {
    const fields = frozen.map((f) => (f === 'new_merchant' ? 'merchant' : 'country'));
    warnings.unshift(
      `No training transaction names a ${fields.join(' or a ')}, so ${frozen.join(' and ')} ${frozen.length > 1 ? 'are' : 'is'} 0 on every one and the detector learns nothing from ${frozen.length > 1 ? 'them' : 'it'}. ${frozen.length > 1 ? 'They are' : 'It is'} held at 0 when scoring too: a live feed that names ${fields.map((f) => `${f === 'merchant' ? 'merchants' : 'countries'}`).join(' and ')} is scored on the other features, as training saw it (read as given, every card's first purchase ${fields.map((f) => (f === 'merchant' ? 'at a merchant' : 'from a country')).join(' or ')} would be a value never seen in training and score as extreme: many more alerts). To use ${frozen.length > 1 ? 'them' : 'it'}, train on transactions that carry ${fields.join(' and ')}.`,
    );
  }
  return { frozen, warnings };
}

/**
 * The features that, on a card's first transaction (nothing known of the card), say only that: its
 * time-since-last, history, flags, window counts and sums (all 0: no earlier transaction) and its ratio to
 * the card's median (1: no median yet).
 */
const FIRST_TRANSACTION_FEATURES = new Set([
  'log_seconds_since_last',
  'card_history',
  'new_merchant',
  'new_country',
  'amount_vs_card_median',
]);

function saysFirstTransaction(feature: string): boolean {
  return FIRST_TRANSACTION_FEATURES.has(feature) || feature.startsWith('count_') || feature.startsWith('sum_');
}

/**
 * The amount against the card's median. A median at or under the one-cent floor the ratio is taken
 * against (zero-amount verifications) is said as an amount, not as a ratio: "amount 500.00; this card's
 * median is 0.01 or less", where "amount 50000× this card's median" read as if the card had a median.
 * The ratio holds no more than that: a median of 0 and one of 0.01 give the same ratio.
 */
function medianText(ratio: number, amount: number | undefined): string {
  const median = amount !== undefined && ratio > 0 ? amount / ratio : NaN;
  if (amount !== undefined && ratio !== 1 && median <= ZERO_MEDIAN_FLOOR * (1 + 1e-9))
    return `amount ${amount.toFixed(2)}; this card's median is 0.01 or less`;
  return `amount ${ratioText(ratio)}× this card's median`;
}

/**
 * Reason texts in the card's terms (exported for tests; not part of the package surface); `tx` is the
 * transaction `row` describes (whether it named a merchant / country).
 */
export function describe(p: FraudPrediction, row: TransactionFeatureRow, tx: Pick<Transaction, 'merchant' | 'country'>): FraudPrediction {
  // On a card's first transaction, time-since-last, history, the flags, the window counts and sums (0, or 1
  // for the ratio, when nothing is known of the card) say one thing: one reason, their shares summed.
  const first = row.card_history === 0;
  let reasons = p.reasons;
  if (first && reasons.filter((r) => saysFirstTransaction(r.feature)).length > 1) {
    const kept = reasons.find((r) => saysFirstTransaction(r.feature))!;
    const share = reasons.filter((r) => saysFirstTransaction(r.feature)).reduce((s, r) => s + r.share, 0);
    reasons = reasons.filter((r) => !saysFirstTransaction(r.feature) || r === kept).map((r) => (r === kept ? { ...r, share } : r));
    reasons.sort((a, b) => b.share - a.share);
  }
  return {
    ...p,
    reasons: reasons.map((r) => {
      const v = row[r.feature];
      const pct = `${Math.round(r.share * 100)}% of the evidence`;
      if (v === undefined) return r;
      let text = r.text;
      if (first && saysFirstTransaction(r.feature)) text = `first transaction seen on this card (${pct})`;
      else if (r.feature === 'amount_vs_card_median') text = `${medianText(v, row.amount)} (${pct})`;
      // The windows count the card's earlier transactions (this one is not in them).
      else if (r.feature.startsWith('count_'))
        text = `${v === 0 ? 'no' : v} earlier transaction${v === 0 || v === 1 ? '' : 's'} on this card in the last ${r.feature.slice(6)} (${pct})`;
      else if (r.feature.startsWith('sum_'))
        text =
          v === 0
            ? `nothing spent on this card in the last ${r.feature.slice(4)} before this (${pct})`
            : `${v.toFixed(2)} spent on this card in the last ${r.feature.slice(4)} before this (${pct})`;
      else if (r.feature === 'new_merchant' && v === 1) text = `first purchase at this merchant (${pct})`;
      else if (r.feature === 'new_country' && v === 1) text = `first purchase from this country (${pct})`;
      // A flag at 0 is evidence too for a supervised detector (its trees split on it); said as the flag, not
      // '= 0.00'. It is 0 as well when the transaction named no merchant / country (nothing to compare).
      else if (r.feature === 'new_merchant' && v === 0)
        text = tx.merchant === undefined ? `no merchant given (${pct})` : `a merchant this card has bought from before (${pct})`;
      else if (r.feature === 'new_country' && v === 0)
        text = tx.country === undefined ? `no country given (${pct})` : `a country this card has bought from before (${pct})`;
      else if (r.feature === 'log_seconds_since_last') text = `${duration(Math.expm1(v))} since this card's last transaction (${pct})`;
      else if (r.feature === 'card_history') text = `${v} earlier transaction${v === 1 ? '' : 's'} on this card (${pct})`;
      return { ...r, text };
    }),
  };
}

const SCORER_KEYS = Object.keys({ detector: 1, features: 1 } satisfies Record<keyof TransactionScorerConfig, 1>);
const FEATURE_KEYS = Object.keys({
  windowsSeconds: 1,
  historySize: 1,
  maxEntities: 1,
  maxSeenPerEntity: 1,
  historyCap: 1,
  timeUnit: 1,
} satisfies Record<keyof StreamFeatureOptions, 1>);

/** What an aborted scorer train's E_ABORTED names. */
const SCORER_TRAIN = 'TransactionScorer.train';

/**
 * Streaming scorer: per-card features kept between calls, fed to a FraudDetector.
 * `train(history)` replays the history in time order (the state after it is the live state);
 * `score(tx)` scores one transaction against its card's state and then adds it.
 */
export class TransactionScorer {
  private features: TransactionFeatures;
  /** Calls that read and then change the card state run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Earliest and latest time trained on or scored (epoch ms): a time far outside is a unit mix-up. */
  private clock: [number, number] | undefined;
  /** Flags held at 0 when scoring: no training transaction gave their field (see `train`). */
  private frozen: NamedFlag[] = [];
  private disposed = false;
  private constructor(
    readonly config: TransactionScorerConfig,
    private detector: FraudDetector,
    features: TransactionFeatures,
  ) {
    this.features = features;
    explainConstantColumns(detector, ['new_merchant', 'new_country']);
  }

  /** Holds the frozen flags at 0 in `row` (as training saw them), in place. */
  private freeze(row: TransactionFeatureRow): TransactionFeatureRow {
    for (const flag of this.frozen) row[flag] = 0;
    return row;
  }

  /** The flags this scorer holds at 0 when scoring: `new_merchant` / `new_country` when no training transaction named a merchant / country. */
  get frozenFeatures(): string[] {
    this.alive();
    return [...this.frozen];
  }

  static create(config: TransactionScorerConfig = {}): TransactionScorer {
    checkKnownKeys('TransactionScorer config', config, SCORER_KEYS);
    checkKnownKeys('features', config.features, FEATURE_KEYS);
    const features = new TransactionFeatures(config.features);
    return new TransactionScorer(config, FraudDetector.create(config.detector), features);
  }

  get featureNames(): string[] {
    this.alive();
    return this.features.featureNames;
  }

  /** What a number in a transaction's `timestamp` counts: 'ms' (epoch milliseconds) or 's' (Unix seconds). */
  get timeUnit(): TimeUnit {
    this.alive();
    return this.features.options.timeUnit;
  }

  /** True once trained or loaded, until `dispose`. */
  get isTrained(): boolean {
    return !this.disposed && this.detector.isTrained;
  }

  /** Cards currently tracked. */
  get entities(): number {
    this.alive();
    return this.features.size;
  }

  /** E_MODEL_DISPOSED after `dispose` (before anything touches the card state). */
  private alive(): void {
    if (this.disposed) throw new AppliedMLError('E_MODEL_DISPOSED', 'This TransactionScorer was disposed; create or load another.');
  }

  /** Widens the clock to the times just scored. */
  private widenClock(txs: readonly Transaction[]): void {
    if (txs.length === 0) return;
    if (!this.clock) {
      this.clock = timeSpan(txs, this.features.options.timeUnit);
      return;
    }
    // Only by times within the margin: a Date or ISO string far off (year 9999) is scored, but must not
    // stretch the clock so far that a later unit mix-up in numbers passes.
    let [lo, hi] = this.clock;
    for (const tx of txs) {
      const t = transactionTime(tx, this.features.options.timeUnit);
      if (t < this.clock[0] - CLOCK_MARGIN_MS || t > this.clock[1] + CLOCK_MARGIN_MS) continue;
      lo = Math.min(lo, t);
      hi = Math.max(hi, t);
    }
    this.clock = [lo, hi];
  }

  /**
   * Trains on a history replayed in time order; the card state after it becomes the live state. Runs
   * in call order with the other calls, and the live state and detector change together only when the
   * training succeeds (a failed one leaves both as they were). `signal` stops it as it stops
   * `FraudDetector.train` (the replay too): E_ABORTED, the scorer as it was.
   */
  train(
    history: readonly TransactionInput[],
    options: { labels?: ArrayLike<number>; device?: Device; logger?: Logger; signal?: AbortSignal } = {},
  ): Promise<FraudTrainingReport> {
    let signal: AbortSignal | undefined;
    try {
      this.alive();
      checkKnownKeys('train options', options, ['labels', 'device', 'logger', 'signal']);
      signal = checkSignalOption(options.signal);
      if (options.device !== undefined) checkDevice(options.device);
      throwIfAborted(signal, SCORER_TRAIN);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.serial(async () => {
      this.alive();
      // Aborted while it waited for the calls before it.
      throwIfAborted(signal, SCORER_TRAIN);
      const unit = this.features.options.timeUnit;
      const txs = readBatch(history, 'Training', unit);
      if (txs.length === 0) throw new AppliedMLError('E_INPUT_INVALID', 'Training needs at least one transaction.');
      if (unit === 'ms' && looksLikeSeconds(txs))
        options.logger?.warn(
          "Every timestamp is a number between 1e9 and 1e10: read as epoch milliseconds that is January to April 1970. If they are Unix seconds (2001 to 2286), create the scorer with features: { timeUnit: 's' }.",
          { field: 'timestamp' },
        );
      const y = options.labels !== undefined ? checkLabels(options.labels, txs) : undefined;
      // Replayed into a fresh state, swapped in with the detector only once training succeeds.
      const fresh = new TransactionFeatures(this.features.options);
      const order = byTime(txs, unit);
      // The replay gives the event loop a turn every ~50 ms (the same rows), where an abort or a dispose is seen.
      const turns = eventLoopTurns(50, { signal, what: SCORER_TRAIN });
      const turn = async (): Promise<void> => {
        const due = turns.turn();
        if (!due) return;
        await due;
        this.alive();
      };
      let report: FraudTrainingReport;
      let rows: TransactionFeatureRow[];
      let named: ReturnType<typeof namedFlagsInTraining>;
      try {
        rows = [];
        for (const i of order) {
          if ((rows.length & 1023) === 1023) await turn();
          rows.push(fresh.update(txs[i] as Transaction));
        }
        await turn();
        const labels = y ? order.map((i) => y[i] as number) : undefined;
        named = namedFlagsInTraining(txs, rows);
        report = await this.detector.train(rows, { ...options, ...(labels ? { labels } : {}) });
      } catch (error) {
        // In this call's name (the detector's names the detector); disposed meanwhile, E_MODEL_DISPOSED.
        if (signal?.aborted && AppliedMLError.hasCode(error, 'E_ABORTED')) {
          this.alive();
          throw abortedError(signal, SCORER_TRAIN);
        }
        throw error;
      }
      for (const warning of named.warnings) options.logger?.warn(warning, { features: named.frozen });
      this.features = fresh;
      this.frozen = named.frozen;
      this.clock = timeSpan(txs, unit);
      return report;
    });
  }

  /** Runs `fn` after every earlier state-changing call has finished (a failed one does not block the rest). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Scores one transaction against its card's state, then adds it to the state (with `remember: false`
   * the state is left as it was: a declined authorisation, or a what-if). Calls made without waiting
   * (`Promise.all` over a burst) are scored one after another in call order, so each sees the ones
   * before it. The amount may be given as text as a feed carries it (`'1,234.50'`, read as `parseAmount`
   * reads it; a currency sign or a decimal comma is refused, E_INPUT_INVALID), as in every call here.
   */
  score(tx: TransactionInput, options: { remember?: boolean } = {}): Promise<TransactionScore> {
    let remember: boolean;
    try {
      checkKnownKeys('score options', options, ['remember']);
      remember = options.remember ?? true;
      if (typeof remember !== 'boolean')
        throw new AppliedMLError('E_INPUT_INVALID', `score's remember must be true or false (got ${describeValue(remember)}).`);
    } catch (error) {
      return Promise.reject(error);
    }
    // Read when given (a burst scored without awaiting may reuse or change its objects), refused in turn.
    let given: Transaction | undefined;
    let refused: unknown;
    try {
      given = readTransaction(tx, this.features.options.timeUnit);
    } catch (error) {
      refused = error;
    }
    return this.serial(async () => {
      this.alive();
      if (!given) throw refused;
      const checked = given;
      checkClock([checked], this.features.options.timeUnit, this.clock, 'Scoring');
      this.assertReady();
      const row = this.freeze(this.features.peek(checked));
      const p = await this.detector.predict(row);
      if (remember) {
        this.features.update(checked);
        this.widenClock([checked]);
      }
      return { ...describe(p, row, checked), features: row };
    });
  }

  /** Scores transactions one after another in time order (each sees the ones before it); results in input order. */
  scoreAll(txs: readonly TransactionInput[]): Promise<TransactionScore[]> {
    return this.serial(() => this.scoreAllNow(txs));
  }

  private async scoreAllNow(input: readonly TransactionInput[]): Promise<TransactionScore[]> {
    this.alive();
    // Every transaction is checked before any enters the card state: a bad one leaves the state as it was.
    const txs = readBatch(input, 'Scoring', this.features.options.timeUnit);
    checkClock(txs, this.features.options.timeUnit, this.clock, 'Scoring');
    this.assertReady();
    const out: TransactionScore[] = new Array<TransactionScore>(txs.length);
    const order = byTime(txs, this.features.options.timeUnit);
    // A failure while scoring (a batch over the size limit, say) puts every card the batch changed back.
    const features = this.features;
    const { rows, preds } = await features.batch(async () => {
      const rows = order.map((i) => this.freeze(features.update(txs[i] as Transaction)));
      return { rows, preds: await this.detector.predictBatch(rows) };
    });
    this.widenClock(txs);
    order.forEach((i, k) => {
      const row = rows[k] as TransactionFeatureRow;
      out[i] = { ...describe(preds[k] as FraudPrediction, row, txs[i] as Transaction), features: row };
    });
    return out;
  }

  /** Scores `txs` in time order (continuing the state) and computes the metrics against labels. */
  evaluate(txs: readonly TransactionInput[], labels: ArrayLike<number>): Promise<FraudEvaluation> {
    return this.serial(() => this.evaluateNow(txs, labels));
  }

  private async evaluateNow(input: readonly TransactionInput[], labels: ArrayLike<number>): Promise<FraudEvaluation> {
    this.alive();
    const txs = readBatch(input, 'Evaluation', this.features.options.timeUnit);
    checkClock(txs, this.features.options.timeUnit, this.clock, 'Evaluation');
    const y = checkLabels(labels, txs, true);
    this.assertReady();
    const order = byTime(txs, this.features.options.timeUnit);
    const features = this.features;
    const evaluation = await features.batch(async () => {
      const rows = order.map((i) => this.freeze(features.update(txs[i] as Transaction)));
      return this.detector.evaluate(
        rows,
        order.map((i) => y[i] as number),
      );
    });
    this.widenClock(txs);
    return evaluation;
  }

  /** E_MODEL_NOT_TRAINED / E_MODEL_DISPOSED before a batch enters the card state, not after. */
  private assertReady(): void {
    this.alive();
    // In the scorer's words (the detector's said 'Train or load the FraudDetector first.').
    if (!this.detector.isTrained)
      throw new AppliedMLError(
        'E_MODEL_NOT_TRAINED',
        'This TransactionScorer is not trained: train it on a history of transactions (scorer.train) or load a saved one (TransactionScorer.load) first.',
      );
  }

  /**
   * Picks the alert threshold on a stretch of transactions (a held-out week, say) by a rule, as
   * `FraudDetector.calibrate` does: `targetPrecision` / `targetRecall` / `cost` with labels, `topK` /
   * `contamination` without. The transactions are scored in time order continuing the card state,
   * which is left as it was: calibrating does not move it. The transactions are scored on a view of
   * the state that copies only the cards they touch, so the cost is theirs, not the state's size.
   */
  calibrate(txs: readonly TransactionInput[], rule: ThresholdRule, labels?: ArrayLike<number>): Promise<ThresholdChoice> {
    return this.serial(async () => {
      // A disposed scorer says so before anything about the arguments.
      this.assertReady();
      const checked = readBatch(txs, 'Calibration', this.features.options.timeUnit);
      checkClock(checked, this.features.options.timeUnit, this.clock, 'Calibration');
      const y = labels !== undefined ? checkLabels(labels, checked) : undefined;
      const order = byTime(checked, this.features.options.timeUnit);
      const rows = this.features.replay(order.map((i) => checked[i] as Transaction)).map((row) => this.freeze(row));
      return this.detector.calibrate(rows, rule, y ? order.map((i) => y[i] as number) : undefined);
    });
  }

  /**
   * Forgets every card's state (e.g. before scoring an unrelated stream), after the calls made before
   * it have run (as `save` does): await it before scoring the new stream.
   */
  resetState(): Promise<void> {
    this.alive();
    return this.serial(async () => {
      this.alive();
      this.features.reset();
    });
  }

  /**
   * Sets the alert threshold after the calls made before it have run (a score called earlier is judged
   * at the threshold it was called under); await it before relying on `threshold`.
   */
  setThreshold(threshold: number): Promise<void> {
    try {
      this.alive();
      if (typeof threshold !== 'number' || !Number.isFinite(threshold))
        throw new AppliedMLError('E_INPUT_INVALID', `The threshold must be a finite number (got ${describeValue(threshold)}).`);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.serial(async () => {
      this.alive();
      this.detector.setThreshold(threshold);
    });
  }

  get threshold(): number {
    this.alive();
    this.assertReady();
    return this.detector.threshold;
  }

  /**
   * Writes the detector bundle to `dir/detector` and the per-card state to `dir/stream.json`, as one
   * unit: both go to a hidden sibling first, which then replaces `dir` whole (a failure leaves the previous
   * save as it was, never a new detector beside old card state). `dir` must be new, empty or an earlier
   * scorer save: anything else is refused with `E_INPUT_INVALID` rather than deleted.
   */
  save(dir: string, options: { includeState?: boolean } = {}): Promise<void> {
    // After the calls made before it: a save right after an un-awaited score includes that transaction.
    return this.serial(async () => {
      this.alive();
      checkKnownKeys('save options', options, ['includeState']);
      // Read as `!== false`, 'no' (or 0) saved the cards: only true or false is an answer.
      if (options.includeState !== undefined && typeof options.includeState !== 'boolean')
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `save's includeState must be true or false (got ${describeValue(options.includeState)}).`,
          { details: { field: 'includeState' } },
        );
      // The cards are written from where they are held (no copy of the state: nothing changes it before
      // this save ends, and `dispose` meanwhile drops it rather than clearing it).
      const features = this.features;
      const whole = options?.includeState !== false;
      const state: Omit<StreamState, 'entities'> = whole ? features.stateHeader() : { options: features.options };
      await replaceDirAtomic(
        dir,
        async (staging) => {
          await this.detector.save(join(staging, 'detector'));
          // The cards go to files written a chunk at a time (never one string: see card-files.ts);
          // stream.json holds the rest and the files' checksums, under its own.
          const cards = await writeCardFiles(staging, whole ? features.cards() : []);
          const body = {
            // 3 only when it matters: a version without `frozen` must not read a save that has it.
            format: this.frozen.length > 0 ? SCORER_FORMAT : SCORER_FORMAT_UNFROZEN,
            config: this.config,
            state,
            cards,
            ...(this.clock ? { clock: this.clock } : {}),
            ...(this.frozen.length > 0 ? { frozen: this.frozen } : {}),
          };
          await writeFileDurable(join(staging, 'stream.json'), JSON.stringify({ ...body, sha256: streamChecksum(body) }));
        },
        { marker: SCORER_MARKER },
      );
    });
  }

  static async load(dir: string, options: { device?: Device; logger?: Logger } = {}): Promise<TransactionScorer> {
    checkPathArgument(dir, 'The scorer path');
    checkKnownKeys('load options', options, ['device', 'logger']);
    // A save replacing the folder while it loads (a trainer re-publishing beside a service) can give
    // stream.json from one save and the card files or the detector from the next: when stream.json is
    // no longer the file it read, it reads the folder again, up to LOAD_ATTEMPTS times, then E_BUSY.
    // Between the save's two renames the folder is absent: that save is waited for (as loadBundle
    // waits), then the new state read; it said "stream.json is missing".
    let attempt = 0;
    let waits = 0;
    for (;;) {
      let read: { text: string; id: string } | undefined;
      let result: TransactionScorer | undefined;
      let failure: unknown;
      // What was there before a read that fails (nothing, or a folder or FIFO refused in stream.json's place).
      const before = await statId(join(dir, 'stream.json'));
      try {
        read = await readStreamJson(dir);
        result = await TransactionScorer.loadFrom(dir, read.text, options);
      } catch (error) {
        failure = error;
      }
      const now = await statId(join(dir, 'stream.json'));
      // (Or the save finished between the two looks: stream.json is there again.)
      if (
        now === undefined &&
        waits < LOAD_ATTEMPTS &&
        ((await waitForSave(dir)) || (await statId(join(dir, 'stream.json'))) !== undefined)
      ) {
        result?.dispose();
        waits++;
        continue;
      }
      if (now === (read === undefined ? before : read.id)) {
        if (result) return result;
        throw failure;
      }
      result?.dispose();
      attempt++;
      if (attempt >= LOAD_ATTEMPTS)
        throw new AppliedMLError(
          'E_BUSY',
          `Transaction scorer at ${dir} was saved again while it loaded, ${attempt} times in a row; load it once the saves pause.`,
          { cause: failure, details: { dir } },
        );
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }

  /** `load` from stream.json's text as read. */
  private static async loadFrom(dir: string, text: string, options: { device?: Device; logger?: Logger }): Promise<TransactionScorer> {
    let parsed: {
      config: TransactionScorerConfig;
      state: StreamState;
      cards?: CardFiles;
      clock?: [number, number];
      frozen?: unknown;
      sha256?: string;
      format?: unknown;
    };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch (cause) {
      throw new AppliedMLError('E_BUNDLE_CORRUPT', `Transaction scorer at ${dir}: stream.json is not valid JSON.`, { cause });
    }
    // A later version's save (a format past this one's): say so, not "corrupt".
    const format = parsed?.format;
    if (format !== undefined && !(typeof format === 'number' && Number.isInteger(format) && format >= 1 && format <= SCORER_FORMAT))
      throw new AppliedMLError(
        typeof format === 'number' && Number.isInteger(format) && format > SCORER_FORMAT ? 'E_BUNDLE_INCOMPATIBLE' : 'E_BUNDLE_CORRUPT',
        typeof format === 'number' && Number.isInteger(format) && format > SCORER_FORMAT
          ? `Transaction scorer at ${dir} was saved by a newer version of ${FRAUD_PACKAGE} (stream.json format ${format}; this version reads up to ${SCORER_FORMAT}). Upgrade ${FRAUD_PACKAGE} to load it.`
          : `Transaction scorer at ${dir}: stream.json's format is ${describeValue(format)}.`,
        { details: { dir, format } },
      );
    // Saved before the card files: the cards are in stream.json itself.
    if (!parsed?.state?.options || (parsed.cards === undefined && !Array.isArray(parsed.state.entities)))
      throw new AppliedMLError('E_BUNDLE_CORRUPT', `Transaction scorer at ${dir}: stream.json has no state.`);
    // Earlier versions wrote no checksum; one that is there must match (an edited amount would change verdicts).
    if (parsed.sha256 !== undefined) {
      const { sha256, ...body } = parsed;
      if (sha256 !== streamChecksum(body))
        throw new AppliedMLError(
          'E_BUNDLE_CORRUPT',
          `Transaction scorer at ${dir}: stream.json does not match its checksum (edited or damaged).`,
        );
    }
    const clock = parsed.clock;
    if (
      clock !== undefined &&
      !(Array.isArray(clock) && clock.length === 2 && clock.every((t) => Number.isFinite(t)) && clock[0] <= clock[1])
    )
      throw new AppliedMLError('E_BUNDLE_CORRUPT', `Transaction scorer at ${dir}: stream.json's clock is malformed.`);
    // Saved before the flags were held (absent): none is, as then.
    const frozen = parsed.frozen ?? [];
    if (!Array.isArray(frozen) || !frozen.every((f, i) => NAMED_FLAGS.some(([flag]) => flag === f) && frozen.indexOf(f) === i))
      throw new AppliedMLError(
        'E_BUNDLE_CORRUPT',
        `Transaction scorer at ${dir}: stream.json's frozen features are malformed (${describeValue(frozen)}).`,
      );
    let cards: Array<[string, CardRecord]> | undefined;
    if (parsed.cards !== undefined) {
      if (parsed.sha256 === undefined)
        throw new AppliedMLError('E_BUNDLE_CORRUPT', `Transaction scorer at ${dir}: stream.json has card files but no checksum.`);
      // The saved options bound the files (checked in full by fromState; out-of-range ones fall back to the hard limits).
      const opts = parsed.state.options as Partial<Record<'maxEntities' | 'maxSeenPerEntity', unknown>>;
      const bounded = (v: unknown, max: number): number =>
        Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= max ? (v as number) : max;
      // Read into the lists the state keeps (a load copied every card twice more, half its time in GC).
      cards = await readCardFiles(dir, parsed.cards, dir, {
        maxEntities: bounded(opts.maxEntities, 100_000_000),
        maxSeenPerEntity: bounded(opts.maxSeenPerEntity, 100_000),
      });
    }
    // The config is what `scorer.config` reports and the next save writes: an object of the known keys whose
    // detector kind, if given, is the saved detector's (a legacy file without a checksum can say anything).
    const config = parsed.config ?? {};
    if (
      typeof config !== 'object' ||
      config === null ||
      Array.isArray(config) ||
      Object.keys(config).some((k) => !SCORER_KEYS.includes(k)) ||
      (config.detector !== undefined && (typeof config.detector !== 'object' || config.detector === null))
    )
      throw new AppliedMLError(
        'E_BUNDLE_CORRUPT',
        `Transaction scorer at ${dir}: stream.json's config is malformed (${describeValue(config)}).`,
      );
    const detector = await FraudDetector.load(join(dir, 'detector'), options);
    try {
      const kind = config.detector?.detector;
      if (kind !== undefined && kind !== detector.config.detector)
        throw new AppliedMLError(
          'E_BUNDLE_CORRUPT',
          `Transaction scorer at ${dir}: stream.json's config names the detector ${describeValue(kind)}, but detector/ holds ${describeValue(detector.config.detector)}.`,
        );
      const features = cards ? TransactionFeatures.fromCards(parsed.state, cards) : TransactionFeatures.fromState(parsed.state);
      const scorer = new TransactionScorer(config, detector, features);
      scorer.frozen = [...(frozen as NamedFlag[])];
      if (clock) scorer.clock = [clock[0], clock[1]];
      else {
        // Saved by an earlier version: the cards' kept times stand for the clock.
        let lo = Infinity;
        let hi = -Infinity;
        for (const [, e] of cards ?? parsed.state.entities) for (const t of e.times) [lo, hi] = [Math.min(lo, t), Math.max(hi, t)];
        if (lo <= hi) scorer.clock = [lo, hi];
      }
      // The card features must be the ones the detector was trained on: with other windows the missing
      // features would be imputed silently.
      const streamed = [...new Set(scorer.features.featureNames)].sort();
      const learnt = [...new Set(detector.inputColumns)].sort();
      if (streamed.join('\n') !== learnt.join('\n'))
        throw new AppliedMLError(
          'E_BUNDLE_CORRUPT',
          `Transaction scorer at ${dir}: stream.json's features (${streamed.join(', ')}) are not the detector's (${learnt.join(', ')}).`,
        );
      return scorer;
    } catch (cause) {
      detector.dispose();
      if (AppliedMLError.hasCode(cause, 'E_BUNDLE_CORRUPT')) throw cause;
      throw new AppliedMLError('E_BUNDLE_CORRUPT', `Transaction scorer at ${dir}: stream.json is invalid: ${(cause as Error).message}`, {
        cause,
      });
    }
  }

  dispose(): void {
    this.disposed = true;
    this.detector.dispose();
    // Dropped, not cleared: a save under way writes the cards it started with (the old state is freed after it).
    this.features = new TransactionFeatures(this.features.options);
  }
}
