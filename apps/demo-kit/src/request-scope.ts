import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The request a route handler is answering, as far as work it starts needs to know: a signal that
 * aborts once the request no longer needs an answer (its answer was sent — by the handler, or 503
 * by the answer limit — or its client went away), and its route (`POST /predict`). The service
 * runs every handler inside it (and a route's `config.admit`, with the route only); the inference
 * pool reads it, so queued work for a request nobody waits for is dropped before it starts, and
 * run times are estimated per route.
 */
export interface RequestScope {
  signal?: AbortSignal;
  /** The method and the route's URL pattern, e.g. `POST /predict`. */
  route?: string;
}

const scope = new AsyncLocalStorage<RequestScope>();

/** Runs `fn` inside `request` (its signal and route). */
export function withRequestScope<T>(request: RequestScope, fn: () => T): T {
  return scope.run(request, fn);
}

/** The signal of the request being handled here, if any. */
export function currentRequestSignal(): AbortSignal | undefined {
  return scope.getStore()?.signal;
}

/** The route of the request being handled (or admitted) here, if any, e.g. `POST /predict`. */
export function currentRequestRoute(): string | undefined {
  return scope.getStore()?.route;
}
