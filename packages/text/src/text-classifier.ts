import {
  AppliedMLError,
  abortedError,
  anyValueFields,
  checkDevice,
  checkIntegerOption,
  checkKnownKeys,
  checkNumberOption,
  checkProgressOption,
  checkSignalOption,
  describeKind,
  describeValue,
  eventLoopTurns,
  fitModel,
  incompatibleIfNewer,
  initEngine,
  loadBundle,
  predictBatched,
  resolveClassWeights,
  saveBundle,
  silentLogger,
  tf,
  throwIfAborted,
  TrainTickets,
  unknownBundleParts,
  unknownPartsError,
  type Device,
  type EpochLogs,
  type JsonValue,
  type KnownBundleParts,
  type Logger,
  type TrainingReport,
} from '@appliedml/engine';
import { registerTextLayers } from './embedding-layer';
import {
  CHAR_NGRAM_KEYS,
  FEATURE_KEYS,
  featuresOf,
  normalizedText,
  resolveFeatureConfig,
  savedFeatureConfig,
  tokensOf,
  type FeatureConfig,
  type ResolvedFeatureConfig,
} from './features';
import { TfidfRowBuilder } from './fast-rows';
import { ngramHashes, sortedHas } from './hash';
import { DistinctHashes, MAX_KNOWN_NGRAMS } from './known-ngrams';
import { checkLabelCharacters, findLabel, normalizeClassWeightNames, normalizeLabel } from './labels';
import { LinearModel, trainLogistic, trainNaiveBayes } from './linear-model';
import type { TextExample } from './loaders';
import { CNN_DEFAULTS, FASTTEXT_DEFAULTS, buildFastText, buildKimCnn, type CnnConfig, type FastTextConfig } from './neural-models';
import { multiClassMetrics, multiLabelMetrics, type MultiLabelMetrics, type TextMetrics } from './text-metrics';
import { DEFAULT_MAX_TEXT_CHARS, checkText } from './text-input';
import { TfidfVectorizer, type SparseVector } from './tfidf';
import { TEXT_PACKAGE, TEXT_TASK, TEXT_VERSION } from './version';
import { Vocabulary, finish } from './vocabulary';

export const MODEL_TYPES = ['linear', 'naive-bayes', 'fasttext', 'cnn'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

export interface LinearConfig {
  /** SGD epochs (default 10; 0.1.0 used 20). */
  epochs: number;
  /** L2 strength per example (default 2e-5). */
  l2: number;
  /** Initial SGD step, decayed as η₀ / (1 + η₀·l2·t) (default 0.5). */
  learningRate: number;
  /** Keep features seen in at least this many training texts (default 1). */
  minCount: number;
  /** Keep at most this many features, most frequent first (default 300,000). */
  maxFeatures: number;
}

export interface NaiveBayesConfig {
  /** Additive smoothing (default 0.05). */
  alpha: number;
  minCount: number;
  maxFeatures: number;
}

export const LINEAR_DEFAULTS: LinearConfig = { epochs: 10, l2: 2e-5, learningRate: 0.5, minCount: 1, maxFeatures: 300_000 };
export const NAIVE_BAYES_DEFAULTS: NaiveBayesConfig = { alpha: 0.05, minCount: 1, maxFeatures: 300_000 };

export interface TextClassifierConfig {
  /** 'linear' (default: logistic regression on TF-IDF), 'naive-bayes', 'fasttext' or 'cnn' (Kim 2014). */
  model?: ModelType;
  /** Tokens and features (linear and naive Bayes use all of them; fastText and the CNN use the tokens). */
  features?: FeatureConfig;
  /** Each text may carry several labels (sigmoid per label; not for naive Bayes). */
  multiLabel?: boolean;
  /** Multi-label decision threshold (default 0.5). */
  threshold?: number;
  /** Longest text accepted (default 1 MiB of characters) → E_INPUT_TOO_LARGE. */
  maxTextChars?: number;
  linear?: Partial<LinearConfig>;
  naiveBayes?: Partial<NaiveBayesConfig>;
  fasttext?: Partial<FastTextConfig>;
  cnn?: Partial<CnnConfig>;
  /** Same seed, same data → the same model (default 42). */
  seed?: number;
}

export interface TrainOptions {
  /** 'balanced' (n / (classes × count)) or a weight per label. */
  classWeight?: 'balanced' | Record<string, number>;
  /** Held-out examples: early stopping for the neural models, and metrics in the report. */
  validation?: TextExample[];
  /** Override the model's epochs. */
  epochs?: number;
  device?: Device;
  logger?: Logger;
  /** Progress bar for the neural models: true, or 'auto' (on a TTY) (default false: library code is quiet). */
  progress?: boolean | 'auto';
  /**
   * Stops the training when aborted (an `AbortController`'s signal, or `AbortSignal.timeout(ms)`), every
   * model type: seen at the next event-loop turn (every ~50 ms of work, while the texts are read into
   * features or tokens, the vocabulary is fitted, SGD or the network trains), `train` rejects with
   * E_ABORTED (`cause`: the signal's reason), frees what it built and installs nothing: the model is as it
   * was (a trained one keeps predicting with its old weights and labels; an untrained one stays untrained).
   * Already aborted: rejects before any work. The validation metrics of the report are computed once the
   * new model is in place, and are not stopped by it.
   */
  signal?: AbortSignal;
}

export interface TextTrainingReport extends TrainingReport {
  model: ModelType;
  labels: string[];
  /** Number of features (linear, naive Bayes), hash buckets (fastText) or vocabulary size (CNN). */
  featureCount: number;
  /**
   * Linear and naive Bayes: the feature cap this training used. Left unset, `maxFeatures` (300,000) is
   * lowered to what fits the weight table: 100 million cells ÷ the labels (e.g. 200,000 for 500 labels).
   */
  maxFeatures?: number;
  validation?: TextMetrics | MultiLabelMetrics;
}

export interface TextPrediction {
  /** The most likely label. */
  label: string;
  /** Multi-label: every label whose probability is over the threshold; otherwise [label]. */
  labels: string[];
  /**
   * Probability of every label, keyed by it (own properties, so '__proto__' is a label too). Read it by
   * name: the key order is JavaScript's (integer-like labels first, in numeric order), not `model.labels`'.
   */
  scores: Record<string, number>;
}

export interface TokenWeight {
  token: string;
  /**
   * > 0 pushed towards the label, < 0 away from it. Linear models: the word's share of its features'
   * contributions to the label's logit. fastText / CNN (occlusion): how much the label's log-odds,
   * ln(p / (1 − p)) from the network's logits, fall when the word is left out (not the probability,
   * which float32 saturates at 1 on a confident prediction).
   */
  weight: number;
}

export interface TextExplanation extends TextPrediction {
  /** The label explained (the predicted one unless asked). */
  explained: string;
  /**
   * The words of the text that mattered most, by |weight|, as the model read them: normalised (the
   * `normalize` setting, NFC by default), so a decomposed 'café' comes back composed and, under NFKC, 'ﬁle'
   * as 'file'. To find them in the original text, normalise it the same way first.
   */
  tokens: TokenWeight[];
  /** Linear models: the strongest features themselves (w: word n-grams, c: character n-grams, q: question, s: shape). */
  features?: TokenWeight[];
  method: 'linear-contributions' | 'occlusion';
}

export interface EvaluateOptions {
  /** Binary tasks: the label whose recall and false-positive rate are reported (default: the rarer training class). */
  positiveLabel?: string;
}

interface State {
  labels: string[];
  positiveLabel?: string;
  features: ResolvedFeatureConfig;
  tfidf?: TfidfVectorizer;
  linear?: LinearModel;
  /** Text → TF-IDF row → probabilities without feature strings (made on first prediction). */
  rows?: TfidfRowBuilder;
  vocabulary?: Vocabulary;
  network?: tf.LayersModel;
  /** The CNN's widest convolution, read from the network: every text is padded to at least this many ids. */
  widestKernel?: number;
  /** The bundle the network came from (undefined when trained in this process). */
  loadedFrom?: string;
  /**
   * fastText: the 32-bit hashes of the word n-grams its training texts gave the network, ascending. Other
   * n-grams are dropped before the mean (a text of only those gets the output bias), so an unknown word
   * never reads the bucket of a trained n-gram it collides with. Absent in bundles saved before: all read.
   */
  knownNgrams?: Uint32Array;
}

/** The input-length caps the user asked for: each training fits the network's width to its data under these. */
interface LengthCaps {
  cnnMaxLength: number;
  fasttextMaxIds: number;
}

interface Preprocessing {
  /** Absent in bundles saved before it: their caps are the defaults. */
  lengthCaps?: LengthCaps;
  /**
   * Whether the user set `linear.maxFeatures` / `naiveBayes.maxFeatures`: a default one is lowered to what
   * fits the weight table for the labels trained on, a set one is refused. Absent in bundles saved before
   * it: a value other than the default counts as set.
   */
  maxFeaturesSet?: { linear: boolean; naiveBayes: boolean };
  model: ModelType;
  labels: string[];
  positiveLabel: string | null;
  features: ResolvedFeatureConfig;
  multiLabel: boolean;
  threshold: number;
  maxTextChars: number;
  seed: number;
  linear: LinearConfig;
  naiveBayes: NaiveBayesConfig;
  fasttext: FastTextConfig;
  cnn: CnnConfig;
}

const MAX_EXPLAIN_WORDS = 128;

/**
 * Text classification with one API over four models. Plain strings in, plain objects out.
 *
 * ```ts
 * const model = TextClassifier.create({ model: 'linear' });
 * await model.train([{ text: 'WIN a prize now', label: 'spam' }, …]);
 * const { label, scores } = await model.predict('Call me when you land');
 * ```
 */
/**
 * Largest embedding table a network may allocate (rows × width floats, about 400 MB), and largest
 * features × labels weight table of the linear and naive Bayes models (the same 400 MB of Float32;
 * naive Bayes also counts in Float64 while it trains, 800 MB more).
 */
const MAX_EMBEDDING_CELLS = 100_000_000;

/** Texts scored between two looks at the event loop in predictBatch and evaluate (~25 ms for a linear model). */
const PREDICT_CHUNK = 512;

/** What an aborted train's E_ABORTED names. */
const TRAIN_CALL = 'TextClassifier.train';

/** How many times a batch (predictBatch, evaluate) starts again on a model retrained under it before E_BUSY, as fraud's. */
const MAX_BATCH_RESTARTS = 3;

/** Every option name, so a misspelt one is refused at `create` (kept in step with the interface by `satisfies`). */
const CONFIG_KEYS = Object.keys({
  model: 1,
  features: 1,
  multiLabel: 1,
  threshold: 1,
  maxTextChars: 1,
  linear: 1,
  naiveBayes: 1,
  fasttext: 1,
  cnn: 1,
  seed: 1,
} satisfies Record<keyof TextClassifierConfig, 1>);
const NESTED_KEYS: Record<string, string[]> = {
  features: FEATURE_KEYS,
  linear: Object.keys({ epochs: 1, l2: 1, learningRate: 1, minCount: 1, maxFeatures: 1 } satisfies Record<keyof LinearConfig, 1>),
  naiveBayes: Object.keys({ alpha: 1, minCount: 1, maxFeatures: 1 } satisfies Record<keyof NaiveBayesConfig, 1>),
  fasttext: Object.keys({
    dim: 1,
    buckets: 1,
    wordNgrams: 1,
    maxIds: 1,
    epochs: 1,
    batchSize: 1,
    learningRate: 1,
  } satisfies Record<keyof FastTextConfig, 1>),
  cnn: Object.keys({
    embeddingDim: 1,
    filters: 1,
    kernelSizes: 1,
    dropout: 1,
    maxLength: 1,
    minCount: 1,
    maxVocabulary: 1,
    epochs: 1,
    batchSize: 1,
    learningRate: 1,
  } satisfies Record<keyof CnnConfig, 1>),
};
/** The option names of `train`, `evaluate`, `explain` and `load` (null or a misspelt name is refused). */
const TRAIN_KEYS = Object.keys({
  classWeight: 1,
  validation: 1,
  epochs: 1,
  device: 1,
  logger: 1,
  progress: 1,
  signal: 1,
} satisfies Record<keyof TrainOptions, 1>);
const EVALUATE_KEYS = Object.keys({ positiveLabel: 1 } satisfies Record<keyof EvaluateOptions, 1>);
const EXPLAIN_KEYS = Object.keys({ label: 1, top: 1 } satisfies Record<'label' | 'top', 1>);
const LOAD_KEYS = Object.keys({ device: 1, logger: 1 } satisfies Record<'device' | 'logger', 1>);
/** Every field a save writes into the manifest's preprocessing, and the fields of those that are objects. */
const PREPROCESSING_KEYS = Object.keys({
  lengthCaps: 1,
  maxFeaturesSet: 1,
  model: 1,
  labels: 1,
  positiveLabel: 1,
  features: 1,
  multiLabel: 1,
  threshold: 1,
  maxTextChars: 1,
  seed: 1,
  linear: 1,
  naiveBayes: 1,
  fasttext: 1,
  cnn: 1,
} satisfies Record<keyof Preprocessing, 1>);
const PREPROCESSING_SECTION_KEYS: Record<string, readonly string[]> = {
  ...NESTED_KEYS,
  lengthCaps: Object.keys({ cnnMaxLength: 1, fasttextMaxIds: 1 } satisfies Record<keyof LengthCaps, 1>),
  maxFeaturesSet: ['linear', 'naiveBayes'],
};
/** The files a save writes beside its network's, and the fields of the JSON ones (`true`: binary, not looked into). */
const BUNDLE_FILE_KEYS: Record<string, readonly string[] | true> = {
  'tfidf.json': ['vocabulary', 'idf', 'sublinearTf', 'normalize'],
  'vocabulary.json': ['terms', 'offset'],
  'linear.bin': true,
  'fasttext-known.bin': true,
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * What a save of this version writes, for the engine's unknownBundleParts: the preprocessing fields (named
 * bare: 'features.stemmer', 'cnn.attention'), the fields of its sections and of `features.charNgrams`, the
 * files and the fields of the JSON ones ('tfidf.json bm25', "file 'x.bin'") and the network ("network 'y'").
 * Looked for in bundles saved by a newer version only: there it is something this version cannot read (a
 * setting it would drop, so texts would be read otherwise than the model was trained on). Bundles of this
 * version and earlier ones keep loading with such names ignored, as they always did.
 */
const KNOWN_BUNDLE_PARTS: KnownBundleParts = {
  preprocessing: {
    ...anyValueFields(PREPROCESSING_KEYS),
    ...PREPROCESSING_SECTION_KEYS,
    features: { ...anyValueFields(FEATURE_KEYS), charNgrams: CHAR_NGRAM_KEYS },
  },
  files: BUNDLE_FILE_KEYS,
  models: ['main'],
  names: { preprocessing: '' },
};

/**
 * The engine's unknownPartsError, with `details.file` naming the JSON file when every unknown name is a
 * field of that one file ('tfidf.json bm25'), as this load's other refusals about a file's contents do.
 */
function unknownInBundle(dir: string, unknown: readonly string[]): AppliedMLError {
  const error = unknownPartsError(dir, unknown);
  const file = Object.keys(BUNDLE_FILE_KEYS).find(
    (name) => BUNDLE_FILE_KEYS[name] !== true && unknown.every((part) => part.startsWith(`${name} `)),
  );
  if (file === undefined) return error;
  return new AppliedMLError(error.code, error.message, { details: { ...error.details, file } });
}

/** Refuses model options that would train nothing, give NaN or fail inside tfjs (E_INPUT_INVALID naming the option). */
function checkModelOptions(linear: LinearConfig, naiveBayes: NaiveBayesConfig, fasttext: FastTextConfig, cnn: CnnConfig): void {
  const int = (field: string, v: unknown, min: number, max: number): void => checkIntegerOption(field, v, min, max, false);
  const rate = (field: string, v: unknown): void => checkNumberOption(field, v, 0, 10, { open: 'min', optional: false });
  int('linear.epochs', linear.epochs, 1, 10_000);
  checkNumberOption('linear.l2', linear.l2, 0, 1, { open: 'max', optional: false });
  rate('linear.learningRate', linear.learningRate);
  checkNumberOption('naiveBayes.alpha', naiveBayes.alpha, 0, 100, { open: 'min', optional: false });
  for (const [name, c] of [
    ['linear', linear],
    ['naiveBayes', naiveBayes],
  ] as const) {
    int(`${name}.minCount`, c.minCount, 1, 1_000_000);
    int(`${name}.maxFeatures`, c.maxFeatures, 1, 10_000_000);
  }
  int('fasttext.dim', fasttext.dim, 1, 1024);
  int('fasttext.buckets', fasttext.buckets, 1, 1 << 24);
  int('fasttext.wordNgrams', fasttext.wordNgrams, 1, 5);
  int('fasttext.maxIds', fasttext.maxIds, 1, 100_000);
  int('cnn.embeddingDim', cnn.embeddingDim, 1, 1024);
  int('cnn.filters', cnn.filters, 1, 4096);
  if (!Array.isArray(cnn.kernelSizes) || cnn.kernelSizes.length === 0 || cnn.kernelSizes.length > 8)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `cnn.kernelSizes must be a list of 1 to 8 kernel widths (got ${describeValue(cnn.kernelSizes)}).`,
      {
        details: { field: 'cnn.kernelSizes' },
      },
    );
  cnn.kernelSizes.forEach((k, i) => int(`cnn.kernelSizes[${i}]`, k, 1, 32));
  checkNumberOption('cnn.dropout', cnn.dropout, 0, 1, { open: 'max', optional: false });
  int('cnn.maxLength', cnn.maxLength, 1, 100_000);
  int('cnn.minCount', cnn.minCount, 1, 1_000_000);
  int('cnn.maxVocabulary', cnn.maxVocabulary, 2, 10_000_000);
  for (const [name, c] of [
    ['fasttext', fasttext],
    ['cnn', cnn],
  ] as const) {
    int(`${name}.epochs`, c.epochs, 1, 10_000);
    int(`${name}.batchSize`, c.batchSize, 1, 1_000_000);
    rate(`${name}.learningRate`, c.learningRate);
  }
  if (fasttext.buckets * fasttext.dim > MAX_EMBEDDING_CELLS)
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `fasttext.buckets × dim is ${fasttext.buckets * fasttext.dim}; at most ${MAX_EMBEDDING_CELLS}.`,
    );
}

