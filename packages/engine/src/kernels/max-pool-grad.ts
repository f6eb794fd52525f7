import * as tf from '#tfjs';
import type { KernelArgs, KernelResult } from './kernel-types';
import { asTensor } from './kernel-types';

interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * MaxPoolGrad for the common non-overlapping case (stride = pool size, no padding) as whole-tensor
 * ops: every window becomes a row, argMax picks its first maximum (TensorFlow's tie rule), and a
 * one-hot of it carries dy back. Exact, and several times faster than wasm's scalar kernel.
 * Returns undefined for the cases it does not cover.
 */
function windowedMaxPoolGrad(args: KernelArgs): tf.Tensor | undefined {
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const attrs = args.attrs as unknown as PoolAttrs;
  const [b, h, w, c] = input.shape as [number, number, number, number];
  const info = tf.backend_util.computePool2DInfo([b, h, w, c], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const ph = info.filterHeight;
  const pw = info.filterWidth;
  const { top, left } = info.padInfo;
  if (info.strideHeight !== ph || info.strideWidth !== pw || top !== 0 || left !== 0) return undefined;
  const oh = info.outHeight;
  const ow = info.outWidth;
  if (oh * ph > h || ow * pw > w) return undefined;
  return tf.tidy(() => {
    let x = asTensor(input) as tf.Tensor4D;
    if (oh * ph !== h || ow * pw !== w) x = tf.slice(x, [0, 0, 0, 0], [b, oh * ph, ow * pw, c]);
    const windows = tf.reshape(tf.transpose(tf.reshape(x, [b * oh, ph, ow, pw, c]), [0, 2, 4, 1, 3]), [-1, ph * pw]);
    const first = tf.cast(tf.oneHot(tf.argMax(windows, -1), ph * pw), 'float32'); // wasm's OneHot ignores a float32 dtype
    const routed = tf.mul(first, tf.reshape(asTensor(dy), [-1, 1]));
    const back = tf.reshape(tf.transpose(tf.reshape(routed, [b * oh, ow, c, ph, pw]), [0, 3, 1, 4, 2]), [b, oh * ph, ow * pw, c]);
    if (oh * ph === h && ow * pw === w) return back;
    return tf.pad(back, [
      [0, 0],
      [0, h - oh * ph],
      [0, w - ow * pw],
      [0, 0],
    ]);
  });
}

/**
 * wasm's MaxPoolGrad starts its running max at FLT_MIN (the smallest positive float), so a window
 * whose values are all ≤ 0 routes its gradient to the wrong cell. Shifting the input so every value
 * is ≥ 1 keeps each window's argmax and makes the native kernel exact again, at native speed.
 */
export function makeShiftedMaxPoolGrad(native: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const windowed = windowedMaxPoolGrad(args);
    if (windowed) return windowed;
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
