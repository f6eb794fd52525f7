import { AppliedMLError, describeValue } from '@appliedml/engine';
import type { Adjacency } from './adjacency';
import { checkNoHoles } from './option-lists';
import type { SensorScaler } from './scaler';
import type { WindowBatch } from './windows';
import { runSync, WINDOWS_PER_YIELD, type Work } from './work-turns';

/**
 * Graph ridge: per sensor, a ridge regression of the change from its last reading at every step
 * ahead on its own input window, the last few readings of its strongest neighbours in the road graph
 * and the historical average at every step ahead (all relative to the sensor's last reading, in its
 * units) and the time of day. Closed form, seconds to train, and on Los-loop a stronger forecaster
 * than the recurrent models.
 */
export interface RidgeConfig {
  /** Strongest neighbours (by adjacency weight) whose readings each sensor sees (default 6; 0 without a graph). */
  neighbours: number;
  /** Last readings of each neighbour used (default 6, at most inputSteps). */
  neighbourLags: number;
  /** Also read the historical average (by time of day, weekday/weekend) at every step ahead (default true). */
  historicalAverage: boolean;
  /**
   * Ridge strengths tried; for each step ahead the one with the lowest validation error on the last windows of the training series is kept.
   * They are added to the diagonal of each sensor's Gram matrix of raw features (changes in the readings' units, summed over the
   * training windows), so they are in the readings' units squared: readings k times larger need lambdas k² times larger for the
   * same fit. The defaults suit speeds in mph or km/h over days of 5-minute steps (on Los-loop the diagonal averages 6e3 to 6e5).
   */
  lambdas: number[];
}

export const RIDGE_DEFAULTS: RidgeConfig = {
  neighbours: 6,
  neighbourLags: 6,
  historicalAverage: true,
  lambdas: [10, 100, 1000, 10_000, 100_000],
};

/** A fitted graph ridge: per sensor its neighbours and its weights [features, outputSteps]. */
export interface RidgeModel {
  neighbours: number[][];
  /** The ridge strength chosen for each step ahead. */
  lambdas: number[];
  /** Features per sensor (inputSteps + neighbours × neighbourLags + 3, + outputSteps with the historical average). */
  features: number;
  /** [sensors, features, outputSteps], row-major. */
  weights: Float64Array;
}

export function resolveRidgeConfig(config: Partial<RidgeConfig> | undefined, inputSteps: number): RidgeConfig {
  const c = { ...RIDGE_DEFAULTS, ...config };
  const int = (v: unknown, name: string, max: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
      throw new AppliedMLError('E_INPUT_INVALID', `ridge.${name} must be an integer in 0..${max}; got ${String(v)}.`, {
        details: { [name]: v },
      });
    return v;
  };
  const lambdas = c.lambdas;
  if (!Array.isArray(lambdas) || lambdas.length === 0)
    throw new AppliedMLError('E_INPUT_INVALID', 'ridge.lambdas must be a non-empty array of positive numbers.');
  checkNoHoles('ridge.lambdas', lambdas);
  const bad = lambdas.findIndex((l) => !(typeof l === 'number' && Number.isFinite(l) && l > 0));
  if (bad >= 0)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `ridge.lambdas must be a non-empty array of positive numbers; index ${bad} is ${describeValue(lambdas[bad])}.`,
      { details: { field: 'ridge.lambdas', index: bad } },
    );
  if (typeof c.historicalAverage !== 'boolean')
    throw new AppliedMLError('E_INPUT_INVALID', `ridge.historicalAverage must be true or false; got ${String(c.historicalAverage)}.`);
  return {
    historicalAverage: c.historicalAverage,
    neighbours: int(c.neighbours, 'neighbours', 64),
    neighbourLags: Math.max(1, Math.min(inputSteps, int(c.neighbourLags, 'neighbourLags', 10_000))),
    lambdas: [...lambdas],
  };
}

/** Each sensor's strongest neighbours in the graph (positive weights, itself excluded, ties by index). */
export function strongestNeighbours(adjacency: Adjacency | undefined, sensors: number, count: number): number[][] {
  return Array.from({ length: sensors }, (_, s) => {
    if (!adjacency || count === 0) return [];
    const row: { j: number; w: number }[] = [];
    for (let j = 0; j < sensors; j++) {
      const w = adjacency.weights[s * sensors + j] as number;
      if (j !== s && w > 0) row.push({ j, w });
    }
    return row
      .sort((a, b) => b.w - a.w || a.j - b.j)
      .slice(0, count)
      .map((e) => e.j);
  });
}