/** The output Dense layer of a text network, read as logits: see logitHead. */
interface LogitHead {
  /** The network up to the output layer's input (its outputs are `width` wide). */
  network: tf.LayersModel;
  width: number;
  /** The output layer's pre-activation values (logits) for one row of `network`'s outputs, in float64. */
  logits(hidden: ArrayLike<number>): Float64Array;
}

const LOGIT_HEADS = new WeakMap<tf.LayersModel, LogitHead | null>();

/**
 * The network cut before its output layer's activation, when that layer is a Dense with softmax or sigmoid
 * (what buildFastText and buildKimCnn make, in bundles of every version): the cut model shares the
 * network's layers and weights (no tensors of its own; tf.model adds no layer references, so it is not
 * disposed), and the logits are the Dense's kernel and bias applied in float64. Undefined for any other
 * network. Cached per network.
 */
function logitHead(network: tf.LayersModel): LogitHead | undefined {
  const cached = LOGIT_HEADS.get(network);
  if (cached !== undefined) return cached ?? undefined;
  let head: LogitHead | null = null;
  const out = network.outputs.length === 1 ? network.outputs[0]?.sourceLayer : undefined;
  const activation = out?.getConfig().activation;
  if (out && out.getClassName() === 'Dense' && (activation === 'softmax' || activation === 'sigmoid') && !Array.isArray(out.input)) {
    const [kernel, bias] = out.getWeights();
    const shape = kernel?.shape;
    if (kernel && shape?.length === 2) {
      const [width, units] = shape as [number, number];
      const w = Float64Array.from(kernel.dataSync());
      const b = bias ? Float64Array.from(bias.dataSync()) : new Float64Array(units);
      head = {
        network: tf.model({ inputs: network.inputs, outputs: out.input }),
        width,
        logits: (hidden) => {
          const z = Float64Array.from(b);
          for (let i = 0; i < width; i++) {
            const h = hidden[i] as number;
            if (h === 0) continue;
            for (let j = 0; j < units; j++) z[j] = (z[j] as number) + h * (w[i * units + j] as number);
          }
          return z;
        },
      };
    }
  }
  LOGIT_HEADS.set(network, head);
  return head ?? undefined;
}

/**
 * The log-odds log(p / (1 − p)) of label `k` from the output logits `z`: a sigmoid's logit itself
 * (multi-label), for a softmax z_k − log Σ_{j≠k} exp(z_j). Unlike p, it does not saturate at p = 1.
 */
function labelLogOdds(z: Float64Array, k: number, multiLabel: boolean): number {
  const zk = z[k] as number;
  if (multiLabel || z.length < 2) return zk;
  let max = -Infinity;
  for (let j = 0; j < z.length; j++) if (j !== k) max = Math.max(max, z[j] as number);
  let sum = 0;
  for (let j = 0; j < z.length; j++) if (j !== k) sum += Math.exp((z[j] as number) - max);
  return zk - (max + Math.log(sum));
}

/** log(p / (1 − p)), p clamped to [1e-7, 1 − 1e-7] (float32's resolution near 1). */
function probabilityLogOdds(p: number): number {
  const q = Math.min(1 - 1e-7, Math.max(1e-7, p));
  return Math.log(q) - Math.log1p(-q);
}

/**
 * E_INPUT_INVALID for a training that kept no feature (a linear or naive Bayes model with an empty
 * TF-IDF vocabulary, a CNN with no word, fastText with no token), which trained without a word and
 * predicted every text from the label bias alone: why, and the option to change. `docs` are what each
 * training text gave (features or tokens); `minCount` is the option that drops rare ones, if the model has one.
 */
