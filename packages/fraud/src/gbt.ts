import { AppliedMLError, createRng, describeValue, type Rng } from '@appliedml/engine';
import type { Matrix } from './matrix';
import { binCodesSteps, binEdgesSteps, partitionRows } from './bins';
import { checkForestOptions, checkForestState, fitForestSteps, scoreForest, type ForestOptions, type ForestState } from './forest';
import { runSteps, type Steps } from './steps';
import { creditPath, packTrees, pushLeaf, sumLeaves, validTree, type PackedTrees } from './tree-pack';

/**
 * Gradient-boosted decision trees for labelled data (binary log-loss), written for this package:
 * features are binned once into at most `maxBins` quantile bins, each tree is grown leaf-wise
 * (best-gain leaf first, up to `maxLeaves`) from gradient/hessian histograms (second-order
 * boosting, L2 on leaf values), with shrinkage, per-tree row and feature subsampling, and early
 * stopping on a seeded, stratified validation slice carved from the training rows. Trees are
 * plain arrays so they serialise into the bundle as JSON. No labels of the evaluation data are
 * ever seen.
 */
export interface GbtOptions {
  /** Most boosting rounds per model (default 500); early stopping usually ends sooner. */
  trees?: number;
  /** Shrinkage per tree (default 0.1). */
  learningRate?: number;
  /** Leaves per tree, grown best-first (default 31). */
  maxLeaves?: number;
  /** Depth limit (default 8; 6 with symmetric growth, at most 12 there). */
  maxDepth?: number;
  /** Fewest training rows in a leaf (default 20). */
  minLeafRows?: number;
  /** Smallest hessian sum in a leaf (default 1e-3). */
  minLeafHessian?: number;
  /** L2 penalty on leaf values (default 1). */
  l2?: number;
  /** Share of rows drawn for each tree (default 0.8). */
  subsample?: number;
  /** Share of features drawn for each tree (default 0.8). */
  featureFraction?: number;
  /** Quantile bins per feature, 2..256 (default 255). */
  maxBins?: number;
  /** Share of the training rows held out (stratified) for early stopping (default 0.1; 0 disables early stopping). */
  validationFraction?: number;
  /** Rounds without a better validation log-loss before stopping (default 50). */
  patience?: number;

  /** After early stopping, train again on every training row for the chosen number of rounds (default false). */
  refit?: boolean;
  /**
   * How each tree grows: 'leafwise' (best-gain leaf first, up to `maxLeaves`; the default) or
   * 'symmetric' (oblivious, as in CatBoost: one feature/threshold per level shared by every leaf of
   * that level, `maxDepth` levels; a leaf whose side of the split would hold fewer than
   * `minLeafRows` rows skips that level's split and may take a later level's, so such trees are
   * not strictly oblivious; `maxLeaves` does not apply).
   */
  growth?: 'leafwise' | 'symmetric';
  /**
   * Independent boosted models averaged on the log-odds scale (default 1). Each draws its own
   * early-stopping slice, rows and features from the seed, so together they train on almost every
   * training row. The model's `rounds` then counts the trees of all bags, and its validation loss is
   * the mean of the bags' losses on their own slices.
   */
  bags?: number;
  /**
   * A random forest (`ForestOptions`; default `{}`: 50 trees) trained on every training row beside the
   * boosted trees; the model's probability is then the mean of the boosted probability and the
   * forest's fraud share. `false`: the boosted trees alone (the default before 2026-11-29).
   */
  forest?: ForestOptions | false;
}

/**
 * The configuration chosen on 2026-11-28 by inner cross-validation on the ADBench training parts
 * (docs/benchmarks/fraud.md): slower learning, stronger L2, smaller leaves, three bagged models.
 * A little more accurate than the defaults there, but its models hold several times more trees, so
 * batched scoring is several times slower; the defaults stay the fast LightGBM-like configuration.
 * Use it as `FraudDetector.create({ detector: 'gbt', gbt: GBT_BAGGED })`.
 */
