import { AppliedMLError, rocAuc } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { checkForestState, fitForest, scoreForest, type ForestTree } from './forest';
import { checkGbtState, fitGbt, scoreGbt } from './gbt';
import { plantedData } from '../test/planted';

// Fraud inside a disc of radius 0.4 around (0.5, 0.5) in the first two features (axis-aligned
// splits need many steps), plus a third, pure-noise feature; `flip` of the labels are flipped.
const discData = (rows: number, seed: number, flip = 0): ReturnType<typeof plantedData> =>
  plantedData(rows, seed, (a, b) => (a - 0.5) ** 2 + (b - 0.5) ** 2 < 0.16, flip);

describe('random forest', () => {
  it('learns a disc, held-out AUCROC > 0.98, deterministic for a seed, leaves hold fraud shares', () => {
    const train = discData(3000, 1);
    const test = discData(1000, 2);
    const a = fitForest(train.x, train.y, { trees: 30 }, 5);
    const b = fitForest(train.x, train.y, { trees: 30 }, 5);
    expect(a.trees).toHaveLength(30);
    const s = scoreForest(a, test.x);
    expect(rocAuc(test.y, s)).toBeGreaterThan(0.98);
    expect(Array.from(scoreForest(b, test.x))).toEqual(Array.from(s));
    expect(Array.from(scoreForest(fitForest(train.x, train.y, { trees: 30 }, 6), test.x))).not.toEqual(Array.from(s));
    for (const v of s) expect(v >= 0 && v <= 1).toBe(true);
    // Grown to purity on noise-free data: every leaf is all fraud or all normal.
    for (const t of a.trees) t.feature.forEach((f, i) => f < 0 && expect([0, 1]).toContain(t.value[i]));
    // The noise feature gets little of the evidence; contributions leave the scores unchanged.
    const contrib = new Float64Array(test.x.data.length);
    expect(Array.from(scoreForest(a, test.x, contrib))).toEqual(Array.from(s));
    const per = [0, 0, 0];
    for (let i = 0; i < contrib.length; i++) per[i % 3] = (per[i % 3] as number) + Math.max(0, contrib[i] as number);
    expect(per[2] as number).toBeLessThan(0.25 * Math.min(per[0] as number, per[1] as number));
  });

  it('a row scores exactly the mean of its leaves, tree by tree', () => {
    const train = discData(1500, 7, 0.1);
    const test = discData(700, 8);
    const st = fitForest(train.x, train.y, { trees: 12 }, 2);
    const walk = (t: ForestTree, off: number): number => {
      let node = 0;
      while ((t.feature[node] as number) >= 0)
        node =
          (test.x.data[off + (t.feature[node] as number)] as number) <= (t.threshold[node] as number)
            ? (t.left[node] as number)
            : (t.right[node] as number);
      return t.value[node] as number;
    };
    const expected = Array.from(
      { length: test.x.rows },
      (_, r) => st.trees.reduce((s, t) => s + walk(t, r * 3), 0) * (1 / st.trees.length),
    );
    expect(Array.from(scoreForest(st, test.x))).toEqual(expected);
  });

  it("extremely randomized trees: cut between a node's raw extremes, learn the disc, leave the bootstrap trees as they were", () => {
    const train = discData(3000, 11);
    const test = discData(1000, 12);
    const plain = fitForest(train.x, train.y, { trees: 20 }, 4);
    const mixed = fitForest(train.x, train.y, { trees: 30, extraTrees: 10 }, 4);
    const allExtra = fitForest(train.x, train.y, { trees: 20, extraTrees: 20 }, 4);
    // The first trees - extraTrees are the bootstrap trees the same seed grows without the option.
    expect(mixed.trees.slice(0, 20)).toEqual(plain.trees);
    expect(mixed.trees).toHaveLength(30);
    expect(JSON.stringify(fitForest(train.x, train.y, { trees: 30, extraTrees: 10 }, 4))).toEqual(JSON.stringify(mixed));
    expect(rocAuc(test.y, scoreForest(allExtra, test.x))).toBeGreaterThan(0.98);
    expect(rocAuc(test.y, scoreForest(mixed, test.x))).toBeGreaterThan(0.98);
    // Grown on every row (no bootstrap) to purity: the root holds the whole set's fraud share and every leaf is pure.
    let pos = 0;
    for (const v of train.y) pos += v;
    for (const t of allExtra.trees) {
      expect(t.value[0]).toBeCloseTo(pos / train.y.length, 12);
      t.feature.forEach((f, i) => f < 0 && expect([0, 1]).toContain(t.value[i]));
    }
    // Random cuts: the root cuts differ from tree to tree and lie inside the feature's range.
    const roots = new Set(allExtra.trees.map((t) => t.threshold[0]));
    expect(roots.size).toBe(20);
    for (const t of allExtra.trees) {
      const f = t.feature[0] as number;
      let lo = Infinity;
      let hi = -Infinity;
      for (let r = 0; r < train.x.rows; r++) {
        lo = Math.min(lo, train.x.data[r * 3 + f] as number);
        hi = Math.max(hi, train.x.data[r * 3 + f] as number);
      }
      expect(t.threshold[0]).toBeGreaterThanOrEqual(lo);
      expect(t.threshold[0]).toBeLessThan(hi);
    }
    // Beside the boosted trees, through the gbt option.
    const g = fitGbt(train.x, train.y, { trees: 30, forest: { trees: 6, extraTrees: 3 } }, 2);
    expect(g.forest?.trees).toHaveLength(6);
    expect(rocAuc(test.y, scoreGbt(g, test.x))).toBeGreaterThan(0.97);
    expect(() => fitGbt(train.x, train.y, { forest: { trees: 2, extraTrees: 3 } })).toThrow(/forest.extraTrees/);
  });

  it('minLeafRows and maxDepth bound the trees; a constant feature is never split on', () => {
    const { x, y } = discData(2000, 3, 0.1);
    for (let r = 0; r < x.rows; r++) x.data[r * 3 + 2] = 4;
    const full = fitForest(x, y, { trees: 5 }, 1);
    const coarse = fitForest(x, y, { trees: 5, minLeafRows: 20 }, 1);
    const shallow = fitForest(x, y, { trees: 5, maxDepth: 3 }, 1);
    const nodes = (st: typeof full): number => st.trees.reduce((n, t) => n + t.feature.length, 0);
    expect(nodes(coarse)).toBeLessThan(nodes(full) / 3);
    for (const t of shallow.trees) expect(t.feature.length).toBeLessThanOrEqual(15);
    for (const st of [full, coarse, shallow]) for (const t of st.trees) expect(t.feature.includes(2)).toBe(false);
  });

  it('JSON round trip keeps the scores; malformed states and options are refused', () => {
    const { x, y } = discData(500, 4);
    const st = fitForest(x, y, { trees: 4 }, 1);
    const again = JSON.parse(JSON.stringify(st)) as unknown;
    expect(checkForestState(again, 3)).toBe(true);
    expect(Array.from(scoreForest(again as typeof st, x))).toEqual(Array.from(scoreForest(st, x)));
    expect(checkForestState(again, 4)).toBe(false);
    const bad = JSON.parse(JSON.stringify(st)) as typeof st;
    (bad.trees[0] as { value: number[] }).value[0] = 1.5;
    expect(checkForestState(bad, 3)).toBe(false);
    // A NaN leaf comes back from JSON as null (which `>=` would read as 0).
    (bad.trees[0] as { value: unknown[] }).value[0] = null;
    expect(checkForestState(bad, 3)).toBe(false);
    const cyclic = JSON.parse(JSON.stringify(st)) as typeof st;
    (cyclic.trees[0] as { left: number[] }).left[0] = 0;
    expect(checkForestState(cyclic, 3)).toBe(false);
    expect(checkForestState({ ...st, trees: [] }, 3)).toBe(false);
    for (const o of [
      { trees: 0 },
      { minLeafRows: 0 },
      { maxFeatures: 1.5 },
      { maxDepth: 65 },
      { maxBins: 1 },
      { trees: 4, extraTrees: 5 },
      { extraTrees: -1 },
      { extraTrees: 0.5 },
    ]) {
      const err = (() => {
        try {
          fitForest(x, y, o, 1);
        } catch (e) {
          return e;
        }
      })();
      expect(AppliedMLError.isInstance(err) && err.code).toBe('E_INPUT_INVALID');
    }
  });

  it('beside the boosted trees: probabilities are the mean of both, evidence the mean of both shares', () => {
    const train = discData(2000, 5, 0.05);
    const test = discData(500, 6);
    const plain = fitGbt(train.x, train.y, { trees: 60, forest: false }, 3);
    const both = fitGbt(train.x, train.y, { trees: 60, forest: { trees: 20 } }, 3);
    expect(fitGbt(train.x, train.y, { trees: 60 }, 3).forest?.trees).toHaveLength(50);
    expect(both.trees).toEqual(plain.trees);
    expect(both.forest?.trees).toHaveLength(20);
    const g = scoreGbt(plain, test.x);
    const f = scoreForest(both.forest as NonNullable<typeof both.forest>, test.x);
    const s = scoreGbt(both, test.x);
    for (let r = 0; r < test.x.rows; r++) expect(s[r]).toBeCloseTo(((g[r] as number) + (f[r] as number)) / 2, 12);
    expect(rocAuc(test.y, s)).toBeGreaterThan(0.97);
    const contrib = new Float64Array(test.x.data.length);
    expect(Array.from(scoreGbt(both, test.x, contrib))).toEqual(Array.from(s));
    for (let r = 0; r < test.x.rows; r++) {
      const row = contrib.subarray(r * 3, r * 3 + 3);
      const sum = row.reduce((a, v) => a + v, 0);
      for (const v of row) expect(v).toBeGreaterThanOrEqual(0);
      // Shares of the evidence: they sum to 1 wherever either model found any.
      if (sum > 0) expect(sum).toBeCloseTo(1, 9);
    }
    // Where the model flags fraud, the noise feature is rarely the main reason.
    let flagged = 0;
    let noiseFirst = 0;
    for (let r = 0; r < test.x.rows; r++) {
      if ((s[r] as number) < 0.5) continue;
      flagged++;
      const [a, b, c] = contrib.subarray(r * 3, r * 3 + 3) as unknown as [number, number, number];
      if (c > a && c > b) noiseFirst++;
    }
    expect(flagged).toBeGreaterThan(20);
    expect(noiseFirst).toBeLessThan(0.05 * flagged);
    expect(checkGbtState(JSON.parse(JSON.stringify(both)), 3)).toBe(true);
    expect(checkGbtState({ ...both, forest: { ...both.forest, features: 2 } }, 3)).toBe(false);
    expect(() => fitGbt(train.x, train.y, { forest: { trees: -1 } })).toThrow(/forest.trees/);
    expect(() => fitGbt(train.x, train.y, { forest: 3 as unknown as false })).toThrow(/gbt.forest/);
  });
});

/** A matrix wider than a call's argument limit (~125,000 here): 8 rows × 150,000 features. */
function wideMatrix(): { x: { data: Float64Array; rows: number; cols: number }; y: Uint8Array } {
  const rows = 8;
  const cols = 150_000;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 13;
  return { x: { data, rows, cols }, y: Uint8Array.from({ length: rows }, (_, i) => (i % 2 === 0 ? 1 : 0)) };
}

describe('random forest on a very wide matrix', () => {
  // The widest bin count was Math.max(...) with one argument per feature: past ~120,000 features a
  // RangeError 'Maximum call stack size exceeded', not a typed error nor a forest.
  it('fits 150,000 features', () => {
    const { x, y } = wideMatrix();
    const state = fitForest(x, y, { trees: 1, maxDepth: 1 }, 1);
    expect(state.trees).toHaveLength(1);
    expect(scoreForest(state, x)).toHaveLength(8);
  }, 30_000);
});
