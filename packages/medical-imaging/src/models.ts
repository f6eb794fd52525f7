// The two networks: a small residual CNN (classifier) and a U-Net with skip connections (segmenter).
import { tf } from '@appliedml/engine';

/** Layer names the SDK looks up after a bundle is loaded. */
export const FEATURES_LAYER = 'gradcam_features';
export const CLASSIFIER_LAYER = 'classifier_logits';

export interface ResNetConfig {
  /** Channels of the stem and of each residual stage (each stage after the first halves the size). */
  filters: number[];
  /** Residual blocks per stage. */
  blocksPerStage: number;
  dropout: number;
  /** L2 weight decay on the convolution kernels. */
  l2: number;
}

function conv(x: tf.SymbolicTensor, filters: number, kernel: number, stride: number, l2: number, name?: string): tf.SymbolicTensor {
  return tf.layers
    .conv2d({
      filters,
      kernelSize: kernel,
      strides: stride,
      padding: 'same',
      useBias: false,
      kernelInitializer: 'heNormal',
      ...(l2 > 0 ? { kernelRegularizer: tf.regularizers.l2({ l2 }) } : {}),
      ...(name ? { name } : {}),
    })
    .apply(x) as tf.SymbolicTensor;
}

function bn(x: tf.SymbolicTensor): tf.SymbolicTensor {
  return tf.layers.batchNormalization({ momentum: 0.9 }).apply(x) as tf.SymbolicTensor;
}

function relu(x: tf.SymbolicTensor, name?: string): tf.SymbolicTensor {
  return tf.layers.reLU(name ? { name } : {}).apply(x) as tf.SymbolicTensor;
}

function residualBlock(x: tf.SymbolicTensor, filters: number, stride: number, l2: number, name?: string): tf.SymbolicTensor {
  const inChannels = x.shape[x.shape.length - 1];
  let h = relu(bn(conv(x, filters, 3, stride, l2)));
  h = bn(conv(h, filters, 3, 1, l2));
  const shortcut = stride !== 1 || inChannels !== filters ? bn(conv(x, filters, 1, stride, l2)) : x;
  return relu(tf.layers.add().apply([h, shortcut]) as tf.SymbolicTensor, name);
}

/** stem conv → residual stages → global average pool → dropout → dense logits → softmax. */
export function buildResNet(size: number, classes: number, c: ResNetConfig): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 1] });
  let x = relu(bn(conv(input, c.filters[0]!, 3, 1, c.l2)));
  c.filters.forEach((f, stage) => {
    for (let b = 0; b < c.blocksPerStage; b++) {
      const last = stage === c.filters.length - 1 && b === c.blocksPerStage - 1;
      x = residualBlock(x, f, stage > 0 && b === 0 ? 2 : 1, c.l2, last ? FEATURES_LAYER : undefined);
    }
  });
  let h = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  if (c.dropout > 0) h = tf.layers.dropout({ rate: c.dropout }).apply(h) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: classes, name: CLASSIFIER_LAYER }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.softmax().apply(logits) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'residual_cnn' });
}

export interface UNetConfig {
  /** Channels per level, top to bottom (the last is the bottleneck). */
  filters: number[];
  dropout: number;
}

function doubleConv(x: tf.SymbolicTensor, filters: number): tf.SymbolicTensor {
  return relu(bn(conv(relu(bn(conv(x, filters, 3, 1, 0))), filters, 3, 1, 0)));
}

/** U-Net: conv blocks down with max pooling, transposed convolutions up, skip connections by concatenation, sigmoid mask. */
export function buildUNet(size: number, channels: number, c: UNetConfig): tf.LayersModel {
  const input = tf.input({ shape: [size, size, channels] });
  const skips: tf.SymbolicTensor[] = [];
  let x: tf.SymbolicTensor = input;
  const depth = c.filters.length - 1;
  for (let level = 0; level < depth; level++) {
    x = doubleConv(x, c.filters[level]!);
    skips.push(x);
    x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  }
  x = doubleConv(x, c.filters[depth]!);
  if (c.dropout > 0) x = tf.layers.dropout({ rate: c.dropout }).apply(x) as tf.SymbolicTensor;
  for (let level = depth - 1; level >= 0; level--) {
    x = tf.layers
      .conv2dTranspose({ filters: c.filters[level]!, kernelSize: 2, strides: 2, padding: 'same', kernelInitializer: 'heNormal' })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.concatenate().apply([x, skips[level]!]) as tf.SymbolicTensor;
    x = doubleConv(x, c.filters[level]!);
  }
  const out = tf.layers.conv2d({ filters: 1, kernelSize: 1, activation: 'sigmoid' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'unet' });
}