export const GBT_BAGGED: Readonly<GbtOptions> = Object.freeze({
  learningRate: 0.05,
  l2: 3,
  minLeafRows: 5,
  trees: 1000,
  patience: 100,
  bags: 3,
  // Measured without the forest (which came later); it stays as measured.
  forest: false,
});

export interface GbtTree {
  /** Split feature per node; -1 marks a leaf. */
  feature: number[];
  /** Rows with value ≤ threshold go left. */
  threshold: number[];
  left: number[];
  right: number[];
  /** Leaf output (log-odds, shrinkage included); at inner nodes the value the node would have as a leaf (for explanations). */
  value: number[];
}

export interface GbtState {
  kind: 'gbt';
  features: number;
  /** Initial log-odds. */
  base: number;
  trees: GbtTree[];
  /** Rounds kept (best validation round). */
  rounds: number;
  /** Validation log-loss at the kept round (NaN without validation). */
  validationLoss: number;
  /** The random forest averaged with the boosted trees (the `forest` option). */
  forest?: ForestState;
}

interface Resolved {
  trees: number;
  learningRate: number;
  maxLeaves: number;
  maxDepth: number;
  minLeafRows: number;
  minLeafHessian: number;
  l2: number;
  subsample: number;
  featureFraction: number;
  maxBins: number;
  validationFraction: number;
  patience: number;
  growth: 'leafwise' | 'symmetric';
  bags: number;
}

/** Checks boosted-tree options (and their forest's) as `fitGbt` would: E_INPUT_INVALID naming the option. */
export function checkGbtOptions(o: GbtOptions): void {
  resolve(o);
}

function resolve(o: GbtOptions): Resolved {
  const r: Resolved = {
    trees: o.trees ?? 500,
    learningRate: o.learningRate ?? 0.1,
    maxLeaves: o.maxLeaves ?? 31,
    maxDepth: o.maxDepth ?? (o.growth === 'symmetric' ? 6 : 8),
    minLeafRows: o.minLeafRows ?? 20,
    minLeafHessian: o.minLeafHessian ?? 1e-3,
    l2: o.l2 ?? 1,
    subsample: o.subsample ?? 0.8,
    featureFraction: o.featureFraction ?? 0.8,
    maxBins: o.maxBins ?? 255,
    validationFraction: o.validationFraction ?? 0.1,
    patience: o.patience ?? 50,
    growth: o.growth ?? 'leafwise',
    bags: o.bags ?? 1,
  };
  const bad = (name: string, value: number, rule: string): never => {
    throw new AppliedMLError('E_INPUT_INVALID', `gbt.${name} must be ${rule} (got ${value}).`, { details: { option: name } });
  };
  if (!Number.isInteger(r.trees) || r.trees < 1) bad('trees', r.trees, 'a positive integer');
  if (!(r.learningRate > 0 && r.learningRate <= 1)) bad('learningRate', r.learningRate, 'in (0, 1]');
  if (!Number.isInteger(r.maxLeaves) || r.maxLeaves < 2) bad('maxLeaves', r.maxLeaves, 'an integer ≥ 2');
  if (!Number.isInteger(r.maxDepth) || r.maxDepth < 1) bad('maxDepth', r.maxDepth, 'a positive integer');
  if (!(r.minLeafRows >= 1)) bad('minLeafRows', r.minLeafRows, '≥ 1');
  if (!(r.minLeafHessian >= 0)) bad('minLeafHessian', r.minLeafHessian, '≥ 0');
  if (!(r.l2 >= 0)) bad('l2', r.l2, '≥ 0');
  if (!(r.subsample > 0 && r.subsample <= 1)) bad('subsample', r.subsample, 'in (0, 1]');
  if (!(r.featureFraction > 0 && r.featureFraction <= 1)) bad('featureFraction', r.featureFraction, 'in (0, 1]');
  if (!Number.isInteger(r.maxBins) || r.maxBins < 2 || r.maxBins > 256) bad('maxBins', r.maxBins, 'an integer in 2..256');
  if (!(r.validationFraction >= 0 && r.validationFraction < 0.5)) bad('validationFraction', r.validationFraction, 'in [0, 0.5)');
  if (!Number.isInteger(r.patience) || r.patience < 1) bad('patience', r.patience, 'a positive integer');
  if (r.growth !== 'leafwise' && r.growth !== 'symmetric')
    throw new AppliedMLError('E_INPUT_INVALID', `gbt.growth must be 'leafwise' or 'symmetric' (got ${String(r.growth)}).`, {
      details: { option: 'growth' },
    });
  if (!Number.isInteger(r.bags) || r.bags < 1 || r.bags > 32) bad('bags', r.bags, 'an integer in 1..32');
  // Read by truthiness: 'no' (or 1) turned the refit on.
  if (o.refit !== undefined && typeof o.refit !== 'boolean')
    throw new AppliedMLError('E_INPUT_INVALID', `gbt.refit must be true or false (got ${describeValue(o.refit)}).`, {
      details: { option: 'refit' },
    });
  // Symmetric trees keep a histogram per leaf of a level: 2^depth of them.
  if (r.growth === 'symmetric' && r.maxDepth > 12) bad('maxDepth', r.maxDepth, 'at most 12 with symmetric growth');
  if (o.forest !== undefined && o.forest !== false) {
    if (typeof o.forest !== 'object' || o.forest === null || Array.isArray(o.forest))
      throw new AppliedMLError('E_INPUT_INVALID', `gbt.forest must be forest options ({} for the defaults) or false.`, {
        details: { option: 'forest' },
      });
    checkForestOptions(o.forest);
  }
  return r;
}

