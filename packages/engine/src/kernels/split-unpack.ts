import * as tf from '#tfjs';
import type { KernelArgs, KernelResult } from './kernel-types';

/**
 * wasm's SplitV and Unpack call the stock Slice function directly (not through the kernel registry),
 * so each piece copied the whole source out of the heap: unstacking a [b, T, f] sequence cost T full
 * copies. These cut the same pieces with the registered (heap-view) Slice kernel.
 */
function sliceWith(args: KernelArgs, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const slice = tf.getKernel('Slice', 'wasm');
  return slice!.kernelFunc({ inputs: { x }, attrs: { begin, size }, backend: args.backend }) as tf.TensorInfo;
}

export const splitV: tf.KernelFunc = (args: KernelArgs): KernelResult => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  const dim = tf.util.parseAxisParam(axis, x.shape)[0] as number;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, dim);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[dim] = s;
    const piece = sliceWith(args, x, [...begin], size);
    begin[dim] = (begin[dim] as number) + s;
    return piece;
  });
};

export const unpack: tf.KernelFunc = (args: KernelArgs): KernelResult => {
  const { value } = args.inputs as { value: tf.TensorInfo };
  const rank = value.shape.length;
  let { axis } = args.attrs as unknown as { axis: number };
  if (axis < 0) axis += rank;
  const outShape = value.shape.filter((_, i) => i !== axis);
  const size = [...value.shape];
  size[axis] = 1;
  const count = value.shape[axis] as number;
  return Array.from({ length: count }, (_, i) => {
    const begin = new Array<number>(rank).fill(0);
    begin[axis] = i;
    const piece = sliceWith(args, value, begin, size);
    return { dataId: piece.dataId, dtype: piece.dtype, shape: outShape };
  });
};
