import { AppliedMLError, createRng, eventLoopTurns, type EventLoopAbort } from '@appliedml/engine';
import type { SparseVector } from './tfidf';

/**
 * A linear model over sparse rows: scores = W·x + b, then softmax (multi-class) or a sigmoid per
 * class (multi-label). Logistic regression is trained by SGD with exact L2 (the scaled-weights
 * trick, so each step touches only the row's features); multinomial naive Bayes is the same form
 * with W = log P(feature | class) and b = log P(class), so both predict and explain alike.
 */
export class LinearModel {
  readonly features: number;
  readonly classes: number;
  readonly multiLabel: boolean;
  /** Feature-major weights: W[f * classes + k]. */
  readonly weights: Float32Array;
  readonly bias: Float64Array;

  constructor(features: number, classes: number, multiLabel: boolean, weights?: Float32Array, bias?: Float64Array) {
    this.features = features;
    this.classes = classes;
    this.multiLabel = multiLabel;
    this.weights = weights ?? new Float32Array(features * classes);
    this.bias = bias ?? new Float64Array(classes);
    if (this.weights.length !== features * classes || this.bias.length !== classes) {
      throw new AppliedMLError('E_BUNDLE_CORRUPT', 'Linear model weights do not match its shape.');
    }
  }

  /** Raw scores (logits) of one row. */
  scores(x: SparseVector, out = new Float64Array(this.classes)): Float64Array {
    const K = this.classes;
    out.set(this.bias);
    for (let j = 0; j < x.indices.length; j++) {
      const base = (x.indices[j] as number) * K;
      const v = x.values[j] as number;
      for (let k = 0; k < K; k++) out[k] = (out[k] as number) + v * (this.weights[base + k] as number);
    }
    return out;
  }

  /** Probabilities of one row (softmax, or per-class sigmoid for multi-label). */
  probabilities(x: SparseVector, out = new Float64Array(this.classes)): Float64Array {
    this.scores(x, out);
    if (this.multiLabel) {
      for (let k = 0; k < out.length; k++) out[k] = 1 / (1 + Math.exp(-(out[k] as number)));
    } else softmaxInPlace(out);
    return out;
  }

  /** Contribution of each of the row's features to class k, relative to the mean over classes (multi-class) or raw (multi-label). */
  contributions(x: SparseVector, k: number): Float64Array {
    const K = this.classes;
    const out = new Float64Array(x.indices.length);
    for (let j = 0; j < x.indices.length; j++) {
      const base = (x.indices[j] as number) * K;
      let w = this.weights[base + k] as number;
      if (!this.multiLabel && K > 1) {
        let mean = 0;
        for (let c = 0; c < K; c++) mean += this.weights[base + c] as number;
        w -= mean / K;
      }
      out[j] = (x.values[j] as number) * w;
    }
    return out;
  }

  toBytes(): Uint8Array {
    const bytes = new Uint8Array(this.weights.byteLength + this.bias.byteLength);
    bytes.set(new Uint8Array(this.bias.buffer, this.bias.byteOffset, this.bias.byteLength), 0);
    bytes.set(new Uint8Array(this.weights.buffer, this.weights.byteOffset, this.weights.byteLength), this.bias.byteLength);
    return bytes;
  }

  static fromBytes(bytes: Uint8Array, features: number, classes: number, multiLabel: boolean): LinearModel {
    if (bytes.byteLength !== classes * 8 + features * classes * 4) {
      throw new AppliedMLError(
        'E_BUNDLE_CORRUPT',
        `Linear weights hold ${bytes.byteLength} bytes; expected ${classes * 8 + features * classes * 4}.`,
      );
    }
    const copy = bytes.slice();
    const bias = new Float64Array(copy.buffer, 0, classes);
    const weights = new Float32Array(copy.buffer, classes * 8, features * classes);
    for (const v of bias) if (!Number.isFinite(v)) throw new AppliedMLError('E_BUNDLE_CORRUPT', 'Linear bias holds non-finite values.');
    for (const v of weights)
      if (!Number.isFinite(v)) throw new AppliedMLError('E_BUNDLE_CORRUPT', 'Linear weights hold non-finite values.');
    return new LinearModel(features, classes, multiLabel, weights, bias);
  }
}