interface Shape {
  inputSteps: number;
  outputSteps: number;
  sensors: number;
  /** Features per step in the window batch (featureCount). */
  stepFeatures: number;
}

let scratch = new Float64Array(0);

/**
 * Sensor j's readings in window b (raw units) with gaps filled: a missing reading repeats the one
 * before it (a gap at the start takes the first reading after it; no reading at all, the window's
 * fallback, the sensor's mean). Returns a reused buffer, valid until the next call.
 */
function readings(inputs: WindowBatch, b: number, j: number, shape: Shape, scaler: SensorScaler): Float64Array {
  const { inputSteps: T, sensors: n, stepFeatures: F } = shape;
  if (scratch.length < T) scratch = new Float64Array(T);
  let previous = NaN;
  let firstSeen = -1;
  for (let k = 0; k < T; k++) {
    const at = ((b * T + k) * n + j) * F;
    if ((inputs.x[at + 1] as number) === 1) {
      previous = (inputs.x[at] as number) * (scaler.std[j] as number) + (scaler.mean[j] as number);
      if (firstSeen < 0) firstSeen = k;
    }
    scratch[k] = previous;
  }
  const lead = firstSeen < 0 ? (inputs.last[b * n + j] as number) : (scratch[firstSeen] as number);
  for (let k = 0; k < (firstSeen < 0 ? T : firstSeen); k++) scratch[k] = lead;
  return scratch;
}

/** The regression features of sensor s for window b, written into `out` (raw units, relative to s's last reading). */
function rowFeatures(
  inputs: WindowBatch,
  ha: Float64Array | null,
  b: number,
  s: number,
  neighbours: readonly number[],
  lags: number,
  shape: Shape,
  scaler: SensorScaler,
  out: Float64Array,
): void {
  const { inputSteps: T, sensors: n } = shape;
  const last = inputs.last[b * n + s] as number;
  let d = 0;
  const F = shape.stepFeatures;
  const own = readings(inputs, b, s, shape, scaler);
  for (let k = 0; k < T; k++) out[d++] = (own[k] as number) - last;
  for (const j of neighbours) {
    const theirs = readings(inputs, b, j, shape, scaler);
    for (let k = T - lags; k < T; k++) out[d++] = (theirs[k] as number) - last;
  }
  const clock = ((b * T + T - 1) * n + s) * F;
  out[d++] = inputs.x[clock + 2] as number; // time-of-day sin
  out[d++] = inputs.x[clock + 3] as number; // time-of-day cos
  out[d++] = 1;
  if (ha) for (let p = 0; p < shape.outputSteps; p++) out[d++] = (ha[(b * shape.outputSteps + p) * n + s] as number) - last;
}

/** The Cholesky factor L of G + λI (lower triangle of G read), G: d×d symmetric positive-definite. */
function cholesky(gram: Float64Array, d: number, lambda: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = (gram[i * d + j] as number) + (i === j ? lambda : 0);
      for (let k = 0; k < j; k++) sum -= (l[i * d + k] as number) * (l[j * d + k] as number);
      l[i * d + j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / (l[j * d + j] as number);
    }
  }
  return l;
}

/** Solves L Lᵀ W = R for W (d×p) given the Cholesky factor L (d×d) and R (d×p). */
function solveFactored(l: Float64Array, rhs: Float64Array, d: number, p: number): Float64Array {
  const w = new Float64Array(d * p);
  const z = new Float64Array(d);
  for (let c = 0; c < p; c++) {
    for (let i = 0; i < d; i++) {
      let sum = rhs[i * p + c] as number;
      for (let k = 0; k < i; k++) sum -= (l[i * d + k] as number) * (z[k] as number);
      z[i] = sum / (l[i * d + i] as number);
    }
    for (let i = d - 1; i >= 0; i--) {
      let sum = z[i] as number;
      for (let k = i + 1; k < d; k++) sum -= (l[k * d + i] as number) * (w[k * p + c] as number);
      w[i * p + c] = sum / (l[i * d + i] as number);
    }
  }
  return w;
}

/** Solves (G + λI) W = R for symmetric positive-definite G (Cholesky), G: d×d, R: d×p; returns W (d×p). */
function ridgeSolve(gram: Float64Array, rhs: Float64Array, d: number, p: number, lambda: number): Float64Array {
  return solveFactored(cholesky(gram, d, lambda), rhs, d, p);
}

