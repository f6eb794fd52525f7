import { createRng, type Rng } from '@appliedml/engine';
import type { Matrix } from './matrix';
import { creditPath, packTrees, pushLeaf, sumLeaves, validTree, type PackedTrees } from './tree-pack';
import { runSteps, type Steps } from './steps';

/**
 * Isolation forest (Liu, Ting and Zhou, 2008): random axis-aligned splits isolate outliers in
 * fewer steps. Defaults follow scikit-learn/PyOD: 100 trees, 256 samples per tree, depth limit
 * ceil(log2(256)). Trees are flat arrays so they serialise into the bundle manifest.
 */
export interface IsolationForestOptions {
  trees?: number;
  sampleSize?: number;
  seed?: number;
}

export interface IsolationTree {
  /** Split feature per node; -1 marks a leaf. */
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  /** Training rows that reached a leaf (for the c(n) path correction). */
  size: number[];
}

export interface IsolationForestState {
  kind: 'iforest';
  sampleSize: number;
  trees: IsolationTree[];
}

/** True when `state` is a usable isolation forest over `features` columns (as read back from a bundle). */
export function checkIsolationForestState(state: unknown, features: number): state is IsolationForestState {
  const s = state as Partial<IsolationForestState> | null;
  if (!s || s.kind !== 'iforest' || !Number.isInteger(s.sampleSize) || (s.sampleSize as number) < 1) return false;
  if (!Array.isArray(s.trees) || s.trees.length === 0) return false;
  // Children come after their parent (so no cycle), split features are in range, sizes are counts.
  return s.trees.every(
    (t: IsolationTree | null) =>
      t !== null && typeof t === 'object' && validTree({ ...t, value: t.size }, features, (v) => Number.isInteger(v) && (v as number) >= 0),
  );
}

const EULER = 0.5772156649;

/** Average path length of an unsuccessful BST search over n points. */
export function cFactor(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER) - (2 * (n - 1)) / n;
}

export function fitIsolationForest(x: Matrix, options: IsolationForestOptions = {}): IsolationForestState {
  return runSteps(fitIsolationForestSteps(x, options));
}

/** `fitIsolationForest` as steps: it yields after every tree, where a caller may pause. */
export function* fitIsolationForestSteps(x: Matrix, options: IsolationForestOptions = {}): Steps<IsolationForestState> {
  const trees = options.trees ?? 100;
  const sampleSize = Math.min(options.sampleSize ?? 256, x.rows);
  const rng = createRng(options.seed ?? 0);
  const maxDepth = Math.ceil(Math.log2(Math.max(2, sampleSize)));
  const out: IsolationTree[] = [];
  const all = Array.from({ length: x.rows }, (_, i) => i);
  for (let t = 0; t < trees; t++) {
    // Sample without replacement: partial Fisher-Yates.
    for (let i = 0; i < sampleSize; i++) {
      const j = i + rng.nextInt(x.rows - i);
      const tmp = all[i] as number;
      all[i] = all[j] as number;
      all[j] = tmp;
    }
    out.push(buildTree(x, all.slice(0, sampleSize), maxDepth, rng));
    yield;
  }
  return { kind: 'iforest', sampleSize, trees: out };
}

function buildTree(x: Matrix, idx: number[], maxDepth: number, rng: Rng): IsolationTree {
  const tree: IsolationTree = { feature: [], threshold: [], left: [], right: [], size: [] };
  const order = Array.from({ length: x.cols }, (_, i) => i);
  const grow = (rows: number[], depth: number): number => {
    const node = pushLeaf(tree);
    tree.size.push(rows.length);
    if (depth >= maxDepth || rows.length <= 1) return node;
    // As scikit-learn's: features drawn without replacement until one varies on these rows (a partial
    // Fisher-Yates over `order`); a leaf only when every feature is constant here.
    for (let k = 0; k < x.cols; k++) {
      const j = k + rng.nextInt(x.cols - k);
      const f = order[j] as number;
      order[j] = order[k] as number;
      order[k] = f;
      let lo = Infinity;
      let hi = -Infinity;
      for (const r of rows) {
        const v = x.data[r * x.cols + f] as number;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (hi <= lo) continue;
      const thr = lo + rng.next() * (hi - lo);
      const l: number[] = [];
      const rr: number[] = [];
      for (const r of rows) ((x.data[r * x.cols + f] as number) < thr ? l : rr).push(r);
      tree.feature[node] = f;
      tree.threshold[node] = thr;
      const li = grow(l, depth + 1);
      const ri = grow(rr, depth + 1);
      tree.left[node] = li;
      tree.right[node] = ri;
      return node;
    }
    return node;
  };
  grow(idx, 0);
  return tree;
}

const packedCache = new WeakMap<IsolationForestState, PackedTrees>();

/** All trees in flat typed arrays (built once per fitted model) for fast scoring. */
function pack(state: IsolationForestState): PackedTrees {
  let p = packedCache.get(state);
  if (!p) {
    // A leaf's value is its depth plus the expected depth still to go among its training rows.
    p = packTrees(state.trees, (t, i, depth) => ((t.feature[i] as number) < 0 ? depth + cFactor(t.size[i] as number) : 0));
    packedCache.set(state, p);
  }
  return p;
}

/** Anomaly score in (0, 1): 2^(-E[h(x)] / c(sampleSize)); higher is more anomalous. */
export function scoreIsolationForest(state: IsolationForestState, x: Matrix): Float64Array {
  const norm = cFactor(state.sampleSize) || 1;
  const p = pack(state);
  const nTrees = p.roots.length;
  const out = sumLeaves(p, x, true, 0);
  for (let r = 0; r < x.rows; r++) out[r] = Math.pow(2, -(out[r] as number) / nTrees / norm);
  return out;
}

const pathCache = new WeakMap<IsolationForestState, PackedTrees>();

/**
 * Per-feature evidence of isolation (rows × cols, added to `contrib`): each node holds the expected path
 * length of a row reaching it (its depth plus c(training rows that reached it)), and every step down a
 * tree credits its split feature with how much shorter that step made the expected path (Saabas'
 * attribution on path length). Over a row's path they add up to c(sample) − its path length, averaged over
 * the trees: the features whose splits isolated the row early carry its evidence. Returns the scores.
 */
export function scoreIsolationForestWithContrib(state: IsolationForestState, x: Matrix, contrib: Float64Array): Float64Array {
  let p = pathCache.get(state);
  if (!p) {
    p = packTrees(state.trees, (t, i, depth) => depth + cFactor(t.size[i] as number));
    pathCache.set(state, p);
  }
  const norm = cFactor(state.sampleSize) || 1;
  const nTrees = p.roots.length;
  const d = x.cols;
  const data = x.data;
  const out = new Float64Array(x.rows);
  const share = 1 / nTrees;
  for (let r = 0; r < x.rows; r++) {
    const off = r * d;
    let h = 0;
    for (let k = 0; k < nTrees; k++) {
      // A step towards a shorter expected path is evidence: the change in value counted negatively.
      h += p.value[creditPath(p, p.roots[k] as number, data, off, true, -share, contrib)] as number;
    }
    out[r] = Math.pow(2, -h / nTrees / norm);
  }
  return out;
}
