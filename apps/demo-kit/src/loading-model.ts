import { AppliedMLError } from '@appliedml/engine';

/** What a service needs of a model that may still be loading. */
export interface LoadableModel {
  readonly isReady: boolean;
  /** True while a new task would be refused 503 E_BUSY (its queue is full). */
  readonly full?: boolean;
  close(): void | Promise<void>;
}

/** A model given as a value or a promise: the service listens while it loads. */
export interface LoadingModel<T extends LoadableModel> {
  /** The model once its promise resolved, else undefined. */
  readonly current: T | undefined;
  /** True once the model is loaded and ready (the service's `isReady`). */
  isReady(): boolean;
  /** The ready model, or 503 E_BUSY with a retry hint while it loads. */
  require(): T;
  /**
   * For a route's `config.admit` (before the body is read): 503 E_BUSY with a retry hint while the
   * model loads or its queue is full.
   */
  admit(): void;
  /** Closes the model once it has loaded (or right away if the load failed): for the service's `onClose`. */
  close(): Promise<void>;
}

/**
 * Wraps `model` (or its promise) for a service that starts listening before the model is loaded.
 * A failed load is the caller's to report (it awaits the same promise); readiness then stays false.
 */
export function loadingModel<T extends LoadableModel>(model: T | Promise<T>, retryAfterSeconds = 2): LoadingModel<T> {
  let current: T | undefined;
  const loading = Promise.resolve(model).then((m) => {
    current = m;
    return m;
  });
  loading.catch(() => undefined);
  function require(): T {
    if (!current?.isReady)
      throw new AppliedMLError('E_BUSY', 'The model is still loading; retry shortly.', { details: { retryAfterSeconds } });
    return current;
  }
  return {
    get current() {
      return current;
    },
    isReady: () => current?.isReady === true,
    require,
    admit(): void {
      if (require().full === true)
        throw new AppliedMLError('E_BUSY', 'Every inference slot is busy and the queue is full; retry shortly.', {
          details: { retryAfterSeconds: 1 },
        });
    },
    async close(): Promise<void> {
      const m = current ?? (await loading.catch(() => undefined));
      await m?.close();
    },
  };
}
