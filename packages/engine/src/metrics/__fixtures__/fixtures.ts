/**
 * Test support (not part of the library): loads metrics.json, written by
 * tools/fixtures/make-metric-fixtures.py from scikit-learn, plus comparison helpers.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { AppliedMLError, type ErrorCode } from '../../errors';

export type Nullable = Array<number | null>;

export interface PrfAverage {
  precision: number;
  recall: number;
  f1: number;
}

export interface ClassificationCase {
  name: string;
  yTrue: number[];
  yPred: number[];
  numClasses: number;
  expected: {
    accuracy: number;
    confusionMatrix: number[][];
    precision: number[];
    recall: number[];
    f1: number[];
    support: number[];
    macro: PrfAverage;
    weighted: PrfAverage;
    micro: PrfAverage;
    matthewsCorrcoef: number;
    balancedAccuracy: number;
    balancedAccuracyAdjusted?: number;
  };
}

export interface CurveFixture {
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}

export interface RankingCase {
  name: string;
  yTrue: number[];
  scores: number[];
  float32: boolean;
  expected: {
    rocAuc?: number;
    roc?: CurveFixture;
    rocDropIntermediate?: CurveFixture;
    recallAtFpr?: Array<[number, number]>;
    pr?: { precision: number[]; recall: number[]; thresholds: number[] };
    averagePrecision?: number;
    precisionAtK: Array<[number, number]>;
  };
}

export interface OvrCase {
  name: string;
  yTrue: number[];
  probs: number[][];
  numClasses: number;
  expected: { macro: number; weighted: number; perClass: number[] };
}

export interface RegressionCase {
  name: string;
  yTrue: Nullable;
  yPred: Nullable;
  float32: boolean;
  mask?: number[];
  nullValue?: number | 'NaN';
  expected: {
    mae: number;
    mse: number;
    rmse: number;
    mape: number;
    r2?: number;
    explainedVariance: number;
    forecastAccuracy: number;
  };
}

export interface SegmentationCase {
  name: string;
  maskTrue: number[];
  maskPred: number[];
  expected: Array<{
    options: { threshold?: number; smooth?: number; soft?: boolean };
    dice: number;
    iou: number;
  }>;
}

export interface SegmentationBatch {
  name: string;
  masksTrue: number[][];
  masksPred: number[][];
  expected: { meanDice: number; meanIou: number };
}

export interface MetricFixtures {
  meta: { generator: string; sklearn: string; numpy: string };
  classification: ClassificationCase[];
  ranking: RankingCase[];
  rocAucOvr: OvrCase[];
  regression: RegressionCase[];
  segmentation: SegmentationCase[];
  segmentationBatch: SegmentationBatch;
}

export const fixtures = JSON.parse(readFileSync(new URL('./metrics.json', import.meta.url), 'utf8')) as MetricFixtures;

/** JSON null (the fixture's NaN) back to NaN. */
export function withNaN(values: Nullable): number[] {
  return values.map((v) => (v === null ? Number.NaN : v));
}

/** |actual - expected| ≤ tol · max(1, |expected|). */
export function expectClose(actual: number, expected: number, label: string, tol = 1e-9): void {
  expect(Number.isFinite(actual), `${label}: got ${actual}`).toBe(true);
  const err = Math.abs(actual - expected);
  expect(err, `${label}: got ${actual}, expected ${expected}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected)));
}

export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string, tol = 1e-9): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expectClose(actual[i] as number, expected[i] as number, `${label}[${i}]`, tol);
  }
}

/** Runs `fn`, which must throw an AppliedMLError with `code`; returns the error for more checks. */
export function expectCode(fn: () => unknown, code: ErrorCode): AppliedMLError {
  let caught: unknown = undefined;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a throw').toBeDefined();
  expect(AppliedMLError.isInstance(caught), `not an AppliedMLError: ${String(caught)}`).toBe(true);
  const err = caught as AppliedMLError;
  expect(err.code).toBe(code);
  return err;
}

/** Small deterministic PRNG (mulberry32) for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
