import * as tf from '@tensorflow/tfjs';
import { fromBackendError } from '../device/backend-errors';
import { AppliedMLError } from '../errors';
import type { Logger } from '../logger';
import { eventLoopTurns } from './event-loop';
import { silentLogger } from '../logger';
import { createRng, permutation, withSeededRandom } from '../random';
import { bucketedOrder, checkBucketLengths } from './bucket-order';
import type { LossFn, LossName } from './losses';
import { resolveLoss } from './losses';
import type { LrSchedule } from './lr-schedule';
import { LrScheduler, checkLrSchedule } from './lr-schedule';
import type { OptimizerName } from './optimizers';
import { createOptimizer, setLearningRate } from './optimizers';
import { createProgress } from './progress';

export type Inputs = tf.Tensor | tf.Tensor[];

export interface EpochLogs {
  epoch: number;
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  learningRate: number;
  seconds: number;
}

export interface TrainingCallbacks {
  onEpochEnd?: (logs: EpochLogs) => void | Promise<void>;
  onBatchEnd?: (batch: number, epoch: number) => void | Promise<void>;
  /** Return true to stop after the current epoch. */
  shouldStop?: () => boolean;
}

export type Monitor = 'val_loss' | 'val_accuracy' | 'loss' | 'accuracy';

export interface EarlyStopping {
  monitor?: Monitor;
  patience: number;
  minDelta?: number;
  /** Put the best epoch's weights back at the end (default true). */
  restoreBestWeights?: boolean;
}

export interface FitOptions {
  epochs: number;
  batchSize?: number;
  loss: LossName | LossFn;
  optimizer?: OptimizerName | tf.Optimizer;
  learningRate?: number;
  lrSchedule?: LrSchedule;
  validationData?: { x: Inputs; y: tf.Tensor };
  /** Fraction of the rows held out for validation: the last rows, as Keras does. */
  validationSplit?: number;
  earlyStopping?: EarlyStopping;
  /** Weight per class index: multiplies each sample's loss (Keras `class_weight`). */
  classWeight?: number[] | Record<number, number>;
  /**
   * Weight per row of `x` (Keras `sample_weight`): multiplies that row's loss, with `classWeight` when
   * both are given; with `validationSplit` the held-out rows' weights go with them (as in Keras). For
   * multi-label targets, where a class index per row does not exist.
   */
  sampleWeight?: ArrayLike<number>;
  /** Report accuracy (classification losses do by default). */
  accuracy?: boolean;
  /** Same seed, same backend → same shuffles, dropout masks and result. */
  seed?: number;
  shuffle?: boolean;
  /**
   * Length of each training row (tokens, frames …): batch rows of similar length together (shuffled
   * pools sorted by length, batches in random order), so that `augment` can cut each batch to its
   * longest row. One length per row trained on (after `validationSplit` takes its rows). Ignored with
   * `shuffle: false`.
   */
  bucketBy?: ArrayLike<number>;
  /**
   * Called inside the training step on each batch (augmentation, or cutting padded rows); must return
   * a new tensor. `rows` are the batch's row indices into the training data, in batch order.
   */
  augment?: (x: tf.Tensor, rows: Int32Array) => tf.Tensor;
  /** Clip the global gradient norm (RNNs). */
  clipNorm?: number;
  callbacks?: TrainingCallbacks;
  /** A bar on a TTY ('auto', the default), always, or never. */
  progress?: boolean | 'auto';
  progressLabel?: string;
  logger?: Logger;
}

export interface TrainingReport {
  history: EpochLogs[];
  monitor: Monitor;
  bestEpoch: number;
  bestValue: number;
  stoppedEarly: boolean;
  restoredBestWeights: boolean;
  epochsRun: number;
  seconds: number;
  samplesPerSecond: number;
}

const CLASSIFICATION_LOSSES = new Set(['categoricalCrossentropy', 'sparseCategoricalCrossentropy', 'binaryCrossentropy']);

function rows(x: Inputs): number {
  const first = Array.isArray(x) ? x[0] : x;
  return first?.shape[0] ?? 0;
}

function gatherRows(x: Inputs, idx: tf.Tensor1D): Inputs {
  return Array.isArray(x) ? x.map((t) => tf.gather(t, idx)) : tf.gather(x, idx);
}

