import { AppliedMLError } from '@appliedml/engine';
import { MAX_CELLS, type Matrix } from './matrix';
import { runSteps, type Steps } from './steps';

/**
 * PCA-style detector: the Mahalanobis distance of a row from the training mean, computed in the
 * principal-component basis of the standardised training features. Every component counts, each
 * divided by its variance, so a row that breaks a correlation the training data keeps (a small
 * minor-component variance) stands out even when each of its values is ordinary on its own. The
 * smallest variances are floored at 1e-6 of the largest, which keeps the score finite, but an exact
 * constraint of the training data still counts as hugely unusual when broken (a one-hot group whose
 * levels are all 0 for an unseen category scores far above every training row; documented). A
 * constant training column is left out. Unsupervised: no labels.
 */
export interface PcaState {
  kind: 'pca';
  mean: number[];
  /** Standard deviation per feature (0 for a constant feature, which is then ignored). */
  sd: number[];
  /** Principal directions, row k = component k (features long). */
  components: number[][];
  /** Variance along each component (floored). */
  variance: number[];
}

const FLOOR = 1e-6;

/** Eigen-decomposition of a symmetric matrix (cyclic Jacobi rotations). Returns eigenvalues and eigenvectors as columns of v. */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  return runSteps(symmetricEigenSteps(a, n));
}

/** `symmetricEigen` as steps: a yield after each sweep (the same values). */
function* symmetricEigenSteps(a: Float64Array, n: number): Steps<{ values: Float64Array; vectors: Float64Array }> {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += (m[i * n + i] as number) ** 2;
      for (let j = i + 1; j < n; j++) off += (m[i * n + j] as number) ** 2;
    }
    if (off <= 1e-22 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q] as number;
        if (Math.abs(apq) < 1e-300) continue;
        const app = m[p * n + p] as number;
        const aqq = m[q * n + q] as number;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p] as number;
          const mkq = m[k * n + q] as number;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k] as number;
          const mqk = m[q * n + k] as number;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p] as number;
          const vkq = v[k * n + q] as number;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
    yield;
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i] as number;
  return { values, vectors: v };
}

export function fitPca(x: Matrix): PcaState {
  return runSteps(fitPcaSteps(x));
}

/**
 * Products (features × features) the fit's covariance works through between yields: a few tens of ms
 * of work here.
 */
const FIT_STEP_CELLS = 2 ** 22;

/**
 * `fitPca` as steps: a yield every few thousand rows of the mean and the covariance (fewer with more
 * features) and after each sweep of the eigen-decomposition, where a caller may pause; the same values.
 */
