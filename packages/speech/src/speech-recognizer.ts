import {
  checkKnownKeys,
  AppliedMLError,
  anyValueFields,
  bundleMarker,
  checkDevice,
  checkIntegerOption,
  checkNumberOption,
  checkProgressOption,
  checkSignalOption,
  accuracy,
  confusionMatrix,
  createRng,
  describeValue,
  eachEntry,
  eventLoopTurns,
  incompatibleIfNewer,
  fitModel,
  initEngine,
  keepKnownKeys,
  loadBundle,
  precisionRecallF1,
  predictBatched,
  replaceDirAtomic,
  resolveClassWeights,
  routeConsoleWarnings,
  saveBundle,
  silentLogger,
  tf,
  throwIfAborted,
  TrainTickets,
  unknownBundleParts,
  unknownPartsError,
  withSeededRandom,
  type BundleParts,
  type Device,
  type EpochLogs,
  type JsonValue,
  type KnownBundleParts,
  type Logger,
  type TrainingReport,
} from '@appliedml/engine';
import { readdir, rename, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AUGMENT_DEFAULTS,
  AUGMENT_OFF,
  AUGMENT_PAD_DEFAULTS,
  padAround,
  perturb,
  type AugmentConfig,
  type AugmentOptions,
  type AugmentPad,
  type UniformSource,
} from './augment';
import {
  augmentBatchTensor,
  memberFitOptions,
  memberWorkersAvailable,
  parallelWorkers,
  trainMembersInWorkers,
  type FrameLayout,
} from './parallel-members';
import {
  FEATURE_KEYS,
  extractFeatureViews,
  frameCount,
  resolveFeatureConfig,
  type FeatureConfig,
  type Features,
  type ResolvedFeatureConfig,
} from './features';
import { CNN_DEFAULTS, MODEL_TYPES, RNN_DEFAULTS, buildCnn, buildRnn, type CnnConfig, type ModelType, type RnnConfig } from './models';
import { NOT_FINITE_OUTPUT, STREAM_KEYS, STREAM_MODEL_CHANGED, StreamingRecognizer, type StreamingOptions } from './streaming';
import {
  DEFAULT_MIN_SPEECH_MS,
  VAD_KEYS,
  checkVadOptions,
  definedOnly,
  detectSpeech,
  speechAnalysis,
  type NoSpeechReason,
  type VadOptions,
} from './vad';
import { SPEECH_PACKAGE, SPEECH_TASK, SPEECH_VERSION } from './version';
import { DEFAULT_MAX_AUDIO_SECONDS, readAudio, type AudioInput, type DecodedAudio } from './wav';

export interface SpeechRecognizerConfig {
  /** 'cnn' (default: 1-D convolutions over MFCC frames), 'gru' or 'lstm'. */
  model?: ModelType;
  features?: Partial<FeatureConfig>;
  /** Length of the model's input window in seconds (default 1); longer utterances are centre-cropped. */
  windowSeconds?: number;
  /** Trim leading and trailing silence before features (default on, keeping 150 ms around the speech); false = use the audio as given. */
  vad?: VadOptions | false;
  /** Augmentation while training (default on); false = none. */
  augment?: AugmentOptions | false;
  cnn?: Partial<CnnConfig>;
  rnn?: Partial<RnnConfig>;
  /** Training defaults (overridable per `train` call): 16 epochs, batches of 32, Adam at 2e-3 with a cosine schedule. */
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Longest input accepted by predict/train in seconds (default 600) → E_INPUT_TOO_LARGE. */
  maxSeconds?: number;
  /** Same seed, same data → the same model (default 42). */
  seed?: number;
  /**
   * Networks per front end, trained and averaged (their probabilities) at prediction (default 1 with
   * several front ends, 2 with one: two networks in all with the defaults). With the default front ends
   * `ensemble: N` is 2N networks; `frontEnds: [{}], ensemble: 1` is a single network. The first is trained
   * exactly as a single model; the others get their own initial weights and trainer seeds. On the wasm and
   * pure-JS devices they train at the same time, one per core (`TrainOptions.parallel`), so on two cores
   * two take up to about half their one-after-another time; each adds its share of the network latency.
   */
  ensemble?: number;
  /**
   * Front ends of the ensemble: feature configs laid over `features`, each with its own `ensemble`
   * networks; every network's probabilities are averaged. Default for the CNN on MFCC
   * (`DEFAULT_FRONT_ENDS`): `[{}, { cmvn: 'mean', utteranceStats: true }]`, `features` as given and a
   * mean-only-CMVN view with the utterance statistics, one network each by default; for log-mel and the
   * GRU / LSTM `[{}]` (not measured with two). `[{}]` = one front end, as before the option.
   * Front ends that normalise differently fail on different utterances, so their average errs less than
   * more networks of one kind (docs/benchmarks/speech.md). They must share the sample rate, frame, hop,
   * FFT size and centring (the same frames); at most 4, and at most 16 networks in all. Each front end adds its
   * feature time and its networks' latency to every recognition.
   */
  frontEnds?: ReadonlyArray<Partial<FeatureConfig>>;
  /**
   * Test-time augmentation: average the network's output over the features computed with these
   * vocal-tract-length warps (default [1], i.e. none; e.g. [0.92, 1, 1.08] costs 3× the inference).
   */
  testTimeWarps?: number[];
}

/** One labelled recording. */
export interface SpeechExample {
  audio: AudioInput;
  label: string;
  /** Rate of a Float32Array `audio` (default: the model rate). */
  sampleRate?: number;
}

export interface TrainOptions {
  /**
   * Loss weight per label: `'balanced'` (n / (labels × count), counted over `data`, so a label with few
   * examples weighs as much in total as one with many) or a weight per label (a label left out weighs
   * 1). Default: every example weighs 1.
   */
  classWeight?: 'balanced' | Record<string, number>;
  /** Held-out examples: early stopping on their loss, and metrics in the report. */
  validation?: SpeechExample[];
  epochs?: number;
  /** Stop after this many epochs without validation improvement (default 6; needs `validation`). */
  patience?: number;
  device?: Device;
  logger?: Logger;
  /** Progress bar on stderr: `true`, `'auto'` (only when stderr is a terminal) or `false` (default: library code is quiet). */
  progress?: boolean | 'auto';
  /**
   * Called after each epoch; a returned promise is awaited before the next epoch. (Two signatures, so a
   * callback that returns something else, `(logs) => seen.push(logs)`, type-checks as it did before.)
   */
  onEpochEnd?: ((logs: EpochLogs) => void) | ((logs: EpochLogs) => Promise<void>);
  /**
   * Train an ensemble's networks at the same time in worker threads, one per core (default true). Used
   * on the wasm and pure-JS devices (single-threaded per process) when there is more than one core and
   * neither `validation`, `onEpochEnd` nor `augment.fresh` is set, and when the worker entry
   * (dist/member-worker.js) sits beside the package (an application bundled into one file without it
   * falls back, with a warning on the logger); the result is the same as training them one after
   * another. The workers show no progress bar; the logger says when they start. `false` always trains
   * them one after another.
   */
  parallel?: boolean;
  /**
   * Stops the train when aborted (an `AbortController`'s signal, or `AbortSignal.timeout(ms)`): seen at
   * the next event-loop turn (every ~50 ms of feature extraction, network building, training or the
   * validation pass; worker threads are stopped at once), `train` rejects with E_ABORTED (`cause`: the
   * signal's reason), frees what it built and installs nothing: the recognizer is as it was before the
   * call (a trained one keeps its networks and labels; an untrained one stays untrained). An
   * already-aborted signal rejects before any work. A signal that never aborts changes nothing (the same
   * model as without one).
   */
  signal?: AbortSignal;
}

export interface SpeechMetrics {
  accuracy: number;
  macroF1: number;
  /** Rows are true labels, columns predicted, in `labels` order. */
  confusion: number[][];
  labels: string[];
  perClass: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  n: number;
}

export interface SpeechTrainingReport extends TrainingReport {
  /** Utterances trained on, including augmented copies. */
  trainingExamples: number;
  featureSeconds: number;
  validation?: SpeechMetrics;
  /**
   * With more than one network: every network's own report. The top-level fields are the first one's, except
   * `seconds`: the wall time of the whole ensemble (building the networks, starting the workers and
   * training), where a single network's `seconds` is its fitting time.
   */
  members?: TrainingReport[];
  /** With more than one network: whether the members trained at the same time in worker threads (`TrainOptions.parallel`). */
  parallel?: boolean;
}

export interface Recognition {
  label: string;
  /** The top label's probability. */
  score: number;
  /** Probability of every label. */
  scores: Record<string, number>;
  /** Where speech was found in the input (seconds), after VAD. */
  speech: { startSeconds: number; endSeconds: number };
  durationSeconds: number;
  /** Milliseconds spent decoding, on features, and in the network. */
  timing: { decodeMs: number; featuresMs: number; inferenceMs: number; totalMs: number };
}

export interface WordDetection {
  label: string;
  score: number;
  scores: Record<string, number>;
  startSeconds: number;
  endSeconds: number;
}

export interface SequenceRecognition {
  words: WordDetection[];
  /** The labels joined (digits without a separator when every label is one character, else spaces). */
  text: string;
  durationSeconds: number;
  timing: { totalMs: number };
}

export interface SequenceOptions {
  /** VAD settings for splitting words (defaults tuned for digits read with short pauses). */
  vad?: VadOptions;
  /** Drop words whose score is below this (default 0). */
  minScore?: number;
}

interface Preprocessing {
  model: ModelType;
  labels: string[];
  /** The (first) front end's feature config. */
  features: ResolvedFeatureConfig;
  /** Every front end, when there is more than one (the networks are grouped by front end, in this order). */
  frontEnds?: ResolvedFeatureConfig[];
  frames: number;
  windowSeconds: number;
  vad: VadOptions | false;
  maxSeconds: number;
  testTimeWarps?: number[];
}

/**
 * Everything a recognition reads, taken together at its start: the settings and labels with the networks
 * they belong to. `pre` objects are never changed in place (a retrain or `testTimeWarps = …` installs a new
 * one), so a call holding a state reads one model throughout.
 */
interface ModelState {
  pre: Preprocessing;
  networks: tf.LayersModel[];
}

/** Thrown inside a one-shot call whose model was retrained while it awaited; `onOneModel` restarts the call (it never escapes). */
const RETRAINED = Symbol('retrained');
/** What an aborted train's E_ABORTED names. */
const TRAIN_WHAT = 'SpeechRecognizer.train';
/** How many times a one-shot call starts again on a model retrained under it before it gives up (`E_BUSY`). */
const MAX_RESTARTS = 3;

