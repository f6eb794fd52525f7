/** What crosses the thread boundary between the pool and its workers (plain, structured-cloneable). */

/** A worker module exports `load(bundle, options)` resolving to one of these: the model, loaded once per worker. */
export interface InferenceModel<I, O> {
  /** One call for a whole micro-batch; results in input order. */
  predictBatch(inputs: I[]): Promise<O[]> | O[];
  /** Facts the service shows (labels, model kind); plain data. */
  info?: Record<string, unknown>;
}

export type LoadModel<I, O> = (bundle: string, options: Record<string, unknown>) => Promise<InferenceModel<I, O>>;

export interface WorkerSetup {
  /** file: URL of the module that exports `load`. */
  module: string;
  bundle: string;
  options: Record<string, unknown>;
}

/**
 * `info` is the readiness check: every worker gets one, and each waits at `barrier` (an
 * Int32Array over a SharedArrayBuffer: [arrived, cancelled]) until `parties` workers arrived.
 * A worker runs one task at a time, so `parties` waiting tasks are on `parties` distinct workers.
 */
export type WorkerTask =
  | { kind: 'info'; barrier: SharedArrayBuffer; parties: number; timeoutMs: number }
  | {
      kind: 'batch';
      inputs: unknown[];
      /**
       * The task's start handshake (see `TASK_PENDING`): the worker claims it before it starts the
       * work, the pool claims it to drop the task. Bytes 8–15 (a Float64) get the start time (ms).
       */
      control?: SharedArrayBuffer;
    }
  /** Answers once the worker that runs it has loaded the model (after a worker was replaced). */
  | { kind: 'ping' };

/** `control[0]` of a batch task: not started yet; the worker may start it. */
export const TASK_PENDING = 0;
/** `control[0]`: the worker has started the work (ending it now means terminating the worker). */
export const TASK_STARTED = 1;
/** `control[0]`: the pool dropped the task before it started (timed out, or nobody waits for it). */
export const TASK_DROPPED = 2;
/** Bytes of a batch task's `control` buffer: the Int32 state, padding, the Float64 start time. */
export const TASK_CONTROL_BYTES = 16;

/**
 * What a worker posts (on its parentPort, piscina's 'message' event) once it holds the model: the
 * pool is ready only while every live worker has said so, so a replacement for a worker that died,
 * even between tasks, holds readiness down until it has loaded the model.
 */
export interface LoadedMessage {
  kind: 'appliedml-model-loaded';
  threadId: number;
}

export function isLoadedMessage(message: unknown): message is LoadedMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as Partial<LoadedMessage>).kind === 'appliedml-model-loaded' &&
    typeof (message as Partial<LoadedMessage>).threadId === 'number'
  );
}

export interface WireError {
  code: string;
  /** The SDK error's message; for anything else a fixed one (see `internal`). */
  message: string;
  details: Record<string, unknown>;
  /**
   * Set for a non-SDK error (a bug, a library's own error): its name, its own message and its
   * stack frames, for the server's in-process use. Never sent in an HTTP answer or logged as text.
   */
  internal?: { name: string; message: string; frames: string[] };
}

export type Outcome = { ok: true; value: unknown } | { ok: false; error: WireError };

export type InfoAnswer =
  | { ok: true; info: Record<string, unknown>; threadId: number; /** every party arrived in time */ complete: boolean }
  | { ok: false; error: WireError };
