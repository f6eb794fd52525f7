import { createRng, initEngine, tf } from '@appliedml/engine';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FraudDetector, type FraudDetectorConfig } from './detector';
import { cFactor, fitIsolationForest, scoreIsolationForest, scoreIsolationForestWithContrib } from './iforest';
import { fitKnn, scoreKnn, scoreKnnWithContrib } from './knn';
import type { Matrix } from './matrix';
import { fitPca, scorePca, scorePcaWithContrib } from './pca';

// Reasons come from the model that scored: the isolation forest's path steps, kNN's distances, PCA's
// principal directions, the classifier's log-odds (docs/fraud.md, "Explanations").

// Where the detector computes per-feature evidence, counted here and passed through unchanged, so a
// test can see that `maxReasons: 0` computes none: ECOD's excessEvidence (the explainer's rarity, on
// every row of the unsupervised detectors, the MLP and gbt with outlier columns), oneHotExcess as the
// detector calls it (the autoencoder's errors, the isolation forest's, kNN's and PCA's own evidence),
// the MLP's occlusion of its alerts (mlpOcclusionSteps), and the boosted trees' contributions (scoreGbt
// given an array to fill).
const evidence = vi.hoisted(() => ({ calls: 0 }));
vi.mock('./ecod', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./ecod')>();
  return {
    ...actual,
    excessEvidence: (...args: Parameters<typeof actual.excessEvidence>) => {
      evidence.calls++;
      return actual.excessEvidence(...args);
    },
    oneHotExcess: (...args: Parameters<typeof actual.oneHotExcess>) => {
      evidence.calls++;
      return actual.oneHotExcess(...args);
    },
  };
});
vi.mock('./occlusion', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./occlusion')>();
  return {
    ...actual,
    mlpOcclusionSteps: (...args: Parameters<typeof actual.mlpOcclusionSteps>) => {
      evidence.calls++;
      return actual.mlpOcclusionSteps(...args);
    },
  };
});
vi.mock('./gbt', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./gbt')>();
  return {
    ...actual,
    scoreGbt: (...args: Parameters<typeof actual.scoreGbt>) => {
      if (args[2] !== undefined) evidence.calls++;
      return actual.scoreGbt(...args);
    },
  };
});

function gaussian(seed: number, rows: number, cols: number): Matrix {
  const rng = createRng(seed);
  const data = Float64Array.from(
    { length: rows * cols },
    () => Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next()),
  );
  return { rows, cols, data };
}

function rowSums(contrib: Float64Array, m: Matrix): number[] {
  return Array.from({ length: m.rows }, (_, r) => contrib.subarray(r * m.cols, (r + 1) * m.cols).reduce((a, v) => a + v, 0));
}

beforeAll(async () => {
  await initEngine();
});

describe("each detector's own per-feature evidence", () => {
  const train = gaussian(1, 600, 4);
  const test = gaussian(2, 50, 4);
  test.data[0] = 6; // row 0 far out in feature 0

  it('isolation forest: the same scores; the steps add up to c(sample) − the mean path length', () => {
    const state = fitIsolationForest(train, { seed: 3 });
    const contrib = new Float64Array(test.data.length);
    const score = scoreIsolationForestWithContrib(state, test, contrib);
    expect(Array.from(score)).toEqual(Array.from(scoreIsolationForest(state, test)));
    const c = cFactor(state.sampleSize);
    rowSums(contrib, test).forEach((sum, r) => expect(sum).toBeCloseTo(c + Math.log2(score[r] as number) * c, 9));
    // The far feature isolated row 0.
    const row0 = Array.from(contrib.subarray(0, 4));
    expect(row0.indexOf(Math.max(...row0))).toBe(0);
  });

  it('kNN: the same scores; the evidence adds up to the mean distance, shared by squared differences', () => {
    const { state } = fitKnn(train, { k: 5, reference: 600 });
    const contrib = new Float64Array(test.data.length);
    const score = scoreKnnWithContrib(state, test, contrib);
    expect(Array.from(score)).toEqual(Array.from(scoreKnn(state, test)));
    rowSums(contrib, test).forEach((sum, r) => expect(sum).toBeCloseTo(score[r] as number, 9));
    expect(Math.max(...contrib.subarray(0, 4))).toBe(contrib[0]);
  });

  it('PCA: the same scores; the evidence adds up to the distance', () => {
    const state = fitPca(train);
    const contrib = new Float64Array(test.data.length);
    const score = scorePcaWithContrib(state, test, contrib);
    expect(Array.from(score)).toEqual(Array.from(scorePca(state, test)));
    rowSums(contrib, test).forEach((sum, r) => expect(sum).toBeCloseTo(score[r] as number, 9));
    expect(Math.max(...contrib.subarray(0, 4))).toBe(contrib[0]);
  });
});

