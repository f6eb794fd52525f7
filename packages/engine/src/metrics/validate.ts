/**
 * Input checks shared by the metric functions (internal; not re-exported). Every failure throws an
 * `AppliedMLError`: `E_SHAPE_MISMATCH` for length mismatches, `E_INPUT_INVALID` for everything else.
 */
import { AppliedMLError, assertInput, describeKind, describeValue } from '../errors';
import { checkKnownKeys } from '../option-checks';
import type { NumericArray } from './types';

/** An array or typed array (anything with a numeric length), not null or a scalar. */
export function assertArrayLike(values: unknown, name: string): asserts values is ArrayLike<unknown> {
  assertInput(
    values !== null && typeof values === 'object' && typeof (values as { length?: unknown }).length === 'number',
    `${name} must be an array of numbers (got ${describeKind(values)}).`,
    { argument: name },
  );
}

export function assertNonEmpty(values: ArrayLike<unknown>, name: string): void {
  assertArrayLike(values, name);
  assertInput(values.length > 0, `${name} is empty; metrics need at least one element.`, {
    argument: name,
  });
}

export function assertSameLength(a: ArrayLike<unknown>, b: ArrayLike<unknown>, nameA: string, nameB: string): void {
  assertArrayLike(a, nameA);
  assertArrayLike(b, nameB);
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
  // numClasses² counts are allocated: 10,000 classes (1e8 cells) is the most a metric will take.
  assertInput(
    Number.isInteger(numClasses) && numClasses >= 1 && numClasses <= 10_000,
    `numClasses must be an integer in [1, 10000] (got ${String(numClasses)}).`,
    {
      numClasses,
    },
  );
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

/**
 * A metric's options argument: undefined means the defaults; anything else must be an object naming
 * only `known` keys (a misspelt `nullvalue` would otherwise be ignored and change the figure), and the
 * `booleans` among them, when given, must be true or false (not a truthy string).
 */
export function assertMetricOptions(options: unknown, known: readonly string[], booleans: readonly string[] = []): void {
  checkKnownKeys('options', options, known);
  if (options === undefined) return;
  for (const key of booleans) {
    const v = (options as Record<string, unknown>)[key];
    // The message is built only when the check fails.
    if (v !== undefined && typeof v !== 'boolean')
      throw new AppliedMLError('E_INPUT_INVALID', `options.${key} must be true or false (got ${describeValue(v)}).`, {
        details: { field: `options.${key}` },
      });
  }
}
