import type { Logger } from './logger';

/**
 * Runs `fn` (synchronous) with `console.warn` sent to `logger.debug`. TensorFlow.js writes some notices
 * straight to the console whatever its mode (building a GRU or LSTM with more than 2,000 recurrent
 * weights prints "Orthogonal initializer … Slowness may result" each time); library code is quiet, so
 * the SDKs build their networks inside this. The console is put back when `fn` returns or throws.
 */
export function routeConsoleWarnings<T>(logger: Logger, fn: () => T): T {
  const original = console.warn;
  console.warn = (...args: unknown[]) => logger.debug(args.map(String).join(' '));
  try {
    return fn();
  } finally {
    console.warn = original;
  }
}
