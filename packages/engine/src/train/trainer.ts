import * as tf from '#tfjs';
import { checkSignalOption, throwIfAborted } from '../abort';
import { fromBackendError } from '../device/backend-errors';
import { AppliedMLError, describeValue } from '../errors';
import { checkIntegerOption, checkKnownKeys, checkNumberOption, checkProgressOption } from '../option-checks';
import { refuseNonFinite } from '../finite-check';
import { checkLayersModel, checkTensor } from '../tensor-checks';
import type { Logger } from '../logger';
import { eventLoopTurns } from './event-loop';
import { silentLogger } from '../logger';
import { createRng, permutation, withSeededRandom } from '../random';
import { bucketedOrder, checkBucketLengths } from './bucket-order';
import type { LossFn, LossName } from './losses';
import { LOSSES, LOSS_NAMES, resolveLoss } from './losses';
import type { LrSchedule } from './lr-schedule';
import { LrScheduler, checkLrSchedule } from './lr-schedule';
import type { OptimizerName } from './optimizers';
import { OPTIMIZER_NAMES, createOptimizer, setLearningRate } from './optimizers';
import { createProgress } from './progress';

export type Inputs = tf.Tensor | tf.Tensor[];

export interface EpochLogs {
  epoch: number;
  /**
   * The epoch's training loss: the mean over its rows of each batch's loss, each measured in training
   * mode (dropout on) before that batch's update, so while the weights moved; it includes the class and
   * sample weights and the layers' L1/L2 penalties. Not the loss of the weights the epoch ends with.
   */
  loss: number;
  /** The epoch's training accuracy, measured like `loss`: batch by batch, before each update. */
  accuracy?: number;
  /**
   * The validation loss of the weights the epoch ends with (inference mode, unweighted, without the
   * L1/L2 penalties).
   */
  valLoss?: number;
  /** The validation accuracy of the weights the epoch ends with. */
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

/**
 * The name a `TrainingReport` gives the value its `bestEpoch` and `bestValue` follow: a `Monitor` (all
 * fitModel itself reports), or a validation metric an SDK selected its kept epoch on when it runs its
 * own selection around fitModel: 'val_auc' (validation ROC AUC) or 'val_dice' (mean validation Dice),
 * both higher is better. fitModel cannot compute these two: `EarlyStopping.monitor` refuses them.
 */
export type ReportMonitor = Monitor | 'val_auc' | 'val_dice';

export interface EarlyStopping {
  /**
   * The value watched: 'val_loss' (the default with validation data), 'val_accuracy', 'loss' (the
   * default without) or 'accuracy'. An epoch is an improvement when its value beats the best so far
   * by more than `minDelta` (lower for a loss, higher for an accuracy); the best epoch's weights are a
   * copy taken at the end of that epoch.
   *
   * The validation monitors measure exactly those weights (after the epoch's last update), so the
   * weights kept are the ones that scored `bestValue`. The training monitors do not: an epoch's
   * 'loss' (and 'accuracy') is the mean over its batches, each measured before its own update while
   * the weights moved (see `EpochLogs.loss`), so the copy kept for the best epoch, taken after its
   * last update, was never measured, and `bestValue` is that epoch's running mean, not the kept
   * weights' loss (usually a little above it while the loss still falls; with a large learning rate or
   * dropout it can be either side). Keras's EarlyStopping does the same. When the restored weights
   * matter, give validation data (`validationData` or `validationSplit`) and monitor 'val_loss' or
   * 'val_accuracy'.
   */
  monitor?: Monitor;
  /**
   * How many epochs in a row without an improvement are tolerated: the next one stops training, so a
   * fit stops after `patience + 1` epochs without one (0: at the first). Keras's `patience` counts
   * that stopping epoch (for n ≥ 1, Keras `patience: n` stops where this `patience: n - 1` does).
   */
  patience: number;
  /** How much an epoch must beat the best value by to count as an improvement (default 0). */
  minDelta?: number;
  /**
   * Put the best epoch's weights back at the end (default true), whether or not training stopped
   * early; also when training diverges (the best epoch's, or the initial weights before any).
   */
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
  /**
   * Weight per class index: multiplies each sample's loss (Keras `class_weight`). An SDK's option by label
   * name (`'balanced'` or `{ label: weight }`) becomes this list through `resolveClassWeights`.
   */
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
   * a new tensor with the batch's rows that fits the model's input (checked on every batch:
   * E_INPUT_INVALID / E_SHAPE_MISMATCH). `rows` are the batch's row indices into the training data, in
   * batch order. Single-input x only: with an array x it is refused (E_INPUT_INVALID).
   */
  augment?: (x: tf.Tensor, rows: Int32Array) => tf.Tensor;
  /** Clip the global gradient norm (RNNs). */
  clipNorm?: number;
  callbacks?: TrainingCallbacks;
  /**
   * Stops the fit when aborted (`AbortController`, `AbortSignal.timeout(ms)`): seen before the first
   * step and at every step's event-loop turn (every ~50 ms of work; a step itself, one batch forward and
   * backward, is not cut, so a long step delays it), the fit rejects with E_ABORTED
   * (`cause`: the signal's reason) and the model's weights are put back to what they were before the
   * call (unless `restoreOnAbort` is false). A `tf.Optimizer` passed in keeps the state its steps gave it.
   */
  signal?: AbortSignal;
  /**
   * The call an abort's E_ABORTED names (default 'fitModel'): an SDK that trains through fitModel passes
   * its own, e.g. 'TextClassifier.train', so the message reads 'TextClassifier.train stopped: its signal
   * was aborted.' A non-empty string of at most 200 characters (else E_INPUT_INVALID).
   */
  what?: string;
  /**
   * With a `signal`: put the model's weights back to what they were before the call when the fit aborts
   * (default true). Keeping them costs a copy of the weights for the whole fit; a caller that discards an
   * aborted model (an SDK training a network it built for the call) passes false.
   */
  restoreOnAbort?: boolean;
  /** A bar on a TTY ('auto', the default), always, or never. */
  progress?: boolean | 'auto';
  progressLabel?: string;
  logger?: Logger;
}

/** What fitModel did. */
export interface TrainingReport {
  /** One entry per epoch run: its loss, accuracy, validation values, learning rate and time. */
  history: EpochLogs[];
  /**
   * The value early stopping and `bestEpoch` follow (see `EarlyStopping.monitor`). fitModel's own report
   * always holds a `Monitor`; an SDK that selects its epoch on a validation metric fitModel does not
   * compute names it here ('val_auc', 'val_dice': see `ReportMonitor`).
   */
  monitor: ReportMonitor;
  /** The 0-based epoch with the best monitored value (-1 when no epoch gave a finite one). */
  bestEpoch: number;
  /** The monitored value at `bestEpoch` (accuracies, AUC and Dice as themselves, not negated). */
  bestValue: number;
  /** Training ended before `epochs`: by early stopping or by `callbacks.shouldStop` (`stoppedBy` says which). */
  stoppedEarly: boolean;
  /** Why training ended before `epochs`; absent when every epoch ran. */
  stoppedBy?: 'earlyStopping' | 'shouldStop';
  /** The best epoch's weights were put back (early stopping with `restoreBestWeights`, the best not the last). */
  restoredBestWeights: boolean;
  /** Epochs run (`history.length`). */
  epochsRun: number;
  /** Wall time of the whole fit, in seconds. */
  seconds: number;
  /** Training rows processed per second over the fit (rows × epochs run / seconds). */
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

/** `shape` against a symbolic one: same rank, and each dimension the model fixes (but the rows) equal. */
function fitsShape(shape: readonly number[], want: readonly (number | null | undefined)[]): boolean {
  return shape.length === want.length && want.every((d, k) => k === 0 || d === null || d === undefined || d === shape[k]);
}

function shapeText(shape: readonly (number | null | undefined)[]): string {
  return shape.map((d) => d ?? 'any').join('×');
}

/**
 * x against the model's inputs and y against its output, before any tensor work: a rank-1 y for an
 * (n, 1) output used to broadcast (a wrong validation loss) or fail in the gradient with an untyped
 * error. Sparse labels have the output's shape without its class axis (or with 1 there); a custom loss
 * defines its own targets, so only its row count is checked.
 */
function checkShapes(model: tf.LayersModel, x: Inputs, y: tf.Tensor, lossName: string, what: string, augmented = false): void {
  const inputs = Array.isArray(x) ? x : [x];
  inputs.forEach((t, i) => checkTensor(t, `${what} x${inputs.length > 1 ? `[${i}]` : ''}`));
  checkTensor(y, `${what} y`);
  // augment makes the model's input out of x (it may cut or reshape it): its result is checked per batch instead.
  const xFixed = !(augmented && !Array.isArray(x));
  if (xFixed && inputs.length !== model.inputs.length)
    throw new AppliedMLError('E_SHAPE_MISMATCH', `${what}: the model takes ${model.inputs.length} input(s); got ${inputs.length}.`);
  inputs.forEach((t, i) => {
    const want = model.inputs[i]?.shape ?? [];
    if (xFixed && !fitsShape(t.shape, want))
      throw new AppliedMLError('E_SHAPE_MISMATCH', `${what}: input ${i} is ${t.shape.join('×')}; the model takes ${shapeText(want)}.`, {
        details: { input: i, shape: t.shape, expected: want },
      });
  });
  // fitModel and evaluateLoss refuse a model of several outputs before this: the one output's shape.
  const out = model.outputs[0]?.shape;
  if (!out || lossName === 'custom') return;
  const fits =
    lossName === 'sparseCategoricalCrossentropy'
      ? fitsShape(y.shape, out.slice(0, -1)) || fitsShape(y.shape, [...out.slice(0, -1), 1])
      : fitsShape(y.shape, out);
  if (!fits)
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `${what}: y is ${y.shape.join('×')} but the model's output is ${shapeText(out)}` +
        (lossName === 'sparseCategoricalCrossentropy'
          ? ` (sparse labels: one class index per output row, ${shapeText(out.slice(0, -1))}).`
          : `; ${lossName} needs y of the output's shape${y.rank + 1 === out.length ? ' (reshape y to add the last axis)' : ''}.`),
      { details: { shape: y.shape, expected: out } },
    );
}

/** Number of classes the model tells apart: its output's last axis (2 for one sigmoid unit). */
function classCount(model: tf.LayersModel, y: tf.Tensor): number {
  const last = model.outputs[0]?.shape.at(-1) ?? y.shape.at(-1) ?? 1;
  return last > 1 ? last : 2;
}

/**
 * Labels within what the loss defines, in one pass over y's values: sparse labels are integers in
 * [0, K) (labels 1..K for K classes, the usual off-by-one, trained as zero loss), binary and categorical
 * targets are in [0, 1]. `index` in an error is the flat position among y's values.
 */
function checkLabels(y: tf.Tensor, lossName: string, classes: number, what: string): void {
  if (lossName !== 'sparseCategoricalCrossentropy' && lossName !== 'binaryCrossentropy' && lossName !== 'categoricalCrossentropy') return;
  const values = y.dataSync();
  const sparse = lossName === 'sparseCategoricalCrossentropy';
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    const ok = sparse ? Number.isInteger(v) && v >= 0 && v < classes : v >= 0 && v <= 1;
    if (!ok)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `${what}: label ${i} is ${v}; ${lossName} needs ${sparse ? `integer class indices in [0, ${classes - 1}] (the model has ${classes} outputs)` : 'values in [0, 1]'}.`,
        { details: { index: i, value: v } },
      );
  }
}