function noFeaturesError(
  kind: ModelType,
  what: 'features' | 'words' | 'tokens',
  docs: readonly (readonly string[])[],
  features: ResolvedFeatureConfig,
  minCount?: { field: string; value: number },
): AppliedMLError {
  const settings = [
    `tokenizer '${features.tokenizer}'`,
    `language '${features.language}'`,
    ...(features.removeStopWords ? ['removeStopWords'] : []),
    ...(features.lowercase ? [] : ['lowercase false']),
  ].join(', ');
  const details: Record<string, unknown> = { model: kind, texts: docs.length, tokenizer: features.tokenizer, language: features.language };
  if (docs.every((d) => d.length === 0))
    return new AppliedMLError(
      'E_INPUT_INVALID',
      `The ${kind} model would have no ${what}: none of the ${docs.length} training texts gives ${what === 'features' ? 'a feature' : 'a token'} under the feature options (${settings}), so it would predict every text from the label counts alone. Check the features options (features.tokenizer, features.removeStopWords) against the texts.`,
      { details: { ...details, reason: 'no-tokens' } },
    );
  // Document frequency of the most common feature (only on this failure path).
  const df = new Map<string, number>();
  for (const d of docs) for (const f of new Set(d)) df.set(f, (df.get(f) ?? 0) + 1);
  let most = 0;
  for (const n of df.values()) most = Math.max(most, n);
  const field = minCount?.field ?? 'minCount';
  const value = minCount?.value ?? 1;
  return new AppliedMLError(
    'E_INPUT_INVALID',
    `The ${kind} model would have no ${what}: ${field} is ${value}, but the most common of the training texts' ${df.size} distinct ${what} is in ${most} of the ${docs.length} texts, so it would predict every text from the label counts alone. Set ${field} to ${most} or less (or train on more texts).`,
    { details: { ...details, reason: 'min-count', field, minCount: value, mostCommonCount: most, distinct: df.size } },
  );
}

export class TextClassifier {
  readonly config: Readonly<Preprocessing>;
  private state: State | undefined;
  private disposed = false;
  /** Overlapping trains: the last started installs its model, whatever order they finish in. */
  private readonly trains = new TrainTickets();

  private constructor(config: Preprocessing) {
    this.config = config;
  }

