// The rows behind the ADBench paper's figures. ADBench's data generator seeds numpy's global generator
// with the run's seed (its runs use 1, 2, 3), draws 10,000 rows without replacement from a larger set
// or 1,000 with replacement from a set under 1,000 rows (seeding again first), then calls scikit-learn's train_test_split(test_size=0.3, shuffle=True,
// stratify=y) on that same generator. This file makes the same draws: scoring scikit-learn's
// IsolationForest on the result reproduces the paper's IForest column exactly
// (packages/fraud/bench/adbench-paper-splits.py, docs/benchmarks/fraud.md "The paper's own rows").
import { AppliedMLError } from '@appliedml/engine';
import { LegacyRandomState } from './numpy-random';

/** The seeds of ADBench's runs; the paper reports the mean over them. */
export const ADBENCH_SEEDS: readonly number[] = Object.freeze([1, 2, 3]);
/** Sets larger than this are subsampled to this many rows by ADBench's generator. */
export const ADBENCH_MAX_ROWS = 10000;
/** Sets smaller than this are resampled with replacement up to this many rows by ADBench's generator. */
export const ADBENCH_MIN_ROWS = 1000;

export interface RowSplit {
  /** Row numbers in the set, in the order the split returns them. */
  train: number[];
  test: number[];
}

/**
 * The train and test rows ADBench's generator draws for `seed` from a set with these labels (its
 * defaults: below 1,000 rows, 1,000 drawn with replacement, so rows repeat; above 10,000, 10,000 drawn
 * without; then the stratified 70/30 split). Row numbers index the full set.
 */
export function adbenchSplit(labels: ArrayLike<number>, seed: number): RowSplit {
  if (typeof (labels as ArrayLike<number> | null)?.length !== 'number')
    throw new AppliedMLError('E_INPUT_INVALID', 'labels must be an array of numbers.');
  for (let i = 0; i < labels.length; i++) {
    if (!Number.isFinite(labels[i])) {
      throw new AppliedMLError('E_INPUT_INVALID', `Label ${i} is ${String(labels[i])}; labels must be finite numbers.`, {
        details: { row: i },
      });
    }
  }
  if (labels.length < 2) throw new AppliedMLError('E_INPUT_INVALID', `An ADBench split needs at least 2 rows (got ${labels.length}).`);
  // The generator seeds numpy before each draw; nothing draws in between, so one generator serves.
  const rng = new LegacyRandomState(seed);
  const all = Array.from({ length: labels.length }, (_, i) => i);
  const rows =
    labels.length < ADBENCH_MIN_ROWS
      ? rng.choiceWithReplacement(labels.length, ADBENCH_MIN_ROWS)
      : labels.length > ADBENCH_MAX_ROWS
        ? rng.choiceWithoutReplacement(labels.length, ADBENCH_MAX_ROWS)
        : all;
  const local = stratifiedSplit(
    rows.map((r) => labels[r] as number),
    0.3,
    rng,
  );
  return { train: local.train.map((i) => rows[i]!), test: local.test.map((i) => rows[i]!) };
}

/**
 * scikit-learn's `train_test_split(…, test_size, shuffle=True, stratify=labels)` on a numpy generator:
 * per-class counts by `_approximate_mode` (ties broken by the generator), each class's rows permuted,
 * then the train and test lists each permuted. Returns row positions within `labels`.
 */
export function stratifiedSplit(labels: ArrayLike<number>, testSize: number, rng: LegacyRandomState): RowSplit {
  const n = labels.length;
  if (!(testSize > 0 && testSize < 1)) throw new AppliedMLError('E_INPUT_INVALID', `A test share is in (0, 1) (got ${testSize}).`);
  const nTest = Math.ceil(testSize * n);
  const nTrain = n - nTest;
  if (nTest < 1 || nTrain < 1) {
    throw new AppliedMLError('E_INPUT_INVALID', `A ${testSize} test share of ${n} rows leaves an empty part.`);
  }
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  // Each class's rows in ascending order (a stable sort of the class index).
  const byClass = classes.map((c) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) if (labels[i] === c) out.push(i);
    return out;
  });
  const counts = byClass.map((rows) => rows.length);
  if (counts.some((c) => c < 2)) {
    throw new AppliedMLError('E_INPUT_INVALID', 'Every class needs at least 2 rows for a stratified split.');
  }
  if (nTrain < classes.length || nTest < classes.length) {
    throw new AppliedMLError('E_INPUT_INVALID', `${n} rows cannot give each of ${classes.length} classes a train and a test row.`);
  }
  const trainCounts = approximateMode(counts, nTrain, rng);
  const testCounts = approximateMode(
    counts.map((c, i) => c - trainCounts[i]!),
    nTest,
    rng,
  );
  const train: number[] = [];
  const test: number[] = [];
  byClass.forEach((rows, i) => {
    const order = rng.permutation(rows.length).map((k) => rows[k]!);
    // Loops, not push(...): one argument per row overflowed the call stack past ~120,000 rows in a class.
    for (let k = 0; k < trainCounts[i]!; k++) train.push(order[k]!);
    for (let k = trainCounts[i]!; k < trainCounts[i]! + testCounts[i]!; k++) test.push(order[k]!);
  });
  return { train: rng.shuffle(train), test: rng.shuffle(test) };
}

/** scikit-learn's `_approximate_mode`: floor of each class's share of `draws`, the rest to the largest remainders. */
function approximateMode(counts: number[], draws: number, rng: LegacyRandomState): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const continuous = counts.map((c) => (c / total) * draws);
  const floored = continuous.map((v) => Math.floor(v));
  let need = Math.trunc(draws - floored.reduce((a, b) => a + b, 0));
  if (need > 0) {
    const remainder = continuous.map((v, i) => v - floored[i]!);
    const values = [...new Set(remainder)].sort((a, b) => b - a);
    for (const value of values) {
      const inds = remainder.flatMap((r, i) => (r === value ? [i] : []));
      const take = Math.min(inds.length, need);
      for (const k of rng.choiceWithoutReplacement(inds.length, take)) {
        const j = inds[k]!;
        floored[j] = floored[j]! + 1;
      }
      need -= take;
      if (need === 0) break;
    }
  }
  return floored;
}
