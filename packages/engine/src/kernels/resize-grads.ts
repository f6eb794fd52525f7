import * as tf from '#tfjs';
import type { CpuBackendLike, KernelArgs, KernelResult } from './kernel-types';

/**
 * Correct gradients of the resize ops for the JS backend. tfjs-backend-cpu 4.22 offsets dy by the
 * input's batch stride in ResizeNearestNeighborGrad (wrong for batch > 1) and returns ResizeBilinearGrad
 * as [b, W, H, c]. Both are written here as the exact adjoints of the JS forward kernels: each
 * output cell's gradient is added back to the input cells the forward pass read it from.
 */
interface ResizeAttrs {
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

function ratio(oldSize: number, newSize: number, alignCorners: boolean): number {
  const aligned = alignCorners && newSize > 1;
  return (aligned ? oldSize - 1 : oldSize) / (aligned ? newSize - 1 : newSize);
}

/** Source index the forward nearest-neighbour kernel reads for each output position on one axis. */
function nearestSources(oldSize: number, newSize: number, { alignCorners, halfPixelCenters }: ResizeAttrs): Int32Array {
  const r = ratio(oldSize, newSize, alignCorners);
  const out = new Int32Array(newSize);
  for (let i = 0; i < newSize; i++) {
    const frac = halfPixelCenters ? r * (i + 0.5) : r * i;
    let src = Math.min(oldSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    if (halfPixelCenters) src = Math.max(0, src);
    out[i] = src;
  }
  return out;
}

/** Lower and upper source index and the weight of the upper one, per output position on one axis. */
function bilinearSources(oldSize: number, newSize: number, { alignCorners, halfPixelCenters }: ResizeAttrs) {
  const r = ratio(oldSize, newSize, alignCorners);
  const lo = new Int32Array(newSize);
  const hi = new Int32Array(newSize);
  const w = new Float64Array(newSize);
  for (let i = 0; i < newSize; i++) {
    const frac = halfPixelCenters ? r * (i + 0.5) - 0.5 : r * i;
    const floor = Math.max(0, Math.floor(frac));
    lo[i] = floor;
    hi[i] = Math.min(oldSize - 1, Math.ceil(frac));
    w[i] = frac - floor;
  }
  return { lo, hi, w };
}

function add(target: Float32Array | Float64Array, index: number, value: number): void {
  target[index] = (target[index] as number) + value;
}

function readImagesAndDy(args: KernelArgs) {
  const { images, dy } = args.inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
  const backend = args.backend as unknown as CpuBackendLike;
  const [batch, oldH, oldW, channels] = images.shape as [number, number, number, number];
  const [, newH, newW] = dy.shape as [number, number, number, number];
  const dyValues = backend.data.get(dy.dataId).values as Float32Array;
  return { backend, batch, oldH, oldW, channels, newH, newW, dyValues, shape: images.shape };
}

export const resizeNearestNeighborGrad: tf.KernelFunc = (args: KernelArgs): KernelResult => {
  const { backend, batch, oldH, oldW, channels, newH, newW, dyValues, shape } = readImagesAndDy(args);
  const attrs = args.attrs as unknown as ResizeAttrs;
  const rows = nearestSources(oldH, newH, attrs);
  const cols = nearestSources(oldW, newW, attrs);
  const dx = new Float32Array(batch * oldH * oldW * channels);
  let k = 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < newH; y++) {
      const rowBase = (b * oldH + (rows[y] as number)) * oldW;
      for (let x = 0; x < newW; x++) {
        const base = (rowBase + (cols[x] as number)) * channels;
        for (let c = 0; c < channels; c++) add(dx, base + c, dyValues[k++] as number);
      }
    }
  }
  return backend.makeTensorInfo(shape, 'float32', dx);
};

export const resizeBilinearGrad: tf.KernelFunc = (args: KernelArgs): KernelResult => {
  const { backend, batch, oldH, oldW, channels, newH, newW, dyValues, shape } = readImagesAndDy(args);
  const attrs = args.attrs as unknown as ResizeAttrs;
  const rows = bilinearSources(oldH, newH, attrs);
  const cols = bilinearSources(oldW, newW, attrs);
  const dx = new Float64Array(batch * oldH * oldW * channels);
  let k = 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < newH; y++) {
      const ry = rows.w[y] as number;
      const top = (b * oldH + (rows.lo[y] as number)) * oldW;
      const bottom = (b * oldH + (rows.hi[y] as number)) * oldW;
      for (let x = 0; x < newW; x++) {
        const rx = cols.w[x] as number;
        const left = cols.lo[x] as number;
        const right = cols.hi[x] as number;
        for (let c = 0; c < channels; c++) {
          const g = dyValues[k++] as number;
          add(dx, (top + left) * channels + c, g * (1 - ry) * (1 - rx));
          add(dx, (top + right) * channels + c, g * (1 - ry) * rx);
          add(dx, (bottom + left) * channels + c, g * ry * (1 - rx));
          add(dx, (bottom + right) * channels + c, g * ry * rx);
        }
      }
    }
  }
  return backend.makeTensorInfo(shape, 'float32', Float32Array.from(dx));
};
