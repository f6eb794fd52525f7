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

let registered = false;
/** Register the layer for model loading (done on first use, not at import). */
export function registerTextLayers(): void {
  if (registered) return;
  tf.serialization.registerClass(TextEmbedding);
  registered = true;
}
