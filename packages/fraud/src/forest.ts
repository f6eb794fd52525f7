import { AppliedMLError, createRng, type Rng } from '@appliedml/engine';
import { binCodesSteps, binEdgesSteps, partitionRows } from './bins';
import type { Matrix } from './matrix';
import { creditPath, packTrees, pushLeaf, sumLeaves, validTree, type PackedTrees } from './tree-pack';
import { runSteps, type Steps } from './steps';

/**
 * A random forest of classification trees (Breiman 2001), written for this package to sit beside the
 * gradient-boosted trees: each tree is grown on a bootstrap sample of the training rows, every split
 * chosen by Gini impurity among a random subset of the features (√features by default) over the
 * same quantile bins the boosted trees use, until a node is pure, too small for two `minLeafRows`
 * leaves, at `maxDepth`, or no sampled split lowers its impurity. A row's score is
 * the mean over the trees of its leaf's fraud share. Deterministic for a seed.
 *
 * `extraTrees` of the trees are extremely randomized instead (Geurts, Ernst and Wehenkel 2006, as
 * scikit-learn's `ExtraTreesClassifier` with its defaults, except that √features is rounded here and
 * floored there, and a cut that rounds to the maximum skips the feature): grown on every training row (no bootstrap), each
 * tried feature cut at one threshold drawn uniformly between its smallest and largest raw value in the
 * node, the best of those cuts by Gini, grown until a node is pure (or at the limits above).
 */
export interface ForestOptions {
  /** Trees in the forest (default 50). */
  trees?: number;
  /** How many of `trees` are extremely randomized (default 0: all bootstrap trees with best splits). */
  extraTrees?: number;
  /** Fewest training rows (bootstrap draws) in a leaf (default 1: grown until pure or no split helps). */
  minLeafRows?: number;
  /** Features tried at each split (default round(√features), at least 1). */
  maxFeatures?: number;
  /** Depth limit (default 40), a guard against degenerate chains. */
  maxDepth?: number;
  /** Quantile bins per feature, 2..256 (default 255). */
  maxBins?: number;
}

export interface ForestTree {
  /** Split feature per node; -1 marks a leaf. */
  feature: number[];
  /** Rows with value ≤ threshold go left. */
  threshold: number[];
  left: number[];
  right: number[];
  /** Fraud share of the node's bootstrap rows (at leaves the tree's output; inside, for explanations). */
  value: number[];
}

export interface ForestState {
  kind: 'random-forest';
  features: number;
  trees: ForestTree[];
}

interface Resolved {
  trees: number;
  extraTrees: number;
  minLeafRows: number;
  maxFeatures: number;
  maxDepth: number;
  maxBins: number;
}

function resolve(o: ForestOptions, features: number): Resolved {
  const r: Resolved = {
    trees: o.trees ?? 50,
    extraTrees: o.extraTrees ?? 0,
    minLeafRows: o.minLeafRows ?? 1,
    maxFeatures: o.maxFeatures ?? Math.max(1, Math.round(Math.sqrt(features))),
    maxDepth: o.maxDepth ?? 40,
    maxBins: o.maxBins ?? 255,
  };
  const bad = (name: string, value: number, rule: string): never => {
    throw new AppliedMLError('E_INPUT_INVALID', `forest.${name} must be ${rule} (got ${value}).`, { details: { option: name } });
  };
  if (!Number.isInteger(r.trees) || r.trees < 1 || r.trees > 10_000) bad('trees', r.trees, 'an integer in 1..10000');
  if (!Number.isInteger(r.extraTrees) || r.extraTrees < 0 || r.extraTrees > r.trees)
    bad('extraTrees', r.extraTrees, `an integer in 0..trees (${r.trees})`);
  if (!Number.isInteger(r.minLeafRows) || r.minLeafRows < 1) bad('minLeafRows', r.minLeafRows, 'a positive integer');
  if (!Number.isInteger(r.maxFeatures) || r.maxFeatures < 1) bad('maxFeatures', r.maxFeatures, 'a positive integer');
  if (!Number.isInteger(r.maxDepth) || r.maxDepth < 1 || r.maxDepth > 64) bad('maxDepth', r.maxDepth, 'an integer in 1..64');
  if (!Number.isInteger(r.maxBins) || r.maxBins < 2 || r.maxBins > 256) bad('maxBins', r.maxBins, 'an integer in 2..256');
  r.maxFeatures = Math.min(r.maxFeatures, features);
  return r;
}

