/**
 * Evaluation metrics on plain number arrays and typed arrays (no tensors). Conventions follow
 * scikit-learn; each function's doc comment names its sklearn equivalent and any deliberate
 * difference. Bad input throws `AppliedMLError` (`E_INPUT_INVALID` or `E_SHAPE_MISMATCH`).
 */
export type { MaskArray, NumericArray } from './types';

export { accuracy, balancedAccuracy, confusionMatrix, matthewsCorrcoef, precisionRecallF1 } from './classification';
export type { BalancedAccuracyOptions, PrecisionRecallF1Average, PrecisionRecallF1Result } from './classification';

export { averagePrecision, prCurve, precisionAtK, recallAtFpr, rocAuc, rocAucOvr, rocCurve } from './ranking';
export type { PrCurve, RocAucOvrOptions, RocCurve, RocCurveOptions } from './ranking';

export { explainedVariance, forecastAccuracy, mae, mape, mse, r2, rmse } from './regression';
export type { MapeOptions, RegressionOptions } from './regression';

export { dice, iou, meanDice, meanIou } from './segmentation';
export type { OverlapOptions } from './segmentation';
