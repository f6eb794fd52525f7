import * as tf from '#tfjs';
import { AppliedMLError } from '../errors';
import type { CpuBackendLike, KernelArgs, KernelResult, WasmBackendLike } from './kernel-types';

/**
 * UnsortedSegmentSum as one pass over the rows: out[ids[i]] += x[i]. It is the gradient of every
 * embedding lookup (gather). wasm has no kernel, and the JS one does a masked reduction per segment,
 * O(rows × segments): ~3.5 s per step for a 4,096-row embedding table. Negative ids are skipped, as
 * in TensorFlow; ids ≥ numSegments are an error.
 */
function accumulate(
  x: ArrayLike<number>,
  ids: ArrayLike<number>,
  out: Float32Array | Int32Array,
  rows: number,
  rowSize: number,
  segments: number,
): void {
  for (let i = 0; i < rows; i++) {
    const seg = ids[i] as number;
    if (seg < 0) continue;
    if (seg >= segments) {
      throw new AppliedMLError('E_INPUT_INVALID', `UnsortedSegmentSum: segment id ${seg} is not below numSegments ${segments}.`, {
        details: { id: seg, numSegments: segments },
      });
    }
    const src = i * rowSize;
    const dst = seg * rowSize;
    for (let k = 0; k < rowSize; k++) out[dst + k] = (out[dst + k] as number) + (x[src + k] as number);
  }
}

function shapes(args: KernelArgs) {
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = args.attrs as unknown as { numSegments: number };
  const rows = tf.util.sizeFromShape(segmentIds.shape);
  const rest = x.shape.slice(segmentIds.shape.length);
  const rowSize = tf.util.sizeFromShape(rest);
  return { x, segmentIds, numSegments, rows, rowSize, outShape: [numSegments, ...rest] };
}

export function makeWasmSegmentSum(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const { x, segmentIds, numSegments, rows, rowSize, outShape } = shapes(args);
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return fallback(args);
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput(outShape, x.dtype);
    // Views after the allocation (heap growth detaches earlier ones); makeOutput memory is not zeroed.
    const dst = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
    dst.fill(0);
    accumulate(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(segmentIds), dst, rows, rowSize, numSegments);
    return out;
  };
}

export function makeJsSegmentSum(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const { x, segmentIds, numSegments, rows, rowSize, outShape } = shapes(args);
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return fallback(args);
    const backend = args.backend as unknown as CpuBackendLike;
    const dst = x.dtype === 'int32' ? new Int32Array(numSegments * rowSize) : new Float32Array(numSegments * rowSize);
    accumulate(backend.data.get(x.dataId).values, backend.data.get(segmentIds.dataId).values, dst, rows, rowSize, numSegments);
    return backend.makeTensorInfo(outShape, x.dtype, dst);
  };
}
