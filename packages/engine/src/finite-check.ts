import * as tf from '#tfjs';
import { AppliedMLError } from './errors';

/** Where a tensor's first NaN or ±Infinity is: its row (first axis), column (flat index within the row) and value. */
export interface NonFiniteCell {
  row: number;
  column: number;
  value: number;
}

/**
 * The first NaN or ±Infinity in a float tensor, or undefined. The common (clean) case is one reduction on
 * the device (about 3 ns a value on wasm); only a tensor that holds one is read back to find the cell.
 * Integer and bool tensors cannot hold either.
 */
export function firstNonFinite(t: tf.Tensor): NonFiniteCell | undefined {
  if (t.dtype !== 'float32' || t.size === 0) return undefined;
  const clean = tf.tidy(() => tf.all(tf.isFinite(t)).dataSync()[0] === 1);
  if (clean) return undefined;
  const values = t.dataSync();
  const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) return { row: Math.floor(i / width), column: i % width, value: v };
  }
  return undefined;
}

/**
 * E_INPUT_INVALID naming the first non-finite cell of any of `inputs` (`what`, or `what[i]` for several):
 * its row and column in the message and in details (input, row, column, value). `todo` ends the message.
 */
export function refuseNonFinite(inputs: tf.Tensor[], what: string, todo: string): void {
  inputs.forEach((t, input) => {
    const cell = firstNonFinite(t);
    if (!cell) return;
    const name = inputs.length > 1 ? `${what}[${input}]` : what;
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${name} contains NaN or Infinity (row ${cell.row}, column ${cell.column} is ${cell.value}); ${todo}.`,
      { details: { input, row: cell.row, column: cell.column, value: String(cell.value) } },
    );
  });
}
