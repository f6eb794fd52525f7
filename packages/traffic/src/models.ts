import { createRng, tf, withSeededRandom } from '@appliedml/engine';
import { featureCount } from './features';
import { registerTrafficLayers, TgcnLayer } from './tgcn-layer';

export type NeuralKind = 'gru' | 'lstm' | 'tgcn';

export interface ModelShape {
  kind: NeuralKind;
  inputSteps: number;
  outputSteps: number;
  sensors: number;
  hiddenUnits: number;
  /** Whether the inputs carry the weekly phase (default false; see featureCount). */
  dayOfWeek?: boolean;
  /** Per-sensor embedding size of the graph model (default 8). */
  embedding?: number;
  seed: number;
}

/**
 * Every model maps [batch, inputSteps, sensors, features] to the change from the last reading at
 * every step ahead, [batch, outputSteps, sensors], in per-sensor scaled units.
 * - gru / lstm: one recurrent network over the vector of all sensors (the T-GCN paper's GRU row);
 * - tgcn: the T-GCN cell (graph convolution inside the GRU), weights shared by all sensors, then a
 *   dense head per sensor.
 */
export function buildModel(shape: ModelShape, normalizedAdjacency?: Float32Array): ReturnType<typeof tf.sequential> {
  registerTrafficLayers();
  const { kind, inputSteps: T, outputSteps: P, sensors: N, hiddenUnits: H } = shape;
  const F = featureCount(shape.dayOfWeek ?? false);
  return withSeededRandom(createRng(shape.seed), () => {
    const model = tf.sequential();
    if (kind === 'tgcn') {
      const layer = new TgcnLayer({ units: H, nodes: N, embedding: shape.embedding ?? 8, inputShape: [T, N, F], name: 'tgcn' });
      model.add(layer);
      model.add(tf.layers.dense({ units: P, name: 'head' }));
      model.add(tf.layers.permute({ dims: [2, 1], name: 'steps_first' }));
      if (normalizedAdjacency) layer.setAdjacency(normalizedAdjacency);
    } else {
      model.add(tf.layers.reshape({ targetShape: [T, N * F], inputShape: [T, N, F], name: 'flatten_sensors' }));
      const rnn =
        kind === 'gru'
          ? tf.layers.gru({ units: H, name: 'gru', recurrentInitializer: 'glorotUniform' })
          : tf.layers.lstm({ units: H, name: 'lstm', recurrentInitializer: 'glorotUniform' });
      model.add(rnn);
      model.add(tf.layers.dense({ units: P * N, name: 'head' }));
      model.add(tf.layers.reshape({ targetShape: [P, N], name: 'steps_sensors' }));
    }
    return model;
  });
}

/** Masked L1 / L2 / Huber loss on targets packed as [batch, steps, sensors, 2] (value, observed). */
export function maskedLoss(
  kind: 'mae' | 'mse' | 'huber',
): (yTrue: ReturnType<typeof tf.zeros>, yPred: ReturnType<typeof tf.zeros>) => ReturnType<typeof tf.zeros> {
  return (yTrue, yPred) => {
    const [b, p, n] = yPred.shape as [number, number, number];
    const value = tf.reshape(tf.slice(yTrue, [0, 0, 0, 0], [b, p, n, 1]), [b, p, n]);
    const mask = tf.reshape(tf.slice(yTrue, [0, 0, 0, 1], [b, p, n, 1]), [b, p, n]);
    const err = tf.abs(tf.sub(value, yPred));
    let per: ReturnType<typeof tf.zeros>;
    if (kind === 'mae') per = err;
    else if (kind === 'mse') per = tf.square(err);
    else {
      const q = tf.minimum(err, 1);
      per = tf.add(tf.mul(0.5, tf.square(q)), tf.sub(err, q));
    }
    return tf.div(tf.sum(tf.mul(per, mask), [1, 2]), tf.maximum(tf.sum(mask, [1, 2]), 1));
  };
}