/** Checks the options without training (the boosted trees' option check calls it before either is fitted). */
export function checkForestOptions(o: ForestOptions): void {
  resolve(o, 1);
}

/** Trains the forest on features `x` and 0/1 labels `y`. */
export function fitForest(x: Matrix, y: Uint8Array, options: ForestOptions = {}, seed = 0): ForestState {
  return runSteps(fitForestSteps(x, y, options, seed));
}

/** `fitForest` as steps: it yields after the binning and after every tree, where a caller may pause. */
export function* fitForestSteps(x: Matrix, y: Uint8Array, options: ForestOptions = {}, seed = 0): Steps<ForestState> {
  const o = resolve(options, x.cols);
  const rng = createRng(seed);
  const n = x.rows;
  const d = x.cols;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const edges = yield* binEdgesSteps(x, all, o.maxBins, rng);
  // A loop, not Math.max(...): one argument per feature overflowed the call stack past ~120,000 features.
  let nb = 0;
  for (const e of edges) nb = Math.max(nb, e.length);
  const bins = yield* binCodesSteps(x, edges);

  const weight = new Int32Array(n);
  const rows = new Int32Array(n);
  const histPos = new Float64Array(nb);
  const histAll = new Float64Array(nb);
  const featOrder = Array.from({ length: d }, (_, i) => i);
  const trees: ForestTree[] = [];
  for (let t = 0; t < o.trees; t++) {
    if (t >= o.trees - o.extraTrees) {
      // Extremely randomized: every row once.
      weight.fill(1);
      rows.set(all);
      trees.push(yield* growTree(y, weight, rows, n, o, randomCutSplit(x, y, weight, rows, o, createRng(rng.nextUint32()), featOrder)));
      yield;
      continue;
    }
    // Bootstrap: n draws with replacement, kept as a weight per distinct row.
    weight.fill(0);
    for (let i = 0; i < n; i++) {
      const r = rng.nextInt(n);
      weight[r] = (weight[r] as number) + 1;
    }
    let m = 0;
    for (let r = 0; r < n; r++) if (weight[r]) rows[m++] = r;
    const split = bestBinSplit(bins, d, edges, y, weight, rows, o, createRng(rng.nextUint32()), histPos, histAll, featOrder);
    trees.push(yield* growTree(y, weight, rows, m, o, split));
    yield;
  }
  return { kind: 'random-forest', features: d, trees };
}

/** A split found for the open node rows[begin..end): its feature and threshold, and where the rows now part. */
type Split = [feature: number, threshold: number, boundary: number];

/** Rows the splits of one tree look through between its yields: a few ms of work here. */
const GROW_STEP_ROWS = 65_536;

/**
 * Grows one tree depth-first from rows[0..count) (with `weight` per row): a node stays a leaf when it
 * is pure, at `maxDepth`, too small for two `minLeafRows` leaves, or when `split` finds nothing; else
 * `split` reorders its rows so the left child's come first. Node values are fraud shares. As steps: a
 * yield once the nodes split since the last one held `GROW_STEP_ROWS` rows in all (a tree on a few
 * hundred thousand rows took 0.1–0.2 s in one go); the yields change nothing in the tree.
 */
