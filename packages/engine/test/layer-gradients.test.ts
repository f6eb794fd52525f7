import * as tf from '#tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../src/device/engine';
import { LOSSES, LOSS_NAMES } from '../src/train/losses';
import { createRng, withSeededRandom } from '../src/random';
import { LAYER_CASES } from './layer-cases';
import { caseInput, gradientsOn, relativeError, seededTensor } from './grad-helpers';

// Gradient parity: every layer the SDKs train gives the same gradients on wasm (with the engine's
// kernels) as on the JS backend (with the engine's resize fixes), within 1e-4 relative.
beforeAll(async () => {
  const info = await initEngine({ device: 'wasm' });
  expect(info.backend).toBe('wasm');
});

describe('gradients on wasm equal the reference', () => {
  for (const [i, c] of LAYER_CASES.entries()) {
    it(c.name, async () => {
      await tf.setBackend('wasm');
      const model = withSeededRandom(createRng(100 + i), () => c.build());
      const x = caseInput(c, 200 + i);
      const y = seededTensor([c.inputShape[0] as number, 3], 300 + i);
      const before = tf.memory().numTensors;
      const onWasm = await gradientsOn('wasm', model, x, y, LOSSES.meanSquaredError);
      const onJs = await gradientsOn('cpu', model, x, y, LOSSES.meanSquaredError);
      await tf.setBackend('wasm');
      expect(tf.memory().numTensors).toBe(before);
      expect(onWasm.length).toBe(model.trainableWeights.length);
      onWasm.forEach((g, k) => {
        const err = relativeError(g, onJs[k] as Float32Array);
        expect(err, `${c.name}: weight ${model.trainableWeights[k]?.name}`).toBeLessThan(1e-4);
        expect(
          g.some((v) => v !== 0),
          `${c.name}: gradient of ${model.trainableWeights[k]?.name} is all zero`,
        ).toBe(true);
      });
      tf.dispose([x, y]);
      model.dispose();
    });
  }
});

describe('losses have the same gradients on wasm and JS', () => {
  for (const name of LOSS_NAMES) {
    it(name, async () => {
      await tf.setBackend('wasm');
      const sparse = name === 'sparseCategoricalCrossentropy';
      const probabilistic = name.includes('Crossentropy');
      const model = withSeededRandom(createRng(9), () =>
        tf.sequential({
          layers: [
            tf.layers.dense({ inputShape: [5], units: 6, activation: 'tanh' }),
            tf.layers.dense({ units: 3, activation: name === 'binaryCrossentropy' ? 'sigmoid' : probabilistic ? 'softmax' : 'linear' }),
          ],
        }),
      );
      const x = seededTensor([8, 5], 11);
      const rng = createRng(12);
      const y = sparse
        ? tf.tensor1d(
            Array.from({ length: 8 }, () => Math.floor(rng.next() * 3)),
            'float32',
          )
        : name === 'categoricalCrossentropy'
          ? tf
              .oneHot(
                tf.tensor1d(
                  Array.from({ length: 8 }, () => Math.floor(rng.next() * 3)),
                  'int32',
                ),
                3,
              )
              .toFloat()
          : name === 'binaryCrossentropy'
            ? tf.tensor2d(
                Array.from({ length: 24 }, () => (rng.next() > 0.5 ? 1 : 0)),
                [8, 3],
              )
            : tf.mul(seededTensor([8, 3], 13), 3);
      const a = await gradientsOn('wasm', model, x, y, LOSSES[name]);
      const b = await gradientsOn('cpu', model, x, y, LOSSES[name]);
      await tf.setBackend('wasm');
      a.forEach((g, k) => expect(relativeError(g, b[k] as Float32Array)).toBeLessThan(1e-4));
      tf.dispose([x, y]);
      model.dispose();
    });
  }
});
