import { describe, expect, it, vi } from 'vitest';

// Counts describeValue calls: a check that passes must not build its refusal message (describeValue of a
// large value walks it; every metric call paid for its boolean options' messages).
const calls = vi.hoisted(() => ({ n: 0 }));
vi.mock('../errors', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../errors')>();
  return {
    ...actual,
    describeValue: (...args: Parameters<typeof actual.describeValue>) => {
      calls.n++;
      return actual.describeValue(...args);
    },
  };
});

const { balancedAccuracy } = await import('./classification');
const { rocCurve } = await import('./ranking');

describe('metric option checks build their message only when they fail', () => {
  it('boolean options that are true or false call no describeValue; a wrong one is named as before', () => {
    calls.n = 0;
    expect(balancedAccuracy([0, 1, 1, 0], [0, 1, 0, 0], 2, { adjusted: true })).toBeCloseTo(0.5);
    expect(rocCurve([0, 1, 1, 0], [0.1, 0.9, 0.4, 0.3], { dropIntermediate: false }).fpr.length).toBeGreaterThan(0);
    expect(calls.n).toBe(0);
    expect(() => balancedAccuracy([0, 1], [0, 1], 2, { adjusted: 'yes' as unknown as boolean })).toThrow(
      expect.objectContaining({
        code: 'E_INPUT_INVALID',
        message: 'options.adjusted must be true or false (got "yes").',
        details: { field: 'options.adjusted' },
      }),
    );
  });
});