export function softmaxInPlace(out: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of out) if (v > max) max = v;
  let sum = 0;
  for (let k = 0; k < out.length; k++) {
    const e = Math.exp((out[k] as number) - max);
    out[k] = e;
    sum += e;
  }
  for (let k = 0; k < out.length; k++) out[k] = (out[k] as number) / sum;
}

export interface LogisticOptions {
  epochs: number;
  /** L2 strength per example (λ in λ/2‖W‖² added to each example's loss). */
  l2: number;
  learningRate: number;
  seed: number;
  /** Weight of each example's loss (class weights). */
  sampleWeights?: Float64Array;
  onEpochEnd?: (epoch: number, loss: number) => void;
  /** A train's signal: a turn throws E_ABORTED once it is aborted (the model is left half-trained: discard it). */
  abort?: EventLoopAbort;
}

/**
 * Train logistic regression by SGD: targets are one class index per row (multi-class) or a
 * multi-hot row (multi-label). η_t = η₀ / (1 + η₀·λ·t); L2 by a global scale.
 */
export async function trainLogistic(
  rows: SparseVector[],
  targets: Uint8Array,
  model: LinearModel,
  options: LogisticOptions,
): Promise<number[]> {
  const n = rows.length;
  const K = model.classes;
  const W = model.weights;
  const b = model.bias;
  const rng = createRng(options.seed);
  // A service training in its own process keeps answering: the event loop gets a turn every ~50 ms (also
  // while the rows are copied: 100,000 review-length rows took over a second).
  const turns = eventLoopTurns(50, options.abort);
  const order = Array.from({ length: n }, (_, i) => i);
  // The rows in one CSR block: weight offsets (feature × K) and values as doubles, read in sequence.
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = (offsets[i] as number) + (rows[i] as SparseVector).indices.length;
  const bases = new Int32Array(offsets[n] as number);
  const values = new Float64Array(offsets[n] as number);
  for (let i = 0; i < n; i++) {
    if ((i & 255) === 255) await turns.turn();
    const x = rows[i] as SparseVector;
    const at = offsets[i] as number;
    for (let j = 0; j < x.indices.length; j++) {
      bases[at + j] = (x.indices[j] as number) * K;
      values[at + j] = x.values[j] as number;
    }
  }
  const weights = options.sampleWeights;
  const multiLabel = model.multiLabel;
  const l2 = options.l2;
  const eta0 = options.learningRate;
  const p = new Float64Array(K);
  const losses: number[] = [];
  let scale = 1;
  let t = 0;
  const rescale = (): void => {
    for (let i = 0; i < W.length; i++) W[i] = (W[i] as number) * scale;
    scale = 1;
  };
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    rng.shuffle(order);
    let loss = 0;
    for (let step = 0; step < n; step++) {
      if ((step & 1023) === 1023) await turns.turn();
      const i = order[step] as number;
      const from = offsets[i] as number;
      const to = offsets[i + 1] as number;
      const sw = weights ? (weights[i] as number) : 1;
      const eta = eta0 / (1 + eta0 * l2 * t);
      t++;
      // scores with the current scale
      if (K === 2) {
        // Two classes (the common binary case), unrolled: the same operations in the same order.
        let p0 = b[0] as number;
        let p1 = b[1] as number;
        for (let j = from; j < to; j++) {
          const base = bases[j] as number;
          const v = (values[j] as number) * scale;
          p0 = p0 + v * (W[base] as number);
          p1 = p1 + v * (W[base + 1] as number);
        }
        p[0] = p0;
        p[1] = p1;
      } else {
        for (let k = 0; k < K; k++) p[k] = b[k] as number;
        for (let j = from; j < to; j++) {
          const base = bases[j] as number;
          const v = (values[j] as number) * scale;
          for (let k = 0; k < K; k++) p[k] = (p[k] as number) + v * (W[base + k] as number);
        }
      }
      if (multiLabel) {
        for (let k = 0; k < K; k++) {
          const s = p[k] as number;
          const y = targets[i * K + k] as number;
          loss += sw * (Math.max(s, 0) - s * y + Math.log1p(Math.exp(-Math.abs(s))));
          p[k] = (1 / (1 + Math.exp(-s)) - y) * sw;
        }
      } else {
        // softmaxInPlace, inline
        let max = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < K; k++) if ((p[k] as number) > max) max = p[k] as number;
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const e = Math.exp((p[k] as number) - max);
          p[k] = e;
          sum += e;
        }
        for (let k = 0; k < K; k++) p[k] = (p[k] as number) / sum;
        const y = targets[i] as number;
        loss -= sw * Math.log(Math.max(p[y] as number, 1e-12));
        for (let k = 0; k < K; k++) p[k] = ((p[k] as number) - (k === y ? 1 : 0)) * sw;
      }
      scale *= 1 - eta * l2;
      if (scale < 1e-6) rescale();
      const stepSize = eta / scale;
      if (K === 2) {
        const g0 = p[0] as number;
        const g1 = p[1] as number;
        for (let j = from; j < to; j++) {
          const base = bases[j] as number;
          const v = (values[j] as number) * stepSize;
          W[base] = (W[base] as number) - v * g0;
          W[base + 1] = (W[base + 1] as number) - v * g1;
        }
      } else {
        for (let j = from; j < to; j++) {
          const base = bases[j] as number;
          const v = (values[j] as number) * stepSize;
          for (let k = 0; k < K; k++) W[base + k] = (W[base + k] as number) - v * (p[k] as number);
        }
      }
      for (let k = 0; k < K; k++) b[k] = (b[k] as number) - eta * (p[k] as number);
    }
    rescale();
    const mean = loss / n;
    if (!Number.isFinite(mean))
      throw new AppliedMLError('E_TRAINING_FAILED', 'Logistic regression diverged (non-finite loss); lower learningRate.');
    losses.push(mean);
    options.onEpochEnd?.(epoch, mean);
    // Also between epochs: the steps' turns come every 1,024 rows, so a set of fewer rows took none at all
    // (10,000 epochs of 200 texts held the event loop, and kept an abort unseen, for the whole training).
    if (epoch + 1 < options.epochs) await turns.turn();
  }
  rescale();
  return losses;
}