function* growTree(
  y: Uint8Array,
  weight: Int32Array,
  rows: Int32Array,
  count: number,
  o: Resolved,
  split: (begin: number, end: number, pos: number, total: number) => Split | undefined,
): Steps<ForestTree> {
  const tree: ForestTree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const newNode = (pos: number, total: number): number => {
    tree.value.push(total > 0 ? pos / total : 0);
    return pushLeaf(tree);
  };
  const sums = (begin: number, end: number): [number, number] => {
    let pos = 0;
    let total = 0;
    for (let i = begin; i < end; i++) {
      const r = rows[i] as number;
      const w = weight[r] as number;
      total += w;
      pos += w * (y[r] as number);
    }
    return [pos, total];
  };
  const [pos0, total0] = sums(0, count);
  // Depth-first with an explicit stack of open nodes and their rows rows[begin..end).
  type Open = [node: number, begin: number, end: number, depth: number, pos: number, total: number];
  const stack: Open[] = [[newNode(pos0, total0), 0, count, 0, pos0, total0]];
  let work = 0;
  while (stack.length) {
    const [node, begin, end, depth, pos, total] = stack.pop() as Open;
    if (pos === 0 || pos === total || depth >= o.maxDepth || total < 2 * o.minLeafRows) continue;
    if (work >= GROW_STEP_ROWS) {
      work = 0;
      yield;
    }
    work += end - begin;
    const found = split(begin, end, pos, total);
    if (!found) continue;
    const [feature, threshold, a] = found;
    const [lp, lt] = sums(begin, a);
    const l = newNode(lp, lt);
    const r = newNode(pos - lp, total - lt);
    tree.feature[node] = feature;
    tree.threshold[node] = threshold;
    tree.left[node] = l;
    tree.right[node] = r;
    stack.push([r, a, end, depth + 1, pos - lp, total - lt], [l, begin, a, depth + 1, lp, lt]);
  }
  return tree;
}

/**
 * Breiman's split over quantile bins: among `maxFeatures` features not constant in the node (in a random
 * order), the bin boundary with the lowest weighted Gini impurity, if it is lower than the node's.
 */
function bestBinSplit(
  bins: Uint8Array,
  d: number,
  edges: Float64Array[],
  y: Uint8Array,
  weight: Int32Array,
  rows: Int32Array,
  o: Resolved,
  rng: Rng,
  histPos: Float64Array,
  histAll: Float64Array,
  featOrder: number[],
): (begin: number, end: number, pos: number, total: number) => Split | undefined {
  return (begin, end, pos, total) => {
    // Gini: maximise Σ over children of (pos² + neg²) / size, i.e. minimise the weighted impurity.
    const parentScore = (pos * pos + (total - pos) * (total - pos)) / total;
    let bestScore = parentScore + 1e-12;
    let bestFeature = -1;
    let bestBin = -1;
    rng.shuffle(featOrder);
    let tried = 0;
    for (let k = 0; k < d && tried < o.maxFeatures; k++) {
      const f = featOrder[k] as number;
      let lo = 255;
      let hi = 0;
      for (let i = begin; i < end; i++) {
        const r = rows[i] as number;
        const b = bins[r * d + f] as number;
        const w = weight[r] as number;
        histAll[b] = (histAll[b] as number) + w;
        histPos[b] = (histPos[b] as number) + w * (y[r] as number);
        if (b < lo) lo = b;
        if (b > hi) hi = b;
      }
      // A feature constant in this node does not count towards the features tried, so `maxFeatures` varying
      // ones are evaluated (scikit-learn counts them and draws further only until one varies; documented).
      if (lo < hi) {
        tried++;
        let lp = 0;
        let lt = 0;
        for (let b = lo; b < hi; b++) {
          lp += histPos[b] as number;
          lt += histAll[b] as number;
          const rt = total - lt;
          if (lt < o.minLeafRows || rt < o.minLeafRows || !(histAll[b] as number)) continue;
          const rp = pos - lp;
          const score = (lp * lp + (lt - lp) * (lt - lp)) / lt + (rp * rp + (rt - rp) * (rt - rp)) / rt;
          if (score > bestScore) {
            bestScore = score;
            bestFeature = f;
            bestBin = b;
          }
        }
      }
      for (let b = lo; b <= hi; b++) {
        histAll[b] = 0;
        histPos[b] = 0;
      }
    }
    if (bestFeature < 0) return undefined;
    const a = partitionRows(bins, d, rows, begin, end, bestFeature, bestBin);
    return [bestFeature, (edges[bestFeature] as Float64Array)[bestBin] as number, a];
  };
}

