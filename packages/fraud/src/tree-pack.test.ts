import { describe, expect, it } from 'vitest';
import type { Matrix } from './matrix';
import { BLOCK_ROWS, packTrees, pushLeaf, sumLeaves, type GrowingTree } from './tree-pack';

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
});
