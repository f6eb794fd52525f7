import { AppliedMLError } from './errors';
import type { Logger } from './logger';

/**
 * Runs `fn` (synchronous) with `console.warn` sent to `logger.debug`. TensorFlow.js writes some notices
 * straight to the console whatever its mode (building a GRU or LSTM with more than 2,000 recurrent
 * weights prints "Orthogonal initializer … Slowness may result" each time); library code is quiet, so
 * the SDKs build their networks inside this. The console is put back when `fn` returns or throws. A
 * logger that itself writes through `console.warn` reaches the real one, and a logger that throws is
 * ignored (it must not break the build).
 */
export function routeConsoleWarnings<T>(logger: Logger, fn: () => T): T {
  const original = console.warn;
  let inside = false;
  console.warn = (...args: unknown[]) => {
    if (inside) return original(...args);
    inside = true;
    try {
      logger.debug(args.map(String).join(' '));
    } catch {
      // a failing logger must not break the build
    } finally {
      inside = false;
    }
  };
  let result: T;
  try {
    result = fn();
  } finally {
    console.warn = original;
  }
  if (typeof (result as { then?: unknown } | null)?.then === 'function')
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      'routeConsoleWarnings runs synchronous functions only; the console was back before this one finished.',
    );
  return result;
}
