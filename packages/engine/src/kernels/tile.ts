import * as tf from '#tfjs';
import type { KernelArgs, KernelResult, WasmBackendLike } from './kernel-types';

/**
 * wasm's stock Tile computes a source index per output element (about 40 ns each here), and the
 * batch-norm gradient tiles its per-channel statistics to the full activation shape once per layer:
 * ~25 ms of a 120 ms step of the speech CNN (three batch-norm layers). This one copies whole rows
 * from a view of the wasm heap and then replicates blocks in place with copyWithin.
 */
export function makeBlockTile(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    if (x.dtype === 'string' || x.dtype === 'complex64') return fallback(args);
    const reps = (args.attrs as unknown as { reps: number[] }).reps;
    const shape = x.shape;
    const rank = shape.length;
    if (rank === 0 || reps.length !== rank) return fallback(args);
    const outShape = shape.map((s, i) => s * (reps[i] as number));
    const backend = args.backend as unknown as WasmBackendLike;
    // Allocate the output first: growing the heap detaches any view taken before.
    const out = backend.makeOutput(outShape, x.dtype);
    if (tf.util.sizeFromShape(outShape) === 0) return out;
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    // Trailing axes that are not repeated are contiguous in input and output alike: fold them into the
    // rows that are copied, so the recursion stops at the last repeated axis.
    let last = rank - 1;
    let inner = 1;
    while (last >= 0 && reps[last] === 1) inner *= shape[last--] as number;
    if (last < 0) {
      dst.set(src.subarray(0, inner));
      return out;
    }
    const inStrides = [...tf.util.computeStrides(shape), 1];
    const outStrides = [...tf.util.computeStrides(outShape), 1];
    const row = (shape[last] as number) * inner;
    const rowReps = reps[last] as number;
    // fill(axis, s, d): writes the output block whose axis-`axis` index runs over every repetition.
    const fill = (axis: number, s: number, d: number): void => {
      if (axis === last) {
        if (row === 1) dst.fill(src[s] as number, d, d + rowReps);
        else {
          dst.set(src.subarray(s, s + row), d);
          for (let k = 1; k < rowReps; k++) dst.copyWithin(d + k * row, d, d + row);
        }
        return;
      }
      const n = shape[axis] as number;
      const si = inStrides[axis] as number;
      const di = outStrides[axis] as number;
      for (let i = 0; i < n; i++) fill(axis + 1, s + i * si, d + i * di);
      const block = n * di;
      for (let k = 1; k < (reps[axis] as number); k++) dst.copyWithin(d + k * block, d, d + block);
    };
    fill(0, 0, 0);
    return out;
  };
}
