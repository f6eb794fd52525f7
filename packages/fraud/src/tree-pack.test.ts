import { describe, expect, it } from 'vitest';
import type { Matrix } from './matrix';
import { BLOCK_ROWS, packTrees, pushLeaf, sumLeaves, validTree, type GrowingTree } from './tree-pack';

type Tree = GrowingTree & { value: number[] };

// A random tree over `d` features with `splits` splits (children always pushed after their parent).
function randomTree(d: number, splits: number, rand: () => number): Tree {
  const t: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const leaf = (): number => {
    t.value.push(Math.round(rand() * 1000) / 7);
    return pushLeaf(t);
  };
  const open = [leaf()];
  for (let s = 0; s < splits && open.length; s++) {
    const node = open.splice(Math.floor(rand() * open.length), 1)[0] as number;
    t.feature[node] = Math.floor(rand() * d);
    t.threshold[node] = Math.round(rand() * 10) / 10;
    // Right child first sometimes, so the packed order differs from the grown one.
    const [a, b] = rand() < 0.5 ? [leaf(), leaf()] : [leaf(), leaf()].reverse();
    t.left[node] = a as number;
    t.right[node] = b as number;
    open.push(a as number, b as number);
  }
  return t;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

describe('packed trees', () => {
  it('sums the leaves a row-by-row walk reaches, to the last bit, across blocks, with ties and NaN going the documented way', () => {
    const rand = lcg(7);
    const d = 4;
    const trees = Array.from({ length: 9 }, () => randomTree(d, 25, rand));
    // Values on the thresholds' grid (ties), NaN in some cells, more rows than one block.
    const rows = Array.from({ length: 2 * BLOCK_ROWS + 37 }, () =>
      Array.from({ length: d }, () => (rand() < 0.05 ? NaN : Math.round(rand() * 10) / 10)),
    );
    const x: Matrix = { data: Float64Array.from(rows.flat()), rows: rows.length, cols: d };
    const p = packTrees(trees, (t, i) => t.value[i] as number);
    for (const strict of [false, true]) {
      const walk = (t: Tree, row: number[]): number => {
        let node = 0;
        while ((t.feature[node] as number) >= 0) {
          const v = row[t.feature[node] as number] as number;
          const th = t.threshold[node] as number;
          node = (strict ? v < th : v <= th) ? (t.left[node] as number) : (t.right[node] as number);
        }
        return t.value[node] as number;
      };
      const expected = rows.map((row) => trees.reduce((s, t) => s + walk(t, row), 0.25));
      expect(Array.from(sumLeaves(p, x, strict, 0.25))).toEqual(expected);
    }
    // Siblings side by side, every node packed once, roots in tree order.
    expect(p.feature.length).toBe(trees.reduce((n, t) => n + t.feature.length, 0));
    for (let i = 0; i < p.feature.length; i++) if ((p.feature[i] as number) >= 0) expect(p.left[i]).toBeGreaterThan(i);
    expect(Array.from(p.roots)).toEqual([...p.roots].sort((a, b) => a - b));
  });

  it('gives node values their depth', () => {
    const t = randomTree(2, 6, lcg(3));
    const p = packTrees([t], (_t, _i, depth) => depth);
    const depthOf = (node: number, depth: number): number[] =>
      (t.feature[node] as number) < 0
        ? [depth]
        : [...depthOf(t.left[node] as number, depth + 1), ...depthOf(t.right[node] as number, depth + 1)];
    const packedLeafDepths: number[] = [];
    const visit = (node: number): void => {
      if ((p.feature[node] as number) < 0) packedLeafDepths.push(p.value[node] as number);
      else {
        visit(p.left[node] as number);
        visit((p.left[node] as number) + 1);
      }
    };
    visit(0);
    expect(packedLeafDepths).toEqual(depthOf(0, 0));
  });

  it('a tree whose splits share a child is not valid (packing it would copy each path) and is refused if packed anyway', () => {
    const t = randomTree(3, 12, lcg(5));
    const ok = (v: unknown): boolean => typeof v === 'number';
    expect(validTree(t, 3, ok)).toBe(true);
    const split = t.feature.findIndex((f) => f >= 0);
    const same = structuredClone(t);
    same.right[split] = same.left[split] as number;
    expect(validTree(same, 3, ok)).toBe(false);
    // Two splits pointing at one node: a chain of 40 such levels would take 2^40 steps to pack.
    const chain: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
    for (let i = 0; i < 40; i++) {
      chain.feature.push(0);
      chain.threshold.push(0.5);
      chain.left.push(i + 1);
      chain.right.push(i + 1);
      chain.value.push(0);
    }
    chain.value.push(1);
    pushLeaf(chain);
    expect(validTree(chain, 1, ok)).toBe(false);
    // Two splits sharing one child (node 4 under both 1 and 2).
    const twoParents: Tree = {
      feature: [0, 0, 0, -1, -1, -1],
      threshold: [0.5, 0.2, 0.8, 0, 0, 0],
      left: [1, 3, 4, -1, -1, -1],
      right: [2, 4, 5, -1, -1, -1],
      value: [0, 0, 0, 1, 2, 3],
    };
    expect(validTree(twoParents, 1, ok)).toBe(false);
    expect(validTree({ ...twoParents, left: [1, 3, 5, -1, -1, -1], right: [2, 4, 5, -1, -1, -1] }, 1, ok)).toBe(false);
    twoParents.left[2] = 5;
    twoParents.right[2] = 6;
    expect(
      validTree(
        {
          ...twoParents,
          feature: [...twoParents.feature, -1],
          threshold: [...twoParents.threshold, 0],
          value: [...twoParents.value, 4],
          left: [...twoParents.left, -1],
          right: [...twoParents.right, -1],
        },
        1,
        ok,
      ),
    ).toBe(true);
    expect(() => packTrees([chain], () => 0)).toThrow(expect.objectContaining({ code: 'E_BUNDLE_CORRUPT' }));
  });
});