interface Leaf {
  begin: number;
  end: number;
  depth: number;
  node: number;
  g: number;
  h: number;
  /** Histograms: per feature × bin, gradient, hessian and row count. */
  hg: Float64Array;
  hh: Float64Array;
  hc: Int32Array;
  best?: { gain: number; feature: number; bin: number; gl: number; hl: number; cl: number };
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

function logloss(y: Uint8Array, f: Float64Array, idx: Int32Array): number {
  let s = 0;
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i] as number;
    const z = f[r] as number;
    // log(1 + e^-z) for y = 1, log(1 + e^z) for y = 0, computed stably.
    const m = y[r] ? -z : z;
    s += m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m));
  }
  return s / Math.max(1, idx.length);
}

/** Seeded stratified hold-out: returns [train rows, validation rows]. */
function stratifiedHoldout(y: Uint8Array, fraction: number, rng: Rng): [Int32Array, Int32Array] {
  if (fraction <= 0) return [Int32Array.from({ length: y.length }, (_, i) => i), new Int32Array(0)];
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < y.length; i++) (y[i] ? pos : neg).push(i);
  rng.shuffle(pos);
  rng.shuffle(neg);
  const vp = Math.max(1, Math.round(pos.length * fraction));
  const vn = Math.max(1, Math.round(neg.length * fraction));
  // Too few rows of a class to spare one: no early stopping.
  if (pos.length - vp < 1 || neg.length - vn < 1) return [Int32Array.from({ length: y.length }, (_, i) => i), new Int32Array(0)];
  // Typed arrays sort numbers in order without a comparator (the same order; on 600,000 rows the
  // arrays' comparator sorts took 0.1–0.2 s in one go).
  const val = Int32Array.from([...pos.slice(0, vp), ...neg.slice(0, vn)]).sort();
  const train = Int32Array.from([...pos.slice(vp), ...neg.slice(vn)]).sort();
  return [train, val];
}

/**
 * Trains the boosted trees on scaled features `x` and 0/1 labels `y`. Deterministic for a seed.
 * With `bags` > 1 the models are trained one after another and stored as one model: every tree's
 * values divided by `bags`, the bases averaged (so the sum of all trees is the mean log-odds).
 */
