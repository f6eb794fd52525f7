// Checks for the tensor and model arguments of the public functions, before any tensor work: a plain
// array, null or a disposed tensor or model is a typed error naming the argument, not a TypeError from
// deep inside tfjs. Duck-typed, as an SDK may hold another copy of tfjs.
import type * as tf from '#tfjs';
import { AppliedMLError, describeValue } from './errors';

/** A numeric tensor that has not been disposed; anything else is E_INPUT_INVALID naming `what`. */
export function checkTensor(t: unknown, what: string): asserts t is tf.Tensor {
  const v = t as { shape?: unknown; dtype?: unknown; isDisposed?: unknown } | null;
  if (v === null || typeof v !== 'object' || !Array.isArray(v.shape) || typeof v.dtype !== 'string')
    throw new AppliedMLError('E_INPUT_INVALID', `${what} must be a tensor (got ${describeValue(t)}).`, { details: { field: what } });
  if (v.isDisposed === true)
    throw new AppliedMLError('E_INPUT_INVALID', `${what} is a disposed tensor: its values are gone.`, { details: { field: what } });
  if (v.dtype === 'string')
    throw new AppliedMLError('E_INPUT_INVALID', `${what} must be a numeric tensor (got a string tensor).`, { details: { field: what } });
}

interface ModelLike {
  inputs?: unknown;
  outputs?: unknown;
  layers?: unknown;
  weights?: unknown;
  _refCount?: unknown;
}

/**
 * A tfjs LayersModel (E_INPUT_INVALID naming `what` otherwise) whose layers and weights are still
 * there (E_MODEL_DISPOSED for a disposed one, which tfjs reports with an untyped error).
 */
export function checkLayersModel(model: unknown, what: string): asserts model is tf.LayersModel {
  const m = model as ModelLike | null;
  if (m === null || typeof m !== 'object' || !Array.isArray(m.inputs) || !Array.isArray(m.outputs) || !Array.isArray(m.weights))
    throw new AppliedMLError('E_INPUT_INVALID', `${what} needs a tfjs LayersModel (got ${describeValue(model)}).`, {
      details: { field: 'model' },
    });
  const layers = Array.isArray(m.layers) ? (m.layers as ModelLike[]) : [];
  const disposed =
    m._refCount === 0 ||
    layers.some((l) => l?._refCount === 0) ||
    (m.weights as { val?: { isDisposed?: unknown } }[]).some((w) => w?.val?.isDisposed === true);
  if (disposed)
    throw new AppliedMLError('E_MODEL_DISPOSED', `${what}: the model was disposed; build or load it again.`, {
      details: { field: 'model' },
    });
}
