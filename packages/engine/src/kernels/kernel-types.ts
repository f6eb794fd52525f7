import * as tf from '#tfjs';

/** The slice of tfjs' backend interfaces the engine's kernels touch (not exported by tfjs). */
export interface WasmBackendLike {
  readSync(dataId: object): tf.TypedArray;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.TypedArray): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
}

export interface CpuBackendLike {
  write(values: tf.TypedArray, shape: number[], dtype: tf.DataType): object;
  readSync(dataId: object): tf.TypedArray;
  disposeData(dataId: object, force?: boolean): boolean;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.TypedArray): tf.TensorInfo;
  data: { get(dataId: object): { values: tf.TypedArray } };
}

export type KernelArgs = Parameters<tf.KernelFunc>[0];
export type KernelResult = ReturnType<tf.KernelFunc>;

/** Kernel inputs arrive as Tensors or bare TensorInfos; ops need Tensors. */
export function asTensor(info: tf.TensorInfo): tf.Tensor {
  if (info instanceof tf.Tensor) return info;
  return tf.engine().makeTensorFromTensorInfo(info);
}
