import { tf } from '@appliedml/engine';

/** The recogniser's network families. */
export const MODEL_TYPES = ['cnn', 'gru', 'lstm'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

export interface CnnConfig {
  /** Filters of the 1-D convolution blocks over time (features as channels); default [64, 64, 96]. */
  filters: number[];
  /** Kernel width in frames (default 5). */
  kernel: number;
  /** Dense units before the output (default 64). */
  dense: number;
  dropout: number;
}

export interface RnnConfig {
  /** Hidden units (default 128, the seed's "RNN with 128 hidden units and Adam"). */
  units: number;
  /** Average-pool the frames by this factor before the RNN (default 2). */
  pool: number;
  dropout: number;
}

export const CNN_DEFAULTS: CnnConfig = { filters: [64, 64, 96], kernel: 5, dense: 64, dropout: 0.3 };
export const RNN_DEFAULTS: RnnConfig = { units: 128, pool: 2, dropout: 0.2 };

/** Conv1D blocks (conv → batch norm → ReLU → max pool) → global average + max pooling → dense → softmax. */
export function buildCnn(frames: number, dim: number, classes: number, c: CnnConfig): tf.LayersModel {
  const input = tf.input({ shape: [frames, dim] });
  let x: tf.SymbolicTensor = input;
  c.filters.forEach((f, i) => {
    x = tf.layers.conv1d({ filters: f, kernelSize: c.kernel, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
    if (i < c.filters.length - 1) x = tf.layers.maxPooling1d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  });
  const avg = tf.layers.globalAveragePooling1d().apply(x) as tf.SymbolicTensor;
  const max = tf.layers.globalMaxPooling1d().apply(x) as tf.SymbolicTensor;
  let h = tf.layers.concatenate().apply([avg, max]) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: c.dropout }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: c.dense, activation: 'relu' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: c.dropout }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes, activation: 'softmax' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** Average pooling over time → GRU or LSTM (last state) → dense softmax. */
export function buildRnn(kind: 'gru' | 'lstm', frames: number, dim: number, classes: number, c: RnnConfig): tf.LayersModel {
  const input = tf.input({ shape: [frames, dim] });
  let x: tf.SymbolicTensor = input;
  if (c.pool > 1) x = tf.layers.averagePooling1d({ poolSize: c.pool }).apply(x) as tf.SymbolicTensor;
  const rnn = kind === 'gru' ? tf.layers.gru({ units: c.units }) : tf.layers.lstm({ units: c.units });
  x = rnn.apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: c.dropout }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}
