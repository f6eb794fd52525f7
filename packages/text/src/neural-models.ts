import { createRng, tf, withSeededRandom } from '@appliedml/engine';
import { LengthMaskedMaxPool, TextEmbedding, registerTextLayers } from './embedding-layer';

export interface FastTextConfig {
  /** Embedding size (default 32). */
  dim: number;
  /** Hash buckets for words and n-grams (default 2^15). */
  buckets: number;
  /** Word n-grams hashed, 1..maxN (default 2). */
  wordNgrams: number;
  /** Longest id sequence kept (default 400 ids); training uses min(maxIds, the longest training text's count). */
  maxIds: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
}

export interface CnnConfig {
  /** Embedding size (default 128), trained from scratch (Kim's CNN-rand). */
  embeddingDim: number;
  /** Filters per kernel size (default 100). */
  filters: number;
  kernelSizes: number[];
  dropout: number;
  /** Tokens per text: longer are cut, shorter padded (default 60; training uses min(maxLength, the longest training text), at least the widest kernel). */
  maxLength: number;
  /** Keep words seen in at least this many training texts (default 1). */
  minCount: number;
  maxVocabulary: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
}

export const FASTTEXT_DEFAULTS: FastTextConfig = {
  dim: 32,
  buckets: 1 << 15,
  wordNgrams: 2,
  maxIds: 400,
  epochs: 12,
  batchSize: 32,
  learningRate: 0.01,
};
export const CNN_DEFAULTS: CnnConfig = {
  embeddingDim: 128,
  filters: 100,
  kernelSizes: [3, 4, 5],
  dropout: 0.5,
  maxLength: 60,
  minCount: 1,
  maxVocabulary: 50_000,
  epochs: 10,
  batchSize: 50,
  learningRate: 0.001,
};

/**
 * fastText-style: the mean of the embeddings of a text's word and word-n-gram hashes, then one
 * linear layer. Inputs: ids [b, L] (0 = padding) and weights [b, L, 1] (1/count for real ids, 0 for
 * padding), so the mean ignores padding.
 */
export function buildFastText(config: FastTextConfig, classes: number, multiLabel: boolean, seed: number): tf.LayersModel {
  registerTextLayers();
  return withSeededRandom(createRng(seed), () => {
    const ids = tf.input({ shape: [config.maxIds], dtype: 'int32', name: 'ids' });
    const weights = tf.input({ shape: [config.maxIds, 1], name: 'weights' });
    const embedded = new TextEmbedding({ inputDim: config.buckets, outputDim: config.dim, initRange: 0.05, name: 'embedding' }).apply(
      ids,
    ) as tf.SymbolicTensor;
    const mean = tf.layers.dot({ axes: 1, name: 'mean' }).apply([embedded, weights]) as tf.SymbolicTensor;
    const flat = tf.layers.flatten().apply(mean) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({ units: classes, activation: multiLabel ? 'sigmoid' : 'softmax', name: 'out' })
      .apply(flat) as tf.SymbolicTensor;
    return tf.model({ inputs: [ids, weights], outputs: out, name: 'fasttext' });
  });
}

/**
 * Kim (2014) CNN-rand: embedding, parallel 1-D convolutions with max-over-time pooling, dropout,
 * softmax. The input width is free (ids [b, any width ≥ the widest kernel], 0 = padding) and the
 * pooling ignores windows past each text's end, so a batch can be cut to its longest text.
 */
export function buildKimCnn(config: CnnConfig, vocabularySize: number, classes: number, multiLabel: boolean, seed: number): tf.LayersModel {
  registerTextLayers();
  const widest = Math.max(...config.kernelSizes);
  return withSeededRandom(createRng(seed), () => {
    const ids = tf.input({ shape: [null], dtype: 'int32', name: 'ids' });
    const embedded = new TextEmbedding({
      inputDim: vocabularySize,
      outputDim: config.embeddingDim,
      initRange: 0.25,
      name: 'embedding',
    }).apply(ids) as tf.SymbolicTensor;
    const pooled = config.kernelSizes.map((k) => {
      const conv = tf.layers
        .conv1d({ filters: config.filters, kernelSize: k, activation: 'relu', name: `conv${k}` })
        .apply(embedded) as tf.SymbolicTensor;
      return new LengthMaskedMaxPool({ kernelSize: k, minLength: widest, name: `pool${k}` }).apply([conv, ids]) as tf.SymbolicTensor;
    });
    const merged =
      pooled.length === 1
        ? (pooled[0] as tf.SymbolicTensor)
        : (tf.layers.concatenate({ name: 'concat' }).apply(pooled) as tf.SymbolicTensor);
    const dropped = tf.layers.dropout({ rate: config.dropout, name: 'dropout' }).apply(merged) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({ units: classes, activation: multiLabel ? 'sigmoid' : 'softmax', name: 'out' })
      .apply(dropped) as tf.SymbolicTensor;
    return tf.model({ inputs: ids, outputs: out, name: 'kim-cnn' });
  });
}