/** Class index of each row of y on the CPU (argmax for one-hot, the rounded value otherwise), read once. */
function classIndices(y: tf.Tensor): Int32Array {
  const values = y.dataSync();
  const n = y.shape[0] ?? 0;
  const width = n === 0 ? 0 : values.length / n;
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    if (width > 1) {
      let best = 0;
      for (let k = 1; k < width; k++) if ((values[r * width + k] as number) > (values[r * width + best] as number)) best = k;
      out[r] = best;
    } else out[r] = Math.round(values[r] as number);
  }
  return out;
}

/**
 * classWeight as one weight per class index in [0, classes). A class the map leaves out weighs 1 (so
 * `{1: 10}` up-weights the rare class only; Keras would refuse the map instead). Empty maps, holes,
 * null, non-finite or negative weights and indices beyond the model's classes are refused.
 */
function classWeightValues(weights: unknown, classes: number): Float32Array {
  const refuse = (why: string): never => {
    throw new AppliedMLError('E_INPUT_INVALID', `classWeight ${why}.`, { details: { field: 'classWeight' } });
  };
  if (weights === null || typeof weights !== 'object')
    refuse(`must be a list or an object of weights by class index (got ${describeValue(weights)})`);
  const entries: [string, unknown][] = Array.isArray(weights)
    ? Array.from({ length: weights.length }, (_, i) => [String(i), (weights as unknown[])[i]])
    : Object.entries(weights as object);
  if (entries.length === 0) refuse('is empty: give a weight for at least one class');
  const values = new Float32Array(classes).fill(1);
  for (const [key, w] of entries) {
    const k = Number(key);
    if (!Number.isInteger(k) || k < 0 || k >= classes)
      refuse(`has class ${describeValue(key)}; the model has ${classes} classes (indices 0 to ${classes - 1})`);
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0)
      refuse(`of class ${k} must be a non-negative number (got ${describeValue(w)})`);
    values[k] = w as number;
  }
  return values;
}