export function fitGbt(x: Matrix, y: Uint8Array, options: GbtOptions = {}, seed = 0): GbtState {
  return runSteps(fitGbtSteps(x, y, options, seed));
}

/** `fitGbt` as steps: it yields after every tree (boosted or forest), where a caller may pause. */
export function* fitGbtSteps(x: Matrix, y: Uint8Array, options: GbtOptions = {}, seed = 0): Steps<GbtState> {
  const o = resolve(options);
  const boosted = o.bags === 1 ? yield* fitOne(x, y, options, o, seed) : yield* fitBags(x, y, options, o, seed);
  const forest = options.forest ?? {};
  if (forest === false) return boosted;
  return { ...boosted, forest: yield* fitForestSteps(x, y, forest, seed + 7_777_777) };
}

function* fitBags(x: Matrix, y: Uint8Array, options: GbtOptions, o: Resolved, seed: number): Steps<GbtState> {
  const parts: GbtState[] = [];
  for (let k = 0; k < o.bags; k++) parts.push(yield* fitOne(x, y, options, o, seed + 1_000_003 * k));
  const w = 1 / o.bags;
  const trees = parts.flatMap((p) => p.trees.map((t) => ({ ...t, value: t.value.map((v) => v * w) })));
  return {
    kind: 'gbt',
    features: x.cols,
    base: parts.reduce((s, p) => s + p.base * w, 0),
    trees,
    rounds: trees.length,
    validationLoss: parts.reduce((s, p) => s + p.validationLoss * w, 0),
  };
}

function* fitOne(x: Matrix, y: Uint8Array, options: GbtOptions, o: Resolved, seed: number): Steps<GbtState> {
  const rng = createRng(seed);
  const n = x.rows;
  const d = x.cols;
  const [trainRows, valRows] = stratifiedHoldout(y, o.validationFraction, rng);
  yield;
  const edges = yield* binEdgesSteps(x, trainRows, o.maxBins, rng);
  // A loop, not Math.max(...): one argument per feature overflowed the call stack past ~120,000 features.
  let nb = 0;
  for (const e of edges) nb = Math.max(nb, e.length);
  // Bin codes for every row (validation rows are scored through the thresholds, not the bins).
  const bins = yield* binCodesSteps(x, edges);

  let pos = 0;
  for (let i = 0; i < trainRows.length; i++) pos += y[trainRows[i] as number] as number;
  const prior = Math.min(1 - 1e-6, Math.max(1e-6, pos / trainRows.length));
  const base = Math.log(prior / (1 - prior));
  const F = new Float64Array(n).fill(base);
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const trees: GbtTree[] = [];
  let bestLoss = valRows.length ? logloss(y, F, valRows) : NaN;
  let bestRounds = 0;
  const order = new Int32Array(trainRows.length);
  const featMask = new Uint8Array(d);
  const nf = Math.max(1, Math.round(d * o.featureFraction));
  const featIdx = Array.from({ length: d }, (_, i) => i);

  for (let t = 0; t < o.trees; t++) {
    for (let i = 0; i < trainRows.length; i++) {
      const r = trainRows[i] as number;
      const p = sigmoid(F[r] as number);
      g[r] = p - (y[r] as number);
      h[r] = Math.max(p * (1 - p), 1e-16);
    }
    // Row bagging and feature sampling for this tree.
    let m = 0;
    for (let i = 0; i < trainRows.length; i++) if (o.subsample >= 1 || rng.next() < o.subsample) order[m++] = trainRows[i] as number;
    featMask.fill(0);
    rng.shuffle(featIdx);
    for (let i = 0; i < nf; i++) featMask[featIdx[i] as number] = 1;
    const grow = o.growth === 'symmetric' ? growSymmetric : growTree;
    const tree = yield* grow(bins, d, nb, edges, order.subarray(0, m), g, h, featMask, o);
    trees.push(tree);
    yield;
    // Update the training margins by walking the tree (validation too).
    for (let r = 0; r < n; r++) F[r] = (F[r] as number) + treeValue(tree, x.data, r * d);
    yield;
    if (valRows.length) {
      const loss = logloss(y, F, valRows);
      if (loss < bestLoss - 1e-12) {
        bestLoss = loss;
        bestRounds = t + 1;
      } else if (t + 1 - bestRounds >= o.patience) break;
    } else bestRounds = t + 1;
  }
  if (options.refit && valRows.length && bestRounds > 0) {
    const again = { ...options, refit: false, validationFraction: 0, trees: bestRounds };
    const all = yield* fitOne(x, y, again, resolve(again), seed);
    return { ...all, validationLoss: bestLoss };
  }
  return { kind: 'gbt', features: d, base, trees: trees.slice(0, bestRounds), rounds: bestRounds, validationLoss: bestLoss };
}

