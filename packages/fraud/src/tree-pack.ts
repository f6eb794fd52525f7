import { AppliedMLError } from '@appliedml/engine';
import type { Matrix } from './matrix';

/** A binary tree as parallel arrays: `feature` −1 marks a leaf; rows with value ≤ threshold go left. */
export interface NodeArrays {
  feature: readonly number[];
  threshold: readonly number[];
  left: readonly number[];
  right: readonly number[];
}

/**
 * Every tree of an ensemble in flat typed arrays, laid out for scoring: each split node's two children
 * sit side by side (`left[node]` is the left child, the right one follows it), so a step down the tree
 * is one add and no jump; nodes are numbered afresh (−1 at leaves in `left`).
 */
export interface PackedTrees {
  feature: Int32Array;
  threshold: Float64Array;
  /** The left child of a split node; the right child is `left[node] + 1`. */
  left: Int32Array;
  /** One number per node, chosen by the ensemble (a leaf output, a path length …). */
  value: Float64Array;
  /** Index of each tree's root. */
  roots: Int32Array;
}

/** A tree being grown: the node arrays every tree here shares (per-node values live beside them). */
export interface GrowingTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
}

/** Appends a leaf (feature −1, no children) and returns its index; the caller pushes its per-node value. */
export function pushLeaf(tree: GrowingTree): number {
  tree.feature.push(-1);
  tree.threshold.push(0);
  tree.left.push(-1);
  tree.right.push(-1);
  return tree.feature.length - 1;
}

/**
 * Packs an ensemble's trees for fast scoring (the isolation forest, the gradient-boosted trees and the
 * random forest share it), with `nodeValue(tree, node, depth)` stored beside each node (depth 0 at
 * the root).
 */
export function packTrees<T extends NodeArrays>(
  trees: readonly T[],
  nodeValue: (tree: T, node: number, depth: number) => number,
): PackedTrees {
  const total = trees.reduce((n, t) => n + t.feature.length, 0);
  const p: PackedTrees = {
    feature: new Int32Array(total),
    threshold: new Float64Array(total),
    left: new Int32Array(total),
    value: new Float64Array(total),
    roots: new Int32Array(trees.length),
  };
  let next = 0;
  // [node in the tree, its packed index, depth]
  const open: Array<[number, number, number]> = [];
  trees.forEach((t, k) => {
    p.roots[k] = next;
    open.push([0, next++, 0]);
    while (open.length) {
      const [src, dst, depth] = open.pop() as [number, number, number];
      const f = t.feature[src] as number;
      p.feature[dst] = f;
      p.value[dst] = nodeValue(t, src, depth);
      if (f < 0) {
        p.left[dst] = -1;
        continue;
      }
      p.threshold[dst] = t.threshold[src] as number;
      // Only a tree whose nodes share a child reaches more nodes than it has (validTree refuses those).
      if (next + 2 > total) throw new AppliedMLError('E_BUNDLE_CORRUPT', 'A tree reuses a node as the child of two splits.');
      p.left[dst] = next;
      open.push([t.right[src] as number, next + 1, depth + 1], [t.left[src] as number, next, depth + 1]);
      next += 2;
    }
  });
  return p;
}

/**
 * Walks the row at `off` in `data` (rows of `features` values) down the tree rooted at `root`, adding each
 * step's change in node value (child − parent) × `weight` to the split feature's entry of `contrib` at
 * `off` (Saabas' attribution); returns the leaf reached. A row goes right when its value is not ≤ the
 * threshold (`strict`: not <), as in `findLeaves`.
 */
export function creditPath(
  p: PackedTrees,
  root: number,
  data: Float64Array,
  off: number,
  strict: boolean,
  weight: number,
  contrib: Float64Array,
): number {
  let node = root;
  let f = p.feature[node] as number;
  while (f >= 0) {
    const v = data[off + f] as number;
    const t = p.threshold[node] as number;
    const next = (p.left[node] as number) + ((strict ? v < t : v <= t) ? 0 : 1);
    contrib[off + f] = (contrib[off + f] as number) + ((p.value[next] as number) - (p.value[node] as number)) * weight;
    node = next;
    f = p.feature[node] as number;
  }
  return node;
}