/** Adds sign × row rowᵀ (lower triangle) into target[at ..] (D×D). */
function addOuter(target: Float64Array, at: number, row: Float64Array, D: number, sign: number): void {
  for (let i = 0; i < D; i++) {
    const ri = sign * (row[i] as number);
    if (ri === 0) continue;
    const r = at + i * D;
    for (let j = 0; j <= i; j++) target[r + j] = (target[r + j] as number) + ri * (row[j] as number);
  }
}

/** Adds sign × source (lower triangle, D×D) into target[at ..]. */
function addMatrix(target: Float64Array, at: number, source: Float64Array, D: number, sign: number): void {
  for (let i = 0; i < D; i++) {
    const r = i * D;
    for (let j = 0; j <= i; j++) target[at + r + j] = (target[at + r + j] as number) + sign * (source[r + j] as number);
  }
}

/** Counts of the fit's heavy steps (tests bound the work with them). */
export interface RidgeWork {
  /** Rank-one updates of a D×D Gram matrix (one per window added to a sum, or subtracted from one). */
  outerProducts: number;
  /** Cholesky factorisations. */
  factorisations: number;
}

/** Memory for the per-sensor sums of windows sharing a pattern of observed steps ahead (8e6 doubles, 64 MB). */
const PATTERN_BUDGET = 8_000_000;

/**
 * A sensor's sums over training windows: the Gram matrix and right-hand side over the windows observed
 * at every step ahead and, when some windows miss a step ahead, per step ahead the sums over the other
 * windows that observed that step (allocated only then: complete data never needs them).
 */
interface RidgeSums {
  /** D×D (lower triangle used). */
  gram: Float64Array;
  /** D×P. */
  rhs: Float64Array;
  /** P×D×D, or null when every counted window observed every step ahead. */
  partialGram: Float64Array | null;
  /** P×D. */
  partialRhs: Float64Array | null;
}

/**
 * Fits the graph ridge on training windows (inputs from buildInputs, targets from buildTargets:
 * [windows, outputSteps, sensors, (scaled change, observed)], `ha` the historical-average forecasts
 * [windows, outputSteps, sensors] in raw units or null). The ridge strength is chosen on the
 * last `valFraction` of the windows (chronological), then the model is refitted on all of them.
 * Missing targets are masked per step ahead: each step ahead's weights of a sensor are fitted on the
 * windows where that step was observed (a sensor reporting every 10 min on a 5-min grid still has
 * half its windows for each step ahead), and validation scores each step where it was observed.
 * On complete data this is the plain multi-output ridge (one Gram matrix for all steps ahead).
 */
export function fitGraphRidge(
  inputs: WindowBatch,
  ha: Float64Array | null,
  targets: Float32Array,
  shape: Shape,
  scaler: SensorScaler,
  neighbours: number[][],
  config: RidgeConfig,
  valFraction: number,
  sensorIds: readonly string[],
  work?: RidgeWork,
): RidgeModel {
  return runSync(fitGraphRidgeWork(inputs, ha, targets, shape, scaler, neighbours, config, valFraction, sensorIds, work));
}

/**
 * `fitGraphRidge` as work (see work-turns) that yields every WINDOWS_PER_YIELD windows summed or
 * scored and after each solve: the same sums in the same order, so the same weights.
 */
