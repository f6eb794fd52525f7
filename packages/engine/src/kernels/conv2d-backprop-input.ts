import * as tf from '#tfjs';
import type { KernelArgs, KernelResult } from './kernel-types';
import { asTensor } from './kernel-types';

interface Attrs {
  inputShape: [number, number, number, number];
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Insert stride−1 zeros between the rows and columns of dy (a no-op for stride 1). */
function dilate(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  const [b, oh, ow, co] = dy.shape;
  let out: tf.Tensor4D = dy;
  if (sh > 1) {
    const rows = tf.pad(tf.reshape(out, [b, oh, 1, ow, co]), [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
      [0, 0],
    ]);
    out = tf.slice(tf.reshape(rows, [b, oh * sh, ow, co]), [0, 0, 0, 0], [b, (oh - 1) * sh + 1, ow, co]) as tf.Tensor4D;
  }
  if (sw > 1) {
    const h = out.shape[1];
    const cols = tf.pad(tf.reshape(out, [b, h, ow, 1, co]), [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
    out = tf.slice(tf.reshape(cols, [b, h, ow * sw, co]), [0, 0, 0, 0], [b, h, (ow - 1) * sw + 1, co]) as tf.Tensor4D;
  }
  return out;
}

/**
 * The input gradient of conv2d as one forward conv2d: dy, dilated by the stride, correlated with the
 * filter flipped in space and with its channel axes swapped, under "full" padding. wasm's own
 * Conv2DBackpropInput is a scalar loop several times slower than its forward conv. Falls back to
 * `fallback` for NCHW and for paddings larger than the filter.
 */
export function makeConv2DBackpropInput(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const attrs = args.attrs as unknown as Attrs;
    if (attrs.dataFormat === 'NCHW') return fallback(args);
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const [kh, kw] = filter.shape as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    const [, h, w] = attrs.inputShape;
    const { top, left } = info.padInfo;
    const sh = info.strideHeight;
    const sw = info.strideWidth;
    const padTop = kh - 1 - top;
    const padLeft = kw - 1 - left;
    const padBottom = h - ((info.outHeight - 1) * sh + 1) - padTop + kh - 1;
    const padRight = w - ((info.outWidth - 1) * sw + 1) - padLeft + kw - 1;
    if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) return fallback(args);
    return tf.tidy(() => {
      const flipped = tf.transpose(tf.reverse(asTensor(filter) as tf.Tensor4D, [0, 1]), [0, 1, 3, 2]);
      return tf.conv2d(
        dilate(asTensor(dy) as tf.Tensor4D, sh, sw),
        flipped as tf.Tensor4D,
        1,
        [
          [0, 0],
          [padTop, padBottom],
          [padLeft, padRight],
          [0, 0],
        ],
        'NHWC',
      );
    });
  };
}
