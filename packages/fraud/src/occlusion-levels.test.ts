import { initEngine, tf } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Matrix } from './matrix';
import { levelStrata, mlpOcclusion } from './occlusion';

// The MLP explains an alert by swapping each categorical for the levels seen in training. One swap a
// level made a 200-level categorical cost an alert 199 scorings: predictBatch with reasons of 6,000 rows
// with two of them went from 1.5 s to 7.6 s once the swap ran on large training sets (5318aca). Past 32
// levels the small levels are now pooled, so the swaps an alert costs are bounded.

const scored = { rows: 0 };
vi.mock('./neural', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./neural')>();
  return {
    ...actual,
    mlpScores: (...args: Parameters<typeof actual.mlpScores>) => {
      scored.rows += args[1].rows;
      return actual.mlpScores(...args);
    },
  };
});

const LEVELS = 200;
const NUMBERS = 2;
let model: tf.LayersModel;

beforeAll(async () => {
  await initEngine();
  model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [NUMBERS + LEVELS], activation: 'sigmoid' })] });
});
afterAll(() => model.dispose());

function rowWithLevel(level: number): Matrix {
  const data = new Float64Array(NUMBERS + LEVELS);
  data[0] = 1.5;
  data[1] = -0.5;
  data[NUMBERS + level] = 1;
  return { rows: 1, cols: NUMBERS + LEVELS, data };
}

describe('the level swap of a wide categorical', () => {
  it('costs an alert at most 32 swaps for a 200-level categorical (it was 199)', () => {
    // A long tail: a few common levels, then 190 small ones.
    const raw = Array.from({ length: LEVELS }, (_, j) => (j < 10 ? 40 - 3 * j : 1));
    const total = raw.reduce((a, b) => a + b, 0);
    const group = { cols: Array.from({ length: LEVELS }, (_, j) => NUMBERS + j), shares: raw.map((v) => v / total) };
    const background = [[-1, 0, 1, 2], [-1, 0, 1, 2], ...Array.from({ length: LEVELS }, () => [0])];
    for (const level of [0, 5, 150]) {
      const x = rowWithLevel(level);
      const score = Float64Array.from([0.9]);
      scored.rows = 0;
      const out = mlpOcclusion(model, x, score, background, [group]);
      // Four background values of each number, none of them the row's own; the rest are level swaps.
      const swaps = scored.rows - 2 * 4;
      expect(swaps).toBeGreaterThan(0);
      expect(swaps).toBeLessThanOrEqual(32);
      expect(Number.isFinite(out[NUMBERS + level] as number)).toBe(true);
    }
  });

  it('pools only past 32 levels, keeps every level and its mass, and lets a large level stand alone', () => {
    const few = [0.5, 0, 0.3, 0.2];
    expect(levelStrata(few)).toEqual([
      { levels: [0], mass: 0.5 },
      { levels: [2], mass: 0.3 },
      { levels: [3], mass: 0.2 },
    ]);
    const shares = [0.4, ...Array.from({ length: 199 }, () => 0.6 / 199)];
    const strata = levelStrata(shares);
    expect(strata.length).toBeLessThanOrEqual(32);
    expect(strata[0]).toEqual({ levels: [0], mass: 0.4 });
    const levels = strata.flatMap((s) => s.levels).sort((a, b) => a - b);
    expect(levels).toEqual(Array.from({ length: 200 }, (_, j) => j));
    expect(strata.reduce((a, s) => a + s.mass, 0)).toBeCloseTo(1, 12);
  });
});
