import { AppliedMLError, rocAuc } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { checkGbtState, fitGbt, scoreGbt } from './gbt';
import { plantedData } from '../test/planted';

// An interaction no single split separates: fraud when x0 and x1 have the same sign and |x0| > 0.5.
const xorData = (rows: number, seed: number): ReturnType<typeof plantedData> =>
  plantedData(rows, seed, (a, b) => a * b > 0 && Math.abs(a) > 0.5);

// These test the boosted trees themselves (`forest: false`); the forest beside them is tested in forest.test.ts.
describe('gradient-boosted trees', () => {
  it('learns an interaction, held-out AUCROC > 0.98, and is deterministic for a seed', () => {
    const train = xorData(3000, 1);
    const test = xorData(1000, 2);
    const a = fitGbt(train.x, train.y, { forest: false, trees: 200 }, 7);
    const b = fitGbt(train.x, train.y, { forest: false, trees: 200 }, 7);
    expect(a.rounds).toBeGreaterThan(5);
    expect(a.rounds).toBe(a.trees.length);
    const s = scoreGbt(a, test.x);
    expect(rocAuc(test.y, s)).toBeGreaterThan(0.98);
    expect(Array.from(scoreGbt(b, test.x))).toEqual(Array.from(s));
    // The noise feature (x2) gets little of the evidence; scores with contributions are the same.
    const contrib = new Float64Array(test.x.data.length);
    expect(Array.from(scoreGbt(a, test.x, contrib))).toEqual(Array.from(s));
    const per = [0, 0, 0];
    for (let i = 0; i < contrib.length; i++) per[i % 3] = (per[i % 3] as number) + (contrib[i] as number);
    expect(per[2] as number).toBeLessThan(0.2 * Math.min(per[0] as number, per[1] as number));
    for (const v of contrib) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('a constant or duplicate-valued feature is fine; JSON round trip keeps the scores', () => {
    const { x, y } = xorData(600, 3);
    for (let r = 0; r < x.rows; r++) x.data[r * 3 + 2] = 4;
    const st = fitGbt(x, y, { forest: false, trees: 30, validationFraction: 0 }, 1);
    expect(st.rounds).toBe(30);
    const again = JSON.parse(JSON.stringify(st)) as unknown;
    expect(checkGbtState(again, 3)).toBe(true);
    expect(Array.from(scoreGbt(again as typeof st, x))).toEqual(Array.from(scoreGbt(st, x)));
    for (const t of st.trees) expect(t.feature.includes(2)).toBe(false);
  });

  it('symmetric trees use at most one split per level (a leaf may skip a level) and learn the interaction too', () => {
    const train = xorData(3000, 1);
    const test = xorData(1000, 2);
    const st = fitGbt(train.x, train.y, { forest: false, growth: 'symmetric', maxDepth: 3, trees: 200, minLeafRows: 1 }, 7);
    expect(st.rounds).toBeGreaterThan(5);
    expect(rocAuc(test.y, scoreGbt(st, test.x))).toBeGreaterThan(0.98);
    for (const t of st.trees) {
      // One (feature, threshold) per level: at most maxDepth distinct splits, and paths no longer than that.
      const splits = new Set<string>();
      const depth = new Array<number>(t.feature.length).fill(0);
      for (let i = 0; i < t.feature.length; i++) {
        const f = t.feature[i] as number;
        if (f < 0) continue;
        splits.add(`${f}:${t.threshold[i] as number}`);
        depth[t.left[i] as number] = (depth[i] as number) + 1;
        depth[t.right[i] as number] = (depth[i] as number) + 1;
      }
      expect(splits.size).toBeLessThanOrEqual(3);
      expect(Math.max(...depth)).toBeLessThanOrEqual(3);
    }
  });

  it('bags average several models on the log-odds scale', () => {
    const train = xorData(2000, 5);
    const test = xorData(500, 6);
    const one = fitGbt(train.x, train.y, { forest: false, trees: 40, validationFraction: 0 }, 3);
    const three = fitGbt(train.x, train.y, { forest: false, trees: 40, validationFraction: 0, bags: 3 }, 3);
    expect(three.trees.length).toBe(120);
    expect(three.rounds).toBe(120);
    // The first bag is the single model with every value divided by 3.
    const first = three.trees[0] as (typeof one.trees)[number];
    const ref = one.trees[0] as (typeof one.trees)[number];
    expect(first.value.map((v) => v * 3)).toEqual(ref.value.map((v) => expect.closeTo(v, 12) as unknown as number));
    expect(rocAuc(test.y, scoreGbt(three, test.x))).toBeGreaterThan(0.97);
    expect(checkGbtState(JSON.parse(JSON.stringify(three)), 3)).toBe(true);
  });

  it('l2 = 0 with rows so few that some trees draw none still gives finite scores', () => {
    const { x, y } = xorData(60, 8);
    for (const growth of ['leafwise', 'symmetric'] as const) {
      const st = fitGbt(x, y, { forest: false, l2: 0, subsample: 0.02, trees: 20, validationFraction: 0, minLeafRows: 1, growth }, 3);
      expect(scoreGbt(st, x).every((v) => Number.isFinite(v))).toBe(true);
      expect(checkGbtState(JSON.parse(JSON.stringify(st)), 3)).toBe(true);
    }
  });

  it('malformed trees and bad options are refused', () => {
    const { x, y } = xorData(300, 4);
    const st = fitGbt(x, y, { forest: false, trees: 5, validationFraction: 0 }, 1);
    expect(checkGbtState(st, 4)).toBe(false);
    const cyc = JSON.parse(JSON.stringify(st)) as typeof st;
    const t = cyc.trees[0] as (typeof st.trees)[number];
    t.left[0] = 0;
    expect(checkGbtState(cyc, 3)).toBe(false);
    expect(checkGbtState({ kind: 'gbt' }, 3)).toBe(false);
    // A non-finite leaf value comes back from JSON as null: refused, not scored as 0.
    const nan = JSON.parse(JSON.stringify(st)) as typeof st;
    (nan.trees[0] as (typeof st.trees)[number]).value[0] = null as unknown as number;
    expect(checkGbtState(nan, 3)).toBe(false);
    const bads = [
      { learningRate: 0 },
      { maxBins: 1 },
      { subsample: 2 },
      { trees: 0 },
      { validationFraction: 0.7 },
      { bags: 0 },
      { bags: 1.5 },
      { growth: 'depthwise' as 'leafwise' },
      { growth: 'symmetric' as const, maxDepth: 13 },
    ];
    for (const bad of bads) {
      try {
        fitGbt(x, y, bad, 0);
        expect.unreachable();
      } catch (e) {
        expect(AppliedMLError.isInstance(e) && e.code).toBe('E_INPUT_INVALID');
      }
    }
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

describe('gradient-boosted trees on a very wide matrix', () => {
  // The widest bin count was Math.max(...) with one argument per feature: past ~120,000 features a
  // RangeError 'Maximum call stack size exceeded', not a typed error nor a model.
  it('fits 150,000 features', () => {
    const { x, y } = wideMatrix();
    const state = fitGbt(x, y, { trees: 1, maxLeaves: 2, refit: false, forest: false }, 1);
    expect(state.features).toBe(150_000);
    expect(scoreGbt(state, x)).toHaveLength(8);
  }, 30_000);
});
