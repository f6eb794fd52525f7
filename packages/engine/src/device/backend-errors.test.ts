import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '../errors';
import { fromBackendError } from './backend-errors';

describe('fromBackendError', () => {
  it('maps a WebAssembly RuntimeError to E_INPUT_TOO_LARGE with advice and the cause', () => {
    const RuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new (m: string) => Error } }).WebAssembly.RuntimeError;
    const crash = new RuntimeError('table index is out of bounds');
    const mapped = fromBackendError(crash, 'training');
    expect(AppliedMLError.hasCode(mapped, 'E_INPUT_TOO_LARGE')).toBe(true);
    expect((mapped as Error).message).toMatch(/smaller batches.*restart the process/);
    expect((mapped as Error).cause).toBe(crash);
  });

  it('passes other errors through unchanged', () => {
    const typed = new AppliedMLError('E_INPUT_INVALID', 'x');
    const plain = new TypeError('y');
    expect(fromBackendError(typed, 'training')).toBe(typed);
    expect(fromBackendError(plain, 'training')).toBe(plain);
  });
});
