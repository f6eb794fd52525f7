import { initEngine, tf } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { CNN_DEFAULTS, buildKimCnn } from './neural-models';

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

/** Ids of `texts` (lists of token ids) padded with 0 to `width`. */
function padded(texts: number[][], width: number): tf.Tensor2D {
  const ids = new Int32Array(texts.length * width);
  texts.forEach((t, i) => ids.set(t.slice(0, width), i * width));
  return tf.tensor2d(ids, [texts.length, width], 'int32');
}

describe('length-masked Kim CNN', () => {
  const config = { ...CNN_DEFAULTS, embeddingDim: 8, filters: 6, kernelSizes: [2, 3, 5] };
  const texts = [[4, 9, 2], [7, 7, 7, 7, 7, 7, 7, 7], [3], [], [5, 6, 8, 9, 10, 11]];

  it('scores a text the same whatever padding follows it and whatever shares its batch', () => {
    const model = buildKimCnn(config, 12, 3, false, 7);
    const before = tf.memory().numTensors;
    const at = (width: number): Float32Array =>
      tf.tidy(() => (model.predict(padded(texts, width)) as tf.Tensor).dataSync() as Float32Array);
    const narrow = at(8);
    for (const width of [9, 16, 40]) {
      const wide = at(width);
      wide.forEach((v, i) => expect(Math.abs(v - (narrow[i] as number))).toBeLessThan(1e-6));
    }
    // Alone, each text padded only to the widest kernel (or its own length).
    texts.forEach((t, r) => {
      const alone = tf.tidy(() => (model.predict(padded([t], Math.max(5, t.length))) as tf.Tensor).dataSync());
      alone.forEach((v, k) => expect(Math.abs(v - (narrow[r * 3 + k] as number))).toBeLessThan(1e-6));
    });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('still learns: gradients reach the embedding and every convolution', () => {
    const model = buildKimCnn(config, 12, 3, false, 7);
    const before = tf.memory().numTensors;
    const x = padded(texts, 10);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1], 'int32'), 3));
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: false }) as tf.Tensor) as tf.Scalar,
      model.trainableWeights.map((w) => w.read() as tf.Variable),
    );
    for (const [name, g] of Object.entries(grads)) {
      const norm = tf.tidy(() => tf.norm(g).dataSync()[0] as number);
      expect(norm, name).toBeGreaterThan(0);
    }
    tf.dispose([x, y, value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