interface ResolvedConfig {
  model: ModelType;
  /** The first front end's features (the sample rate every input is resampled to). */
  features: ResolvedFeatureConfig;
  frontEnds: ResolvedFeatureConfig[];
  windowSeconds: number;
  vad: VadOptions | false;
  augment: AugmentConfig;
  cnn: CnnConfig;
  rnn: RnnConfig;
  epochs: number;
  batchSize: number;
  learningRate: number;
  maxSeconds: number;
  seed: number;
  ensemble: number;
  testTimeWarps: number[];
}

/**
 * Trimming before recognition keeps 150 ms around the detected speech: weak word endings (the
 * released "t" of "eight" after its closure) fall under the VAD's threshold, and cutting them cost
 * 6 points of leave-one-speaker-out accuracy on FSDD's jackson (80.0 % → 86.2 % without trimming).
 */
export const RECOGNIZER_VAD_DEFAULTS: VadOptions = { padMs: 150 };

/**
 * The default front ends for MFCC features: the features as configured (per-utterance CMVN) and a view
 * with mean-only CMVN plus the utterance's cepstral statistics. Chosen on FSDD's inner folds and inner
 * leave-one-speaker-out screen, then measured once on the official split and the full LOSO
 * (docs/benchmarks/speech.md, 2026-11-29 fourth session).
 */
export const DEFAULT_FRONT_ENDS: ReadonlyArray<Partial<FeatureConfig>> = Object.freeze([
  Object.freeze({}),
  Object.freeze({ cmvn: 'mean' as const, utteranceStats: true }),
]);

/** Word-splitting VAD defaults for several words in one recording. */
export const SEQUENCE_VAD_DEFAULTS: VadOptions = { minSilenceMs: 100, minSpeechMs: 100, padMs: 30 };

/** Network sizes and training numbers that would fail inside tfjs, train nothing or lift the length cap. */
function checkNetworkConfig(cnn: CnnConfig, rnn: RnnConfig, config: SpeechRecognizerConfig): void {
  const int = (field: string, v: unknown, min: number, max: number): void => checkIntegerOption(field, v, min, max, false);
  const share = (field: string, v: unknown): void => checkNumberOption(field, v, 0, 1, { open: 'max', optional: false });
  if (!Array.isArray(cnn.filters) || cnn.filters.length === 0 || cnn.filters.length > 8)
    throw new AppliedMLError('E_INPUT_INVALID', `cnn.filters must be a list of 1 to 8 widths (got ${describeValue(cnn.filters)}).`, {
      details: { field: 'cnn.filters' },
    });
  // Every index, holes included (forEach would skip them and build a network without that layer).
  for (let i = 0; i < cnn.filters.length; i++) int(`cnn.filters[${i}]`, cnn.filters[i], 1, 2048);
  int('cnn.kernel', cnn.kernel, 1, 64);
  int('cnn.dense', cnn.dense, 1, 4096);
  share('cnn.dropout', cnn.dropout);
  int('rnn.units', rnn.units, 1, 2048);
  int('rnn.pool', rnn.pool, 1, 64);
  share('rnn.dropout', rnn.dropout);
  checkIntegerOption('epochs', config.epochs, 1, 10_000);
  checkIntegerOption('batchSize', config.batchSize, 1, 100_000);
  checkNumberOption('learningRate', config.learningRate, 0, 10, { open: 'min' });
  checkNumberOption('maxSeconds', config.maxSeconds, 0, 86_400, { open: 'min' });
}

/** Whether every index of `list` (holes included, which `every` would skip) holds a finite number in [min, max]. */
function allNumbersIn(list: readonly unknown[], min: number, max: number): boolean {
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) return false;
  }
  return true;
}

