import { AppliedMLError, describeValue } from '../errors';
import { checkKnownKeys } from '../option-checks';
import { createRng, type Rng, type Seed } from '../random';

/** Class labels for stratification: one per example (numbers, strings, booleans or bigints). */
export type Labels = ArrayLike<number | string | boolean | bigint>;

export interface TrainTestSplit {
  /** Indices into the dataset, ascending. */
  train: number[];
  /** Indices into the dataset, ascending. */
  test: number[];
}

export interface TrainTestSplitOptions {
  /** Share of examples for the test set, strictly between 0 and 1. */
  testFraction: number;
  /** Seed for the shuffle (default 0). Same seed, same split. */
  seed?: Seed;
  /** Labels to stratify on: each class keeps (as nearly as integers allow) its overall share in both parts. */
  stratify?: Labels;
}

export interface KFoldOptions {
  /** Number of folds, 2..n. */
  k: number;
  /** Seed for the shuffle (default 0). */
  seed?: Seed;
  /** Shuffle before cutting folds (default true). With false, folds are contiguous blocks. */
  shuffle?: boolean;
  /** Labels to stratify on: every fold gets about the same share of each class. */
  stratify?: Labels;
}

export interface ChronologicalSplitOptions {
  /** Share of the earliest steps used for training, in (0, 1]. */
  trainFraction: number;
  /** Share of the following steps used for validation (default 0). */
  valFraction?: number;
}

export interface ChronologicalSplit {
  train: number[];
  val: number[];
  test: number[];
}

/** Most examples a split or shuffle takes in one call (an array of indices is built for them). */
const MAX_EXAMPLES = 1e9;

/** Most indices kFold lists over all its folds (n · k): leave-one-out on 25k rows ran the heap out. */
const MAX_FOLD_INDICES = 2 ** 26;