export function* fitGraphRidgeWork(
  inputs: WindowBatch,
  ha: Float64Array | null,
  targets: Float32Array,
  shape: Shape,
  scaler: SensorScaler,
  neighbours: number[][],
  config: RidgeConfig,
  valFraction: number,
  sensorIds: readonly string[],
  work?: RidgeWork,
): Work<RidgeModel> {
  const { outputSteps: P, sensors: n } = shape;
  const K = neighbours.reduce((m, a) => Math.max(m, a.length), 0);
  const D = shape.inputSteps + K * config.neighbourLags + 3 + (ha ? P : 0);
  const count = inputs.count;
  const cut = valFraction > 0 ? Math.max(1, Math.floor(count * (1 - valFraction))) : count;
  const row = new Float64Array(D);
  const target = new Float64Array(P);
  const observed = new Uint8Array(P);
  // Partial windows (missing some step ahead) are summed once per pattern of observed steps ahead, then
  // each pattern's sum goes to the steps it observed (added to each), or, when it observed more than it
  // missed, once to every step and taken out of the steps it missed: each window's outer product is
  // formed once, where adding it to every step it observed took up to P of them.
  const patterns = new Map<string, { at: number; observed: Uint8Array; seen: number }>();
  const maxPatterns = Math.max(1, Math.floor(PATTERN_BUDGET / (D * D)));
  let pool = new Float64Array(0);
  const base = new Float64Array(D * D);
  // Sends a partial sum (an outer product of `row`, or a pattern's matrix) to the steps ahead.
  const route = (pg: Float64Array, observed: Uint8Array, seen: number, add: (target: Float64Array, at: number, sign: number) => void) => {
    if (seen <= 1 + (P - seen)) {
      for (let c = 0; c < P; c++) if (observed[c] === 1) add(pg, c * D * D, 1);
      return;
    }
    add(base, 0, 1);
    for (let c = 0; c < P; c++) if (observed[c] !== 1) add(pg, c * D * D, -1);
  };
  // Sensor s's sums over windows [from, to).
  const accumulate = function* (s: number, from: number, to: number): Work<RidgeSums> {
    const sums: RidgeSums = { gram: new Float64Array(D * D), rhs: new Float64Array(D * P), partialGram: null, partialRhs: null };
    const { gram, rhs } = sums;
    patterns.clear();
    base.fill(0);
    let baseUsed = false;
    for (let b = from; b < to; b++) {
      if (b > from && (b - from) % WINDOWS_PER_YIELD === 0) yield;
      const seen = fillTarget(targets, b, s, shape, scaler, target, observed);
      if (seen === 0) continue;
      row.fill(0);
      rowFeatures(inputs, ha, b, s, neighbours[s] as number[], config.neighbourLags, shape, scaler, row);
      if (seen === P) {
        addOuter(gram, 0, row, D, 1);
        if (work) work.outerProducts++;
        for (let i = 0; i < D; i++) {
          const ri = row[i] as number;
          if (ri === 0) continue;
          for (let c = 0; c < P; c++) rhs[i * P + c] = (rhs[i * P + c] as number) + ri * (target[c] as number);
        }
        continue;
      }
      const pg = (sums.partialGram ??= new Float64Array(P * D * D));
      const pr = (sums.partialRhs ??= new Float64Array(P * D));
      for (let c = 0; c < P; c++) {
        if (observed[c] !== 1) continue;
        for (let i = 0; i < D; i++) {
          const ri = row[i] as number;
          if (ri !== 0) pr[c * D + i] = (pr[c * D + i] as number) + ri * (target[c] as number);
        }
      }
      const key = observed.join('');
      let pattern = patterns.get(key);
      if (!pattern && patterns.size < maxPatterns) {
        const at = patterns.size * D * D;
        if (pool.length < at + D * D) {
          const grown = new Float64Array(Math.min(maxPatterns, Math.max(4, 2 * (patterns.size + 1))) * D * D);
          grown.set(pool.subarray(0, at));
          pool = grown;
        }
        pool.fill(0, at, at + D * D);
        pattern = { at, observed: Uint8Array.from(observed), seen };
        patterns.set(key, pattern);
      }
      if (pattern) {
        addOuter(pool, pattern.at, row, D, 1);
        if (work) work.outerProducts++;
      } else {
        // Past the memory for patterns: this window goes to the steps ahead on its own.
        route(pg, observed, seen, (t, at, sign) => {
          addOuter(t, at, row, D, sign);
          if (work) work.outerProducts++;
        });
        if (seen > 1 + (P - seen)) baseUsed = true;
      }
    }
    const pg = sums.partialGram;
    if (pg) {
      for (const pattern of patterns.values()) {
        const matrix = pool.subarray(pattern.at, pattern.at + D * D);
        route(pg, pattern.observed, pattern.seen, (t, at, sign) => addMatrix(t, at, matrix, D, sign));
        if (pattern.seen > 1 + (P - pattern.seen)) baseUsed = true;
      }
      if (baseUsed) for (let c = 0; c < P; c++) addMatrix(pg, c * D * D, base, D, 1);
    }
    return sums;
  };
  // Weights [D, P] for one strength: one solve for all steps ahead, or one per step ahead when windows
  // missed some (steps ahead whose sums are the same, as with readings every other step, share a factorisation).
  const solve = (sums: RidgeSums, lambda: number): Float64Array => {
    const { partialGram: pg, partialRhs: pr } = sums;
    if (!pg || !pr) {
      if (work) work.factorisations++;
      return ridgeSolve(sums.gram, sums.rhs, D, P, lambda);
    }
    const w = new Float64Array(D * P);
    const g = new Float64Array(D * D);
    const r = new Float64Array(D);
    const factors: { c: number; l: Float64Array }[] = [];
    const same = (a: number, b: number): boolean => {
      for (let k = 0; k < D * D; k++) if (pg[a * D * D + k] !== pg[b * D * D + k]) return false;
      return true;
    };
    for (let c = 0; c < P; c++) {
      let l = factors.find((f) => same(f.c, c))?.l;
      if (!l) {
        for (let k = 0; k < D * D; k++) g[k] = (sums.gram[k] as number) + (pg[c * D * D + k] as number);
        l = cholesky(g, D, lambda);
        if (work) work.factorisations++;
        factors.push({ c, l });
      }
      for (let i = 0; i < D; i++) r[i] = (sums.rhs[i * P + c] as number) + (pr[c * D + i] as number);
      const wc = solveFactored(l, r, D, 1);
      for (let i = 0; i < D; i++) w[i * P + c] = wc[i] as number;
    }
    return w;
  };
  // One strength per step ahead, chosen on validation. Without validation windows: the middle of the
  // candidates (the weakest would overfit the window's many correlated features).
  const fallback = config.lambdas[Math.floor(config.lambdas.length / 2)] as number;
  const choose = cut < count && config.lambdas.length > 1;
  const candidates = choose ? config.lambdas : [fallback];
  const se = candidates.map(() => new Float64Array(P));
  // Per candidate strength, every sensor's weights fitted on all windows (the kept one is picked per step ahead below).
  const fitted = candidates.map(() => new Float64Array(n * D * P));
  const diagonals = new Float64Array(n);
  // Validation windows that observed each step ahead.
  const scored = new Float64Array(P);
  for (let s = 0; s < n; s++) {
    const all = yield* accumulate(s, 0, count);
    let trace = 0;
    for (let i = 0; i < D; i++) trace += all.gram[i * D + i] as number;
    if (all.partialGram) {
      let partial = 0;
      for (let c = 0; c < P; c++) for (let i = 0; i < D; i++) partial += all.partialGram[c * D * D + i * D + i] as number;
      trace += partial / P;
    }
    diagonals[s] = trace / D;
    // The fit windows whose targets reach into the first validation window's are left out while the
    // strength is chosen (the neural models' split keeps targets apart the same way).
    const fit = choose ? yield* accumulate(s, 0, Math.max(1, cut - P + 1)) : null;
    for (let k = 0; k < candidates.length; k++) {
      const candidate = candidates[k] as number;
      if (fit) {
        const w = solve(fit, candidate);
        yield;
        const errors = se[k] as Float64Array;
        for (let b = cut; b < count; b++) {
          if (b > cut && (b - cut) % WINDOWS_PER_YIELD === 0) yield;
          if (fillTarget(targets, b, s, shape, scaler, target, observed) === 0) continue;
          row.fill(0);
          rowFeatures(inputs, ha, b, s, neighbours[s] as number[], config.neighbourLags, shape, scaler, row);
          for (let c = 0; c < P; c++) {
            if (observed[c] !== 1) continue;
            if (k === 0) scored[c] = (scored[c] as number) + 1;
            let y = 0;
            for (let i = 0; i < D; i++) y += (row[i] as number) * (w[i * P + c] as number);
            errors[c] = (errors[c] as number) + (y - (target[c] as number)) ** 2;
          }
        }
      }
      (fitted[k] as Float64Array).set(solve(all, candidate), s * D * P);
      yield;
    }
  }
  // A step ahead never observed in the validation windows keeps the fallback.
  const chosen = new Array<number>(P).fill(choose ? Math.floor(config.lambdas.length / 2) : 0);
  const best = new Float64Array(P).fill(Infinity);
  candidates.forEach((_, k) => {
    for (let c = 0; c < P; c++) {
      const e = (se[k] as Float64Array)[c] as number;
      if (choose && (scored[c] as number) > 0 && e < (best[c] as number)) {
        best[c] = e;
        chosen[c] = k;
      }
    }
  });
  const lambdas = chosen.map((k) => candidates[k] as number);
  const weights = new Float64Array(n * D * P);
  for (let s = 0; s < n; s++)
    for (let i = 0; i < D; i++)
      for (let c = 0; c < P; c++) {
        const at = s * D * P + i * P + c;
        weights[at] = (fitted[chosen[c] as number] as Float64Array)[at] as number;
      }
  // Sensors with fewer neighbours than K keep zero weights in the unused slots (their features are 0).
  const model = { neighbours: neighbours.map((a) => [...a]), lambdas, features: D, weights };
  // What load refuses, training does not hand out: a model that trains also loads.
  const wild = findImplausibleRidgeWeight(model, scaler, shape.inputSteps, config.neighbourLags, P, ha !== null);
  if (wild) throw ridgeFitFailed(wild, D, P, diagonals, lambdas, config.lambdas, sensorIds, scaler);
  return model;
}

