import { describe, expect, it } from 'vitest';
import { createAdjacency, normalizedAdjacency, type Adjacency } from './adjacency';
import { generateTrafficNetwork } from './synthetic';
import { bits } from './test-helpers';

// Found by review s28 R3: weights near the largest double (all 1e308) summed past it, so every degree
// was Infinity, D^-1/2 zero and the normalised matrix all zeros: a T-GCN trained with no graph.
function scaled(weights: number[][], by: number): Adjacency {
  return createAdjacency(weights.map((row) => row.map((w) => w * by)));
}
const W = [
  [0, 1.5, 0, 0.25],
  [1.5, 0, 0.75, 0],
  [0, 0.75, 0, 1.25],
  [0.5, 0, 1.25, 0],
];

/** Â = D^-1/2 (A' + I) D^-1/2 in the textbook order (A' = max(A, Aᵀ), self-loop 1), as float32. */
function reference(adjacency: Adjacency): Float32Array {
  const n = adjacency.size;
  const w = (i: number, j: number): number => (i === j ? 1 : Math.max(adjacency.weights[i * n + j]!, adjacency.weights[j * n + i]!));
  const d = Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += w(i, j);
    return 1 / Math.sqrt(s);
  });
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = d[i]! * w(i, j) * d[j]!;
  return out;
}

describe('normalizedAdjacency with huge finite weights', () => {
  it('all 1e308: the matrix of the same graph at ordinary scale, not all zeros', () => {
    const huge = normalizedAdjacency(
      scaled(
        [
          [0, 1, 1],
          [1, 0, 1],
          [1, 1, 0],
        ],
        1e308,
      ),
    );
    expect(Array.from(huge).some((v) => v !== 0)).toBe(true);
    expect(Array.from(huge)).toEqual(
      Array.from(
        normalizedAdjacency(
          scaled(
            [
              [0, 1, 1],
              [1, 0, 1],
              [1, 1, 0],
            ],
            1e300,
          ),
        ),
      ),
    );
  });

  it('a weighted graph times 1e308 is normalised like the graph times 1e290 (the self-loop is negligible in both)', () => {
    const huge = normalizedAdjacency(scaled(W, 1e308));
    const large = normalizedAdjacency(scaled(W, 1e290));
    for (let k = 0; k < huge.length; k++) expect(huge[k]).toBeCloseTo(large[k]!, 6);
    expect(Array.from(huge).every(Number.isFinite)).toBe(true);
  });

  it('ordinary graphs (no degree overflows) give the same bits as the textbook order', () => {
    const net = generateTrafficNetwork({ sensors: 12, corridorLength: 4, days: 1, incidents: 0, seed: 3 });
    for (const adjacency of [net.adjacency, scaled(W, 1), scaled(W, 1e-300), scaled(W, 1e300)])
      expect(bits(normalizedAdjacency(adjacency))).toBe(bits(reference(adjacency)));
  });
});