function sliceRows(x: Inputs, start: number, size: number): Inputs {
  const one = (t: tf.Tensor): tf.Tensor => tf.slice(t, [start, ...t.shape.slice(1).map(() => 0)], [size, ...t.shape.slice(1)]);
  return Array.isArray(x) ? x.map(one) : one(x);
}

/** Class index of each row of y: argmax for one-hot, the value for sparse or binary labels. */
function classIndex(y: tf.Tensor): tf.Tensor1D {
  if (y.rank >= 2 && (y.shape[y.rank - 1] ?? 1) > 1) return tf.argMax(y, -1).reshape([-1]) as tf.Tensor1D;
  return tf.cast(tf.reshape(tf.round(y), [-1]), 'int32') as tf.Tensor1D;
}

/** Number of correct predictions in a batch, as a scalar tensor. */
function correctCount(y: tf.Tensor, pred: tf.Tensor, sparse: boolean): tf.Scalar {
  if ((pred.shape[pred.rank - 1] ?? 1) === 1 && pred.rank >= 2) {
    return tf.sum(tf.cast(tf.equal(tf.greater(pred, 0.5), tf.greater(y, 0.5)), 'float32')) as tf.Scalar;
  }
  const want = sparse ? tf.cast(tf.reshape(y, [-1]), 'int32') : tf.argMax(y, -1);
  return tf.sum(tf.cast(tf.equal(tf.argMax(pred, -1), want), 'float32')) as tf.Scalar;
}

/** One finite, non-negative weight per training row. */
function checkSampleWeights(w: ArrayLike<number>, n: number): void {
  if (w === null || typeof w !== 'object' || typeof w.length !== 'number' || w.length !== n)
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `sampleWeight has ${String((w as ArrayLike<number> | null)?.length)} weights for ${n} rows.`,
    );
  for (let i = 0; i < n; i++) {
    const v = w[i];
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0))
      throw new AppliedMLError('E_INPUT_INVALID', `sampleWeight ${i} must be a non-negative number (got ${String(v)}).`);
  }
}

function classWeightTensor(weights: FitOptions['classWeight']): tf.Tensor1D | undefined {
  if (weights === undefined) return undefined;
  const entries = Array.isArray(weights)
    ? weights.map((w, i) => [i, w] as const)
    : Object.entries(weights).map(([k, w]) => [Number(k), w] as const);
  const size = Math.max(...entries.map(([k]) => k)) + 1;
  const values = new Float32Array(size).fill(1);
  for (const [k, w] of entries) {
    if (!Number.isInteger(k) || k < 0 || !Number.isFinite(w) || w < 0) {
      throw new AppliedMLError('E_INPUT_INVALID', `classWeight must map class indices to non-negative numbers (got ${k}: ${w}).`);
    }
    values[k] = w;
  }
  return tf.tensor1d(values);
}

function monitorValue(logs: EpochLogs, monitor: Monitor): number | undefined {
  switch (monitor) {
    case 'val_loss':
      return logs.valLoss;
    case 'val_accuracy':
      return logs.valAccuracy === undefined ? undefined : -logs.valAccuracy;
    case 'loss':
      return logs.loss;
    case 'accuracy':
      return logs.accuracy === undefined ? undefined : -logs.accuracy;
  }
}

function hasNonFinite(t: tf.Tensor): boolean {
  if (t.dtype !== 'float32') return false;
  return tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(t))).dataSync()[0] === 1);
}

function validateData(x: Inputs, y: tf.Tensor, what: string): void {
  const n = rows(x);
  for (const t of [...(Array.isArray(x) ? x : [x]), y]) {
    if (hasNonFinite(t))
      throw new AppliedMLError('E_INPUT_INVALID', `${what} contains NaN or Infinity; clean or impute it before training.`);
  }
  if (n === 0) throw new AppliedMLError('E_INPUT_INVALID', `${what}: there are no rows to train on.`);
  const all = Array.isArray(x) ? x : [x];
  for (const t of all) {
    if (t.shape[0] !== n)
      throw new AppliedMLError('E_SHAPE_MISMATCH', `${what}: inputs have different row counts (${t.shape[0]} vs ${n}).`);
  }
  if (y.shape[0] !== n) throw new AppliedMLError('E_SHAPE_MISMATCH', `${what}: ${n} input rows but ${y.shape[0]} targets.`);
}

