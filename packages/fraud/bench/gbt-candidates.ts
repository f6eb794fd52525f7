// The boosted-tree configurations compared by gbt-select.ts (and reused by booster-screen.ts), each written
// down before it was first measured (docs/benchmarks/fraud.md).
import type { FraudDetectorConfig } from '../src/detector';
import type { GbtOptions } from '../src/gbt';

/** The candidates, written down before any of them was measured (see docs/benchmarks/fraud.md). */
export const GBT_CANDIDATES: Record<string, GbtOptions> = {
  // The boosted trees' defaults alone (LightGBM-like; the shipped default until session 9, when the
  // 50-tree forest joined it: that configuration is 'forest-50').
  default: { forest: false },
  // Stronger regularisation, slower learning, longer patience.
  'leafwise-reg': { learningRate: 0.05, l2: 3, minLeafRows: 5, trees: 1000, patience: 100, bags: 1, forest: false },
  // CatBoost-like: oblivious depth-6 trees, L2 3, all features per tree.
  symmetric: {
    growth: 'symmetric',
    maxDepth: 6,
    learningRate: 0.05,
    l2: 3,
    minLeafRows: 1,
    featureFraction: 1,
    trees: 1000,
    patience: 100,
    bags: 1,
    forest: false,
  },
  // The same, three models averaged (each with its own early-stopping slice).
  'symmetric-bag3': {
    growth: 'symmetric',
    maxDepth: 6,
    learningRate: 0.05,
    l2: 3,
    minLeafRows: 1,
    featureFraction: 1,
    trees: 1000,
    patience: 100,
    bags: 3,
    forest: false,
  },
  // Chosen on 2026-11-28; shipped as the GBT_BAGGED option (too slow to score for the default; docs/benchmarks/fraud.md).
  'leafwise-reg-bag3': { learningRate: 0.05, l2: 3, minLeafRows: 5, trees: 1000, patience: 100, bags: 3, forest: false },
  // 2026-11-29: scikit-learn HistGradientBoosting's defaults (no early stopping below 10,000 rows):
  // 100 rounds on every training row, no row or feature sampling, no L2. Run on thyroid only so far.
  'hgb-like': { trees: 100, validationFraction: 0, subsample: 1, featureFraction: 1, l2: 0, forest: false },
  // 2026-11-29 (XGBOD-style): the defaults plus ECOD's and IForest's scores as features (CANDIDATE_DETECTOR below).
  'outlier-features': { forest: false },
  // 2026-11-29 (session 9): the defaults beside a 100-tree random forest (probabilities averaged).
  forest: { forest: { trees: 100 } },
  // Session 9, after 'forest' missed the speed clause on campaign: the same with 50 trees (the shipped
  // default since).
  'forest-50': { forest: { trees: 50 } },
  // Session 13: 50 bootstrap trees and 50 extremely randomized ones beside the boosted trees.
  'forest-mixed': { forest: { trees: 100, extraTrees: 50 } },
};

/** Detector options beyond the trees' (the candidates' other fields stay at the defaults). */
export const CANDIDATE_DETECTOR: Record<string, Pick<FraudDetectorConfig, 'outlierFeatures'>> = {
  'outlier-features': { outlierFeatures: ['ecod', 'iforest'] },
};
