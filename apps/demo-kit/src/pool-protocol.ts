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

export type WorkerTask = { kind: 'info' } | { kind: 'batch'; inputs: unknown[] };

export interface WireError {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export type Outcome = { ok: true; value: unknown } | { ok: false; error: WireError };

export type InfoAnswer = { ok: true; info: Record<string, unknown>; threadId: number } | { ok: false; error: WireError };