/**
 * The extremely randomized split on raw values: for up to `maxFeatures` features not constant in the
 * node (in a random order), one cut drawn uniformly in [min, max) of the node's values; the best cut by
 * Gini, taken even when it leaves the impurity as it was (as scikit-learn does), so the tree grows to
 * purity: random cuts of a few rows often keep both sides' fraud shares.
 */
function randomCutSplit(
  x: Matrix,
  y: Uint8Array,
  weight: Int32Array,
  rows: Int32Array,
  o: Resolved,
  rng: Rng,
  featOrder: number[],
): (begin: number, end: number, pos: number, total: number) => Split | undefined {
  const d = x.cols;
  const data = x.data;
  return (begin, end, pos, total) => {
    let bestScore = -Infinity;
    let bestFeature = -1;
    let bestCut = 0;
    rng.shuffle(featOrder);
    let tried = 0;
    for (let k = 0; k < d && tried < o.maxFeatures; k++) {
      const f = featOrder[k] as number;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = begin; i < end; i++) {
        const v = data[(rows[i] as number) * d + f] as number;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (!(lo < hi)) continue;
      tried++;
      const cut = lo + rng.next() * (hi - lo);
      // A cut that rounds to the maximum would send every row left: no split on this feature.
      if (!(cut < hi)) continue;
      let lp = 0;
      let lt = 0;
      for (let i = begin; i < end; i++) {
        const r = rows[i] as number;
        if ((data[r * d + f] as number) <= cut) {
          lt += weight[r] as number;
          lp += (weight[r] as number) * (y[r] as number);
        }
      }
      const rt = total - lt;
      if (lt < o.minLeafRows || rt < o.minLeafRows) continue;
      const rp = pos - lp;
      const score = (lp * lp + (lt - lp) * (lt - lp)) / lt + (rp * rp + (rt - rp) * (rt - rp)) / rt;
      if (score > bestScore) {
        bestScore = score;
        bestFeature = f;
        bestCut = cut;
      }
    }
    if (bestFeature < 0) return undefined;
    return [bestFeature, bestCut, partitionRows(data, d, rows, begin, end, bestFeature, bestCut)];
  };
}

const packedCache = new WeakMap<ForestState, PackedTrees>();

/**
 * Mean fraud share over the trees. With `contrib` (rows × cols), also adds each feature's
 * contributions (the change in node value along each tree's path credited to the split feature,
 * Saabas' attribution, averaged over the trees); the caller keeps the positive parts.
 */
export function scoreForest(state: ForestState, x: Matrix, contrib?: Float64Array): Float64Array {
  let p = packedCache.get(state);
  if (!p) {
    p = packTrees(state.trees, (t, i) => t.value[i] as number);
    packedCache.set(state, p);
  }
  const nTrees = p.roots.length;
  const w = 1 / Math.max(1, nTrees);
  if (!contrib) {
    const out = sumLeaves(p, x, false, 0);
    for (let r = 0; r < x.rows; r++) out[r] = (out[r] as number) * w;
    return out;
  }
  // With contributions: row by row, crediting each step along the path.
  const out = new Float64Array(x.rows);
  const d = x.cols;
  const data = x.data;
  for (let r = 0; r < x.rows; r++) {
    const off = r * d;
    let s = 0;
    for (let k = 0; k < nTrees; k++) {
      s += p.value[creditPath(p, p.roots[k] as number, data, off, false, w, contrib)] as number;
    }
    out[r] = s * w;
  }
  return out;
}

/** Checks a parsed bundle state (false on anything malformed). */
export function checkForestState(s: unknown, features: number): s is ForestState {
  if (!s || typeof s !== 'object') return false;
  const st = s as ForestState;
  if (st.kind !== 'random-forest' || st.features !== features || !Array.isArray(st.trees) || st.trees.length === 0) return false;
  // A fraud share in [0, 1]; a NaN written to JSON comes back as null, which `>=` would take for 0.
  return st.trees.every((t) => validTree(t, features, (v) => typeof v === 'number' && v >= 0 && v <= 1));
}
