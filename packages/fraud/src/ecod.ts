import { AppliedMLError } from '@appliedml/engine';
import type { Matrix } from './matrix';
import { runSteps, type Steps } from './steps';

/**
 * Empirical-CDF outlier detector in the spirit of ECOD (Li et al., 2022) and COPOD (Li et al., 2020).
 * For every feature it keeps the sorted training values; a value's left and right tail
 * probabilities come from the empirical CDF, and the score sums, across features, the larger of
 * the two -log tail probabilities (PyOD's ECOD aggregation, which takes per feature the maximum of the
 * left tail, the right tail and the tail chosen by the sign of the skewness; the ECOD paper takes the
 * maximum of the three sums instead). The CDFs are the training rows' (inductive; PyOD's recomputes
 * them over the training and scored rows together). No labels, no tuning.
 *
 * Per-feature contributions (each feature's term: the larger tail's -log p, or both tails' at skewness 0)
 * are the explanation.
 */
export interface EcodState {
  kind: 'ecod';
  /** Sorted training values per feature. */
  sorted: Float64Array[];
  /** Each feature's sample skewness. */
  skew: number[];
  /**
   * Training rows the CDFs stand for, when `sorted` keeps only evenly spaced order statistics of them
   * (`compactEcod`); absent when `sorted` holds every training value.
   */
  rows?: number;
  /**
   * With `rows`: per feature, how many of the `rows` training values are 1 when every one is 0 or 1 (-1
   * for any other feature). A one-hot level's exact count: the kept order statistics round each column's
   * count on its own, so a group's counts could add up to more than `rows` (absent in summaries that
   * earlier versions saved: `oneHotShares` then corrects the rounding).
   */
  ones?: number[];
}

export function fitEcod(x: Matrix): EcodState {
  return runSteps(fitEcodSteps(x));
}

/** `fitEcod` as steps that pause before each feature's sort and after it. */
export function* fitEcodSteps(x: Matrix): Steps<EcodState> {
  const sorted: Float64Array[] = [];
  const skewSign: number[] = [];
  for (let c = 0; c < x.cols; c++) {
    const col = new Float64Array(x.rows);
    let mean = 0;
    for (let r = 0; r < x.rows; r++) {
      const v = x.data[r * x.cols + c] as number;
      col[r] = v;
      mean += v;
    }
    mean /= x.rows;
    let m2 = 0;
    let m3 = 0;
    for (let r = 0; r < x.rows; r++) {
      const d = (col[r] as number) - mean;
      m2 += d * d;
      m3 += d * d * d;
    }
    m2 /= x.rows;
    m3 /= x.rows;
    const skew = m2 > 0 ? m3 / Math.pow(m2, 1.5) : 0;
    yield;
    col.sort();
    sorted.push(col);
    skewSign.push(skew);
    yield;
  }
  return { kind: 'ecod', sorted, skew: skewSign };
}

/**
 * The same empirical CDFs kept at `points` evenly spaced order statistics per feature (first and
 * last included): what the explanations need, in bounded space. A fitted state on few rows is
 * returned as it is. Scores against it are the exact ECOD scores' approximation (tail probabilities
 * read at ≈ 1/points resolution), so the detector itself keeps the full state.
 */
export function compactEcod(state: EcodState, points = EXPLAINER_POINTS): EcodState {
  if (!Number.isInteger(points) || points < 2)
    throw new AppliedMLError('E_INPUT_INVALID', `compactEcod keeps at least 2 points per feature (got ${points}).`);
  const rows = state.sorted[0]?.length ?? 0;
  if (rows <= points) return state;
  const sorted = state.sorted.map((col) => Float64Array.from({ length: points }, (_, k) => col[keptIndex(k, rows, points)] as number));
  const ones = state.sorted.map((col) => (col.every((v) => v === 0 || v === 1) ? rows - countLt(col, 1) : -1));
  return { kind: 'ecod', sorted, skew: [...state.skew], rows, ones };
}