  static create(config: TextClassifierConfig = {}): TextClassifier {
    checkKnownKeys('TextClassifier config', config, CONFIG_KEYS);
    for (const [name, keys] of Object.entries(NESTED_KEYS)) checkKnownKeys(name, (config as Record<string, unknown>)[name], keys);
    const model = config.model ?? 'linear';
    if (!(MODEL_TYPES as readonly string[]).includes(model)) {
      throw new AppliedMLError('E_INPUT_INVALID', `Unknown model '${String(model)}'; use one of ${MODEL_TYPES.join(', ')}.`);
    }
    const multiLabel = config.multiLabel ?? false;
    if (multiLabel && model === 'naive-bayes')
      throw new AppliedMLError('E_INPUT_INVALID', 'Naive Bayes is multi-class only; use linear, fasttext or cnn for multi-label.');
    if (config.threshold !== undefined && !multiLabel)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        'threshold applies to multi-label models (multiLabel: true); a single-label model picks the top score: compare scores[label] with your own cut-off.',
        { details: { field: 'threshold' } },
      );
    if (model === 'fasttext' || model === 'cnn') {
      // The networks read tokens (normalize, emojiClusters, tokenizer, lowercase, stem, removeStopWords); these shape TF-IDF rows only.
      const neuralDefaults: Record<string, unknown> = {
        wordNgrams: 1,
        charNgrams: false,
        questionFeatures: false,
        wordnet: false,
        shapeFeatures: false,
      };
      const ignored = Object.keys(neuralDefaults).filter(
        (k) => config.features?.[k as keyof FeatureConfig] !== undefined && config.features[k as keyof FeatureConfig] !== neuralDefaults[k],
      );
      if (ignored.length > 0)
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `features.${ignored.join(', features.')} ${ignored.length > 1 ? 'shape' : 'shapes'} the linear and naive-bayes models' TF-IDF rows; the ${model} model reads tokens only${model === 'fasttext' ? ' (its word n-grams are fasttext.wordNgrams)' : ''}.`,
          { details: { fields: ignored.map((k) => `features.${k}`) } },
        );
    }
    const threshold = config.threshold ?? 0.5;
    if (!(threshold > 0 && threshold < 1)) throw new AppliedMLError('E_INPUT_INVALID', `threshold must be in (0, 1); got ${threshold}.`);
    const maxTextChars = config.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS;
    if (!Number.isInteger(maxTextChars) || maxTextChars < 1)
      throw new AppliedMLError('E_INPUT_INVALID', `maxTextChars must be a positive integer; got ${maxTextChars}.`);
    const defaultsFor: FeatureConfig =
      model === 'linear' || model === 'naive-bayes' ? {} : { charNgrams: false, wordNgrams: 1, tokenizer: 'unicode' };
    const linear = { ...LINEAR_DEFAULTS, ...config.linear };
    const naiveBayes = { ...NAIVE_BAYES_DEFAULTS, ...config.naiveBayes };
    const fasttext = { ...FASTTEXT_DEFAULTS, ...config.fasttext };
    const cnn = { ...CNN_DEFAULTS, ...config.cnn };
    checkModelOptions(linear, naiveBayes, fasttext, cnn);
    checkIntegerOption('seed', config.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    return new TextClassifier({
      model,
      labels: [],
      positiveLabel: null,
      features: resolveFeatureConfig({ ...defaultsFor, ...config.features }),
      multiLabel,
      threshold,
      maxTextChars,
      seed: config.seed ?? 42,
      linear,
      naiveBayes,
      fasttext,
      cnn,
      lengthCaps: { cnnMaxLength: cnn.maxLength, fasttextMaxIds: fasttext.maxIds },
      maxFeaturesSet: { linear: config.linear?.maxFeatures !== undefined, naiveBayes: config.naiveBayes?.maxFeatures !== undefined },
    });
  }

  /**
   * The labels the model knows (after training or loading), in its one fixed order: sorted by code unit when
   * trained ('0', '1', '10', '2'), as saved when loaded; the metrics' labels, perClass and confusion follow
   * it. A prediction's `scores` is keyed by label: pair by name (`scores[label]`), not by position, since
   * JavaScript lists integer-like keys first in numeric order ('0', '1', '2', '10').
   */
  get labels(): string[] {
    return [...this.ready().labels];
  }

  /** True once trained or loaded, until `dispose`. */
  get isTrained(): boolean {
    return !this.disposed && this.state !== undefined;
  }

  /**
   * Train (or retrain) the model. Overlapping trains on one model: the model ends as the last-started
   * one left it, whatever order they finish in; an earlier train still running when a later one installs
   * its model stops at its next step, frees what it built and rejects with E_BUSY (`details.reason`
   * 'superseded'); a later train that fails leaves the earlier one free to install.
   */
  async train(data: readonly TextExample[], options: TrainOptions = {}): Promise<TextTrainingReport> {
    const ticket = this.trains.start();
    try {
      return await this.trainRun(data, options, ticket);
    } catch (error) {
      // Disposed and aborted both (a service's shutdown does both, in either order): the dispose wins,
      // E_MODEL_DISPOSED as a dispose alone gives (docs/sdk-conventions.md).
      if (this.disposed && AppliedMLError.hasCode(error, 'E_ABORTED'))
        throw new AppliedMLError('E_MODEL_DISPOSED', 'This TextClassifier was disposed while it trained; create or load another.');
      // Stopped because a later train installed its model: E_BUSY, as at the install.
      throw this.trains.trainError(error, TRAIN_CALL);
    } finally {
      this.trains.finish(ticket);
    }
  }

  private async trainRun(data: readonly TextExample[], options: TrainOptions, ticket: number): Promise<TextTrainingReport> {
    this.alive();
    checkKnownKeys('train options', options, TRAIN_KEYS);
    // The user's signal, and a later train's install: either stops this one at its next turn.
    const signal = this.trains.trainSignal(ticket, checkSignalOption(options.signal), TRAIN_CALL);
    const abort = { signal, what: TRAIN_CALL };
    // The linear models run in plain JavaScript and never start the engine: the device name is still checked.
    if (options.device !== undefined) checkDevice(options.device);
    const started = performance.now();
    const logger = options.logger ?? silentLogger;
    checkIntegerOption('epochs', options.epochs, 1, 10_000);
    // Every model type checks it (the linear ones draw no bar): 'off' drew a bar on a terminal, 'yes' and 1 passed.
    checkProgressOption('progress', options.progress);
    // Aborted already: nothing is read, built or changed.
    throwIfAborted(signal, TRAIN_CALL);
    const { texts, labelSets } = this.checkExamples(data, 'training data');
    const labels = [...new Set(labelSets.flat())].sort();
    if (labels.length < 2) {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `Training data has a single label ('${labels[0] ?? ''}'); a classifier needs at least two.`,
        { details: { labels } },
      );
    }
    if (labels.length > 10_000)
      throw new AppliedMLError('E_INPUT_TOO_LARGE', `Training data has ${labels.length} labels; the limit is 10,000.`);
    const index = new Map(labels.map((l, i) => [l, i]));
    // The validation set is checked before anything trains or changes: every kind refuses it up front.
    let checkedValidation: { texts: string[]; labelSets: string[][] } | undefined;
    if (options.validation && options.validation.length > 0) {
      checkedValidation = this.checkExamples(options.validation, 'validation data');
      const unknown = [...new Set(checkedValidation.labelSets.flat())].filter((l) => !index.has(l));
      if (unknown.length > 0)
        throw new AppliedMLError('E_INPUT_INVALID', `Validation labels not in the training data: ${unknown.slice(0, 10).join(', ')}.`, {
          details: { unknown },
        });
    }
    const counts = new Array<number>(labels.length).fill(0);
    for (const set of labelSets) for (const l of set) counts[index.get(l) as number] = (counts[index.get(l) as number] ?? 0) + 1;
    const positiveLabel = labels.length === 2 && !this.config.multiLabel ? (counts[0]! <= counts[1]! ? labels[0] : labels[1]) : undefined;
    // classWeight's names in the labels' own form (trimmed, NFC): NFD names for NFD training labels match.
    const classWeights = resolveClassWeights(normalizeClassWeightNames(options.classWeight), labels, counts);
    const sampleWeights = classWeights
      ? // A multi-label row with no label (every label negative) keeps weight 1.
        Float64Array.from(labelSets, (set) =>
          set.length ? Math.max(...set.map((l) => classWeights[index.get(l) as number] as number)) : 1,
        )
      : undefined;
    const K = labels.length;
    const targets = this.config.multiLabel ? new Uint8Array(texts.length * K) : new Uint8Array(texts.length);
    labelSets.forEach((set, i) => {
      if (this.config.multiLabel) for (const l of set) targets[i * K + (index.get(l) as number)] = 1;
      else targets[i] = index.get(set[0] as string) as number;
    });

    const features = this.config.features;
    let fittedWidths: Pick<Preprocessing, 'cnn' | 'fasttext'> | undefined;
    const state: State = { labels, features, ...(positiveLabel !== undefined ? { positiveLabel } : {}) };
    let history: EpochLogs[] = [];
    let engineReport: TrainingReport | undefined;
    let featureCount = 0;
    let maxFeaturesUsed: number | undefined;
    const kind = this.config.model;
    logger.debug(`training ${kind} on ${texts.length} texts, ${K} labels`);

    if (kind === 'linear' || kind === 'naive-bayes') {
      // Feature extraction and SGD run on the main thread; the event loop gets a turn every ~50 ms.
      const turns = eventLoopTurns(50, abort);
      const docs: ReturnType<typeof featuresOf>['features'][] = [];
      for (let i = 0; i < texts.length; i++) {
        if ((i & 255) === 255) await turns.turn();
        docs.push(featuresOf(texts[i] as string, features).features);
      }
      const cfg = kind === 'linear' ? this.config.linear : this.config.naiveBayes;
      const section = kind === 'linear' ? 'linear' : 'naiveBayes';
      const field = `${section}.maxFeatures`;
      // The weight table is features × labels, at most MAX_EMBEDDING_CELLS (10,000 labels × 500,000
      // features was a bare RangeError, × 300,000 a 12 GB allocation). A default maxFeatures is lowered to
      // what fits (the most frequent features are kept); one the user set is refused below.
      const fits = Math.floor(MAX_EMBEDDING_CELLS / K);
      const userSet = this.config.maxFeaturesSet?.[section] ?? true;
      maxFeaturesUsed = userSet ? cfg.maxFeatures : Math.min(cfg.maxFeatures, fits);
      // The fit gives the event loop a turn every ~50 ms too (100,000 texts held it for ~30 s in one go).
      const { vectorizer: tfidf, rows } = await TfidfVectorizer.fitTransformAsync(
        docs,
        {
          minCount: cfg.minCount,
          maxSize: maxFeaturesUsed,
          sublinearTf: true,
        },
        abort,
      );
      if (tfidf.size === 0) throw noFeaturesError(kind, 'features', docs, features, { field: `${section}.minCount`, value: cfg.minCount });
      if (maxFeaturesUsed < cfg.maxFeatures && tfidf.size === maxFeaturesUsed)
        logger.info(
          `${field} lowered from the default ${cfg.maxFeatures} to ${maxFeaturesUsed} for ${K} labels: the ${kind} weight table holds at most ${MAX_EMBEDDING_CELLS} cells (features × labels); the ${maxFeaturesUsed} most frequent features are kept. Set ${field} to choose (at most ${fits}).`,
        );
      if (tfidf.size * K > MAX_EMBEDDING_CELLS) {
        throw new AppliedMLError(
          'E_INPUT_TOO_LARGE',
          `The ${kind} model's weight table would hold ${tfidf.size} features × ${K} labels; at most ${MAX_EMBEDDING_CELLS} cells (${kind === 'linear' ? 'about 400 MB' : 'about 1.2 GB while naive Bayes counts'}). Set ${field} to ${fits} or fewer for ${K} labels (or leave it unset: the default is lowered to what fits), or train with fewer labels.`,
          { details: { field, features: tfidf.size, labels: K, maxCells: MAX_EMBEDDING_CELLS, maxFeaturesThatFit: fits } },
        );
      }
      const model = new LinearModel(tfidf.size, K, this.config.multiLabel);
      if (kind === 'linear') {
        const lin = this.config.linear;
        const epochs = options.epochs ?? lin.epochs;
        let last = performance.now();
        await trainLogistic(rows, targets, model, {
          epochs,
          l2: lin.l2,
          learningRate: lin.learningRate,
          seed: this.config.seed,
          ...(sampleWeights ? { sampleWeights } : {}),
          abort,
          onEpochEnd: (epoch, loss) => {
            const now = performance.now();
            history.push({ epoch, loss, learningRate: lin.learningRate, seconds: (now - last) / 1000 });
            last = now;
          },
        });
      } else {
        await trainNaiveBayes(rows, targets, model, this.config.naiveBayes.alpha, sampleWeights, abort);
      }
      state.tfidf = tfidf;
      state.linear = model;
      featureCount = tfidf.size;
    } else {
      await initEngine({ ...(options.device ? { device: options.device } : {}), logger });
      // Disposed or aborted while the engine started: build nothing.
      this.alive();
      throwIfAborted(signal, TRAIN_CALL);
      // Tokens, the vocabulary or known n-grams and the ids are made in turns too (the event loop waited
      // seconds for them on 100,000 texts); the network's trainer then gives it turns of its own.
      const turns = eventLoopTurns(50, abort);
      const tokens: string[][] = [];
      for (let i = 0; i < texts.length; i++) {
        if ((i & 255) === 255) await turns.turn();
        tokens.push(tokensOf(texts[i] as string, features));
      }
      // Fit the input length to the data: short texts (questions) need far fewer positions than the cap.
      // A loop, not Math.max(...): spreading one argument per text overflows the stack past ~120k texts.
      let longest = 0;
      for (const t of tokens) longest = Math.max(longest, t.length);
      const self = this.config as Preprocessing;
      // The length settings are fitted to this data under the caps asked for (not under the width an
      // earlier training fitted). They stay out of the config until the new network is in place, so a
      // predict meanwhile reads the current network with its own widths.
      const caps = self.lengthCaps ?? { cnnMaxLength: self.cnn.maxLength, fasttextMaxIds: self.fasttext.maxIds };
      const fitted: Pick<Preprocessing, 'cnn' | 'fasttext'> =
        kind === 'cnn'
          ? {
              cnn: { ...self.cnn, maxLength: Math.max(Math.max(...self.cnn.kernelSizes), Math.min(caps.cnnMaxLength, longest)) },
              fasttext: self.fasttext,
            }
          : {
              cnn: self.cnn,
              fasttext: {
                ...self.fasttext,
                maxIds: Math.max(1, Math.min(caps.fasttextMaxIds, ngramCount(longest, self.fasttext.wordNgrams))),
              },
            };
      let network: tf.LayersModel;
      if (kind === 'cnn') {
        const cnn = fitted.cnn;
        // In turns: fitted in one go it held the event loop 1-3 s on 100,000 review-length texts.
        state.vocabulary = (
          await Vocabulary.fitInTurns(
            tokens,
            {
              minCount: cnn.minCount,
              maxSize: cnn.maxVocabulary,
              reserveSpecial: true,
            },
            abort,
          )
        ).vocabulary;
        // Only the padding and unknown ids: every text would read as unknown words.
        if (state.vocabulary.size <= 2)
          throw noFeaturesError(kind, 'words', tokens, features, { field: 'cnn.minCount', value: cnn.minCount });
        if (state.vocabulary.size * cnn.embeddingDim > MAX_EMBEDDING_CELLS)
          throw new AppliedMLError(
            'E_INPUT_TOO_LARGE',
            `The CNN's embedding table would hold ${state.vocabulary.size} words × ${cnn.embeddingDim}; at most ${MAX_EMBEDDING_CELLS} cells. Lower cnn.maxVocabulary or cnn.embeddingDim.`,
          );
        state.widestKernel = Math.max(...cnn.kernelSizes);
        featureCount = state.vocabulary.size;
      } else {
        // fastText keeps every token (no minCount); with none at all it has nothing to learn from.
        if (tokens.every((t) => t.length === 0)) throw noFeaturesError(kind, 'tokens', tokens, features);
        const known = await knownNgrams(tokens, fitted.fasttext, turns);
        if (known) state.knownNgrams = known;
        else
          logger.warn(
            `fastText: the training texts hold more than ${MAX_KNOWN_NGRAMS} distinct n-grams, so the model keeps no list of them and reads every n-gram (an unknown word may land on a trained bucket).`,
          );
        featureCount = fitted.fasttext.buckets;
      }
      const x = await this.encodeNeuralInTurns(tokens, state, fitted, turns);
      // Disposed meanwhile: build nothing.
      try {
        this.alive();
        network =
          kind === 'cnn'
            ? buildKimCnn(fitted.cnn, (state.vocabulary as Vocabulary).size, K, this.config.multiLabel, this.config.seed)
            : buildFastText(fitted.fasttext, K, this.config.multiLabel, this.config.seed);
      } catch (error) {
        tf.dispose(x);
        throw error;
      }
      state.network = network;
      const neural = kind === 'cnn' ? fitted.cnn : fitted.fasttext;
      const y = this.config.multiLabel
        ? tf.tensor2d(targets, [texts.length, K], 'float32')
        : tf.tensor1d(Int32Array.from(targets), 'float32');
      let validation: { x: tf.Tensor | tf.Tensor[]; y: tf.Tensor } | undefined;
      try {
        if (checkedValidation) {
          const v = checkedValidation;
          // In turns, as the training texts (the same tokens and ids as in one go).
          const vTokens: string[][] = [];
          for (let i = 0; i < v.texts.length; i++) {
            if ((i & 255) === 255) await turns.turn();
            vTokens.push(tokensOf(v.texts[i] as string, features));
          }
          const vx = await this.encodeNeuralInTurns(vTokens, state, fitted, turns);
          const vy = this.config.multiLabel
            ? tf.tensor2d(
                Uint8Array.from(v.labelSets.flatMap((set) => labels.map((l) => (set.includes(l) ? 1 : 0)))),
                [v.texts.length, K],
                'float32',
              )
            : tf.tensor1d(
                Int32Array.from(v.labelSets, (set) => index.get(set[0] as string) as number),
                'float32',
              );
          validation = { x: vx, y: vy };
        }
        // The CNN takes any width: batch texts of similar length and cut each batch to its longest.
        let cnnBatching = {};
        if (kind === 'cnn' && isFreeWidth(network)) {
          const lengths = Int32Array.from(tokens, (t) => Math.min(t.length, fitted.cnn.maxLength));
          const widest = Math.max(...this.config.cnn.kernelSizes);
          cnnBatching = {
            bucketBy: lengths,
            augment: (ids: tf.Tensor, rows: Int32Array): tf.Tensor => {
              let longest = widest;
              for (const r of rows) longest = Math.max(longest, lengths[r] as number);
              return tf.slice(ids, [0, 0], [-1, longest]);
            },
          };
        }
        // The fitted widths come into the config with the new network, once it is trained.
        fittedWidths = fitted;
        engineReport = await fitModel(network, x, y, {
          ...cnnBatching,
          epochs: options.epochs ?? neural.epochs,
          batchSize: neural.batchSize,
          loss: this.config.multiLabel ? 'binaryCrossentropy' : 'sparseCategoricalCrossentropy',
          optimizer: 'adam',
          learningRate: neural.learningRate,
          seed: this.config.seed,
          accuracy: !this.config.multiLabel,
          ...(validation
            ? {
                validationData: validation,
                earlyStopping: { monitor: this.config.multiLabel ? 'val_loss' : 'val_accuracy', patience: 3 },
              }
            : {}),
          // Multi-label rows have no single class: each row weighs as its heaviest label (as for the linear models).
          ...(classWeights && !this.config.multiLabel ? { classWeight: Array.from(classWeights) } : {}),
          ...(sampleWeights && this.config.multiLabel ? { sampleWeight: sampleWeights } : {}),
          progress: options.progress ?? false,
          progressLabel: kind,
          logger,
          signal,
          what: TRAIN_CALL,
          // An aborted or superseded train frees this network: no copy of its weights to put back.
          restoreOnAbort: false,
        });
        history = engineReport.history;
        // Rows no training text reached keep their random initial values (Adam never moves a row whose
        // gradient is always 0): zeroed, so a text of only unknown words gets the output layer's bias
        // (fastText), not an arbitrary confident answer (0.995 for 'qzxv'), and unknown ids add nothing.
        // Only ids the network reads count as reached: fastText's padding (id 0 at weight 0) is not, nor
        // the CNN's padding past its widest kernel (pooling ignores windows beyond a text's end; a text
        // shorter than the widest kernel is padded to it, and those pads are read).
        const ids = (Array.isArray(x) ? (x[0] as tf.Tensor) : x).dataSync() as Int32Array;
        if (Array.isArray(x)) {
          const weights = (x[1] as tf.Tensor).dataSync() as Float32Array;
          zeroUnreachedRows(network, ids, (i) => (weights[i] as number) > 0);
        } else if (isFreeWidth(network)) {
          const width = x.shape[1] as number;
          const widest = Math.max(...this.config.cnn.kernelSizes);
          zeroUnreachedRows(network, ids, (i) => ids[i] !== 0 || i % width < widest);
        } else zeroUnreachedRows(network, ids, () => true);
      } catch (error) {
        network.dispose();
        throw error;
      } finally {
        tf.dispose([...(Array.isArray(x) ? x : [x]), y]);
        if (validation) tf.dispose([...(Array.isArray(validation.x) ? validation.x : [validation.x]), validation.y]);
      }
    }

    // Disposed while the network trained: the new network is freed, not attached to a disposed model.
    if (this.disposed) {
      state.network?.dispose();
      throw new AppliedMLError('E_MODEL_DISPOSED', 'This TextClassifier was disposed while it trained; create or load another.');
    }
    // Aborted after the last turn of the training: the new model is dropped, as at any other turn.
    if (signal?.aborted) {
      state.network?.dispose();
      throw abortedError(signal, TRAIN_CALL);
    }
    // A train started after this one has installed its model meanwhile: it stays (no await from here to the install).
    if (!this.trains.install(ticket)) {
      state.network?.dispose();
      throw this.trains.supersededError('TextClassifier.train');
    }
    this.state?.network?.dispose();
    this.state = state;
    if (fittedWidths) {
      (this.config as Preprocessing).cnn = fittedWidths.cnn;
      (this.config as Preprocessing).fasttext = fittedWidths.fasttext;
    }
    (this.config as Preprocessing).labels = labels;
    (this.config as Preprocessing).positiveLabel = positiveLabel ?? null;
    const seconds = (performance.now() - started) / 1000;
    const report: TextTrainingReport = {
      ...(engineReport ?? {
        history,
        monitor: 'loss' as const,
        bestEpoch: Math.max(0, history.length - 1),
        bestValue: history.at(-1)?.loss ?? 0,
        stoppedEarly: false,
        restoredBestWeights: false,
        epochsRun: history.length,
        seconds,
        samplesPerSecond: (texts.length * Math.max(1, history.length)) / seconds,
      }),
      model: kind,
      labels,
      featureCount,
      ...(maxFeaturesUsed !== undefined ? { maxFeatures: maxFeaturesUsed } : {}),
    };
    if (options.validation && options.validation.length > 0) {
      report.validation = this.config.multiLabel
        ? await this.evaluateMultiLabel(options.validation)
        : await this.evaluate(options.validation);
    }
    logger.info(`trained ${kind}: ${texts.length} texts, ${K} labels, ${featureCount} features, ${seconds.toFixed(1)} s`);
    return report;
  }

  async predict(text: string): Promise<TextPrediction> {
    const [one] = await this.predictBatch([text]);
    return one as TextPrediction;
  }

  async predictBatch(texts: readonly string[]): Promise<TextPrediction[]> {
    const state = this.ready();
    if (!Array.isArray(texts)) throw new AppliedMLError('E_INPUT_INVALID', 'predictBatch takes an array of strings.');
    if (texts.length === 0) return [];
    // Array.from visits holes too (map skips them and would return holes).
    // A batch names the bad text by its index ('texts[1] is empty …'); predict's one text stays 'A text'.
    const checked = Array.from(texts, (t, i) =>
      checkText(t, { maxChars: this.config.maxTextChars, where: { index: i }, ...(texts.length > 1 ? { name: `texts[${i}]` } : {}) }),
    );
    const { probs, state: scoredBy } = await this.probabilitiesInTurns(checked, state);
    return probs.map((p) => this.toPrediction(p, scoredBy));
  }

  /** Which words pushed the decision: exact contributions for linear models, occlusion for the neural ones. */
  async explain(text: string, options: { label?: string; top?: number } | null = {}): Promise<TextExplanation> {
    const state = this.ready();
    options ??= {};
    checkKnownKeys('explain options', options, EXPLAIN_KEYS);
    checkIntegerOption('top', options.top, 0, 10_000);
    const checked = checkText(text, { maxChars: this.config.maxTextChars });
    const top = options.top ?? 10;
    const [probs] = this.probabilities([checked], state);
    const prediction = this.toPrediction(probs as Float64Array, state);
    // The label is found as training labels are read (trimmed, NFC) and given back as the model holds it.
    const asked = options.label ?? prediction.label;
    const k = typeof asked === 'string' ? findLabel(state.labels, asked, 'explain label', { field: 'label' }) : -1;
    if (k < 0) throw new AppliedMLError('E_INPUT_INVALID', `Unknown label '${String(asked)}'; the model knows ${state.labels.join(', ')}.`);
    const explained = state.labels[k] as string;
    // The words as the features read them (normalised), so a decomposed 'café' still finds its features.
    const words = normalizedText(checked, state.features)
      .split(/\s+/)
      .filter((w) => w !== '');
    const byWord = new Map<string, number>();
    const add = (word: string, w: number): void => {
      byWord.set(word, (byWord.get(word) ?? 0) + w);
    };
    let featureList: TokenWeight[] | undefined;
    let method: TextExplanation['method'];
    if (state.linear && state.tfidf) {
      method = 'linear-contributions';
      // The row predict reads (the fast builder's equals featuresOf + transform bit for bit), copied: the
      // builder reuses its buffers.
      const rows = (state.rows ??= new TfidfRowBuilder(state.tfidf, state.features));
      const view = rows.row(checked);
      const row = { indices: view.indices.slice(), values: view.values.slice() };
      const contributions = state.linear.contributions(row, k);
      const vocabulary = state.tfidf.vocabulary;
      // Each piece's share of every feature holding it, summed per piece first: a common word is in
      // hundreds of distinct bigrams, and sharing each bigram's part over that word's owners again and
      // again made explain ~10x predict on long texts.
      const pieceWeights = new Map<string, number>();
      for (let j = 0; j < row.indices.length; j++) {
        const name = vocabulary.term(row.indices[j] as number) ?? '';
        const weight = contributions[j] as number;
        const pieces = name.startsWith('w:') ? name.slice(2).split(' ') : name.startsWith('c:') ? [name.slice(2).trim()] : [];
        for (const piece of pieces) if (piece !== '') pieceWeights.set(piece, (pieceWeights.get(piece) ?? 0) + weight / pieces.length);
      }
      // The top features by |contribution| only (a partial selection, not a sort of every feature).
      featureList = topFeatures(row.indices, contributions, top).map((j) => ({
        token: vocabulary.term(row.indices[j] as number) ?? '',
        weight: contributions[j] as number,
      }));
      // Each piece's weight is shared by the word occurrences that contain it. The owners are found through
      // the distinct words' substrings of the pieces' lengths (linear in the text), not by scanning every
      // word for every feature (quadratic: a long text took minutes).
      const owners = ownersOfPieces(words, state.features.lowercase, [...pieceWeights.keys()]);
      for (const [piece, weight] of pieceWeights) {
        const found = owners.get(piece);
        if (!found) continue;
        for (const [owner, count] of found.words) add(owner, (weight * count) / found.total);
      }
    } else {
      method = 'occlusion';
      const shown = words.slice(0, MAX_EXPLAIN_WORDS);
      // The network reads only the first tokens (cnn.maxLength, fasttext.maxIds): each variant keeps just
      // enough words for that, even with its own word taken out, instead of 128 copies of a long text.
      const limit = this.config.model === 'cnn' ? this.config.cnn.maxLength : this.config.fasttext.maxIds;
      const perWord = words.map((w) => tokensOf(w, state.features).length);
      const widest = Math.max(0, ...perWord.slice(0, shown.length));
      let keep = 0;
      for (let read = 0; keep < words.length && read < limit + widest; keep++) read += perWord[keep] as number;
      const kept = words.slice(0, Math.max(keep, shown.length + 1));
      const variants = shown.map((_, i) => [...kept.slice(0, i), ...kept.slice(i + 1)].join(' ')).map((v) => (v.trim() === '' ? '.' : v));
      // Each word's weight is how much the label's log-odds (natural log of p / (1 − p)) fall without it,
      // from the output layer's logits in float64: probability differences saturated at float32's p = 1,
      // so a confident prediction's words all weighed ~0 ("Who wrote Hamlet ?": 6e-7, 0, 0, 0).
      const head = logitHead(state.network as tf.LayersModel);
      const multiLabel = this.config.multiLabel;
      let base: number;
      let occluded: number[];
      if (head) {
        const hidden = this.probabilities([checked, ...variants], state, 0, head);
        const odds = hidden.map((h) => labelLogOdds(head.logits(h), k, multiLabel));
        base = odds[0] as number;
        occluded = odds.slice(1);
      } else {
        // Not the network this package builds (an output layer that is not a softmax / sigmoid Dense):
        // the log-odds of its probabilities, clamped where float32 saturates.
        const fromP = (p: ArrayLike<number>): number => probabilityLogOdds(p[k] as number);
        base = fromP(probs as Float64Array);
        occluded = (variants.length > 0 ? this.probabilities(variants, state) : []).map(fromP);
      }
      shown.forEach((w, i) => add(w, base - (occluded[i] as number)));
    }
    const tokens = [...byWord.entries()]
      .map(([token, weight]) => ({ token, weight }))
      .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
    return { ...prediction, explained, tokens: tokens.slice(0, top), ...(featureList ? { features: featureList } : {}), method };
  }

  /**
   * Metrics on labelled texts (multi-class models). A label the model never saw in training is
   * E_INPUT_INVALID (the model cannot predict it, and accuracy would silently undercount).
   */
  async evaluate(data: readonly TextExample[], options: EvaluateOptions = {}): Promise<TextMetrics> {
    this.ready();
    checkKnownKeys('evaluate options', options, EVALUATE_KEYS);
    if (this.config.multiLabel) throw new AppliedMLError('E_INPUT_INVALID', 'This is a multi-label model; use evaluateMultiLabel.');
    const { state, texts, labelSets, index, probs } = await this.scored(data);
    const yTrue = labelSets.map((set) => index.get(set[0] as string) as number);
    const yPred = probs.map(argMax);
    void texts;
    let positiveLabel = state.positiveLabel;
    if (options.positiveLabel !== undefined) {
      // Found as training labels are read (trimmed, NFC), or as a bundle saved before holds it.
      const given: unknown = options.positiveLabel;
      const k =
        state.labels.length === 2 && typeof given === 'string'
          ? findLabel(state.labels, given, 'positiveLabel', { field: 'positiveLabel' })
          : -1;
      if (k < 0)
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `positiveLabel is for two-class models and must be one of their labels (this model knows ${state.labels.join(', ')}).`,
        );
      positiveLabel = state.labels[k];
    }
    return multiClassMetrics(state.labels, yTrue, yPred, probs, positiveLabel);
  }

  /** Metrics of a multi-label model: subset accuracy, Hamming loss, micro and macro F1. */
  async evaluateMultiLabel(data: readonly TextExample[]): Promise<MultiLabelMetrics> {
    this.ready();
    if (!this.config.multiLabel) throw new AppliedMLError('E_INPUT_INVALID', 'This is a multi-class model; use evaluate.');
    const { state, texts, labelSets, index, probs } = await this.scored(data);
    const K = state.labels.length;
    const truth = new Uint8Array(texts.length * K);
    const predicted = new Uint8Array(texts.length * K);
    labelSets.forEach((set, i) => set.forEach((l) => (truth[i * K + (index.get(l) as number)] = 1)));
    probs.forEach((p, i) => p.forEach((v, k) => (predicted[i * K + k] = v >= this.config.threshold ? 1 : 0)));
    return multiLabelMetrics(state.labels, truth, predicted, texts.length);
  }

  async save(dir: string): Promise<void> {
    const state = this.ready();
    const files: Record<string, Uint8Array | string> = {};
    if (state.tfidf) files['tfidf.json'] = JSON.stringify(state.tfidf.toJSON());
    if (state.linear) files['linear.bin'] = state.linear.toBytes();
    if (state.vocabulary) files['vocabulary.json'] = JSON.stringify(state.vocabulary.toJSON());
    if (state.knownNgrams)
      files['fasttext-known.bin'] = new Uint8Array(state.knownNgrams.buffer, state.knownNgrams.byteOffset, state.knownNgrams.byteLength);
    await saveBundle(dir, {
      package: TEXT_PACKAGE,
      packageVersion: TEXT_VERSION,
      task: TEXT_TASK,
      labels: state.labels,
      // A copy taken now: a retrain meanwhile replaces the fitted widths and labels in the config.
      preprocessing: structuredClone(this.config) as unknown as JsonValue,
      ...(state.network ? { models: { main: state.network } } : {}),
      files,
    });
  }

  /**
   * A model saved by `save`, predicting as it did. `E_BUNDLE_MISSING` without a bundle at `dir`;
   * `E_BUNDLE_CORRUPT` for damage or values a prediction cannot use (checked whatever wrote the manifest);
   * `E_BUNDLE_INCOMPATIBLE` for another package's or task's bundle, and for one saved by a newer version of
   * this package holding what this version cannot read (a model type, a setting value, or a setting, field,
   * file or network it does not know: `details.unknown`), naming both versions (`details.packageVersion`,
   * `details.version`).
   */
  static async load(dir: string, options: { device?: Device; logger?: Logger } = {}): Promise<TextClassifier> {
    checkKnownKeys('load options', options, LOAD_KEYS);
    await initEngine({ ...(options.device ? { device: options.device } : {}), ...(options.logger ? { logger: options.logger } : {}) });
    registerTextLayers();
    // A network this engine cannot rebuild (a layer class a later version writes): from a newer version,
    // loadBundle says it needs an upgrade (E_BUNDLE_INCOMPATIBLE), not repair.
    const bundle = await loadBundle(dir, { package: TEXT_PACKAGE, task: TEXT_TASK, readerVersion: TEXT_VERSION });
    const networks = Object.values(bundle.models);
    const saved = bundle.manifest.packageVersion;
    const corrupt = (what: string, cause?: unknown, details: Record<string, unknown> = {}): AppliedMLError =>
      new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: ${what}.`, { ...(cause ? { cause } : {}), details: { dir, ...details } });
    /** `read()`'s E_BUNDLE_CORRUPT about a file's contents, with the bundle and the file named. */
    const fromFile = <T>(file: string, read: () => T): T => {
      try {
        return read();
      } catch (cause) {
        if (!AppliedMLError.hasCode(cause, 'E_BUNDLE_CORRUPT')) throw cause;
        throw corrupt(`${file} cannot be read (${cause.message.replace(/\.$/, '')})`, cause, { file });
      }
    };
    try {
      const pre = bundle.manifest.preprocessing as unknown as Preprocessing | undefined;
      if (!isPlainObject(pre)) throw corrupt('it has no text-classifier preprocessing');
      // A newer version's save: what this version does not know in it is refused, not dropped (see KNOWN_BUNDLE_PARTS).
      const unknown = unknownBundleParts(bundle, TEXT_VERSION, KNOWN_BUNDLE_PARTS);
      if (unknown.length > 0) throw unknownInBundle(dir, unknown);
      if (!(MODEL_TYPES as readonly string[]).includes(pre.model))
        throw corrupt(`its model type ${describeValue(pre.model)} is not one this version reads (${MODEL_TYPES.join(', ')})`);
      if (!Array.isArray(pre.labels) || pre.labels.length < 2) throw corrupt('its labels are not a list of two or more');
      // The values a prediction depends on are checked here, whatever wrote the manifest.
      if (!pre.labels.every((l) => typeof l === 'string' && l.trim() !== '') || new Set(pre.labels).size !== pre.labels.length)
        throw corrupt('its labels are not distinct non-empty strings');
      if (pre.positiveLabel != null && !pre.labels.includes(pre.positiveLabel))
        throw corrupt('its positive label is not one of its labels');
      if (typeof pre.multiLabel !== 'boolean') throw corrupt('multiLabel is not true or false');
      if (pre.multiLabel && pre.model === 'naive-bayes') throw corrupt('a naive-bayes model cannot be multi-label');
      if (!(typeof pre.threshold === 'number' && pre.threshold > 0 && pre.threshold < 1)) throw corrupt('its threshold is not in (0, 1)');
      if (!Number.isInteger(pre.maxTextChars) || pre.maxTextChars < 1) throw corrupt('maxTextChars is not a positive integer');
      const section = <T extends object>(name: string, value: unknown, defaults: T): T => {
        if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value)))
          throw corrupt(`its ${name} options are not an object`);
        return { ...defaults, ...(value as Partial<T> | undefined) };
      };
      const checkedPre: Preprocessing = {
        ...pre,
        linear: section('linear', pre.linear, LINEAR_DEFAULTS),
        naiveBayes: section('naiveBayes', pre.naiveBayes, NAIVE_BAYES_DEFAULTS),
        fasttext: section('fasttext', pre.fasttext, FASTTEXT_DEFAULTS),
        cnn: section('cnn', pre.cnn, CNN_DEFAULTS),
      };
      const caps = pre.lengthCaps;
      if (
        caps !== undefined &&
        !(
          caps !== null &&
          typeof caps === 'object' &&
          [caps.cnnMaxLength, caps.fasttextMaxIds].every((v) => Number.isInteger(v) && v >= 1 && v <= 100_000)
        )
      )
        throw corrupt('its length caps are not whole numbers from 1 to 100,000');
      try {
        checkModelOptions(checkedPre.linear, checkedPre.naiveBayes, checkedPre.fasttext, checkedPre.cnn);
      } catch (cause) {
        throw corrupt(`its model options are invalid (${(cause as Error).message})`, cause);
      }
      const set = pre.maxFeaturesSet;
      if (
        set !== undefined &&
        !(set !== null && typeof set === 'object' && typeof set.linear === 'boolean' && typeof set.naiveBayes === 'boolean')
      )
        throw corrupt('its maxFeaturesSet is not { linear, naiveBayes } of true or false');
      // Saved before it was kept: a maxFeatures other than the default was set by the user.
      checkedPre.maxFeaturesSet ??= {
        linear: checkedPre.linear.maxFeatures !== LINEAR_DEFAULTS.maxFeatures,
        naiveBayes: checkedPre.naiveBayes.maxFeatures !== NAIVE_BAYES_DEFAULTS.maxFeatures,
      };
      // Saved before the caps were kept: the caps asked for are unknown, so the saved widths count as
      // caps when they are wider than the defaults (a model made with a wider cap keeps reading that far).
      checkedPre.lengthCaps ??= {
        cnnMaxLength: Math.max(CNN_DEFAULTS.maxLength, checkedPre.cnn.maxLength),
        fasttextMaxIds: Math.max(FASTTEXT_DEFAULTS.maxIds, checkedPre.fasttext.maxIds),
      };
      let features: ResolvedFeatureConfig;
      try {
        features = resolveFeatureConfig(savedFeatureConfig(pre.features));
      } catch (cause) {
        throw corrupt(`its feature config is invalid (${(cause as Error).message.replace(/\.$/, '')})`, cause);
      }
      // The resolved config, so a retraining reads texts as this model does (without names a bundle kept unchecked).
      const model = new TextClassifier({ ...checkedPre, features });
      const state: State = {
        labels: pre.labels,
        features,
        ...(pre.positiveLabel ? { positiveLabel: pre.positiveLabel } : {}),
      };
      const json = (name: string): unknown => {
        const buf = bundle.files[name];
        if (!buf) throw corrupt(`${name} is missing`, undefined, { file: name });
        let value: unknown;
        try {
          value = JSON.parse(buf.toString('utf8'));
        } catch (cause) {
          throw corrupt(`${name} is not valid JSON`, cause, { file: name });
        }
        return value;
      };
      if (pre.model === 'linear' || pre.model === 'naive-bayes') {
        const tfidf = fromFile('tfidf.json', () =>
          TfidfVectorizer.fromJSON(json('tfidf.json') as Parameters<typeof TfidfVectorizer.fromJSON>[0]),
        );
        state.tfidf = tfidf;
        const bytes = bundle.files['linear.bin'];
        if (!bytes) throw corrupt('linear.bin is missing', undefined, { file: 'linear.bin' });
        state.linear = fromFile('linear.bin', () => LinearModel.fromBytes(bytes, tfidf.size, pre.labels.length, pre.multiLabel));
      } else {
        const network = bundle.models.main;
        if (!network) throw corrupt('it has no network');
        const outputs = network.outputs[0]?.shape;
        if (network.outputs.length !== 1 || outputs?.[outputs.length - 1] !== pre.labels.length)
          throw corrupt(`its network has ${String(outputs?.[outputs.length - 1])} outputs for ${pre.labels.length} labels`);
        // fastText reads ids and their weights, the CNN ids only: a manifest naming the other kind is corrupt.
        const inputs = pre.model === 'fasttext' ? 2 : 1;
        if (network.inputs.length !== inputs)
          throw corrupt(`its network takes ${network.inputs.length} input(s), a ${pre.model} network ${inputs}`);
        state.network = network;
        if (pre.model === 'cnn')
          state.vocabulary = fromFile('vocabulary.json', () =>
            Vocabulary.fromJSON(json('vocabulary.json') as { terms: string[]; offset: number }),
          );
        const known = bundle.files['fasttext-known.bin'];
        if (pre.model === 'fasttext' && known) {
          if (known.byteLength % 4 !== 0) throw corrupt('fasttext-known.bin is not a list of 32-bit hashes');
          const hashes = new Uint32Array(known.byteLength / 4);
          new Uint8Array(hashes.buffer).set(known);
          for (let i = 1; i < hashes.length; i++)
            if ((hashes[i] as number) <= (hashes[i - 1] as number)) throw corrupt('fasttext-known.bin is not in ascending order');
          state.knownNgrams = hashes;
        }
        // Without manifestSha256 a hand-edited manifest or vocabulary reaches here: the values that size the
        // network's input are checked against the rebuilt network itself, so nothing reads past its tables.
        const widest = checkNetworkFits(network, checkedPre, state.vocabulary, corrupt);
        if (widest !== undefined) state.widestKernel = widest;
        state.loadedFrom = dir;
      }
      model.state = state;
      return model;
    } catch (error) {
      networks.forEach((n) => n.dispose());
      const failure = AppliedMLError.isInstance(error)
        ? error
        : corrupt(`it could not be read (${String((error as Error)?.message ?? error)})`, error);
      // What this version cannot read in a bundle a newer one saved (a model type, a tokenizer, a setting,
      // a file it added) is no damage: say so, and to upgrade (it said "corrupt").
      throw incompatibleIfNewer(failure, { dir, package: TEXT_PACKAGE, saved, running: TEXT_VERSION });
    }
  }

  /** Free the network's memory. Every later call is E_MODEL_DISPOSED. */
  dispose(): void {
    this.state?.network?.dispose();
    this.state = undefined;
    this.disposed = true;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  private alive(): void {
    if (this.disposed) throw new AppliedMLError('E_MODEL_DISPOSED', 'This TextClassifier was disposed; create or load another.');
  }

  private ready(): State {
    this.alive();
    if (!this.state) throw new AppliedMLError('E_MODEL_NOT_TRAINED', 'Train or load the TextClassifier first.');
    return this.state;
  }

  /**
   * `known`: a loaded model's labels, in their trimmed NFC form. A label among them is not refused for the
   * characters in it (a bundle saved before labels were checked may hold a tab or U+200B).
   */
  private checkExamples(
    data: readonly TextExample[],
    what: string,
    known?: ReadonlySet<string>,
  ): { texts: string[]; labelSets: string[][] } {
    if (!Array.isArray(data)) throw new AppliedMLError('E_INPUT_INVALID', `${what} must be an array of { text, label }.`);
    if (data.length === 0) throw new AppliedMLError('E_INPUT_INVALID', `${what} is empty.`);
    const texts: string[] = [];
    const labelSets: string[][] = [];
    // Every index, holes included (forEach would skip them).
    for (let i = 0; i < data.length; i++) {
      const row = data[i] as TextExample | undefined;
      if (typeof row !== 'object' || row === null)
        throw new AppliedMLError('E_INPUT_INVALID', `${what}[${i}] is not an object.`, { details: { index: i } });
      texts.push(checkText(row.text, { maxChars: this.config.maxTextChars, where: { index: i }, name: `${what}[${i}].text` }));
      const raw = row.label;
      const set = Array.isArray(raw) ? raw : [raw];
      if (!this.config.multiLabel && Array.isArray(raw) && raw.length !== 1) {
        throw new AppliedMLError('E_INPUT_INVALID', `${what}[${i}] has ${raw.length} labels; set multiLabel: true for that.`, {
          details: { index: i },
        });
      }
      if (set.length === 0 && !this.config.multiLabel)
        throw new AppliedMLError('E_INPUT_INVALID', `${what}[${i}] has no label.`, { details: { index: i } });
      for (const l of set) {
        if (typeof l !== 'string' || l.trim() === '') {
          throw new AppliedMLError('E_INPUT_INVALID', `${what}[${i}]: a label must be a non-empty string (got ${labelKind(l)}).`, {
            details: { index: i },
          });
        }
        if (!known?.has(normalizeLabel(l))) checkLabelCharacters(l, `${what}[${i}]`, { index: i });
      }
      // Labels are trimmed, as the file loaders trim them: ' billing ' and 'billing' are one queue; and NFC, as texts are.
      labelSets.push([...new Set((set as string[]).map(normalizeLabel))]);
    }
    return { texts, labelSets };
  }

  private async scored(data: readonly TextExample[]): Promise<{
    state: State;
    texts: string[];
    labelSets: string[][];
    index: Map<string, number>;
    probs: Float64Array[];
  }> {
    const first = this.ready();
    // The model's own labels are accepted as they are, even holding characters a new label may not.
    const { texts, labelSets } = this.checkExamples(data, 'evaluation data', new Set(first.labels.map(normalizeLabel)));
    const indexOf = (state: State): Map<string, number> => {
      // By trimmed NFC form: a bundle saved before labels were normalised may hold an NFD one.
      const index = new Map(state.labels.map((l, i) => [normalizeLabel(l), i]));
      const unknown = [...new Set(labelSets.flat())].filter((l) => !index.has(l));
      if (unknown.length > 0) {
        throw new AppliedMLError('E_INPUT_INVALID', `Evaluation labels the model was not trained on: ${unknown.slice(0, 10).join(', ')}.`, {
          details: { unknown },
        });
      }
      return index;
    };
    const index = indexOf(first);
    const { state, probs } = await this.probabilitiesInTurns(texts, first);
    // Retrained meanwhile: scored by the new model (its restarts bounded there), whose labels may differ.
    return { state, texts, labelSets, index: state === first ? index : indexOf(state), probs };
  }

  /**
   * The network's input for `tokens`: the CNN's ids, or fastText's ids and weights, at the widths of
   * `widths` (the config's, or those a training fitted).
   */
  private encodeNeural(
    tokens: string[][],
    state: State,
    widths: Pick<Preprocessing, 'cnn' | 'fasttext'> = this.config,
  ): tf.Tensor | tf.Tensor[] {
    return finish(this.encodeSteps(tokens, state, widths));
  }

  /** `encodeNeural`, giving the event loop a turn through `turns` every ~50 ms (training's inputs). */
  private async encodeNeuralInTurns(
    tokens: string[][],
    state: State,
    widths: Pick<Preprocessing, 'cnn' | 'fasttext'>,
    turns: ReturnType<typeof eventLoopTurns>,
  ): Promise<tf.Tensor | tf.Tensor[]> {
    const steps = this.encodeSteps(tokens, state, widths);
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      await turns.turn();
    }
  }

  /** The encoding, yielding every 256 texts (the tensors are made at the end, after the last yield). */
  private *encodeSteps(
    tokens: string[][],
    state: State,
    widths: Pick<Preprocessing, 'cnn' | 'fasttext'>,
  ): Generator<void, tf.Tensor | tf.Tensor[], void> {
    const n = tokens.length;
    if (this.config.model === 'cnn') {
      const width = widths.cnn.maxLength;
      const ids = new Int32Array(n * width);
      for (let i = 0; i < n; i++) {
        if ((i & 255) === 255) yield;
        cnnRow(tokens[i] as string[], state.vocabulary as Vocabulary, ids, i, width);
      }
      return tf.tensor2d(ids, [n, width], 'int32');
    }
    const ft = widths.fasttext;
    const L = ft.maxIds;
    const ids = new Int32Array(n * L);
    const weights = new Float32Array(n * L);
    const known = state.knownNgrams;
    for (let i = 0; i < n; i++) {
      if ((i & 255) === 255) yield;
      // hashedNgrams' ids (1 + hash % (buckets - 1)), without the n-grams training never gave the network.
      const hashes = ngramHashes(tokens[i] as string[], ft.wordNgrams);
      let m = 0;
      for (let j = 0; j < hashes.length && m < L; j++) {
        const h = hashes[j] as number;
        if (known && !sortedHas(known, h)) continue;
        ids[i * L + m++] = 1 + (h % (ft.buckets - 1));
      }
      if (m > 0) weights.fill(1 / m, i * L, i * L + m);
    }
    return [tf.tensor2d(ids, [n, L], 'int32'), tf.tensor3d(weights, [n, L, 1], 'float32')];
  }

  /**
   * `probabilities` of many texts in chunks of PREDICT_CHUNK, giving the event loop a turn every ~50 ms
   * between chunks (as `train` does), so a large batch does not stall a service. The same numbers as one
   * call. A batch is scored by one model: if a retrain replaces it meanwhile, the batch is scored again
   * by the new one (the old network is freed), at most MAX_BATCH_RESTARTS times, then E_BUSY; a `dispose`
   * meanwhile is E_MODEL_DISPOSED.
   */
  private async probabilitiesInTurns(texts: string[], first: State): Promise<{ probs: Float64Array[]; state: State }> {
    const turns = eventLoopTurns(50);
    let state = first;
    let restarts = 0;
    for (; ; restarts++) {
      const probs: Float64Array[] = [];
      let replaced = false;
      for (let i = 0; i < texts.length; i += PREDICT_CHUNK) {
        const turn = i > 0 ? turns.turn() : undefined;
        if (turn) {
          await turn;
          const now = this.ready();
          if (now !== state) {
            // A service that retrains more often than a batch takes would never finish it.
            if (restarts >= MAX_BATCH_RESTARTS)
              throw new AppliedMLError(
                'E_BUSY',
                `The model was retrained ${restarts + 1} times while this batch of ${texts.length} texts was scored (each retrain replaces the model it scores with, so the batch starts again); try again once retraining settles, or score smaller batches.`,
                { details: { restarts: restarts + 1, texts: texts.length } },
              );
            state = now;
            replaced = true;
            break;
          }
        }
        for (const p of this.probabilities(texts.slice(i, i + PREDICT_CHUNK), state, i)) probs.push(p);
      }
      if (!replaced) return { probs, state };
    }
  }

  /**
   * The network's scores (one K-wide row per text), or with `head` the outputs of that model instead
   * (the network up to its output layer's input, `head.width` wide: see logitHead).
   */
  private probabilities(texts: string[], state: State, offset = 0, head?: { network: tf.LayersModel; width: number }): Float64Array[] {
    const K = head?.width ?? state.labels.length;
    if (state.linear && state.tfidf && !head) {
      const linear = state.linear;
      const rows = (state.rows ??= new TfidfRowBuilder(state.tfidf, state.features));
      return texts.map((t) => rows.probabilities(t, linear));
    }
    const network = head?.network ?? (state.network as tf.LayersModel);
    const tokens = texts.map((t) => tokensOf(t, state.features));
    let probs: Float64Array[];
    if (this.config.model === 'cnn' && isFreeWidth(state.network as tf.LayersModel))
      probs = this.cnnProbabilities(tokens, state, network, K);
    else {
      const x = this.encodeNeural(tokens, state);
      try {
        const { data } = predictBatched(network, x, { batchSize: 512 });
        probs = texts.map((_, i) => Float64Array.from(data.subarray(i * K, (i + 1) * K)));
      } finally {
        tf.dispose(x);
      }
    }
    // A text becomes bounded ids, so a network whose output is not finite has weights no training makes
    // (finite but huge values overflow to NaN): an error naming the model, never NaN scores.
    const found = probs.findIndex((p) => !p.every((v) => Number.isFinite(v)));
    if (found >= 0) {
      const bad = found + offset;
      const what = `The ${this.config.model} network's output for text ${bad} is not finite: its weights are far outside anything training makes`;
      throw state.loadedFrom !== undefined
        ? new AppliedMLError('E_BUNDLE_CORRUPT', `${what} (bundle ${state.loadedFrom}).`, {
            details: { dir: state.loadedFrom, index: bad },
          })
        : new AppliedMLError('E_TRAINING_FAILED', `${what}; train it again.`, { details: { index: bad } });
    }
    return probs;
  }

  /**
   * CNN scores with texts grouped by length: each group padded only to its own width (at least the
   * widest kernel). The pooling ignores windows past a text's end, so this equals padding every text
   * to maxLength, at a fraction of the work for short texts.
   */
  private cnnProbabilities(tokens: string[][], state: State, network: tf.LayersModel, K = state.labels.length): Float64Array[] {
    const cnn = this.config.cnn;
    // The network's own widest kernel (checked against the manifest at load): a text padded to fewer ids
    // would give that convolution no window (in WebAssembly, a read out of bounds).
    const widest = Math.max(state.widestKernel ?? 1, ...cnn.kernelSizes);
    const vocab = state.vocabulary as Vocabulary;
    const groups = new Map<number, number[]>();
    tokens.forEach((t, i) => {
      const width = Math.max(widest, Math.min(cnn.maxLength, t.length));
      const group = groups.get(width);
      if (group) group.push(i);
      else groups.set(width, [i]);
    });
    const out: Float64Array[] = new Array(tokens.length);
    for (const [width, members] of groups) {
      const x = cnnIds(
        members.map((i) => tokens[i] as string[]),
        vocab,
        width,
      );
      try {
        const { data } = predictBatched(network, x, { batchSize: 512 });
        members.forEach((i, r) => (out[i] = Float64Array.from(data.subarray(r * K, (r + 1) * K))));
      } finally {
        x.dispose();
      }
    }
    return out;
  }

  private toPrediction(p: Float64Array, state: State): TextPrediction {
    const best = argMax(p);
    const label = state.labels[best] as string;
    // Own properties, so a label such as '__proto__' keeps its score.
    const scores: Record<string, number> = Object.fromEntries(state.labels.map((l, k) => [l, p[k] as number]));
    const labels = this.config.multiLabel ? state.labels.filter((_, k) => (p[k] as number) >= this.config.threshold) : [label];
    return { label, labels, scores };
  }
}

