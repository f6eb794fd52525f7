import * as tf from '#tfjs';
import { AppliedMLError } from '../errors';
import type { CpuBackendLike, KernelArgs, KernelResult, WasmBackendLike } from './kernel-types';

/**
 * Run a kernel the wasm backend lacks on the JS backend: copy the inputs over, run the JS kernel,
 * copy the outputs back. Bit-identical to the JS backend; used where the JS kernel is correct and
 * fast enough for the sizes the SDKs use (depthwise-conv gradients, UnsortedSegmentSum).
 */
export function makeCpuDelegate(kernelName: string): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const cpuKernel = tf.getKernel(kernelName, 'cpu');
    const cpu = tf.engine().findBackend('cpu') as unknown as CpuBackendLike | null;
    if (!cpuKernel || !cpu) throw new AppliedMLError('E_INTERNAL', `No JS kernel ${kernelName} to delegate to`);
    const wasm = args.backend as unknown as WasmBackendLike;
    const written: object[] = [];
    const cpuInputs: Record<string, tf.TensorInfo> = {};
    for (const [name, info] of Object.entries(args.inputs as Record<string, tf.TensorInfo>)) {
      const dataId = cpu.write(wasm.readSync(info.dataId), info.shape, info.dtype);
      written.push(dataId);
      cpuInputs[name] = { dataId, shape: info.shape, dtype: info.dtype };
    }
    try {
      const result = cpuKernel.kernelFunc({ inputs: cpuInputs, attrs: args.attrs, backend: cpu as unknown as tf.KernelBackend });
      const outputs = Array.isArray(result) ? result : [result];
      const copied = outputs.map((o) => {
        const values = cpu.readSync(o.dataId);
        cpu.disposeData(o.dataId);
        return wasm.makeOutput(o.shape, o.dtype, undefined, values);
      });
      return Array.isArray(result) ? copied : (copied[0] as tf.TensorInfo);
    } finally {
      for (const dataId of written) cpu.disposeData(dataId);
    }
  };
}
