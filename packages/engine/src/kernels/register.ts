import * as tf from '#tfjs';
import { makeConv2DBackpropFilter } from './conv2d-backprop-filter';
import { makeConv2DBackpropInput } from './conv2d-backprop-input';
import { makeTransposeFirstMatMul } from './batch-mat-mul';
import { makeRowGather } from './gather';
import { makeCpuDelegate } from './delegate-to-cpu';
import { makeShiftedMaxPoolGrad } from './max-pool-grad';
import { resizeBilinearGrad, resizeNearestNeighborGrad } from './resize-grads';
import { makeHeapViewSlice } from './slice';
import { splitV, unpack } from './split-unpack';
import { makeBlockTile } from './tile';
import { makeJsSegmentSum, makeWasmSegmentSum } from './unsorted-segment-sum';

/** Kernels the wasm backend lacks and that the JS backend runs correctly, delegated to it. */
export const WASM_DELEGATED_KERNELS = ['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'Einsum'] as const;

const done = new Set<string>();

function replace(kernelName: string, backendName: string, make: (previous: tf.KernelFunc) => tf.KernelFunc): void {
  const previous = tf.getKernel(kernelName, backendName);
  const fallback: tf.KernelFunc = previous?.kernelFunc ?? makeCpuDelegate(kernelName);
  if (previous) tf.unregisterKernel(kernelName, backendName);
  // Keep the stock kernel's setup/dispose hooks: wasm kernels bind to the module there, and a re-created
  // backend (after disableWasmThreads, say) must bind them again.
  tf.registerKernel({
    kernelName,
    backendName,
    kernelFunc: make(fallback),
    ...(previous?.setupFunc ? { setupFunc: previous.setupFunc } : {}),
    ...(previous?.disposeFunc ? { disposeFunc: previous.disposeFunc } : {}),
  });
}

function fixWasm(): string[] {
  const fixed: string[] = [];
  replace('Conv2DBackpropFilter', 'wasm', (fallback) => makeConv2DBackpropFilter(fallback));
  fixed.push('Conv2DBackpropFilter');
  replace('Conv2DBackpropInput', 'wasm', (native) => makeConv2DBackpropInput(native));
  fixed.push('Conv2DBackpropInput');
  replace('MaxPoolGrad', 'wasm', (native) => makeShiftedMaxPoolGrad(native));
  fixed.push('MaxPoolGrad');
  replace('Slice', 'wasm', (stock) => makeHeapViewSlice(stock));
  fixed.push('Slice');
  replace('Tile', 'wasm', (stock) => makeBlockTile(stock));
  fixed.push('Tile');
  replace('SplitV', 'wasm', () => splitV);
  replace('Unpack', 'wasm', () => unpack);
  fixed.push('SplitV', 'Unpack');
  replace('GatherV2', 'wasm', (stock) => makeRowGather(stock));
  fixed.push('GatherV2');
  replace('BatchMatMul', 'wasm', (native) => makeTransposeFirstMatMul(native));
  fixed.push('BatchMatMul (transposed operands)');
  replace('UnsortedSegmentSum', 'wasm', (fallback) => makeWasmSegmentSum(fallback));
  fixed.push('UnsortedSegmentSum');
  // wasm's OneHot writes int32 bits whatever dtype is asked: build int32, then cast.
  replace('OneHot', 'wasm', (native) => (args) => {
    const attrs = args.attrs as { dtype?: tf.DataType };
    if (attrs.dtype === undefined || attrs.dtype === 'int32') return native(args);
    const ints = native({ ...args, attrs: { ...args.attrs, dtype: 'int32' } }) as tf.TensorInfo;
    const t = tf.engine().makeTensorFromTensorInfo(ints);
    try {
      return tf.cast(t, attrs.dtype);
    } finally {
      t.dispose();
    }
  });
  fixed.push('OneHot (float dtype)');
  // wasm's resize gradients ignore halfPixelCenters: route those calls to the (fixed) JS kernels.
  for (const name of ['ResizeNearestNeighborGrad', 'ResizeBilinearGrad']) {
    replace(name, 'wasm', (native) => {
      const delegate = makeCpuDelegate(name);
      return (args) => ((args.attrs as { halfPixelCenters?: boolean }).halfPixelCenters ? delegate(args) : native(args));
    });
    fixed.push(`${name} (halfPixelCenters)`);
  }
  for (const name of WASM_DELEGATED_KERNELS) {
    if (tf.getKernel(name, 'wasm')) continue;
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: makeCpuDelegate(name) });
    fixed.push(name);
  }
  return fixed;
}

function fixJs(): string[] {
  replace('ResizeNearestNeighborGrad', 'cpu', () => resizeNearestNeighborGrad);
  replace('ResizeBilinearGrad', 'cpu', () => resizeBilinearGrad);
  replace('UnsortedSegmentSum', 'cpu', (stock) => makeJsSegmentSum(stock));
  return ['ResizeNearestNeighborGrad', 'ResizeBilinearGrad', 'UnsortedSegmentSum'];
}

const fixesByBackend: Record<string, () => string[]> = { wasm: fixWasm, cpu: fixJs };
const applied: Record<string, string[]> = {};

/**
 * Register the engine's kernel fills and fixes for a backend, once per process. wasm needs the JS
 * backend's fixes too, because its delegated kernels run there.
 */
export function registerBackendFixes(backendName: string): string[] {
  const names = backendName === 'wasm' ? ['cpu', 'wasm'] : [backendName];
  for (const name of names) {
    const fix = fixesByBackend[name];
    if (!fix || done.has(name)) continue;
    done.add(name);
    applied[name] = fix();
  }
  return applied[backendName] ?? [];
}
