import {
  AppliedMLError,
  averagePrecision,
  checkIntegerOption,
  checkKnownKeys,
  checkDevice,
  checkSignalOption,
  describeValue,
  eventLoopTurns,
  incompatibleIfNewer,
  initEngine,
  eachEntry,
  loadBundle,
  precisionAtK,
  recallAtFpr,
  rocAuc,
  saveBundle,
  silentLogger,
  throwIfAborted,
  TrainTickets,
  unknownBundleParts,
  unknownPartsError,
  type Device,
  type JsonValue,
  type KnownBundleParts,
  type KnownNames,
  type Logger,
  type TrainingReport,
  type tf,
} from '@appliedml/engine';
import { compactEcod, excessEvidence, fitEcodSteps, groupShares, oneHotExcess, scoreEcod, shareAtLeast, type EcodState } from './ecod';
import { checkGbtOptions, checkGbtState, fitGbtSteps, scoreGbt, type GbtOptions, type GbtState, type GbtTree } from './gbt';
import { checkForestOptions, type ForestOptions, type ForestState, type ForestTree } from './forest';
import {
  checkIsolationForestState,
  fitIsolationForestSteps,
  scoreIsolationForest,
  scoreIsolationForestWithContrib,
  type IsolationForestOptions,
  type IsolationForestState,
  type IsolationTree,
} from './iforest';
import { takeRows, type Matrix } from './matrix';
import { checkNoHoles } from './option-lists';
import { readLabels } from './labels';
import { driveSteps, runSteps, runStepsInTurns, runStepsWithTurns, type Steps, type Turns } from './steps';
import { fitTailNorm, isTailNorm, tailRarity, type TailNorm } from './normalize';
import { highestRows } from './top-rows';
import { checkPcaState, fitPcaSteps, scorePcaSteps, type PcaState } from './pca';
import { KNN_DEFAULT_K, checkKnnState, fitKnnSteps, knnNeighbours, scoreKnnSteps, type KnnOptions, type KnnState } from './knn';
import {
  checkNetOptions,
  mlpScores,
  reconstructionErrors,
  trainAutoencoder,
  typicalReconstructionErrors,
  trainMlp,
  type AutoencoderOptions,
  type MlpOptions,
} from './neural';
import {
  Preprocessor,
  SCALED_LIMIT,
  schemaKind,
  timeLikeName,
  type ColumnKind,
  type FeatureInfo,
  type FittedColumn,
  type PreprocessOptions,
  type PreprocessorState,
  type TabularInput,
  type TabularRecord,
  type TimeFeatures,
} from './tabular';
import { backgroundValues, mlpOcclusionSteps } from './occlusion';
import { chooseThreshold, shareOfRows, type ThresholdChoice, type ThresholdRule } from './thresholds';
import { FRAUD_PACKAGE, FRAUD_TASK, FRAUD_VERSION } from './version';

/**
 * Version of the ECOD score a bundle's threshold and normalisation were fitted on: 1 summed both tails
 * for features with |skewness| ≤ 1 (@appliedml/fraud 0.1.0); 2 aggregates as PyOD does (the release after it).
 */
const ECOD_SCORING = 2;

export type UnsupervisedKind = 'ecod' | 'iforest' | 'pca' | 'knn' | 'autoencoder';
export type SupervisedKind = 'mlp' | 'gbt';
export type DetectorKind = UnsupervisedKind | 'ensemble' | SupervisedKind;

export interface FraudDetectorConfig {
  /** 'ensemble' (default: unsupervised members, normalised and averaged), one unsupervised detector, or 'gbt' / 'mlp' (supervised). */
  detector?: DetectorKind;
  /** Members of the ensemble (default ['ecod', 'iforest']; 'pca' and 'knn' are available, not default: see docs/benchmarks/fraud.md). */
  members?: UnsupervisedKind[];
  /**
   * How ensemble members' scores are made comparable before averaging (default 'zscore': the mean and sd
   * of the member's training scores); 'tail' uses the -log tail probability among its training scores.
   */
  normalize?: 'tail' | 'zscore';
  /**
   * How the ensemble combines its members' normalised scores: 'mean' (default) averages them; 'max' takes
   * the largest, so a row one member finds very unusual ranks high whatever the others say (PyOD's
   * `maximization`; Aggarwal and Sathe, 2015). See docs/benchmarks/fraud.md for how the two compare.
   */
  combine?: 'mean' | 'max';
  seed?: number;
  iforest?: IsolationForestOptions;
  /** kNN distance detector (default k = 10 over a 2,048-row reference sample). */
  knn?: KnnOptions;
  autoencoder?: AutoencoderOptions;
  mlp?: MlpOptions;
  /** Gradient-boosted trees (supervised). */
  gbt?: GbtOptions;
  /**
   * Supervised detectors only: unsupervised detectors fitted on the training rows (without labels) whose
   * z-scored scores are appended to the features the classifier learns from, as XGBOD does (Zhao and
   * Hryniewicki, 2018; ADBench's semi-supervised list); e.g. ['ecod', 'iforest']. Default none. Each adds
   * its scoring time to every prediction; the reasons stay per input column (the score columns' share is
   * spread over the columns by ECOD's per-feature evidence).
   */
  outlierFeatures?: Array<'ecod' | 'iforest' | 'pca' | 'knn'>;
  preprocess?: PreprocessOptions;
  /** Share of training data flagged by the default threshold (default 0.05). Replace it with `setThreshold` / `calibrate`. */
  contamination?: number;
  /**
   * Unsupervised detectors: fit a second time without the `contamination` share of training rows the first
   * fit scores highest (default true for 'ensemble', false for one detector; refused for 'gbt' / 'mlp').
   * Training data holds some fraud the detector would otherwise learn as normal; setting it aside sharpens
   * both members (a data refinement after Yoon et al., "Self-supervise, Refine, Repeat", TMLR 2022). Training
   * takes about twice as long; scoring costs the same. See docs/benchmarks/fraud.md, session 23.
   */
  refine?: boolean;
  /** Reasons returned per prediction (default 3). */
  maxReasons?: number;
}

export interface FraudTrainOptions {
  /** 0/1 per row (1 = fraud). Required for 'gbt' and 'mlp'; ignored by unsupervised detectors (they never see labels). */
  labels?: ArrayLike<number>;
  device?: Device;
  logger?: Logger;
  /**
   * Stops the training when aborted (an `AbortController`'s signal, or `AbortSignal.timeout(ms)`): seen
   * at the next event-loop turn (every ~50 ms of work, in every detector's fit, the trees' too), `train`
   * rejects with E_ABORTED (`cause`: the signal's reason), frees what it built and installs nothing: the
   * detector stays as it was (a trained one keeps scoring with its old model). Already aborted: rejected
   * before any work.
   */
  signal?: AbortSignal;
}

export interface FraudTrainingReport {
  detector: DetectorKind;
  rows: number;
  features: number;
  seconds: number;
  threshold: number;
  /** The engine's report for neural detectors. */
  training?: TrainingReport;
  /** Gradient-boosted trees: rounds kept (best validation round) and that round's validation log-loss (NaN without validation). */
  boosting?: { rounds: number; validationLoss: number };
  /**
   * Unsupervised detectors fitted twice (`refine`): the training rows set aside before the second fit (the
   * `contamination` share the first fit scored highest; 0 when that share is under one row, or when setting it aside would leave under half the rows: no second fit then).
   */
  setAside?: number;
  /**
   * Unsupervised detectors: per timestamp field, whether its hour / weekday rarity is a feature, and the
   * distinct UTC days / UTC clock hours holding training times that decided it (the weekday from 14 days,
   * the hour from 48 clock hours or 14 days). A retrain on a longer history can switch one on (and change
   * the scores). Empty without a timestamp field; absent for `gbt` / `mlp`, which keep the sin / cos.
   */
  timeFeatures?: TimeFeatures[];
}

export interface FeatureReason {
  /** Input column (one-hot levels are folded into their column). */
  feature: string;
  /** Share of this row's anomaly evidence, 0..1. */
  share: number;
  value?: number;
  text: string;
}

export interface FraudPrediction {
  score: number;
  isFraud: boolean;
  reasons: FeatureReason[];
}

export interface FraudEvaluation {
  aucroc: number;
  aucpr: number;
  precisionAtK: number;
  k: number;
  recallAt1PctFpr: number;
  /** At the current threshold. */
  precision: number;
  recall: number;
  alerts: number;
}

interface Fitted {
  pre: Preprocessor;
  ecod?: EcodState;
  /** ECOD fitted only to explain (when the detector itself is not ECOD). */
  explainer: EcodState;
  iforest?: IsolationForestState;
  pca?: PcaState;
  knn?: KnnState;
  autoencoder?: tf.LayersModel;
  /**
   * Per feature, the autoencoder's median squared reconstruction error over the training rows: reasons
   * count the error above it (`autoencoderEvidence`). Absent in bundles saved before it was kept: their
   * reasons read the raw errors, as when they were saved.
   */
  autoencoderTypical?: Float64Array;
  /**
   * After a second fit that set rows aside (`refine`): the share of EVERY training row holding each one-hot
   * level, by feature name, for the reasons' "x% of training rows" (the explainer then holds the kept rows
   * only). Absent otherwise: the explainer's own counts are every row's.
   */
  levelShares?: Record<string, number>;
  mlp?: tf.LayersModel;
  gbt?: GbtState;
  /** Train mean and sd of each member's raw score (ensemble normalisation). */
  norms: Partial<Record<UnsupervisedKind, [number, number]>>;
  /** Sorted training scores of each member (tail normalisation). */
  tails: Partial<Record<UnsupervisedKind, TailNorm>>;
  threshold: number;
}

const oneHotGroupsCache = new WeakMap<Preprocessor, number[][]>();

/** Feature indices of each categorical's one-hot (or hash-bucket) columns: at most one is 1 in a row. */
function oneHotGroups(pre: Preprocessor): number[][] {
  const cached = oneHotGroupsCache.get(pre);
  if (cached) return cached;
  const categorical = new Set(pre.state.columns.filter((c) => c.kind === 'categorical').map((c) => c.name));
  const byColumn = new Map<string, number[]>();
  pre.features.forEach((feature, i) => {
    if (!categorical.has(feature.column)) return;
    const group = byColumn.get(feature.column) ?? [];
    group.push(i);
    byColumn.set(feature.column, group);
  });
  const groups = [...byColumn.values()];
  oneHotGroupsCache.set(pre, groups);
  return groups;
}

/**
 * The autoencoder's per-feature reconstruction errors (`errors`, rows of `x`) as evidence relative to
 * training, in place: a feature counts only its error above the typical training row's
 * (`Fitted.autoencoderTypical`), and a categorical's columns count together, and only for a state
 * (level, or none: missing / unseen) rare in training by the rule ECOD's reasons use (held by under
 * 1/(2k) of the rows, k levels), their summed error above their typical sum shared among them by their
 * errors. Read raw, a common level's columns carried error on every row (a three-way channel at ~33 %
 * each was a reason on nearly every row). Without `autoencoderTypical` (an older bundle) the raw errors.
 */