/**
 * Multinomial naive Bayes with Laplace/Lidstone smoothing `alpha` (multi-class only). Gives the event loop
 * a turn every ~50 ms (30,000 review-length rows held it for half a second); the same sums in the same order.
 */
export async function trainNaiveBayes(
  rows: SparseVector[],
  targets: Uint8Array,
  model: LinearModel,
  alpha: number,
  sampleWeights?: Float64Array,
  abort?: EventLoopAbort,
): Promise<void> {
  const K = model.classes;
  const F = model.features;
  const counts = new Float64Array(F * K);
  const classTotals = new Float64Array(K);
  const classDocs = new Float64Array(K);
  const turns = eventLoopTurns(50, abort);
  for (let i = 0; i < rows.length; i++) {
    if ((i & 1023) === 1023) await turns.turn();
    const x = rows[i] as SparseVector;
    const y = targets[i] as number;
    const sw = sampleWeights ? (sampleWeights[i] as number) : 1;
    classDocs[y] = (classDocs[y] as number) + sw;
    for (let j = 0; j < x.indices.length; j++) {
      const v = (x.values[j] as number) * sw;
      const at = (x.indices[j] as number) * K + y;
      counts[at] = (counts[at] as number) + v;
      classTotals[y] = (classTotals[y] as number) + v;
    }
  }
  const docs = classDocs.reduce((a, v) => a + v, 0);
  for (let k = 0; k < K; k++) {
    model.bias[k] = Math.log(Math.max(classDocs[k] as number, 1e-12) / docs);
    const denom = Math.log((classTotals[k] as number) + alpha * F);
    for (let f = 0; f < F; f++) {
      if ((f & 65535) === 65535) await turns.turn();
      model.weights[f * K + k] = Math.log((counts[f * K + k] as number) + alpha) - denom;
    }
  }
}