/**
 * The gradient tape of a step that threw keeps the tensors its kernels saved for the backward pass
 * (tfjs frees them only after a backward pass that completes): drop them, so a throwing loss, augment
 * or shape error leaks nothing.
 */
function dropAbandonedTape(): void {
  const state = (tf.engine() as unknown as { state?: { activeTape?: { saved?: tf.Tensor[] }[] | null; gradientDepth?: number } }).state;
  if (!state || state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
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

/** Finite values, at least one row, one row count: fitModel's data (`to` 'train'), evaluateLoss's ('evaluate'). */
function validateData(x: Inputs, y: tf.Tensor, what: string, to: 'train' | 'evaluate' = 'train'): void {
  const n = rows(x);
  const xs = Array.isArray(x) ? x : [x];
  const before = to === 'train' ? 'before training' : 'before evaluating';
  refuseNonFinite(xs, `${what} x`, `clean or impute it ${before}`);
  refuseNonFinite([y], `${what} y`, `clean or impute it ${before}`);
  if (n === 0) throw new AppliedMLError('E_INPUT_INVALID', `${what}: there are no rows to ${to === 'train' ? 'train on' : 'evaluate'}.`);
  for (const t of xs) {
    if (t.shape[0] !== n)
      throw new AppliedMLError('E_SHAPE_MISMATCH', `${what}: inputs have different row counts (${t.shape[0]} vs ${n}).`);
  }
  if (y.shape[0] !== n) throw new AppliedMLError('E_SHAPE_MISMATCH', `${what}: ${n} input rows but ${y.shape[0]} targets.`);
}

/** Mean loss and accuracy over (x, y) in batches, without training; fitModel's validation, its inputs checked once. */
function lossOver(
  model: tf.LayersModel,
  x: Inputs,
  y: tf.Tensor,
  lossFn: LossFn,
  withAccuracy: boolean,
  sparse: boolean,
  batchSize = 256,
): { loss: number; accuracy?: number } {
  checkIntegerOption('batchSize', batchSize, 1, Number.MAX_SAFE_INTEGER, false);
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

export interface EvaluateOptions {
  /** A loss name (as fitModel's) or a loss function. */
  loss: LossName | LossFn;
  /** Also count correct predictions; default true for the classification losses. */
  accuracy?: boolean;
  /** Rows per step, default 256. */
  batchSize?: number;
}

const EVALUATE_KEYS = Object.keys({ loss: 1, accuracy: 1, batchSize: 1 } satisfies Record<keyof EvaluateOptions, 1>);

/**
 * Mean loss (and accuracy) of `model` over (x, y) in batches, without training, checked as fitModel
 * checks its data: the model (one output), x against its inputs and y against its output for the loss
 * (E_SHAPE_MISMATCH), NaN or Infinity and labels outside the loss's range (E_INPUT_INVALID), an unknown
 * loss or option name. Sparse labels follow from the loss (`sparseCategoricalCrossentropy`).
 *
 * The positional form `(model, x, y, loss, withAccuracy, sparse, batchSize?)` still works (deprecated):
 * its `loss` may now be a name too, and a `sparse` that contradicts a known loss is E_INPUT_INVALID
 * (sparse labels with `sparse: false` counted a wrong accuracy).
 */
export function evaluateLoss(model: tf.LayersModel, x: Inputs, y: tf.Tensor, options: EvaluateOptions): { loss: number; accuracy?: number };
/** @deprecated Pass `{ loss, accuracy, batchSize }`: the loss says whether labels are sparse. */
export function evaluateLoss(
  model: tf.LayersModel,
  x: Inputs,
  y: tf.Tensor,
  loss: LossName | LossFn,
  withAccuracy: boolean,
  sparse: boolean,
  batchSize?: number,
): { loss: number; accuracy?: number };
export function evaluateLoss(
  model: tf.LayersModel,
  x: Inputs,
  y: tf.Tensor,
  lossOrOptions: EvaluateOptions | LossName | LossFn,
  withAccuracy?: boolean,
  sparse?: boolean,
  batchSize?: number,
): { loss: number; accuracy?: number } {
  const positional = typeof lossOrOptions === 'function' || typeof lossOrOptions === 'string';
  if (!positional) {
    checkKnownKeys('evaluateLoss options', lossOrOptions, EVALUATE_KEYS);
    if (lossOrOptions === undefined || lossOrOptions === null)
      throw new AppliedMLError('E_INPUT_INVALID', 'evaluateLoss needs options (at least loss).', { details: { field: 'options' } });
  }
  const options: EvaluateOptions = positional ? { loss: lossOrOptions, accuracy: withAccuracy, batchSize } : lossOrOptions;
  checkLayersModel(model, 'evaluateLoss');
  if (model.outputs.length !== 1)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `evaluateLoss supports single-output models; this one has ${model.outputs.length} outputs.`,
      {
        details: { field: 'model', outputs: model.outputs.length },
      },
    );
  const lossFn = resolveLoss(options.loss);
  const lossName = typeof options.loss === 'string' ? options.loss : (LOSS_NAMES.find((n) => LOSSES[n] === options.loss) ?? 'custom');
  const sparseLoss = lossName === 'sparseCategoricalCrossentropy';
  if (positional && lossName !== 'custom' && sparse !== undefined && Boolean(sparse) !== sparseLoss)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `evaluateLoss: sparse is ${String(sparse)} but ${lossName} takes ${sparseLoss ? 'sparse class indices' : "targets of the output's shape"}; pass { loss } and the loss decides.`,
      { details: { field: 'sparse' } },
    );
  const accuracy = options.accuracy ?? CLASSIFICATION_LOSSES.has(lossName);
  if (typeof accuracy !== 'boolean')
    throw new AppliedMLError('E_INPUT_INVALID', `evaluateLoss accuracy must be true or false (got ${describeValue(accuracy)}).`, {
      details: { field: 'accuracy' },
    });
  const size = options.batchSize ?? 256;
  checkIntegerOption('batchSize', size, 1, Number.MAX_SAFE_INTEGER, false);
  checkShapes(model, x, y, lossName, 'evaluateLoss');
  validateData(x, y, 'evaluateLoss', 'evaluate');
  checkLabels(y, lossName, model.outputs[0]?.shape.at(-1) ?? 1, 'evaluateLoss');
  const isSparse = sparseLoss || (lossName === 'custom' && sparse === true);
  try {
    return lossOver(model, x, y, lossFn, accuracy, isSparse, size);
  } catch (error) {
    if (AppliedMLError.isInstance(error)) throw error;
    throw fromBackendError(error, 'evaluation');
  }
}

/** The names fitModel takes: a misspelt one (`validationsplit`, `earlyStop`) was ignored without a word. */
const FIT_KEYS = Object.keys({
  epochs: 1,
  batchSize: 1,
  loss: 1,
  optimizer: 1,
  learningRate: 1,
  lrSchedule: 1,
  validationData: 1,
  validationSplit: 1,
  earlyStopping: 1,
  classWeight: 1,
  sampleWeight: 1,
  accuracy: 1,
  seed: 1,
  shuffle: 1,
  bucketBy: 1,
  augment: 1,
  clipNorm: 1,
  callbacks: 1,
  signal: 1,
  what: 1,
  restoreOnAbort: 1,
  progress: 1,
  progressLabel: 1,
  logger: 1,
} satisfies Record<keyof FitOptions, 1>);
const EARLY_STOPPING_KEYS = Object.keys({ monitor: 1, patience: 1, minDelta: 1, restoreBestWeights: 1 } satisfies Record<
  keyof EarlyStopping,
  1
>);
const CALLBACK_KEYS = Object.keys({ onEpochEnd: 1, onBatchEnd: 1, shouldStop: 1 } satisfies Record<keyof TrainingCallbacks, 1>);

/**
 * Train a tfjs Layers model: seeded shuffling, class weights, L1/L2 (from the layers' regularizers),
 * learning-rate schedules, validation, early stopping that restores the best weights, callbacks and
 * a progress bar. One tidy scope per step; the loss is read once per epoch, not per batch. The event
 * loop gets a turn at least every ~50 ms of training (timers, requests and health checks of the process
 * keep running); the model's weights change between those turns.
 *
 * Everything is checked before the first tensor is made: `x` against the model's inputs and `y` (and
 * the validation data) against its output (E_SHAPE_MISMATCH; a custom loss defines its own targets, so
 * only their rows are checked; a model with several outputs is E_INPUT_INVALID), class labels against the loss (E_INPUT_INVALID), and the options. A
 * call that throws leaves no tensor behind. When training diverges with `earlyStopping` (and
 * `restoreBestWeights`, the default) the best epoch's weights, or the initial ones, are put back first.
 */
export async function fitModel(model: tf.LayersModel, x: Inputs, y: tf.Tensor, options: FitOptions): Promise<TrainingReport> {
  checkKnownKeys('fitModel options', options, FIT_KEYS);
  if (options === undefined || options === null)
    throw new AppliedMLError('E_INPUT_INVALID', 'fitModel needs options (at least epochs and loss).', { details: { field: 'options' } });
  checkLayersModel(model, 'fitModel');
  if (!Array.isArray(model.trainableWeights) || model.trainableWeights.length === 0)
    throw new AppliedMLError('E_INPUT_INVALID', 'fitModel: the model has no trainable weights (every layer is frozen); nothing to train.', {
      details: { field: 'model' },
    });
  // One y, one loss: a model with several outputs failed deep in the step with a TypeError.
  if (model.outputs.length !== 1)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `fitModel supports single-output models; this one has ${model.outputs.length} outputs. Train each head as its own model, or join them into one output (tf.layers.concatenate).`,
      { details: { field: 'model', outputs: model.outputs.length } },
    );
  checkCallbackOptions(options);
  const signal = checkSignalOption(options.signal);
  const what = checkWhatOption(options.what);
  if (options.restoreOnAbort !== undefined && typeof options.restoreOnAbort !== 'boolean')
    throw new AppliedMLError('E_INPUT_INVALID', `restoreOnAbort must be true or false (got ${describeValue(options.restoreOnAbort)}).`, {
      details: { field: 'restoreOnAbort' },
    });
  const logger = options.logger ?? silentLogger;
  if (!Number.isInteger(options.epochs) || options.epochs < 1) {
    throw new AppliedMLError('E_INPUT_INVALID', `epochs must be a positive integer (got ${options.epochs}).`);
  }
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new AppliedMLError('E_INPUT_INVALID', `batchSize must be a positive integer (got ${batchSize}).`);
  checkNumberOption('learningRate', options.learningRate, 0, Number.MAX_VALUE, { open: 'min' });
  checkNumberOption('clipNorm', options.clipNorm, 0, Number.MAX_VALUE, { open: 'min' });
  // 'false' or a function was read by its truthiness: a bar drawn on a service's stderr.
  checkProgressOption('progress', options.progress);
  if (options.augment !== undefined && typeof options.augment !== 'function')
    throw new AppliedMLError('E_INPUT_INVALID', `augment must be a function (got ${describeValue(options.augment)}).`, {
      details: { field: 'augment' },
    });
  // The hook takes one tensor: with several inputs it was skipped without a word.
  if (options.augment !== undefined && Array.isArray(x))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `augment works on a single-input x; this x has ${x.length} inputs. Augment them before fitModel, or inside the model.`,
      { details: { field: 'augment', inputs: x.length } },
    );
  // Before any tensor is made: a schedule's mistakes surface now, not at the epoch that first uses it.
  checkLrSchedule(options.lrSchedule, { learningRate: options.learningRate ?? 1e-3, epochs: options.epochs });
  const lossFn = resolveLoss(options.loss);
  const lossName = typeof options.loss === 'string' ? options.loss : 'custom';
  const sparse = lossName === 'sparseCategoricalCrossentropy';
  const withAccuracy = options.accuracy ?? CLASSIFICATION_LOSSES.has(lossName);
  checkShapes(model, x, y, lossName, 'training data', options.augment !== undefined);
  validateData(x, y, 'training data');
  const val0 = options.validationData;
  if (val0 !== undefined) {
    if (val0 === null || typeof val0 !== 'object')
      throw new AppliedMLError('E_INPUT_INVALID', `validationData must be {x, y} (got ${describeValue(val0)}).`, {
        details: { field: 'validationData' },
      });
    checkShapes(model, val0.x, val0.y, lossName, 'validation data');
    validateData(val0.x, val0.y, 'validation data');
  }
  const outUnits = model.outputs[0]?.shape.at(-1) ?? 1;
  checkLabels(y, lossName, outUnits, 'training data');
  if (val0) checkLabels(val0.y, lossName, outUnits, 'validation data');

  // Both would hold out rows twice over; the split was ignored without a word.
  if (val0 !== undefined && options.validationSplit !== undefined)
    throw new AppliedMLError('E_INPUT_INVALID', 'Give validationData or validationSplit, not both.', {
      details: { field: 'validationSplit' },
    });
  let nVal = 0;
  if (options.validationSplit !== undefined) {
    const split = options.validationSplit;
    if (!(typeof split === 'number' && split > 0 && split < 1))
      throw new AppliedMLError('E_INPUT_INVALID', `validationSplit must be between 0 and 1 (got ${describeValue(split)}).`);
    const total = rows(x);
    nVal = Math.floor(total * split);
    if (nVal < 1 || nVal >= total)
      throw new AppliedMLError('E_INPUT_INVALID', `validationSplit ${split} of ${total} rows leaves no rows on one side.`);
  }
  const n = rows(x) - nVal;
  const hasVal = val0 !== undefined || nVal > 0;
  if (options.bucketBy !== undefined) {
    const b = options.bucketBy as unknown;
    if (b === null || typeof b !== 'object' || typeof (b as ArrayLike<number>).length !== 'number')
      throw new AppliedMLError('E_INPUT_INVALID', `bucketBy must be a list of row lengths (got ${describeValue(b)}).`, {
        details: { field: 'bucketBy' },
      });
    checkBucketLengths(options.bucketBy, n);
  }
  if (options.sampleWeight !== undefined) checkSampleWeights(options.sampleWeight, rows(x));
  const early = options.earlyStopping;
  if (early !== undefined) checkEarlyStopping(early, hasVal, withAccuracy);
  const monitor: Monitor = early?.monitor ?? (hasVal ? 'val_loss' : 'loss');
  if (monitor.startsWith('val_') && !hasVal)
    throw new AppliedMLError('E_INPUT_INVALID', `Early stopping monitors ${monitor} but there is no validation data.`);
  const restoreBest = early !== undefined && early.restoreBestWeights !== false;

  // Per-row weights on the CPU: the class weight of each training row's class (read once), times its sampleWeight.
  let rowWeights: Float32Array | undefined;
  if (options.classWeight !== undefined) {
    const classes = classCount(model, y);
    const byClass = classWeightValues(options.classWeight, classes);
    // One class per row: a sparse label ([n] or [n, 1]) or a one-hot row (categorical). Several labels
    // per row (per-pixel or per-token sparse labels, multi-label targets) have no row class; Keras
    // refuses class_weight there too, and an argmax over them would weigh rows by a label's position.
    const perRow = y.shape.slice(1).reduce((a, b) => a * b, 1);
    if (perRow > 1 && lossName !== 'categoricalCrossentropy')
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `classWeight needs one class per row (sparse labels of shape [n] or [n, 1], or one-hot rows with categoricalCrossentropy); these targets hold ${perRow} labels per row. Weigh them through a custom loss or sampleWeight instead.`,
        { details: { field: 'classWeight', labelsPerRow: perRow } },
      );
    const idx = classIndices(y);
    rowWeights = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      const k = idx[r] as number;
      if (!(k >= 0 && k < classes))
        throw new AppliedMLError('E_INPUT_INVALID', `classWeight: row ${r} has class ${k}, outside [0, ${classes - 1}].`, {
          details: { field: 'classWeight', index: r, value: k },
        });
      rowWeights[r] = byClass[k] as number;
    }
  }
  if (options.sampleWeight !== undefined) {
    const w = options.sampleWeight;
    rowWeights ??= new Float32Array(n).fill(1);
    for (let r = 0; r < n; r++) rowWeights[r] = (rowWeights[r] as number) * (w[r] as number);
  }

  const rng = createRng(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const learningRate = options.learningRate ?? 1e-3;
  const scheduler = new LrScheduler(options.lrSchedule, learningRate, options.epochs);
  const ownsOptimizer = typeof options.optimizer !== 'object' || options.optimizer === null;
  if (ownsOptimizer && options.optimizer !== undefined && !OPTIMIZER_NAMES.includes(options.optimizer as OptimizerName))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `Unknown optimizer ${describeValue(options.optimizer)}. Valid: ${OPTIMIZER_NAMES.join(', ')}.`,
      {
        details: { field: 'optimizer' },
      },
    );
  if (!ownsOptimizer && typeof (options.optimizer as { applyGradients?: unknown }).applyGradients !== 'function')
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `optimizer must be one of ${OPTIMIZER_NAMES.join(', ')} or a tf.Optimizer (got ${describeValue(options.optimizer)}).`,
      { details: { field: 'optimizer' } },
    );

  // Aborted before it started: nothing to undo.
  throwIfAborted(signal, what);

  // Tensors from here on: every one is disposed in `finally`, whatever throws.
  const owned: tf.Tensor[] = [];
  // With a signal (and restoreOnAbort), the weights before the call, put back if it aborts.
  let weightsBefore: tf.Tensor[] | undefined;
  let optimizer: tf.Optimizer | undefined;
  let lossSum: tf.Scalar | undefined;
  let correctSum: tf.Scalar | undefined;
  let bestWeights: tf.Tensor[] | undefined;
  const progress = createProgress(options.progress ?? 'auto');
  try {
    let trainX = x;
    let trainY = y;
    let val = val0;
    if (nVal > 0) {
      trainX = sliceRows(x, 0, n);
      owned.push(...[trainX].flat());
      trainY = sliceRows(y, 0, n) as tf.Tensor;
      owned.push(trainY);
      const vx = sliceRows(x, n, nVal);
      owned.push(...[vx].flat());
      const vy = sliceRows(y, n, nVal) as tf.Tensor;
      owned.push(vy);
      val = { x: vx, y: vy };
    }
    optimizer = ownsOptimizer
      ? createOptimizer((options.optimizer as OptimizerName | undefined) ?? 'adam', learningRate)
      : (options.optimizer as tf.Optimizer);
    let weightsByRow: tf.Tensor1D | undefined;
    if (rowWeights) {
      weightsByRow = tf.tensor1d(rowWeights);
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
    const stepsPerEpoch = Math.ceil(n / batchSize);

    const history: EpochLogs[] = [];
    let best = Infinity;
    let bestEpoch = -1;
    // The initial weights, so that a fit that diverges before any good epoch can put them back.
    if (restoreBest) bestWeights = model.getWeights().map((w) => w.clone());
    let waited = 0;
    let stoppedEarly = false;
    let stoppedBy: TrainingReport['stoppedBy'];
    const started = performance.now();
    // The steps run synchronously: the event loop gets a turn every ~50 ms, so a service that trains in
    // its own process keeps answering (health checks, other requests) while it trains.
    if (signal && options.restoreOnAbort !== false) weightsBefore = model.getWeights().map((w) => w.clone());
    const turns = eventLoopTurns(50, { signal, what });
    const opt = optimizer;
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const t0 = performance.now();
      const lr = scheduler.atEpochStart(epoch);
      setLearningRate(opt, lr);
      const order =
        options.shuffle === false
          ? Int32Array.from({ length: n }, (_, i) => i)
          : options.bucketBy !== undefined
            ? bucketedOrder(options.bucketBy, batchSize, rng)
            : permutation(n, rng);
      lossSum = tf.scalar(0);
      correctSum = tf.scalar(0);
      progress.start(stepsPerEpoch, `${options.progressLabel ?? 'train'} epoch ${epoch + 1}/${options.epochs}`);
      for (let step = 0; step < stepsPerEpoch; step++) {
        const begin = step * batchSize;
        const size = Math.min(batchSize, n - begin);
        const prevLoss: tf.Scalar = lossSum;
        const prevCorrect: tf.Scalar = correctSum;
        let correct: tf.Scalar | undefined;
        let next: tf.Tensor[];
        try {
          next = withSeededRandom(rng, () =>
            tf.tidy(() => {
              const rowsOfBatch = order.subarray(begin, begin + size);
              const idx = tf.tensor1d(rowsOfBatch, 'int32');
              let xb = gatherRows(trainX, idx);
              const yb = tf.gather(trainY, idx);
              if (options.augment && !Array.isArray(xb)) xb = checkAugmented(model, options.augment(xb, rowsOfBatch), xb, size);
              const sampleWeights = weightsByRow ? tf.gather(weightsByRow, idx) : undefined;
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
              opt.applyGradients(g);
              for (const { variable, constraint } of constrained) variable.assign(constraint.apply(variable));
              const correctTotal = correct ? tf.add(prevCorrect, correct) : tf.clone(prevCorrect);
              return [tf.add(prevLoss, tf.mul(value, size)), correctTotal];
            }),
          );
        } catch (error) {
          dropAbandonedTape();
          throw error;
        } finally {
          (correct as tf.Scalar | undefined)?.dispose();
        }
        prevLoss.dispose();
        prevCorrect.dispose();
        lossSum = next[0] as tf.Scalar;
        correctSum = next[1] as tf.Scalar;
        progress.update(step + 1);
        if (options.callbacks?.onBatchEnd) await options.callbacks.onBatchEnd(step, epoch);
        await turns.turn();
      }
      const loss = (lossSum.dataSync()[0] as number) / n;
      const correct = correctSum.dataSync()[0] as number;
      tf.dispose([lossSum, correctSum]);
      lossSum = correctSum = undefined;
      if (!Number.isFinite(loss)) {
        // Ruined weights would make the retry the message advises fail at once: put back the best (or initial) ones.
        const restoredTo = bestWeights ? (bestEpoch >= 0 ? `epoch ${bestEpoch + 1}'s weights` : 'the initial weights') : undefined;
        if (bestWeights) model.setWeights(bestWeights);
        throw new AppliedMLError(
          'E_TRAINING_FAILED',
          `Training diverged at epoch ${epoch + 1} (loss ${loss}). Lower the learning rate, scale the inputs, or check them for NaN/Infinity. ` +
            (restoredTo
              ? `The model was put back to ${restoredTo}.`
              : "The model's weights are now unusable: rebuild or reload the model before training it again."),
          { details: { epoch: epoch + 1, learningRate: lr, restoredBestWeights: restoredTo !== undefined } },
        );
      }
      const logs: EpochLogs = { epoch, loss, learningRate: lr, seconds: 0 };
      if (withAccuracy) logs.accuracy = correct / n;
      if (val) {
        const v = lossOver(model, val.x, val.y, lossFn, withAccuracy, sparse);
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
      if (value < best - (early?.minDelta ?? 0)) {
        best = value;
        bestEpoch = epoch;
        waited = 0;
        if (restoreBest) {
          tf.dispose(bestWeights ?? []);
          bestWeights = model.getWeights().map((w) => w.clone());
        }
      } else if (early && ++waited > early.patience) {
        stoppedEarly = true;
        stoppedBy = 'earlyStopping';
        logger.info(`early stopping after epoch ${epoch + 1}; best was epoch ${bestEpoch + 1}`);
        break;
      }
      // Asked to stop (it was reported as stoppedEarly: false); after the last epoch there is nothing left to stop.
      if (epoch < options.epochs - 1 && options.callbacks?.shouldStop?.()) {
        stoppedEarly = true;
        stoppedBy = 'shouldStop';
        break;
      }
    }
    let restored = false;
    if (bestWeights && bestEpoch >= 0 && bestEpoch !== history.length - 1) {
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
      ...(stoppedBy ? { stoppedBy } : {}),
      restoredBestWeights: restored,
      epochsRun: history.length,
      seconds,
      samplesPerSecond: lastLogs ? (n * history.length) / seconds : 0,
    };
  } catch (error) {
    if (weightsBefore && AppliedMLError.hasCode(error, 'E_ABORTED')) model.setWeights(weightsBefore);
    throw fromBackendError(error, 'training');
  } finally {
    progress.stop();
    tf.dispose([...(weightsBefore ?? []), ...(bestWeights ?? []), ...(lossSum ? [lossSum] : []), ...(correctSum ? [correctSum] : [])]);
    tf.dispose(owned);
    if (ownsOptimizer) optimizer?.dispose();
  }
}