function autoencoderEvidence(f: Fitted, x: Matrix, errors: Float64Array): Float64Array {
  const typical = f.autoencoderTypical;
  if (!typical) return errors;
  const groups = oneHotGroups(f.pre);
  // The typical row's summed error over each group's columns.
  const base = groups.map((group) => {
    let sum = 0;
    for (const c of group) sum += typical[c] as number;
    return sum;
  });
  return oneHotExcess(f.explainer, errors, x, groups, typical, (k, states, held, sum) =>
    states.rare[held] ? Math.max(0, sum - (base[k] as number)) : 0,
  );
}

/**
 * A detector's own per-feature evidence (`values`, rows of `x`) read as reasons are, in place: only
 * what pushes towards an alert (positive parts), and a categorical's columns together, counting only for
 * a state rare in training by the rule ECOD's reasons use (held by under 1/(2k) of the rows, k levels):
 * the isolation forest's split on a three-way channel credits every row's own level, a common one too.
 *
 * `decides` (the MLP's occlusion): the evidence says how the classifier's log-odds fall without the
 * row's value, not how unusual the value is, so a common level whose group pushes towards fraud counts
 * too (a level held by 40 % of the rows that the network learnt as the fraud channel decided those
 * alerts, and was never named); the boosted trees' reasons name such a level in the same way.
 */
function ownEvidence(f: Fitted, x: Matrix, values: Float64Array, decides = false): Float64Array {
  const groups = oneHotGroups(f.pre);
  oneHotExcess(f.explainer, values, x, groups, new Float64Array(x.cols), (_k, states, held, sum) =>
    decides || states.rare[held] ? Math.max(0, sum) : 0,
  );
  // With `decides`, a group's columns keep what the group was given (the rule below would take a common
  // level's share away again: its column is a 0/1 column held by over a quarter of the rows).
  // Only a group read together (its training shares known): any other keeps the rule column by column.
  const grouped = new Uint8Array(x.cols);
  if (decides) {
    const shares = groupShares(f.explainer, groups);
    groups.forEach((group, k) => {
      if (shares[k]) for (const c of group) grouped[c] = 1;
    });
  }
  // A 0/1 column outside the groups (a missing flag, a new-merchant flag) by the same rule, as a
  // two-state group: only a state held by under a quarter of the training rows (a tip missing on 40 % of
  // them is no reason).
  f.explainer.sorted.forEach((col, c) => {
    const n = col.length;
    if (grouped[c] || !n || col[0] !== 0 || col[n - 1] !== 1 || !Array.prototype.every.call(col, (v: number) => v === 0 || v === 1)) return;
    let ones = 0;
    while (ones < n && col[n - 1 - ones] === 1) ones++;
    for (let r = 0; r < x.rows; r++) {
      const held = x.data[r * x.cols + c] === 1 ? ones / n : 1 - ones / n;
      if (held >= 0.25) values[r * x.cols + c] = 0;
    }
  });
  return values;
}

function takeScores(s: Float64Array, rows: readonly number[]): Float64Array {
  return Float64Array.from(rows, (r) => s[r] as number);
}

function meanSd(s: Float64Array): [number, number] {
  let m = 0;
  for (const v of s) m += v;
  m /= s.length;
  let q = 0;
  for (const v of s) q += (v - m) ** 2;
  return [m, Math.sqrt(q / s.length) || 1];
}

function explainerFile(config: { detector: DetectorKind; combine: 'mean' | 'max' }): string {
  return config.detector === 'ensemble' && config.combine === 'max' ? 'explainer-max.f64' : 'explainer.f64';
}

function countOnes(y: Uint8Array): number {
  let n = 0;
  for (const v of y) n += v;
  return n;
}

/** Each one-hot level's share of the rows of `x` (its column ≥ 0.5), by feature name; undefined without one-hot columns. */
function levelShares(pre: Preprocessor, x: Matrix): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  const oneHot = new Set(pre.state.columns.filter((c) => c.kind === 'categorical' && c.levels).map((c) => c.name));
  pre.features.forEach((ft, j) => {
    if (!oneHot.has(ft.column)) return;
    let n = 0;
    for (let r = 0; r < x.rows; r++) if ((x.data[r * x.cols + j] as number) >= 0.5) n++;
    out[ft.name] = n / x.rows;
  });
  return Object.keys(out).length ? out : undefined;
}

function checkLabels(labels: ArrayLike<number>, rows: number): Uint8Array {
  return readLabels(labels, rows);
}

// Every option name, checked at `create` so a misspelt one is refused instead of ignored (the
// `satisfies` clauses keep these lists in step with the interfaces).
const CONFIG_KEYS = Object.keys({
  detector: 1,
  members: 1,
  normalize: 1,
  combine: 1,
  seed: 1,
  iforest: 1,
  knn: 1,
  autoencoder: 1,
  mlp: 1,
  gbt: 1,
  outlierFeatures: 1,
  preprocess: 1,
  contamination: 1,
  refine: 1,
  maxReasons: 1,
} satisfies Record<keyof FraudDetectorConfig, 1>);
const GBT_KEYS = Object.keys({
  trees: 1,
  learningRate: 1,
  maxLeaves: 1,
  maxDepth: 1,
  minLeafRows: 1,
  minLeafHessian: 1,
  l2: 1,
  subsample: 1,
  featureFraction: 1,
  maxBins: 1,
  validationFraction: 1,
  patience: 1,
  refit: 1,
  growth: 1,
  bags: 1,
  forest: 1,
} satisfies Record<keyof GbtOptions, 1>);
const FOREST_KEYS = Object.keys({
  trees: 1,
  extraTrees: 1,
  minLeafRows: 1,
  maxFeatures: 1,
  maxDepth: 1,
  maxBins: 1,
} satisfies Record<keyof ForestOptions, 1>);
const NESTED_KEYS = {
  iforest: Object.keys({ trees: 1, sampleSize: 1, seed: 1 } satisfies Record<keyof IsolationForestOptions, 1>),
  knn: Object.keys({ k: 1, reference: 1, seed: 1 } satisfies Record<keyof KnnOptions, 1>),
  autoencoder: Object.keys({ hidden: 1, epochs: 1, batchSize: 1, learningRate: 1 } satisfies Record<keyof AutoencoderOptions, 1>),
  mlp: Object.keys({
    hidden: 1,
    epochs: 1,
    batchSize: 1,
    learningRate: 1,
    classWeight: 1,
    dropout: 1,
    loss: 1,
    focalGamma: 1,
  } satisfies Record<keyof MlpOptions, 1>),
  preprocess: Object.keys({
    schema: 1,
    maxOneHot: 1,
    hashBuckets: 1,
    unknownCategory: 1,
    extraFields: 1,
    timeUnit: 1,
    required: 1,
  } satisfies Record<keyof PreprocessOptions, 1>),
} as const;

function checkConfigKeys(config: FraudDetectorConfig): void {
  checkKnownKeys('FraudDetector config', config, CONFIG_KEYS);
  for (const [name, keys] of Object.entries(NESTED_KEYS)) checkKnownKeys(name, (config as Record<string, unknown>)[name], keys);
  const gbt = config.gbt;
  checkKnownKeys('gbt', gbt, GBT_KEYS);
  if (gbt?.forest) checkKnownKeys('gbt.forest', gbt.forest, FOREST_KEYS);
}

/** The fields of `T`, however many types it joins (a column's kinds each have their own). */
type FieldOf<T> = T extends unknown ? keyof T : never;
/** Each of `names` known, its value not looked into. */
const anyValue = (names: readonly string[]): Record<string, true> => Object.fromEntries(names.map((name) => [name, true]));

/** The fields of one tree's nodes (parallel arrays) as each kind of forest saves them. */
const GBT_TREE_KEYS = Object.keys({ feature: 1, threshold: 1, left: 1, right: 1, value: 1 } satisfies Record<keyof GbtTree, 1>);
const FOREST_STATE: KnownNames = {
  ...anyValue(Object.keys({ kind: 1, features: 1, trees: 1 } satisfies Record<keyof ForestState, 1>)),
  trees: eachEntry(Object.keys({ feature: 1, threshold: 1, left: 1, right: 1, value: 1 } satisfies Record<keyof ForestTree, 1>)),
};
const GBT_STATE: KnownNames = {
  ...anyValue(
    Object.keys({
      kind: 1,
      features: 1,
      base: 1,
      trees: 1,
      rounds: 1,
      validationLoss: 1,
      forest: 1,
    } satisfies Record<keyof GbtState, 1>),
  ),
  trees: eachEntry(GBT_TREE_KEYS),
  forest: FOREST_STATE,
};

/**
 * Every name a save of this version writes (config, its state, preprocessing and its columns, the
 * files beside the networks and the fields of the JSON ones, down to a tree's node arrays, the
 * networks): in a bundle a newer version saved, anything else is something this version cannot read
 * and would drop (so the bundle would score otherwise than it was saved to), refused with the
 * engine's `unknownBundleParts` ('lofNeighbours', 'state.calibration', 'preprocessing.columns[0].clip',
 * "file 'calibration.bin'", 'pca.json whiten', 'iforest.json trees[0].depth', "network 'x'").
 * Bundles of this version and earlier ones keep loading with such names ignored, as they always did.
 */
const KNOWN_BUNDLE: KnownBundleParts = {
  config: {
    ...anyValue(CONFIG_KEYS),
    ...NESTED_KEYS,
    gbt: { ...anyValue(GBT_KEYS), forest: FOREST_KEYS },
    state: {
      ...anyValue(['ecodScoring', 'threshold', 'norms', 'autoencoderTypicalError', 'levelShares']),
      explainer: ['rows', 'skew', 'trainingRows', 'trainingOnes'],
    },
  },
  preprocessing: {
    ...anyValue(
      Object.keys({ input: 1, columns: 1, unknownCategory: 1, extraFields: 1, required: 1 } satisfies Record<keyof PreprocessorState, 1>),
    ),
    columns: eachEntry(
      Object.keys({
        name: 1,
        kind: 1,
        median: 1,
        scale: 1,
        hasMissing: 1,
        levels: 1,
        buckets: 1,
        unit: 1,
        range: 1,
        encoding: 1,
        hourCounts: 1,
        weekdayCounts: 1,
        hourRarity: 1,
        weekdayRarity: 1,
      } satisfies Record<FieldOf<FittedColumn>, 1>),
    ),
  },
  files: {
    'explainer.f64': true,
    'explainer-max.f64': true,
    'tails.json': eachEntry(Object.keys({ n: 1, q: 1, sd: 1 } satisfies Record<keyof TailNorm, 1>)),
    'iforest.json': {
      ...anyValue(Object.keys({ kind: 1, sampleSize: 1, trees: 1 } satisfies Record<keyof IsolationForestState, 1>)),
      trees: eachEntry(Object.keys({ feature: 1, threshold: 1, left: 1, right: 1, size: 1 } satisfies Record<keyof IsolationTree, 1>)),
    },
    'gbt.json': GBT_STATE,
    'gbt-forest.json': GBT_STATE,
    'pca.json': Object.keys({ kind: 1, mean: 1, sd: 1, components: 1, variance: 1 } satisfies Record<keyof PcaState, 1>),
    'knn.json': Object.keys({ kind: 1, k: 1, cols: 1, ref: 1 } satisfies Record<keyof KnnState, 1>),
  },
  models: ['autoencoder', 'mlp', 'mlp-outliers'],
  names: { config: '' },
};

/**
 * Fraud and anomaly detection on tabular data with one lifecycle:
 * `create → train → predict / predictBatch / scores → evaluate → save / load → dispose`.
 */
