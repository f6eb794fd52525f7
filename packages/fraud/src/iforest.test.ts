import { describe, expect, it } from 'vitest';
import { fitIsolationForest, scoreIsolationForest } from './iforest';

/** `rows` × (1 varying + `constant` constant) columns; the varying one is the row index. */
function withConstants(rows: number, constant: number): { rows: number; cols: number; data: Float64Array } {
  const cols = constant + 1;
  const data = new Float64Array(rows * cols).fill(3);
  for (let r = 0; r < rows; r++) data[r * cols + constant] = r;
  return { rows, cols, data };
}

describe('isolation forest', () => {
  it('draws split features as scikit-learn does: a node is a leaf only when every feature is constant on its rows', () => {
    const x = withConstants(300, 100);
    const state = fitIsolationForest(x, { trees: 50, seed: 1 });
    // With 100 constant columns and one varying, every tree still splits its root (16 draws with
    // replacement used to miss the varying column in about 85 % of nodes).
    for (const tree of state.trees) expect(tree.feature[0]).toBe(100);
    // A node reached by one distinct value is a leaf, whatever its size.
    const dup = { rows: 64, cols: 3, data: new Float64Array(64 * 3).fill(7) };
    for (const tree of fitIsolationForest(dup, { trees: 5, seed: 2 }).trees) expect(tree.feature).toEqual([-1]);
  });

  it('isolates the end of a lone varying column among constant ones', () => {
    const x = withConstants(300, 50);
    const scores = scoreIsolationForest(fitIsolationForest(x, { trees: 100, seed: 3 }), x);
    expect(new Set(Array.from(scores)).size).toBeGreaterThan(250);
    expect(scores[0]!).toBeGreaterThan(scores[150]!);
    expect(scores[299]!).toBeGreaterThan(scores[150]!);
  });
});
