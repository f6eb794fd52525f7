// What a model's `train` shares for its `signal` (docs/sdk-conventions.md): event-loop turns in the work
// it does outside the engine's fitModel, and its E_ABORTED named after the call.
import { AppliedMLError, predictBatched, tf } from '@appliedml/engine';
import type { Turns } from './preprocess';

export type { Turns } from './preprocess';

/** Gives the event loop a turn when one is due; throws E_ABORTED once the call's signal is aborted. */
export async function takeTurn(turns: Turns): Promise<void> {
  const t = turns.turn();
  if (t) await t;
}

/**
 * `predictBatched(model, x, { batchSize })`'s values, a batch at a time with a turn after each: the same
 * batches (rows [k·batchSize, (k+1)·batchSize)), so the same values to the bit. No tensor is left.
 */
export async function predictInTurns(model: tf.LayersModel, x: tf.Tensor, batchSize: number, turns: Turns): Promise<Float32Array> {
  const n = x.shape[0]!;
  const rest = x.shape.slice(1);
  let out: Float32Array | undefined;
  for (let start = 0; start < n; start += batchSize) {
    const rows = Math.min(batchSize, n - start);
    const block = tf.slice(x, [start, ...rest.map(() => 0)], [rows, ...rest]);
    let values: Float32Array;
    try {
      values = predictBatched(model, block, { batchSize }).data;
    } finally {
      block.dispose();
    }
    out ??= new Float32Array((n * values.length) / rows);
    out.set(values, (start * values.length) / rows);
    await takeTurn(turns);
  }
  return out ?? new Float32Array(0);
}

/**
 * The error a `train` rejects with: an E_ABORTED as it is (every step names the call, the engine's
 * fitModel too through its `what`), unless the model was disposed too (a service's shutdown disposes and
 * aborts, in either order): the dispose wins, E_MODEL_DISPOSED as a dispose alone gives
 * (docs/sdk-conventions.md). Anything else as it is. `what` is the call, e.g. 'ImageClassifier.train'.
 */
export function trainError(error: unknown, what: string, disposed: boolean): unknown {
  if (!AppliedMLError.hasCode(error, 'E_ABORTED') || !disposed) return error;
  const model = what.slice(0, what.indexOf('.'));
  return new AppliedMLError('E_MODEL_DISPOSED', `This ${model} was disposed while it trained; create or load another.`);
}