export class FraudDetector {
  readonly config: Required<
    Pick<FraudDetectorConfig, 'detector' | 'members' | 'normalize' | 'combine' | 'seed' | 'contamination' | 'maxReasons'>
  > &
    FraudDetectorConfig;
  private fitted: Fitted | undefined;
  private disposed = false;
  /** Overlapping trains: the model ends as the last-started one left it (the engine's rule). */
  private readonly trains = new TrainTickets();

  private constructor(config: FraudDetectorConfig) {
    const detector = config.detector ?? 'ensemble';
    const members = config.members ?? ['ecod', 'iforest'];
    const valid: DetectorKind[] = ['ecod', 'iforest', 'pca', 'knn', 'autoencoder', 'ensemble', 'mlp', 'gbt'];
    if (!valid.includes(detector))
      throw new AppliedMLError('E_INPUT_INVALID', `Unknown detector '${String(detector)}'. Use one of ${valid.join(', ')}.`);
    // Lists are walked by index: `some` below would skip an empty slot (and train failed on it later).
    checkNoHoles('members', members);
    checkNoHoles('outlierFeatures', config.outlierFeatures);
    checkNoHoles('preprocess.required', (config.preprocess as PreprocessOptions | undefined)?.required);
    if (
      !Array.isArray(members) ||
      members.length === 0 ||
      new Set(members).size !== members.length ||
      members.some((m) => !['ecod', 'iforest', 'pca', 'knn', 'autoencoder'].includes(m))
    ) {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `Ensemble members must be a non-empty list of distinct ecod, iforest, pca, knn, autoencoder (got ${describeValue(members)}).`,
      );
    }
    checkIntegerOption('iforest.trees', config.iforest?.trees, 1, 10_000);
    checkIntegerOption('iforest.sampleSize', config.iforest?.sampleSize, 2, 1_000_000);
    checkIntegerOption('knn.k', config.knn?.k, 1, 1000);
    checkIntegerOption('knn.reference', config.knn?.reference, 1, 1_000_000);
    checkIntegerOption('maxReasons', config.maxReasons, 0, 100);
    checkNetOptions('mlp', config.mlp);
    checkNetOptions('autoencoder', config.autoencoder);
    // Checked here, where they are given, not first at train.
    if (config.gbt !== undefined) checkGbtOptions(config.gbt);
    const normalize = config.normalize ?? 'zscore';
    if (normalize !== 'tail' && normalize !== 'zscore')
      throw new AppliedMLError('E_INPUT_INVALID', `normalize must be 'tail' or 'zscore' (got ${String(normalize)}).`);
    const combine = config.combine ?? 'mean';
    if (combine !== 'mean' && combine !== 'max')
      throw new AppliedMLError('E_INPUT_INVALID', `combine must be 'mean' or 'max' (got ${String(combine)}).`);
    const outlier = config.outlierFeatures;
    if (outlier !== undefined) {
      const kinds = ['ecod', 'iforest', 'pca', 'knn'];
      if (
        !Array.isArray(outlier) ||
        outlier.length === 0 ||
        new Set(outlier).size !== outlier.length ||
        outlier.some((k) => !kinds.includes(k))
      )
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `outlierFeatures must be a list of distinct ${kinds.join(', ')} (got ${describeValue(outlier)}).`,
          {
            details: { field: 'outlierFeatures' },
          },
        );
      if (detector !== 'gbt' && detector !== 'mlp')
        throw new AppliedMLError('E_INPUT_INVALID', `outlierFeatures feed a supervised detector ('gbt' or 'mlp'), not '${detector}'.`, {
          details: { field: 'outlierFeatures' },
        });
    }
    const contamination = config.contamination ?? 0.05;
    if (!(contamination > 0 && contamination < 1))
      throw new AppliedMLError('E_INPUT_INVALID', `contamination must be in (0, 1) (got ${contamination}).`);
    if (config.refine !== undefined) {
      if (typeof config.refine !== 'boolean')
        throw new AppliedMLError('E_INPUT_INVALID', `refine must be true or false (got ${describeValue(config.refine)}).`, {
          details: { field: 'refine' },
        });
      if (config.refine && (detector === 'gbt' || detector === 'mlp'))
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `refine sets aside the training rows an unsupervised detector finds most unusual; '${detector}' learns from labels instead (leave refine out).`,
          { details: { field: 'refine' } },
        );
    }
    this.config = {
      ...config,
      detector,
      members,
      normalize,
      combine,
      seed: config.seed ?? 0,
      contamination,
      maxReasons: config.maxReasons ?? 3,
    };
  }

  static create(config: FraudDetectorConfig = {}): FraudDetector {
    checkConfigKeys(config);
    return new FraudDetector(config);
  }

  /** The unsupervised detectors whose scores are the model's score (none for the supervised ones). */
  private get active(): UnsupervisedKind[] {
    const d = this.config.detector;
    if (d === 'ensemble') return this.config.members;
    if (d === 'mlp' || d === 'gbt') return [];
    return [d];
  }

  /** The unsupervised detectors whose scores are extra features of a supervised one. */
  private get outlierKinds(): UnsupervisedKind[] {
    return this.supervised ? (this.config.outlierFeatures ?? []) : [];
  }

  /** Every unsupervised detector the model fits, scores with and stores. */
  private get fittedKinds(): UnsupervisedKind[] {
    return [...new Set([...this.active, ...this.outlierKinds])];
  }

  /** True for the detectors that learn from labels ('gbt', 'mlp'). */
  get supervised(): boolean {
    return this.config.detector === 'mlp' || this.config.detector === 'gbt';
  }

  get isTrained(): boolean {
    return this.fitted !== undefined;
  }

  /** The input fields (records) or columns (`x0`, `x1`, … for numeric rows) the model was trained on. */
  get inputColumns(): string[] {
    return this.ready().pre.state.columns.map((c) => c.name);
  }

  /** Names of the features the detectors see, after preprocessing. */
  get featureNames(): string[] {
    return this.ready().pre.features.map((f) => f.name);
  }

  get threshold(): number {
    return this.ready().threshold;
  }

  private stopIfDisposed(while_: string): void {
    if (this.disposed) throw new AppliedMLError('E_MODEL_DISPOSED', `This FraudDetector was disposed while it ${while_}.`);
  }

  private ready(): Fitted {
    if (this.disposed) throw new AppliedMLError('E_MODEL_DISPOSED', 'This FraudDetector was disposed; create or load another.');
    if (!this.fitted) throw new AppliedMLError('E_MODEL_NOT_TRAINED', 'Train or load the FraudDetector first.');
    return this.fitted;
  }

  async train(data: TabularInput, options: FraudTrainOptions = {}): Promise<FraudTrainingReport> {
    if (this.disposed) throw new AppliedMLError('E_MODEL_DISPOSED', 'This FraudDetector was disposed; create or load another.');
    checkKnownKeys('train options', options, TRAIN_OPTION_KEYS);
    const userSignal = checkSignalOption(options.signal);
    // Only the autoencoder and the MLP start the engine: the device name is checked for every detector,
    // with the other options, before an aborted signal (docs/sdk-conventions.md).
    if (options.device !== undefined) checkDevice(options.device);
    throwIfAborted(userSignal, TRAIN_CALL);
    // Overlapping trains: the model ends as the last-started one left it, whatever the finishing order;
    // one still running when a later one installs stops at its next turn (E_BUSY). The user's signal and
    // that install both abort `signal`.
    const ticket = this.trains.start();
    const signal = this.trains.trainSignal(ticket, userSignal, TRAIN_CALL);
    try {
      return await this.trainChecked(data, options, signal, ticket);
    } catch (error) {
      // Aborted (every step names this call, the networks' fits too) and disposed meanwhile:
      // E_MODEL_DISPOSED, as without a signal.
      if (AppliedMLError.hasCode(error, 'E_ABORTED')) this.stopIfDisposed('trained; create or load another');
      // Stopped because a later train installed its model: E_BUSY, as at the install.
      throw this.trains.trainError(error, TRAIN_CALL);
    } finally {
      this.trains.finish(ticket);
    }
  }

  /** `train` once its options are checked; `signal` stops it at its event-loop turns (E_ABORTED). */
  private async trainChecked(
    data: TabularInput,
    options: FraudTrainOptions,
    signal: AbortSignal,
    ticket: number,
  ): Promise<FraudTrainingReport> {
    const logger = options.logger ?? silentLogger;
    const start = performance.now();
    // Training gives the event loop a turn every ~50 ms (a service keeps answering); a dispose
    // meanwhile stops it at the next turn, and so does an abort of `signal` (E_ABORTED).
    const stopIfDisposed = (): void => this.stopIfDisposed('trained; create or load another');
    const turns = eventLoopTurns(50, { signal, what: TRAIN_CALL });
    const pre = await runStepsWithTurns(
      Preprocessor.fitSteps(data, this.config.preprocess, this.supervised ? 'cyclic' : 'rarity'),
      stopIfDisposed,
      turns,
    );
    const x = await runStepsWithTurns(pre.transformSteps(data), stopIfDisposed, turns);
    if (x.rows < 2) throw new AppliedMLError('E_INPUT_INVALID', `Training needs at least 2 rows (got ${x.rows}).`);
    warnConstantColumns(x, pre, logger, explainedConstant.get(this));
    warnTimeNamedColumns(pre, (this.config.preprocess as PreprocessOptions | undefined)?.schema, logger);
    for (const note of pre.notes) logger.warn(note);
    const seed = this.config.seed;
    const active = this.fittedKinds;
    const fitted: Fitted = { pre, explainer: { kind: 'ecod', sorted: [], skew: [] }, norms: {}, tails: {}, threshold: 0 };
    let training: TrainingReport | undefined;
    let setAside: number | undefined;
    // kNN training scores leave each reference row's own entry out.
    let trainOverride: Partial<Record<UnsupervisedKind, Float64Array>> = {};
    if (active.includes('autoencoder') || this.config.detector === 'mlp')
      await initEngine({ ...(options.device ? { device: options.device } : {}), logger });
    try {
      training = await this.fitUnsupervised(fitted, x, trainOverride, logger, stopIfDisposed, turns, signal);
      if (this.supervised) {
        if (!options.labels)
          throw new AppliedMLError(
            'E_INPUT_INVALID',
            `The '${this.config.detector}' detector is supervised: pass labels (0/1 per row) in train options.`,
          );
        const y = checkLabels(options.labels, x.rows);
        if (!y.includes(1) || !y.includes(0))
          throw new AppliedMLError('E_INPUT_INVALID', 'Supervised training needs both fraud (1) and normal (0) rows.');
        // Each outlier detector scores the training rows once: for its normalisation and its column.
        const outliers = this.outlierKinds;
        for (const kind of outliers) {
          trainOverride[kind] ??= await inBlocks(x, (chunk) => this.memberScoresSteps(fitted, kind, chunk), stopIfDisposed, turns);
          fitted.norms[kind] = meanSd(trainOverride[kind]);
        }
        const xs = outliers.length ? this.withOutlierColumns(fitted, x, trainOverride) : x;
        if (this.config.detector === 'gbt') {
          fitted.gbt = await runStepsWithTurns(fitGbtSteps(xs, y, this.config.gbt ?? {}, seed), stopIfDisposed, turns);
          logger.info('gradient-boosted trees trained', { rounds: fitted.gbt.rounds, validationLoss: fitted.gbt.validationLoss });
          if (Number.isNaN(fitted.gbt.validationLoss) && (this.config.gbt?.validationFraction ?? 0.1) > 0)
            logger.warn(
              `Early stopping was off: a class with fewer than 2 rows (${countOnes(y)} fraud, ${y.length - countOnes(y)} normal) leaves none to hold out, so the boosted trees ran all ${fitted.gbt.rounds} rounds.`,
            );
        } else {
          const r = await trainMlp(xs, y, this.config.mlp ?? {}, seed, logger, { signal, what: TRAIN_CALL });
          fitted.mlp = r.model;
          training = r.report;
        }
      }
      await this.fitNorms(fitted, x, trainOverride, stopIfDisposed, turns);
      if (!this.supervised && (this.config.refine ?? this.config.detector === 'ensemble')) {
        // Set aside the `contamination` share of training rows this fit scores highest (ties by row
        // order) and fit again on the rest: the detector no longer learns that share as normal.
        const first = await inBlocks(
          x,
          (chunk, start) => this.combinedSteps(fitted, chunk, false, overrideRows(trainOverride, start, chunk.rows)),
          stopIfDisposed,
          turns,
        );
        const drop = Math.floor(shareOfRows(this.config.contamination, x.rows));
        setAside = 0;
        // At most half the rows: a second fit on what is left of a very high `contamination` would learn
        // from a handful of rows (and an autoencoder's hold-out could not be cut from them).
        if (drop > 0 && x.rows - drop >= Math.max(2, x.rows / 2)) {
          await nextTurn(turns, stopIfDisposed);
          const out = highestRows(first, drop);
          await nextTurn(turns, stopIfDisposed);
          const keptRows = Array.from(first.keys()).filter((i) => out[i] === 0);
          const kept = takeRows(x, keptRows);
          fitted.levelShares = levelShares(pre, x);
          fitted.autoencoder?.dispose();
          delete fitted.autoencoder;
          const keptOverride: Partial<Record<UnsupervisedKind, Float64Array>> = {};
          training = (await this.fitUnsupervised(fitted, kept, keptOverride, logger, stopIfDisposed, turns, signal)) ?? training;
          fitted.norms = {};
          fitted.tails = {};
          await this.fitNorms(fitted, kept, keptOverride, stopIfDisposed, turns);
          // The threshold below scores every training row: the set-aside rows as any other row, the
          // kept ones with their leave-one-out kNN scores.
          trainOverride = {};
          if (keptOverride.knn) {
            const all = await inBlocks(x, (chunk) => this.memberScoresSteps(fitted, 'knn', chunk), stopIfDisposed, turns);
            keptRows.forEach((r, i) => (all[r] = keptOverride.knn?.[i] as number));
            trainOverride.knn = all;
          }
          setAside = drop;
          logger.info('fitted again without the training rows scored most unusual', { setAside: drop, rows: kept.rows });
        } else if (drop > 0)
          logger.info('no second fit: setting aside the contamination share would leave under half the rows', {
            contamination: this.config.contamination,
            rows: x.rows,
          });
      }
      await nextTurn(turns, stopIfDisposed);
      // Supervised: a probability of 0.5; unsupervised: flag the `contamination` share of the training data.
      if (this.supervised) fitted.threshold = 0.5;
      else {
        const choice = chooseThreshold(
          await inBlocks(
            x,
            (chunk, start) => this.combinedSteps(fitted, chunk, false, overrideRows(trainOverride, start, chunk.rows)),
            stopIfDisposed,
            turns,
          ),
          { contamination: this.config.contamination },
        );
        fitted.threshold = choice.threshold;
        // Ties take the whole group in: on constant or much repeated data that can be every row.
        const share = Math.max(1, Math.round(shareOfRows(this.config.contamination, x.rows)));
        if (choice.alerts > 2 * share) {
          // kNN on data of few distinct rows (counts, codes): most rows have k exact copies and score 0,
          // so the threshold is 0 and every row alerts. ECOD and the isolation forest rank such rows by
          // how rare their values are (on Poisson counts they flagged the contamination share), and so does
          // kNN once a continuous feature sets the rows apart; a smaller k does not help (k = 1 tied too).
          // The k fitted (k is at most the rows less one, and the reference sample's rows), not the k asked for.
          const k = fitted.knn ? knnNeighbours(fitted.knn) : KNN_DEFAULT_K;
          const tie =
            choice.threshold === 0
              ? `most rows have ${k} exact copies and score 0, the threshold's score`
              : `many rows lie at the same distances from their ${k} nearest and score alike`;
          const remedy =
            this.config.detector === 'knn'
              ? ` kNN scores a row by its distance to its ${k} nearest training rows: on data of few distinct rows (counts, codes) ${tie}. Train detector 'ecod', 'iforest' or 'ensemble' instead (they rank such rows by how rare their values are), or add a continuous feature (an amount, a duration) that sets the rows apart.`
              : ' A feature that varies between such rows (an amount, a time) sets them apart.';
          logger.warn(
            `${choice.alerts} of ${x.rows} training rows score at the threshold or above (contamination ${this.config.contamination} asks for ${share}): that many share the threshold's score (repeated or constant rows), and every later row that scores the same alerts.${remedy}`,
            { alerts: choice.alerts, rows: x.rows, contamination: this.config.contamination },
          );
        }
      }
      stopIfDisposed();
      // A train started after this one has installed its model already: this older model must not
      // replace it (the last-started train's model stays, whichever finished first). No await from
      // here to the install below.
      if (!this.trains.install(ticket)) throw this.trains.supersededError('FraudDetector.train');
    } catch (error) {
      // Failed, disposed, aborted or superseded while training: the networks just built would be held by nothing.
      fitted.autoencoder?.dispose();
      fitted.mlp?.dispose();
      throw error;
    }
    this.disposeModels();
    this.fitted = fitted;
    logger.info('fraud detector trained', { detector: this.config.detector, rows: x.rows, features: x.cols });
    return {
      detector: this.config.detector,
      rows: x.rows,
      features: x.cols,
      seconds: (performance.now() - start) / 1000,
      threshold: fitted.threshold,
      ...(training ? { training } : {}),
      ...(fitted.gbt ? { boosting: { rounds: fitted.gbt.rounds, validationLoss: fitted.gbt.validationLoss } } : {}),
      ...(setAside !== undefined ? { setAside } : {}),
      ...(this.supervised ? {} : { timeFeatures: pre.timeFeatures.map((t) => ({ ...t })) }),
    };
  }

  /**
   * Fits ECOD (the explainer of every model) and the unsupervised detectors the model uses on `x` into
   * `fitted`, replacing earlier fits; kNN's leave-one-out training scores go to `trainOverride`. Returns the
   * autoencoder's training report.
   */
  private async fitUnsupervised(
    fitted: Fitted,
    x: Matrix,
    trainOverride: Partial<Record<UnsupervisedKind, Float64Array>>,
    logger: Logger,
    stopIfDisposed: () => void,
    turns: Turns,
    signal: AbortSignal | undefined,
  ): Promise<TrainingReport | undefined> {
    const seed = this.config.seed;
    const active = this.fittedKinds;
    const ecod = await runStepsWithTurns(fitEcodSteps(x), stopIfDisposed, turns);
    // When ECOD only explains (not one of the detectors), keep a bounded summary of its CDFs: the
    // bundle of a model trained on 600,000 rows would otherwise carry every training value.
    fitted.explainer = active.includes('ecod') ? ecod : compactEcod(ecod);
    if (active.includes('ecod')) fitted.ecod = fitted.explainer;
    if (active.includes('iforest'))
      fitted.iforest = await runStepsWithTurns(
        fitIsolationForestSteps(x, { ...this.config.iforest, seed: this.config.iforest?.seed ?? seed }),
        stopIfDisposed,
        turns,
      );
    if (active.includes('pca')) fitted.pca = await runStepsWithTurns(fitPcaSteps(x), stopIfDisposed, turns);
    if (active.includes('knn')) {
      const k = await runStepsWithTurns(fitKnnSteps(x, { ...this.config.knn, seed: this.config.knn?.seed ?? seed }), stopIfDisposed, turns);
      fitted.knn = k.state;
      trainOverride.knn = k.trainScores;
    }
    if (!active.includes('autoencoder')) return undefined;
    await nextTurn(turns, stopIfDisposed);
    const r = await trainAutoencoder(x, this.config.autoencoder ?? {}, seed, logger, { signal, what: TRAIN_CALL });
    fitted.autoencoder = r.model;
    await nextTurn(turns, stopIfDisposed);
    fitted.autoencoderTypical = typicalReconstructionErrors(r.model, x);
    return r.report;
  }

  /** An ensemble's normalisation of each member, from its scores of the training rows `x`. */
  private async fitNorms(
    fitted: Fitted,
    x: Matrix,
    trainOverride: Partial<Record<UnsupervisedKind, Float64Array>>,
    stopIfDisposed: () => void,
    turns: Turns,
  ): Promise<void> {
    if (this.active.length <= 1) return;
    for (const kind of this.active) {
      const s = trainOverride[kind] ?? (await inBlocks(x, (chunk) => this.memberScoresSteps(fitted, kind, chunk), stopIfDisposed, turns));
      fitted.norms[kind] = meanSd(s);
      if (this.config.normalize === 'tail') fitted.tails[kind] = fitTailNorm(s);
    }
  }

  /**
   * A member's scores (and evidence) as steps: kNN and PCA yield every few hundred rows (see
   * `knnStepRows`, `pcaStepRows`), and before the explainer's evidence.
   */
  private *memberScoresSteps(
    f: Fitted,
    kind: UnsupervisedKind,
    x: Matrix,
    withContrib = false,
  ): Steps<{ score: Float64Array; contrib?: Float64Array }> {
    if (kind === 'ecod') {
      if (!withContrib) return { score: scoreEcod(f.ecod as EcodState, x) };
      const contrib = new Float64Array(x.data.length);
      const score = scoreEcod(f.ecod as EcodState, x, contrib);
      return { score, contrib: excessEvidence(f.ecod as EcodState, contrib, x, oneHotGroups(f.pre)) };
    }
    if (kind === 'iforest' || kind === 'pca' || kind === 'knn') {
      if (!withContrib) {
        if (kind === 'iforest') return { score: scoreIsolationForest(f.iforest as IsolationForestState, x) };
        return { score: kind === 'pca' ? yield* scorePcaSteps(f.pca as PcaState, x) : yield* scoreKnnSteps(f.knn as KnnState, x) };
      }
      // Reasons say which values are rare in training (the explainer's evidence). A row with no rare
      // value, unusual only in combination (the middle of a ring of training rows), is explained by the
      // detector itself (same scores to the last bit): the path steps that isolated it, the features of
      // its distance to its nearest training rows, its pull along rare principal directions.
      const own = new Float64Array(x.data.length);
      const score =
        kind === 'iforest'
          ? scoreIsolationForestWithContrib(f.iforest as IsolationForestState, x, own)
          : kind === 'pca'
            ? yield* scorePcaSteps(f.pca as PcaState, x, own)
            : yield* scoreKnnSteps(f.knn as KnnState, x, own);
      yield;
      const contrib = this.explainerContrib(f, x);
      let evidence: Float64Array | undefined;
      for (let r = 0; r < x.rows; r++) {
        const row = contrib.subarray(r * x.cols, (r + 1) * x.cols);
        if (row.some((v) => v > 0)) continue;
        evidence ??= ownEvidence(f, x, own);
        row.set(evidence.subarray(r * x.cols, (r + 1) * x.cols));
      }
      return { score, contrib };
    }
    const r = reconstructionErrors(f.autoencoder as tf.LayersModel, x);
    return withContrib ? { score: r.score, contrib: autoencoderEvidence(f, x, r.perFeature) } : { score: r.score };
  }

  /** Final scores plus per-feature evidence. */
  private combined(
    f: Fitted,
    x: Matrix,
    withContrib = false,
    override: Partial<Record<UnsupervisedKind, Float64Array>> = {},
  ): { score: Float64Array; contrib?: Float64Array } {
    return runSteps(this.combinedSteps(f, x, withContrib, override));
  }

  /**
   * `combined` as steps: the MLP's reasons yield after its scores and after each network call of its
   * occlusion (no tensor is held across a yield), kNN and PCA every few hundred rows, an ensemble between
   * its members, where a caller may give the event loop a turn.
   */
  private *combinedSteps(
    f: Fitted,
    x: Matrix,
    withContrib = false,
    override: Partial<Record<UnsupervisedKind, Float64Array>> = {},
  ): Steps<{ score: Float64Array; contrib?: Float64Array }> {
    if (this.config.detector === 'gbt') {
      if (!withContrib || x.rows <= GBT_REASON_ROWS) return yield* this.gbtCombinedSteps(f, x, withContrib, override);
      // The trees credit each row's path steps, row by row: a few hundred rows at a time, with a yield
      // between them (the same values as one pass).
      const score = new Float64Array(x.rows);
      const contrib = new Float64Array(x.data.length);
      for (let start = 0; start < x.rows; start += GBT_REASON_ROWS) {
        if (start > 0) yield;
        const rows = Math.min(GBT_REASON_ROWS, x.rows - start);
        const r = yield* this.gbtCombinedSteps(f, rowBlock(x, start, rows), true, overrideRows(override, start, rows));
        score.set(r.score, start);
        contrib.set(r.contrib as Float64Array, start * x.cols);
      }
      return { score, contrib };
    }
    if (this.config.detector === 'mlp') {
      const wide = this.outlierKinds.length ? yield* this.withOutlierColumnsSteps(f, x, override) : x;
      const score = mlpScores(f.mlp as tf.LayersModel, wide);
      if (!withContrib) return { score };
      yield;
      // Alerts are explained by the network itself: each input feature against its training distribution
      // (the explainer's order statistics), an outlier column against its training mean (0 once z-scored).
      // That scores each alert again about 4 × features times, so rows under the threshold keep the
      // explainer's reasons (what is rare about them).
      const contrib = this.explainerContrib(f, x);
      yield;
      const alerts: number[] = [];
      for (let r = 0; r < x.rows; r++) if ((score[r] as number) >= f.threshold) alerts.push(r);
      if (!alerts.length) return { score, contrib };
      const sub = takeRows(x, alerts);
      const subWide = takeRows(wide, alerts);
      const background = [...backgroundValues(f.explainer.sorted), ...this.outlierKinds.map(() => [0])];
      // A categorical's levels are swapped for one another (never no level or two: see mlpOcclusion).
      const groups = oneHotGroups(f.pre);
      const groupShare = groupShares(f.explainer, groups);
      const levels = groups.flatMap((cols, k) => {
        const shares = groupShare[k];
        return shares ? [{ cols, shares: shares.slice(0, cols.length) }] : [];
      });
      const occlusion = yield* mlpOcclusionSteps(f.mlp as tf.LayersModel, subWide, takeScores(score, alerts), background, levels);
      const own = ownEvidence(f, subWide, occlusion, true);
      let evidence = own;
      if (this.outlierKinds.length) {
        const ecod = new Float64Array(sub.data.length);
        scoreEcod(f.explainer, sub, ecod);
        excessEvidence(f.explainer, ecod, sub, oneHotGroups(f.pre));
        evidence = this.foldOutlierContrib(sub, own, ecod);
      }
      alerts.forEach((r, i) => {
        const row = evidence.subarray(i * x.cols, (i + 1) * x.cols);
        if (row.some((v) => v > 0)) contrib.set(row, r * x.cols);
      });
      return { score, contrib };
    }
    const active = this.active;
    if (active.length === 1) {
      const only = override[active[0] as UnsupervisedKind];
      if (only && !withContrib) return { score: only };
      const r = yield* this.memberScoresSteps(f, active[0] as UnsupervisedKind, x, withContrib);
      return withContrib ? { score: r.score, contrib: r.contrib ?? this.explainerContrib(f, x) } : { score: r.score };
    }
    const useMax = this.config.combine === 'max';
    const score = new Float64Array(x.rows).fill(useMax ? -Infinity : 0);
    let contrib: Float64Array | undefined;
    for (const [i, kind] of active.entries()) {
      // Between members too: a block's scores of each are a step of their own.
      if (i > 0) yield;
      const given = override[kind];
      const r = given && !withContrib ? { score: given } : yield* this.memberScoresSteps(f, kind, x, withContrib && !contrib);
      const tail = f.tails[kind];
      const [m, sd] = f.norms[kind] ?? [0, 1];
      for (let i = 0; i < x.rows; i++) {
        const v = tail ? tailRarity(tail, r.score[i] as number) : ((r.score[i] as number) - m) / sd;
        score[i] = useMax ? Math.max(score[i] as number, v) : (score[i] as number) + v / active.length;
      }
      if (withContrib && r.contrib && !contrib) contrib = r.contrib;
    }
    return withContrib ? { score, contrib: contrib ?? this.explainerContrib(f, x) } : { score };
  }

  /** `combined` of the boosted trees, as steps (kNN outlier scores yield: see `withOutlierColumnsSteps`). */
  private *gbtCombinedSteps(
    f: Fitted,
    x: Matrix,
    withContrib: boolean,
    override: Partial<Record<UnsupervisedKind, Float64Array>>,
  ): Steps<{ score: Float64Array; contrib?: Float64Array }> {
    const outliers = this.outlierKinds.length > 0;
    if (!withContrib || !outliers) {
      const xs = outliers ? yield* this.withOutlierColumnsSteps(f, x, override) : x;
      if (!withContrib) return { score: scoreGbt(f.gbt as GbtState, xs) };
      const contrib = new Float64Array(x.data.length);
      return { score: scoreGbt(f.gbt as GbtState, xs, contrib), contrib };
    }
    // ECOD's per-feature evidence spreads the score columns over the inputs; when ECOD is one of those
    // columns (then the explainer is the full ECOD), the same pass gives its score too.
    const ecod = new Float64Array(x.data.length);
    const ecodScore = scoreEcod(f.explainer, x, ecod);
    excessEvidence(f.explainer, ecod, x, oneHotGroups(f.pre));
    const xs = yield* this.withOutlierColumnsSteps(f, x, this.outlierKinds.includes('ecod') ? { ecod: ecodScore, ...override } : override);
    const wide = new Float64Array(xs.data.length);
    const score = scoreGbt(f.gbt as GbtState, xs, wide);
    return { score, contrib: this.foldOutlierContrib(x, wide, ecod) };
  }

  /** The input with one z-scored column per outlier-feature detector appended (XGBOD). */
  private withOutlierColumns(f: Fitted, x: Matrix, override: Partial<Record<UnsupervisedKind, Float64Array>> = {}): Matrix {
    return runSteps(this.withOutlierColumnsSteps(f, x, override));
  }

  /** `withOutlierColumns` as steps: a kNN column's distances yield every few hundred rows. */
  private *withOutlierColumnsSteps(f: Fitted, x: Matrix, override: Partial<Record<UnsupervisedKind, Float64Array>> = {}): Steps<Matrix> {
    const kinds = this.outlierKinds;
    const cols = x.cols + kinds.length;
    const data = new Float64Array(x.rows * cols);
    for (let r = 0; r < x.rows; r++) data.set(x.data.subarray(r * x.cols, (r + 1) * x.cols), r * cols);
    for (const [k, kind] of kinds.entries()) {
      const s = override[kind] ?? (yield* this.memberScoresSteps(f, kind, x)).score;
      const [m, sd] = f.norms[kind] ?? [0, 1];
      for (let r = 0; r < x.rows; r++) data[r * cols + x.cols + k] = ((s[r] as number) - m) / sd;
    }
    return { rows: x.rows, cols, data };
  }

  /**
   * Per-feature evidence of a supervised detector with outlier columns: each input column keeps its own
   * contribution, and the outlier columns' (positive) contribution is spread over the input columns in
   * proportion to ECOD's per-feature evidence for that row.
   */
  private foldOutlierContrib(x: Matrix, wide: Float64Array, ecod: Float64Array): Float64Array {
    const cols = x.cols + this.outlierKinds.length;
    const out = new Float64Array(x.rows * x.cols);
    for (let r = 0; r < x.rows; r++) {
      let extra = 0;
      for (let c = x.cols; c < cols; c++) extra += wide[r * cols + c] as number;
      let total = 0;
      for (let c = 0; c < x.cols; c++) total += Math.max(0, ecod[r * x.cols + c] as number);
      for (let c = 0; c < x.cols; c++) {
        const share = total > 0 ? Math.max(0, ecod[r * x.cols + c] as number) / total : 1 / x.cols;
        out[r * x.cols + c] = (wide[r * cols + c] as number) + Math.max(0, extra) * share;
      }
    }
    return out;
  }

  /** ECOD's per-feature evidence above a typical training row's (what reasons name). */
  private explainerContrib(f: Fitted, x: Matrix): Float64Array {
    const contrib = new Float64Array(x.data.length);
    scoreEcod(f.explainer, x, contrib);
    return excessEvidence(f.explainer, contrib, x, oneHotGroups(f.pre));
  }

  /** Anomaly scores only (higher = more suspicious): the fast path for batch scoring and evaluation. */
  scores(data: TabularInput): Float64Array {
    const f = this.ready();
    return this.combined(f, f.pre.transform(data)).score;
  }

  /**
   * `scores` for large inputs in a service: blocks of 2,048 rows with an event-loop turn every ~50 ms
   * between them (the same scores as one pass). `rowsKnown` runs once the input is checked, before scoring.
   */
  private async scoresInTurns(
    data: TabularInput,
    rowsKnown?: (rows: number) => void,
    restarts = 0,
  ): Promise<{ score: Float64Array; fitted: Fitted }> {
    const f = this.ready();
    const turns = eventLoopTurns(50);
    const transformed = runStepsInTurns(f.pre.transformSteps(data), () => this.stopIfDisposed('scored a batch'), turns);
    const x = transformed instanceof Promise ? await transformed : transformed;
    // The transform took turns: a dispose or retrain may have come in between.
    if (this.staleFor(f, 'scored a batch')) return this.scoresInTurns(data, rowsKnown, restartAfterRetrain(restarts));
    rowsKnown?.(x.rows);
    const score = await inBlocks(
      x,
      (block) => this.combinedSteps(f, block),
      () => this.staleFor(f, 'scored a batch'),
      turns,
    );
    return score ? { score, fitted: f } : this.scoresInTurns(data, undefined, restartAfterRetrain(restarts));
  }

  /**
   * Checked after every await of a call that scores with `f`: E_MODEL_DISPOSED after a dispose; true
   * when a retrain replaced a network model (its old weights are gone, so the call starts again on the
   * new one). Trees and ECOD stay readable, so those calls finish on the model they began with.
   */
  private staleFor(f: Fitted, while_: string): boolean {
    this.stopIfDisposed(while_);
    return this.fitted !== f && (f.mlp !== undefined || f.autoencoder !== undefined);
  }

  async predict(record: TabularRecord | ArrayLike<number>): Promise<FraudPrediction> {
    const [p] = await this.predictBatch([record] as TabularInput);
    return p as FraudPrediction;
  }

  /** Scores, decisions at the current threshold, and the top reasons per row. */
  async predictBatch(data: TabularInput): Promise<FraudPrediction[]> {
    return this.predictBatchFrom(data, 0);
  }

  private async predictBatchFrom(data: TabularInput, restarts: number): Promise<FraudPrediction[]> {
    const f = this.ready();
    const turns = eventLoopTurns(50);
    // Every row is checked (and transformed) before any is scored.
    // A batch of one chunk (up to 2,048 rows, under the transform's 8,192-row blocks) takes no turn: it is
    // transformed and scored in one go, whatever the clock says (a one-record predict is synchronous to its
    // end; it took a turn before its only chunk when the machine was slow enough to pass 50 ms by then).
    const transformed = runStepsInTurns(f.pre.transformSteps(data), () => this.stopIfDisposed('scored a batch'), turns);
    const x = transformed instanceof Promise ? await transformed : transformed;
    if (this.staleFor(f, 'scored a batch')) return this.predictBatchFrom(data, restartAfterRetrain(restarts));
    const features = f.pre.features;
    const out: FraudPrediction[] = [];
    // Each feature's column, the columns in the order they first come among the features; each row's
    // evidence is summed by column in `sums`.
    const columns: string[] = [];
    const columnIndex = new Map<string, number>();
    const columnOf = Int32Array.from(features, (feature) => {
      let k = columnIndex.get(feature.column);
      if (k === undefined) {
        k = columns.length;
        columnIndex.set(feature.column, k);
        columns.push(feature.column);
      }
      return k;
    });
    const sums = new Float64Array(columns.length);
    const named = reasonLookup(f, features);
    // No reasons asked for: no per-feature evidence either (it costs more than the scores).
    const wantReasons = this.config.maxReasons > 0;
    // A large batch gives the event loop a turn every ~50 ms, so a service's other requests are answered:
    // between chunks, inside a chunk's evidence (the MLP's re-scoring of its alerts, between network
    // calls) and between its rows' reasons. A batch of one chunk takes none.
    const many = x.rows > PREDICT_CHUNK_ROWS;
    // After a turn: E_MODEL_DISPOSED after a dispose; true when a retrain replaced the network, whose old
    // weights are gone, so the whole batch is scored again by the new one.
    const stale = async (turn: Promise<void>): Promise<boolean> => {
      await turn;
      return this.staleFor(f, 'scored a batch');
    };
    for (let start = 0; start < x.rows; start += PREDICT_CHUNK_ROWS) {
      const turn = start > 0 ? turns.turn() : undefined;
      if (turn && (await stale(turn))) return this.predictBatchFrom(data, restartAfterRetrain(restarts));
      const rows = Math.min(PREDICT_CHUNK_ROWS, x.rows - start);
      // The steps hold no tensor between them: when the call stops or starts again, they are closed.
      const driven = driveSteps(this.combinedSteps(f, rowBlock(x, start, rows), wantReasons), many ? turns : undefined, () =>
        this.staleFor(f, 'scored a batch'),
      );
      const block = driven instanceof Promise ? await driven : driven;
      if (!block) return this.predictBatchFrom(data, restartAfterRetrain(restarts));
      const { score, contrib } = block.value;
      for (let i = 0; i < rows; i++) {
        const s = score[i] as number;
        if (!wantReasons) {
          out.push({ score: s, isFraud: s >= f.threshold, reasons: [] });
          continue;
        }
        const turn = many && i % REASON_ROWS === 0 ? turns.turn() : undefined;
        if (turn && (await stale(turn))) return this.predictBatchFrom(data, restartAfterRetrain(restarts));
        sums.fill(0);
        for (let c = 0; c < x.cols; c++) {
          const k = columnOf[c] as number;
          sums[k] = (sums[k] as number) + (contrib ? (contrib[i * x.cols + c] as number) : 0);
        }
        // Shares of the evidence towards an alert: a column pulling the other way (a classifier's, a
        // principal direction's) takes none, and the positive ones add up to 100 %.
        let total = 0;
        for (const v of sums) if (v > 0) total += v;
        // A column with under half a percent of the evidence is no reason ("0% of the evidence").
        const reasons = columns
          .map((column, k): [string, number] => [column, sums[k] as number])
          .filter(([, v]) => v > 0 && v >= 0.005 * total)
          .sort((a, b) => b[1] - a[1])
          .slice(0, this.config.maxReasons)
          .map(([column, v]) => this.reason(f, named, data, start + i, column, total > 0 ? v / total : 0));
        out.push({ score: s, isFraud: s >= f.threshold, reasons });
      }
    }
    return out;
  }

  private reason(f: Fitted, named: ReasonLookup, data: TabularInput, r: number, column: string, share: number): FeatureReason {
    const value = f.pre.rawNumeric(data, r, column);
    const col = named.columns.get(column);
    const pct = `${Math.round(share * 100)}% of the evidence`;
    let text = `${column} is unusual (${pct})`;
    if (value !== undefined && col?.kind === 'numeric') {
      // A ratio reads right only between positive numbers ('-1.50 is 23× the median -0.0639' would not).
      const ratio = col.median > 0 && value > 0 ? value / col.median : undefined;
      const rel =
        ratio !== undefined && Number.isFinite(ratio)
          ? `${ratioText(ratio)}× the training median ${fmt(col.median)}`
          : `training median ${fmt(col.median)}`;
      text = `${column} = ${fmt(value)} (${rel}; ${pct})`;
    } else if (col?.kind === 'numeric' && f.pre.state.input === 'records') {
      // A record without the value (its missing flag is the evidence): said so, not 'tip is unusual'.
      text = `${column} is missing (${pct})`;
    } else if (col?.kind === 'categorical') {
      const raw = f.pre.rawValue(data, r, column);
      if (raw === undefined) text = `${column} is missing (${pct})`;
      else {
        const shown = String(raw).slice(0, 40);
        if (col.levels) {
          // The level's share of training rows, read from its one-hot column's training values.
          const k = col.levels.indexOf(String(raw));
          const feature = k < 0 ? -1 : (named.features.get(`${column}=${String(raw)}`) ?? -1);
          const seen = feature < 0 ? 0 : (f.levelShares?.[`${column}=${String(raw)}`] ?? shareAtLeast(f.explainer, feature, 0.5));
          const rarity = k < 0 ? 'never seen in training' : `${seen < 0.01 ? '< 1' : Math.round(seen * 100)}% of training rows`;
          text = `${column} = ${shown} (${rarity}; ${pct})`;
        } else text = `${column} = ${shown} (${pct})`;
      }
    } else if (col?.kind === 'timestamp') {
      const t = f.pre.timeValue(data, r, column);
      if (t !== undefined) {
        const d = new Date(t);
        const shares = f.pre.timeShares(column, t);
        if (shares) {
          // How rare the hour and the weekday were in training: what the detectors saw.
          const day = WEEKDAYS[d.getUTCDay()] as string;
          const hour = `${percent(shares.hour)} of training transactions in that hour`;
          const weekday = `${percent(shares.weekday)} on ${day}s`;
          // The rare part first (a rarity of 0 is no evidence); both when both are rare, or neither.
          const said =
            shares.hourRare === shares.weekdayRare
              ? `${hour}, ${weekday}`
              : shares.hourRare
                ? hour
                : `${percent(shares.weekday)} of training transactions on ${day}s`;
          text = `${column} at ${d.toISOString().slice(11, 16)} UTC on a ${day}: ${said} (${pct})`;
        } else {
          const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
          text = `${column} at ${d.toISOString().slice(11, 16)} UTC on a ${weekend ? 'weekend' : 'weekday'} (time of day / week unusual; ${pct})`;
        }
      }
    }
    return { feature: column, share, ...(value !== undefined ? { value } : {}), text };
  }

  /** ROC-AUC, PR-AUC (average precision), precision@k (k = number of frauds) and recall at 1% FPR. */
  async evaluate(data: TabularInput, labels: ArrayLike<number>): Promise<FraudEvaluation> {
    let y: Uint8Array = new Uint8Array(0);
    const { score, fitted } = await this.scoresInTurns(data, (rows) => {
      y = checkLabels(labels, rows);
    });
    let pos = 0;
    for (const v of y) pos += v;
    if (pos === 0 || pos === y.length) throw new AppliedMLError('E_INPUT_INVALID', 'Evaluation needs both fraud (1) and normal (0) rows.');
    // The threshold of the model that made these scores (a retrain meanwhile brings its own).
    const thr = fitted.threshold;
    let alerts = 0;
    let tp = 0;
    for (let i = 0; i < y.length; i++) {
      if ((score[i] as number) >= thr) {
        alerts++;
        tp += y[i] as number;
      }
    }
    return {
      aucroc: rocAuc(y, score),
      aucpr: averagePrecision(y, score),
      precisionAtK: precisionAtK(y, score, pos),
      k: pos,
      recallAt1PctFpr: recallAtFpr(y, score, 0.01),
      precision: alerts ? tp / alerts : 0,
      recall: tp / pos,
      alerts,
    };
  }

  /** Sets the threshold from a rule applied to scored (e.g. validation) data; returns what it chose. */
  calibrate(data: TabularInput, rule: ThresholdRule, labels?: ArrayLike<number>): ThresholdChoice {
    const f = this.ready();
    const choice = chooseThreshold(this.scores(data), rule, labels);
    f.threshold = choice.threshold;
    return choice;
  }

  setThreshold(threshold: number): void {
    const f = this.ready();
    if (!Number.isFinite(threshold)) throw new AppliedMLError('E_INPUT_INVALID', `threshold must be a finite number (got ${threshold}).`);
    f.threshold = threshold;
  }

  async save(dir: string): Promise<void> {
    const f = this.ready();
    const files: Record<string, Uint8Array | string> = {};
    const ecodBytes = (s: EcodState): Uint8Array => {
      const n = s.sorted[0]?.length ?? 0;
      const all = new Float64Array(n * s.sorted.length);
      s.sorted.forEach((col, c) => all.set(col, c * n));
      return new Uint8Array(all.buffer);
    };
    // A 'max' ensemble stores its explainer under another name, so a version that knows no `combine`
    // (it would average the members against a threshold fitted on their maximum) refuses the bundle.
    files[explainerFile(this.config)] = ecodBytes(f.explainer);
    if (f.iforest) files['iforest.json'] = JSON.stringify(f.iforest);
    // Boosted trees with a forest go under another name, so versions without forests (which would score
    // the boosted trees alone against a threshold fitted on the blend) refuse the bundle.
    if (f.gbt) files[f.gbt.forest ? 'gbt-forest.json' : 'gbt.json'] = JSON.stringify(f.gbt);
    if (f.pca) files['pca.json'] = JSON.stringify(f.pca);
    if (f.knn) files['knn.json'] = JSON.stringify(f.knn);
    if (Object.keys(f.tails).length) files['tails.json'] = JSON.stringify(f.tails);
    const models: Record<string, tf.LayersModel> = {};
    if (f.autoencoder) models.autoencoder = f.autoencoder;
    // An MLP that reads outlier-score columns is saved under another name, so versions without the
    // option (which would feed it the input columns alone) refuse the bundle.
    if (f.mlp) models[this.outlierKinds.length ? 'mlp-outliers' : 'mlp'] = f.mlp;
    const { preprocess: _p, ...rest } = this.config;
    void _p;
    await saveBundle(dir, {
      package: FRAUD_PACKAGE,
      packageVersion: FRAUD_VERSION,
      task: FRAUD_TASK,
      models,
      preprocessing: f.pre.state as unknown as JsonValue,
      config: {
        ...(rest as unknown as Record<string, JsonValue>),
        state: {
          ecodScoring: ECOD_SCORING,
          threshold: f.threshold,
          norms: f.norms as unknown as JsonValue,
          ...(f.autoencoderTypical ? { autoencoderTypicalError: Array.from(f.autoencoderTypical) } : {}),
          ...(f.levelShares ? { levelShares: f.levelShares } : {}),
          explainer: {
            rows: f.explainer.sorted[0]?.length ?? 0,
            skew: f.explainer.skew,
            ...(f.explainer.rows !== undefined ? { trainingRows: f.explainer.rows } : {}),
            ...(f.explainer.rows !== undefined && f.explainer.ones ? { trainingOnes: f.explainer.ones } : {}),
          },
        },
      },
      files,
    });
  }

  static async load(dir: string, options: { device?: Device; logger?: Logger } = {}): Promise<FraudDetector> {
    checkKnownKeys('load options', options, ['device', 'logger']);
    // A network this engine cannot rebuild (a layer class a later version writes): from a newer version,
    // loadBundle says it needs an upgrade (E_BUNDLE_INCOMPATIBLE), not repair.
    const bundle = await loadBundle(dir, { package: FRAUD_PACKAGE, task: FRAUD_TASK, readerVersion: FRAUD_VERSION });
    const corrupt = (what: string): AppliedMLError =>
      new AppliedMLError('E_BUNDLE_CORRUPT', `Fraud bundle ${dir}: ${what}.`, { details: { dir } });
    try {
      const cfg = bundle.manifest.config as unknown as FraudDetectorConfig & {
        state: {
          ecodScoring?: number;
          threshold: number;
          norms: Fitted['norms'];
          autoencoderTypicalError?: number[];
          levelShares?: Record<string, number>;
          explainer: { rows: number; skew: number[]; trainingRows?: number; trainingOnes?: number[] };
        };
      };
      if (!cfg || typeof cfg !== 'object' || !cfg.state) throw corrupt('config.state is missing');
      // A newer version's save: what this version does not know in it is refused, not dropped (see KNOWN_BUNDLE).
      const unknown = unknownBundleParts(bundle, FRAUD_VERSION, KNOWN_BUNDLE);
      if (unknown.length > 0) throw unknownPartsError(dir, unknown, 'Fraud bundle');
      let model: FraudDetector;
      try {
        model = new FraudDetector(cfg);
      } catch (cause) {
        throw new AppliedMLError('E_BUNDLE_CORRUPT', `Fraud bundle ${dir}: its config is invalid (${(cause as Error).message}).`, {
          cause,
          details: { dir },
        });
      }
      // The threshold and the ensemble's normalisation were fitted on the ECOD scores of the version
      // that wrote the bundle; with other ECOD scores they would flag the wrong share of rows.
      if (model.fittedKinds.includes('ecod') && (cfg.state.ecodScoring ?? 1) !== ECOD_SCORING)
        throw new AppliedMLError(
          'E_BUNDLE_INCOMPATIBLE',
          `Fraud bundle ${dir} was trained with ECOD score version ${cfg.state.ecodScoring ?? 1}; this SDK scores with version ${ECOD_SCORING}, so the bundle's threshold and normalisation do not fit its scores. Retrain it with this version of ${FRAUD_PACKAGE}.`,
          { details: { dir, ecodScoring: cfg.state.ecodScoring ?? 1, expected: ECOD_SCORING } },
        );
      let pre: Preprocessor;
      try {
        pre = Preprocessor.fromState(bundle.manifest.preprocessing as unknown as PreprocessorState);
      } catch (cause) {
        throw new AppliedMLError('E_BUNDLE_CORRUPT', `Fraud bundle ${dir}: ${(cause as Error).message}`, { cause, details: { dir } });
      }
      // The manifest's own checksum can be absent (older bundles) or rewritten: every value that scores is checked here.
      if (typeof cfg.state.threshold !== 'number' || !Number.isFinite(cfg.state.threshold))
        throw corrupt('its threshold is not a finite number');
      const explainerState = cfg.state.explainer as unknown;
      if (explainerState === null || typeof explainerState !== 'object') throw corrupt('the explainer state is missing');
      const raw = bundle.files[explainerFile(model.config)];
      const { rows, skew, trainingRows, trainingOnes } = cfg.state.explainer;
      if (!Number.isInteger(rows) || rows < 1 || !Array.isArray(skew) || !skew.every((v) => typeof v === 'number' && Number.isFinite(v)))
        throw corrupt('the explainer state is invalid');
      if (!raw || raw.byteLength !== rows * skew.length * 8 || pre.features.length !== skew.length)
        throw corrupt(`${explainerFile(model.config)} does not match the manifest`);
      const norms = cfg.state.norms ?? {};
      if (typeof norms !== 'object' || norms === null) throw corrupt('its score normalisation is invalid');
      // Within 1e±100, so a z-score (and the sum of a few) stays finite for any score a member gives.
      const validNorm = (norm: unknown): boolean =>
        Array.isArray(norm) && norm.length === 2 && norm.every((v) => typeof v === 'number' && Math.abs(v) <= 1e100) && norm[1] >= 1e-100;
      // Only the normalisations that score are checked below (earlier versions also stored unused ones).
      if (trainingRows !== undefined && !(Number.isInteger(trainingRows) && trainingRows >= rows))
        throw corrupt('the explainer summarises fewer training rows than it keeps');
      // ECOD as a detector scores with every training value; only an explainer may be a summary.
      if (trainingRows !== undefined && model.fittedKinds.includes('ecod')) throw corrupt('the ECOD detector state is a summary');
      // The exact one-hot level counts a summary keeps (absent in earlier versions' bundles).
      if (
        trainingOnes !== undefined &&
        (trainingRows === undefined ||
          !Array.isArray(trainingOnes) ||
          trainingOnes.length !== skew.length ||
          !trainingOnes.every((v) => Number.isInteger(v) && v >= -1 && v <= trainingRows))
      )
        throw corrupt("the explainer's level counts are invalid");
      const all = new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      const explainer: EcodState = {
        kind: 'ecod',
        skew,
        sorted: skew.map((_, c) => all.slice(c * rows, (c + 1) * rows)),
        ...(trainingRows !== undefined ? { rows: trainingRows } : {}),
        ...(trainingOnes !== undefined ? { ones: trainingOnes } : {}),
      };
      const fitted: Fitted = { pre, explainer, norms, tails: {}, threshold: cfg.state.threshold };
      const tailsText = bundle.files['tails.json'];
      if (tailsText) {
        const tails = JSON.parse(tailsText.toString('utf8')) as Fitted['tails'];
        for (const kind of model.active) if (!isTailNorm(tails[kind])) throw corrupt(`tails.json has no valid entry for ${kind}`);
        fitted.tails = tails;
      } else if (model.active.length > 1 && model.config.normalize === 'tail') {
        throw corrupt('tails.json is missing');
      }
      if (model.active.length > 1 && model.config.normalize === 'zscore')
        for (const kind of model.active) {
          if (!norms[kind]) throw corrupt(`the normalisation of the ${kind} score is missing`);
          if (!validNorm(norms[kind])) throw corrupt(`the normalisation of the ${kind} score is invalid`);
        }
      if (model.fittedKinds.includes('pca')) {
        const text = bundle.files['pca.json'];
        if (!text) throw corrupt('pca.json is missing');
        const pca: unknown = JSON.parse(text.toString('utf8'));
        if (!checkPcaState(pca, skew.length, SCALED_LIMIT)) throw corrupt('pca.json does not hold a valid PCA state for this model');
        fitted.pca = pca;
      }
      if (model.fittedKinds.includes('knn')) {
        const text = bundle.files['knn.json'];
        if (!text) throw corrupt('knn.json is missing');
        const knn: unknown = JSON.parse(text.toString('utf8'));
        if (!checkKnnState(knn, skew.length)) throw corrupt('knn.json does not hold a valid kNN state for this model');
        fitted.knn = knn;
      }
      if (model.fittedKinds.includes('ecod')) fitted.ecod = explainer;
      if (model.fittedKinds.includes('iforest')) {
        const text = bundle.files['iforest.json'];
        if (!text) throw corrupt('iforest.json is missing');
        const iforest: unknown = JSON.parse(text.toString('utf8'));
        if (!checkIsolationForestState(iforest, pre.features.length))
          throw corrupt('iforest.json does not hold valid trees for this model');
        fitted.iforest = iforest;
      }
      if (model.config.detector === 'gbt') {
        if (bundle.files['gbt-forest.json'] && bundle.files['gbt.json']) throw corrupt('it holds both gbt.json and gbt-forest.json');
        const name = bundle.files['gbt-forest.json'] ? 'gbt-forest.json' : 'gbt.json';
        const text = bundle.files[name];
        if (!text) throw corrupt('gbt.json is missing');
        const state: unknown = JSON.parse(text.toString('utf8'));
        if (!checkGbtState(state, pre.features.length + model.outlierKinds.length) || (name === 'gbt-forest.json') !== !!state.forest)
          throw corrupt(`${name} does not hold valid trees for this model`);
        // The stored trees decide what retraining builds: a bundle without a forest (also one written before
        // forests existed) retrains without one; one with a forest retrains one with its tree count pinned
        // (the forest's other options follow the config as saved). A config that contradicts the trees, or
        // whose forest options are invalid, is corrupt.
        const option = model.config.gbt?.forest;
        if (option !== undefined && option !== false && (typeof option !== 'object' || option === null || Array.isArray(option)))
          throw corrupt('its gbt.forest option is invalid');
        if (state.forest) {
          const trees = state.forest.trees.length;
          if (option === false || (option && option.trees !== undefined && option.trees !== trees))
            throw corrupt(`its config's gbt.forest does not match the ${trees}-tree forest it holds`);
          const pinned = { ...(option || {}), trees };
          // The options as they will retrain, with the count pinned (so extraTrees ≤ trees is checked too).
          try {
            checkForestOptions(pinned);
          } catch (cause) {
            throw new AppliedMLError('E_BUNDLE_CORRUPT', `Fraud bundle ${dir}: its gbt.forest option is invalid.`, {
              cause,
              details: { dir },
            });
          }
          model.config.gbt = { ...model.config.gbt, forest: pinned };
        } else {
          if (option) throw corrupt('its config asks for a forest but gbt.json holds none');
          model.config.gbt = { ...model.config.gbt, forest: false };
        }
        fitted.gbt = state;
      }
      // Saved after a second fit that set rows aside (see Fitted.levelShares).
      const shares = cfg.state.levelShares as unknown;
      if (shares !== undefined) {
        const levels = new Set(pre.features.map((ft) => ft.name));
        if (
          shares === null ||
          typeof shares !== 'object' ||
          Array.isArray(shares) ||
          !Object.entries(shares).every(([k, v]) => levels.has(k) && typeof v === 'number' && v >= 0 && v <= 1)
        )
          throw corrupt("the training rows' level shares are invalid");
        fitted.levelShares = { ...(shares as Record<string, number>) };
      }
      if (model.active.includes('autoencoder') || model.config.detector === 'mlp')
        await initEngine({ ...(options.device ? { device: options.device } : {}), logger: options.logger ?? silentLogger });
      if (model.active.includes('autoencoder')) {
        fitted.autoencoder = bundle.models.autoencoder;
        if (!fitted.autoencoder) throw corrupt('the autoencoder model is missing');
        // Saved from this version on (reasons read the errors above it); an older bundle has none, and explains as it did.
        const typical = cfg.state.autoencoderTypicalError as unknown;
        if (typical !== undefined) {
          if (
            !Array.isArray(typical) ||
            typical.length !== pre.features.length ||
            !typical.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)
          )
            throw corrupt("the autoencoder's typical reconstruction errors are invalid");
          fitted.autoencoderTypical = Float64Array.from(typical as number[]);
        }
      }
      if (model.config.detector === 'mlp') {
        fitted.mlp = bundle.models[model.outlierKinds.length ? 'mlp-outliers' : 'mlp'];
        if (!fitted.mlp) throw corrupt('the mlp model is missing');
        if (fitted.mlp.inputs[0]?.shape[1] !== pre.features.length + model.outlierKinds.length)
          throw corrupt("the mlp's input width does not match the features");
      }
      for (const kind of model.outlierKinds) {
        const norm = fitted.norms[kind];
        if (!Array.isArray(norm) || norm.length !== 2 || !norm.every(Number.isFinite) || !(norm[1] > 0))
          throw corrupt(`the normalisation of the ${kind} score feature is missing`);
      }
      model.fitted = fitted;
      return model;
    } catch (error) {
      for (const m of Object.values(bundle.models)) m.dispose();
      const failure = AppliedMLError.isInstance(error)
        ? error
        : new AppliedMLError('E_BUNDLE_CORRUPT', `Fraud bundle ${dir} could not be read: ${(error as Error).message}`, { cause: error });
      // What this version cannot read in a bundle a newer one saved (a detector kind, a config field, a
      // file it added) is no damage: say so, and to upgrade (it said "corrupt").
      throw incompatibleIfNewer(failure, { dir, package: FRAUD_PACKAGE, saved: bundle.manifest.packageVersion, running: FRAUD_VERSION });
    }
  }

  private disposeModels(): void {
    this.fitted?.autoencoder?.dispose();
    this.fitted?.mlp?.dispose();
  }

  dispose(): void {
    this.disposeModels();
    this.fitted = undefined;
    this.disposed = true;
  }
}

