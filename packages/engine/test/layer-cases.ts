import * as tf from '#tfjs';

/**
 * Small models that exercise every layer the SDKs train, each with an input batch and a target.
 * Shared by the gradient-parity and kernel-coverage tests.
 */
export interface LayerCase {
  name: string;
  build: () => tf.LayersModel;
  /** Input batch (values drawn from a seeded generator by the caller). */
  inputShape: number[];
  inputKind?: 'float' | 'int';
  vocab?: number;
}

const L = tf.layers;

function seq(...layers: tf.layers.Layer[]): tf.LayersModel {
  return tf.sequential({ layers });
}

const head = (): tf.layers.Layer[] => [L.flatten(), L.dense({ units: 3 })];

export const LAYER_CASES: LayerCase[] = [
  {
    name: 'dense',
    inputShape: [4, 6],
    build: () => seq(L.dense({ inputShape: [6], units: 5, activation: 'tanh' }), L.dense({ units: 3 })),
  },
  {
    name: 'conv1d',
    inputShape: [3, 10, 4],
    build: () => seq(L.conv1d({ inputShape: [10, 4], filters: 5, kernelSize: 3, strides: 2, padding: 'same' }), ...head()),
  },
  {
    name: 'conv2d valid',
    inputShape: [3, 9, 9, 2],
    build: () => seq(L.conv2d({ inputShape: [9, 9, 2], filters: 4, kernelSize: 3 }), ...head()),
  },
  {
    name: 'conv2d same stride 2',
    inputShape: [2, 9, 8, 3],
    build: () => seq(L.conv2d({ inputShape: [9, 8, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same' }), ...head()),
  },
  {
    name: 'conv2d 5x5 stride 2 valid, second layer',
    inputShape: [2, 12, 12, 1],
    build: () =>
      seq(
        L.conv2d({ inputShape: [12, 12, 1], filters: 3, kernelSize: 3, padding: 'same' }),
        L.conv2d({ filters: 4, kernelSize: 5, strides: 2 }),
        ...head(),
      ),
  },
  {
    name: 'depthwiseConv2d after conv2d',
    inputShape: [2, 8, 8, 2],
    build: () =>
      seq(
        L.conv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: 3, padding: 'same' }),
        L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 }),
        ...head(),
      ),
  },
  {
    name: 'separableConv2d after conv2d',
    inputShape: [2, 8, 8, 2],
    build: () =>
      seq(
        L.conv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: 3, padding: 'same' }),
        L.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same' }),
        ...head(),
      ),
  },
  {
    name: 'conv2dTranspose',
    inputShape: [2, 5, 5, 3],
    build: () => seq(L.conv2dTranspose({ inputShape: [5, 5, 3], filters: 2, kernelSize: 3, strides: 2, padding: 'same' }), ...head()),
  },
  {
    name: 'upSampling2d batch 3',
    inputShape: [3, 4, 5, 2],
    build: () => seq(L.conv2d({ inputShape: [4, 5, 2], filters: 2, kernelSize: 1 }), L.upSampling2d({ size: [2, 2] }), ...head()),
  },
  {
    name: 'maxPooling2d after linear conv (signed windows)',
    inputShape: [3, 8, 8, 2],
    build: () =>
      seq(
        L.conv2d({
          inputShape: [8, 8, 2],
          filters: 3,
          kernelSize: 3,
          padding: 'same',
          biasInitializer: tf.initializers.constant({ value: -1 }),
        }),
        L.maxPooling2d({ poolSize: 2 }),
        ...head(),
      ),
  },
  {
    name: 'maxPooling2d 3x3/2 same after tanh',
    inputShape: [2, 9, 9, 2],
    build: () =>
      seq(
        L.conv2d({ inputShape: [9, 9, 2], filters: 2, kernelSize: 3, padding: 'same', activation: 'tanh' }),
        L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
        ...head(),
      ),
  },
  {
    name: 'maxPooling1d after linear dense',
    inputShape: [3, 10, 4],
    build: () =>
      seq(
        L.dense({ inputShape: [10, 4], units: 3, biasInitializer: tf.initializers.constant({ value: -2 }) }),
        L.maxPooling1d({ poolSize: 2 }),
        ...head(),
      ),
  },
  {
    name: 'averagePooling1d',
    inputShape: [3, 10, 4],
    build: () => seq(L.conv1d({ inputShape: [10, 4], filters: 3, kernelSize: 3 }), L.averagePooling1d({ poolSize: 2 }), ...head()),
  },
  {
    name: 'averagePooling2d',
    inputShape: [2, 8, 8, 2],
    build: () => seq(L.conv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: 3 }), L.averagePooling2d({ poolSize: 2 }), ...head()),
  },
  {
    name: 'globalAveragePooling1d',
    inputShape: [3, 7, 4],
    build: () => seq(L.conv1d({ inputShape: [7, 4], filters: 3, kernelSize: 2 }), L.globalAveragePooling1d(), L.dense({ units: 3 })),
  },
  {
    name: 'globalAveragePooling2d',
    inputShape: [2, 6, 6, 2],
    build: () => seq(L.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3 }), L.globalAveragePooling2d({}), L.dense({ units: 3 })),
  },
  {
    name: 'globalMaxPooling2d',
    inputShape: [2, 6, 6, 2],
    build: () => seq(L.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3 }), L.globalMaxPooling2d({}), L.dense({ units: 3 })),
  },
  {
    name: 'batchNormalization 2D',
    inputShape: [6, 5],
    build: () => seq(L.dense({ inputShape: [5], units: 4, useBias: false }), L.batchNormalization(), L.dense({ units: 3 })),
  },
  {
    name: 'batchNormalization 4D',
    inputShape: [3, 6, 6, 2],
    build: () => seq(L.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, useBias: false }), L.batchNormalization(), ...head()),
  },
  {
    name: 'layerNormalization',
    inputShape: [4, 6],
    build: () => seq(L.dense({ inputShape: [6], units: 5 }), L.layerNormalization(), L.dense({ units: 3 })),
  },
  {
    name: 'dropout (seeded mask)',
    inputShape: [4, 6],
    build: () => seq(L.dense({ inputShape: [6], units: 8, activation: 'relu' }), L.dropout({ rate: 0.4 }), L.dense({ units: 3 })),
  },
  {
    name: 'embedding',
    inputShape: [4, 7],
    inputKind: 'int',
    vocab: 20,
    build: () => seq(L.embedding({ inputDim: 20, outputDim: 4, inputLength: 7 }), ...head()),
  },
  { name: 'simpleRNN', inputShape: [3, 5, 4], build: () => seq(L.simpleRNN({ inputShape: [5, 4], units: 6 }), L.dense({ units: 3 })) },
  { name: 'lstm', inputShape: [3, 5, 4], build: () => seq(L.lstm({ inputShape: [5, 4], units: 6 }), L.dense({ units: 3 })) },
  { name: 'gru', inputShape: [3, 5, 4], build: () => seq(L.gru({ inputShape: [5, 4], units: 6 }), L.dense({ units: 3 })) },
  {
    name: 'bidirectional lstm',
    inputShape: [3, 5, 4],
    build: () => seq(L.bidirectional({ inputShape: [5, 4], layer: L.lstm({ units: 4 }) as tf.layers.RNN }), L.dense({ units: 3 })),
  },
  {
    name: 'concatenate and add (functional)',
    inputShape: [4, 6],
    build: () => {
      const input = tf.input({ shape: [6] });
      const a = L.dense({ units: 4, activation: 'relu' }).apply(input) as tf.SymbolicTensor;
      const b = L.dense({ units: 4, activation: 'tanh' }).apply(input) as tf.SymbolicTensor;
      const sum = L.add().apply([a, b]) as tf.SymbolicTensor;
      const cat = L.concatenate().apply([sum, a]) as tf.SymbolicTensor;
      const out = L.dense({ units: 3 }).apply(cat) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: out });
    },
  },
];
