import { accuracy, confusionMatrix, fitModel, predictBatched, tf, createRng, withSeededRandom } from '@appliedml/engine';
import type { FitOptions, Logger, TrainingReport } from '@appliedml/engine';
import type { DigitSet } from './mnist-data';
import { buildCnn, buildMlp, randomAffine } from './models';

export type ModelKind = 'mlp' | 'cnn';

export interface ExperimentOptions {
  epochs?: number;
  seed?: number;
  progress?: boolean | 'auto';
  logger?: Logger;
  /** Stops the training after its current step: runExperiment rejects E_ABORTED (fitModel's `signal`). */
  signal?: AbortSignal;
}

export interface ExperimentResult {
  kind: ModelKind;
  model: tf.LayersModel;
  report: TrainingReport;
  testAccuracy: number;
  confusion: number[][];
  trainSeconds: number;
}

/** The seed article's recipe and the engine's CNN recipe, as training options. */
export function recipe(kind: ModelKind, options: ExperimentOptions = {}): FitOptions {
  const seed = options.seed ?? 1;
  const common = {
    loss: 'categoricalCrossentropy' as const,
    seed,
    progress: options.progress ?? 'auto',
    progressLabel: kind.toUpperCase(),
  };
  if (kind === 'mlp') {
    // Keras defaults of the article: adam 1e-3, 10 epochs, batch 32, validation split 0.2.
    return { ...common, epochs: options.epochs ?? 10, batchSize: 32, validationSplit: 0.2, learningRate: 1e-3 };
  }
  return {
    ...common,
    epochs: options.epochs ?? 12,
    batchSize: 64,
    validationSplit: 0.1,
    learningRate: 2e-3,
    lrSchedule: { type: 'cosine' },
    augment: randomAffine({ shift: 2, rotation: 12, zoom: 0.1 }),
    earlyStopping: { patience: 5 },
  };
}

export function toTensors(set: DigitSet): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => ({
    x: tf.tensor2d(set.images, [set.count, 784]),
    y: tf.oneHot(tf.tensor1d(set.labels, 'int32'), 10).toFloat() as tf.Tensor2D,
  }));
}

/** Predicted class of every digit in `set`. */
export function classify(model: tf.LayersModel, set: DigitSet): Int32Array {
  const x = tf.tensor2d(set.images, [set.count, 784]);
  try {
    const { data } = predictBatched(model, x, { batchSize: 256 });
    const out = new Int32Array(set.count);
    for (let i = 0; i < set.count; i++) {
      let best = 0;
      for (let k = 1; k < 10; k++) if ((data[i * 10 + k] as number) > (data[i * 10 + best] as number)) best = k;
      out[i] = best;
    }
    return out;
  } finally {
    x.dispose();
  }
}

/** Train one model on the train split and measure it on the test split. */
export async function runExperiment(
  kind: ModelKind,
  train: DigitSet,
  test: DigitSet,
  options: ExperimentOptions = {},
): Promise<ExperimentResult> {
  const model = withSeededRandom(createRng(options.seed ?? 1), () => (kind === 'mlp' ? buildMlp() : buildCnn()));
  const { x, y } = toTensors(train);
  const started = performance.now();
  try {
    const report = await fitModel(model, x, y, {
      ...recipe(kind, options),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const trainSeconds = (performance.now() - started) / 1000;
    const predicted = classify(model, test);
    return {
      kind,
      model,
      report,
      testAccuracy: accuracy(test.labels, predicted),
      confusion: confusionMatrix(test.labels, predicted, 10),
      trainSeconds,
    };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    tf.dispose([x, y]);
  }
}
