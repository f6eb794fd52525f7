// The three benchmark models, built with the engine's shared tfjs and a seeded initialiser.
import { createRng, tf, withSeededRandom } from '../src/index';
import type { ModelId } from './plan';

function mlp(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [784], units: 100, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return model;
}

function cnn(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 64, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return model;
}

function lstm(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.lstm({ inputShape: [12, 8], units: 64 }));
  model.add(tf.layers.dense({ units: 1 }));
  return model;
}

const BUILDERS: Record<ModelId, () => tf.LayersModel> = { mlp, cnn, lstm };

export function buildModel(id: ModelId, seed: number): tf.LayersModel {
  return withSeededRandom(createRng(seed), BUILDERS[id]);
}