/** The preprocessing's columns and features by name (the first of a name), for wording reasons. */
interface ReasonLookup {
  columns: Map<string, FittedColumn>;
  features: Map<string, number>;
}

function reasonLookup(f: Fitted, features: readonly FeatureInfo[]): ReasonLookup {
  const named: ReasonLookup = { columns: new Map(), features: new Map() };
  for (const c of f.pre.state.columns) if (!named.columns.has(c.name)) named.columns.set(c.name, c);
  features.forEach((feature, i) => {
    if (!named.features.has(feature.name)) named.features.set(feature.name, i);
  });
  return named;
}

/** Rows `predictBatch` scores between checks for an event-loop turn (a turn is given every ~50 ms). */
const PREDICT_CHUNK_ROWS = 2048;
/** Rows whose reasons `predictBatch` words between checks for an event-loop turn. */
const REASON_ROWS = 256;
/** Rows the boosted trees credit between yields when they give per-feature evidence. */
const GBT_REASON_ROWS = 256;

/** A block of rows of `x` (a view, no copy). */
function rowBlock(x: Matrix, start: number, rows: number): Matrix {
  return { rows, cols: x.cols, data: x.data.subarray(start * x.cols, (start + rows) * x.cols) };
}

/**
 * Per-row scores of `x` computed in blocks of 2,048 rows, with an event-loop turn every ~50 ms between
 * blocks and at a block's steps' yields (kNN's and PCA's rows, an ensemble's members); the same values as
 * one pass. `check` runs after each turn: it may throw to stop the work, or return true to abandon it
 * (the result is then undefined; the steps hold no tensor between them and are closed).
 */