/** A [low, high] range of finite numbers inside [min, max] (E_INPUT_INVALID naming the field). */
function checkRange(field: string, value: unknown, min: number, max: number, nullable = false): void {
  if (nullable && value === null) return;
  if (!Array.isArray(value) || value.length !== 2 || !allNumbersIn(value, min, max) || (value[0] as number) > (value[1] as number))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${field} must be${nullable ? ' null or' : ''} [low, high] with ${min} ≤ low ≤ high ≤ ${max}.`,
      {
        details: { field },
      },
    );
}

function resolveConfig(config: SpeechRecognizerConfig): ResolvedConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new AppliedMLError('E_INPUT_INVALID', 'The recognizer config must be an object.');
  if (config.features !== undefined && (config.features === null || typeof config.features !== 'object' || Array.isArray(config.features)))
    throw new AppliedMLError('E_INPUT_INVALID', 'features must be an object of feature settings.', { details: { field: 'features' } });
  if (config.vad !== undefined && config.vad !== false) checkVadOptions(config.vad);
  const model = config.model ?? 'cnn';
  if (!MODEL_TYPES.includes(model)) {
    throw new AppliedMLError('E_INPUT_INVALID', `model must be one of ${MODEL_TYPES.join(', ')}; got '${String(model)}'.`, {
      details: { field: 'model' },
    });
  }
  // The two default front ends were measured for the CNN on MFCC; other models and features keep one.
  const frontEndList =
    config.frontEnds ?? ((config.model ?? 'cnn') === 'cnn' && (config.features?.kind ?? 'mfcc') === 'mfcc' ? DEFAULT_FRONT_ENDS : [{}]);
  // Two networks in all by default: one per front end with the two default front ends, two with one.
  const ensemble = config.ensemble ?? (Array.isArray(frontEndList) && frontEndList.length > 1 ? 1 : 2);
  if (!Number.isInteger(ensemble) || ensemble < 1 || ensemble > 16) {
    throw new AppliedMLError('E_INPUT_INVALID', 'ensemble must be an integer from 1 to 16.', { details: { field: 'ensemble' } });
  }
  const given = config.augment === false ? undefined : config.augment;
  const augment: AugmentConfig =
    config.augment === false ? AUGMENT_OFF : { ...AUGMENT_DEFAULTS, ...(given ?? {}), pad: resolvePad(given?.pad) };
  if (!Number.isInteger(augment.copies) || augment.copies < 0 || augment.copies > 16 || typeof augment.fresh !== 'boolean') {
    throw new AppliedMLError('E_INPUT_INVALID', 'augment.copies must be an integer from 0 to 16 and augment.fresh a boolean.', {
      details: { field: 'augment' },
    });
  }
  checkRange('augment.speed', augment.speed, 0.5, 2);
  checkRange('augment.vtlp', augment.vtlp, 0.5, 2);
  checkRange('augment.noiseSnrDb', augment.noiseSnrDb, -20, 120, true);
  checkIntegerOption('augment.timeShiftFrames', augment.timeShiftFrames, 0, 1000, false);
  checkIntegerOption('augment.timeMasks', augment.timeMasks, 0, 16, false);
  checkIntegerOption('augment.timeMaskFrames', augment.timeMaskFrames, 0, 1000, false);
  checkIntegerOption('augment.freqMasks', augment.freqMasks, 0, 16, false);
  checkIntegerOption('augment.freqMaskBins', augment.freqMaskBins, 0, 1000, false);
  if (augment.timeStretch === undefined) augment.timeStretch = AUGMENT_DEFAULTS.timeStretch;
  const stretch: unknown = augment.timeStretch;
  const stretchOk =
    stretch === null ||
    (Array.isArray(stretch) &&
      stretch.length === 2 &&
      allNumbersIn(stretch, -Infinity, Infinity) &&
      (stretch[0] as number) >= 0.25 &&
      (stretch[0] as number) <= (stretch[1] as number) &&
      (stretch[1] as number) <= 4);
  if (!stretchOk) {
    throw new AppliedMLError('E_INPUT_INVALID', 'augment.timeStretch must be null or [low, high] with 0.25 ≤ low ≤ high ≤ 4.', {
      details: { field: 'augment' },
    });
  }
  const frontEnds = resolveFrontEnds(config.features, frontEndList);
  if (frontEnds.length * ensemble > 16) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `frontEnds × ensemble must be at most 16 networks (${frontEnds.length} front end${frontEnds.length > 1 ? 's' : ''}${config.frontEnds ? '' : ' by default'} × ${ensemble}).`,
      { details: { field: config.frontEnds ? 'frontEnds' : 'ensemble' } },
    );
  }
  const cnn = { ...CNN_DEFAULTS, ...(config.cnn ?? {}) };
  const rnn = { ...RNN_DEFAULTS, ...(config.rnn ?? {}) };
  checkNetworkConfig(cnn, rnn, config);
  const windowSeconds = config.windowSeconds ?? 1;
  if (!(typeof windowSeconds === 'number' && windowSeconds >= 0.2 && windowSeconds <= 10)) {
    throw new AppliedMLError('E_INPUT_INVALID', 'windowSeconds must be between 0.2 and 10.', { details: { field: 'windowSeconds' } });
  }
  return {
    model,
    features: frontEnds[0] as ResolvedFeatureConfig,
    frontEnds,
    windowSeconds,
    vad: config.vad === false ? false : { ...RECOGNIZER_VAD_DEFAULTS, ...definedOnly(config.vad ?? {}) },
    augment,
    cnn,
    rnn,
    epochs: config.epochs ?? 16,
    batchSize: config.batchSize ?? 32,
    learningRate: config.learningRate ?? 2e-3,
    maxSeconds: config.maxSeconds ?? DEFAULT_MAX_AUDIO_SECONDS,
    seed: config.seed ?? 42,
    ensemble,
    testTimeWarps: checkWarps(config.testTimeWarps ?? [1]),
  };
}

/** The names of `augment.pad`'s fields. */
const PAD_KEYS = Object.keys({ probability: 1, maxMs: 1, snrDb: 1 } satisfies Record<keyof AugmentPad, 1>);

/**
 * `augment.pad` as given over `AUGMENT_PAD_DEFAULTS` (undefined: the default, `AUGMENT_DEFAULTS.pad`; null:
 * none); a value that is not an object, a misspelt field or a value out of range is E_INPUT_INVALID
 * naming the field.
 */
function resolvePad(pad: Partial<AugmentPad> | null | undefined): AugmentPad | null {
  if (pad === undefined) return AUGMENT_DEFAULTS.pad;
  if (pad === null) return null;
  if (typeof pad !== 'object' || Array.isArray(pad))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `augment.pad must be null or an object { probability, maxMs, snrDb } (got ${describeValue(pad)}).`,
      { details: { field: 'augment.pad' } },
    );
  checkKnownKeys('augment.pad', pad, PAD_KEYS);
  const out = { ...AUGMENT_PAD_DEFAULTS, ...definedOnly(pad) };
  checkNumberOption('augment.pad.probability', out.probability, 0, 1, { optional: false });
  checkNumberOption('augment.pad.maxMs', out.maxMs, 0, 5000, { open: 'min', optional: false });
  checkRange('augment.pad.snrDb', out.snrDb, 0, 120);
  return { probability: out.probability, maxMs: out.maxMs, snrDb: [out.snrDb[0], out.snrDb[1]] };
}

/** Every front end's resolved feature config: the overrides laid over `features`; they must give the same frames. */
function resolveFrontEnds(
  features: Partial<FeatureConfig> | undefined,
  list: ReadonlyArray<Partial<FeatureConfig>>,
): ResolvedFeatureConfig[] {
  if (
    !Array.isArray(list) ||
    list.length < 1 ||
    list.length > 4 ||
    // Array.from visits holes too (every would skip them).
    !Array.from(list).every((f) => f !== null && typeof f === 'object' && !Array.isArray(f))
  ) {
    throw new AppliedMLError('E_INPUT_INVALID', 'frontEnds must be a list of 1 to 4 feature configs (objects).', {
      details: { field: 'frontEnds' },
    });
  }
  const resolved = list.map((f) => resolveFeatureConfig({ ...(features ?? {}), ...f }));
  const first = resolved[0] as ResolvedFeatureConfig;
  const same = (f: ResolvedFeatureConfig): boolean =>
    f.sampleRate === first.sampleRate &&
    f.winLength === first.winLength &&
    f.hopLength === first.hopLength &&
    f.nFft === first.nFft &&
    f.center === first.center;
  if (!resolved.every(same)) {
    throw new AppliedMLError('E_INPUT_INVALID', 'frontEnds must share sampleRate, frameMs, hopMs, nFft and center (the same frames).', {
      details: { field: 'frontEnds' },
    });
  }
  return resolved;
}

/** The front ends of a trained model (one unless the bundle says otherwise). */
function frontEndsOf(pre: Preprocessing): ResolvedFeatureConfig[] {
  return pre.frontEnds ?? [pre.features];
}

/**
 * Bundle names of an ensemble's networks: `main` alone, `member0` … of one front end, `fe0-member0` … of
 * several (grouped by front end). An SDK that knows only the earlier names refuses the later bundles
 * instead of feeding every network the first front end's features.
 */
function memberNames(count: number, frontEnds = 1): string[] {
  if (frontEnds > 1) {
    const per = count / frontEnds;
    return Number.isInteger(per) && per >= 1 ? Array.from({ length: count }, (_, i) => `fe${Math.floor(i / per)}-member${i % per}`) : [];
  }
  return count === 1 ? ['main'] : Array.from({ length: count }, (_, i) => `member${i}`);
}

/**
 * The trainer seed of an ensemble member: the recognizer's seed for the first (so `ensemble: 1` is the
 * single model), a hash of (seed, member) for the others, so that members of neighbouring seeds do not
 * share their shuffles, dropout and augmentation draws.
 */
function memberSeed(seed: number, member: number): number {
  if (member === 0) return seed;
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(member, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

/** 1–16 numbers in [0.7, 1.3], every index walked (a hole or a nested array saved a bundle that `load` refused). */
function checkWarps(warps: unknown): number[] {
  if (!Array.isArray(warps) || warps.length === 0 || warps.length > 16 || !allNumbersIn(warps, 0.7, 1.3)) {
    throw new AppliedMLError('E_INPUT_INVALID', 'testTimeWarps must be 1–16 warps between 0.7 and 1.3.', {
      details: { field: 'testTimeWarps' },
    });
  }
  return Array.from(warps as number[]);
}

/**
 * Silence this long between sounds of an utterance (VAD padding left out) parts another sound from the
 * word (the VAD already joins a word's own pauses, which are shorter). Recognition reads the sound with
 * the highest mean power.
 */
const WORD_GAP_SECONDS = 0.5;

/** Every option name, so a misspelt one is refused at `create` (kept in step with the interface by `satisfies`). */
const CONFIG_KEYS = Object.keys({
  model: 1,
  features: 1,
  windowSeconds: 1,
  vad: 1,
  augment: 1,
  cnn: 1,
  rnn: 1,
  epochs: 1,
  batchSize: 1,
  learningRate: 1,
  maxSeconds: 1,
  seed: 1,
  ensemble: 1,
  frontEnds: 1,
  testTimeWarps: 1,
} satisfies Record<keyof SpeechRecognizerConfig, 1>);
const NESTED_KEYS: Record<string, string[]> = {
  vad: VAD_KEYS,
  augment: Object.keys({
    copies: 1,
    fresh: 1,
    speed: 1,
    vtlp: 1,
    noiseSnrDb: 1,
    timeShiftFrames: 1,
    timeStretch: 1,
    timeMasks: 1,
    timeMaskFrames: 1,
    freqMasks: 1,
    freqMaskBins: 1,
    pad: 1,
  } satisfies Record<keyof AugmentConfig, 1>),
  cnn: Object.keys({
    filters: 1,
    kernel: 1,
    dense: 1,
    dropout: 1,
  } satisfies Record<keyof CnnConfig, 1>),
  rnn: Object.keys({
    units: 1,
    pool: 1,
    dropout: 1,
  } satisfies Record<keyof RnnConfig, 1>),
};

const LOAD_KEYS = Object.keys({ device: 1, logger: 1 } satisfies Record<'device' | 'logger', 1>);
const TRAIN_KEYS = Object.keys({
  validation: 1,
  epochs: 1,
  patience: 1,
  device: 1,
  logger: 1,
  progress: 1,
  onEpochEnd: 1,
  parallel: 1,
  classWeight: 1,
  signal: 1,
} satisfies Record<keyof TrainOptions, 1>);
const RATE_KEYS = ['sampleRate'];
const SEQUENCE_KEYS = Object.keys({ vad: 1, minScore: 1, sampleRate: 1 } satisfies Record<
  keyof (SequenceOptions & { sampleRate?: number }),
  1
>);

/** Option names at every level: the top, the nested option objects (`false` turns VAD or augmentation off), each front end. */
function checkConfigKeys(config: SpeechRecognizerConfig): void {
  checkKnownKeys('SpeechRecognizer config', config, CONFIG_KEYS);
  checkKnownKeys('features', config.features, FEATURE_KEYS);
  for (const [name, keys] of Object.entries(NESTED_KEYS)) {
    const value = (config as Record<string, unknown>)[name];
    if (value !== false) checkKnownKeys(name, value, keys);
  }
  const frontEnds = config.frontEnds;
  if (Array.isArray(frontEnds)) for (let i = 0; i < frontEnds.length; i++) checkKnownKeys(`frontEnds[${i}]`, frontEnds[i], FEATURE_KEYS);
}

/**
 * Spoken-word recognition: MFCC frames (with deltas and per-utterance CMVN) of the VAD-trimmed
 * utterance, centred in a fixed window, into a 1-D CNN or a GRU/LSTM. Lifecycle: train → predict /
 * recognize → evaluate → save / load → dispose.
 */
export class SpeechRecognizer {
  private readonly config: ResolvedConfig;
  private pre: Preprocessing | undefined;
  /** One network, or the members of an ensemble (their probabilities are averaged). */
  private networks: tf.LayersModel[] | undefined;
  private disposed = false;
  /** Loaded from a bundle: its maxSeconds is the bundle's, which no option of `load` changes. */
  private loaded = false;
  /** Overlapping trains: the last started installs its model, whatever order they finish in. */
  private readonly trains = new TrainTickets();

  private constructor(config: ResolvedConfig) {
    this.config = config;
  }

  static create(config: SpeechRecognizerConfig = {}): SpeechRecognizer {
    checkConfigKeys(config);
    return new SpeechRecognizer(resolveConfig(config));
  }

  /** True once trained or loaded, until `dispose`. */
  get isTrained(): boolean {
    return !this.disposed && this.pre !== undefined && this.networks !== undefined;
  }

  /** The labels the model knows (after training or loading). */
  get labels(): string[] {
    return [...this.ready().pre.labels];
  }

  /** The feature config the model uses (stored in its bundle); with several front ends, the first. */
  get featureConfig(): ResolvedFeatureConfig {
    this.alive();
    return { ...(this.pre?.features ?? this.config.features) };
  }

  /** Every front end's feature config, in the order of their networks (stored in the bundle). */
  get frontEndConfigs(): ResolvedFeatureConfig[] {
    this.alive();
    return (this.pre ? frontEndsOf(this.pre) : this.config.frontEnds).map((f) => ({ ...f }));
  }

  /** The test-time warps predictions average over ([1] = none); settable after training or loading. */
  get testTimeWarps(): number[] {
    this.alive();
    return [...(this.pre?.testTimeWarps ?? this.config.testTimeWarps)];
  }

  set testTimeWarps(warps: number[]) {
    this.alive();
    const checked = checkWarps(warps);
    this.config.testTimeWarps = checked;
    // A new object: a call in flight keeps the warps it started with.
    if (this.pre) this.pre = { ...this.pre, testTimeWarps: checked };
  }

  /** The model's sample rate: every input is resampled to it. */
  get sampleRate(): number {
    this.alive();
    return (this.pre?.features ?? this.config.features).sampleRate;
  }

  /**
   * Train (or retrain) the model. Overlapping trains on one recognizer: the model ends as the
   * last-started one left it, whatever order they finish in; an earlier train still running when a later
   * one installs its model stops at its next step (worker threads at once), frees what it built and
   * rejects with E_BUSY (`details.reason` 'superseded'); a later train that fails leaves the earlier one
   * free to install. `signal` stops it (E_ABORTED, the recognizer as it was before the call).
   */
  async train(data: readonly SpeechExample[], options: TrainOptions = {}): Promise<SpeechTrainingReport> {
    const ticket = this.trains.start();
    try {
      return await this.trainRun(data, options, ticket);
    } catch (error) {
      // Disposed and aborted both (a service's shutdown does both, in either order): the dispose wins,
      // E_MODEL_DISPOSED as a dispose alone gives (docs/sdk-conventions.md).
      if (this.disposed && AppliedMLError.hasCode(error, 'E_ABORTED'))
        throw new AppliedMLError('E_MODEL_DISPOSED', 'This SpeechRecognizer was disposed while it trained; create or load another.');
      // Stopped because a later train installed its model: E_BUSY, as at the install.
      throw this.trains.trainError(error, TRAIN_WHAT);
    } finally {
      this.trains.finish(ticket);
    }
  }

  private async trainRun(data: readonly SpeechExample[], options: TrainOptions, ticket: number): Promise<SpeechTrainingReport> {
    this.alive();
    const c = this.config;
    // The options first, then an aborted signal, then the data (docs/sdk-conventions.md).
    checkKnownKeys('train options', options, TRAIN_KEYS);
    // The user's signal, and a later train's install: either stops this one at its next turn.
    const signal = this.trains.trainSignal(ticket, checkSignalOption(options.signal), TRAIN_WHAT);
    // As create checks config.epochs; an epochs of -1 was refused by fitModel only after the features were made.
    checkIntegerOption('epochs', options.epochs, 1, 10_000);
    checkIntegerOption('patience', options.patience, 0, 10_000);
    checkProgressOption('progress', options.progress);
    if (options.device !== undefined) checkDevice(options.device);
    // Read as `!== false`, so the text 'false' or 0 meant "in worker threads".
    if (options.parallel !== undefined && typeof options.parallel !== 'boolean')
      throw new AppliedMLError('E_INPUT_INVALID', `parallel must be true or false (got ${describeValue(options.parallel)}).`, {
        details: { field: 'parallel' },
      });
    // Aborted already: nothing read, nothing built.
    throwIfAborted(signal, TRAIN_WHAT);
    checkExamples(data, 'Training data');
    /**
     * The event loop gets a turn every ~50 ms of the work below (a service keeps answering), and an abort
     * is seen there. Turns change no result: the feature and augmentation draws come from `rng`, not
     * from anything that runs meanwhile.
     */
    const turns = eventLoopTurns(50, { signal, what: TRAIN_WHAT });
    const device = await initEngine({
      ...(options.device ? { device: options.device } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    const labels = [...new Set(data.map((d) => d.label))].sort();
    if (labels.length < 2) throw new AppliedMLError('E_INPUT_INVALID', 'Training data needs at least two different labels.');
    const counts = labels.map(() => 0);
    const index = new Map(labels.map((l, i) => [l, i]));
    for (const d of data) counts[index.get(d.label) as number]! += 1;
    // 'balanced' is n / (labels × count) over the training utterances; a map names training labels.
    const classWeight = resolveClassWeights(options.classWeight, labels, counts);
    const few = fewExampleLabels(labels, counts);
    if (few.length > 0)
      options.logger?.warn(
        `speech: ${few.length === 1 ? 'a label has' : 'labels have'} very few training examples (most: ${Math.max(...counts)}): ${few
          .map(({ label, count }) => `'${label}' ${count}`)
          .join(', ')}; the model may never recognise ${few.length === 1 ? 'it' : 'them'}. Add recordings${
          // 'balanced' weighs every label 1 when they all have the same count: no advice then.
          options.classWeight === undefined && counts.some((k) => k !== counts[0]) ? ", or weigh them up with classWeight: 'balanced'" : ''
        }.`,
      );
    const frames = frameCount(Math.round(c.windowSeconds * c.features.sampleRate), c.features);
    const pre: Preprocessing = {
      model: c.model,
      labels,
      features: c.features,
      ...(c.frontEnds.length > 1 ? { frontEnds: c.frontEnds } : {}),
      frames,
      windowSeconds: c.windowSeconds,
      vad: c.vad,
      maxSeconds: c.maxSeconds,
      testTimeWarps: c.testTimeWarps,
    };
    const fes = c.frontEnds;
    const rng = createRng(c.seed);

    const t0 = performance.now();
    /** The training rows of every front end (row i of each is the same utterance or copy). */
    const rows: Float32Array[][] = fes.map(() => []);
    const ys: number[] = [];
    const fresh = c.augment.fresh && c.augment.copies > 0;
    /** With fresh copies: the trimmed waveform behind each copy row (the clean rows have none). */
    const sources: Array<Float32Array | undefined> = [];
    for (const [i, example] of data.entries()) {
      await turns.turn();
      const speech = (await this.speechAt(example.audio, pre, example.sampleRate, 'Training example', i)).speech.samples;
      const clean = windowedViews(speech, fes, frames);
      clean.forEach((r, f) => rows[f]?.push(r));
      ys.push(index.get(example.label) as number);
      sources.push(undefined);
      for (let k = 0; k < c.augment.copies; k++) {
        if (fresh) {
          // A placeholder row: every batch replaces it with a newly perturbed copy.
          clean.forEach((r, f) => rows[f]?.push(r));
          sources.push(speech);
        } else {
          // One perturbation per copy, seen through every front end.
          await turns.turn();
          const p = this.copyOf(speech, c.augment, rng, pre);
          windowedViews(p.samples, fes, frames, p.warp).forEach((r, f) => rows[f]?.push(r));
        }
        ys.push(index.get(example.label) as number);
      }
    }
    const featureSeconds = (performance.now() - t0) / 1000;
    let validation: { x: tf.Tensor[]; y: tf.Tensor; labels: number[]; rows: Float32Array[][] } | undefined;
    if (options.validation && options.validation.length > 0) {
      checkExamples(options.validation, 'Validation data');
      const vRows: Float32Array[][] = fes.map(() => []);
      const vLabels: number[] = [];
      for (const [i, example] of options.validation.entries()) {
        await turns.turn();
        const li = index.get(example.label);
        if (li === undefined)
          throw new AppliedMLError(
            'E_INPUT_INVALID',
            `Validation label '${example.label}' (validation[${i}]) is not in the training labels (${labels.join(', ')}).`,
            { details: { index: i, label: example.label } },
          );
        const speech = (await this.speechAt(example.audio, pre, example.sampleRate, 'Validation example', i)).speech.samples;
        windowedViews(speech, fes, frames).forEach((r, f) => vRows[f]?.push(r));
        vLabels.push(li);
      }
      validation = {
        x: fes.map((fe, f) => stack(vRows[f] as Float32Array[], frames, fe.dim)),
        y: tf.tensor1d(vLabels, 'float32'),
        labels: vLabels,
        rows: vRows,
      };
    }

    const layouts = fes.map((fe) => {
      const blocks = 1 + fe.deltas;
      return { blocks, blockDim: fe.cepstralDim / blocks };
    });
    const aug = c.augment;
    const augmenting = fresh || aug.timeShiftFrames > 0 || aug.timeStretch !== null || aug.timeMasks > 0 || aug.freqMasks > 0;
    // Fresh copies draw from Math.random, which the trainer seeds around every step.
    const draws = { next: (): number => Math.random() };
    const total = fes.length * c.ensemble;
    /** The front end of network m: the networks are grouped by front end, `ensemble` each. */
    const feOf = (m: number): number => Math.floor(m / c.ensemble);
    const networks: tf.LayersModel[] = [];
    const reports: TrainingReport[] = [];
    const threadable =
      total > 1 &&
      options.parallel !== false &&
      !fresh &&
      !validation &&
      !options.onEpochEnd &&
      (device.backend === 'wasm' || device.backend === 'cpu') &&
      parallelWorkers(total) > 1;
    const parallel = threadable && memberWorkersAvailable();
    if (threadable && !parallel)
      options.logger?.warn(
        'speech: the ensemble worker entry (member-worker.js) was not found beside the package (bundled?); training the members one after another',
      );
    // The sequential path trains on tensors; the threaded one hands the rows to the workers.
    const xs = parallel ? undefined : fes.map((fe, f) => stack(rows[f] as Float32Array[], frames, fe.dim));
    const y = parallel ? undefined : tf.tensor1d(ys, 'float32');
    const trainStart = performance.now();
    let validationMetrics: SpeechMetrics | undefined;
    try {
      // Every network is built first (the seeded initial weights do not depend on training order).
      for (let member = 0; member < total; member++) {
        await turns.turn();
        const dim = (fes[feOf(member)] as ResolvedFeatureConfig).dim;
        // tfjs prints a notice for the GRU / LSTM orthogonal initialiser; it goes to the logger instead.
        networks.push(
          routeConsoleWarnings(options.logger ?? silentLogger, () =>
            withSeededRandom(rng, () =>
              c.model === 'cnn' ? buildCnn(frames, dim, labels.length, c.cnn) : buildRnn(c.model, frames, dim, labels.length, c.rnn),
            ),
          ),
        );
      }
      if (parallel) {
        const workers = parallelWorkers(total);
        options.logger?.info(`speech: training ${total} ensemble members in ${workers} worker threads`);
        reports.push(
          ...(await trainMembersInWorkers(
            networks,
            fes.map((fe, f) => ({ rows: rows[f] as Float32Array[], shape: [ys.length, frames, fe.dim] as [number, number, number] })),
            feOf,
            ys,
            (member) => ({
              device: device.device,
              epochs: options.epochs ?? c.epochs,
              batchSize: c.batchSize,
              learningRate: c.learningRate,
              seed: memberSeed(c.seed, member),
              ...(classWeight ? { classWeight } : {}),
              augment: augmenting ? aug : null,
              layout: layouts[feOf(member)] as FrameLayout,
            }),
            workers,
            { signal, what: TRAIN_WHAT },
          )),
        );
      } else {
        for (const [member, network] of networks.entries()) {
          const f = feOf(member);
          const fe = fes[f] as ResolvedFeatureConfig;
          const layout = layouts[f] as FrameLayout;
          reports.push(
            await fitModel(network, (xs as tf.Tensor[])[f] as tf.Tensor, y as tf.Tensor, {
              ...memberFitOptions({
                epochs: options.epochs ?? c.epochs,
                batchSize: c.batchSize,
                learningRate: c.learningRate,
                seed: memberSeed(c.seed, member),
                classWeight,
              }),
              ...(validation
                ? {
                    validationData: { x: validation.x[f] as tf.Tensor, y: validation.y },
                    earlyStopping: { monitor: 'val_loss', patience: options.patience ?? 6, restoreBestWeights: true },
                  }
                : {}),
              ...(augmenting
                ? {
                    augment: (xb: tf.Tensor, batchRows: Int32Array) => {
                      if (!fresh) return augmentBatchTensor(xb, layout, aug);
                      const per = (xb.shape[1] as number) * (xb.shape[2] as number);
                      const batch = (xb.dataSync() as Float32Array).slice();
                      batchRows.forEach((r, i) => {
                        const source = sources[r];
                        if (!source) return;
                        const p = this.copyOf(source, aug, draws, pre);
                        batch.set(windowedViews(p.samples, [fe], frames, p.warp)[0] as Float32Array, i * per);
                      });
                      return augmentBatchTensor(xb, layout, aug, batch);
                    },
                  }
                : {}),
              progress: options.progress ?? false,
              progressLabel: total > 1 ? `speech ${c.model} ${member + 1}/${total}` : `speech ${c.model}`,
              ...(options.logger ? { logger: options.logger } : {}),
              ...(options.onEpochEnd ? { callbacks: { onEpochEnd: options.onEpochEnd } } : {}),
              signal,
              what: TRAIN_WHAT,
              // An aborted or superseded train frees these networks: no copy of their weights to put back.
              restoreOnAbort: false,
            }),
          );
        }
      }
      // The validation metrics before the install (which no await may precede), with the same turns.
      if (validation)
        validationMetrics = this.metricsOf(
          validation.labels,
          (await this.classifyTakingTurns(validation.rows, { pre, networks }, turns)).map(argmax),
          labels,
        );
    } catch (error) {
      networks.forEach((n) => n.dispose());
      throw error;
    } finally {
      xs?.forEach((x) => x.dispose());
      y?.dispose();
      validation?.x.forEach((x) => x.dispose());
      validation?.y.dispose();
    }
    // Disposed while training ran: the new networks are freed, not attached to a disposed model.
    if (this.disposed) {
      networks.forEach((n) => n.dispose());
      throw new AppliedMLError('E_MODEL_DISPOSED', 'This SpeechRecognizer was disposed while it trained; create or load another.');
    }
    // A train started after this one has installed its model meanwhile: that one stays (no await from here to the install).
    if (!this.trains.install(ticket)) {
      networks.forEach((n) => n.dispose());
      throw this.trains.supersededError('SpeechRecognizer.train');
    }
    this.networks?.forEach((n) => n.dispose());
    this.networks = networks;
    const first = reports[0] as TrainingReport;
    // An ensemble's time is the wall time of all its members (they may have trained at the same time).
    const report: TrainingReport = reports.length > 1 ? { ...first, seconds: (performance.now() - trainStart) / 1000 } : first;
    this.pre = pre;
    const out: SpeechTrainingReport = {
      ...report,
      trainingExamples: ys.length,
      featureSeconds,
      ...(reports.length > 1 ? { members: reports, parallel } : {}),
    };
    if (validationMetrics) out.validation = validationMetrics;
    return out;
  }

  /** Recognise one utterance: the most likely label, every label's score, where the speech was, and timings. */
  async predict(audio: AudioInput, options: { sampleRate?: number } = {}): Promise<Recognition> {
    this.ready();
    checkKnownKeys('recognize options', options, RATE_KEYS);
    return this.onOneModel(async (state) => {
      const t0 = performance.now();
      const decoded = await this.decode(audio, state.pre, options.sampleRate);
      this.current(state);
      return this.recognizeDecoded(decoded, state, t0);
    });
  }

  /** The same as `predict`. */
  async recognize(audio: AudioInput, options: { sampleRate?: number } = {}): Promise<Recognition> {
    return this.predict(audio, options);
  }

  /** Recognise many utterances in one batched network call. */
  async predictBatch(inputs: readonly AudioInput[], options: { sampleRate?: number } = {}): Promise<Recognition[]> {
    this.ready();
    checkKnownKeys('predictBatch options', options, RATE_KEYS);
    if (!Array.isArray(inputs) || inputs.length === 0)
      throw new AppliedMLError('E_INPUT_INVALID', 'predictBatch needs a non-empty array of audio inputs.');
    return this.onOneModel(async (state) => {
      const { pre } = state;
      const t0 = performance.now();
      const prepared: Array<{ speech: Float32Array; decoded: DecodedAudio; start: number; end: number }> = [];
      for (const [i, input] of inputs.entries()) {
        const { decoded, speech: sp } = await this.speechAt(input, pre, options.sampleRate, 'Input', i);
        prepared.push({ speech: sp.samples, decoded, start: sp.start, end: sp.end });
      }
      this.current(state);
      const rows = this.rowsOf(
        prepared.map((p) => p.speech),
        pre,
      );
      const t1 = performance.now();
      const probs = this.probsOf(rows, prepared.length, state);
      const t2 = performance.now();
      return prepared.map((p, i) =>
        this.result(probs[i] as Float32Array, pre, p.decoded, p.start, p.end, {
          decodeMs: 0,
          featuresMs: (t1 - t0) / inputs.length,
          inferenceMs: (t2 - t1) / inputs.length,
          totalMs: (t2 - t0) / inputs.length,
        }),
      );
    });
  }

  /** Several words in one recording (e.g. a spoken digit string): VAD segments, each recognised. */
  async recognizeSequence(audio: AudioInput, options: SequenceOptions & { sampleRate?: number } = {}): Promise<SequenceRecognition> {
    this.ready();
    checkKnownKeys('recognizeSequence options', options, SEQUENCE_KEYS);
    checkKnownKeys('vad', options.vad, NESTED_KEYS.vad!);
    // Checked as a stream checks it: NaN, a string or a value outside [0, 1] silently kept or dropped every word.
    checkNumberOption('minScore', options.minScore, 0, 1);
    return this.onOneModel(async (state) => {
      const { pre } = state;
      const t0 = performance.now();
      const decoded = await this.decode(audio, pre, options.sampleRate);
      this.current(state);
      const segments = detectSpeech(decoded.samples, decoded.sampleRate, { ...SEQUENCE_VAD_DEFAULTS, ...definedOnly(options.vad ?? {}) });
      const words: WordDetection[] = [];
      if (segments.length > 0) {
        const speech = segments.map((s) => this.speechOf(decoded.samples.subarray(s.start, s.end), pre).samples);
        const probs = this.probsOf(this.rowsOf(speech, pre), speech.length, state);
        segments.forEach((s, i) => {
          const p = probs[i] as Float32Array;
          const k = argmax(p);
          const score = p[k] as number;
          if (score < (options.minScore ?? 0)) return;
          words.push({
            label: pre.labels[k] as string,
            score,
            scores: scoresOf(p, pre.labels),
            startSeconds: s.startSeconds,
            endSeconds: s.endSeconds,
          });
        });
      }
      const oneChar = pre.labels.every((l) => l.length === 1);
      return {
        words,
        text: words.map((w) => w.label).join(oneChar ? '' : ' '),
        durationSeconds: decoded.durationSeconds,
        timing: { totalMs: performance.now() - t0 },
      };
    });
  }

  /**
   * A streaming recogniser: push chunks of samples, get detections with timestamps. The stream follows
   * the recognizer: after a retrain each word is recognised by the current model (its labels, settings
   * and networks together). A retrain keeps the config, so the audio it holds stays valid; should its model
   * ever be at another sample rate, the stream ends: its `push` / `flush` are E_SHAPE_MISMATCH with
   * `details.reason` 'model-sample-rate-changed' from then on.
   */
  createStream(options: StreamingOptions = {}): StreamingRecognizer {
    const { pre } = this.ready();
    checkKnownKeys('createStream options', options, STREAM_KEYS);
    checkKnownKeys('vad', options.vad, NESTED_KEYS.vad!);
    const rate = pre.features.sampleRate;
    let ended: AppliedMLError | undefined;
    /** The recognizer's model now: E_MODEL_DISPOSED once disposed; one at another sample rate ends the stream for good. */
    const now = (): ModelState => {
      const state = this.ready();
      const modelRate = state.pre.features.sampleRate;
      if (!ended && modelRate !== rate)
        ended = new AppliedMLError(
          'E_SHAPE_MISMATCH',
          `The recognizer's model is now at ${modelRate} Hz; this stream holds audio at ${rate} Hz and has ended. Create a new stream.`,
          { details: { reason: STREAM_MODEL_CHANGED, streamSampleRate: rate, modelSampleRate: modelRate } },
        );
      if (ended) throw ended;
      return state;
    };
    return new StreamingRecognizer(
      rate,
      (samples) => {
        // One state per word: its labels name the scores of its own networks.
        const state = now();
        const probs = this.probsOf(this.rowsOf([this.speechOf(samples, state.pre).samples], state.pre), 1, state)[0] as Float32Array;
        return { probs, labels: state.pre.labels };
      },
      options,
      // Every push and flush: a stream of a disposed recognizer refuses audio at once, not at the next word.
      () => void now(),
    );
  }

  /** Accuracy, macro F1, the confusion matrix and per-label precision/recall on labelled recordings. */
  async evaluate(data: readonly SpeechExample[]): Promise<SpeechMetrics> {
    this.ready();
    checkExamples(data, 'Evaluation data');
    return this.onOneModel(async (state) => {
      const { pre } = state;
      const index = new Map(pre.labels.map((l, i) => [l, i]));
      const rows: Float32Array[] = [];
      const truth: number[] = [];
      for (const [i, example] of data.entries()) {
        const li = index.get(example.label);
        if (li === undefined)
          throw new AppliedMLError(
            'E_INPUT_INVALID',
            `Label '${example.label}' (evaluation data[${i}]) is not one the model knows (${pre.labels.join(', ')}).`,
            { details: { index: i, label: example.label } },
          );
        rows.push((await this.speechAt(example.audio, pre, example.sampleRate, 'Evaluation example', i)).speech.samples);
        truth.push(li);
      }
      this.current(state);
      return this.metricsOf(truth, this.probsOf(this.rowsOf(rows, pre), rows.length, state).map(argmax), pre.labels);
    });
  }

  /**
   * Writes the model as a bundle (atomically). A retrain that finishes while the networks are read
   * saves the new model instead; a dispose meanwhile is E_MODEL_DISPOSED, and `dir` is left as it was
   * (absent, or the earlier bundle).
   */
  async save(dir: string): Promise<void> {
    this.ready();
    await this.onOneModel(({ pre, networks }) => this.saveState(dir, pre, networks));
  }

  /**
   * The bundle is written whole into the swap's hidden staging folder and moved into place only if the
   * recognizer is still alive once it is written: saveBundle writing to `dir` itself resolved, with a
   * complete bundle, when a dispose came while it ran (its weights were captured before the dispose).
   */
  private async saveState(dir: string, pre: Preprocessing, networks: tf.LayersModel[]): Promise<void> {
    await replaceDirAtomic(
      dir,
      async (staging) => {
        const inner = join(staging, 'bundle');
        try {
          await this.writeBundle(inner, pre, networks);
        } catch (error) {
          throw savedTo(error, inner, dir);
        }
        for (const name of await readdir(inner)) await rename(join(inner, name), join(staging, name));
        await rmdir(inner);
        // The last point before the swap: disposed meanwhile, the staging folder goes and `dir` stays.
        this.alive();
      },
      // A folder is replaced only when its manifest.json is a bundle this package wrote: another SDK's
      // bundle is E_BUNDLE_INCOMPATIBLE, anything else E_INPUT_INVALID (a plain 'manifest.json' took
      // any package's bundle).
      { marker: bundleMarker(SPEECH_PACKAGE) },
    );
  }

  private async writeBundle(dir: string, pre: Preprocessing, networks: tf.LayersModel[]): Promise<void> {
    await saveBundle(dir, {
      package: SPEECH_PACKAGE,
      packageVersion: SPEECH_VERSION,
      task: SPEECH_TASK,
      labels: pre.labels,
      preprocessing: pre as unknown as JsonValue,
      config: {
        model: this.config.model,
        cnn: this.config.cnn,
        rnn: this.config.rnn,
        augment: this.config.augment,
        ensemble: networks.length,
      } as unknown as JsonValue,
      models: Object.fromEntries(networks.map((n, i) => [memberNames(networks.length, frontEndsOf(pre).length)[i] as string, n])),
    });
  }

  static async load(dir: string, options: { device?: Device; logger?: Logger } = {}): Promise<SpeechRecognizer> {
    checkKnownKeys('load options', options, LOAD_KEYS);
    await initEngine({ ...(options.device ? { device: options.device } : {}), ...(options.logger ? { logger: options.logger } : {}) });
    // A network this engine cannot rebuild (a layer class a later version writes): from a newer version,
    // loadBundle says it needs an upgrade (E_BUNDLE_INCOMPATIBLE), not repair.
    const bundle = await loadBundle(dir, { package: SPEECH_PACKAGE, task: SPEECH_TASK, readerVersion: SPEECH_VERSION });
    try {
      // Exactly the networks the bundle says it holds: one `main`, `member0` … of an ensemble, `fe0-member0` …
      // of several front ends (a bundle with a member missing or an extra model is corrupt, never silently
      // used in part).
      const count = (bundle.manifest.config as { ensemble?: unknown } | undefined)?.ensemble ?? 1;
      const listed = (bundle.manifest.preprocessing as { frontEnds?: unknown } | undefined)?.frontEnds;
      const fronts = Array.isArray(listed) ? listed.length : 1;
      const names = typeof count === 'number' && Number.isInteger(count) && count >= 1 && count <= 16 ? memberNames(count, fronts) : [];
      const present = Object.keys(bundle.models);
      if (names.length === 0 || present.length !== names.length || !names.every((n) => bundle.models[n]))
        throw new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: it does not hold the networks it describes.`, {
          details: { dir, expected: names, found: present },
        });
      const networks = names.map((n) => bundle.models[n] as tf.LayersModel);
      const pre = bundle.manifest.preprocessing as unknown as Preprocessing | undefined;
      // A newer version's save: a setting this version does not know is refused, not dropped (dropped,
      // the model would hear its audio otherwise than it was saved to).
      const unknown = unknownSettings(bundle);
      if (unknown.length > 0) throw unknownPartsError(dir, unknown);
      // A model type this version does not have (one a later version added, say) is named as such.
      if (pre && typeof pre === 'object' && typeof pre.model === 'string' && !MODEL_TYPES.includes(pre.model))
        throw new AppliedMLError(
          'E_BUNDLE_CORRUPT',
          `Bundle ${dir}: its model ${describeValue(pre.model)} is not one this version has (${MODEL_TYPES.join(', ')}).`,
          { details: { dir, field: 'preprocessing.model' } },
        );
      if (
        !pre ||
        typeof pre !== 'object' ||
        !MODEL_TYPES.includes(pre.model) ||
        !Array.isArray(pre.labels) ||
        pre.labels.length < 2 ||
        !pre.features ||
        typeof pre.features !== 'object' ||
        Array.isArray(pre.features)
      ) {
        throw new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: it has no usable speech preprocessing.`, { details: { dir } });
      }
      const listedLabels = bundle.manifest.labels;
      if (
        !pre.labels.every((l) => typeof l === 'string' && l !== '') ||
        new Set(pre.labels).size !== pre.labels.length ||
        (listedLabels !== undefined && JSON.stringify(listedLabels) !== JSON.stringify(pre.labels))
      )
        throw new AppliedMLError(
          'E_BUNDLE_CORRUPT',
          `Bundle ${dir}: its labels are not distinct non-empty strings (the same in the manifest and the preprocessing).`,
          {
            details: { dir },
          },
        );
      if (pre.frontEnds !== undefined && (!Array.isArray(pre.frontEnds) || pre.frontEnds.length < 2)) {
        throw new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: frontEnds must list 2 or more feature configs.`, { details: { dir } });
      }
      checkSavedSettings(dir, pre);
      let features: ResolvedFeatureConfig;
      let frontEnds: ResolvedFeatureConfig[] | undefined;
      try {
        features = resolveFeatureConfig(savedFeatures(pre.features));
      } catch (cause) {
        throw corruptSetting(dir, 'features', cause);
      }
      if (pre.frontEnds !== undefined) {
        const listed = (pre.frontEnds as unknown[]).map(savedFeatures);
        // Each one alone first, so the error names the front end (`frontEnds[1].fMin`).
        for (let i = 0; i < listed.length; i++) {
          try {
            resolveFeatureConfig(listed[i]);
          } catch (cause) {
            throw corruptSetting(dir, `frontEnds[${i}]`, cause);
          }
        }
        try {
          frontEnds = resolveFrontEnds({}, listed);
        } catch (cause) {
          throw corruptSetting(dir, 'frontEnds', cause);
        }
      }
      const fes = frontEnds ?? [features];
      const per = networks.length / fes.length;
      const fits = (n: tf.LayersModel, m: number): boolean => {
        const shape = n.inputs[0]?.shape;
        const out = n.outputs[0]?.shape;
        const fe = fes[Math.floor(m / per)];
        return !!shape && !!fe && shape[1] === pre.frames && shape[2] === fe.dim && out?.[1] === pre.labels.length;
      };
      // The first front end is `features`, which also sets the rate every input is decoded at.
      const firstMatches = !frontEnds || JSON.stringify(frontEnds[0]) === JSON.stringify(features);
      if (!Number.isInteger(per) || !firstMatches || !networks.every(fits)) {
        throw new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: the network's input does not match its feature config.`, {
          details: { dir },
        });
      }
      let resolved: ResolvedConfig;
      try {
        resolved = resolveConfig({
          model: pre.model,
          features,
          // A bundle without front ends has exactly one (never the current defaults).
          frontEnds: frontEnds ?? [{}],
          windowSeconds: pre.windowSeconds,
          // A VAD setting this version does not know (written by another version) is ignored, as in the features.
          vad: pre.vad === false ? false : keepKnownKeys(pre.vad, VAD_KEYS),
          maxSeconds: pre.maxSeconds,
          ensemble: per,
          ...(pre.testTimeWarps ? { testTimeWarps: pre.testTimeWarps } : {}),
        });
      } catch (cause) {
        throw corruptSetting(dir, undefined, cause);
      }
      const model = new SpeechRecognizer(resolved);
      // Only checked values, resolved as `create` resolves them: the saved object itself (a deleted vad, a
      // testTimeWarps of 0 that the check skipped) reached predict before.
      model.pre = {
        model: resolved.model,
        labels: [...pre.labels],
        features,
        ...(frontEnds ? { frontEnds } : {}),
        frames: pre.frames,
        windowSeconds: resolved.windowSeconds,
        vad: resolved.vad,
        maxSeconds: resolved.maxSeconds,
        testTimeWarps: resolved.testTimeWarps,
      };
      model.networks = networks;
      model.loaded = true;
      return model;
    } catch (error) {
      Object.values(bundle.models).forEach((m) => m.dispose());
      // What this version cannot read in a bundle a newer one saved (a model type, a setting or a value
      // it added) is no damage: say so, and to upgrade (it said "corrupt").
      throw incompatibleIfNewer(error, { dir, package: SPEECH_PACKAGE, saved: bundle.manifest.packageVersion, running: SPEECH_VERSION });
    }
  }

  /** Free the network's memory. Every later call and property read is E_MODEL_DISPOSED (`isTrained` answers false), and so is its streams' next `push` / `flush`. */
  dispose(): void {
    this.networks?.forEach((n) => n.dispose());
    this.networks = undefined;
    this.pre = undefined;
    this.disposed = true;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  private alive(): void {
    if (this.disposed) throw new AppliedMLError('E_MODEL_DISPOSED', 'This SpeechRecognizer was disposed; create or load another.');
  }

  private ready(): ModelState {
    this.alive();
    if (!this.pre || !this.networks) throw new AppliedMLError('E_MODEL_NOT_TRAINED', 'Train or load the SpeechRecognizer first.');
    return { pre: this.pre, networks: this.networks };
  }

  /**
   * After a call's last `await`, before it reads its state's networks: E_MODEL_DISPOSED once disposed; a
   * retrain meanwhile (which disposed those networks) restarts the call (`RETRAINED`, caught by `onOneModel`).
   */
  private current(state: ModelState): void {
    this.alive();
    if (this.networks !== state.networks) throw RETRAINED;
  }

  /**
   * Runs a one-shot call on one model state, taken at its start. A retrain that finishes while the call
   * awaits (decoding, reading files) disposes the networks it holds: the whole call starts again on the
   * new model, so an answer is never the old labels over the new network's scores. A dispose meanwhile is
   * E_MODEL_DISPOSED, whatever the call was doing.
   */
  private async onOneModel<T>(run: (state: ModelState) => Promise<T>): Promise<T> {
    for (let restarts = 0; ; restarts++) {
      const state = this.ready();
      try {
        return await run(state);
      } catch (error) {
        this.alive();
        // Any failure once the networks were replaced (an input error found with the old settings, a save
        // that reached a network the retrain freed) is tried again on the new model, a few times: retrains
        // back to back could otherwise keep a call going for as long as they go on.
        if (error !== RETRAINED && this.networks === state.networks) throw error;
        if (restarts >= MAX_RESTARTS)
          throw new AppliedMLError(
            'E_BUSY',
            `The model was retrained ${restarts + 1} times during this call (each retrain replaces the networks it uses, so the call starts again); try again once retraining settles.`,
            { details: { restarts: restarts + 1 } },
          );
      }
    }
  }

  /**
   * Decodes one input at the model's rate, within its maxSeconds. Audio over it is refused with a way on
   * that this recognizer takes: readAudio's own hint said "or raise maxSeconds", which no call of a
   * recognizer has (it is a setting of `create`, and a loaded one's is its bundle's), and sent samples and
   * bytes to readAudioChunks, which reads files only. `use` is what the audio is for: a recognition
   * (which a stream can do on audio of any length) or a train / evaluate example (which a stream cannot).
   */
  private async decode(
    audio: AudioInput,
    pre: Preprocessing,
    sampleRate?: number,
    use: 'recognize' | 'example' = 'recognize',
  ): Promise<DecodedAudio> {
    try {
      return await readAudio(audio, {
        targetSampleRate: pre.features.sampleRate,
        maxSeconds: pre.maxSeconds,
        ...(sampleRate !== undefined ? { sampleRate } : {}),
      });
    } catch (cause) {
      if (!AppliedMLError.hasCode(cause, 'E_INPUT_TOO_LARGE')) throw cause;
      const { name, seconds } = (cause.details ?? {}) as { name?: string; seconds?: number };
      if (typeof name !== 'string' || typeof seconds !== 'number') throw cause;
      const setting = this.loaded
        ? ' (a loaded recognizer keeps the maxSeconds its bundle was saved with)'
        : `, or create the recognizer with a larger maxSeconds (SpeechRecognizer.create({ maxSeconds: ${Math.ceil(seconds)} }))`;
      const way =
        use === 'recognize'
          ? `Push longer audio to a stream (recognizer.createStream()), a file's read in chunks with readAudioChunks${setting}.`
          : `Cut the example to the word it holds${setting}.`;
      throw new AppliedMLError(
        'E_INPUT_TOO_LARGE',
        `${name} is ${seconds.toFixed(1)} s long; the limit is ${pre.maxSeconds} s (this recognizer's maxSeconds). ${way}`,
        { cause, details: { ...cause.details } },
      );
    }
  }

  /**
   * Decodes item `i` of a batch and finds its speech; an error says which item (and file) it was, in its
   * message and `details.index`, keeping its code.
   */
  private async speechAt(
    audio: AudioInput,
    pre: Preprocessing,
    sampleRate: number | undefined,
    what: string,
    i: number,
  ): Promise<{ decoded: DecodedAudio; speech: { samples: Float32Array; start: number; end: number } }> {
    try {
      const decoded = await this.decode(audio, pre, sampleRate, what === 'Input' ? 'recognize' : 'example');
      return { decoded, speech: this.speechOf(decoded.samples, pre) };
    } catch (cause) {
      if (!AppliedMLError.isInstance(cause)) throw cause;
      // The file is named once (a read error already names it); `item` is the batch position, as
      // `details.index` of a sample error stays the sample's.
      const file = typeof audio === 'string' && !cause.message.includes(audio) ? ` (${audio})` : '';
      throw new AppliedMLError(cause.code, `${what} ${i}${file}: ${cause.message}`, {
        cause,
        details: { ...cause.details, item: i, ...(typeof audio === 'string' ? { path: audio } : {}) },
      });
    }
  }

  /**
   * One perturbed training copy of a trimmed utterance (`perturb`) and, with `augment.pad`, background
   * around it (`padAround`) trimmed by the VAD as `speechOf` trims an input before recognition, so the copy
   * is what recognition would read of the word recorded with that background. A padded copy in which
   * the VAD finds no word (a noise as loud as a quiet word) is used unpadded.
   */
  private copyOf(
    speech: Float32Array,
    aug: AugmentConfig,
    rng: UniformSource,
    pre: Preprocessing,
  ): { samples: Float32Array; warp: number } {
    const p = perturb(speech, aug, rng);
    if (!aug.pad) return p;
    const padded = padAround(p.samples, pre.features.sampleRate, aug.pad, rng);
    if (padded === p.samples) return p;
    try {
      return { samples: this.speechOf(padded, pre).samples, warp: p.warp };
    } catch (error) {
      if (AppliedMLError.isInstance(error) && error.code === 'E_INPUT_INVALID') return p;
      throw error;
    }
  }

  /**
   * The speech part of an utterance. None → E_INPUT_INVALID saying why: `details.reason` 'silence' (quiet
   * only) or 'too-short' (sounds shorter than the VAD's minSpeechMs). A steady sound (noise, a hum) is read
   * whole, as the model may have a class for it ('steady-sound' is a stream's reason only).
   */
  private speechOf(samples: Float32Array, pre: Preprocessing): { samples: Float32Array; start: number; end: number } {
    if (pre.vad === false) return { samples, start: 0, end: samples.length };
    // Samples checked when decoded, the VAD settings at create / load.
    const { segments, reason } = speechAnalysis(samples, pre.features.sampleRate, pre.vad);
    if (segments.length === 0) throw noSpeech(reason ?? 'silence', pre.vad);
    // One word: segments whose silence between them (their VAD padding left out) is under
    // WORD_GAP_SECONDS belong to it. Sounds further away (a cough, a click, a beep before hanging up)
    // are other events: the one with the highest mean power is taken as the word (the total energy would
    // favour a long quiet hum over a short word).
    const rate = pre.features.sampleRate;
    const pad = Math.round(((pre.vad.padMs ?? 0) * rate) / 1000);
    const gap = WORD_GAP_SECONDS * rate;
    const groups: Array<{ start: number; end: number }> = [];
    for (const s of segments) {
      const last = groups.at(-1);
      if (last && s.start - last.end + 2 * pad < gap) last.end = s.end;
      else groups.push({ start: s.start, end: s.end });
    }
    let best = groups[0]!;
    let bestPower = -1;
    for (const g of groups) {
      let energy = 0;
      for (let i = g.start; i < g.end; i++) energy += samples[i]! * samples[i]!;
      const power = energy / Math.max(1, g.end - g.start);
      if (power > bestPower) [best, bestPower] = [g, power];
    }
    return { samples: samples.subarray(best.start, best.end), start: best.start, end: best.end };
  }

  private recognizeDecoded(decoded: DecodedAudio, state: ModelState, t0: number): Recognition {
    const { pre } = state;
    const t1 = performance.now();
    const sp = this.speechOf(decoded.samples, pre);
    const rows = this.rowsOf([sp.samples], pre);
    const t2 = performance.now();
    const probs = this.probsOf(rows, 1, state)[0] as Float32Array;
    const t3 = performance.now();
    return this.result(probs, pre, decoded, sp.start, sp.end, {
      decodeMs: t1 - t0,
      featuresMs: t2 - t1,
      inferenceMs: t3 - t2,
      totalMs: t3 - t0,
    });
  }

  private result(
    probs: Float32Array,
    pre: Preprocessing,
    decoded: DecodedAudio,
    start: number,
    end: number,
    timing: Recognition['timing'],
  ): Recognition {
    const k = argmax(probs);
    return {
      label: pre.labels[k] as string,
      score: probs[k] as number,
      scores: scoresOf(probs, pre.labels),
      speech: { startSeconds: start / decoded.sampleRate, endSeconds: end / decoded.sampleRate },
      durationSeconds: decoded.durationSeconds,
      timing,
    };
  }

  /** Model inputs for speech segments, per front end: one per test-time warp, segment by segment. */
  private rowsOf(speech: Float32Array[], pre: Preprocessing): Float32Array[][] {
    const warps = pre.testTimeWarps ?? [1];
    const fes = frontEndsOf(pre);
    const rows: Float32Array[][] = fes.map(() => []);
    for (const s of speech) for (const w of warps) windowedViews(s, fes, pre.frames, w).forEach((r, f) => rows[f]?.push(r));
    return rows;
  }

  /** Class probabilities of `count` segments from their rows, averaged over the test-time warps. */
  private probsOf(rows: Float32Array[][], count: number, state: ModelState): Float32Array[] {
    const probs = this.classify(rows, state);
    const W = probs.length / count;
    // A network that overflows (finite but huge weights in an edited bundle) gives NaN: an error, as the
    // image classifier's, never NaN scores with a label picked anyway.
    const bad = probs.findIndex((p) => p.some((v) => !Number.isFinite(v)));
    if (bad >= 0) {
      const item = Math.floor(bad / W);
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `The network's output for input ${item} is not finite: the model's weights are broken or the audio is far outside what it was trained on.`,
        { details: { item, reason: NOT_FINITE_OUTPUT } },
      );
    }
    if (W === 1) return probs;
    return Array.from({ length: count }, (_, i) => {
      const mean = new Float32Array(probs[0]?.length ?? 0);
      for (let w = 0; w < W; w++) (probs[i * W + w] as Float32Array).forEach((v, k) => (mean[k] = (mean[k] as number) + v / W));
      return mean;
    });
  }

  /** Every network's probabilities averaged; `rows[f]` are front end f's inputs (the same utterances in each). */
  private classify(rows: Float32Array[][], state: ModelState): Float32Array[] {
    const { pre, networks } = state;
    const fes = frontEndsOf(pre);
    const per = networks.length / fes.length;
    const n = (rows[0] as Float32Array[]).length;
    const K = pre.labels.length;
    const data = new Float32Array(n * K);
    fes.forEach((fe, f) => {
      const x = stack(rows[f] as Float32Array[], pre.frames, fe.dim);
      try {
        for (let m = f * per; m < (f + 1) * per; m++)
          addInto(data, 0, predictBatched(networks[m] as tf.LayersModel, x, { batchSize: CLASSIFY_BATCH }).data);
      } finally {
        x.dispose();
      }
    });
    return averaged(data, networks.length, n, K);
  }

  /**
   * `classify` for `train`'s validation pass, with an event-loop turn (where an abort is seen) before
   * each batch: the same batches of the same rows through the same networks, summed in the same order,
   * so the same probabilities.
   */
  private async classifyTakingTurns(
    rows: Float32Array[][],
    state: ModelState,
    turns: { turn(): Promise<void> | undefined },
  ): Promise<Float32Array[]> {
    const { pre, networks } = state;
    const fes = frontEndsOf(pre);
    const per = networks.length / fes.length;
    const n = (rows[0] as Float32Array[]).length;
    const K = pre.labels.length;
    const data = new Float32Array(n * K);
    for (const [f, fe] of fes.entries()) {
      for (let start = 0; start < n; start += CLASSIFY_BATCH) {
        await turns.turn();
        const x = stack((rows[f] as Float32Array[]).slice(start, start + CLASSIFY_BATCH), pre.frames, fe.dim);
        try {
          for (let m = f * per; m < (f + 1) * per; m++)
            addInto(data, start * K, predictBatched(networks[m] as tf.LayersModel, x, { batchSize: CLASSIFY_BATCH }).data);
        } finally {
          x.dispose();
        }
      }
    }
    return averaged(data, networks.length, n, K);
  }

  private metricsOf(truth: number[], predicted: number[], labels: readonly string[]): SpeechMetrics {
    const K = labels.length;
    const prf = precisionRecallF1(truth, predicted, K);
    // Own properties, so a label such as '__proto__' keeps its row.
    const perClass: SpeechMetrics['perClass'] = Object.fromEntries(
      labels.map((l, k) => [
        l,
        { precision: prf.precision[k] ?? 0, recall: prf.recall[k] ?? 0, f1: prf.f1[k] ?? 0, support: prf.support[k] ?? 0 },
      ]),
    );
    return {
      accuracy: accuracy(truth, predicted),
      macroF1: prf.macro.f1,
      confusion: confusionMatrix(truth, predicted, K),
      labels: [...labels],
      perClass,
      n: truth.length,
    };
  }
}

