import * as tf from '#tfjs';
import { AppliedMLError } from '../errors';

export const OPTIMIZER_NAMES = ['adam', 'sgd', 'momentum', 'rmsprop'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/**
 * A new tfjs optimizer by name (`OPTIMIZER_NAMES`; `momentum` is Nesterov momentum 0.9) at the given
 * learning rate; an unknown name is E_INPUT_INVALID listing the valid ones.
 */
export function createOptimizer(name: OptimizerName, learningRate: number): tf.Optimizer {
  switch (name) {
    case 'adam':
      return tf.train.adam(learningRate);
    case 'sgd':
      return tf.train.sgd(learningRate);
    case 'momentum':
      return tf.train.momentum(learningRate, 0.9, true);
    case 'rmsprop':
      return tf.train.rmsprop(learningRate);
    default:
      throw new AppliedMLError('E_INPUT_INVALID', `Unknown optimizer '${String(name)}'. Valid: ${OPTIMIZER_NAMES.join(', ')}.`);
  }
}

/** Change an optimizer's learning rate in place (SGD caches it as a tensor; the others read a field). */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  const opt = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate?: number };
  if (typeof opt.setLearningRate === 'function') opt.setLearningRate(learningRate);
  else opt.learningRate = learningRate;
}
