import { tf } from '@appliedml/engine';

type Tensor = ReturnType<typeof tf.zeros>;
type LayerVariable = ReturnType<InstanceType<typeof tf.layers.Layer>['addWeight']>;

export interface TgcnLayerArgs {
  units: number;
  nodes: number;
  /** Size of a learned per-sensor embedding appended to each sensor's inputs (0 = none). */
  embedding?: number;
  name?: string;
  inputShape?: (number | null)[];
  batchInputShape?: (number | null)[];
  trainable?: boolean;
  dtype?: 'float32';
}

/**
 * The T-GCN cell (Zhao et al. 2019) unrolled over the input steps: a GRU whose gates and candidate
 * read the graph convolution Â·[x_t, h] of the inputs and the hidden state, so each sensor's state
 * mixes its neighbours' at every step. Input [batch, steps, nodes, features] → the last hidden
 * state [batch, nodes, units]. Â (the normalised adjacency) is a non-trainable weight, so it
 * travels with the saved weights.
 */
export class TgcnLayer extends tf.layers.Layer {
  static className = 'AppliedMLTrafficTgcn';
  readonly units: number;
  readonly nodes: number;
  readonly embedding: number;
  private nodeEmbedding: LayerVariable | undefined;
  private adjacency!: LayerVariable;
  private gateKernel!: LayerVariable;
  private gateBias!: LayerVariable;
  private candidateKernel!: LayerVariable;
  private candidateBias!: LayerVariable;

  constructor(args: TgcnLayerArgs) {
    super(args);
    this.units = args.units;
    this.nodes = args.nodes;
    this.embedding = args.embedding ?? 0;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const features = (shape[3] as number) + this.embedding;
    const u = this.units;
    if (this.embedding > 0) {
      this.nodeEmbedding = this.addWeight(
        'node_embedding',
        [this.nodes, this.embedding],
        'float32',
        tf.initializers.randomNormal({ stddev: 0.1 }),
      );
    }
    this.adjacency = this.addWeight('adjacency', [this.nodes, this.nodes], 'float32', tf.initializers.identity({}), undefined, false);
    this.gateKernel = this.addWeight('gate_kernel', [features + u, 2 * u], 'float32', tf.initializers.glorotUniform({}));
    // Gates start open towards keeping the state (bias 1, as in the T-GCN code).
    this.gateBias = this.addWeight('gate_bias', [2 * u], 'float32', tf.initializers.constant({ value: 1 }));
    this.candidateKernel = this.addWeight('candidate_kernel', [features + u, u], 'float32', tf.initializers.glorotUniform({}));
    this.candidateBias = this.addWeight('candidate_bias', [u], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  /** Sets Â (row-major nodes × nodes). */
  setAdjacency(values: Float32Array): void {
    const value = tf.tensor2d(values, [this.nodes, this.nodes]);
    this.adjacency.write(value);
    value.dispose();
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0] ?? null, this.nodes, this.units];
  }

  /**
   * Â z W + b for z in node-major layout [N, B·C] (rows are sensors), returned as [N, B·K]. Keeping
   * the state node-major means the propagation is one matMul with no transposes; the cheaper
   * association order is picked by width.
   */
  private graphConv(z: Tensor, n: number, b: number, a: Tensor, kernel: Tensor, bias: Tensor): Tensor {
    const c = (z.shape[1] as number) / b;
    const k = kernel.shape[1] as number;
    const project = (t: Tensor, width: number): Tensor => tf.reshape(tf.matMul(tf.reshape(t, [n * b, width]), kernel), [n, b * k]);
    const out = c <= k ? project(tf.matMul(a, z), c) : tf.matMul(a, project(z, c));
    return tf.reshape(tf.add(tf.reshape(out, [n, b, k]), bias), [n, b, k]);
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    const x = Array.isArray(inputs) ? (inputs[0] as Tensor) : inputs;
    const [b, steps, n, f] = x.shape as [number, number, number, number];
    const u = this.units;
    const a = this.adjacency.read();
    const gk = this.gateKernel.read();
    const gb = this.gateBias.read();
    const ck = this.candidateKernel.read();
    const cb = this.candidateBias.read();
    // Node-major: [steps, N, B, F], so each step is a [N, B, F] block.
    const xs = tf.transpose(x, [1, 2, 0, 3]);
    const emb = this.nodeEmbedding ? tf.tile(tf.expandDims(this.nodeEmbedding.read(), 1), [1, b, 1]) : undefined;
    let h: Tensor = tf.zeros([n, b, u]);
    for (let t = 0; t < steps; t++) {
      const raw = tf.reshape(tf.slice(xs, [t, 0, 0, 0], [1, n, b, f]), [n, b, f]);
      const xt = emb ? tf.concat([raw, emb], 2) : raw;
      const width = xt.shape[2] as number;
      const gates = tf.sigmoid(this.graphConv(tf.reshape(tf.concat([xt, h], 2), [n, b * (width + u)]), n, b, a, gk, gb));
      const r = tf.slice(gates, [0, 0, 0], [n, b, u]);
      const z = tf.slice(gates, [0, 0, u], [n, b, u]);
      const c = tf.tanh(this.graphConv(tf.reshape(tf.concat([xt, tf.mul(r, h)], 2), [n, b * (width + u)]), n, b, a, ck, cb));
      h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), c));
    }
    return tf.transpose(h, [1, 0, 2]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, nodes: this.nodes, embedding: this.embedding };
  }
}

let registered = false;

/** Registers the layer for model loading (idempotent; done when a model is built or loaded, not on import). */
export function registerTrafficLayers(): void {
  if (registered) return;
  registered = true;
  tf.serialization.registerClass(TgcnLayer);
}