async function inBlocks<Abandon extends boolean | void>(
  x: Matrix,
  score: (block: Matrix, start: number) => Steps<{ score: Float64Array }>,
  check: () => Abandon,
  turns: Turns = eventLoopTurns(50),
): Promise<Float64Array | (Abandon extends true ? undefined : never)> {
  const out = new Float64Array(x.rows);
  for (let start = 0; start < x.rows; start += PREDICT_CHUNK_ROWS) {
    const turn = turns.turn();
    if (turn) {
      await turn;
      if (check() === true) return undefined as Abandon extends true ? undefined : never;
    }
    const rows = Math.min(PREDICT_CHUNK_ROWS, x.rows - start);
    const driven = driveSteps(score(rowBlock(x, start, rows), start), turns, check);
    const block = driven instanceof Promise ? await driven : driven;
    if (!block) return undefined as Abandon extends true ? undefined : never;
    out.set(block.value.score, start);
  }
  return out;
}

/** How many times a call starts again on a network model retrained under it before it gives up. */
const MAX_RESTARTS = 3;

/** The next restart's count; `E_BUSY` once a call has started again `MAX_RESTARTS` times. */
function restartAfterRetrain(restarts: number): number {
  if (restarts >= MAX_RESTARTS)
    throw new AppliedMLError(
      'E_BUSY',
      `The model was retrained ${restarts + 1} times while this call scored (each retrain replaces the network it scores with, so the call starts again); try again once retraining settles.`,
      { details: { restarts: restarts + 1 } },
    );
  return restarts + 1;
}

