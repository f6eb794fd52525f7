import { initEngine, tf } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Matrix } from './matrix';
import { levelStrata, mlpOcclusion } from './occlusion';

// The MLP explains an alert by swapping each categorical for the levels seen in training. One swap a
// level made a 200-level categorical cost an alert 199 scorings: predictBatch with reasons of 6,000 rows
// with two of them went from 1.5 s to 7.6 s once the swap ran on large training sets (5318aca). Past 32
// levels the small levels are now pooled, so the swaps an alert costs are bounded.

// Rows the occlusion sends to the network, and the most in one call.
const scored = vi.hoisted(() => ({ rows: 0, largest: 0 }));
vi.mock('./neural', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./neural')>();
  const count = (rows: number): void => {
    scored.rows += rows;
    scored.largest = Math.max(scored.largest, rows);
  };
  return {
    ...actual,
    mlpScores: (...args: Parameters<typeof actual.mlpScores>) => {
      count(args[1].rows);
      return actual.mlpScores(...args);
    },
    mlpScoresClipped: (...args: Parameters<typeof actual.mlpScoresClipped>) => {
      count(args[2]);
      return actual.mlpScoresClipped(...args);
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

  it('scores the copies at most 2,048 at a time, with the evidence each row gets alone', () => {
    // 700 alerts of about 40 copies each: one block of 28,000 copies, built whole (224 MB a block of
    // 65,536 copies of 408 features) and sent to the network as one input before; now a network batch
    // at a time, as float32.
    const raw = Array.from({ length: LEVELS }, (_, j) => (j < 10 ? 40 - 3 * j : 1));
    const total = raw.reduce((a, b) => a + b, 0);
    const group = { cols: Array.from({ length: LEVELS }, (_, j) => NUMBERS + j), shares: raw.map((v) => v / total) };
    const background = [[-12, 0, 1, 2], [-1, 0, 0.5, 20], ...Array.from({ length: LEVELS }, () => [0])];
    const rows = 700;
    const x: Matrix = { rows, cols: NUMBERS + LEVELS, data: new Float64Array(rows * (NUMBERS + LEVELS)) };
    for (let r = 0; r < rows; r++) {
      x.data[r * x.cols] = ((r * 37) % 23) / 4 - 2;
      x.data[r * x.cols + 1] = r % 5 === 0 ? 0 : ((r * 11) % 17) / 3 - 1;
      x.data[r * x.cols + NUMBERS + ((r * 7) % LEVELS)] = 1;
    }
    const score = Float64Array.from({ length: rows }, (_, r) => 0.5 + ((r * 13) % 50) / 101);
    scored.rows = 0;
    scored.largest = 0;
    const together = mlpOcclusion(model, x, score, background, [group]);
    expect(scored.rows).toBeGreaterThan(20_000);
    expect(scored.largest).toBeLessThanOrEqual(2_048);
    for (const r of [0, 1, 5, 333, 699]) {
      const one: Matrix = { rows: 1, cols: x.cols, data: x.data.slice(r * x.cols, (r + 1) * x.cols) };
      const alone = mlpOcclusion(model, one, score.subarray(r, r + 1), background, [group]);
      expect(Array.from(alone), `row ${r}`).toEqual(Array.from(together.subarray(r * x.cols, (r + 1) * x.cols)));
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
