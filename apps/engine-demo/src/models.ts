import { tf } from '@appliedml/engine';

/** The seed article's Keras MLP: 784-100-10, ReLU, softmax. */
export function buildMlp(): tf.LayersModel {
  return tf.sequential({
    layers: [tf.layers.dense({ inputShape: [784], units: 100, activation: 'relu' }), tf.layers.dense({ units: 10, activation: 'softmax' })],
  });
}

/**
 * The engine's small CNN: conv(32)-pool-conv(64)-pool-dense(128)-dense(10), with the article's
 * remedies for overfitting: L2 on the dense layer and dropout here; per-image random rotation, zoom
 * and shift, and early stopping in training.
 */
export function buildCnn(): tf.LayersModel {
  const l2 = tf.regularizers.l2({ l2: 1e-4 });
  return tf.sequential({
    layers: [
      tf.layers.reshape({ inputShape: [784], targetShape: [28, 28, 1] }),
      tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dropout({ rate: 0.3 }),
      tf.layers.dense({ units: 128, activation: 'relu', kernelRegularizer: l2 }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

export interface AffineJitter {
  /** Largest shift in pixels, each direction. */
  shift: number;
  /** Largest rotation in degrees, each direction. */
  rotation: number;
  /** Largest relative zoom, e.g. 0.1 for 0.9–1.1. */
  zoom: number;
}

/**
 * Per-image random rotation, zoom and shift about the image centre (bilinear, zero fill) through one
 * projective-transform op: the classic augmentation for small handwriting sets.
 */
export function randomAffine(jitter: AffineJitter): (x: tf.Tensor) => tf.Tensor {
  return (x) =>
    tf.tidy(() => {
      const n = x.shape[0] as number;
      const params = new Float32Array(n * 8);
      const c = 13.5;
      for (let i = 0; i < n; i++) {
        const angle = ((Math.random() * 2 - 1) * jitter.rotation * Math.PI) / 180;
        const scale = 1 + (Math.random() * 2 - 1) * jitter.zoom;
        const dx = (Math.random() * 2 - 1) * jitter.shift;
        const dy = (Math.random() * 2 - 1) * jitter.shift;
        // Output pixel (u, v) reads input (a0 u + a1 v + a2, b0 u + b1 v + b2): the inverse map.
        const cos = Math.cos(angle) / scale;
        const sin = Math.sin(angle) / scale;
        params.set([cos, sin, c - cos * c - sin * c + dx, -sin, cos, c + sin * c - cos * c + dy, 0, 0], i * 8);
      }
      const images = tf.reshape(x, [n, 28, 28, 1]) as tf.Tensor4D;
      const moved = tf.image.transform(images, tf.tensor2d(params, [n, 8]), 'bilinear', 'constant', 0, [28, 28]);
      return tf.reshape(moved, [n, 784]);
    });
}
