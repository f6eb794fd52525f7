import { abortedError, throwIfAborted } from '../abort';

/**
 * For long synchronous work on the main thread (training loops, large batches): `turn()` gives the
 * event loop a turn (one `setImmediate`) when `everyMs` have passed since the last one, so a service
 * that does the work in its own process keeps answering health checks and other requests meanwhile.
 * Call it every few hundred steps; between turns it costs one clock read.
 */
export function eventLoopTurns(everyMs = 50, abort?: EventLoopAbort): { turn(): Promise<void> | undefined } {
  let last = performance.now();
  const signal = abort?.signal;
  const what = abort?.what ?? 'the call';
  return {
    turn() {
      throwIfAborted(signal, what);
      if (performance.now() - last <= everyMs) return undefined;
      return new Promise<void>((resolve, reject) =>
        setImmediate(() => {
          last = performance.now();
          // What ran during the turn may have aborted the signal (a timer, a request that went away).
          if (signal?.aborted) reject(abortedError(signal, what));
          else resolve();
        }),
      );
    },
  };
}

/**
 * With a signal, `turn()` throws E_ABORTED once it is aborted (checked on every call, one property
 * read, and again after a turn, when the abort is usually seen): `what` names the call in the message.
 */
export interface EventLoopAbort {
  signal?: AbortSignal | undefined;
  what: string;
}