function assertCount(n: number, what: string, min = 0): void {
  if (!Number.isSafeInteger(n) || n < min || n > MAX_EXAMPLES) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${what} needs an integer number of examples in [${min}, ${MAX_EXAMPLES}]; got ${describeValue(n)}.`,
      // The value itself only when it is a number: an array passed by mistake (the rows instead of their
      // count) would otherwise travel whole in the error's details and every log line that prints them.
      { details: { n: typeof n === 'number' ? n : describeValue(n) } },
    );
  }
}

function assertFraction(value: unknown, name: string, lowOpen: boolean, highOpen: boolean): number {
  const ok =
    typeof value === 'number' && Number.isFinite(value) && (lowOpen ? value > 0 : value >= 0) && (highOpen ? value < 1 : value <= 1);
  if (!ok) {
    const range = `${lowOpen ? '(' : '['}0, 1${highOpen ? ')' : ']'}`;
    throw new AppliedMLError('E_INPUT_INVALID', `${name} must be a number in ${range}; got ${describeValue(value)}.`, {
      details: { [name]: value },
    });
  }
  return value as number;
}

/** floor(n * fraction), robust to binary rounding (0.29 * 100 is 28.999…). */
function floorShare(n: number, fraction: number): number {
  return Math.min(n, Math.floor(n * fraction + 1e-9));
}

function range(start: number, end: number): number[] {
  const out = new Array<number>(Math.max(0, end - start));
  for (let i = start; i < end; i++) out[i - start] = i;
  return out;
}

/** Groups example indices by label, classes in order of first appearance. */
function groupByLabel(labels: Labels, n: number): number[][] {
  if (labels.length !== n) {
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `stratify has ${labels.length} labels but there are ${n} examples; pass one label per example.`,
      { details: { labels: labels.length, n } },
    );
  }
  const groups = new Map<unknown, number[]>();
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (label === undefined || label === null || (typeof label === 'number' && Number.isNaN(label))) {
      throw new AppliedMLError('E_INPUT_INVALID', `stratify label at index ${i} is ${String(label)}; every example needs a label.`, {
        details: { index: i },
      });
    }
    let group = groups.get(label);
    if (!group) {
      group = [];
      groups.set(label, group);
    }
    group.push(i);
  }
  return [...groups.values()];
}

/** Splits `total` into parts proportional to `weights` that sum exactly to `total` (largest remainder). */
function apportion(weights: number[], total: number): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  if (sum === 0) return weights.map(() => 0);
  const exact = weights.map((w) => (w * total) / sum);
  const parts = exact.map((x) => Math.floor(x + 1e-9));
  let left = total - parts.reduce((s, p) => s + p, 0);
  const order = exact.map((x, i) => ({ i, rem: x - Math.floor(x + 1e-9) })).sort((p, q) => q.rem - p.rem || p.i - q.i);
  for (const { i } of order) {
    if (left <= 0) break;
    if ((parts[i] as number) < (weights[i] as number)) {
      parts[i] = (parts[i] as number) + 1;
      left--;
    }
  }
  return parts;
}

/** A seeded permutation of 0..n-1. */
export function shuffleIndices(n: number, seed: Seed = 0): number[] {
  assertCount(n, 'shuffleIndices');
  return createRng(seed).shuffle(range(0, n));
}

/**
 * Random train/test split of `n` examples. The test size is round(n * testFraction), kept within
 * [1, n-1]. With `stratify`, the test share is apportioned over classes by largest remainder, so
 * each class keeps its proportion (a class of one example stays in train). Deterministic for a seed.
 */
export function trainTestSplit(n: number, options: TrainTestSplitOptions): TrainTestSplit {
  assertCount(n, 'trainTestSplit', 2);
  // Undefined options read as {} (the error then names the missing required field); null or a non-object is refused.
  checkKnownKeys('trainTestSplit options', options, ['testFraction', 'seed', 'stratify']);
  options ??= {} as TrainTestSplitOptions;
  const fraction = assertFraction(options.testFraction, 'testFraction', true, true);
  const rng = createRng(options.seed ?? 0);
  const nTest = Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
  let test: number[];
  if (options.stratify) {
    const groups = groupByLabel(options.stratify, n);
    const perClass = apportion(
      groups.map((g) => g.length),
      nTest,
    );
    test = [];
    groups.forEach((group, c) => {
      const picked = rng.shuffle(group.slice()).slice(0, perClass[c] ?? 0);
      for (const i of picked) test.push(i);
    });
  } else {
    test = rng.shuffle(range(0, n)).slice(0, nTest);
  }
  test.sort((a, b) => a - b);
  const inTest = new Uint8Array(n);
  for (const i of test) inTest[i] = 1;
  const train: number[] = [];
  for (let i = 0; i < n; i++) if (!inTest[i]) train.push(i);
  return { train, test };
}

/**
 * K-fold cross-validation: k {train, test} pairs whose test parts partition 0..n-1. Fold sizes
 * differ by at most one. With `stratify`, each class is dealt round-robin across folds so every
 * fold has about the same class mix. Index arrays are ascending.
 */
export function kFold(n: number, options: KFoldOptions): TrainTestSplit[] {
  assertCount(n, 'kFold', 2);
  // Undefined options read as {} (the error then names the missing required field); null or a non-object is refused.
  checkKnownKeys('kFold options', options, ['k', 'seed', 'shuffle', 'stratify']);
  options ??= {} as KFoldOptions;
  const k = options.k;
  if (!Number.isSafeInteger(k) || k < 2 || k > n) {
    throw new AppliedMLError('E_INPUT_INVALID', `kFold needs an integer k in [2, ${n}]; got ${String(k)}.`, {
      details: { k, n },
    });
  }
  if (n * k > MAX_FOLD_INDICES)
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `kFold of ${n} examples into ${k} folds lists ${n * k} indices, over the limit of ${MAX_FOLD_INDICES}; use fewer folds (leave-one-out suits small sets).`,
      { details: { n, k, max: MAX_FOLD_INDICES } },
    );
  const shuffle = options.shuffle ?? true;
  const rng: Rng = createRng(options.seed ?? 0);
  const foldOf = new Int32Array(n);
  if (options.stratify) {
    const groups = groupByLabel(options.stratify, n);
    // Continue the round-robin across classes so fold sizes stay balanced overall.
    let next = 0;
    for (const group of groups) {
      const order = shuffle ? rng.shuffle(group.slice()) : group;
      for (const i of order) {
        foldOf[i] = next;
        next = (next + 1) % k;
      }
    }
  } else {
    const order = shuffle ? rng.shuffle(range(0, n)) : range(0, n);
    const base = Math.floor(n / k);
    const extra = n % k;
    let pos = 0;
    for (let f = 0; f < k; f++) {
      const size = base + (f < extra ? 1 : 0);
      for (let j = 0; j < size; j++) foldOf[order[pos++] as number] = f;
    }
  }
  const folds: TrainTestSplit[] = [];
  for (let f = 0; f < k; f++) folds.push({ train: [], test: [] });
  for (let f = 0; f < k; f++) {
    const fold = folds[f] as TrainTestSplit;
    for (let i = 0; i < n; i++) (foldOf[i] === f ? fold.test : fold.train).push(i);
  }
  return folds;
}

/**
 * Time-ordered split for series: the first floor(n * trainFraction) steps train, the next
 * floor(n * (trainFraction + valFraction)) - trainEnd validate, the rest test. Nothing is shuffled,
 * so no future step leaks into training. (T-GCN's 80/20 on 2016 steps gives 1612 / 404.)
 */
export function chronologicalSplit(n: number, options: ChronologicalSplitOptions): ChronologicalSplit {
  assertCount(n, 'chronologicalSplit', 1);
  // Undefined options read as {} (the error then names the missing required field); null or a non-object is refused.
  checkKnownKeys('chronologicalSplit options', options, ['trainFraction', 'valFraction']);
  options ??= {} as ChronologicalSplitOptions;
  const trainFraction = assertFraction(options.trainFraction, 'trainFraction', true, false);
  const valFraction = assertFraction(options.valFraction ?? 0, 'valFraction', false, true);
  if (trainFraction + valFraction > 1 + 1e-12) {
    throw new AppliedMLError('E_INPUT_INVALID', `trainFraction + valFraction must be at most 1; got ${trainFraction} + ${valFraction}.`, {
      details: { trainFraction, valFraction },
    });
  }
  const trainEnd = floorShare(n, trainFraction);
  const valEnd = Math.max(trainEnd, floorShare(n, trainFraction + valFraction));
  if (trainEnd === 0) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `chronologicalSplit of ${n} steps with trainFraction ${trainFraction} leaves no training steps.`,
      { details: { n, trainFraction } },
    );
  }
  return { train: range(0, trainEnd), val: range(trainEnd, valEnd), test: range(valEnd, n) };
}
