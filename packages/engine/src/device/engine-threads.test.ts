import * as tf from '@tensorflow/tfjs';
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