/** augment's result: a tensor with the batch's rows that fits the model's input (augment may cut or reshape x). */
function checkAugmented(model: tf.LayersModel, out: unknown, xb: tf.Tensor, size: number): tf.Tensor {
  const t = out as tf.Tensor | null | undefined;
  if (t === null || typeof t !== 'object' || !Array.isArray(t.shape))
    throw new AppliedMLError('E_INPUT_INVALID', `augment must return a new tensor (got ${describeValue(out)}).`, {
      details: { field: 'augment' },
    });
  if (t.isDisposed || t.dtype === 'string')
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `augment must return a new numeric tensor (got ${t.isDisposed ? 'a disposed tensor' : 'a string tensor'}).`,
      { details: { field: 'augment' } },
    );
  const want = model.inputs[0]?.shape ?? [];
  if (t.shape[0] !== size || model.inputs.length !== 1 || !fitsShape(t.shape, want))
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `augment returned ${t.shape.join('×')} for a batch of ${xb.shape.join('×')}; the model takes ${shapeText(want)}.`,
      { details: { field: 'augment', shape: t.shape, expected: want } },
    );
  return t;
}

/** `what`, the call an E_ABORTED names: a non-empty string of at most 200 characters; 'fitModel' when not given. */
function checkWhatOption(value: unknown): string {
  if (value === undefined) return 'fitModel';
  if (typeof value !== 'string' || value.trim() === '' || value.length > 200)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `what must be a non-empty string of at most 200 characters naming the call (got ${describeValue(value)}).`,
      { details: { field: 'what' } },
    );
  return value;
}

