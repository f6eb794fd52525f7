import { createRng, type Logger } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { FraudDetector, type FraudDetectorConfig } from './detector';

// kNN on count-only data scores most rows 0 (each has k exact copies), so the threshold is 0 and every
// row alerts. `train` warned that the rows tie but not what to do: the warning now gives the remedies,
// and this test follows each one to see that it works (the contamination share flagged, no warning).

function poisson(rng: { next(): number }, lambda: number): number {
  let k = 0;
  let p = Math.exp(-lambda);
  let sum = p;
  const u = rng.next();
  while (u > sum) {
    k++;
    p *= lambda / k;
    sum += p;
  }
  return k;
}

async function trained(config: FraudDetectorConfig, rows: number[][]): Promise<{ warnings: string[]; alerts: number }> {
  const warnings: string[] = [];
  const none = (): void => {};
  const logger = { debug: none, info: none, warn: (m: string) => warnings.push(m), error: none } as Logger;
  const model = FraudDetector.create({ ...config, seed: 1 });
  await model.train(rows, { logger });
  const alerts = (await model.predictBatch(rows)).filter((p) => p.isFraud).length;
  model.dispose();
  return { warnings, alerts };
}

describe('kNN on count-only data', () => {
  const rng = createRng(3);
  const counts = Array.from({ length: 2000 }, () => [poisson(rng, 0.3), poisson(rng, 0.5), poisson(rng, 0.2)]);

  it('warns that every row ties, and names remedies that work', async () => {
    const knn = await trained({ detector: 'knn' }, counts);
    expect(knn.alerts).toBe(2000);
    expect(knn.warnings).toHaveLength(1);
    expect(knn.warnings[0]).toContain('2000 of 2000 training rows score at the threshold or above (contamination 0.05 asks for 100)');
    expect(knn.warnings[0]).toContain(
      "kNN scores a row by its distance to its 10 nearest training rows: on data of few distinct rows (counts, codes) most rows have 10 exact copies and score 0, the threshold's score. Train detector 'ecod', 'iforest' or 'ensemble' instead",
    );
    expect(knn.warnings[0]).toContain('or add a continuous feature (an amount, a duration) that sets the rows apart.');
    // Each remedy named: about the contamination share (100) flagged, no warning.
    for (const detector of ['ecod', 'iforest', 'ensemble'] as const) {
      const other = await trained({ detector }, counts);
      expect(other.warnings, detector).toEqual([]);
      expect(other.alerts, detector).toBeLessThanOrEqual(200);
    }
    const withAmount = await trained(
      { detector: 'knn' },
      counts.map((r) => [...r, Math.exp(3 * rng.next())]),
    );
    expect(withAmount.warnings).toEqual([]);
    expect(withAmount.alerts).toBeLessThanOrEqual(200);
    // A smaller k is no remedy (and is not offered): one exact copy is enough to tie.
    expect((await trained({ detector: 'knn', knn: { k: 1 } }, counts)).alerts).toBe(2000);
  });

  it('other detectors on constant rows: a varying feature is the remedy offered', async () => {
    const constant = Array.from({ length: 200 }, () => [1, 2, 3]);
    const tied = await trained({ detector: 'iforest' }, constant);
    const tie = (w: string[]): string | undefined => w.find((m) => m.includes('score at the threshold or above'));
    expect(tie(tied.warnings)).toMatch(
      /every later row that scores the same alerts\. A feature that varies between such rows \(an amount, a time\) sets them apart\.$/,
    );
    const varied = await trained(
      { detector: 'iforest' },
      constant.map((r) => [...r, rng.next()]),
    );
    expect(tie(varied.warnings)).toBeUndefined();
  });
});
