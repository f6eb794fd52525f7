import { readFileSync } from 'node:fs';
import * as cpu from '@tensorflow/tfjs-backend-cpu';
import * as core from '@tensorflow/tfjs-core';
import * as layersPackage from '@tensorflow/tfjs-layers';
import { describe, expect, it, vi } from 'vitest';
import { tf as publicTf } from './index';
import * as tf from '#tfjs';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
};

describe("the engine's tfjs", () => {
  it('depends on tfjs-core, tfjs-layers and the cpu and wasm backends, not on the @tensorflow/tfjs umbrella', () => {
    const tensorflow = Object.keys(manifest.dependencies).filter((name) => name.startsWith('@tensorflow/'));
    expect(tensorflow.sort()).toEqual([
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-layers',
    ]);
  });

  it('is the public `tf` export', () => {
    expect(publicTf).toBe(tf);
  });

  it.each([
    ['@tensorflow/tfjs-core', core],
    ['@tensorflow/tfjs-layers', layersPackage],
    ['@tensorflow/tfjs-backend-cpu', cpu],
  ])('carries every export of %s, the same values', (_name, pkg) => {
    const ours = tf as unknown as Record<string, unknown>;
    const missing = Object.keys(pkg).filter((key) => key !== 'default' && !(key in ours));
    expect(missing).toEqual([]);
    // tfjs-layers' `Shape` is a type; every runtime name is the package's own value (one tfjs-core, not a copy).
    const different = Object.keys(pkg).filter((key) => key !== 'default' && ours[key] !== (pkg as Record<string, unknown>)[key]);
    expect(different).toEqual([]);
  });

  it('has the names the SDKs use, and the versions of what it runs on', () => {
    for (const name of ['layers', 'sequential', 'model', 'loadLayersModel', 'io', 'regularizers', 'initializers', 'constraints']) {
      expect(tf, name).toHaveProperty(name);
    }
    for (const name of ['train', 'losses', 'memory', 'tidy', 'grad', 'variableGrads', 'version_core', 'version_layers']) {
      expect(tf, name).toHaveProperty(name);
    }
    expect(tf.version).toEqual({
      'tfjs-core': core.version_core,
      'tfjs-backend-cpu': cpu.version_cpu,
      'tfjs-layers': layersPackage.version_layers,
    });
  });

  it('registers the gradients and the chained tensor methods, and the cpu backend', async () => {
    expect(tf.findBackendFactory('cpu')).not.toBeNull();
    vi.spyOn(console, 'warn').mockImplementation(() => undefined); // the cpu backend's "install tfjs-node" notice
    await tf.setBackend('cpu');
    tf.tidy(() => {
      const x = tf.tensor2d([
        [1, 2],
        [3, 4],
      ]);
      // Chained methods (x.matMul, .square, .sum) and the gradients of MatMul, Square, Sum, Sigmoid, Log1p.
      const g = tf.grad((v: tf.Tensor) => v.matMul(x).square().sum().sigmoid().log1p())(x);
      expect(g.shape).toEqual([2, 2]);
      expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    });
    for (const kernel of [tf.BatchMatMul, tf.Conv2D, tf.MaxPool, tf.Relu, tf.Softmax, tf.GatherV2, tf.Tile, tf.UnsortedSegmentSum]) {
      expect(tf.getGradient(kernel), kernel).toBeDefined();
    }
  });
});
