/** A binary tree as parallel arrays: `feature` −1 marks a leaf; rows with value ≤ threshold go left. */
export interface NodeArrays {
  feature: readonly number[];
  threshold: readonly number[];
  left: readonly number[];
  right: readonly number[];
}

/** Every tree of an ensemble in flat typed arrays, children as absolute node indices (−1 at leaves). */
export interface PackedTrees {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** One number per node, chosen by the ensemble (a leaf output, a path-length correction …). */
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
 * Packs an ensemble's trees for fast scoring (the isolation forest and the gradient-boosted trees
 * share it), with `nodeValue(tree, node)` stored beside each node.
 */
export function packTrees<T extends NodeArrays>(trees: readonly T[], nodeValue: (tree: T, node: number) => number): PackedTrees {
  const total = trees.reduce((n, t) => n + t.feature.length, 0);
  const p: PackedTrees = {
    feature: new Int32Array(total),
    threshold: new Float64Array(total),
    left: new Int32Array(total),
    right: new Int32Array(total),
    value: new Float64Array(total),
    roots: new Int32Array(trees.length),
  };
  let base = 0;
  trees.forEach((t, k) => {
    p.roots[k] = base;
    for (let i = 0; i < t.feature.length; i++) {
      const f = t.feature[i] as number;
      p.feature[base + i] = f;
      p.threshold[base + i] = t.threshold[i] as number;
      p.left[base + i] = f < 0 ? -1 : base + (t.left[i] as number);
      p.right[base + i] = f < 0 ? -1 : base + (t.right[i] as number);
      p.value[base + i] = nodeValue(t, i);
    }
    base += t.feature.length;
  });
  return p;
}

/**
 * Checks one parsed tree (from a bundle): parallel arrays of one length, split features in range,
 * finite thresholds, children after their parent (so no cycles), and every node value accepted by
 * `valueOk` (NaN comes back from JSON as null: give a check that refuses non-numbers).
 */
export function validTree(t: unknown, features: number, valueOk: (v: unknown) => boolean): boolean {
  const tree = t as (NodeArrays & { value: readonly unknown[] }) | undefined;
  const n = tree?.feature?.length;
  if (!tree || !n || [tree.threshold, tree.left, tree.right, tree.value].some((a) => !Array.isArray(a) || a.length !== n)) return false;
  for (let i = 0; i < n; i++) {
    const f = tree.feature[i] as number;
    if (!Number.isInteger(f) || f < -1 || f >= features || !valueOk(tree.value[i])) return false;
    if (f >= 0) {
      const l = tree.left[i] as number;
      const r = tree.right[i] as number;
      if (!Number.isFinite(tree.threshold[i])) return false;
      if (!(Number.isInteger(l) && Number.isInteger(r) && l > i && r > i && l < n && r < n)) return false;
    }
  }
  return true;
}
