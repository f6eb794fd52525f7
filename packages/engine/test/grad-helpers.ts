import * as tf from '#tfjs';
import { createRng, withSeededRandom } from '../src/random';
import type { LayerCase } from './layer-cases';
import type { LossFn } from '../src/train/losses';

export function seededTensor(shape: number[], seed: number, kind: 'float' | 'int' = 'float', vocab = 10): tf.Tensor {
  const rng = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  if (kind === 'int')
    return tf.tensor(
      Int32Array.from({ length: size }, () => Math.floor(rng.next() * vocab)),
      shape,
      'int32',
    );
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.next() * 2 - 1),
    shape,
    'float32',
  );
}

/** Gradients of a loss w.r.t. every trainable weight of `model`, computed on `backend`. */
export async function gradientsOn(
  backend: string,
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  loss: LossFn,
  seed = 7,
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads, value } = withSeededRandom(createRng(seed), () =>
    tf.variableGrads(() => tf.mean(loss(y, model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, vars),
  );
  const out = vars.map((v) => grads[v.name]!.dataSync() as Float32Array).map((a) => Float32Array.from(a));
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

/** max |a − b| over max |b|: the relative error the parity tests bound. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return diff / Math.max(scale, 1e-6);
}

export function caseInput(c: LayerCase, seed: number): tf.Tensor {
  return seededTensor(c.inputShape, seed, c.inputKind ?? 'float', c.vocab ?? 10);
}
