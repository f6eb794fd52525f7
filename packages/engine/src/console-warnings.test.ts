import * as tf from '#tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { routeConsoleWarnings } from './console-warnings';
import { AppliedMLError } from './errors';
import type { Logger } from './logger';

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, debug: (m) => lines.push(m), info: () => undefined, warn: () => undefined };
}

// 26 GRU units: a 26 × 78 recurrent kernel (2,028 elements), orthogonal by default, just above tfjs's
// 2,000-element notice, and quick to build.
const gru = () => tf.sequential({ layers: [tf.layers.gru({ inputShape: [4, 3], units: 26 }), tf.layers.dense({ units: 2 })] });

describe('routeConsoleWarnings', () => {
  afterEach(() => vi.restoreAllMocks());

  it("sends tfjs's console notices to the logger and puts the console back", () => {
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const logger = recorder();
    routeConsoleWarnings(logger, gru).dispose();
    expect(spy).not.toHaveBeenCalled();
    expect(logger.lines.some((line) => /Orthogonal initializer/.test(line))).toBe(true);
    console.warn('after');
    expect(spy).toHaveBeenCalledWith('after');
  });

  it('a logger that writes through console.warn reaches the real one; a throwing logger is ignored', () => {
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const viaConsole: Logger = { debug: (m) => console.warn(`[debug] ${m}`), info: () => undefined, warn: () => undefined };
    routeConsoleWarnings(viaConsole, gru).dispose();
    expect(spy.mock.calls.some(([m]) => /^\[debug\] Orthogonal initializer/.test(String(m)))).toBe(true);
    const throwing: Logger = {
      debug: () => {
        throw new RangeError('logger down');
      },
      info: () => undefined,
      warn: () => undefined,
    };
    expect(() => routeConsoleWarnings(throwing, gru).dispose()).not.toThrow();
  });

  it('puts the console back when the function throws, and refuses an async function', async () => {
    const before = console.warn;
    expect(() =>
      routeConsoleWarnings(recorder(), () => {
        throw new RangeError('boom');
      }),
    ).toThrow('boom');
    expect(console.warn).toBe(before);
    let error: unknown;
    try {
      routeConsoleWarnings(recorder(), async () => 1);
    } catch (caught) {
      error = caught;
    }
    expect(AppliedMLError.isInstance(error) && error.code).toBe('E_INPUT_INVALID');
    expect(console.warn).toBe(before);
  });
});
