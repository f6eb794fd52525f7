// ImageSegmenter: a U-Net with skip connections trained with Dice + binary cross-entropy.
// train → predict / predictBatch → evaluate → save / load → dispose.
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AppliedMLError,
  checkDevice,
  checkIntegerOption,
  checkKnownKeys,
  checkNumberOption,
  checkSignalOption,
  createOptimizer,
  createRng,
  describeValue,
  eventLoopTurns,
  incompatibleIfNewer,
  fitModel,
  initEngine,
  iou,
  keepKnownKeys,
  loadBundle,
  meanDice,
  predictBatched,
  saveBundle,
  silentLogger,
  unknownBundleParts,
  unknownPartsError,
  tf,
  TrainTickets,
  throwIfAborted,
  withSeededRandom,
} from '@appliedml/engine';
import type { Device, EpochLogs, JsonValue, LoadedBundle, Logger, TrainingReport } from '@appliedml/engine';
import { channelsOf } from './gray-image';
import type { AnyImage, GrayImage } from './gray-image';
import { buildUNet } from './models';
import { augmenter, checkModelImage, checkValues, resizeGray } from './preprocess';
import { flipPairsInTurns, warpPairsInTurns, warps } from './segmenter-augment';
import { assertMasked, assertMaskedInTurns, binaryMasks, thresholdMask } from './segmentation-masks';
import { predictInTurns, takeTurn, trainError } from './train-turns';
import type { Turns } from './train-turns';
import type { MaskedImages } from './segmentation-masks';
import {
  BEST_FILE,
  OPTIMIZER_FILE,
  STATE_FILE,
  checkBestBytes,
  checkOptimizerBytes,
  checkOptimizerFitsModel,
  checkpointCorrupt,
  normalisationProblem,
  parseCheckpointState,
} from './segmenter-checkpoint-state';
import type { CheckpointState, RunIdentity } from './segmenter-checkpoint-state';
import { TRAINED_ON_FILE, checkDataSource, copyTrainedOn, readTrainedOn, trainedOnJson } from './trained-on';
import type { DataSource, TrainedOn } from './trained-on';
import { ensembleFolderError } from './ensemble-folder';
import { saveWhole } from './save-whole';
import { MEDICAL_IMAGING_PACKAGE, MEDICAL_IMAGING_VERSION } from './version';

export const SEGMENTATION_TASK = 'image-segmentation';

export interface ImageSegmenterConfig {
  /**
   * The network's input size: images are resized to size × size (a multiple of 2^(levels − 1)) and the
   * predicted mask is upsampled back to each image's size. Default 96, chosen for speed: a 256 × 256
   * image then costs a fraction of running the network at 256 (docs/benchmarks/medical-imaging.md).
   */
  imageSize: number;
  /** 1 (grayscale) or 3 (RGB); default 3. Grayscale inputs are repeated to RGB when 3, RGB averaged when 1. */
  channels: 1 | 3;
  /** Channels per U-Net level, top to bottleneck (default [16, 32, 64, 128]). */
  filters: number[];
  dropout: number;
  /** Weight of the soft Dice loss next to binary cross-entropy (default 1). */
  diceWeight: number;
  /**
   * Flip each training image and its mask together, left–right and up–down at random, drawn anew every
   * epoch (default true).
   */
  flipAugment: boolean;
  /**
   * With `flipAugment`, also transpose each training image and its mask together with probability 1/2,
   * so that the flips and the transpose draw all eight 90° rotations and reflections (default false).
   */
  rotate90: boolean;
  /**
   * Joint geometric augmentation, drawn anew every epoch for each training image and its mask together
   * (after the flips; edges filled with the nearest pixel, the warped mask thresholded at 0.5 so it stays
   * binary): a random rotation of up to ± `rotation` degrees (0–180; default 0, off).
   */
  rotation: number;
  /** With the warp, a random zoom of up to ± `zoom` (0–0.5; 0.15 scales by 0.85–1.15; default 0, off). */
  zoom: number;
  /** With the warp, a random shift of up to ± `shift` of the image size along each axis (0–0.5; default 0, off). */
  shift: number;
  /** Brightness / contrast jitter in the trainer's augment hook (default 0.1 / 0.15). */
  brightness: number;
  contrast: number;
  seed: number;
}

export const SEGMENTER_DEFAULTS: ImageSegmenterConfig = {
  imageSize: 96,
  channels: 3,
  filters: [16, 32, 64, 128],
  dropout: 0.1,
  diceWeight: 1,
  flipAugment: true,
  rotate90: false,
  rotation: 0,
  zoom: 0,
  shift: 0,
  brightness: 0.1,
  contrast: 0.15,
  seed: 42,
};

export type { MaskedImages } from './segmentation-masks';

export interface SegmenterEpoch {
  epoch: number;
  loss: number;
  valDice: number;
  seconds: number;
}

export interface SegmenterTrainOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  validation?: MaskedImages;
  validationFraction?: number;
  /**
   * How many epochs in a row without a better validation Dice are tolerated: the next one stops training
   * (0: the first epoch no better stops it), as the engine's `earlyStopping.patience` counts (default 8).
   */
  patience?: number;
  /**
   * Write a checkpoint after every epoch: `DIR/last` (the model, the optimiser state and the training
   * state, to resume from) and `DIR/best` (a plain bundle of the epoch with the best validation Dice,
   * loadable with `ImageSegmenter.load`). Each is replaced atomically.
   */
  checkpointDir?: string;
  /** Continue from `checkpointDir/last` when it exists (same data, config and options); else start afresh. */
  resume?: boolean;
  device?: Device;
  logger?: Logger;
  progress?: boolean | 'auto';
  /**
   * Called after each epoch; a returned promise is awaited before the next epoch. (Two signatures, so a
   * callback that returns something else, `(e) => seen.push(e)`, still type-checks.)
   */
  onEpoch?: ((epoch: SegmenterEpoch) => void) | ((epoch: SegmenterEpoch) => Promise<void>);
  /**
   * Stops the train when aborted (an `AbortController`'s signal, or `AbortSignal.timeout(ms)`): seen at the
   * next event-loop turn (every ~50 ms of work, image preparation and validation included), the call
   * rejects with E_ABORTED (`cause`: the signal's reason), frees what it built and installs nothing, so
   * the segmenter is as it was before the call. Checkpoints already written stay, whole (a checkpoint
   * write is never cut short), so a later `resume` continues from the last one. An already-aborted
   * signal rejects before any work.
   */
  signal?: AbortSignal;
}

export interface SegmentationMetrics {
  count: number;
  /** Mean per-image Dice of the predicted mask (as `predict` returns it, at the mask's size) against the truth. */
  dice: number;
  /** Mean per-image IoU. */
  iou: number;
}

/**
 * The run's report in the engine's shape, its selection fields describing what was kept: `bestEpoch` is
 * `selectedEpoch` (best validation Dice), `bestValue` that Dice, `restoredBestWeights` true when that
 * epoch is not the last one run. `monitor` is 'val_dice'.
 */
