import * as tf from '#tfjs';
import type { KernelArgs, KernelResult } from './kernel-types';
import { asTensor } from './kernel-types';

interface Attrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/**
 * The filter gradient of conv2d as one forward conv2d, the fast path the wasm backend lacks.
 * With x as [ci, H, W, b] (channels in the batch slot) and dy as a [oh, ow, b, co] "filter",
 * a stride-1 conv dilated by the forward stride sums x·dy over batch and output positions for every
 * filter tap; cropping to kh×kw gives dW. Delegates NCHW to `fallback`.
 */
export function makeConv2DBackpropFilter(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const attrs = args.attrs as unknown as Attrs;
    if (attrs.dataFormat === 'NCHW') return fallback(args);
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const [kh, kw, ci, co] = attrs.filterShape;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    const { top, bottom, left, right } = info.padInfo;
    return tf.tidy(() => {
      const xT = tf.transpose(asTensor(x) as tf.Tensor4D, [3, 1, 2, 0]);
      const dyT = tf.transpose(asTensor(dy) as tf.Tensor4D, [1, 2, 0, 3]);
      const full = tf.conv2d(
        xT,
        dyT,
        1,
        [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        'NHWC',
        [info.strideHeight, info.strideWidth],
      );
      const cropped = full.shape[1] === kh && full.shape[2] === kw ? full : tf.slice(full, [0, 0, 0, 0], [ci, kh, kw, co]);
      return tf.transpose(cropped, [1, 2, 0, 3]);
    });
  };
}