/** The rows [start, start + rows) of each precomputed member score. */
function overrideRows(
  override: Partial<Record<UnsupervisedKind, Float64Array>>,
  start: number,
  rows: number,
): Partial<Record<UnsupervisedKind, Float64Array>> {
  const out: Partial<Record<UnsupervisedKind, Float64Array>> = {};
  for (const [kind, s] of Object.entries(override) as Array<[UnsupervisedKind, Float64Array]>) out[kind] = s.subarray(start, start + rows);
  return out;
}

const TRAIN_OPTION_KEYS = Object.keys({ labels: 1, device: 1, logger: 1, signal: 1 } satisfies Record<keyof FraudTrainOptions, 1>);

/** What an aborted train's E_ABORTED names. */
const TRAIN_CALL = 'FraudDetector.train';

/**
 * Between two long pieces of training work: the turn `turns` says is due, if any, then `check`. With a
 * signal, `turns.turn()` throws E_ABORTED once it is aborted.
 */
async function nextTurn(turns: Turns, check: () => void): Promise<void> {
  const turn = turns.turn();
  if (!turn) return;
  await turn;
  check();
}

/**
 * Tells the logger about fields named like a time (created_at, ts, eventTime …) that were not read as
 * times (too few of their values are dates or epoch numbers of one unit): as a number or as categories
 * a later time lies beyond everything seen, or is one more unseen level. A field the schema declared is
 * as the caller said.
 */