function treeValue(tree: GbtTree, data: Float64Array, off: number): number {
  let node = 0;
  let f = tree.feature[0] as number;
  while (f >= 0) {
    node = (data[off + f] as number) <= (tree.threshold[node] as number) ? (tree.left[node] as number) : (tree.right[node] as number);
    f = tree.feature[node] as number;
  }
  return tree.value[node] as number;
}

type Histogram = Pick<Leaf, 'hg' | 'hh' | 'hc'>;

/** Gradient, hessian and count per feature × bin over rows[begin..end). */
function buildHistogram(
  bins: Uint8Array,
  d: number,
  nb: number,
  rows: Int32Array,
  begin: number,
  end: number,
  g: Float64Array,
  h: Float64Array,
): Histogram {
  const size = d * nb;
  const hg = new Float64Array(size);
  const hh = new Float64Array(size);
  const hc = new Int32Array(size);
  for (let i = begin; i < end; i++) {
    const r = rows[i] as number;
    const gr = g[r] as number;
    const hr = h[r] as number;
    const off = r * d;
    for (let f = 0; f < d; f++) {
      const k = f * nb + (bins[off + f] as number);
      hg[k] = (hg[k] as number) + gr;
      hh[k] = (hh[k] as number) + hr;
      hc[k] = (hc[k] as number) + 1;
    }
  }
  return { hg, hh, hc };
}

/** The parent's histogram minus a child's, in place: the other child's histogram. */
function subtractHistogram(parent: Histogram, child: Histogram): Histogram {
  for (let k = 0; k < parent.hg.length; k++) {
    parent.hg[k] = (parent.hg[k] as number) - (child.hg[k] as number);
    parent.hh[k] = (parent.hh[k] as number) - (child.hh[k] as number);
    parent.hc[k] = (parent.hc[k] as number) - (child.hc[k] as number);
  }
  return { hg: parent.hg, hh: parent.hh, hc: parent.hc };
}

/**
 * As steps (both growths): a yield after the root's histogram and after each level's (symmetric) or
 * each split's (leaf-wise) histograms, where a caller may pause; on a few hundred thousand rows a tree
 * took 0.1–0.3 s in one go. The yields change nothing in the tree.
 *
 * An oblivious (symmetric) tree: level by level, the one split (feature, bin) with the largest total
 * gain over the level's leaves is applied to each of them; a leaf where it would leave fewer than
 * `minLeafRows` rows (or too little hessian) on a side skips that level's split and stays open for the
 * next levels'. So a tree has at most `maxDepth` distinct splits and every path at most `maxDepth` nodes.
 */
