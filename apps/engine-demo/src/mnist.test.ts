import { initEngine, tf } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { classify, runExperiment } from './experiments';
import { loadMnist } from './mnist-data';

// The seed article's example, reproduced on real digits with a fixed seeded split.
beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

describe('the MNIST split', () => {
  it('is seeded, stratified and disjoint', () => {
    const a = loadMnist({ seed: 2026 });
    const b = loadMnist({ seed: 2026 });
    expect(a.train.count).toBe(8000);
    expect(a.test.count).toBe(2000);
    expect(Array.from(a.test.labels.subarray(0, 50))).toEqual(Array.from(b.test.labels.subarray(0, 50)));
    const perClass = Array.from({ length: 10 }, (_, k) => a.test.labels.filter((l) => l === k).length);
    // 20 % of each class (the package ships 863–1,127 digits per class).
    perClass.forEach((n) => expect(n).toBeGreaterThanOrEqual(170));
    const key = (images: Float32Array, i: number): string => Array.from(images.subarray(i * 784, i * 784 + 784)).join(',');
    const trainKeys = new Set(Array.from({ length: a.train.count }, (_, i) => key(a.train.images, i)));
    const overlap = Array.from({ length: a.test.count }, (_, i) => key(a.test.images, i)).filter((k) => trainKeys.has(k)).length;
    expect(overlap).toBeLessThanOrEqual(5); // the package itself holds a few exact duplicates
  });
});

describe('the seed article’s MLP (784-100-10, adam, 10 epochs, batch 32, validation split 0.2)', () => {
  it('reaches at least the article’s 92.5 % test accuracy and leaks no tensor', async () => {
    const { train, test } = loadMnist({ seed: 2026 });
    const before = tf.memory().numTensors;
    const result = await runExperiment('mlp', train, test, { seed: 1, progress: false });
    expect(result.report.epochsRun).toBe(10);
    expect(result.testAccuracy).toBeGreaterThanOrEqual(0.925);
    const weights = result.model.getWeights().length;
    const beforePredict = tf.memory().numTensors;
    classify(result.model, test);
    expect(tf.memory().numTensors).toBe(beforePredict);
    result.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(weights).toBe(4);
  });
});

describe('the engine’s small CNN (L2, dropout, affine augmentation, early stopping)', () => {
  // The full 12-epoch recipe reaches 98.75 % (the demo and the bench run it); this fast version
  // trains 6 epochs on the same split and asserts a floor a little under its 98.55 %.
  it('reaches 98 % test accuracy in 6 epochs on wasm', async () => {
    const { train, test } = loadMnist({ seed: 2026 });
    const before = tf.memory().numTensors;
    const result = await runExperiment('cnn', train, test, { seed: 1, epochs: 6, progress: false });
    expect(result.testAccuracy).toBeGreaterThanOrEqual(0.98);
    const diagonal = result.confusion.reduce((a, row, i) => a + (row[i] ?? 0), 0);
    expect(diagonal / test.count).toBeCloseTo(result.testAccuracy, 10);
    result.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 600_000); // about 65 s on a quiet 2-core machine; 240 s on a loaded one
});