/** E_INPUT_INVALID for audio without a word, saying why (`details.reason`). */
function noSpeech(reason: NoSpeechReason, vad: VadOptions): AppliedMLError {
  const minSpeechMs = vad.minSpeechMs ?? DEFAULT_MIN_SPEECH_MS;
  const message =
    reason === 'steady-sound'
      ? 'No speech found in the audio: it is a steady sound (noise, a hum or a tone) with no louder part that could be a word.'
      : reason === 'too-short'
        ? `No speech found in the audio: its sounds are shorter than the VAD's minSpeechMs (${minSpeechMs} ms), too short for a word.`
        : 'No speech found in the audio (silence only, or too quiet).';
  return new AppliedMLError('E_INPUT_INVALID', message, { details: { reason, ...(reason === 'too-short' ? { minSpeechMs } : {}) } });
}

/**
 * E_BUNDLE_CORRUPT for a saved setting that `create` would refuse: the message and `details.field` name
 * it (`preprocessing.features.fMin`, `preprocessing.maxSeconds`, …) after the option check's own field.
 */
function corruptSetting(dir: string, group: string | undefined, cause: unknown): AppliedMLError {
  const inner = AppliedMLError.isInstance(cause) ? (cause.details as { field?: unknown } | undefined)?.field : undefined;
  // 'features' is the option check's name for the config object itself (when it is not one).
  const own = typeof inner === 'string' && !(group && inner === 'features') ? inner : undefined;
  const field = ['preprocessing', group, own].filter(Boolean).join('.');
  return new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: ${field} is invalid (${(cause as Error).message})`, {
    cause,
    details: { dir, field },
  });
}

/**
 * The saved settings every version writes, typed strictly before `resolveConfig` sees them: it fills a
 * missing or null value with the default (right for `create`, wrong for a bundle, whose model was trained
 * with the value that is gone) and its comparisons coerce ('0.5' ≥ 0.2). A missing `testTimeWarps` is
 * [1], as in the first bundles' type.
 */
/** A feature config read back from a bundle: a field an earlier version wrote beside the settings is ignored, not refused. */
/** The preprocessing fields a save writes. */
const PREPROCESSING_KEYS = Object.keys({
  model: 1,
  labels: 1,
  features: 1,
  frontEnds: 1,
  frames: 1,
  windowSeconds: 1,
  vad: 1,
  maxSeconds: 1,
  testTimeWarps: 1,
} satisfies Record<keyof Preprocessing, 1>);

/** The feature settings a save writes: the options and what resolving them adds. */
const SAVED_FEATURE_KEYS = [...new Set([...FEATURE_KEYS, ...Object.keys(resolveFeatureConfig({}))])];

/** What this version writes into a bundle's preprocessing: its fields, and the feature and VAD settings (of every front end). */
const KNOWN_PREPROCESSING: KnownBundleParts = {
  preprocessing: {
    ...anyValueFields(PREPROCESSING_KEYS),
    features: SAVED_FEATURE_KEYS,
    frontEnds: eachEntry(SAVED_FEATURE_KEYS),
    vad: VAD_KEYS,
  },
};

/**
 * In a bundle a newer version saved, the preprocessing fields, feature settings (of every front end) and
 * VAD settings this version does not know (the engine's unknownBundleParts), the outer ones first; none in
 * a bundle of this version or an earlier one, whose unknown names stay ignored.
 */
function unknownSettings(bundle: BundleParts): string[] {
  const depth = (name: string): number => name.split('.').length;
  return unknownBundleParts(bundle, SPEECH_VERSION, KNOWN_PREPROCESSING).sort((a, b) => depth(a) - depth(b));
}

function savedFeatures(value: unknown): Partial<FeatureConfig> {
  return (
    value !== null && typeof value === 'object' && !Array.isArray(value) ? keepKnownKeys(value, FEATURE_KEYS) : value
  ) as Partial<FeatureConfig>;
}

function checkSavedSettings(dir: string, pre: Preprocessing): void {
  const refuse = (field: string, rule: string, value: unknown): never => {
    throw new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: preprocessing.${field} must be ${rule} (got ${describeValue(value)}).`, {
      details: { dir, field: `preprocessing.${field}` },
    });
  };
  if (!Number.isInteger(pre.frames) || pre.frames < 1 || pre.frames > 100_000) refuse('frames', 'an integer from 1 to 100000', pre.frames);
  for (const key of ['windowSeconds', 'maxSeconds'] as const)
    if (typeof pre[key] !== 'number' || !Number.isFinite(pre[key])) refuse(key, 'a number', pre[key]);
  const vad: unknown = pre.vad;
  if (vad !== false && (vad === null || typeof vad !== 'object' || Array.isArray(vad)))
    refuse('vad', 'false or an object of VAD settings', vad);
  const warps: unknown = pre.testTimeWarps;
  if (warps !== undefined && !Array.isArray(warps)) refuse('testTimeWarps', 'a list of warps', warps);
}

