import { tf } from '@appliedml/engine';

/**
 * An embedding layer whose gradient is accumulated in plain JS. tfjs' Embedding differentiates
 * Gather through UnsortedSegmentSum, which the JS backend (and so the engine's wasm delegation)
 * runs as one masked reduction per row of the table: seconds per step for a 4,096-row table,
 * minutes for 65,536. Here the backward pass reads the ids and dy once (N·D values) and adds
 * them into a [rows, dim] array: O(N·D + rows·dim), milliseconds.
 */
export interface TextEmbeddingArgs {
  inputDim: number;
  outputDim: number;
  /** Uniform initialisation range ±initRange. */
  initRange: number;
  name?: string;
}

export class TextEmbedding extends tf.layers.Layer {
  static readonly className = 'AppliedMLTextEmbedding';
  private readonly inputDim: number;
  private readonly outputDim: number;
  private readonly initRange: number;
  private embeddings: tf.LayerVariable | undefined;

  constructor(args: TextEmbeddingArgs) {
    super(args.name ? { name: args.name } : {});
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.initRange = args.initRange;
  }

  override build(): void {
    this.embeddings = this.addWeight(
      'embeddings',
      [this.inputDim, this.outputDim],
      'float32',
      tf.initializers.randomUniform({ minval: -this.initRange, maxval: this.initRange }),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...shape, this.outputDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const ids = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
    const table = (this.embeddings as tf.LayerVariable).read();
    const rows = this.inputDim;
    const dim = this.outputDim;
    const flatIds = tf.cast(tf.reshape(ids, [-1]), 'int32');
    // Read the ids now: the tensor does not outlive the forward pass's scope.
    const idx = flatIds.dataSync().slice();
    const lookup = tf.customGrad(((w: tf.Tensor) => {
      const value = tf.reshape(tf.gather(w, flatIds), [...ids.shape, dim]);
      const gradFunc = (dy: tf.Tensor): tf.Tensor => {
        const g = dy.dataSync();
        const grad = new Float32Array(rows * dim);
        for (let i = 0; i < idx.length; i++) {
          const row = (idx[i] as number) * dim;
          const src = i * dim;
          for (let d = 0; d < dim; d++) grad[row + d] = (grad[row + d] as number) + (g[src + d] as number);
        }
        return tf.tensor2d(grad, [rows, dim]);
      };
      return { value, gradFunc };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return lookup(table) as tf.Tensor;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), inputDim: this.inputDim, outputDim: this.outputDim, initRange: this.initRange };
  }
}

export interface LengthMaskedMaxPoolArgs {
  /** Width of the convolution whose output is pooled. */
  kernelSize: number;
  /** Texts shorter than this are padded to it (the widest kernel), so every text has a window. */
  minLength: number;
  name?: string;
}

/**
 * Max-over-time pooling that ignores the windows lying beyond a text's end: inputs are the
 * convolution's output [b, positions, filters] and the ids [b, width] (0 = padding). A text of n
 * tokens keeps the windows that start before max(n, minLength) - kernelSize + 1, so its pooled
 * features do not depend on how much padding follows it. That lets training and prediction cut each
 * batch to its longest text (and prediction group texts by length) without changing any result.
 */
export class LengthMaskedMaxPool extends tf.layers.Layer {
  static readonly className = 'AppliedMLLengthMaskedMaxPool';
  private readonly kernelSize: number;
  private readonly minLength: number;

  constructor(args: LengthMaskedMaxPoolArgs) {
    super(args.name ? { name: args.name } : {});
    this.kernelSize = args.kernelSize;
    this.minLength = args.minLength;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const conv = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [conv[0] ?? null, conv[2] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [conv, ids] = inputs as tf.Tensor[];
      const positions = (conv as tf.Tensor).shape[1] as number;
      const tokens = tf.sum(tf.cast(tf.notEqual(ids as tf.Tensor, 0), 'float32'), 1, true); // [b, 1]
      const windows = tf.sub(tf.maximum(tokens, this.minLength), this.kernelSize - 1); // [b, 1]
      const outside = tf.cast(tf.greaterEqual(tf.range(0, positions, 1, 'float32').reshape([1, positions]), windows), 'float32');
      // Valid windows get exactly +0, so their values are untouched; the rest can never be the max.
      return tf.max(tf.add(conv as tf.Tensor, tf.mul(tf.expandDims(outside, 2), -1e9)), 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), kernelSize: this.kernelSize, minLength: this.minLength };
  }
}

let registered = false;
/** Register the layers for model loading (done on first use, not at import). */
export function registerTextLayers(): void {
  if (registered) return;
  tf.serialization.registerClass(TextEmbedding);
  tf.serialization.registerClass(LengthMaskedMaxPool);
  registered = true;
}