export interface SegmenterTrainingReport extends TrainingReport {
  /** The epoch (0-based) whose weights were kept: best validation Dice. */
  selectedEpoch: number;
  /** The epoch training started at (0, or the one after the checkpoint it resumed from). */
  resumedAt: number;
  validation: SegmentationMetrics;
}

export interface MaskPrediction {
  /** Binary mask (0/1) at the input image's size. */
  mask: GrayImage;
  /**
   * Foreground probability. From an `ImageSegmenter`: at the network's size (`imageSize`; upsample with
   * `resizeGray`, or call `probabilityMaps`, for the image's size). From a `SegmenterEnsemble`: at the
   * image's size (its members may differ in network size).
   */
  probability: GrayImage;
  /** Fraction of the image that is foreground. */
  area: number;
}

interface Fitted {
  mean: number[];
  std: number[];
}

/** Per-sample loss: BCE (mean over pixels) + w · (1 − soft Dice). */
export function diceBceLoss(diceWeight: number): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor {
  return (yTrue, yPred) => {
    const p = tf.clipByValue(yPred, 1e-7, 1 - 1e-7);
    const bce = tf.neg(tf.mean(tf.add(tf.mul(yTrue, tf.log(p)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, p)))), [1, 2, 3]));
    const inter = tf.sum(tf.mul(yTrue, yPred), [1, 2, 3]);
    const total = tf.add(tf.sum(yTrue, [1, 2, 3]), tf.sum(yPred, [1, 2, 3]));
    const diceLoss = tf.sub(1, tf.div(tf.add(tf.mul(2, inter), 1), tf.add(total, 1)));
    return tf.add(bce, tf.mul(diceWeight, diceLoss));
  };
}

function checkAny(image: AnyImage, what: string): void {
  if (
    !image ||
    typeof image !== 'object' ||
    !Number.isInteger(image.width) ||
    !Number.isInteger(image.height) ||
    image.width < 1 ||
    image.height < 1
  )
    throw new AppliedMLError('E_INPUT_INVALID', `The ${what} has no valid width and height.`);
  const c = channelsOf(image);
  if (c === 1) return checkModelImage(image, what);
  if (!image.data || image.data.length !== image.width * image.height * 3)
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `The ${what} holds ${image.data?.length ?? 0} values for ${image.width} × ${image.height} RGB pixels.`,
    );
  checkValues(image.data, what, true);
}

/** One image resized to size × size with `channels` channels, interleaved. */
function toChannels(image: AnyImage, size: number, channels: 1 | 3): Float32Array {
  const have = channelsOf(image);
  const planes: Float32Array[] = [];
  for (let c = 0; c < have; c++) {
    const plane = new Float32Array(image.width * image.height);
    for (let p = 0; p < plane.length; p++) plane[p] = image.data[p * have + c]!;
    planes.push(resizeGray({ width: image.width, height: image.height, data: plane }, size, size).data);
  }
  const pixels = size * size;
  const out = new Float32Array(pixels * channels);
  for (let p = 0; p < pixels; p++)
    for (let c = 0; c < channels; c++) {
      if (have === channels) out[p * channels + c] = planes[c]![p]!;
      else if (have === 1) out[p * channels + c] = planes[0]![p]!;
      else out[p] = (planes[0]![p]! + planes[1]![p]! + planes[2]![p]!) / 3;
    }
  return out;
}

const EMPTY = new Float32Array(0);

