import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The request a route handler is answering, as far as work it starts needs to know: a signal that
 * aborts once the request no longer needs an answer (its answer was sent — by the handler, or 503
 * by the answer limit — or its client went away). The service runs every handler inside it; the
 * inference pool reads it, so queued work for a request nobody waits for is dropped before it starts.
 */
const scope = new AsyncLocalStorage<AbortSignal>();

/** Runs `fn` with `signal` as the current request's signal. */
export function withRequestSignal<T>(signal: AbortSignal, fn: () => T): T {
  return scope.run(signal, fn);
}

/** The signal of the request being handled here, if any. */
export function currentRequestSignal(): AbortSignal | undefined {
  return scope.getStore();
}