/**
 * Checks a loaded network against the preprocessing that feeds it; returns the CNN's widest kernel.
 * CNN: the Conv1D widths equal `cnn.kernelSizes` (undilated), the padding length (`cnn.maxLength`, or the
 * fixed input width of a 0.1 network, which must equal it) reaches the widest, and the vocabulary's ids
 * fit the embedding table. fastText: the hash buckets fit the embedding table and `fasttext.maxIds` is the
 * input width.
 */
function checkNetworkFits(
  network: tf.LayersModel,
  pre: Preprocessing,
  vocabulary: Vocabulary | undefined,
  corrupt: (what: string) => AppliedMLError,
): number | undefined {
  const embeddings = network.layers.filter((l) => ['AppliedMLTextEmbedding', 'Embedding'].includes(l.getClassName()));
  const rows = embeddings.length === 1 ? (embeddings[0] as tf.layers.Layer).getConfig().inputDim : undefined;
  if (typeof rows !== 'number' || !Number.isInteger(rows) || rows < 1)
    throw corrupt(`its network has ${embeddings.length} embedding layers; a ${pre.model} network has one`);
  const width = network.inputs[0]?.shape[1];
  if (pre.model === 'fasttext') {
    // Hashed ids are in [1, buckets).
    if (pre.fasttext.buckets > rows) throw corrupt(`fasttext.buckets is ${pre.fasttext.buckets}; the network's embedding has ${rows} rows`);
    const weights = network.inputs[1]?.shape[1];
    if (width !== pre.fasttext.maxIds || weights !== pre.fasttext.maxIds)
      throw corrupt(`fasttext.maxIds is ${pre.fasttext.maxIds}; the network reads ${String(width)} ids and ${String(weights)} weights`);
    return undefined;
  }
  const kernels: number[] = [];
  for (const layer of network.layers.filter((l) => l.getClassName() === 'Conv1D')) {
    const config = layer.getConfig();
    const size = Array.isArray(config.kernelSize) ? config.kernelSize[0] : config.kernelSize;
    const dilation = Array.isArray(config.dilationRate) ? config.dilationRate[0] : (config.dilationRate ?? 1);
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || dilation !== 1)
      throw corrupt(`its network's convolution ${layer.name} is not an undilated kernel of whole width`);
    kernels.push(size);
  }
  const sorted = (a: readonly number[]): string => JSON.stringify([...a].sort((x, y) => x - y));
  if (kernels.length === 0 || sorted(kernels) !== sorted(pre.cnn.kernelSizes))
    throw corrupt(
      `cnn.kernelSizes is ${JSON.stringify(pre.cnn.kernelSizes)}; the network's convolutions are ${JSON.stringify(kernels)} wide`,
    );
  const widest = Math.max(...kernels);
  if (width !== null && width !== pre.cnn.maxLength)
    throw corrupt(`cnn.maxLength is ${pre.cnn.maxLength}; the network reads ${String(width)} ids`);
  if (pre.cnn.maxLength < widest) throw corrupt(`cnn.maxLength ${pre.cnn.maxLength} is narrower than the widest kernel (${widest})`);
  const size = (vocabulary as Vocabulary).size;
  if (size > rows)
    throw corrupt(
      `its vocabulary has ${size} ids (${size - (vocabulary as Vocabulary).offset} terms + ${(vocabulary as Vocabulary).offset} reserved); the network's embedding has ${rows} rows`,
    );
  return widest;
}

