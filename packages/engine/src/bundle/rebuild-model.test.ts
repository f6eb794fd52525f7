import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppliedMLError } from '../errors';
import { networkSkeleton } from './rebuild-model';

describe('networkSkeleton', () => {
  afterEach(() => vi.restoreAllMocks());

  it('builds a network from its topology with zero weights, running no initialiser (no console notice)', async () => {
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const original = tf.sequential({ layers: [tf.layers.gru({ inputShape: [4, 3], units: 26 }), tf.layers.dense({ units: 2 })] });
    spy.mockClear(); // building the original printed tfjs's orthogonal-initialiser notice
    const skeleton = await networkSkeleton(original.toJSON(undefined, false) as object);
    expect(spy).not.toHaveBeenCalled();
    expect(skeleton.getWeights().map((w) => w.shape)).toEqual(original.getWeights().map((w) => w.shape));
    for (const w of skeleton.getWeights()) expect(tf.abs(w).max().dataSync()[0]).toBe(0);
    skeleton.setWeights(original.getWeights());
    const x = tf.ones([1, 4, 3]);
    expect(Array.from((skeleton.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((original.predict(x) as tf.Tensor).dataSync()));
    skeleton.dispose();
    original.dispose();
  });

  it('refuses an initialiser tfjs does not know, before building anything', () => {
    const before = tf.memory().numTensors;
    const topology = {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          {
            class_name: 'Dense',
            config: { units: 2, batch_input_shape: [null, 3], kernel_initializer: { class_name: 'Nope', config: {} } },
          },
        ],
      },
    };
    // An unknown class, and a name every object answers to through its prototype.
    for (const name of ['Nope', 'toString']) {
      topology.config.layers[0]!.config.kernel_initializer.class_name = name;
      let error: unknown;
      try {
        void networkSkeleton(topology);
      } catch (caught) {
        error = caught;
      }
      expect(AppliedMLError.isInstance(error) && error.code, name).toBe('E_BUNDLE_CORRUPT');
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