describe('reasons name what the model used', () => {
  it('kNN: a row in the empty middle of a ring alerts and says which values put it there', async () => {
    // Training rows on a ring around (5, 5); the centre is far from every one of them, while each value
    // on its own is a common one (so a per-feature rarity explainer finds nothing unusual).
    const rng = createRng(4);
    const ring = Array.from({ length: 2000 }, () => {
      const a = 2 * Math.PI * rng.next();
      const r = 3 + 0.2 * (rng.next() - 0.5);
      return { x: 5 + r * Math.cos(a), y: 5 + r * Math.sin(a) };
    });
    const model = FraudDetector.create({ detector: 'knn', seed: 1 });
    await model.train(ring);
    const [centre] = await model.predictBatch([{ x: 5, y: 5 }]);
    expect(centre?.isFraud).toBe(true);
    expect(centre?.reasons.map((r) => r.feature).sort()).toEqual(['x', 'y']);
    model.dispose();
  });

  it('a classifier names the feature that decides fraud, not a heavy-tailed one it barely uses', async () => {
    // Fraud is a narrow band of risk_code; noise is heavy-tailed and unrelated.
    const rng = createRng(7);
    const rows: Array<{ risk_code: number; noise: number; other: number }> = [];
    const labels: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const rc = rng.next();
      rows.push({ risk_code: rc, noise: Math.tan((rng.next() - 0.5) * 3.1), other: rng.next() });
      labels.push(rc > 0.45 && rc < 0.5 ? 1 : 0);
    }
    const model = FraudDetector.create({ detector: 'mlp', seed: 0, mlp: { epochs: 30 } });
    await model.train(rows, { labels });
    const before = tf.memory().numTensors;
    const [plain, wild] = await model.predictBatch([
      { risk_code: 0.47, noise: 0, other: 0.5 },
      { risk_code: 0.47, noise: 30, other: 0.5 },
    ]);
    expect(tf.memory().numTensors).toBe(before);
    for (const p of [plain, wild]) {
      expect(p?.isFraud).toBe(true);
      expect(p?.reasons[0]?.feature).toBe('risk_code');
      expect(p?.reasons[0]?.share).toBeGreaterThan(0.5);
    }
    const shares = (wild?.reasons ?? []).reduce((a, r) => a + r.share, 0);
    expect(shares).toBeLessThanOrEqual(1 + 1e-9);
    model.dispose();
  });

  it('every alert carries a reason, also where no feature stands out (a quarter of ordinary rows flagged)', async () => {
    const m = gaussian(5, 800, 3);
    const rows = Array.from({ length: m.rows }, (_, r) => Array.from(m.data.subarray(r * 3, r * 3 + 3)));
    for (const detector of ['iforest', 'ecod', 'pca', 'knn', 'ensemble'] as const) {
      const model = FraudDetector.create({ detector, seed: 2, contamination: 0.25 });
      await model.train(rows);
      const alerts = (await model.predictBatch(rows)).filter((p) => p.isFraud);
      expect(alerts.length).toBeGreaterThan(100);
      expect(
        alerts.filter((p) => p.reasons.length === 0),
        detector,
      ).toHaveLength(0);
      model.dispose();
    }
  });

  it('maxReasons 0: no reasons, the same scores and decisions, and no per-feature evidence computed', async () => {
    const m = gaussian(6, 300, 3);
    const rows = Array.from({ length: m.rows }, (_, r) => Array.from(m.data.subarray(r * 3, r * 3 + 3)));
    const labels = rows.map((r) => ((r[0] as number) > 1.5 ? 1 : 0));
    const kinds = ['ensemble', 'ecod', 'iforest', 'knn', 'pca', 'autoencoder', 'mlp', 'gbt', 'gbt+ecod'] as const;
    for (const detector of kinds) {
      const config: FraudDetectorConfig =
        detector === 'gbt+ecod'
          ? { detector: 'gbt', outlierFeatures: ['ecod'] }
          : { detector, ...(detector === 'autoencoder' ? { autoencoder: { epochs: 5 } } : {}) };
      const a = FraudDetector.create({ ...config, seed: 1, maxReasons: 0 });
      const b = FraudDetector.create({ ...config, seed: 1 });
      const supervised = detector === 'mlp' || detector.startsWith('gbt');
      await a.train(rows, supervised ? { labels } : {});
      await b.train(rows, supervised ? { labels } : {});
      // The evidence is the costly part of explaining (the speed fix skips it): none for a, some for b.
      evidence.calls = 0;
      const pa = await a.predictBatch(rows);
      expect(evidence.calls, detector).toBe(0);
      const pb = await b.predictBatch(rows);
      expect(evidence.calls, detector).toBeGreaterThan(0);
      expect(pa.every((p) => p.reasons.length === 0)).toBe(true);
      expect(pb.some((p) => p.reasons.length > 0)).toBe(true);
      // The MLP's alerts are occluded (and so explained by the network, not the explainer).
      if (detector === 'mlp') expect(pb.some((p) => p.isFraud)).toBe(true);
      expect(pa.map((p) => [p.score, p.isFraud])).toEqual(pb.map((p) => [p.score, p.isFraud]));
      a.dispose();
      b.dispose();
    }
  });
});

describe('training on tied scores', () => {
  it('warns when ties make the threshold flag far more than the contamination share', async () => {
    const warn: string[] = [];
    const logger = { debug: () => {}, info: () => {}, warn: (m: string) => void warn.push(m) };
    const constant = Array.from({ length: 200 }, () => [1, 2, 3]);
    const model = FraudDetector.create({ detector: 'iforest', seed: 1 });
    await model.train(constant, { logger });
    expect(warn.join('\n')).toMatch(/200 of 200 training rows score at the threshold or above \(contamination 0\.05 asks for 10\)/);
    expect((await model.predictBatch([[1, 2, 3]]))[0]?.isFraud).toBe(true);
    warn.length = 0;
    const varied = gaussian(8, 200, 3);
    await model.train(
      Array.from({ length: 200 }, (_, r) => Array.from(varied.data.subarray(r * 3, r * 3 + 3))),
      { logger },
    );
    expect(warn).toEqual([]);
    model.dispose();
  });
});
