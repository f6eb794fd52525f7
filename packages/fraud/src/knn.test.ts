import { describe, expect, it } from 'vitest';
import { fitKnn, scoreKnn } from './knn';

describe('kNN distance detector', () => {
  it('scores the mean distance to the k nearest reference rows; training rows leave themselves out', () => {
    // Points on a line at 0..9 and one far point; k = 2, every row is a reference row.
    const data = Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const { state, trainScores } = fitKnn({ data, rows: 10, cols: 1 }, { k: 2, reference: 100 });
    expect(state.ref).toHaveLength(10);
    // Row 0: nearest others are 1 and 2 → (1 + 2) / 2; row 5: 4 and 6 → 1.
    expect(trainScores[0]).toBeCloseTo(1.5, 12);
    expect(trainScores[5]).toBeCloseTo(1, 12);
    // A new row equal to a reference row does not skip it: distance 0 counts.
    const s = scoreKnn(state, { data: Float64Array.from([5, 9.5, 100]), rows: 3, cols: 1 });
    expect(s[0]).toBeCloseTo(0.5, 12);
    expect(s[1]).toBeCloseTo(1, 12);
    // Scaled features are clipped to ±10 before distances.
    expect(s[2]).toBeCloseTo(1.5, 12);
  });

  it('keeps at most `reference` rows, seeded', () => {
    const data = Float64Array.from({ length: 500 }, (_, i) => i / 50);
    const a = fitKnn({ data, rows: 500, cols: 1 }, { reference: 64, seed: 3 });
    const b = fitKnn({ data, rows: 500, cols: 1 }, { reference: 64, seed: 3 });
    expect(a.state.ref).toHaveLength(64);
    expect(a.state.ref).toEqual(b.state.ref);
    expect(Array.from(a.trainScores)).toEqual(Array.from(b.trainScores));
  });
});
