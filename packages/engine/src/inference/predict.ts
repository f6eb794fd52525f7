import * as tf from '#tfjs';
import { fromBackendError } from '../device/backend-errors';
import { AppliedMLError, describeValue } from '../errors';
import { checkKnownKeys } from '../option-checks';
import { refuseNonFinite } from '../finite-check';
import { checkLayersModel, checkTensor } from '../tensor-checks';

/** A model output as plain data: row-major values and the full shape. */
export interface PredictionArray {
  data: Float32Array;
  shape: number[];
}

export interface PredictOptions {
  batchSize?: number;
}

/**
 * model.predict in batches into one preallocated Float32Array. Each batch runs in its own tidy
 * scope and is read outside it (reading a large array inside tidy is slow); nothing is left behind.
 * An input holding NaN or ±Infinity is E_INPUT_INVALID naming its first such cell (details input, row,
 * column, value), checked before any prediction.
 */
export function predictBatched(model: tf.LayersModel, x: tf.Tensor | tf.Tensor[], options: PredictOptions = {}): PredictionArray {
  checkKnownKeys('predictBatched options', options, ['batchSize']);
  checkLayersModel(model, 'predictBatched');
  const batchSize = options.batchSize ?? 256;
  const inputs = Array.isArray(x) ? x : [x];
  inputs.forEach((t, i) => checkTensor(t, inputs.length > 1 ? `predictBatched x[${i}]` : 'predictBatched x'));
  const n = inputs[0]?.shape[0] ?? 0;
  if (n === 0) throw new AppliedMLError('E_INPUT_INVALID', 'predict needs at least one row.');
  checkBatchSize(batchSize);
  // The input's shape against the model's (dimensions it leaves open pass), before tfjs's own check.
  if (inputs.length !== model.inputs.length)
    throw new AppliedMLError('E_SHAPE_MISMATCH', `The model takes ${model.inputs.length} input(s); got ${inputs.length}.`);
  inputs.forEach((t, i) => {
    const want = model.inputs[i]?.shape ?? [];
    const fits = t.shape.length === want.length && want.every((d, k) => k === 0 || d === null || d === undefined || d === t.shape[k]);
    if (!fits)
      throw new AppliedMLError(
        'E_SHAPE_MISMATCH',
        `Input ${i} is ${t.shape.join('×')}; the model takes ${want.map((d) => d ?? 'any').join('×')}.`,
        {
          details: { input: i, shape: t.shape, expected: want },
        },
      );
  });
  const output = model.outputs[0];
  if (model.outputs.length !== 1 || !output) throw new AppliedMLError('E_INPUT_INVALID', 'predictBatched supports single-output models.');
  // NaN or ±Infinity: wasm's relu maps NaN to 0 (a confident, finite answer), js gives NaN; neither is an answer.
  refuseNonFinite(inputs, 'predictBatched x', 'clean or impute it before predicting');
  const rowShape = output.shape.slice(1).map((d) => d ?? 1);
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n * rowSize);
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    let batch: tf.Tensor;
    try {
      batch = tf.tidy(() => {
        const xb = inputs.map((t) => tf.slice(t, [start, ...t.shape.slice(1).map(() => 0)], [size, ...t.shape.slice(1)]));
        return model.predict(xb.length === 1 ? (xb[0] as tf.Tensor) : xb) as tf.Tensor;
      });
    } catch (error) {
      throw fromBackendError(error, 'prediction');
    }
    try {
      if (batch.size !== size * rowSize) {
        throw new AppliedMLError(
          'E_SHAPE_MISMATCH',
          `The model produced ${batch.shape.join('×')} for a batch of ${size}; expected rows of ${rowShape.join('×')}.`,
        );
      }
      data.set(batch.dataSync() as Float32Array, start * rowSize);
    } finally {
      batch.dispose();
    }
  }
  return { data, shape: [n, ...rowShape] };
}

/** Largest warm-up batch, and its largest size in values (1 GB of float32): warm-up zeros are allocated whole. */
const WARM_UP_MAX_BATCH = 4096;
const WARM_UP_MAX_VALUES = 2 ** 28;

/**
 * Run one prediction on zeros so the first real request does not pay for kernel set-up. `batchSize` is
 * an integer in [1, 4096] (E_INPUT_INVALID), and a batch over 2^28 values is E_INPUT_TOO_LARGE.
 */
export function warmUp(model: tf.LayersModel, batchSize = 1): void {
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= WARM_UP_MAX_BATCH))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `warmUp batchSize must be an integer in [1, ${WARM_UP_MAX_BATCH}] (got ${describeValue(batchSize)}).`,
      { details: { field: 'batchSize' } },
    );
  checkLayersModel(model, 'warmUp');
  const values = model.inputs.reduce((sum, input) => sum + batchSize * input.shape.slice(1).reduce<number>((a, d) => a * (d ?? 1), 1), 0);
  if (values > WARM_UP_MAX_VALUES)
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `A warm-up batch of ${batchSize} is ${values} input values (at most ${WARM_UP_MAX_VALUES}); use a smaller batchSize.`,
      { details: { field: 'batchSize' } },
    );
  tf.tidy(() => {
    const inputs = model.inputs.map((input) => tf.zeros([batchSize, ...input.shape.slice(1).map((d) => d ?? 1)], input.dtype));
    const out = model.predict(inputs.length === 1 ? (inputs[0] as tf.Tensor) : inputs) as tf.Tensor | tf.Tensor[];
    (Array.isArray(out) ? out : [out]).forEach((t) => t.dataSync());
  });
}

function checkBatchSize(batchSize: number): void {
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new AppliedMLError('E_INPUT_INVALID', `batchSize must be a positive integer (got ${batchSize}).`, {
      details: { field: 'batchSize' },
    });
}
