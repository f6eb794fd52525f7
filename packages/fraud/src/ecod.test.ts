import { describe, expect, it } from 'vitest';
import { createRng } from '@appliedml/engine';
import { compactEcod, fitEcod, groupShares, oneHotShares, scoreEcod } from './ecod';
import type { Matrix } from './matrix';

function gaussian(rows: number, cols: number, seed: number): Matrix {
  const rng = createRng(seed);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++)
    data[i] = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()) * (1 + (i % cols));
  return { data, rows, cols };
}

describe('compactEcod (the explainer kept beside other detectors)', () => {
  const train = fitEcod(gaussian(20_000, 4, 1));
  const probe = gaussian(500, 4, 2);

  it('keeps a bounded number of order statistics per feature, the extremes included', () => {
    const small = compactEcod(train, 256);
    for (let c = 0; c < 4; c++) {
      const full = train.sorted[c] as Float64Array;
      const kept = small.sorted[c] as Float64Array;
      expect(kept).toHaveLength(256);
      expect(kept[0]).toBe(full[0]);
      expect(kept[255]).toBe(full[full.length - 1]);
      for (let k = 1; k < kept.length; k++) expect(kept[k]).toBeGreaterThanOrEqual(kept[k - 1] as number);
    }
    expect(small.rows).toBe(20_000); // the CDFs still stand for every training row
    expect(compactEcod(fitEcod(gaussian(100, 4, 3)), 256).sorted[0]).toHaveLength(100);
    expect(() => compactEcod(train, 1)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
  });

  it('explains like the full state: per-feature contributions agree closely', () => {
    const fullContrib = new Float64Array(500 * 4);
    const smallContrib = new Float64Array(500 * 4);
    scoreEcod(train, probe, fullContrib);
    scoreEcod(compactEcod(train), probe, smallContrib);
    const diffs: number[] = [];
    let sameTop = 0;
    for (let r = 0; r < 500; r++) {
      const row = (a: Float64Array): number[] => Array.from(a.subarray(r * 4, r * 4 + 4));
      const f = row(fullContrib);
      const s = row(smallContrib);
      f.forEach((v, c) => diffs.push(Math.abs(v - (s[c] as number))));
      if (f.indexOf(Math.max(...f)) === s.indexOf(Math.max(...s))) sameTop++;
    }
    diffs.sort((a, b) => a - b);
    // −log tail probabilities (up to ≈ 10 here): the same to a few thousandths in the bulk; in the far
    // tails a count is known to within half of ≈ 20,000 / 4,096 rows.
    expect(diffs[Math.floor(diffs.length / 2)]).toBeLessThan(0.005);
    expect(diffs[diffs.length - 1]).toBeLessThan(Math.log(1 + 20_000 / 4096 / 2));
    expect(sameTop).toBeGreaterThanOrEqual(490);
  });
});

describe('scoreEcod', () => {
  it("aggregates like PyOD's ECOD: per feature the larger tail, both tails only at a skewness of exactly 0", () => {
    // Column 0 is symmetric (skewness exactly 0), column 1 mildly right-skewed (≈ 0.64).
    const col0 = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const col1 = [1, 2, 3, 4, 5, 6, 7, 8, 12];
    const train: Matrix = { data: Float64Array.from(col0.flatMap((v, i) => [v, col1[i] as number])), rows: 9, cols: 2 };
    const state = fitEcod(train);
    expect(state.skew[0]).toBe(0);
    expect(state.skew[1]).toBeGreaterThan(0.5);
    expect(state.skew[1]).toBeLessThan(1);
    const contrib = new Float64Array(4);
    // The median of each column: 5 of 9 values are ≤ 5 and 5 are ≥ 5, so each tail is (5 + 1) / (9 + 1).
    // A value above every training value: left tail 1, right tail 1 / 10.
    const scores = scoreEcod(state, { data: Float64Array.from([5, 5, 5, 13]), rows: 2, cols: 2 }, contrib);
    const mid = -Math.log(0.6);
    expect(contrib[0]).toBeCloseTo(2 * mid, 12); // skewness 0: both tails
    expect(contrib[1]).toBeCloseTo(mid, 12); // skewed: the larger tail only
    expect(contrib[3]).toBeCloseTo(-Math.log(0.1), 12);
    expect(scores[0]).toBeCloseTo(3 * mid, 12);
    expect(scores[1]).toBeCloseTo(2 * mid - Math.log(0.1), 12);
  });
});

describe('scoreEcod lookup tables', () => {
  it('score exactly as the direct count over every training value, ties, extremes and NaN included', () => {
    const rng = createRng(21);
    const rows = 3000;
    const cols = 4;
    const data = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      data[r * cols] = rng.next() < 0.5 ? 0 : 1; // one-hot-like: two distinct values
      data[r * cols + 1] = Math.floor(rng.next() * 7); // few distinct values, many ties
      data[r * cols + 2] = rng.next() * 100; // all distinct
      data[r * cols + 3] = Math.round(rng.next() * 1000) / 10; // some ties
    }
    const state = fitEcod({ data, rows, cols });
    // The same state marked as standing for exactly its own rows goes through the direct counts.
    const direct = { ...state, rows };
    const probes: number[] = [];
    for (let k = 0; k < 400; k++)
      for (let c = 0; c < cols; c++) {
        const pick = rng.next();
        // Training values themselves (ties), values between them, and values beyond both ends.
        probes.push(
          pick < 0.4
            ? (data[Math.floor(rng.next() * rows) * cols + c] as number)
            : pick < 0.8
              ? rng.next() * 110 - 5
              : pick < 0.9
                ? -1e9
                : 1e9,
        );
      }
    probes.push(Number.NaN, 0, 1, 2);
    const x = { data: Float64Array.from(probes), rows: probes.length / cols, cols };
    const fastContrib = new Float64Array(probes.length);
    const directContrib = new Float64Array(probes.length);
    const fast = scoreEcod(state, x, fastContrib);
    const slow = scoreEcod(direct, x, directContrib);
    for (let i = 0; i < fast.length; i++) expect(fast[i]).toBeCloseTo(slow[i] as number, 10);
    for (let i = 0; i < fastContrib.length; i++) expect(fastContrib[i]).toBeCloseTo(directContrib[i] as number, 10);
  });
});