function checkExamples(data: readonly SpeechExample[], what: string): void {
  if (!Array.isArray(data)) throw new AppliedMLError('E_INPUT_INVALID', `${what} must be an array of { audio, label }.`);
  if (data.length === 0) throw new AppliedMLError('E_INPUT_INVALID', `${what} is empty.`);
  // Every index, holes included (forEach would skip them).
  for (let i = 0; i < data.length; i++) {
    const d = data[i];
    if (!d || typeof d.label !== 'string' || d.label === '' || d.audio === undefined) {
      throw new AppliedMLError('E_INPUT_INVALID', `${what}[${i}] needs { audio, label } with a non-empty string label.`, {
        details: { index: i },
      });
    }
  }
}

/** A label with fewer training utterances than this, or than a tenth of the largest label's, gets a warning. */
const FEW_EXAMPLES = 5;

/**
 * The labels with very few training utterances (fewer than `FEW_EXAMPLES`, or under a tenth of the
 * largest label's count), with their counts: such a label is easily never recognised.
 */
function fewExampleLabels(labels: readonly string[], counts: readonly number[]): Array<{ label: string; count: number }> {
  const most = Math.max(...counts);
  return labels.map((label, i) => ({ label, count: counts[i] as number })).filter(({ count }) => count < FEW_EXAMPLES || count * 10 < most);
}