export function* fitPcaSteps(x: Matrix): Steps<PcaState> {
  const d = x.cols;
  const n = x.rows;
  // Four features × features matrices (covariance, correlation, and the eigen-decomposition's two): past
  // ~65,000 features a bare RangeError ('Invalid typed array length'), and below that up to tens of GB.
  if (d * d > MAX_CELLS)
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `The pca detector needs a ${d}×${d} correlation matrix of the features (${d * d} cells), past the ${MAX_CELLS} cells a call may hold (and its fit grows as the cube of the features). Use fewer features, or another detector (ecod, iforest, gbt).`,
      { details: { features: d, cells: d * d, maxCells: MAX_CELLS } },
    );
  const stepRows = Math.max(1, Math.floor(FIT_STEP_CELLS / (d * d)));
  const mean = new Array<number>(d).fill(0);
  for (let r = 0; r < n; r++) {
    if (r > 0 && r % (stepRows * d) === 0) yield;
    for (let c = 0; c < d; c++) mean[c] = (mean[c] as number) + (x.data[r * d + c] as number) / n;
  }
  yield;
  const cov = new Float64Array(d * d);
  const z = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    if (r > 0 && r % stepRows === 0) yield;
    for (let c = 0; c < d; c++) z[c] = (x.data[r * d + c] as number) - (mean[c] as number);
    for (let i = 0; i < d; i++) {
      const zi = z[i] as number;
      if (zi === 0) continue;
      for (let j = i; j < d; j++) cov[i * d + j] = (cov[i * d + j] as number) + zi * (z[j] as number);
    }
  }
  // A constant column's mean carries rounding (1/n summed n times is not exactly 1), which leaves it a
  // standard deviation of about 1e-16 instead of 0: such a column is constant, and left out.
  const sd = mean.map((m, c) => {
    const v = Math.sqrt((cov[c * d + c] as number) / Math.max(1, n - 1));
    return v <= 1e-9 * Math.max(1, Math.abs(m)) ? 0 : v;
  });
  // Correlation matrix of the non-constant features (standardised PCA).
  const corr = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const si = sd[i] as number;
      const sj = sd[j] as number;
      const v = si > 0 && sj > 0 ? (cov[i * d + j] as number) / Math.max(1, n - 1) / (si * sj) : 0;
      corr[i * d + j] = v;
      corr[j * d + i] = v;
    }
  }
  const { values, vectors } = yield* symmetricEigenSteps(corr, d);
  // Loops, not Math.max(...): one argument per feature overflows the call stack past ~120,000.
  let top = 1e-12;
  for (const v of values) if (v > top) top = v;
  const components: number[][] = [];
  const variance: number[] = [];
  for (let k = 0; k < d; k++) {
    // Constant features are zero after standardising, so directions made of them add nothing.
    components.push(Array.from({ length: d }, (_, i) => vectors[i * d + k] as number));
    variance.push(Math.max(values[k] as number, FLOOR * top));
  }
  return { kind: 'pca', mean, sd: sd.map((s) => (s > 0 ? s : 0)), components, variance };
}

/** A finite number list of length `n` whose every value passes `ok`. */
function numbers(v: unknown, n: number, ok: (x: number) => boolean): v is number[] {
  return Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x) && ok(x));
}

/**
 * A saved PCA state holds what `fitPca` makes, so every score it gives is finite: a mean within the
 * scaled features' range, standard deviations 0 (constant) or at least 1e-100 (so no division
 * overflows), unit-length directions of `features` values, and the correlation matrix's eigenvalues
 * (positive, the largest between 1/features and features when any feature varies, the rest floored at
 * 1e-6 of it).
 */
export function checkPcaState(s: unknown, features: number, meanLimit: number): s is PcaState {
  if (!s || typeof s !== 'object') return false;
  const st = s as PcaState;
  if (st.kind !== 'pca') return false;
  if (!numbers(st.mean, features, (v) => Math.abs(v) <= meanLimit)) return false;
  // Bundles saved before this check kept a constant one-hot column's rounding (an sd near 1e-16): still finite scores.
  if (!numbers(st.sd, features, (v) => v === 0 || (v >= 1e-100 && v <= 2 * meanLimit))) return false;
  const k = Array.isArray(st.components) ? st.components.length : -1;
  if (k < 1 || k > features || !numbers(st.variance, k, (v) => v > 0)) return false;
  if (!st.components.every((c) => numbers(c, features, (v) => Math.abs(v) <= 1 + 1e-9))) return false;
  let top = -Infinity;
  for (const v of st.variance) if (v > top) top = v;
  if (!st.variance.every((v) => v >= FLOOR * top * (1 - 1e-9))) return false;
  const varies = st.sd.some((v) => v > 0);
  return !varies || (top >= (1 / features) * (1 - 1e-9) && top <= features * (1 + 1e-9));
}

/**
 * Products (components × features) a scoring works through between yields: about 10–25 ms of work here
 * (359 rows of 108 features and components; a 2,048-row block with evidence took 0.15 s of CPU).
 */
const STEP_PRODUCTS = 2 ** 22;