/**
 * E_TRAINING_FAILED for a fitted weight past MAX_SCALED_RIDGE_WEIGHT or not a finite number, naming the
 * sensor by its id and the cause: ridge strengths too small next to the sensor's inputs. They are added
 * to the Gram matrix of the raw features (changes in the readings' units, summed over the windows), so
 * with readings in large units, or near-collinear inputs and a tiny strength, float64 rounding loses the
 * penalty: a Cholesky pivot comes out 0 or negative and the solve returns NaN.
 */
function ridgeFitFailed(
  wild: { index: number; weight: number; scaled: number },
  D: number,
  P: number,
  diagonals: Float64Array,
  lambdas: readonly number[],
  tried: readonly number[],
  sensorIds: readonly string[],
  scaler: SensorScaler,
): AppliedMLError {
  const s = Math.floor(wild.index / (D * P));
  const std = scaler.std[s] as number;
  const sensor = sensorIds[s] ?? String(s);
  const diagonal = diagonals[s] as number;
  const used = [...new Set(lambdas)];
  const strengths =
    tried.length === 1
      ? `the ridge strength (${used.join(', ')})`
      : `the ridge strength${used.length === 1 ? '' : 's'} used (${used.join(', ')}; of ${tried.join(', ')} tried)`;
  const units =
    `Strengths are in the readings' units squared: readings k times larger need lambdas k² times larger ` +
    `(the defaults suit a diagonal of about 1e4 to 1e6, as speeds in mph give). ` +
    `Use larger ridge.lambdas (about ${roughly(diagonal * 1e-3)} to ${roughly(diagonal)} here), or give the readings in smaller units.`;
  const gramSize = `this sensor's Gram matrix (its inputs' changes in the readings' units, squared and summed over the training windows) averages ${roughly(diagonal)} on its diagonal`;
  const message = Number.isFinite(wild.weight)
    ? `The graph ridge fitted a weight of ${roughly(wild.weight)} for sensor '${sensor}' (${roughly(wild.scaled)} on the series' scale, past ${MAX_SCALED_RIDGE_WEIGHT}): ` +
      `its inputs are near-collinear and ${strengths} too small to hold the weights down, or the sensor barely varies (standard deviation ${roughly(std)}); ` +
      `${gramSize}. ${units}`
    : `The graph ridge broke down for sensor '${sensor}': a weight it fitted is not a finite number (${wild.weight}). ` +
      `${strengths[0]!.toUpperCase()}${strengths.slice(1)} ${used.length === 1 ? 'is' : 'are'} too small next to its inputs: ${gramSize}, ` +
      `and with readings in large units or near-collinear inputs float64 rounding loses so small a penalty. ${units}`;
  return new AppliedMLError('E_TRAINING_FAILED', message, {
    details: {
      sensor,
      index: wild.index,
      weight: wild.weight,
      lambdas: used,
      gramDiagonal: diagonal,
    },
  });
}