/** logger (debug, info and warn functions) and callbacks (functions where given), before the fit starts. */
function checkCallbackOptions(options: FitOptions): void {
  const logger = options.logger as unknown;
  if (logger !== undefined) {
    const l = logger as Partial<Record<keyof Logger, unknown>> | null;
    if (l === null || typeof l !== 'object' || (['debug', 'info', 'warn'] as const).some((k) => typeof l[k] !== 'function'))
      throw new AppliedMLError('E_INPUT_INVALID', `logger must have debug, info and warn functions (got ${describeValue(logger)}).`, {
        details: { field: 'logger' },
      });
  }
  const callbacks = options.callbacks as unknown;
  if (callbacks === undefined || callbacks === null) return;
  checkKnownKeys('callbacks', callbacks, CALLBACK_KEYS);
  for (const name of ['onEpochEnd', 'onBatchEnd', 'shouldStop'] as const) {
    const fn = (callbacks as Record<string, unknown>)[name];
    if (fn !== undefined && typeof fn !== 'function')
      throw new AppliedMLError('E_INPUT_INVALID', `callbacks.${name} must be a function (got ${describeValue(fn)}).`, {
        details: { field: `callbacks.${name}` },
      });
  }
}

const MONITORS: readonly Monitor[] = ['val_loss', 'val_accuracy', 'loss', 'accuracy'];