function* growSymmetric(
  bins: Uint8Array,
  d: number,
  nb: number,
  edges: Float64Array[],
  rows: Int32Array,
  g: Float64Array,
  h: Float64Array,
  featMask: Uint8Array,
  o: Resolved,
): Steps<GbtTree> {
  const tree: GbtTree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const newNode = (G: number, H: number): number => {
    tree.value.push(H + o.l2 > 0 ? (-G / (H + o.l2)) * o.learningRate : 0);
    return pushLeaf(tree);
  };
  let G = 0;
  let H = 0;
  for (let i = 0; i < rows.length; i++) {
    G += g[rows[i] as number] as number;
    H += h[rows[i] as number] as number;
  }
  let level: Leaf[] = [
    { begin: 0, end: rows.length, depth: 0, node: newNode(G, H), g: G, h: H, ...buildHistogram(bins, d, nb, rows, 0, rows.length, g, h) },
  ];
  yield;
  const gain = new Float64Array(d * nb);
  // Can `leaf` take the split with cl rows / hl hessian on the left?
  const fits = (leaf: Leaf, cl: number, hl: number): boolean =>
    cl >= o.minLeafRows && leaf.end - leaf.begin - cl >= o.minLeafRows && hl >= o.minLeafHessian && leaf.h - hl >= o.minLeafHessian;
  for (let depth = 0; depth < o.maxDepth; depth++) {
    gain.fill(0);
    for (const leaf of level) {
      const parent = (leaf.g * leaf.g) / (leaf.h + o.l2);
      for (let f = 0; f < d; f++) {
        if (!featMask[f]) continue;
        const nbf = (edges[f] as Float64Array).length;
        let gl = 0;
        let hl = 0;
        let cl = 0;
        for (let b = 0; b < nbf - 1; b++) {
          const k = f * nb + b;
          gl += leaf.hg[k] as number;
          hl += leaf.hh[k] as number;
          cl += leaf.hc[k] as number;
          if (!fits(leaf, cl, hl)) continue;
          const gr = leaf.g - gl;
          const hr = leaf.h - hl;
          gain[k] = (gain[k] as number) + (gl * gl) / (hl + o.l2) + (gr * gr) / (hr + o.l2) - parent;
        }
      }
    }
    let best = -1;
    let bestGain = 1e-12;
    for (let k = 0; k < gain.length; k++) {
      if ((gain[k] as number) > bestGain) {
        bestGain = gain[k] as number;
        best = k;
      }
    }
    if (best < 0) break;
    const feature = Math.floor(best / nb);
    const bin = best % nb;
    const threshold = (edges[feature] as Float64Array)[bin] as number;
    const next: Leaf[] = [];
    for (const leaf of level) {
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b <= bin; b++) {
        gl += leaf.hg[feature * nb + b] as number;
        hl += leaf.hh[feature * nb + b] as number;
        cl += leaf.hc[feature * nb + b] as number;
      }
      // Too small a side: the leaf skips this level's split and stays open for the next levels'.
      if (!fits(leaf, cl, hl)) {
        next.push(leaf);
        continue;
      }
      const mid = partitionRows(bins, d, rows, leaf.begin, leaf.end, feature, bin);
      const gr = leaf.g - gl;
      const hr = leaf.h - hl;
      const leftNode = newNode(gl, hl);
      const rightNode = newNode(gr, hr);
      tree.feature[leaf.node] = feature;
      tree.threshold[leaf.node] = threshold;
      tree.left[leaf.node] = leftNode;
      tree.right[leaf.node] = rightNode;
      const leftSmaller = mid - leaf.begin <= leaf.end - mid;
      const small = leftSmaller
        ? buildHistogram(bins, d, nb, rows, leaf.begin, mid, g, h)
        : buildHistogram(bins, d, nb, rows, mid, leaf.end, g, h);
      const big = subtractHistogram(leaf, small);
      next.push({ begin: leaf.begin, end: mid, depth: depth + 1, node: leftNode, g: gl, h: hl, ...(leftSmaller ? small : big) });
      next.push({ begin: mid, end: leaf.end, depth: depth + 1, node: rightNode, g: gr, h: hr, ...(leftSmaller ? big : small) });
    }
    level = next;
    yield;
  }
  return tree;
}