/** Rows scored together, tree by tree, so one tree stays in the cache across them. */
export const BLOCK_ROWS = 128;

/**
 * The leaf each row of `x` in [r0, r1) reaches in each tree: `leaves[(r − r0) · trees + k]`. A row goes
 * right when its value is not ≤ the threshold (`strict`: not <), so NaN goes right.
 */
export function findLeaves(p: PackedTrees, x: Matrix, r0: number, r1: number, strict: boolean, leaves: Int32Array): void {
  const { feature, threshold, left, roots } = p;
  const data = x.data;
  const d = x.cols;
  const n = roots.length;
  for (let k = 0; k < n; k++) {
    const root = roots[k] as number;
    for (let r = r0; r < r1; r++) {
      const off = r * d;
      let node = root;
      let f = feature[node] as number;
      if (strict) {
        while (f >= 0) {
          node = (left[node] as number) + ((data[off + f] as number) < (threshold[node] as number) ? 0 : 1);
          f = feature[node] as number;
        }
      } else {
        while (f >= 0) {
          node = (left[node] as number) + ((data[off + f] as number) <= (threshold[node] as number) ? 0 : 1);
          f = feature[node] as number;
        }
      }
      leaves[(r - r0) * n + k] = node;
    }
  }
}

/**
 * Sums `value` over the leaves each row reaches, trees in order (so the sum is the same to the last bit
 * as a row-by-row walk), starting from `start`; `strict` as in `findLeaves`.
 */
export function sumLeaves(p: PackedTrees, x: Matrix, strict: boolean, start: number): Float64Array {
  const out = new Float64Array(x.rows);
  const n = p.roots.length;
  const leaves = new Int32Array(Math.min(BLOCK_ROWS, x.rows) * n);
  const value = p.value;
  for (let r0 = 0; r0 < x.rows; r0 += BLOCK_ROWS) {
    const r1 = Math.min(x.rows, r0 + BLOCK_ROWS);
    findLeaves(p, x, r0, r1, strict, leaves);
    for (let r = r0; r < r1; r++) {
      let s = start;
      const base = (r - r0) * n;
      for (let k = 0; k < n; k++) s += value[leaves[base + k] as number] as number;
      out[r] = s;
    }
  }
  return out;
}

/**
 * Checks one parsed tree (from a bundle): parallel arrays of one length, split features in range,
 * finite thresholds, children after their parent (so no cycles), no node the child of two splits, and every node value accepted by
 * `valueOk` (NaN comes back from JSON as null: give a check that refuses non-numbers).
 */
export function validTree(t: unknown, features: number, valueOk: (v: unknown) => boolean): boolean {
  const tree = t as (NodeArrays & { value: readonly unknown[] }) | undefined;
  const n = tree?.feature?.length;
  if (!tree || !n || [tree.threshold, tree.left, tree.right, tree.value].some((a) => !Array.isArray(a) || a.length !== n)) return false;
  // Each node is the child of at most one split, and of one side only: a shared child would make the
  // packed copy grow exponentially (packTrees copies each path).
  const hasParent = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const f = tree.feature[i] as number;
    if (!Number.isInteger(f) || f < -1 || f >= features || !valueOk(tree.value[i])) return false;
    if (f >= 0) {
      const l = tree.left[i] as number;
      const r = tree.right[i] as number;
      if (!Number.isFinite(tree.threshold[i])) return false;
      if (!(Number.isInteger(l) && Number.isInteger(r) && l > i && r > i && l < n && r < n && l !== r)) return false;
      if (hasParent[l] || hasParent[r]) return false;
      hasParent[l] = 1;
      hasParent[r] = 1;
    }
  }
  return true;
}