/** Rows scored between yields: at least one. */
export function pcaStepRows(state: PcaState, cols: number): number {
  return Math.max(1, Math.floor(STEP_PRODUCTS / Math.max(1, state.components.length * cols)));
}

/** Mahalanobis distance of each row (higher = more anomalous). */
export function scorePca(state: PcaState, x: Matrix): Float64Array {
  return runSteps(scores(state, x));
}

/**
 * `scorePca` (with `contrib`, `scorePcaWithContrib`) as steps: a yield every `pcaStepRows` rows, where a
 * caller may give the event loop a turn; the same values (rows are scored one by one).
 */
export function scorePcaSteps(state: PcaState, x: Matrix, contrib?: Float64Array): Steps<Float64Array> {
  return contrib ? scoresWithContrib(state, x, contrib) : scores(state, x);
}

function* scores(state: PcaState, x: Matrix): Steps<Float64Array> {
  const d = x.cols;
  const out = new Float64Array(x.rows);
  const z = new Float64Array(d);
  const k = state.components.length;
  const comp = new Float64Array(k * d);
  state.components.forEach((c, i) => comp.set(c, i * d));
  const inv = state.variance.map((v) => 1 / v);
  const stepRows = pcaStepRows(state, d);
  for (let r = 0; r < x.rows; r++) {
    if (r > 0 && r % stepRows === 0) yield;
    for (let c = 0; c < d; c++) {
      const s = state.sd[c] as number;
      z[c] = s > 0 ? ((x.data[r * d + c] as number) - (state.mean[c] as number)) / s : 0;
    }
    let total = 0;
    for (let j = 0; j < k; j++) {
      let p = 0;
      const off = j * d;
      for (let c = 0; c < d; c++) p += (comp[off + c] as number) * (z[c] as number);
      total += p * p * (inv[j] as number);
    }
    out[r] = Math.sqrt(total);
  }
  return out;
}

/**
 * Scores plus per-feature evidence (rows × cols, added to `contrib`): the squared distance
 * Σ_j p_j² / λ_j with p_j = Σ_c v_jc z_c is shared as Σ_j p_j v_jc z_c / λ_j per feature (a feature
 * pulling the row along a rare direction gains, one pulling it back loses), scaled so the evidence adds
 * up to the distance.
 */
export function scorePcaWithContrib(state: PcaState, x: Matrix, contrib: Float64Array): Float64Array {
  return runSteps(scoresWithContrib(state, x, contrib));
}

function* scoresWithContrib(state: PcaState, x: Matrix, contrib: Float64Array): Steps<Float64Array> {
  const d = x.cols;
  const out = new Float64Array(x.rows);
  const z = new Float64Array(d);
  const part = new Float64Array(d);
  const k = state.components.length;
  const stepRows = pcaStepRows(state, d);
  for (let r = 0; r < x.rows; r++) {
    if (r > 0 && r % stepRows === 0) yield;
    for (let c = 0; c < d; c++) {
      const s = state.sd[c] as number;
      z[c] = s > 0 ? ((x.data[r * d + c] as number) - (state.mean[c] as number)) / s : 0;
    }
    part.fill(0);
    let total = 0;
    for (let j = 0; j < k; j++) {
      const comp = state.components[j] as ArrayLike<number>;
      let p = 0;
      for (let c = 0; c < d; c++) p += (comp[c] as number) * (z[c] as number);
      // As scorePca: the same products in the same order, so the scores are the same to the last bit.
      const inv = 1 / (state.variance[j] as number);
      total += p * p * inv;
      const w = p * inv;
      for (let c = 0; c < d; c++) part[c] = (part[c] as number) + w * (comp[c] as number) * (z[c] as number);
    }
    const dist = Math.sqrt(total);
    out[r] = dist;
    if (dist > 0) for (let c = 0; c < d; c++) contrib[r * d + c] = (contrib[r * d + c] as number) + (part[c] as number) / dist;
  }
  return out;
}
