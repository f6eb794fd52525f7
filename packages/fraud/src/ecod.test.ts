import { describe, expect, it } from 'vitest';
import { createRng } from '@appliedml/engine';
import { compactEcod, fitEcod, scoreEcod } from './ecod';
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