function warnTimeNamedColumns(pre: Preprocessor, schema: Record<string, ColumnKind> | undefined, logger: Logger): void {
  const fields = pre.state.columns.filter(
    (c) => c.kind !== 'timestamp' && timeLikeName(c.name) && schemaKind(schema, c.name) === undefined,
  );
  for (const c of fields)
    logger.warn(
      `Field '${c.name}' is named like a time but is read as ${c.kind === 'numeric' ? 'a number' : 'categories'}: its values are not dates or epoch numbers of one unit (2001–2286). Declare it with preprocess: { schema: { '${c.name}': 'timestamp' } } (and timeUnit) if it is a time, or '${c.kind}' to keep it so.`,
      { field: c.name, kind: c.kind },
    );
}

/** Columns whose constancy in training the caller explains itself, kept out of the generic warning. */
const explainedConstant = new WeakMap<FraudDetector, ReadonlySet<string>>();

/**
 * For TransactionScorer (not part of the package surface): `columns` are features the caller derives and
 * warns about itself when they are constant in training; `train`'s generic warning leaves them out (it
 * told the user to drop fields the user never gave).
 */
export function explainConstantColumns(detector: FraudDetector, columns: readonly string[]): void {
  explainedConstant.set(detector, new Set(columns));
}

/**
 * Tells the logger about input columns with one value in every training row: any other value later
 * (an `api_version` bumped from 1 to 2) lies beyond everything the detectors saw and scores as extreme.
 */
