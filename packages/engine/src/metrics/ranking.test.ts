import { describe, expect, it } from 'vitest';
import { expectAllClose, expectClose, expectCode, fixtures, rng } from './__fixtures__/fixtures';
import { averagePrecision, prCurve, precisionAtK, recallAtFpr, rocAuc, rocAucOvr, rocCurve } from './ranking';

describe('ranking metrics against scikit-learn fixtures', () => {
  it('has fixture cases', () => {
    expect(fixtures.ranking.length).toBeGreaterThanOrEqual(8);
    expect(fixtures.rocAucOvr.length).toBeGreaterThanOrEqual(3);
  });

  for (const c of fixtures.ranking) {
    describe(c.name, () => {
      const y = c.yTrue;
      // float32 cases hold float32 values; loading them into a Float32Array is exact.
      const s = c.float32 ? Float32Array.from(c.scores) : c.scores;
      const e = c.expected;

      if (e.roc && e.rocDropIntermediate && e.rocAuc !== undefined && e.recallAtFpr) {
        const roc = e.roc;
        const dropped = e.rocDropIntermediate;
        const auc = e.rocAuc;
        const atFpr = e.recallAtFpr;
        it('rocCurve (full and dropIntermediate) and rocAuc', () => {
          const full = rocCurve(y, s);
          expect(full.thresholds[0]).toBe(Infinity);
          expectAllClose(full.thresholds.slice(1), roc.thresholds, 'thresholds', 0);
          expectAllClose(full.fpr, roc.fpr, 'fpr');
          expectAllClose(full.tpr, roc.tpr, 'tpr');
          const thin = rocCurve(y, s, { dropIntermediate: true });
          expect(thin.thresholds[0]).toBe(Infinity);
          expectAllClose(thin.thresholds.slice(1), dropped.thresholds, 'dropped thresholds', 0);
          expectAllClose(thin.fpr, dropped.fpr, 'dropped fpr');
          expectAllClose(thin.tpr, dropped.tpr, 'dropped tpr');
          expectClose(rocAuc(y, s), auc, 'rocAuc');
        });
        it('recallAtFpr', () => {
          for (const [fpr, expected] of atFpr) expectClose(recallAtFpr(y, s, fpr), expected, `recall@fpr=${fpr}`);
        });
      } else {
        it('throws a typed error for ROC metrics with one class', () => {
          expectCode(() => rocAuc(y, s), 'E_INPUT_INVALID');
          expectCode(() => rocCurve(y, s), 'E_INPUT_INVALID');
        });
      }

      if (e.pr && e.averagePrecision !== undefined) {
        const pr = e.pr;
        const ap = e.averagePrecision;
        it('prCurve and averagePrecision', () => {
          const curve = prCurve(y, s);
          expectAllClose(curve.thresholds, pr.thresholds, 'pr thresholds', 0);
          expectAllClose(curve.precision, pr.precision, 'precision');
          expectAllClose(curve.recall, pr.recall, 'recall');
          expectClose(averagePrecision(y, s), ap, 'averagePrecision');
        });
      }

      it('precisionAtK', () => {
        for (const [k, expected] of e.precisionAtK) expectClose(precisionAtK(y, s, k), expected, `precision@${k}`);
      });
    });
  }

  for (const c of fixtures.rocAucOvr) {
    it(`rocAucOvr: ${c.name}`, () => {
      expectClose(rocAucOvr(c.yTrue, c.probs, c.numClasses), c.expected.macro, 'macro');
      expectClose(rocAucOvr(c.yTrue, c.probs, c.numClasses, { average: 'weighted' }), c.expected.weighted, 'weighted');
      const flat = Float64Array.from(c.probs.flat());
      expectClose(rocAucOvr(Int32Array.from(c.yTrue), flat, c.numClasses), c.expected.macro, 'macro flat');
      // Each per-class AUC is the binary AUC of that column.
      c.expected.perClass.forEach((auc, k) => {
        const yk = c.yTrue.map((v) => (v === k ? 1 : 0));
        expectClose(
          rocAuc(
            yk,
            c.probs.map((row) => row[k] as number),
          ),
          auc,
          `class ${k}`,
        );
      });
    });
  }
});