/**
 * Zeroes the embedding rows of `network` that no id in `ids` (the training inputs) reaches. Done once
 * after training, this equals having started those rows at zero: no gradient ever reached them.
 */
/**
 * The hashes of the n-grams fastText reads of the training texts (the first `maxIds` of each), ascending,
 * distinct; undefined past MAX_KNOWN_NGRAMS distinct ones. Gives the event loop a turn through `turns`.
 */
async function knownNgrams(
  tokens: readonly string[][],
  ft: FastTextConfig,
  turns: ReturnType<typeof eventLoopTurns>,
): Promise<Uint32Array | undefined> {
  const distinct = new DistinctHashes(ft.maxIds);
  for (let i = 0; i < tokens.length; i++) {
    if ((i & 255) === 255) await turns.turn();
    if (!distinct.add(ngramHashes(tokens[i] as string[], ft.wordNgrams))) return undefined;
  }
  return distinct.result();
}

/** Zeroes the embedding rows of the ids never read in training: `read(i)` says whether `ids[i]` was. */
function zeroUnreachedRows(network: tf.LayersModel, ids: Int32Array, read: (i: number) => boolean): void {
  const layer = network.getLayer('embedding');
  const [table] = layer.getWeights();
  if (!table || table.shape.length !== 2) return;
  const [rows, dim] = table.shape as [number, number];
  const reached = new Uint8Array(rows);
  for (let i = 0; i < ids.length; i++) if (read(i)) reached[ids[i] as number] = 1;
  const values = Float32Array.from(table.dataSync());
  let zeroed = 0;
  for (let r = 0; r < rows; r++)
    if (reached[r] === 0) {
      values.fill(0, r * dim, (r + 1) * dim);
      zeroed++;
    }
  if (zeroed === 0) return;
  const next = tf.tensor2d(values, [rows, dim], 'float32');
  try {
    layer.setWeights([next]);
  } finally {
    next.dispose();
  }
}