function* growTree(
  bins: Uint8Array,
  d: number,
  nb: number,
  edges: Float64Array[],
  rows: Int32Array,
  g: Float64Array,
  h: Float64Array,
  featMask: Uint8Array,
  o: Resolved,
): Steps<GbtTree> {
  const tree: GbtTree = { feature: [], threshold: [], left: [], right: [], value: [] };
  // An empty leaf (no rows drawn) with l2 = 0 would be 0/0: it keeps the value 0.
  const leafValue = (G: number, H: number): number => (H + o.l2 > 0 ? (-G / (H + o.l2)) * o.learningRate : 0);
  const newNode = (G: number, H: number): number => {
    tree.value.push(leafValue(G, H));
    return pushLeaf(tree);
  };
  const histogram = (begin: number, end: number): Histogram => buildHistogram(bins, d, nb, rows, begin, end, g, h);
  const findSplit = (leaf: Leaf): void => {
    leaf.best = undefined;
    const count = leaf.end - leaf.begin;
    if (leaf.depth >= o.maxDepth || count < 2 * o.minLeafRows) return;
    const parent = (leaf.g * leaf.g) / (leaf.h + o.l2);
    let best = 1e-12;
    for (let f = 0; f < d; f++) {
      if (!featMask[f]) continue;
      const nbf = (edges[f] as Float64Array).length;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < nbf - 1; b++) {
        const k = f * nb + b;
        gl += leaf.hg[k] as number;
        hl += leaf.hh[k] as number;
        cl += leaf.hc[k] as number;
        if (cl < o.minLeafRows || hl < o.minLeafHessian) continue;
        const cr = count - cl;
        const hr = leaf.h - hl;
        if (cr < o.minLeafRows) break;
        if (hr < o.minLeafHessian) continue;
        const gr = leaf.g - gl;
        const gain = (gl * gl) / (hl + o.l2) + (gr * gr) / (hr + o.l2) - parent;
        if (gain > best) {
          best = gain;
          leaf.best = { gain, feature: f, bin: b, gl, hl, cl };
        }
      }
    }
  };
  let G = 0;
  let H = 0;
  for (let i = 0; i < rows.length; i++) {
    G += g[rows[i] as number] as number;
    H += h[rows[i] as number] as number;
  }
  const root: Leaf = { begin: 0, end: rows.length, depth: 0, node: newNode(G, H), g: G, h: H, ...histogram(0, rows.length) };
  findSplit(root);
  yield;
  const open: Leaf[] = [root];
  let leaves = 1;
  while (leaves < o.maxLeaves) {
    let pick = -1;
    for (let i = 0; i < open.length; i++) {
      const b = (open[i] as Leaf).best;
      if (b && (pick < 0 || b.gain > ((open[pick] as Leaf).best?.gain ?? 0))) pick = i;
    }
    if (pick < 0) break;
    const leaf = open[pick] as Leaf;
    const s = leaf.best as NonNullable<Leaf['best']>;
    const mid = partitionRows(bins, d, rows, leaf.begin, leaf.end, s.feature, s.bin);
    const gr = leaf.g - s.gl;
    const hr = leaf.h - s.hl;
    const leftNode = newNode(s.gl, s.hl);
    const rightNode = newNode(gr, hr);
    tree.feature[leaf.node] = s.feature;
    tree.threshold[leaf.node] = (edges[s.feature] as Float64Array)[s.bin] as number;
    tree.left[leaf.node] = leftNode;
    tree.right[leaf.node] = rightNode;
    // Histogram of the smaller child; the larger one is the parent's minus it.
    const leftSmaller = mid - leaf.begin <= leaf.end - mid;
    const small = leftSmaller ? histogram(leaf.begin, mid) : histogram(mid, leaf.end);
    const big = subtractHistogram(leaf, small);
    const left: Leaf = {
      begin: leaf.begin,
      end: mid,
      depth: leaf.depth + 1,
      node: leftNode,
      g: s.gl,
      h: s.hl,
      ...(leftSmaller ? small : big),
    };
    const right: Leaf = { begin: mid, end: leaf.end, depth: leaf.depth + 1, node: rightNode, g: gr, h: hr, ...(leftSmaller ? big : small) };
    findSplit(left);
    findSplit(right);
    open.splice(pick, 1, left, right);
    leaves++;
    yield;
  }
  return tree;
}

