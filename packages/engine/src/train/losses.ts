import * as tf from '#tfjs';
import { AppliedMLError } from '../errors';

/** Per-sample loss: yTrue and yPred in, one value per sample out. */
export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

export const LOSS_NAMES = [
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'binaryCrossentropy',
  'meanSquaredError',
  'meanAbsoluteError',
  'huber',
] as const;
export type LossName = (typeof LOSS_NAMES)[number];

const EPSILON = 1e-7;

function lastAxisMean(t: tf.Tensor): tf.Tensor {
  return t.rank <= 1 ? t : tf.mean(t, -1);
}

/** Loss functions, Keras conventions (probabilities in, clipped at 1e-7; Huber δ = 1). */
export const LOSSES: Record<LossName, LossFn> = {
  categoricalCrossentropy: (yTrue, yPred) => tf.neg(tf.sum(tf.mul(yTrue, tf.log(tf.clipByValue(yPred, EPSILON, 1 - EPSILON))), -1)),
  sparseCategoricalCrossentropy: (yTrue, yPred) => {
    const depth = yPred.shape[yPred.rank - 1] ?? 1;
    const labels = tf.cast(tf.reshape(yTrue, [-1]), 'int32');
    const oneHot = tf.oneHot(labels, depth);
    return tf.neg(tf.sum(tf.mul(oneHot, tf.log(tf.clipByValue(tf.reshape(yPred, [-1, depth]), EPSILON, 1 - EPSILON))), -1));
  },
  binaryCrossentropy: (yTrue, yPred) => {
    const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON);
    const ll = tf.add(tf.mul(yTrue, tf.log(p)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, p))));
    return lastAxisMean(tf.neg(ll));
  },
  meanSquaredError: (yTrue, yPred) => lastAxisMean(tf.squaredDifference(yTrue, yPred)),
  meanAbsoluteError: (yTrue, yPred) => lastAxisMean(tf.abs(tf.sub(yTrue, yPred))),
  huber: (yTrue, yPred) => {
    const err = tf.abs(tf.sub(yTrue, yPred));
    const quadratic = tf.minimum(err, 1);
    return lastAxisMean(tf.add(tf.mul(0.5, tf.square(quadratic)), tf.sub(err, quadratic)));
  },
};

/**
 * The loss function for a loss name (`LOSS_NAMES`), or a custom loss function as given; an unknown name
 * is E_INPUT_INVALID listing the valid ones.
 */
export function resolveLoss(loss: LossName | LossFn): LossFn {
  if (typeof loss === 'function') return loss;
  // Own names only: 'constructor' or 'toString' would find Object.prototype's members.
  const fn = typeof loss === 'string' && Object.hasOwn(LOSSES, loss) ? LOSSES[loss] : undefined;
  if (!fn) {
    throw new AppliedMLError('E_INPUT_INVALID', `Unknown loss '${String(loss)}'. Valid losses: ${LOSS_NAMES.join(', ')}, or a function.`);
  }
  return fn;
}