/** True for networks whose input width is free (the length-masked CNN); bundles from 0.1 have a fixed width. */
function isFreeWidth(network: tf.LayersModel): boolean {
  const shape = network.inputs[0]?.shape;
  return network.inputs.length === 1 && shape !== undefined && shape.length === 2 && shape[1] === null;
}

/** Vocabulary ids of tokenised texts, cut or padded with 0 to `width`; unknown words are 1. */
function cnnIds(tokens: string[][], vocab: Vocabulary, width: number): tf.Tensor2D {
  const ids = new Int32Array(tokens.length * width);
  tokens.forEach((t, i) => cnnRow(t, vocab, ids, i, width));
  return tf.tensor2d(ids, [tokens.length, width], 'int32');
}

/** Writes the CNN ids of text `i` (`t`, cut to `width`; unknown words 1, padding 0) into `ids`. */
function cnnRow(t: string[], vocab: Vocabulary, ids: Int32Array, i: number, width: number): void {
  for (let j = 0; j < Math.min(width, t.length); j++) ids[i * width + j] = vocab.get(t[j] as string) ?? 1;
}

/**
 * For each piece (a token or character n-gram of the linear model's features), the distinct words of
 * `words` that contain it (compared lowercased when the features are) and how often each occurs, plus
 * the total number of occurrences: the same owners as testing every word with `includes`, found through
 * each distinct word's substrings of the pieces' lengths.
 */
