import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { routeConsoleWarnings } from './console-warnings';
import type { Logger } from './logger';

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, debug: (m) => lines.push(m), info: () => undefined, warn: () => undefined };
}

describe('routeConsoleWarnings', () => {
  afterEach(() => vi.restoreAllMocks());

  it("sends tfjs's console notices to the logger and puts the console back", () => {
    const spy = vi.spyOn(console, 'warn');
    const logger = recorder();
    // 128 GRU units: a 128 × 384 recurrent kernel, orthogonal by default, above tfjs's 2,000-element notice.
    const network = routeConsoleWarnings(logger, () =>
      tf.sequential({ layers: [tf.layers.gru({ inputShape: [4, 3], units: 128 }), tf.layers.dense({ units: 2 })] }),
    );
    network.dispose();
    expect(spy).not.toHaveBeenCalled();
    expect(logger.lines.some((line) => /Orthogonal initializer/.test(line))).toBe(true);
    console.warn('after');
    expect(spy).toHaveBeenCalledWith('after');
  });

  it('puts the console back when the function throws', () => {
    const before = console.warn;
    expect(() =>
      routeConsoleWarnings(recorder(), () => {
        throw new RangeError('boom');
      }),
    ).toThrow('boom');
    expect(console.warn).toBe(before);
  });
});
