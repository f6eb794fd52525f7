import { AppliedMLError } from '@appliedml/engine';

export interface ConcurrencyLimitOptions {
  /** Tasks running at once (default 1). */
  concurrency?: number;
  /** Tasks waiting for a slot at most; beyond it `run` is 503 E_BUSY with a retry hint (default 8). */
  maxQueue?: number;
  /** Seconds in the E_BUSY answer's Retry-After (default 1). */
  retryAfterSeconds?: number;
}

export interface ConcurrencyLimit {
  /** Runs `fn` when a slot is free; 503 E_BUSY at once when `concurrency` run and `maxQueue` wait. */
  run<T>(fn: () => T | Promise<T>): Promise<T>;
  /** True when a new task would be refused: check it before reading a large upload. */
  readonly full: boolean;
  stats(): { running: number; queued: number };
}

/**
 * The worker pool's back-pressure for inference in the service process (`--workers 0`): at most
 * `concurrency` tasks run, `maxQueue` wait, and more are 503 E_BUSY with `Retry-After`, the same
 * contract as `createInferencePool`, so memory is bounded by tasks, not by open connections.
 */
export function createConcurrencyLimit(options: ConcurrencyLimitOptions = {}): ConcurrencyLimit {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  const maxQueue = Math.max(0, Math.floor(options.maxQueue ?? 8));
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  let running = 0;
  const waiting: (() => void)[] = [];
  const next = (): void => {
    running -= 1;
    const wake = waiting.shift();
    if (wake) {
      running += 1;
      wake();
    }
  };
  return {
    async run<T>(fn: () => T | Promise<T>): Promise<T> {
      if (running >= concurrency) {
        if (waiting.length >= maxQueue)
          throw new AppliedMLError('E_BUSY', 'The service is busy with other requests and its queue is full; retry shortly.', {
            details: { retryAfterSeconds },
          });
        await new Promise<void>((resolve) => waiting.push(resolve));
      } else running += 1;
      try {
        return await fn();
      } finally {
        next();
      }
    },
    get full() {
      return running >= concurrency && waiting.length >= maxQueue;
    },
    stats: () => ({ running, queued: waiting.length }),
  };
}
