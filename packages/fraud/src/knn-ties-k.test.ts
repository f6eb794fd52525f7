import type { Logger } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { FraudDetector, type FraudDetectorConfig } from './detector';
import { KNN_DEFAULT_K, fitKnn, knnNeighbours } from './knn';

// The kNN tie warning stated the k asked for (or 10, written again beside knn.ts's default), not the k
// fitted: k is at most the training rows less one, so 6 rows read "its 10 nearest training rows …
// most rows have 10 exact copies", and k 50 on 30 rows "50 exact copies", neither possible. It states
// the neighbours the scores average now, and says "score 0" only when the threshold is 0.

async function warningsOf(config: FraudDetectorConfig, rows: number[][]): Promise<string[]> {
  const warnings: string[] = [];
  const none = (): void => {};
  const logger = { debug: none, info: none, warn: (m: string) => warnings.push(m), error: none } as Logger;
  const model = FraudDetector.create({ ...config, seed: 1 });
  await model.train(rows, { logger });
  model.dispose();
  return warnings.filter((w) => w.includes('kNN scores a row'));
}

describe('the kNN tie warning states the k used', () => {
  it('clamps to the training rows less one, and to the reference sample', () => {
    const x = (rows: number) => ({ rows, cols: 1, data: Float64Array.from({ length: rows }, (_, i) => i % 2) });
    expect(knnNeighbours(fitKnn(x(6)).state)).toBe(5);
    expect(knnNeighbours(fitKnn(x(100)).state)).toBe(KNN_DEFAULT_K);
    expect(knnNeighbours(fitKnn(x(100), { k: 50 }).state)).toBe(50);
    expect(knnNeighbours(fitKnn(x(100), { k: 50, reference: 8 }).state)).toBe(8);
  });

  it('names k fitted, and a score of 0 only for a threshold of 0', async () => {
    const six = await warningsOf(
      { detector: 'knn' },
      Array.from({ length: 6 }, (_, i) => [i % 2, i % 3]),
    );
    expect(six).toHaveLength(1);
    expect(six[0]).toContain('its 5 nearest training rows');
    expect(six[0]).not.toContain('10');
    expect(six[0]).not.toContain('score 0');

    const thirty = await warningsOf(
      { detector: 'knn', knn: { k: 50 } },
      Array.from({ length: 30 }, (_, i) => [i % 3, i % 2]),
    );
    expect(thirty).toHaveLength(1);
    expect(thirty[0]).toContain('its 29 nearest training rows');
    expect(thirty[0]).not.toContain('50');

    // Many exact copies of each row: scores 0, the threshold 0, and the default k.
    const copies = await warningsOf(
      { detector: 'knn' },
      Array.from({ length: 400 }, (_, i) => [i % 3, i % 2]),
    );
    expect(copies).toHaveLength(1);
    expect(copies[0]).toContain(
      `its ${KNN_DEFAULT_K} nearest training rows: on data of few distinct rows (counts, codes) most rows have ${KNN_DEFAULT_K} exact copies and score 0, the threshold's score.`,
    );
  });
});
