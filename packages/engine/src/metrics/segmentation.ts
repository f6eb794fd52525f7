/**
 * Overlap metrics for binary segmentation on flat masks (any layout, as long as both masks use the
 * same one). By default both masks are binarised with `value > threshold`, so 0/1 masks, 0/255
 * masks and probability maps all work. With `soft: true` values in [0, 1] are used as soft
 * memberships instead (soft Dice / soft Jaccard, the differentiable training-loss forms).
 */
import { AppliedMLError, assertInput } from '../errors';
import type { NumericArray } from './types';
import { assertFiniteNumber, assertMetricOptions, assertNonEmpty, assertPair } from './validate';

export interface OverlapOptions {
  /**
   * Foreground is `value > threshold`, applied to both masks. Default 0.5. Ignored when `soft`.
   * For `Float32Array` masks pass `Math.fround(threshold)` when the threshold is not exactly
   * representable in float32 (e.g. 0.3), so a stored 0.3 is not counted as above it.
   */
  threshold?: number;
  /** Added to numerator and denominator (Laplace smoothing). Default 0. */
  smooth?: number;
  /** Use the values in [0, 1] directly instead of thresholding. Default false. */
  soft?: boolean;
  /** Score when both masks are empty and `smooth` is 0, where the ratio is 0/0. Default 1. */
  emptyScore?: number;
}

interface Overlap {
  intersection: number;
  sumTrue: number;
  sumPred: number;
}

interface ResolvedOptions {
  threshold: number;
  smooth: number;
  soft: boolean;
  emptyScore: number;
}

function resolve(options: OverlapOptions): ResolvedOptions {
  assertMetricOptions(options, ['threshold', 'smooth', 'soft', 'emptyScore'], ['soft']);
  const threshold = options.threshold ?? 0.5;
  const smooth = options.smooth ?? 0;
  const emptyScore = options.emptyScore ?? 1;
  assertFiniteNumber(threshold, 'threshold');
  assertFiniteNumber(smooth, 'smooth');
  assertFiniteNumber(emptyScore, 'emptyScore');
  assertInput(smooth >= 0, `smooth must be >= 0 (got ${smooth}).`, { smooth });
  return { threshold, smooth, soft: options.soft === true, emptyScore };
}

function overlap(maskTrue: NumericArray, maskPred: NumericArray, o: ResolvedOptions, where: string): Overlap {
  assertPair(maskTrue, maskPred, `maskTrue${where}`, `maskPred${where}`);
  let intersection = 0;
  let sumTrue = 0;
  let sumPred = 0;
  for (let i = 0; i < maskTrue.length; i++) {
    let a = maskTrue[i] as number;
    let b = maskPred[i] as number;
    if (o.soft) {
      if (!(a >= 0 && a <= 1)) badValue(`maskTrue${where}`, i, a, true);
      if (!(b >= 0 && b <= 1)) badValue(`maskPred${where}`, i, b, true);
    } else {
      if (!Number.isFinite(a)) badValue(`maskTrue${where}`, i, a, false);
      if (!Number.isFinite(b)) badValue(`maskPred${where}`, i, b, false);
      a = a > o.threshold ? 1 : 0;
      b = b > o.threshold ? 1 : 0;
    }
    intersection += a * b;
    sumTrue += a;
    sumPred += b;
  }
  return { intersection, sumTrue, sumPred };
}

function badValue(name: string, index: number, value: number, soft: boolean): never {
  throw new AppliedMLError(
    'E_INPUT_INVALID',
    soft
      ? `${name}[${index}] = ${String(value)} is outside [0, 1]; soft overlap needs memberships in [0, 1].`
      : `${name}[${index}] = ${String(value)} is not a finite number.`,
    { details: { argument: name, index, value } },
  );
}

function diceOf(c: Overlap, o: ResolvedOptions): number {
  const den = c.sumTrue + c.sumPred + o.smooth;
  return den === 0 ? o.emptyScore : (2 * c.intersection + o.smooth) / den;
}

function iouOf(c: Overlap, o: ResolvedOptions): number {
  const den = c.sumTrue + c.sumPred - c.intersection + o.smooth;
  return den === 0 ? o.emptyScore : (c.intersection + o.smooth) / den;
}

function meanOver(
  masksTrue: ReadonlyArray<NumericArray>,
  masksPred: ReadonlyArray<NumericArray>,
  options: OverlapOptions,
  score: (c: Overlap, o: ResolvedOptions) => number,
): number {
  assertInput(Array.isArray(masksTrue) && Array.isArray(masksPred), 'masksTrue and masksPred must be arrays of masks.');
  if (masksTrue.length !== masksPred.length) {
    throw new AppliedMLError('E_SHAPE_MISMATCH', `masksTrue has ${masksTrue.length} masks but masksPred has ${masksPred.length}.`, {
      details: { masksTrue: masksTrue.length, masksPred: masksPred.length },
    });
  }
  assertNonEmpty(masksTrue, 'masksTrue');
  const o = resolve(options);
  let total = 0;
  for (let k = 0; k < masksTrue.length; k++) {
    total += score(overlap(masksTrue[k] as NumericArray, masksPred[k] as NumericArray, o, `[${k}]`), o);
  }
  return total / masksTrue.length;
}

/**
 * Dice coefficient (F1 of the foreground pixels): `(2|A∩B| + smooth) / (|A| + |B| + smooth)`.
 * With the default options it equals sklearn `f1_score(maskTrue > 0.5, maskPred > 0.5)`, except
 * that two empty masks score `emptyScore` (1) rather than sklearn's zero_division 0.
 */
export function dice(maskTrue: NumericArray, maskPred: NumericArray, options: OverlapOptions = {}): number {
  const o = resolve(options);
  return diceOf(overlap(maskTrue, maskPred, o, ''), o);
}

/**
 * Intersection over union (Jaccard index): `(|A∩B| + smooth) / (|A∪B| + smooth)`, with the soft
 * union `ΣA + ΣB − ΣA·B`. With the default options it equals sklearn
 * `jaccard_score(maskTrue > 0.5, maskPred > 0.5)`, except that two empty masks score `emptyScore`.
 */
export function iou(maskTrue: NumericArray, maskPred: NumericArray, options: OverlapOptions = {}): number {
  const o = resolve(options);
  return iouOf(overlap(maskTrue, maskPred, o, ''), o);
}

/** Mean of per-image `dice` over paired lists of masks (images may differ in size). */
export function meanDice(
  masksTrue: ReadonlyArray<NumericArray>,
  masksPred: ReadonlyArray<NumericArray>,
  options: OverlapOptions = {},
): number {
  return meanOver(masksTrue, masksPred, options, diceOf);
}

/** Mean of per-image `iou` over paired lists of masks (images may differ in size). */
export function meanIou(
  masksTrue: ReadonlyArray<NumericArray>,
  masksPred: ReadonlyArray<NumericArray>,
  options: OverlapOptions = {},
): number {
  return meanOver(masksTrue, masksPred, options, iouOf);
}