describe('scoreEcod of a summary (the explainer beside other detectors)', () => {
  // The tails read off a summary, directly: binary searches over the kept order statistics, each count
  // read back to all training rows (exact at both ends, the midpoint between two kept ones), +1 smoothing.
  function directTerms(state: ReturnType<typeof compactEcod>, x: Matrix): Float64Array {
    const n = state.rows as number;
    const out = new Float64Array(x.data.length);
    const kept = (k: number, m: number): number => Math.round((k * (n - 1)) / (m - 1));
    const full = (k: number, m: number): number => (k === 0 ? 0 : k === m ? n : (kept(k - 1, m) + 1 + kept(k, m)) / 2);
    for (let i = 0; i < x.data.length; i++) {
      const c = i % x.cols;
      const col = state.sorted[c] as Float64Array;
      const v = x.data[i] as number;
      let le = 0;
      let lt = 0;
      for (const s of col) {
        if (s <= v) le++;
        if (s < v) lt++;
      }
      const a = -Math.log(Math.min(1, (full(le, col.length) + 1) / (n + 1)));
      const b = -Math.log(Math.min(1, (n - full(lt, col.length) + 1) / (n + 1)));
      out[i] = (state.skew[c] ?? 0) === 0 ? a + b : Math.max(a, b);
    }
    return out;
  }

  it('scores exactly as the direct count over its kept values, one-hot columns, ties, extremes and NaN included', () => {
    const rng = createRng(22);
    const rows = 10_000;
    const cols = 5;
    const data = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      data[r * cols] = rng.next() < 0.1 ? 1 : 0; // a one-hot column: two distinct values
      data[r * cols + 1] = Math.floor(rng.next() * 7);
      data[r * cols + 2] = rng.next() * 100;
      data[r * cols + 3] = Math.round(rng.next() * 1000) / 10;
      data[r * cols + 4] = rng.next() < 0.5 ? 0 : 1; // skewness near 0
    }
    const summary = compactEcod(fitEcod({ data, rows, cols }));
    expect(summary.rows).toBe(rows);
    const probes: number[] = [];
    for (let k = 0; k < 300; k++)
      for (let c = 0; c < cols; c++) {
        const pick = rng.next();
        probes.push(
          pick < 0.4
            ? (data[Math.floor(rng.next() * rows) * cols + c] as number)
            : pick < 0.8
              ? rng.next() * 110 - 5
              : pick < 0.9
                ? -1e9
                : 1e9,
        );
      }
    probes.push(Number.NaN, 0, 1, 2, -0);
    const x = { data: Float64Array.from(probes), rows: probes.length / cols, cols };
    const contrib = new Float64Array(probes.length);
    const score = scoreEcod(summary, x, contrib);
    const terms = directTerms(summary, x);
    expect(Array.from(contrib)).toEqual(Array.from(terms));
    for (let r = 0; r < x.rows; r++) {
      let total = 0;
      for (let c = 0; c < cols; c++) total += terms[r * cols + c] as number;
      expect(score[r]).toBe(total);
    }
  });
});

describe('groupShares', () => {
  it("gives each group's oneHotShares, read once per groups array and state", () => {
    const rng = createRng(23);
    const rows = 6_000;
    const cols = 7;
    const data = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      data[r * cols] = rng.next();
      data[r * cols + 1 + Math.floor(rng.next() * 4)] = 1; // a four-level categorical
      if (rng.next() < 0.3) data[r * cols + 5] = 1; // a level or none
      data[r * cols + 6] = rng.next() < 0.5 ? 2 : 0; // not 0/1
    }
    const groups = [[1, 2, 3, 4], [5], [6]];
    for (const state of [fitEcod({ data, rows, cols }), compactEcod(fitEcod({ data, rows, cols }))]) {
      const shares = groupShares(state, groups);
      expect(shares).toEqual(groups.map((g) => oneHotShares(state, g)));
      expect(shares[2]).toBeUndefined();
      expect(groupShares(state, groups)[0]).toBe(shares[0]);
    }
  });
});
