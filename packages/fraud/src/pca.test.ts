import { AppliedMLError, createRng } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { fitTailNorm, isTailNorm, MAX_KEPT, tailRarity } from './normalize';
import { fitPca, scorePca, symmetricEigen } from './pca';

describe('PCA / Mahalanobis detector and tail normalisation', () => {
  it('symmetric eigen-decomposition reconstructs the matrix', () => {
    const a = Float64Array.from([4, 1, 2, 1, 3, 0.5, 2, 0.5, 5]);
    const { values, vectors } = symmetricEigen(a, 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += (vectors[i * 3 + k] as number) * (values[k] as number) * (vectors[j * 3 + k] as number);
        expect(s).toBeCloseTo(a[i * 3 + j] as number, 9);
      }
  });

  it('flags a row that breaks a correlation although each value is ordinary', () => {
    const rng = createRng(3);
    const rows = 2000;
    const data = new Float64Array(rows * 3);
    for (let r = 0; r < rows; r++) {
      const a = rng.next() * 2 - 1;
      data.set([a, a + 0.05 * (rng.next() - 0.5), 7], r * 3);
    }
    const st = fitPca({ data, rows, cols: 3 });
    const [normal, broken] = scorePca(st, { data: Float64Array.from([0.5, 0.5, 7, 0.5, -0.5, 7]), rows: 2, cols: 3 });
    expect(broken as number).toBeGreaterThan(10 * (normal as number));
    expect(Number.isFinite(broken)).toBe(true);
  });

  it('tail rarity is monotone, exact for small sets and keeps growing past the training maximum', () => {
    const s = Float64Array.from({ length: 99 }, (_, i) => i);
    const t = fitTailNorm(s);
    expect(tailRarity(t, 98)).toBeCloseTo(-Math.log(2 / 100), 12);
    expect(tailRarity(t, -5)).toBeCloseTo(0, 12);
    expect(tailRarity(t, 120)).toBeGreaterThan(tailRarity(t, 99));
    const big = fitTailNorm(Float64Array.from({ length: 50_000 }, (_, i) => i));
    expect(big.q).toHaveLength(MAX_KEPT);
    expect(big.q[MAX_KEPT - 1]).toBe(49_999);
    expect(tailRarity(big, 49_990)).toBeGreaterThan(tailRarity(big, 40_000));
    expect(isTailNorm(big)).toBe(true);
    expect(isTailNorm({ n: 1, q: [], sd: 1 })).toBe(false);
  });
});

describe('PCA on a very wide matrix', () => {
  // Its features × features matrices: 70,000 features threw a bare RangeError ('Invalid typed array
  // length'); narrower ones past the per-call cell limit tried to allocate tens of GB.
  it('refuses more features than the cell limit allows with E_INPUT_TOO_LARGE, before allocating', () => {
    const cols = 70_000;
    let caught: unknown;
    try {
      fitPca({ data: new Float64Array(cols).fill(1), rows: 1, cols });
    } catch (e) {
      caught = e;
    }
    expect(AppliedMLError.hasCode(caught, 'E_INPUT_TOO_LARGE'), String(caught)).toBe(true);
    expect((caught as AppliedMLError).details).toMatchObject({ features: cols, cells: cols * cols, maxCells: 200_000_000 });
  });
});
