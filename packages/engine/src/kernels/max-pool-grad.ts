import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, KernelResult } from './kernel-types';
import { asTensor } from './kernel-types';

/**
 * wasm's MaxPoolGrad starts its running max at FLT_MIN (the smallest positive float), so a window
 * whose values are all ≤ 0 routes its gradient to the wrong cell. Shifting the input so every value
 * is ≥ 1 keeps each window's argmax and makes the native kernel exact again, at native speed.
 */
export function makeShiftedMaxPoolGrad(native: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const { dy, input, output } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo; output: tf.TensorInfo };
    const [shiftedInput, shiftedOutput] = tf.tidy(() => {
      const x = asTensor(input);
      const shift = tf.sub(1, tf.min(x));
      return [tf.add(x, shift), tf.add(asTensor(output), shift)];
    });
    try {
      return native({ ...args, inputs: { dy, input: shiftedInput, output: shiftedOutput } });
    } finally {
      shiftedInput.dispose();
      shiftedOutput.dispose();
    }
  };
}