/** `v` to two significant digits, in exponent form when large or small (83, 2.2e+21, 1e-300). */
function roughly(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  const r = Number(v.toPrecision(2));
  return Math.abs(r) >= 1e6 || Math.abs(r) < 1e-3 ? r.toExponential() : String(r);
}

/**
 * Raw change targets (sensor units) of window b for sensor s in `out` and which steps ahead were observed
 * in `observed` (1 or 0; an unobserved step's target is 0); returns how many were.
 */
function fillTarget(
  targets: Float32Array,
  b: number,
  s: number,
  shape: Shape,
  scaler: SensorScaler,
  out: Float64Array,
  observed: Uint8Array,
): number {
  const { outputSteps: P, sensors: n } = shape;
  let seen = 0;
  for (let p = 0; p < P; p++) {
    const at = ((b * P + p) * n + s) * 2;
    const ok = (targets[at + 1] as number) === 1;
    observed[p] = ok ? 1 : 0;
    out[p] = ok ? (targets[at] as number) * (scaler.std[s] as number) : 0;
    if (ok) seen++;
  }
  return seen;
}

/** Forecasts [windows, outputSteps, sensors] as scaled changes from each sensor's last reading (the networks' convention). */
export function predictGraphRidge(
  model: RidgeModel,
  inputs: WindowBatch,
  ha: Float64Array | null,
  shape: Shape,
  scaler: SensorScaler,
  neighbourLags: number,
): Float64Array {
  const { outputSteps: P, sensors: n } = shape;
  const D = model.features;
  const out = new Float64Array(inputs.count * P * n);
  const row = new Float64Array(D);
  for (let b = 0; b < inputs.count; b++) {
    for (let s = 0; s < n; s++) {
      row.fill(0);
      rowFeatures(inputs, ha, b, s, model.neighbours[s] as number[], neighbourLags, shape, scaler, row);
      const w = s * D * P;
      for (let c = 0; c < P; c++) {
        let y = 0;
        for (let i = 0; i < D; i++) y += (row[i] as number) * (model.weights[w + i * P + c] as number);
        out[(b * P + c) * n + s] = y / (scaler.std[s] as number);
      }
    }
  }
  return out;
}