function warnConstantColumns(x: Matrix, pre: Preprocessor, logger: Logger, explained?: ReadonlySet<string>): void {
  const features = pre.features;
  const varying = new Set<string>();
  const all = new Set<string>();
  for (let c = 0; c < x.cols; c++) {
    const column = (features[c] as { column: string }).column;
    // A time's rarity is 0 at every hour when training spread evenly, and stays 0 for every later time.
    if ((features[c] as { name: string }).name.endsWith('_rarity')) continue;
    // A caller that explains the column's constancy itself (the scorer's merchant / country flags).
    if (explained?.has(column)) continue;
    all.add(column);
    const first = x.data[c] as number;
    for (let r = 1; r < x.rows; r++)
      if (x.data[r * x.cols + c] !== first) {
        varying.add(column);
        break;
      }
  }
  const constant = [...all].filter((c) => !varying.has(c));
  if (constant.length > 0)
    logger.warn(
      `${constant.length} input column(s) hold one value in every training row (${constant.slice(0, 8).join(', ')}${constant.length > 8 ? ', …' : ''}): any other value when scoring lies beyond everything the detector saw and scores as extreme. Drop such fields (metadata like a version number) unless a change in them is itself suspicious.`,
      { columns: constant.slice(0, 50) },
    );
}

/**
 * A ratio as the reasons write it: whole from 10, one decimal from 1, two significant digits below
 * (0.023×, where one decimal said 0.0×).
 */
export function ratioText(ratio: number): string {
  return ratio >= 10 ? ratio.toFixed(0) : ratio >= 1 || ratio === 0 ? ratio.toFixed(1) : ratio.toPrecision(2);
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** A share as a percentage that does not round a rare one to 0 % (0.4 %, < 0.1 %). */
function percent(share: number): string {
  if (share === 0) return '0%';
  if (share < 0.001) return '< 0.1%';
  return share < 0.1 ? `${(share * 100).toFixed(1)}%` : `${Math.round(share * 100)}%`;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  // From 100 on, whole numbers stay whole and the rest keep two decimals (an amount of 199.50 read '200').
  return a >= 100 ? (Number.isInteger(v) ? v.toFixed(0) : v.toFixed(2)) : a >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