/** Mean loss and accuracy over (x, y) in batches, without training. */
export function evaluateLoss(
  model: tf.LayersModel,
  x: Inputs,
  y: tf.Tensor,
  lossFn: LossFn,
  withAccuracy: boolean,
  sparse: boolean,
  batchSize = 256,
): { loss: number; accuracy?: number } {
  const n = rows(x);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const [l, c] = tf.tidy(() => {
      const xb = sliceRows(x, start, size);
      const yb = sliceRows(y, start, size) as tf.Tensor;
      const pred = model.apply(xb, { training: false }) as tf.Tensor;
      return [tf.sum(lossFn(yb, pred)), withAccuracy ? correctCount(yb, pred, sparse) : tf.scalar(0)];
    });
    lossSum += (l as tf.Tensor).dataSync()[0] as number;
    correct += (c as tf.Tensor).dataSync()[0] as number;
    tf.dispose([l, c]);
  }
  return withAccuracy ? { loss: lossSum / n, accuracy: correct / n } : { loss: lossSum / n };
}

/**
 * Train a tfjs Layers model: seeded shuffling, class weights, L1/L2 (from the layers' regularizers),
 * learning-rate schedules, validation, early stopping that restores the best weights, callbacks and
 * a progress bar. One tidy scope per step; the loss is read once per epoch, not per batch. The event
 * loop gets a turn at least every ~50 ms of training (timers, requests and health checks of the process
 * keep running); the model's weights change between those turns.
 */
