import * as tf from '#tfjs';
import type { KernelArgs, KernelResult, WasmBackendLike } from './kernel-types';

/**
 * wasm's stock Slice copies the whole source tensor out of the heap on every call, which makes
 * batched predict over N rows O(N²). This one reads the source through a view of the wasm heap.
 */
export function makeHeapViewSlice(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    if (x.dtype === 'string' || x.dtype === 'complex64') return fallback(args);
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    const backend = args.backend as unknown as WasmBackendLike;
    const [start, extent] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [number[], number[]];
    // Allocate the output first: growing the heap detaches any view taken before.
    const out = backend.makeOutput(extent, x.dtype);
    const count = tf.util.sizeFromShape(extent);
    if (count === 0) return out;
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    const strides = tf.util.computeStrides(x.shape);
    if (tf.slice_util.isSliceContinous(x.shape, start, extent)) {
      const offset = tf.slice_util.computeFlatOffset(start, strides);
      dst.set(src.subarray(offset, offset + count));
      return out;
    }
    // Copy row by row along the last axis, walking the other axes like an odometer.
    const rank = extent.length;
    const rowLength = extent[rank - 1] ?? 1;
    const rows = count / rowLength;
    const index = new Array<number>(rank - 1).fill(0);
    for (let row = 0, written = 0; row < rows; row++, written += rowLength) {
      let offset = start[rank - 1] ?? 0;
      for (let d = 0; d < rank - 1; d++) offset += ((start[d] ?? 0) + (index[d] ?? 0)) * (strides[d] ?? 0);
      dst.set(src.subarray(offset, offset + rowLength), written);
      for (let d = rank - 2; d >= 0; d--) {
        const next = (index[d] ?? 0) + 1;
        if (next < (extent[d] ?? 0)) {
          index[d] = next;
          break;
        }
        index[d] = 0;
      }
    }
    return out;
  };
}