/** O(P·N) Mann-Whitney count with ties worth one half: the definition rocAuc must match. */
function bruteForceAuc(y: ArrayLike<number>, s: ArrayLike<number>): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < y.length; j++) {
      if (y[j] !== 0) continue;
      const a = s[i] as number;
      const b = s[j] as number;
      wins += a > b ? 1 : a === b ? 0.5 : 0;
      pairs++;
    }
  }
  return wins / pairs;
}

function randomBinary(n: number, seed: number, levels: number): { y: number[]; s: number[] } {
  const r = rng(seed);
  const y: number[] = [];
  const s: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = r() < 0.35 ? 1 : 0;
    y.push(label);
    s.push(Math.floor((r() + 0.3 * label) * levels) / levels);
  }
  return { y, s };
}

describe('ranking metrics, hand-computed and properties', () => {
  it('rocAuc equals the brute-force Mann-Whitney statistic with ties', () => {
    for (const [seed, levels] of [
      [1, 5],
      [2, 20],
      [3, 1e6],
    ] as const) {
      const { y, s } = randomBinary(400, seed, levels);
      expectClose(rocAuc(y, s), bruteForceAuc(y, s), `seed ${seed}`, 1e-12);
    }
  });

  it('does not depend on input order', () => {
    const { y, s } = randomBinary(500, 7, 10);
    const order = y.map((_, i) => i).reverse();
    const y2 = order.map((i) => y[i] as number);
    const s2 = order.map((i) => s[i] as number);
    expect(rocAuc(y2, s2)).toBe(rocAuc(y, s));
    expect(averagePrecision(y2, s2)).toBe(averagePrecision(y, s));
    expect(precisionAtK(y2, s2, 37)).toBe(precisionAtK(y, s, 37));
  });

  it('hand cases: perfect, inverted, tied', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])).toBe(1);
    expect(rocAuc([0, 0, 1, 1], [0.4, 0.3, 0.2, 0.1])).toBe(0);
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    // One positive ranked first, the other tied with a negative: AP = 1/2·1 + 1/2·(2/3).
    expectClose(averagePrecision([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.1]), 0.5 + (0.5 * 2) / 3, 'ap', 1e-15);
    // Top 2 = {0.9 (pos)} + one of the two 0.5s (1 pos of 2) → (1 + 0.5) / 2.
    expect(precisionAtK([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.1], 2)).toBe(0.75);
    expect(recallAtFpr([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.1], 0)).toBe(0.5);
    expect(recallAtFpr([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.1], 0.5)).toBe(1);
  });

  it('averagePrecision is 1 when every label is positive', () => {
    expect(averagePrecision([1, 1, 1], [0.3, 0.1, 0.2])).toBe(1);
  });

  it('handles 1e6 elements (sorted once) and matches a histogram-based AUC', () => {
    const n = 1_000_000;
    const bins = 1000;
    const r = rng(42);
    const y = new Uint8Array(n);
    const s = new Float32Array(n);
    const posHist = new Float64Array(bins);
    const negHist = new Float64Array(bins);
    for (let i = 0; i < n; i++) {
      const label = r() < 0.2 ? 1 : 0;
      const bin = Math.min(bins - 1, Math.floor((r() * 0.8 + 0.2 * label) * bins));
      y[i] = label;
      s[i] = bin / bins;
      if (label) posHist[bin] = (posHist[bin] as number) + 1;
      else negHist[bin] = (negHist[bin] as number) + 1;
    }
    // AUC from histograms: positives beat negatives in lower bins, tie half within the same bin.
    let negBelow = 0;
    let wins = 0;
    let P = 0;
    let N = 0;
    for (let b = 0; b < bins; b++) {
      const p = posHist[b] as number;
      const q = negHist[b] as number;
      wins += p * (negBelow + q / 2);
      negBelow += q;
      P += p;
      N += q;
    }
    const start = performance.now();
    const auc = rocAuc(y, s);
    const elapsed = performance.now() - start;
    expectClose(auc, wins / (P * N), 'auc 1e6', 1e-12);
    expect(elapsed).toBeLessThan(10_000); // a guard against accidental O(n²), not a benchmark
    expect(rocCurve(y, s).thresholds.length).toBe(bins + 1);
  });
});

