import { AppliedMLError, type ErrorCode } from '@appliedml/engine';
import { expect } from 'vitest';

/** Asserts that `fn` throws (or rejects with) an AppliedMLError with `code`; returns it. */
export async function expectCode(fn: () => unknown, code: ErrorCode): Promise<AppliedMLError> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  expect(AppliedMLError.isInstance(caught), `expected an AppliedMLError ${code}, got ${String(caught)}`).toBe(true);
  expect((caught as AppliedMLError).code).toBe(code);
  return caught as AppliedMLError;
}