/** Features of an utterance placed in the model's fixed window of T frames: centred, zero-padded or centre-cropped. */
function windowedViews(samples: Float32Array, fes: readonly ResolvedFeatureConfig[], T: number, warp = 1): Float32Array[] {
  return extractFeatureViews(samples, fes, { warp }).map((f, i) => windowed(f, fes[i] as ResolvedFeatureConfig, T));
}

/** One front end's features placed in the window. */
function windowed(f: Features, features: ResolvedFeatureConfig, T: number): Float32Array {
  const D = f.dim;
  const out = new Float32Array(T * D);
  if (f.frames <= T) out.set(f.data, Math.floor((T - f.frames) / 2) * D);
  else {
    const skip = Math.floor((f.frames - T) / 2);
    out.set(f.data.subarray(skip * D, (skip + T) * D));
  }
  // Utterance statistics are the same on every frame, padding included (not zero like the padded coefficients).
  const C = features.cepstralDim;
  if (D > C) for (let t = 0; t < T; t++) out.set(f.data.subarray(C, D), t * D + C);
  return out;
}

function stack(rows: Float32Array[], frames: number, dim: number): tf.Tensor3D {
  const size = frames * dim;
  const data = new Float32Array(rows.length * size);
  rows.forEach((r, i) => data.set(r, i * size));
  return tf.tensor3d(data, [rows.length, frames, dim]);
}