/** earlyStopping: a monitor the fit reports, patience an integer ≥ 0, minDelta a finite number ≥ 0. */
function checkEarlyStopping(early: unknown, hasVal: boolean, withAccuracy: boolean): void {
  checkKnownKeys('earlyStopping', early, EARLY_STOPPING_KEYS);
  const e = early as EarlyStopping;
  if (e.monitor !== undefined) {
    if (!MONITORS.includes(e.monitor))
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `earlyStopping.monitor must be one of ${MONITORS.join(', ')} (got ${describeValue(e.monitor)}).`,
        {
          details: { field: 'earlyStopping.monitor' },
        },
      );
    if (e.monitor.endsWith('accuracy') && !withAccuracy)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `earlyStopping monitors ${e.monitor} but this fit reports no accuracy (set accuracy: true, or monitor ${hasVal ? 'val_loss' : 'loss'}).`,
        { details: { field: 'earlyStopping.monitor' } },
      );
  }
  checkIntegerOption('earlyStopping.patience', e.patience, 0, Number.MAX_SAFE_INTEGER, false);
  checkNumberOption('earlyStopping.minDelta', e.minDelta, 0, Number.MAX_VALUE);
  if (e.restoreBestWeights !== undefined && typeof e.restoreBestWeights !== 'boolean')
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `earlyStopping.restoreBestWeights must be true or false (got ${describeValue(e.restoreBestWeights)}).`,
      {
        details: { field: 'earlyStopping.restoreBestWeights' },
      },
    );
}
