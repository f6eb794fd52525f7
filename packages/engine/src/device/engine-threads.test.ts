import * as tf from '#tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initEngine } from './engine';
import { disableWasmThreads } from './wasm-threads';

// Its own file, so its own process: threads must be chosen before wasm first starts.
afterAll(async () => {
  await disableWasmThreads();
});

describe('initEngine({ wasmThreads })', () => {
  it('starts wasm with two threads, reports them, and trains correctly on them', async () => {
    const info = await initEngine({ device: 'wasm', wasmThreads: 2 });
    expect(info.backend).toBe('wasm');
    expect(info.details.threads).toBe(2);
    expect(String(info.details.kernelFixes)).toMatch(/Conv2DBackpropFilter/);
    const grad = tf.tidy(() =>
      Array.from(
        tf
          .grad((x: tf.Tensor) => tf.sum(tf.conv2d(x as tf.Tensor4D, tf.ones([3, 3, 1, 2]), 1, 'valid')))(tf.ones([1, 5, 5, 1]))
          .dataSync(),
      ),
    );
    // Each input pixel's gradient counts the 3×3 windows covering it, times 2 filters.
    expect(grad.slice(0, 5)).toEqual([2, 4, 6, 4, 2]);
  });
});

describe('after disableWasmThreads', () => {
  it('wasm starts again single-threaded with the engine kernels bound to the new module', async () => {
    await disableWasmThreads();
    const info = await initEngine({ device: 'wasm' });
    expect(info.details.threads).toBe(1);
    const product = tf.tidy(() => Array.from(tf.matMul(tf.ones([2, 3]), tf.ones([2, 3]), false, true).dataSync()));
    expect(product).toEqual([3, 3, 3, 3]);
    const gathered = tf.tidy(() =>
      Array.from(
        tf
          .gather(
            tf.tensor2d([
              [1, 2],
              [3, 4],
            ]),
            tf.tensor1d([1], 'int32'),
          )
          .dataSync(),
      ),
    );
    expect(gathered).toEqual([3, 4]);
  });
});