/** Index into the full sorted column of the k-th of `points` kept order statistics. */
function keptIndex(k: number, rows: number, points: number): number {
  return Math.round((k * (rows - 1)) / (points - 1));
}

/**
 * A count over the kept order statistics (how many are ≤ or < v) turned back into the count over
 * all `rows` training values: exact at both ends (0 and all); between two kept values the true count
 * lies in [index of the lower one + 1, index of the upper one], and the midpoint is used, so both
 * tails err alike.
 */
function fullCount(kept: number, rows: number, points: number): number {
  if (kept === 0) return 0;
  if (kept === points) return rows;
  return (keptIndex(kept - 1, rows, points) + 1 + keptIndex(kept, rows, points)) / 2;
}

/** Order statistics kept per feature when ECOD only explains another detector's scores. */
export const EXPLAINER_POINTS = 4096;

/** Number of entries ≤ v (upper bound) in ascending a (also the count of distinct values ≤ v in the lookup). */
function countLe(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of entries < v in ascending a. */
function countLt(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Per column, the distinct kept values and how many kept values are ≤ each, with the −log tail
 * probabilities of every possible count: one binary search over the distinct values and two table reads
 * give both tails (the same numbers as counting directly). A summary's counts are turned into counts over
 * all its training rows (`fullCount`) in the tables. Built once per state, on first use.
 */
interface EcodLookup {
  values: Float64Array[];
  atMost: Int32Array[];
  /** The left tail's −log p for k kept values ≤ v, k = 0 … kept. */
  left: Float64Array;
  /** The right tail's −log p for k kept values < v. */
  right: Float64Array;
}
const lookups = new WeakMap<EcodState, EcodLookup>();

function lookupFor(state: EcodState): EcodLookup {
  const cached = lookups.get(state);
  if (cached) return cached;
  const m = state.sorted[0]?.length ?? 0;
  const values: Float64Array[] = [];
  const atMost: Int32Array[] = [];
  for (const col of state.sorted) {
    const v: number[] = [];
    const k: number[] = [];
    for (let i = 0; i < col.length; i++) {
      if (i + 1 < col.length && col[i + 1] === col[i]) continue;
      v.push(col[i] as number);
      k.push(i + 1);
    }
    values.push(Float64Array.from(v));
    atMost.push(Int32Array.from(k));
  }
  let left: Float64Array;
  let right: Float64Array;
  const rows = state.rows;
  if (rows === undefined) {
    const negLog = Float64Array.from({ length: m + 1 }, (_, k) => -Math.log((k + 1) / (m + 1)));
    left = negLog;
    right = Float64Array.from({ length: m + 1 }, (_, k) => negLog[m - k] as number);
  } else {
    // A summary: each kept count read back to all its rows (+1 smoothing, as for a full state).
    left = Float64Array.from({ length: m + 1 }, (_, k) => -Math.log(Math.min(1, (fullCount(k, rows, m) + 1) / (rows + 1))));
    right = Float64Array.from({ length: m + 1 }, (_, k) => -Math.log(Math.min(1, (rows - fullCount(k, rows, m) + 1) / (rows + 1))));
  }
  const lookup = { values, atMost, left, right };
  lookups.set(state, lookup);
  return lookup;
}

/** Share of the training values of one feature that are at least `v` (one-hot columns: the level's share of rows). */
export function shareAtLeast(state: EcodState, feature: number, v: number): number {
  const col = state.sorted[feature];
  if (!col || col.length === 0) return 0;
  return (col.length - countLt(col, v)) / col.length;
}

/** Order statistics per feature at which the typical evidence is read (each stands for an equal share of training rows). */
const BASELINE_POINTS = 1024;
const baselines = new WeakMap<EcodState, Float64Array>();

/**
 * Per feature, the evidence a typical training row gets: the median, over the training values, of the
 * feature's term in the score (read at up to 1,024 evenly spaced order statistics). Even a value at the
 * median has a term of about log 2; reasons count only the evidence above this. (A categorical's one-hot
 * columns are read as one group instead: see `excessEvidence`.)
 */
export function ecodBaseline(state: EcodState): Float64Array {
  const cached = baselines.get(state);
  if (cached) return cached;
  const d = state.sorted.length;
  const m = state.sorted[0]?.length ?? 0;
  const k = Math.min(BASELINE_POINTS, m);
  const out = new Float64Array(d);
  if (k > 0) {
    const probe: Matrix = { rows: k, cols: d, data: new Float64Array(k * d) };
    for (let c = 0; c < d; c++) {
      const col = state.sorted[c] as Float64Array;
      for (let i = 0; i < k; i++) probe.data[i * d + c] = col[k === 1 ? 0 : Math.round((i * (m - 1)) / (k - 1))] as number;
    }
    const terms = new Float64Array(k * d);
    scoreEcod(state, probe, terms);
    const column = new Float64Array(k);
    for (let c = 0; c < d; c++) {
      for (let i = 0; i < k; i++) column[i] = terms[i * d + c] as number;
      column.sort();
      out[c] = k % 2 ? (column[k >> 1] as number) : ((column[(k >> 1) - 1] as number) + (column[k >> 1] as number)) / 2;
    }
  }
  baselines.set(state, out);
  return out;
}

/**
 * What reasons read of a one-hot group (a categorical's columns, at most one of them 1 in a row), per state
 * of the group: level j (column j at 1) or none (every column 0: a missing value or an unseen level, last).
 */
export interface OneHotStates {
  /** The training rows' share of each state (`oneHotShares`). */
  shares: number[];
  /**
   * 1 for a state rare in training, 0 for a common one. A state is rare when held by under half an even
   * spread's share of training rows (`rareShare`: under 1/(2k) with k states held by any row, as the time
   * rarity's rule), so a level of a three-way split at ~33 % each, or the 30 % level beside a 60 % one, is
   * never a reason, while a 1 % level is.
   */
  rare: Uint8Array;
  /** ECOD's evidence per state (`oneHotEvidence`), once asked for. */
  evidence?: Float64Array;
}

/**
 * ECOD's evidence per state of a one-hot group: its summed terms above the typical training row's, or 0
 * for a common state. The typical row's sum is the median of the group's summed terms over the training
 * rows, read from each state's share of rows.
 */
function oneHotEvidence(state: EcodState, group: readonly number[], states: OneHotStates): Float64Array {
  if (states.evidence) return states.evidence;
  const d = state.sorted.length;
  const { shares, rare } = states;
  // Row j holds state j: the group's terms at those values, read as scoring reads them.
  const rows = group.length + 1;
  const probe: Matrix = { rows, cols: d, data: new Float64Array(rows * d) };
  group.forEach((c, j) => (probe.data[j * d + c] = 1));
  const terms = new Float64Array(probe.data.length);
  scoreEcod(state, probe, terms);
  const sums = Array.from({ length: rows }, (_, j) => group.reduce((t, c) => t + (terms[j * d + c] as number), 0));
  // Weighted median: the sum at which the training rows at or below it first reach half.
  const order = sums.map((_, j) => j).sort((x, y) => (sums[x] as number) - (sums[y] as number));
  let typical = 0;
  let seen = 0;
  for (const j of order) {
    seen += shares[j] as number;
    typical = sums[j] as number;
    if (seen >= 0.5 - 1e-12) break;
  }
  states.evidence = Float64Array.from(sums, (v, j) => (rare[j] ? Math.max(0, v - typical) : 0));
  return states.evidence;
}

/**
 * The training rows' share of each state of a one-hot group: level j (column j at 1), then none (every
 * column 0: a missing value or an unseen level). `undefined` for a group whose columns are not 0/1 with
 * shares summing to at most 1.
 */
export function oneHotShares(state: EcodState, group: readonly number[]): number[] | undefined {
  const d = state.sorted.length;
  if (group.length === 0 || group.some((c) => !Number.isInteger(c) || c < 0 || c >= d)) return undefined;
  if (!group.every((c) => (state.sorted[c] as Float64Array).every((v) => v === 0 || v === 1))) return undefined;
  // From counts, not 1 − Σ shares: that is 1.1e-16 on some splits with no row missing (141/282/577 of
  // 1,000), a 'none' state held by no row that made k one larger, so 1/(2k) and whether a level was rare
  // hung on the other levels' counts.
  const kept = (state.sorted[group[0] as number] as Float64Array).length;
  if (kept === 0 || group.some((c) => (state.sorted[c] as Float64Array).length !== kept)) return undefined;
  // A summary (`compactEcod`) keeps each level's exact count beside its order statistics.
  const exact = state.rows !== undefined ? state.ones : undefined;
  if (exact && group.every((c) => Number.isInteger(exact[c]) && (exact[c] as number) >= 0)) {
    const total = state.rows as number;
    const counts = group.map((c) => exact[c] as number);
    const none = total - counts.reduce((t, v) => t + v, 0);
    return none < 0 ? undefined : [...counts, none].map((v) => v / total);
  }
  const counts = group.map((c) => kept - countLt(state.sorted[c] as Float64Array, 1));
  const sum = counts.reduce((t, v) => t + v, 0);
  const none = kept - sum;
  if (none >= 0) return [...counts, none].map((v) => v / kept);
  // A summary an earlier version saved, without the exact counts: each column's count of kept 1s is
  // rounded on its own (to within one kept point), so the group's can pass the total; then no training
  // row is read as holding no level, and the levels' shares are their counts' shares.
  if (state.rows === undefined || none < -group.length) return undefined;
  return [...counts.map((v) => v / sum), 0];
}

/** Under half an even spread's share: 1/(2k) with k states held by any training row (the time rarity's rule). */
function rareShare(shares: readonly number[]): number {
  return 1 / (2 * Math.max(1, shares.filter((v) => v > 0).length));
}

/** Per groups array (by identity: callers keep theirs, as the detector's `oneHotGroups` does), per state. */
const oneHotCache = new WeakMap<readonly (readonly number[])[], WeakMap<EcodState, Array<OneHotStates | undefined>>>();

/** Per one-hot group, its states (`undefined` for a group that is not 0/1: its columns are read one by one). */
function oneHotStates(state: EcodState, groups: readonly (readonly number[])[]): Array<OneHotStates | undefined> {
  let byState = oneHotCache.get(groups);
  if (!byState) {
    byState = new WeakMap();
    oneHotCache.set(groups, byState);
  }
  const cached = byState.get(state);
  if (cached) return cached;
  const computed = groups.map((group) => {
    const shares = oneHotShares(state, group);
    if (!shares) return undefined;
    const rare = rareShare(shares);
    return { shares, rare: Uint8Array.from(shares, (v) => (v < rare ? 1 : 0)) };
  });
  byState.set(state, computed);
  return computed;
}

/** `oneHotShares` of each group, read once per groups array and state (see `oneHotStates`). */
export function groupShares(state: EcodState, groups: readonly (readonly number[])[]): Array<readonly number[] | undefined> {
  return oneHotStates(state, groups).map((g) => g?.shares);
}

/**
 * Per-feature values (`values`, rows of `x`: ECOD's terms, the autoencoder's errors) as evidence relative
 * to training, in place. The columns of each one-hot group in `oneHot` (feature indices per categorical)
 * whose training columns in `state` are 0/1 are read together: the group gets `groupExcess` of the state
 * the row holds (index into the group, or its length for none) given the group's summed values, shared
 * among its columns by their values; every other column keeps its value above `baseline`, never below 0.
 */
export function oneHotExcess(
  state: EcodState,
  values: Float64Array,
  x: Matrix,
  oneHot: readonly (readonly number[])[],
  baseline: ArrayLike<number>,
  groupExcess: (k: number, states: OneHotStates, held: number, sum: number) => number,
): Float64Array {
  const cols = x.cols;
  const groups = oneHot.length ? oneHotStates(state, oneHot) : [];
  const grouped = new Uint8Array(cols);
  groups.forEach((g, k) => {
    if (g) for (const c of oneHot[k] as readonly number[]) grouped[c] = 1;
  });
  for (let r = 0; r < x.rows; r++) {
    const at = r * cols;
    groups.forEach((g, k) => {
      if (!g) return;
      const group = oneHot[k] as readonly number[];
      let held = group.findIndex((c) => x.data[at + c] === 1);
      if (held < 0) held = group.length;
      let sum = 0;
      for (const c of group) sum += values[at + c] as number;
      const excess = groupExcess(k, g, held, sum);
      for (const c of group) values[at + c] = excess > 0 && sum > 0 ? (excess * (values[at + c] as number)) / sum : 0;
    });
    for (let c = 0; c < cols; c++) if (!grouped[c]) values[at + c] = Math.max(0, (values[at + c] as number) - (baseline[c] as number));
  }
  return values;
}

/**
 * Per-feature evidence above the typical row's (`ecodBaseline`), never below 0, in place (`contrib` holds
 * `scoreEcod`'s terms for the rows of `x`). The columns of each one-hot group in `oneHot` (feature indices
 * per categorical) are read together (`oneHotExcess`): the group's evidence is its state's
 * (`oneHotEvidence`), shared among its columns by their terms. Read one by one, a row's own level was
 * evidence whenever fewer than half the rows held it (its column's term at 1 above the column's median
 * term, the one at 0), so a common category was a reason on every row.
 */
export function excessEvidence(
  state: EcodState,
  contrib: Float64Array,
  x: Matrix,
  oneHot: readonly (readonly number[])[] = [],
): Float64Array {
  return oneHotExcess(
    state,
    contrib,
    x,
    oneHot,
    ecodBaseline(state),
    (k, states, held) => oneHotEvidence(state, oneHot[k] as readonly number[], states)[held] as number,
  );
}

/** Scores each row; optionally fills `contrib` (rows × cols) with per-feature contributions. */
export function scoreEcod(state: EcodState, x: Matrix, contrib?: Float64Array): Float64Array {
  const out = new Float64Array(x.rows);
  const d = x.cols;
  // Both a full state (every training value) and a summary (`rows` set, its counts read back) take the
  // table path: a summary's one-hot columns hold two distinct values, not 4,096 to search.
  const lookup = lookupFor(state);
  for (let r = 0; r < x.rows; r++) {
    let total = 0;
    for (let c = 0; c < d; c++) {
      const v = x.data[r * d + c] as number;
      const values = lookup.values[c] as Float64Array;
      const atMost = lookup.atMost[c] as Int32Array;
      const lo = countLe(values, v);
      // lo distinct values are ≤ v; kept values < v stop one distinct value earlier when v is one.
      const le = lo > 0 ? (atMost[lo - 1] as number) : 0;
      const lt = lo > 0 && values[lo - 1] === v ? (lo > 1 ? (atMost[lo - 2] as number) : 0) : le;
      const a = lookup.left[le] as number;
      const b = lookup.right[lt] as number;
      // Per feature, as PyOD's ECOD (the implementation behind ADBench's ECOD column) aggregates: the
      // larger of the left tail, the right tail and the tail the sign of the skewness picks; the last
      // is one of the first two unless the skewness is exactly 0, where both tails are summed.
      const o = (state.skew[c] ?? 0) === 0 ? a + b : Math.max(a, b);
      total += o;
      if (contrib) contrib[r * d + c] = o;
    }
    out[r] = total;
  }
  return out;
}