/** FNV-1a over every `stride`-th float's bits of each array: cheap, and any change of data or order shows. */
function fingerprint(arrays: Float32Array[], stride = 61): string {
  let h = 0x811c9dc5;
  for (const a of arrays) {
    const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
    h = Math.imul(h ^ a.length, 0x01000193) >>> 0;
    for (let i = 0; i < bits.length; i += stride) h = Math.imul(h ^ bits[i]!, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

function weightBytes(weights: tf.Tensor[]): Uint8Array {
  const total = weights.reduce((s, w) => s + w.size, 0);
  const out = new Float32Array(total);
  let at = 0;
  for (const w of weights) {
    out.set(w.dataSync() as Float32Array, at);
    at += w.size;
  }
  return new Uint8Array(out.buffer);
}

/** Tensors shaped like `model`'s weights from `bytes`; undefined when the sizes disagree. */
function weightsFrom(model: tf.LayersModel, bytes: Uint8Array): tf.Tensor[] | undefined {
  const shapes = model.weights.map((w) => w.shape as number[]); // built: every dimension known
  const total = shapes.reduce((s, shape) => s + shape.reduce((a, b) => a * b, 1), 0);
  if (bytes.byteLength !== total * 4) return undefined;
  const values = new Float32Array(new Uint8Array(bytes).buffer);
  let at = 0;
  return shapes.map((shape) => {
    const count = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(values.subarray(at, at + count), shape, 'float32');
    at += count;
    return t;
  });
}

/** The optimiser's state (Adam: step count, first and second moments) and the training state. */
async function checkpointFiles(
  optimizer: tf.Optimizer,
  state: CheckpointState,
  bestWeights: tf.Tensor[] | undefined,
): Promise<Record<string, Uint8Array | string>> {
  const named = await optimizer.getWeights();
  const parts: Uint8Array[] = [];
  const entries: NonNullable<CheckpointState['optimizer']> = [];
  for (const { name, tensor } of named) {
    const dtype = tensor.dtype === 'int32' ? 'int32' : 'float32';
    const values = dtype === 'int32' ? Int32Array.from(tensor.dataSync()) : Float32Array.from(tensor.dataSync());
    parts.push(new Uint8Array(values.buffer));
    entries.push({ name, shape: tensor.shape, dtype });
    // getWeights returns the moments' own variables but a fresh tensor for the step count.
    if (!(tensor instanceof tf.Variable)) tensor.dispose();
  }
  const bytes = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return {
    [OPTIMIZER_FILE]: bytes,
    ...(bestWeights ? { [BEST_FILE]: weightBytes(bestWeights) } : {}),
    [STATE_FILE]: JSON.stringify({ ...state, optimizer: entries, bestInside: bestWeights !== undefined }),
  };
}

async function restoreOptimizer(optimizer: tf.Optimizer, state: CheckpointState, bytes: Uint8Array): Promise<void> {
  const entries = state.optimizer ?? [];
  const aligned = new Uint8Array(bytes).buffer;
  const tensors: Array<{ name: string; tensor: tf.Tensor }> = [];
  let at = 0;
  try {
    for (const e of entries) {
      const count = e.shape.reduce((a, b) => a * b, 1);
      if (at + count * 4 > aligned.byteLength)
        throw new AppliedMLError('E_BUNDLE_CORRUPT', "The checkpoint's optimiser state is shorter than its description.");
      const values = e.dtype === 'int32' ? new Int32Array(aligned, at, count) : new Float32Array(aligned, at, count);
      tensors.push({ name: e.name, tensor: tf.tensor(values, e.shape, e.dtype) });
      at += count * 4;
    }
    if (tensors.length > 0) await optimizer.setWeights(tensors);
  } finally {
    tf.dispose(tensors.map((t) => t.tensor));
  }
}

/** `dir/name` and the copies an interrupted atomic write may have left aside (`.name.old-*`), newest name first. */
async function checkpointCandidates(dir: string, name: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const entry of [name, ...entries.filter((e) => e.startsWith(`.${name}.old-`))]) {
    try {
      if (entries.includes(entry) && (await stat(join(dir, entry))).isDirectory()) out.push(join(dir, entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Values `train` handles between two event-loop turns (a few milliseconds of work). */
const TURN_VALUES = 2 ** 20;

/** Every option name, so a misspelt one is refused at `create` (kept in step with the interface by `satisfies`). */
const CONFIG_KEYS = Object.keys({
  imageSize: 1,
  channels: 1,
  filters: 1,
  dropout: 1,
  diceWeight: 1,
  flipAugment: 1,
  rotate90: 1,
  rotation: 1,
  zoom: 1,
  shift: 1,
  brightness: 1,
  contrast: 1,
  seed: 1,
} satisfies Record<keyof ImageSegmenterConfig, 1>);
const TRAIN_KEYS = Object.keys({
  epochs: 1,
  batchSize: 1,
  learningRate: 1,
  validation: 1,
  validationFraction: 1,
  patience: 1,
  checkpointDir: 1,
  resume: 1,
  device: 1,
  logger: 1,
  progress: 1,
  onEpoch: 1,
  signal: 1,
} satisfies Record<keyof SegmenterTrainOptions, 1>);
const CREATE_KEYS = ['logger'];
/** The options `ImageSegmenter.load` and `SegmenterEnsemble.load` take. */
export const SEGMENTER_LOAD_KEYS = ['device', 'logger'];

/** Remove what interrupted atomic writes left in a checkpoint folder (retired copies, staging folders). */
async function removeLeftovers(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    entries
      .filter((e) => /^\.(last|best)\.(old|tmp)-[0-9a-f]+$/.test(e))
      .map((e) => rm(join(dir, e), { recursive: true, force: true }).catch(() => undefined)),
  );
}

export class ImageSegmenter {
  readonly config: ImageSegmenterConfig;
  private model: tf.LayersModel | undefined;
  private fitted: Fitted | undefined;
  private disposed = false;
  private trained: TrainedOn | undefined;
  private readonly logger: Logger;
  /** Overlapping trains: the last started installs its model, whatever order they finish in. */
  private readonly trains = new TrainTickets();

  private constructor(config: ImageSegmenterConfig, logger: Logger) {
    this.config = config;
    this.logger = logger;
  }

  static create(config: Partial<ImageSegmenterConfig> = {}, options: { logger?: Logger } = {}): ImageSegmenter {
    checkKnownKeys('ImageSegmenter config', config, CONFIG_KEYS);
    checkKnownKeys('ImageSegmenter create options', options, CREATE_KEYS);
    const merged = { ...SEGMENTER_DEFAULTS, ...config };
    const { filters } = merged;
    if (
      !Array.isArray(filters) ||
      filters.length < 2 ||
      filters.length > 7 ||
      !filters.every((f) => Number.isInteger(f) && f >= 1 && f <= 1024)
    )
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `filters must list 2 to 7 channel counts, integers from 1 to 1024 (got ${describeValue(filters)}).`,
        {
          details: { field: 'filters' },
        },
      );
    const factor = 2 ** (merged.filters.length - 1);
    if (!Number.isInteger(merged.imageSize) || merged.imageSize < factor || merged.imageSize % factor !== 0 || merged.imageSize > 1024)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `imageSize must be a multiple of ${factor} up to 1024 (got ${describeValue(merged.imageSize)}).`,
        {
          details: { field: 'imageSize' },
        },
      );
    for (const field of ['flipAugment', 'rotate90'] as const)
      if (typeof merged[field] !== 'boolean')
        throw new AppliedMLError('E_INPUT_INVALID', `${field} must be a boolean.`, { details: { field } });
    for (const [field, max] of [
      ['rotation', 180],
      ['zoom', 0.5],
      ['shift', 0.5],
    ] as const) {
      const value = merged[field];
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max)
        throw new AppliedMLError('E_INPUT_INVALID', `${field} must be a number from 0 to ${max} (got ${describeValue(value)}).`, {
          details: { field },
        });
    }
    if (merged.rotate90 && !merged.flipAugment)
      throw new AppliedMLError('E_INPUT_INVALID', 'rotate90 draws its transposes with the flips: it needs flipAugment.', {
        details: { field: 'rotate90' },
      });
    if (merged.channels !== 1 && merged.channels !== 3) throw new AppliedMLError('E_INPUT_INVALID', 'channels must be 1 or 3.');
    checkNumberOption('dropout', merged.dropout, 0, 1, { open: 'max', optional: false });
    checkNumberOption('brightness', merged.brightness, 0, 10, { optional: false });
    checkNumberOption('contrast', merged.contrast, 0, 1, { open: 'max', optional: false });
    return new ImageSegmenter(merged, options.logger ?? silentLogger);
  }

  /**
   * What the network was fitted on (the training data's `source` and image counts), saved with it; undefined
   * before training, and for a bundle saved by a version that did not record it (unknown).
   */
  get trainedOn(): TrainedOn | undefined {
    this.alive();
    return copyTrainedOn(this.trained);
  }

  /** Whether it holds a trained network (after `train` or `load`, until `dispose`). */
  get isTrained(): boolean {
    return !this.disposed && this.model !== undefined && this.fitted !== undefined;
  }

  private alive(): void {
    if (this.disposed) throw new AppliedMLError('E_MODEL_DISPOSED', 'This ImageSegmenter was disposed.');
  }

  private aliveWhileTraining(): void {
    if (this.disposed)
      throw new AppliedMLError('E_MODEL_DISPOSED', 'This ImageSegmenter was disposed while it trained; create or load another.');
  }

  private ready(): { model: tf.LayersModel; fitted: Fitted } {
    this.alive();
    if (!this.model || !this.fitted) throw new AppliedMLError('E_MODEL_NOT_TRAINED', 'Train or load the ImageSegmenter first.');
    return { model: this.model, fitted: this.fitted };
  }

  private pack(images: AnyImage[], fitted: Fitted | undefined): Float32Array {
    const { imageSize: size, channels } = this.config;
    const stride = size * size * channels;
    const out = new Float32Array(images.length * stride);
    images.forEach((image, i) => out.set(toChannels(image, size, channels), i * stride));
    if (fitted) for (let i = 0; i < out.length; i++) out[i] = (out[i]! - fitted.mean[i % channels]!) / fitted.std[i % channels]!;
    return out;
  }

  /** `pack` for `train`: the same values, with an event-loop turn after each image and every 2^20 values. */
  private async packInTurns(images: AnyImage[], fitted: Fitted | undefined, turns: Turns): Promise<Float32Array> {
    const { imageSize: size, channels } = this.config;
    const stride = size * size * channels;
    const out = new Float32Array(images.length * stride);
    for (let i = 0; i < images.length; i++) {
      out.set(toChannels(images[i]!, size, channels), i * stride);
      await takeTurn(turns);
    }
    if (fitted) await this.normalizeInTurns(out, fitted, turns);
    return out;
  }

  /** `pack`'s normalisation of packed values, in place, with turns. */
  private async normalizeInTurns(values: Float32Array, fitted: Fitted, turns: Turns): Promise<void> {
    const channels = this.config.channels;
    for (let start = 0; start < values.length; start += TURN_VALUES) {
      const end = Math.min(values.length, start + TURN_VALUES);
      for (let i = start; i < end; i++) values[i] = (values[i]! - fitted.mean[i % channels]!) / fitted.std[i % channels]!;
      await takeTurn(turns);
    }
  }

  /** The masks resized to the network's size, thresholded at 0.5, with an event-loop turn after each mask. */
  private async packMasksInTurns(masks: GrayImage[], turns: Turns): Promise<Float32Array> {
    const size = this.config.imageSize;
    const out = new Float32Array(masks.length * size * size);
    for (let i = 0; i < masks.length; i++) {
      const r = resizeGray(masks[i]!, size, size).data;
      for (let p = 0; p < r.length; p++) out[i * size * size + p] = r[p]! > 0.5 ? 1 : 0;
      await takeTurn(turns);
    }
    return out;
  }

  /**
   * Train (or retrain) the segmenter. Overlapping trains on one segmenter: the model ends as the
   * last-started one left it, whatever order they finish in; an earlier train still running when a later
   * one installs its model stops at its next step, frees what it built and rejects with E_BUSY
   * (`details.reason` 'superseded'); a later train that fails leaves the earlier one free to install.
   * `signal` stops it (E_ABORTED, the segmenter left as it was, checkpoints already written kept whole).
   */
  async train(data: MaskedImages, options: SegmenterTrainOptions = {}): Promise<SegmenterTrainingReport> {
    const ticket = this.trains.start();
    try {
      return await this.trainRun(data, options, ticket);
    } catch (error) {
      // Stopped because a later train installed its model: E_BUSY, as at the install (a dispose still wins).
      throw this.trains.trainError(trainError(error, 'ImageSegmenter.train', this.disposed), 'ImageSegmenter.train');
    } finally {
      this.trains.finish(ticket);
    }
  }

  private async trainRun(data: MaskedImages, options: SegmenterTrainOptions, ticket: number): Promise<SegmenterTrainingReport> {
    this.alive();
    // Options first: a NaN learning rate trained a network of NaN weights that reported a finite loss.
    checkKnownKeys('train options', options, TRAIN_KEYS);
    checkIntegerOption('epochs', options.epochs, 1, 10_000);
    checkIntegerOption('batchSize', options.batchSize, 1, 100_000);
    checkIntegerOption('patience', options.patience, 0, 10_000);
    checkNumberOption('learningRate', options.learningRate, 0, 10, { open: 'min' });
    checkNumberOption('validationFraction', options.validationFraction, 0, 1, { open: 'both' });
    // The user's signal, and a later train's install: either stops this one at its next turn.
    const signal = this.trains.trainSignal(ticket, checkSignalOption(options.signal), 'ImageSegmenter.train');
    if (options.device !== undefined) checkDevice(options.device);
    // Aborted already: nothing read, nothing made, no checkpoint touched.
    throwIfAborted(signal, 'ImageSegmenter.train');
    // Image checks, packing, validation passes take turns too: an abort is seen within ~50 ms of work.
    // A checkpoint write is never cut short: it completes and the abort is seen at the next turn.
    const turns = eventLoopTurns(50, { signal, what: 'ImageSegmenter.train' });
    const source = checkDataSource((data as Partial<MaskedImages> | null)?.source, 'training data');
    await assertMaskedInTurns(data, 'training data', turns);
    for (let i = 0; i < data.images.length; i++) {
      checkAny(data.images[i] as AnyImage, `training image ${i}`);
      await takeTurn(turns);
    }
    const logger = options.logger ?? this.logger;
    await initEngine({ ...(options.device ? { device: options.device } : {}), logger });
    this.alive();
    await takeTurn(turns);
    let train = data;
    let validation = options.validation;
    if (validation) {
      await assertMaskedInTurns(validation, 'validation data', turns);
      for (let i = 0; i < validation.images.length; i++) {
        checkAny(validation.images[i] as AnyImage, `validation image ${i}`);
        await takeTurn(turns);
      }
    } else {
      const rng = createRng(this.config.seed);
      const order = rng.shuffle(Array.from({ length: data.images.length }, (_, i) => i));
      const nVal = Math.max(1, Math.floor(order.length * (options.validationFraction ?? 0.1)));
      const pick = (ids: number[]): MaskedImages => ({ images: ids.map((i) => data.images[i]!), masks: ids.map((i) => data.masks[i]!) });
      validation = pick(order.slice(0, nVal));
      train = pick(order.slice(nVal));
    }
    const trainedOn: TrainedOn = { ...(source ? { source } : {}), images: train.images.length, validationImages: validation.images.length };
    const epochs = options.epochs ?? 30;
    if (!Number.isInteger(epochs) || epochs < 1)
      throw new AppliedMLError('E_INPUT_INVALID', `epochs must be a positive integer (got ${describeValue(epochs)}).`, {
        details: { field: 'epochs' },
      });
    const { imageSize: size, channels } = this.config;
    const raw = await this.packInTurns(train.images, undefined, turns);
    const mean = new Array<number>(channels).fill(0);
    const sq = new Array<number>(channels).fill(0);
    for (let start = 0; start < raw.length; start += TURN_VALUES) {
      const end = Math.min(raw.length, start + TURN_VALUES);
      for (let i = start; i < end; i++) {
        mean[i % channels]! += raw[i]!;
        sq[i % channels]! += raw[i]! * raw[i]!;
      }
      await takeTurn(turns);
    }
    const per = raw.length / channels;
    let fitted: Fitted = {
      mean: mean.map((s) => s / per),
      std: mean.map((s, c) => Math.sqrt(Math.max(1e-8, sq[c]! / per - (s / per) ** 2))),
    };
    const yValues = await this.packMasksInTurns(train.masks, turns);
    const n = train.images.length;
    const valTruth = binaryMasks(validation.masks);

    // The new network replaces the trained one only when training succeeds: a failed run (a bad option,
    // a checkpoint from another config, an interrupted write) leaves the model as it was. Until then the
    // run touches only its own network, so `predict` keeps answering from the current model. Of runs that
    // overlap, the last started installs its network, whatever order they finish in (TrainTickets).
    const learningRate = options.learningRate ?? 2e-3;
    const patience = options.patience ?? 8;
    const batchSize = options.batchSize ?? 16;
    const checkpointDir = options.checkpointDir;
    const run: RunIdentity | undefined = checkpointDir
      ? {
          learningRate,
          batchSize,
          patience,
          trainCount: n,
          validationCount: validation.images.length,
          data: fingerprint([raw, yValues, await this.packInTurns(validation.images, undefined, turns), ...valTruth]),
        }
      : undefined;
    // No await from here to the `try` below, which frees the network and the optimiser whatever throws.
    const model = withSeededRandom(createRng(this.config.seed), () =>
      buildUNet(size, channels, { filters: this.config.filters, dropout: this.config.dropout }),
    );
    let installed = false;
    const optimizer = createOptimizer('adam', learningRate);
    let state: CheckpointState = { epoch: -1, epochs, bestDice: -Infinity, bestEpoch: -1, history: [], ...(run ? { run } : {}) };
    let bestWeights: tf.Tensor[] | undefined;
    const owned: tf.Tensor[] = [];
    try {
      if (checkpointDir && options.resume) {
        const resumed = await this.restoreCheckpoint(checkpointDir, model, optimizer, epochs, run, trainedOn, logger);
        if (resumed) {
          ({ state, fitted, bestWeights } = resumed);
          if (run) state.run = run;
          logger.info('segmenter resumed', { fromEpoch: state.epoch + 1, bestEpoch: state.bestEpoch + 1, bestDice: state.bestDice });
        }
      }
      await this.normalizeInTurns(raw, fitted, turns);
      const xVal = tf.tensor4d(await this.packInTurns(validation.images, fitted, turns), [validation.images.length, size, size, channels]);
      owned.push(xVal);
      let fixed: [tf.Tensor4D, tf.Tensor4D] | undefined;
      const warp = warps(this.config);
      if (!this.config.flipAugment && !warp) {
        fixed = [tf.tensor4d(raw, [n, size, size, channels]), tf.tensor4d(yValues, [n, size, size, 1])];
        owned.push(...fixed);
      }
      const augment = augmenter({
        flipHorizontal: false,
        flipVertical: false,
        rotation: 0,
        shift: 0,
        zoom: 0,
        brightness: this.config.brightness,
        contrast: this.config.contrast,
      });
      const loss = diceBceLoss(this.config.diceWeight);
      const started = performance.now();
      const resumedAt = state.epoch + 1;
      let stoppedEarly = false;
      for (let epoch = resumedAt; epoch < epochs; epoch++) {
        this.aliveWhileTraining();
        // An abort since the last epoch (its checkpoint written whole) stops here.
        await takeTurn(turns);
        // As the engine counts patience: `patience` epochs no better than the best are tolerated, and
        // the next one stops; here that shows before the epoch after it, which then does not run.
        if (epoch - state.bestEpoch > patience + 1 && state.bestEpoch >= 0) {
          stoppedEarly = true;
          break;
        }
        const t0 = performance.now();
        // Cosine decay over the whole run, computed here so that a resumed run follows the same schedule.
        const lr = 0.5 * learningRate * (1 + Math.cos((Math.PI * epoch) / epochs));
        let x: tf.Tensor4D;
        let y: tf.Tensor4D;
        if (fixed) [x, y] = fixed;
        else {
          let drawn = { x: raw, y: yValues };
          // With turns (every 16 images flipped, every 64 warped): the same draws, the same arrays.
          if (this.config.flipAugment)
            drawn = await flipPairsInTurns(
              raw,
              yValues,
              n,
              size,
              channels,
              createRng(`${this.config.seed}:flip:${epoch}`),
              this.config.rotate90,
              turns,
            );
          if (warp)
            drawn = await warpPairsInTurns(
              drawn.x,
              drawn.y,
              n,
              size,
              channels,
              createRng(`${this.config.seed}:warp:${epoch}`),
              this.config,
              turns,
            );
          x = tf.tensor4d(drawn.x, [n, size, size, channels]);
          y = tf.tensor4d(drawn.y, [n, size, size, 1]);
        }
        let epochReport: TrainingReport;
        try {
          epochReport = await fitModel(model, x, y, {
            epochs: 1,
            batchSize,
            loss,
            accuracy: false,
            optimizer,
            learningRate: lr,
            ...(augment ? { augment } : {}),
            seed: this.config.seed * 1009 + epoch,
            progress: options.progress ?? false,
            progressLabel: `segmenter epoch ${epoch + 1}/${epochs}`,
            logger,
            signal,
            what: 'ImageSegmenter.train',
            // An aborted or superseded train frees this network: no copy of its weights to put back.
            restoreOnAbort: false,
          });
        } finally {
          if (!fixed) tf.dispose([x, y]);
        }
        const probs = await predictInTurns(model, xVal, 16, turns);
        const valDice = meanDice(valTruth, this.pipelineMasks(probs, validation.masks));
        const seconds = (performance.now() - t0) / 1000;
        const epochLoss = epochReport.history[0]?.loss ?? NaN;
        state.history.push({ epoch, loss: epochLoss, valDice, learningRate: lr, seconds });
        state.epoch = epoch;
        const improved = valDice > state.bestDice;
        if (improved) {
          tf.dispose(bestWeights ?? []);
          bestWeights = model.getWeights().map((w) => w.clone());
          state.bestDice = valDice;
          state.bestEpoch = epoch;
        }
        if (checkpointDir) {
          // `last` carries the best weights too, so resuming never depends on `best` (a convenience copy).
          await this.writeBundle(
            join(checkpointDir, 'last'),
            model,
            fitted,
            trainedOn,
            await checkpointFiles(optimizer, state, bestWeights),
          );
          if (improved)
            await this.writeBundle(join(checkpointDir, 'best'), model, fitted, trainedOn, undefined, { valDice, epoch: epoch + 1 });
          await removeLeftovers(checkpointDir);
        }
        await options.onEpoch?.({ epoch, loss: epochLoss, valDice, seconds });
      }
      // Patience that runs out on the last epoch counts as stopping early, as the engine reports it.
      if (!stoppedEarly && state.epoch >= resumedAt && state.bestEpoch >= 0 && state.epoch - state.bestEpoch > patience)
        stoppedEarly = true;
      if (bestWeights) model.setWeights(bestWeights);
      // metricsOf's values (xVal is the validation images packed with `fitted`), with turns.
      const metrics = this.metricsFrom(await predictInTurns(model, xVal, 16, turns), validation);
      // Disposed while training ran: the new network is freed (below), not attached to a disposed model.
      this.aliveWhileTraining();
      // A train started after this one has installed its model meanwhile: that one stays (no await from
      // here to the install; the catch below frees this network).
      if (!this.trains.install(ticket)) throw this.trains.supersededError('ImageSegmenter.train');
      const replaced = this.model;
      this.model = model;
      this.fitted = fitted;
      this.trained = trainedOn;
      installed = true;
      replaced?.dispose();
      const history: EpochLogs[] = state.history.map((h) => ({
        epoch: h.epoch,
        loss: h.loss,
        learningRate: h.learningRate,
        seconds: h.seconds,
      }));
      const seconds = (performance.now() - started) / 1000;
      const ran = state.epoch + 1 - resumedAt;
      logger.info('segmenter trained', { epochs: state.epoch + 1, selectedEpoch: state.bestEpoch + 1, valDice: metrics.dice });
      // The selection fields describe what was kept: the epoch of best validation Dice.
      return {
        history,
        monitor: 'val_dice',
        bestEpoch: state.bestEpoch,
        bestValue: state.bestDice,
        stoppedEarly,
        ...(stoppedEarly ? { stoppedBy: 'earlyStopping' as const } : {}),
        restoredBestWeights: bestWeights !== undefined && state.bestEpoch !== state.epoch,
        epochsRun: state.epoch + 1,
        seconds,
        samplesPerSecond: seconds > 0 ? (n * ran) / seconds : 0,
        selectedEpoch: state.bestEpoch,
        resumedAt,
        validation: metrics,
      };
    } catch (error) {
      if (!installed) model.dispose();
      throw error;
    } finally {
      tf.dispose([...owned, ...(bestWeights ?? [])]);
      optimizer.dispose();
    }
  }

  /** The network's probabilities (packed at its size) upsampled to the given sizes, as `predict` thresholds them. */
  private upsampled(probs: Float32Array, sizes: Array<{ width: number; height: number }>): Float32Array[] {
    const size = this.config.imageSize;
    const pixels = size * size;
    return sizes.map((m, i) => {
      const p = probs.subarray(i * pixels, (i + 1) * pixels);
      return m.width === size && m.height === size ? p.slice() : resizeGray({ width: size, height: size, data: p }, m.width, m.height).data;
    });
  }

  /** Masks as `predict` returns them (upsampled to each truth mask's size, thresholded at 0.5). */
  private pipelineMasks(probs: Float32Array, masks: GrayImage[]): Float32Array[] {
    return this.upsampled(probs, masks).map(thresholdMask);
  }

  private async writeBundle(
    dir: string,
    model: tf.LayersModel,
    fitted: Fitted,
    trainedOn: TrainedOn | undefined,
    files?: Record<string, Uint8Array | string>,
    metrics?: Record<string, number>,
  ): Promise<void> {
    // Never write what `load` would refuse (nothing is written then).
    const problem = normalisationProblem(fitted, this.config.channels);
    if (problem)
      throw new AppliedMLError(
        'E_INTERNAL',
        `This ImageSegmenter's normalisation is not valid (${problem.replace(/preprocessing\./g, '')}); nothing was written to ${dir}.`,
        { details: { dir } },
      );
    await saveBundle(dir, {
      package: MEDICAL_IMAGING_PACKAGE,
      packageVersion: MEDICAL_IMAGING_VERSION,
      task: SEGMENTATION_TASK,
      models: { segmenter: model },
      preprocessing: { imageSize: this.config.imageSize, channels: this.config.channels, mean: fitted.mean, std: fitted.std },
      config: JSON.parse(JSON.stringify(this.config)) as JsonValue,
      ...(metrics ? { metrics } : {}),
      ...(files || trainedOn ? { files: { ...files, ...(trainedOn ? { [TRAINED_ON_FILE]: trainedOnJson(trainedOn) } : {}) } } : {}),
    });
  }

  /**
   * Load the newest valid `last` checkpoint (by its epoch, among `dir/last` and copies an interrupted
   * write left aside) into the model and optimiser; undefined when there is none yet. A copy that cannot
   * be read or whose contents are not valid (see `checkpointContents`) is skipped with a warning, and
   * its error is thrown when no copy is left; every check runs before any tensor is made from the copy.
   */
  private async restoreCheckpoint(
    dir: string,
    model: tf.LayersModel,
    optimizer: tf.Optimizer,
    epochs: number,
    run: RunIdentity | undefined,
    trainedOn: TrainedOn,
    logger: Logger,
  ): Promise<{ state: CheckpointState; fitted: Fitted; bestWeights: tf.Tensor[] | undefined } | undefined> {
    type Bundle = Awaited<ReturnType<typeof loadBundle>>;
    const disposeModels = (bundle: Bundle): void => Object.values(bundle.models).forEach((m) => m.dispose());
    let chosen: { bundle: Bundle; state: CheckpointState; fitted: Fitted; path: string } | undefined;
    let firstError: unknown;
    for (const path of await checkpointCandidates(dir, 'last')) {
      let bundle: Bundle;
      try {
        bundle = await loadBundle(path, { package: MEDICAL_IMAGING_PACKAGE, task: SEGMENTATION_TASK });
      } catch (error) {
        firstError ??= error;
        logger.warn('segmenter checkpoint unreadable, skipped', { path });
        continue;
      }
      let contents: { state: CheckpointState; fitted: Fitted };
      try {
        contents = this.checkpointContents(path, bundle);
      } catch (error) {
        disposeModels(bundle);
        firstError ??= error;
        logger.warn('segmenter checkpoint not valid, skipped', { path, reason: (error as Error).message });
        continue;
      }
      if (chosen && contents.state.epoch <= chosen.state.epoch) {
        disposeModels(bundle);
        continue;
      }
      if (chosen) disposeModels(chosen.bundle);
      chosen = { bundle, ...contents, path };
    }
    if (!chosen) {
      if (firstError) throw firstError;
      return undefined;
    }
    const { bundle, state, fitted, path: last } = chosen;
    let bestWeights: tf.Tensor[] | undefined;
    try {
      // Options added to the config after the checkpoint was written count as equal at their defaults.
      const stored = { ...SEGMENTER_DEFAULTS, ...(bundle.manifest.config as Partial<ImageSegmenterConfig>) };
      const same = (Object.keys(this.config) as Array<keyof ImageSegmenterConfig>).every(
        (key) => JSON.stringify(stored[key]) === JSON.stringify(this.config[key]),
      );
      if (!same)
        throw new AppliedMLError('E_INPUT_INVALID', `The checkpoint in ${dir} was written with another segmenter config.`, {
          details: { checkpoint: bundle.manifest.config as JsonValue, config: this.config as unknown as JsonValue },
        });
      if (state.epochs !== epochs)
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `The checkpoint in ${dir} belongs to a ${state.epochs}-epoch run (the cosine schedule depends on it); asked for ${epochs}.`,
        );
      if (state.run && run) {
        const differ = (Object.keys(run) as Array<keyof RunIdentity>).filter((k) => state.run![k] !== run[k]);
        if (differ.length > 0)
          throw new AppliedMLError(
            'E_INPUT_INVALID',
            `The checkpoint in ${dir} was written with other training options or data (${differ.join(', ')}); resume needs the same.`,
            { details: { checkpoint: state.run as unknown as JsonValue, now: run as unknown as JsonValue } },
          );
      }
      checkSameSource(dir, readTrainedOn(bundle.files[TRAINED_ON_FILE], last)?.source, trainedOn.source, logger);
      // Same config, so the same network: what does not fit it was edited.
      const pre = bundle.manifest.preprocessing as { imageSize?: unknown; channels?: unknown };
      if (pre.imageSize !== this.config.imageSize || pre.channels !== this.config.channels)
        throw checkpointCorrupt(
          last,
          'manifest.json',
          'preprocessing',
          `says ${JSON.stringify(pre.imageSize)}×${JSON.stringify(pre.imageSize)}×${JSON.stringify(pre.channels)} but its config ${this.config.imageSize}×${this.config.imageSize}×${this.config.channels}`,
        );
      const source = bundle.models.segmenter!;
      const sourceShapes = source.weights.map((w) => JSON.stringify(w.shape));
      const shapes = model.weights.map((w) => JSON.stringify(w.shape));
      if (sourceShapes.join(';') !== shapes.join(';'))
        throw checkpointCorrupt(last, 'segmenter.model.json', '', 'describes another network than its config builds');
      const optimizerFile = bundle.files[OPTIMIZER_FILE]!;
      checkOptimizerFitsModel(last, state.optimizer ?? [], optimizerFile, model);
      const inside = bundle.files[BEST_FILE];
      const weightCount = model.weights.reduce((s, w) => s + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
      if (state.bestInside && inside && inside.byteLength !== weightCount * 4)
        throw checkpointCorrupt(last, BEST_FILE, '', `holds ${inside.byteLength / 4} values; the network has ${weightCount} weights`);
      // Every check passed: from here on, tensors.
      model.setWeights(source.getWeights());
      await restoreOptimizer(optimizer, state, optimizerFile);
      if (state.bestEpoch >= 0 && state.bestInside && inside) bestWeights = weightsFrom(model, inside);
      if (!bestWeights && state.bestEpoch >= 0) {
        // Checkpoints written before the best weights moved into `last`: `best` if it is of the same epoch.
        for (const path of await checkpointCandidates(dir, 'best')) {
          const best = await loadBundle(path, { package: MEDICAL_IMAGING_PACKAGE, task: SEGMENTATION_TASK }).catch(() => undefined);
          if (!best) continue;
          const net = best.models.segmenter;
          if (
            best.manifest.metrics?.epoch === state.bestEpoch + 1 &&
            net &&
            net.weights.map((w) => JSON.stringify(w.shape)).join(';') === shapes.join(';')
          )
            bestWeights = net.getWeights().map((w) => w.clone());
          disposeModels(best);
          if (bestWeights) break;
        }
      }
      let resumedState: CheckpointState = { ...state };
      if (!bestWeights && state.bestEpoch >= 0) {
        // No weights of the best epoch survive: say so, and let the last epoch stand as the best so far.
        const lastDice = state.history.at(-1)?.valDice ?? -Infinity;
        logger.warn('segmenter checkpoint has no weights of its best epoch; the last epoch counts as best from here', {
          bestEpoch: state.bestEpoch + 1,
          lastEpoch: state.epoch + 1,
        });
        resumedState = { ...resumedState, bestEpoch: state.epoch, bestDice: lastDice };
        bestWeights = model.getWeights().map((w) => w.clone());
      }
      return { state: resumedState, fitted, bestWeights };
    } catch (error) {
      tf.dispose(bestWeights ?? []);
      throw error;
    } finally {
      disposeModels(bundle);
    }
  }

  /**
   * What a `last` checkpoint holds besides its network, checked before anything is made from it:
   * `training-state.json` (types, ranges, 0 ≤ epoch < epochs), `optimizer.bin` (exactly the bytes its
   * entries describe, finite), `best-weights.bin` (finite) and the normalisation (as `load` checks it).
   * E_BUNDLE_CORRUPT naming the file and field otherwise.
   */
  private checkpointContents(path: string, bundle: Awaited<ReturnType<typeof loadBundle>>): { state: CheckpointState; fitted: Fitted } {
    const stateFile = bundle.files[STATE_FILE];
    const optimizerFile = bundle.files[OPTIMIZER_FILE];
    if (!stateFile || !optimizerFile || !bundle.models.segmenter)
      throw new AppliedMLError(
        'E_BUNDLE_CORRUPT',
        `The checkpoint ${path} lacks its training state (${[STATE_FILE, OPTIMIZER_FILE, 'the segmenter network'].filter((_, i) => ![stateFile, optimizerFile, bundle.models.segmenter][i]).join(', ')}).`,
        { details: { dir: path } },
      );
    const state = parseCheckpointState(path, stateFile.toString('utf8'));
    checkOptimizerBytes(path, state.optimizer ?? [], optimizerFile);
    const best = bundle.files[BEST_FILE];
    if (state.bestInside && !best) throw checkpointCorrupt(path, STATE_FILE, 'bestInside', `is true but ${BEST_FILE} is missing`);
    if (best) checkBestBytes(path, best);
    // Against the checkpoint's own channel count: another config is told apart (E_INPUT_INVALID) after the choice.
    const pre = bundle.manifest.preprocessing as { channels?: unknown; mean: number[]; std: number[] } | undefined;
    const channels = pre?.channels === 1 || pre?.channels === 3 ? pre.channels : undefined;
    if (channels === undefined)
      throw checkpointCorrupt(
        path,
        'manifest.json',
        'preprocessing.channels',
        `is ${JSON.stringify(pre?.channels) ?? 'missing'}, not 1 or 3`,
      );
    const problem = normalisationProblem(pre, channels);
    if (problem) throw checkpointCorrupt(path, 'manifest.json', '', `normalisation is not valid: ${problem}`);
    return { state, fitted: { mean: pre!.mean, std: pre!.std } };
  }

  private probabilities(images: AnyImage[], net: { model: tf.LayersModel; fitted: Fitted } = this.ready()): Float32Array {
    const { model, fitted } = net;
    for (let i = 0; i < images.length; i++) checkAny(images[i] as AnyImage, `image ${i}`);
    const { imageSize: size, channels } = this.config;
    const x = tf.tensor4d(this.pack(images, fitted), [images.length, size, size, channels]);
    try {
      return predictBatched(model, x, { batchSize: 16 }).data;
    } finally {
      x.dispose();
    }
  }

  async predict(image: AnyImage): Promise<MaskPrediction> {
    return (await this.predictBatch([image]))[0]!;
  }

  async predictBatch(images: AnyImage[]): Promise<MaskPrediction[]> {
    this.ready();
    if (!Array.isArray(images) || images.length === 0)
      throw new AppliedMLError('E_INPUT_INVALID', 'predictBatch needs at least one image.');
    const probs = this.probabilities(images);
    const size = this.config.imageSize;
    const pixels = size * size;
    const masks = this.pipelineMasks(
      probs,
      images.map((image) => ({ width: image.width, height: image.height, data: EMPTY })),
    );
    return images.map((image, i) => {
      const probability: GrayImage = { width: size, height: size, data: probs.slice(i * pixels, (i + 1) * pixels) };
      const mask = masks[i]!;
      let area = 0;
      for (let p = 0; p < mask.length; p++) area += mask[p]!;
      return { mask: { width: image.width, height: image.height, data: mask }, probability, area: area / mask.length };
    });
  }

  /**
   * The foreground probability of each image at the image's own size: the network's output upsampled
   * bilinearly, before the 0.5 threshold `predict` applies (what `SegmenterEnsemble` averages).
   */
  async probabilityMaps(images: AnyImage[]): Promise<GrayImage[]> {
    this.ready();
    if (!Array.isArray(images) || images.length === 0)
      throw new AppliedMLError('E_INPUT_INVALID', 'probabilityMaps needs at least one image.');
    const maps = this.upsampled(this.probabilities(images), images);
    return images.map((image, i) => ({ width: image.width, height: image.height, data: maps[i]! }));
  }

  /**
   * Dice and IoU per image, averaged over images, of the masks `predict` returns (the network's output
   * upsampled to each truth mask's size and thresholded at 0.5) against the truth masks.
   */
  async evaluate(data: MaskedImages): Promise<SegmentationMetrics> {
    const net = this.ready();
    assertMasked(data, 'evaluation data');
    return this.metricsOf(net.model, net.fitted, data);
  }

  /** `evaluate` with a given network (a training run's own, before it is installed). */
  private metricsOf(model: tf.LayersModel, fitted: Fitted, data: MaskedImages): SegmentationMetrics {
    return this.metricsFrom(this.probabilities(data.images, { model, fitted }), data);
  }

  /** The metrics of the network's probabilities `probs` of `data`'s images. */
  private metricsFrom(probs: Float32Array, data: MaskedImages): SegmentationMetrics {
    const truth = binaryMasks(data.masks);
    const predicted = this.pipelineMasks(probs, data.masks);
    const ious = truth.map((t, i) => iou(t, predicted[i]!));
    return { count: truth.length, dice: meanDice(truth, predicted), iou: ious.reduce((s, v) => s + v, 0) / ious.length };
  }

  async save(dir: string, metrics?: Record<string, number>): Promise<void> {
    this.ready();
    // A dispose() while it writes: E_MODEL_DISPOSED, `dir` left as it was; a retrain meanwhile: the save
    // starts again on the new model (see saveWhole).
    await saveWhole(dir, {
      kind: 'ImageSegmenter',
      take: () => ({ ...this.ready(), trained: this.trained }),
      current: (state) => this.model === state.model,
      isDisposed: () => this.disposed,
      write: (staging, { model, fitted, trained }) => this.writeBundle(staging, model, fitted, trained, undefined, metrics),
    });
  }

  static async load(dir: string, options: { device?: Device; logger?: Logger } = {}): Promise<ImageSegmenter> {
    checkKnownKeys('ImageSegmenter.load options', options, SEGMENTER_LOAD_KEYS);
    await initEngine({ ...(options.device ? { device: options.device } : {}), ...(options.logger ? { logger: options.logger } : {}) });
    // A network this engine cannot rebuild (a layer class a later version writes): from a newer version,
    // loadBundle says it needs an upgrade (E_BUNDLE_INCOMPATIBLE), not repair.
    const bundle = await loadBundle(dir, {
      package: MEDICAL_IMAGING_PACKAGE,
      task: SEGMENTATION_TASK,
      readerVersion: MEDICAL_IMAGING_VERSION,
    }).catch(async (error: unknown) => {
      throw await ensembleFolderError(error, dir, 'ImageSegmenter.load', SEGMENTATION_TASK);
    });
    try {
      return ImageSegmenter.fromBundle(dir, bundle, options.logger);
    } catch (error) {
      // What this version cannot read in a bundle a newer one saved (a config value, a preprocessing
      // field it added) is no damage: say so, and to upgrade (it said "corrupt").
      throw incompatibleIfNewer(error, {
        dir,
        package: MEDICAL_IMAGING_PACKAGE,
        saved: bundle.manifest.packageVersion,
        running: MEDICAL_IMAGING_VERSION,
      });
    }
  }

  /** The segmenter a loaded bundle holds (its models disposed on any failure: E_BUNDLE_CORRUPT). */
  private static fromBundle(dir: string, bundle: LoadedBundle, logger: Logger | undefined): ImageSegmenter {
    // A newer version's save: what this version does not know in it is refused, not dropped.
    const unknown = unknownBundleParts(bundle, MEDICAL_IMAGING_VERSION, {
      config: CONFIG_KEYS,
      preprocessing: ['imageSize', 'channels', 'mean', 'std'],
      models: ['segmenter'],
    });
    if (unknown.length > 0) {
      Object.values(bundle.models).forEach((m) => m.dispose());
      throw unknownPartsError(dir, unknown);
    }
    const model = bundle.models.segmenter;
    const pre = bundle.manifest.preprocessing as { imageSize?: number; channels?: 1 | 3; mean?: number[]; std?: number[] } | undefined;
    if (!model || !pre || typeof pre.imageSize !== 'number' || !pre.mean || !pre.std || (pre.channels !== 1 && pre.channels !== 3)) {
      Object.values(bundle.models).forEach((m) => m.dispose());
      throw new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: the segmenter model or its preprocessing is missing.`, {
        details: { dir },
      });
    }
    const config = { ...(bundle.manifest.config as Partial<ImageSegmenterConfig>), imageSize: pre.imageSize, channels: pre.channels };
    const corrupt = (why: string, cause?: unknown): AppliedMLError => {
      Object.values(bundle.models).forEach((m) => m.dispose());
      return new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: ${why}.`, { details: { dir }, ...(cause ? { cause } : {}) });
    };
    const shape = model.inputs[0]?.shape ?? [];
    const fits = (d: number | null | undefined, want: number): boolean => d === null || d === undefined || d === want;
    if (!fits(shape[1], pre.imageSize) || !fits(shape[2], pre.imageSize) || shape[3] !== pre.channels)
      throw corrupt(
        `its network takes ${JSON.stringify(shape)} but its preprocessing says ${pre.imageSize}×${pre.imageSize}×${pre.channels}`,
      );
    const problem = normalisationProblem(pre, pre.channels);
    if (problem) throw corrupt(`its normalisation is not valid (${problem})`);
    let segmenter: ImageSegmenter;
    try {
      segmenter = ImageSegmenter.create(keepKnownKeys(config, CONFIG_KEYS), logger ? { logger } : {});
    } catch (cause) {
      throw corrupt(`its config is not valid (${(cause as Error).message})`, cause);
    }
    let trained: TrainedOn | undefined;
    try {
      trained = readTrainedOn(bundle.files[TRAINED_ON_FILE], dir);
    } catch (error) {
      Object.values(bundle.models).forEach((m) => m.dispose());
      throw error;
    }
    segmenter.model = model;
    segmenter.fitted = { mean: pre.mean, std: pre.std };
    segmenter.trained = trained;
    return segmenter;
  }

  private disposeModel(): void {
    this.model?.dispose();
    this.model = undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposeModel();
    this.fitted = undefined;
    this.disposed = true;
  }
}

/**
 * Resuming needs the same data, and the model records one source for it: a checkpoint written from data of
 * another source (another name, or synthetic where it was acquired) is E_INPUT_INVALID, as other data is (the
 * pixel hash samples the images, and a checkpoint of an older version has none). Only one of the two naming a
 * source (the same images, now or before given without one) is a warning: the run records this data's.
 * The description (one line for people, which a reader's new version may reword) is not compared.
 */
function checkSameSource(dir: string, recorded: DataSource | undefined, given: DataSource | undefined, logger: Logger): void {
  const name = (s: DataSource | undefined): string => (s ? `'${s.name}' (${s.synthetic ? 'synthetic' : 'acquired'})` : 'none');
  if (recorded && given) {
    if (recorded.name === given.name && recorded.synthetic === given.synthetic) return;
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `The checkpoint in ${dir} was written from data of another source, ${name(recorded)}, than this training data's, ${name(given)}; resume needs the same data.`,
      { details: { field: 'source', checkpoint: { ...recorded }, now: { ...given } } },
    );
  }
  if (recorded)
    logger.warn("resuming: the training data names no source, the checkpoint's data did; the model will record none", {
      checkpointSource: recorded.name,
    });
  else if (given)
    logger.warn("resuming: the checkpoint's data named no source; the model will record this training data's", { dataSource: given.name });
}