const packedCache = new WeakMap<GbtState, PackedTrees>();

/** All trees in flat typed arrays (built once per fitted model) for fast scoring. */
function pack(state: GbtState): PackedTrees {
  let p = packedCache.get(state);
  if (!p) {
    p = packTrees(state.trees, (t, i) => t.value[i] as number);
    packedCache.set(state, p);
  }
  return p;
}

/**
 * Fraud probabilities. With `contrib` (rows × cols), also fills per-feature contributions: along each
 * tree's path, the change in node value is credited to the split feature (Saabas' attribution) and
 * only evidence towards fraud (positive parts) is kept. Without a forest they are on the log-odds
 * scale; with one, each model's evidence is first made shares of its row's total and the two averaged.
 */
export function scoreGbt(state: GbtState, x: Matrix, contrib?: Float64Array): Float64Array {
  const p = pack(state);
  const d = x.cols;
  const data = x.data;
  const nTrees = p.roots.length;
  let out: Float64Array;
  if (!contrib) {
    out = sumLeaves(p, x, false, state.base);
    for (let r = 0; r < x.rows; r++) out[r] = sigmoid(out[r] as number);
  } else {
    // With contributions: row by row, crediting each step along the path.
    out = new Float64Array(x.rows);
    for (let r = 0; r < x.rows; r++) {
      const off = r * d;
      let z = state.base;
      for (let k = 0; k < nTrees; k++) {
        z += p.value[creditPath(p, p.roots[k] as number, data, off, false, 1, contrib)] as number;
      }
      out[r] = sigmoid(z);
    }
  }
  if (contrib) for (let i = 0; i < contrib.length; i++) contrib[i] = Math.max(0, contrib[i] as number);
  if (!state.forest) return out;
  const forestContrib = contrib ? new Float64Array(contrib.length) : undefined;
  const forest = scoreForest(state.forest, x, forestContrib);
  for (let r = 0; r < x.rows; r++) out[r] = ((out[r] as number) + (forest[r] as number)) / 2;
  if (contrib && forestContrib) {
    for (let i = 0; i < forestContrib.length; i++) forestContrib[i] = Math.max(0, forestContrib[i] as number);
    for (let r = 0; r < x.rows; r++) blendShares(contrib, forestContrib, r * d, d);
  }
  return out;
}

/** Replaces a[off..off+n) by the mean of a's and b's shares of their own totals there (one side alone if the other is all zero). */
function blendShares(a: Float64Array, b: Float64Array, off: number, n: number): void {
  let sa = 0;
  let sb = 0;
  for (let i = off; i < off + n; i++) {
    sa += a[i] as number;
    sb += b[i] as number;
  }
  const wa = sa > 0 ? (sb > 0 ? 0.5 : 1) / sa : 0;
  const wb = sb > 0 ? (sa > 0 ? 0.5 : 1) / sb : 0;
  for (let i = off; i < off + n; i++) a[i] = (a[i] as number) * wa + (b[i] as number) * wb;
}

/** Checks a parsed bundle state (E_BUNDLE_CORRUPT on anything malformed). */
export function checkGbtState(s: unknown, features: number): s is GbtState {
  if (!s || typeof s !== 'object') return false;
  const st = s as GbtState;
  if (st.kind !== 'gbt' || st.features !== features || !Number.isFinite(st.base) || !Array.isArray(st.trees)) return false;
  if (st.forest !== undefined && !checkForestState(st.forest, features)) return false;
  // A NaN leaf would come back from JSON as null, then silently score as 0.
  return st.trees.every((t) => validTree(t, features, (v) => Number.isFinite(v)));
}
