import { createRng } from '@appliedml/engine';
import type { Matrix } from './matrix';
import { runSteps, type Steps } from './steps';

/**
 * Distance-based detector (kNN, Ramaswamy et al. 2000 / Angiulli and Pizzuti 2002): the mean
 * Euclidean distance of a row to its k nearest rows in a seeded reference sample of the training
 * data (at most `reference` rows, so scoring stays linear in the batch). Features are the scaled
 * features clipped to ±10, so one wild value cannot decide every distance. Unsupervised.
 */
export interface KnnOptions {
  /** Neighbours averaged (default `KNN_DEFAULT_K`, 10; at most the training rows less one). */
  k?: number;
  /** Reference rows kept from the training data (default 2048). */
  reference?: number;
  seed?: number;
}

export interface KnnState {
  kind: 'knn';
  k: number;
  cols: number;
  /** Reference rows, row-major (clipped features). */
  ref: number[];
}

const CLIP = 10;

/** Neighbours a kNN detector averages when its options give no `k`. */
export const KNN_DEFAULT_K = 10;

/**
 * The neighbours a row's score averages: `k` (default `KNN_DEFAULT_K`) clamped to [1, rows − 1] at fit,
 * and to the reference sample the state keeps.
 */
export function knnNeighbours(state: KnnState): number {
  return Math.max(1, Math.min(state.k, state.ref.length / state.cols));
}

export function fitKnn(x: Matrix, options: KnnOptions = {}): { state: KnnState; trainScores: Float64Array } {
  return runSteps(fitKnnSteps(x, options));
}

/** `fitKnn` as steps: its training rows' scores yield every `knnStepRows` rows (the same values). */
export function* fitKnnSteps(x: Matrix, options: KnnOptions = {}): Steps<{ state: KnnState; trainScores: Float64Array }> {
  const k = Math.max(1, Math.min(options.k ?? KNN_DEFAULT_K, x.rows - 1));
  const m = Math.min(options.reference ?? 2048, x.rows);
  const rng = createRng(options.seed ?? 0);
  const idx = rng.shuffle(Array.from({ length: x.rows }, (_, i) => i)).slice(0, m);
  const ref: number[] = [];
  for (const r of idx) for (let c = 0; c < x.cols; c++) ref.push(clip(x.data[r * x.cols + c] as number));
  const state: KnnState = { kind: 'knn', k, cols: x.cols, ref };
  // Training rows that are in the reference skip their own entry (leave-one-out), so training
  // scores are on the same footing as scores of new rows.
  const self = new Int32Array(x.rows).fill(-1);
  idx.forEach((r, j) => (self[r] = j));
  return { state, trainScores: yield* score(state, x, self) };
}

/**
 * A saved kNN state as `fitKnn` makes it: an integer k in [1, 1000], `features` columns, and at least
 * one reference row, of finite values within the clip (±10).
 */
export function checkKnnState(s: unknown, features: number): s is KnnState {
  if (!s || typeof s !== 'object') return false;
  const st = s as KnnState;
  if (st.kind !== 'knn' || st.cols !== features || !Number.isInteger(st.k) || st.k < 1 || st.k > 1000) return false;
  // A reference sample smaller than k (`reference` < `k`) averages over the rows it has.
  if (!Array.isArray(st.ref) || st.ref.length === 0 || st.ref.length % features !== 0) return false;
  return st.ref.every((v) => typeof v === 'number' && Math.abs(v) <= CLIP);
}

function clip(v: number): number {
  return v > CLIP ? CLIP : v < -CLIP ? -CLIP : v;
}

export function scoreKnn(state: KnnState, x: Matrix): Float64Array {
  return runSteps(score(state, x));
}

/**
 * Feature values compared (rows × reference rows × features) between a scoring's yields: about 20 ms of
 * work here (151 rows of 108 features against the 2,048 default reference rows; a 2,048-row block took
 * 0.3–0.6 s in one go).
 */
const STEP_CELLS = 2 ** 25;

/** Rows scored between yields: at least one, however large the reference. */
export function knnStepRows(state: KnnState): number {
  return Math.max(1, Math.floor(STEP_CELLS / state.ref.length));
}

/**
 * Mean distance to the k nearest reference rows (`self[r]`: a reference row row r leaves out). With
 * `contrib` (rows × cols), also adds each feature's share of those distances: Σ_c (x_c − n_c)² / distance
 * adds up to the distance, so a row's evidence adds up to its score. Yields every `knnStepRows` rows
 * (rows are scored one by one, so the values are those of one pass).
 */
function* score(state: KnnState, x: Matrix, self?: Int32Array, contrib?: Float64Array): Steps<Float64Array> {
  const d = x.cols;
  const ref = Float64Array.from(state.ref);
  const m = ref.length / d;
  const k = state.k;
  const out = new Float64Array(x.rows);
  const best = new Float64Array(k);
  const who = new Int32Array(k);
  const row = new Float64Array(d);
  const stepRows = knnStepRows(state);
  for (let r = 0; r < x.rows; r++) {
    if (r > 0 && r % stepRows === 0) yield;
    for (let c = 0; c < d; c++) row[c] = clip(x.data[r * d + c] as number);
    best.fill(Infinity);
    let worst = Infinity;
    const skip = self ? (self[r] as number) : -1;
    for (let j = 0; j < m; j++) {
      if (j === skip) continue;
      let s = 0;
      const off = j * d;
      for (let c = 0; c < d && s < worst; c++) {
        const t = (row[c] as number) - (ref[off + c] as number);
        s += t * t;
      }
      if (s >= worst) continue;
      // Insert into the sorted k best (squared distances).
      let i = k - 1;
      while (i > 0 && (best[i - 1] as number) > s) {
        best[i] = best[i - 1] as number;
        who[i] = who[i - 1] as number;
        i--;
      }
      best[i] = s;
      who[i] = j;
      worst = best[k - 1] as number;
    }
    let total = 0;
    let count = 0;
    for (let i = 0; i < k; i++) {
      const b = best[i] as number;
      if (Number.isFinite(b)) {
        total += Math.sqrt(b);
        count++;
      }
    }
    out[r] = count ? total / count : 0;
    if (contrib)
      for (let i = 0; i < count; i++) {
        const dist = Math.sqrt(best[i] as number);
        if (dist === 0) continue;
        const off = (who[i] as number) * d;
        for (let c = 0; c < d; c++) {
          const t = (row[c] as number) - (ref[off + c] as number);
          contrib[r * d + c] = (contrib[r * d + c] as number) + (t * t) / dist / count;
        }
      }
  }
  return out;
}

/** Scores plus per-feature evidence (rows × cols, added to `contrib`), which adds up to each row's score. */
export function scoreKnnWithContrib(state: KnnState, x: Matrix, contrib: Float64Array): Float64Array {
  return runSteps(score(state, x, undefined, contrib));
}

/**
 * `scoreKnn` (with `contrib`, `scoreKnnWithContrib`) as steps: a yield every `knnStepRows` rows, where a
 * caller may give the event loop a turn; the same values.
 */
export function scoreKnnSteps(state: KnnState, x: Matrix, contrib?: Float64Array): Steps<Float64Array> {
  return score(state, x, undefined, contrib);
}