/**
 * Largest size a graph ridge weight may have on the series' scale (see `findImplausibleRidgeWeight`).
 * There a weight is a standardised regression coefficient: how many of its sensor's standard
 * deviations of change one standard deviation of the input moves the forecast. Ridge shrinks these
 * towards 0: fitted on Los-loop (207 sensors) and on a synthetic network with the default lambdas they
 * stay below 1, and even with lambdas of 1e-300 (next to no penalty) below 1e7. Past 1e12 a forecast
 * would be the difference of terms 1e12 times its size, with 4 of float64's 16 digits left, and a
 * (finite) weight of 1e300 forecasts 1e300. `fitGraphRidge` refuses to return such weights and a
 * saved bundle holding one is refused at load.
 */
export const MAX_SCALED_RIDGE_WEIGHT = 1e12;

/**
 * The first weight of `model` whose size on the series' scale passes MAX_SCALED_RIDGE_WEIGHT (or that
 * is not a finite number), or undefined. On that scale a weight of sensor s is w × (std of the sensor
 * its feature reads) / std[s]: its own window and the historical average read s, a neighbour's lags
 * read that neighbour; the clock, the constant and the unused neighbour slots (their feature is 0) read
 * no sensor, w / std[s]. `fitGraphRidge` lays a sensor's features out as: its window, each
 * neighbour's last `neighbourLags` readings, time-of-day sin and cos, 1, the historical average per
 * step ahead (when used), then 0s up to `features`.
 */
export function findImplausibleRidgeWeight(
  model: RidgeModel,
  scaler: SensorScaler,
  inputSteps: number,
  neighbourLags: number,
  outputSteps: number,
  historicalAverage: boolean,
): { index: number; weight: number; scaled: number } | undefined {
  const D = model.features;
  const P = outputSteps;
  const n = model.neighbours.length;
  const scale = new Float64Array(D);
  for (let s = 0; s < n; s++) {
    const own = scaler.std[s] as number;
    const neighbours = model.neighbours[s] as number[];
    scale.fill(1);
    let d = 0;
    for (let k = 0; k < inputSteps; k++) scale[d++] = own;
    for (const j of neighbours) for (let k = 0; k < neighbourLags; k++) scale[d++] = scaler.std[j] as number;
    d += 3;
    if (historicalAverage) for (let p = 0; p < P; p++) scale[d++] = own;
    for (let i = 0; i < D; i++) {
      for (let c = 0; c < P; c++) {
        const index = (s * D + i) * P + c;
        const weight = model.weights[index] as number;
        const scaled = (Math.abs(weight) * (scale[i] as number)) / own;
        if (!(scaled <= MAX_SCALED_RIDGE_WEIGHT)) return { index, weight, scaled };
      }
    }
  }
  return undefined;
}
