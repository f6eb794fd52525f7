/**
 * Input checks shared by the metric functions (internal; not re-exported). Every failure throws an
 * `AppliedMLError`: `E_SHAPE_MISMATCH` for length mismatches, `E_INPUT_INVALID` for everything else.
 */
import { AppliedMLError, assertInput } from '../errors';
import type { NumericArray } from './types';

export function assertNonEmpty(values: ArrayLike<unknown>, name: string): void {
  assertInput(values.length > 0, `${name} is empty; metrics need at least one element.`, {
    argument: name,
  });
}

export function assertSameLength(a: ArrayLike<unknown>, b: ArrayLike<unknown>, nameA: string, nameB: string): void {
  if (a.length !== b.length) {
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `${nameA} has ${a.length} elements but ${nameB} has ${b.length}; they must have the same length.`,
      { details: { [nameA]: a.length, [nameB]: b.length } },
    );
  }
}

/** Non-empty, same length: the precondition of every pairwise metric. */
export function assertPair(a: ArrayLike<unknown>, b: ArrayLike<unknown>, nameA: string, nameB: string): void {
  assertSameLength(a, b, nameA, nameB);
  assertNonEmpty(a, nameA);
}

export function assertNumClasses(numClasses: number): void {
  assertInput(Number.isInteger(numClasses) && numClasses >= 1, `numClasses must be a positive integer (got ${String(numClasses)}).`, {
    numClasses,
  });
}

/** Every value is an integer label in [0, numClasses). */
export function assertLabels(values: NumericArray, numClasses: number, name: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!(Number.isInteger(v) && v >= 0 && v < numClasses)) {
      throw new AppliedMLError('E_INPUT_INVALID', `${name}[${i}] = ${String(v)} is not an integer class label in [0, ${numClasses}).`, {
        details: { argument: name, index: i, value: v, numClasses },
      });
    }
  }
}

/** Every value is 0 or 1. */
export function assertBinary(values: NumericArray, name: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== 0 && v !== 1) {
      throw new AppliedMLError('E_INPUT_INVALID', `${name}[${i}] = ${String(v)} is not a binary label; expected 0 or 1.`, {
        details: { argument: name, index: i, value: v },
      });
    }
  }
}

/** Every value is a finite number (no NaN, no ±Infinity). */
export function assertFinite(values: NumericArray, name: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) {
      throw new AppliedMLError('E_INPUT_INVALID', `${name}[${i}] = ${String(v)} is not a finite number.`, {
        details: { argument: name, index: i, value: v },
      });
    }
  }
}

export function assertFiniteNumber(value: number, name: string): void {
  assertInput(Number.isFinite(value), `${name} must be a finite number (got ${String(value)}).`, {
    argument: name,
    value,
  });
}