export async function fitModel(model: tf.LayersModel, x: Inputs, y: tf.Tensor, options: FitOptions): Promise<TrainingReport> {
  const logger = options.logger ?? silentLogger;
  if (!Number.isInteger(options.epochs) || options.epochs < 1) {
    throw new AppliedMLError('E_INPUT_INVALID', `epochs must be a positive integer (got ${options.epochs}).`);
  }
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new AppliedMLError('E_INPUT_INVALID', `batchSize must be a positive integer (got ${batchSize}).`);
  // Before any tensor is made: a schedule's mistakes surface now, not at the epoch that first uses it.
  checkLrSchedule(options.lrSchedule, { learningRate: options.learningRate ?? 1e-3, epochs: options.epochs });
  validateData(x, y, 'training data');
  const lossFn = resolveLoss(options.loss);
  const lossName = typeof options.loss === 'string' ? options.loss : 'custom';
  const sparse = lossName === 'sparseCategoricalCrossentropy';
  const withAccuracy = options.accuracy ?? CLASSIFICATION_LOSSES.has(lossName);

  // Hold out the last rows for validation when asked (Keras convention).
  const owned: tf.Tensor[] = [];
  let trainX = x;
  let trainY = y;
  let val = options.validationData;
  if (val) validateData(val.x, val.y, 'validation data');
  else if (options.validationSplit !== undefined) {
    const split = options.validationSplit;
    if (!(split > 0 && split < 1)) throw new AppliedMLError('E_INPUT_INVALID', `validationSplit must be between 0 and 1 (got ${split}).`);
    const n = rows(x);
    const nVal = Math.floor(n * split);
    if (nVal < 1 || nVal >= n)
      throw new AppliedMLError('E_INPUT_INVALID', `validationSplit ${split} of ${n} rows leaves no rows on one side.`);
    trainX = sliceRows(x, 0, n - nVal);
    trainY = sliceRows(y, 0, n - nVal) as tf.Tensor;
    val = { x: sliceRows(x, n - nVal, nVal), y: sliceRows(y, n - nVal, nVal) as tf.Tensor };
    owned.push(...[trainX, trainY, val.x, val.y].flat());
  }
  const n = rows(trainX);
  try {
    if (options.bucketBy !== undefined) checkBucketLengths(options.bucketBy, n);
    if (options.sampleWeight !== undefined) checkSampleWeights(options.sampleWeight, rows(x));
  } catch (error) {
    tf.dispose(owned);
    throw error;
  }
  const monitor: Monitor = options.earlyStopping?.monitor ?? (val ? 'val_loss' : 'loss');
  if (monitor.startsWith('val_') && !val)
    throw new AppliedMLError('E_INPUT_INVALID', `Early stopping monitors ${monitor} but there is no validation data.`);

  const rng = createRng(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const learningRate = options.learningRate ?? 1e-3;
  const optimizer = typeof options.optimizer === 'object' ? options.optimizer : createOptimizer(options.optimizer ?? 'adam', learningRate);
  const ownsOptimizer = typeof options.optimizer !== 'object';
  const scheduler = new LrScheduler(options.lrSchedule, learningRate, options.epochs);
  const weightsByClass = classWeightTensor(options.classWeight);
  if (weightsByClass) owned.push(weightsByClass);
  let weightsByRow: tf.Tensor1D | undefined;
  if (options.sampleWeight !== undefined) {
    weightsByRow = tf.tensor1d(Float32Array.from(options.sampleWeight).subarray(0, n));
    owned.push(weightsByRow);
  }
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  // Layer constraints (maxNorm, nonNeg, …) are projections applied after every update, as in Keras.
  const constrained = model.trainableWeights
    .map((w) => ({
      variable: w.read() as tf.Variable,
      constraint: (w as unknown as { constraint?: { apply(x: tf.Tensor): tf.Tensor } }).constraint,
    }))
    .filter((c): c is { variable: tf.Variable; constraint: { apply(x: tf.Tensor): tf.Tensor } } => c.constraint != null);
  const progress = createProgress(options.progress ?? 'auto');
  const stepsPerEpoch = Math.ceil(n / batchSize);

  const history: EpochLogs[] = [];
  let best = Infinity;
  let bestEpoch = -1;
  let bestWeights: tf.Tensor[] | undefined;
  let waited = 0;
  let stoppedEarly = false;
  const started = performance.now();
  // The steps run synchronously: the event loop gets a turn every ~50 ms, so a service that trains in
  // its own process keeps answering (health checks, other requests) while it trains.
  const turns = eventLoopTurns(50);
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const t0 = performance.now();
      const lr = scheduler.atEpochStart(epoch);
      setLearningRate(optimizer, lr);
      const order =
        options.shuffle === false
          ? Int32Array.from({ length: n }, (_, i) => i)
          : options.bucketBy !== undefined
            ? bucketedOrder(options.bucketBy, batchSize, rng)
            : permutation(n, rng);
      let lossSum: tf.Scalar = tf.scalar(0);
      let correctSum: tf.Scalar = tf.scalar(0);
      progress.start(stepsPerEpoch, `${options.progressLabel ?? 'train'} epoch ${epoch + 1}/${options.epochs}`);
      for (let step = 0; step < stepsPerEpoch; step++) {
        const begin = step * batchSize;
        const size = Math.min(batchSize, n - begin);
        const [nextLoss, nextCorrect] = withSeededRandom(rng, () =>
          tf.tidy(() => {
            const rowsOfBatch = order.subarray(begin, begin + size);
            const idx = tf.tensor1d(rowsOfBatch, 'int32');
            let xb = gatherRows(trainX, idx);
            const yb = tf.gather(trainY, idx);
            if (options.augment) xb = Array.isArray(xb) ? xb : options.augment(xb, rowsOfBatch);
            let sampleWeights: tf.Tensor | undefined = weightsByClass ? tf.gather(weightsByClass, classIndex(yb)) : undefined;
            if (weightsByRow)
              sampleWeights = sampleWeights ? tf.mul(sampleWeights, tf.gather(weightsByRow, idx)) : tf.gather(weightsByRow, idx);
            let correct: tf.Scalar = tf.scalar(0);
            const { value, grads } = tf.variableGrads(() => {
              const pred = model.apply(xb, { training: true }) as tf.Tensor;
              if (withAccuracy) correct = tf.keep(correctCount(yb, pred, sparse));
              let perSample = lossFn(yb, pred);
              if (sampleWeights) perSample = tf.mul(perSample, sampleWeights);
              let loss = tf.mean(perSample) as tf.Scalar;
              const reg = model.calculateLosses();
              if (reg.length > 0) loss = tf.add(loss, tf.addN(reg)) as tf.Scalar;
              return loss;
            }, trainable);
            let g = grads;
            if (options.clipNorm !== undefined) {
              const names = Object.keys(grads);
              const norm = tf.sqrt(tf.addN(names.map((k) => tf.sum(tf.square(grads[k] as tf.Tensor)))));
              const scale = tf.minimum(1, tf.div(options.clipNorm, tf.add(norm, 1e-12)));
              g = Object.fromEntries(names.map((k) => [k, tf.mul(grads[k] as tf.Tensor, scale)]));
            }
            optimizer.applyGradients(g);
            for (const { variable, constraint } of constrained) variable.assign(constraint.apply(variable));
            const correctTotal = tf.add(correctSum, correct);
            if (withAccuracy) correct.dispose();
            return [tf.add(lossSum, tf.mul(value, size)), correctTotal];
          }),
        );
        lossSum.dispose();
        correctSum.dispose();
        lossSum = nextLoss as tf.Scalar;
        correctSum = nextCorrect as tf.Scalar;
        progress.update(step + 1);
        if (options.callbacks?.onBatchEnd) await options.callbacks.onBatchEnd(step, epoch);
        await turns.turn();
      }
      const loss = (lossSum.dataSync()[0] as number) / n;
      const correct = correctSum.dataSync()[0] as number;
      tf.dispose([lossSum, correctSum]);
      if (!Number.isFinite(loss)) {
        throw new AppliedMLError(
          'E_TRAINING_FAILED',
          `Training diverged at epoch ${epoch + 1} (loss ${loss}). Lower the learning rate, scale the inputs, or check them for NaN/Infinity.`,
          { details: { epoch: epoch + 1, learningRate: lr } },
        );
      }
      const logs: EpochLogs = { epoch, loss, learningRate: lr, seconds: 0 };
      if (withAccuracy) logs.accuracy = correct / n;
      if (val) {
        const v = evaluateLoss(model, val.x, val.y, lossFn, withAccuracy, sparse);
        logs.valLoss = v.loss;
        if (v.accuracy !== undefined) logs.valAccuracy = v.accuracy;
      }
      logs.seconds = (performance.now() - t0) / 1000;
      history.push(logs);
      progress.update(stepsPerEpoch, {
        loss: loss.toFixed(4),
        ...(logs.accuracy !== undefined ? { acc: logs.accuracy.toFixed(4) } : {}),
        ...(logs.valLoss !== undefined ? { val_loss: logs.valLoss.toFixed(4) } : {}),
        ...(logs.valAccuracy !== undefined ? { val_acc: logs.valAccuracy.toFixed(4) } : {}),
      });
      progress.stop();
      logger.debug('epoch', { ...logs });
      if (options.callbacks?.onEpochEnd) await options.callbacks.onEpochEnd(logs);

      const value = monitorValue(logs, monitor) ?? Infinity;
      scheduler.atEpochEnd(value);
      if (value < best - (options.earlyStopping?.minDelta ?? 0)) {
        best = value;
        bestEpoch = epoch;
        waited = 0;
        if (options.earlyStopping && options.earlyStopping.restoreBestWeights !== false) {
          tf.dispose(bestWeights ?? []);
          bestWeights = model.getWeights().map((w) => w.clone());
        }
      } else if (options.earlyStopping && ++waited > options.earlyStopping.patience) {
        stoppedEarly = true;
        logger.info(`early stopping after epoch ${epoch + 1}; best was epoch ${bestEpoch + 1}`);
        break;
      }
      if (options.callbacks?.shouldStop?.()) break;
    }
    let restored = false;
    if (bestWeights && bestEpoch !== history.length - 1) {
      model.setWeights(bestWeights);
      restored = true;
    }
    const seconds = (performance.now() - started) / 1000;
    const lastLogs = history[history.length - 1];
    return {
      history,
      monitor,
      bestEpoch,
      bestValue: monitor.endsWith('accuracy') ? -best : best,
      stoppedEarly,
      restoredBestWeights: restored,
      epochsRun: history.length,
      seconds,
      samplesPerSecond: lastLogs ? (n * history.length) / seconds : 0,
    };
  } catch (error) {
    throw fromBackendError(error, 'training');
  } finally {
    progress.stop();
    tf.dispose(bestWeights ?? []);
    tf.dispose(owned);
    if (ownsOptimizer) optimizer.dispose();
  }
}