function ownersOfPieces(
  words: readonly string[],
  lowercase: boolean,
  pieces: readonly string[],
): Map<string, { words: Map<string, number>; total: number }> {
  const wanted = new Set(pieces);
  const lengths = [...new Set(pieces.map((p) => p.length))];
  const counts = new Map<string, number>();
  for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  const out = new Map<string, { words: Map<string, number>; total: number }>();
  for (const [word, count] of counts) {
    const text = lowercase ? word.toLowerCase() : word;
    const seen = new Set<string>();
    for (const n of lengths) {
      for (let i = 0; i + n <= text.length; i++) {
        const sub = text.slice(i, i + n);
        if (!wanted.has(sub) || seen.has(sub)) continue;
        seen.add(sub);
        let entry = out.get(sub);
        if (!entry) out.set(sub, (entry = { words: new Map(), total: 0 }));
        entry.words.set(word, (entry.words.get(word) ?? 0) + count);
        entry.total += count;
      }
    }
  }
  return out;
}

/**
 * Positions of the `top` largest |contributions|, largest first; ties keep the row's order (a stable
 * sort of every feature gives the same list).
 */
function topFeatures(indices: Int32Array, contributions: ArrayLike<number>, top: number): number[] {
  const n = indices.length;
  const chosen: number[] = [];
  if (top === 0) return chosen;
  if (top * 8 >= n)
    return Array.from({ length: n }, (_, j) => j)
      .sort((a, b) => Math.abs(contributions[b] as number) - Math.abs(contributions[a] as number))
      .slice(0, top);
  const before = (a: number, b: number): boolean => {
    const d = Math.abs(contributions[b] as number) - Math.abs(contributions[a] as number);
    return d < 0 || (d === 0 && a < b);
  };
  for (let j = 0; j < n; j++) {
    if (chosen.length === top && !before(j, chosen[top - 1] as number)) continue;
    let at = chosen.length === top ? top - 1 : chosen.length;
    while (at > 0 && before(j, chosen[at - 1] as number)) {
      chosen[at] = chosen[at - 1] as number;
      at--;
    }
    chosen[at] = j;
    if (chosen.length > top) chosen.length = top;
  }
  return chosen;
}

function ngramCount(tokens: number, maxN: number): number {
  let total = 0;
  for (let n = 1; n <= maxN; n++) total += Math.max(0, tokens - n + 1);
  return total;
}

function argMax(p: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < p.length; k++) if ((p[k] as number) > (p[best] as number)) best = k;
  return best;
}

export type { SparseVector };

/** What a label that is not a non-empty string is, for a message: a number as itself, else its kind ('an object', 'an empty string'). */
function labelKind(label: unknown): string {
  if (typeof label === 'number') return String(label);
  if (typeof label === 'string') return label === '' ? 'an empty string' : 'a string of only whitespace';
  return describeKind(label);
}