/** Rows per network call when classifying. */
const CLASSIFY_BATCH = 128;

/** Adds `p` into `data` from `offset`. */
function addInto(data: Float32Array, offset: number, p: ArrayLike<number>): void {
  for (let i = 0; i < p.length; i++) data[offset + i] = (data[offset + i] as number) + (p[i] as number);
}

/** The summed probabilities of `networks` networks as their mean, one row of `K` per utterance. */
function averaged(data: Float32Array, networks: number, n: number, K: number): Float32Array[] {
  if (networks > 1) for (let i = 0; i < data.length; i++) data[i] = (data[i] as number) / networks;
  return Array.from({ length: n }, (_, i) => data.subarray(i * K, (i + 1) * K));
}

function argmax(p: Float32Array): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if ((p[i] as number) > (p[best] as number)) best = i;
  return best;
}

function scoresOf(p: Float32Array, labels: string[]): Record<string, number> {
  return Object.fromEntries(labels.map((l, i) => [l, p[i] as number]));
}

/**
 * An error of saveBundle writing into the staging folder's `inner`, naming `dir` instead: a full disk
 * said it could not write a hidden folder the swap has already removed.
 */
function savedTo(error: unknown, inner: string, dir: string): unknown {
  if (!AppliedMLError.isInstance(error) || error.details.dir !== inner) return error;
  return new AppliedMLError(error.code, error.message.split(inner).join(dir), {
    cause: error.cause ?? error,
    details: { ...error.details, dir },
  });
}