describe('ranking metrics, typed errors', () => {
  it('one class present', () => {
    const err = expectCode(() => rocAuc([1, 1, 1], [0.1, 0.2, 0.3]), 'E_INPUT_INVALID');
    expect(err.details).toEqual({ positives: 3, negatives: 0 });
    expectCode(() => rocCurve([0, 0], [0.1, 0.2]), 'E_INPUT_INVALID');
    expectCode(() => recallAtFpr([0, 0], [0.1, 0.2], 0.1), 'E_INPUT_INVALID');
    expectCode(() => averagePrecision([0, 0], [0.1, 0.2]), 'E_INPUT_INVALID');
    expectCode(() => prCurve([0, 0], [0.1, 0.2]), 'E_INPUT_INVALID');
  });

  it('labels that are not 0/1, non-finite scores, shape problems', () => {
    expectCode(() => rocAuc([0, 2], [0.1, 0.2]), 'E_INPUT_INVALID');
    expectCode(() => rocAuc([0, 1], [0.1, Number.NaN]), 'E_INPUT_INVALID');
    expectCode(() => averagePrecision([0, 1], [0.1, Infinity]), 'E_INPUT_INVALID');
    expectCode(() => rocAuc([0, 1, 1], [0.1, 0.2]), 'E_SHAPE_MISMATCH');
    expectCode(() => rocAuc([], []), 'E_INPUT_INVALID');
  });

  it('bad k and maxFpr', () => {
    expectCode(() => precisionAtK([0, 1], [0.1, 0.2], 0), 'E_INPUT_INVALID');
    expectCode(() => precisionAtK([0, 1], [0.1, 0.2], 3), 'E_INPUT_INVALID');
    expectCode(() => precisionAtK([0, 1], [0.1, 0.2], 1.5), 'E_INPUT_INVALID');
    expectCode(() => recallAtFpr([0, 1], [0.1, 0.2], -0.1), 'E_INPUT_INVALID');
    expectCode(() => recallAtFpr([0, 1], [0.1, 0.2], 1.1), 'E_INPUT_INVALID');
    expectCode(() => recallAtFpr([0, 1], [0.1, 0.2], Number.NaN), 'E_INPUT_INVALID');
  });

  it('rocAucOvr: absent class, bad shapes, bad numClasses', () => {
    const probs = [
      [0.6, 0.3, 0.1],
      [0.2, 0.7, 0.1],
    ];
    const err = expectCode(() => rocAucOvr([0, 1], probs, 3), 'E_INPUT_INVALID');
    expect(err.details).toMatchObject({ class: 2, support: 0 });
    expectCode(() => rocAucOvr([0, 1, 2], probs, 3), 'E_SHAPE_MISMATCH');
    expectCode(
      () =>
        rocAucOvr(
          [0, 1],
          [
            [0.5, 0.5],
            [0.1, 0.9, 0],
          ],
          2,
        ),
      'E_SHAPE_MISMATCH',
    );
    expectCode(() => rocAucOvr([0, 1], [0.5, 0.5, 0.1], 2), 'E_SHAPE_MISMATCH');
    expectCode(
      () =>
        rocAucOvr(
          [0, 1],
          [
            [0.5, 0.5],
            [Number.NaN, 1],
          ],
          2,
        ),
      'E_INPUT_INVALID',
    );
    expectCode(() => rocAucOvr([0, 3], probs, 3), 'E_INPUT_INVALID');
    expectCode(() => rocAucOvr([0, 0], [[1], [1]], 1), 'E_INPUT_INVALID');
  });
});
