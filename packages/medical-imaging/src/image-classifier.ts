// ImageClassifier: a small residual CNN on grayscale images with Grad-CAM explanations.
// train → predict / predictBatch → evaluate → save / load → dispose.
import {
  AppliedMLError,
  anyValueFields,
  checkDevice,
  checkIntegerOption,
  checkKnownKeys,
  checkNumberOption,
  checkSignalOption,
  createRng,
  describeValue,
  eventLoopTurns,
  incompatibleIfNewer,
  fitModel,
  initEngine,
  keepKnownKeys,
  loadBundle,
  predictBatched,
  resolveClassWeights,
  saveBundle,
  silentLogger,
  unknownBundleParts,
  unknownPartsError,
  tf,
  TrainTickets,
  throwIfAborted,
  withSeededRandom,
} from '@appliedml/engine';
import type { Device, JsonValue, LoadedBundle, Logger, TrainingReport } from '@appliedml/engine';
import { classificationMetrics, youdenThreshold } from './classification-metrics';
import type { ClassificationMetrics } from './classification-metrics';
import type { GrayImage } from './gray-image';
import { CLASSIFIER_LAYER, FEATURES_LAYER, buildResNet } from './models';
import {
  AUGMENTATION_DEFAULTS,
  augmenter,
  checkModelImage,
  grayForModel,
  fitNormalizationInTurns,
  normalizeInPlace,
  normalizeInTurns,
  packImages,
  packImagesInTurns,
  validNormalization,
  checkAugmentation,
} from './preprocess';
import type { AugmentationConfig, FittedNormalization, Normalization } from './preprocess';
import { predictInTurns, takeTurn, trainError } from './train-turns';
import type { Turns } from './train-turns';
import { TRAINED_ON_FILE, checkDataSource, copyTrainedOn, readTrainedOn, trainedOnJson } from './trained-on';
import type { DataSource, TrainedOn } from './trained-on';
import { ensembleFolderError } from './ensemble-folder';
import { saveWhole } from './save-whole';
import { MEDICAL_IMAGING_PACKAGE, MEDICAL_IMAGING_VERSION } from './version';

export const CLASSIFICATION_TASK = 'image-classification';

export interface ImageClassifierConfig {
  /** Images are resized to size × size (default 28). */
  imageSize: number;
  /** Channels of the stem and of each residual stage (default [16, 32, 64]). */
  filters: number[];
  blocksPerStage: number;
  dropout: number;
  l2: number;
  /** 'dataset' (mean/std of the training images, default) or 'per-image' standardisation. */
  normalization: Normalization;
  augmentation: AugmentationConfig;
  /** Class names; default: the sorted labels of the training data. */
  labels?: string[];
  seed: number;
}

export const CLASSIFIER_DEFAULTS: ImageClassifierConfig = {
  imageSize: 28,
  filters: [16, 32, 64],
  blocksPerStage: 1,
  dropout: 0.3,
  l2: 1e-4,
  normalization: 'dataset',
  augmentation: AUGMENTATION_DEFAULTS,
  seed: 42,
};

/** Labelled images: `labels[i]` names the class of `images[i]`. */
export interface LabeledImages {
  images: GrayImage[];
  labels: string[];
  /** Where the images came from; a model trained on them saves it (`trainedOn`). `readMedMnist` sets it. */
  source?: DataSource;
}

export interface ClassifierEpoch {
  epoch: number;
  loss: number;
  valAuc: number;
  valAccuracy: number;
  seconds: number;
}

export interface ClassifierTrainOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Validation images (selection of the epoch and the threshold); else `validationFraction` of the training rows. */
  validation?: LabeledImages;
  validationFraction?: number;
  /** 'balanced' (default) weighs each class by n / (classes · n_class). */
  classWeight?: 'balanced' | 'none';
  /**
   * How many epochs in a row without a better validation AUC are tolerated: the next one stops training
   * (0: the first epoch no better stops it), as the engine's `earlyStopping.patience` counts (default 6).
   */
  patience?: number;
  /** Binary: how the decision threshold is chosen on validation ('youden', default) or a fixed value. */
  threshold?: 'youden' | number;
  device?: Device;
  logger?: Logger;
  progress?: boolean | 'auto';
  /**
   * Called after each epoch; a returned promise is awaited before the next epoch. (Two signatures, so a
   * callback that returns something else, `(e) => seen.push(e)`, still type-checks.)
   */
  onEpoch?: ((epoch: ClassifierEpoch) => void) | ((epoch: ClassifierEpoch) => Promise<void>);
  /**
   * Stops the train when aborted (an `AbortController`'s signal, or `AbortSignal.timeout(ms)`): seen at the
   * next event-loop turn (every ~50 ms of work, image preparation and validation included), the call
   * rejects with E_ABORTED (`cause`: the signal's reason), frees what it built and installs nothing, so
   * the classifier is as it was before the call. An already-aborted signal rejects before any work.
   */
  signal?: AbortSignal;
}

/**
 * The engine's report of the run, its selection fields describing what the classifier kept: `bestEpoch`
 * is `selectedEpoch`, `bestValue` that epoch's validation AUC (its validation accuracy when the AUC is
 * undefined), `restoredBestWeights` true when that epoch is not the last one run. `monitor` names it:
 * 'val_auc', or 'val_accuracy' when the kept epoch's AUC was undefined (a validation set missing a class).
 */
export interface ClassifierTrainingReport extends TrainingReport {
  /** The epoch (0-based) whose weights were kept: best validation AUC (accuracy for multi-class ties). */
  selectedEpoch: number;
  threshold?: number;
  validation: ClassificationMetrics;
}

export interface ClassPrediction {
  label: string;
  /** Probability of `label`. */
  score: number;
  probabilities: Record<string, number>;
  /** Binary only: the positive class's probability and whether it passes the threshold. */
  positiveScore?: number;
  /** Grad-CAM of the predicted class at the model's input size, values in [0, 1]. */
  heatmap?: GrayImage;
}

export interface PredictOptions {
  /** Compute a Grad-CAM heatmap for the predicted class (default false). */
  explain?: boolean;
  batchSize?: number;
}

interface Fitted {
  labels: string[];
  normalization: FittedNormalization;
  threshold?: number;
}

/** An image a model reads, checked, an RGB one (channels: 3) as its luminance (see `grayForModel`). */
function grayImage(image: GrayImage, what: string): GrayImage {
  const gray = grayForModel(image, what);
  checkModelImage(gray, what);
  return gray;
}

/** The labelled images checked, with RGB images as their luminance. */
function assertLabeled(data: LabeledImages, what: string): LabeledImages {
  checkLabeledShape(data, what);
  // Every index, holes included (forEach would skip them).
  const images = Array.from({ length: data.images.length }, (_, i) => labeledImage(data, i, what));
  return { images, labels: data.labels };
}

/** `assertLabeled` for `train`: the same checks, with an event-loop turn after each image. */
async function assertLabeledInTurns(data: LabeledImages, what: string, turns: Turns): Promise<LabeledImages> {
  checkLabeledShape(data, what);
  const images: GrayImage[] = [];
  for (let i = 0; i < data.images.length; i++) {
    images.push(labeledImage(data, i, what));
    await takeTurn(turns);
  }
  return { images, labels: data.labels };
}

function checkLabeledShape(data: LabeledImages, what: string): void {
  if (!data || !Array.isArray(data.images) || !Array.isArray(data.labels))
    throw new AppliedMLError('E_INPUT_INVALID', `The ${what} must be { images, labels }.`);
  if (data.images.length === 0) throw new AppliedMLError('E_INPUT_INVALID', `The ${what} holds no images.`);
  if (data.images.length !== data.labels.length)
    throw new AppliedMLError('E_SHAPE_MISMATCH', `The ${what} has ${data.images.length} images but ${data.labels.length} labels.`);
}

/** Image `i` checked (RGB as its luminance), and its label. */
function labeledImage(data: LabeledImages, i: number, what: string): GrayImage {
  const image = grayImage(data.images[i] as GrayImage, `${what} image ${i}`);
  const label = data.labels[i];
  if (typeof label !== 'string' || label === '')
    throw new AppliedMLError('E_INPUT_INVALID', `The ${what}: label ${i} must be a non-empty string (got ${String(label)}).`, {
      details: { index: i },
    });
  return image;
}

/** Every option name, so a misspelt one is refused at `create` (kept in step with the interface by `satisfies`). */
const CONFIG_KEYS = Object.keys({
  imageSize: 1,
  filters: 1,
  blocksPerStage: 1,
  dropout: 1,
  l2: 1,
  normalization: 1,
  augmentation: 1,
  labels: 1,
  seed: 1,
} satisfies Record<keyof ImageClassifierConfig, 1>);
const AUGMENTATION_KEYS = Object.keys({
  flipHorizontal: 1,
  flipVertical: 1,
  rotation: 1,
  shift: 1,
  zoom: 1,
  brightness: 1,
  contrast: 1,
} satisfies Record<keyof AugmentationConfig, 1>);
const TRAIN_KEYS = Object.keys({
  epochs: 1,
  batchSize: 1,
  learningRate: 1,
  validation: 1,
  validationFraction: 1,
  classWeight: 1,
  patience: 1,
  threshold: 1,
  device: 1,
  logger: 1,
  progress: 1,
  onEpoch: 1,
  signal: 1,
} satisfies Record<keyof ClassifierTrainOptions, 1>);
const PREDICT_KEYS = Object.keys({ explain: 1, batchSize: 1 } satisfies Record<keyof PredictOptions, 1>);
const CREATE_KEYS = ['logger'];
const LOAD_KEYS = ['device', 'logger'];

/** Refuses training options that would fail inside tfjs, train nothing or give a meaningless threshold. */
function checkTrainOptions(o: ClassifierTrainOptions): void {
  checkIntegerOption('epochs', o.epochs, 1, 10_000);
  checkIntegerOption('batchSize', o.batchSize, 1, 100_000);
  checkIntegerOption('patience', o.patience, 0, 10_000);
  checkNumberOption('learningRate', o.learningRate, 0, 10, { open: 'min' });
  checkNumberOption('validationFraction', o.validationFraction, 0, 1, { open: 'both' });
  if (o.threshold !== 'youden') checkNumberOption('threshold', o.threshold, 0, 1, { open: 'both' });
  if (o.classWeight !== undefined && o.classWeight !== 'balanced' && o.classWeight !== 'none')
    throw new AppliedMLError('E_INPUT_INVALID', `classWeight must be 'balanced' or 'none' (got ${String(o.classWeight)}).`, {
      details: { field: 'classWeight' },
    });
}

/**
 * A class-activation map [batch, h, w, 1] brought to size × size with half-pixel centres, as the rest of
 * the pipeline resizes: a feature cell's centre lands on the centre of the image block it covers
 * (aligned corners stretched the map outwards, edge cells by 1.5 px at 28 px). Exported for tests.
 */
export function upsampleCam(cam: tf.Tensor4D, size: number): tf.Tensor4D {
  return tf.image.resizeBilinear(cam, [size, size], false, true);
}

export class ImageClassifier {
  readonly config: ImageClassifierConfig;
  private model: tf.LayersModel | undefined;
  private featureModel: tf.LayersModel | undefined;
  private fitted: Fitted | undefined;
  private disposed = false;
  private trained: TrainedOn | undefined;
  private readonly logger: Logger;
  /** Overlapping trains: the last started installs its model, whatever order they finish in. */
  private readonly trains = new TrainTickets();

  private constructor(config: ImageClassifierConfig, logger: Logger) {
    this.config = config;
    this.logger = logger;
  }

  static create(config: Partial<ImageClassifierConfig> = {}, options: { logger?: Logger } = {}): ImageClassifier {
    checkKnownKeys('ImageClassifier config', config, CONFIG_KEYS);
    checkKnownKeys('ImageClassifier create options', options, CREATE_KEYS);
    checkKnownKeys('augmentation', config.augmentation, AUGMENTATION_KEYS);
    const merged: ImageClassifierConfig = {
      ...CLASSIFIER_DEFAULTS,
      ...config,
      augmentation: { ...AUGMENTATION_DEFAULTS, ...(config.augmentation ?? {}) },
    };
    if (!Number.isInteger(merged.imageSize) || merged.imageSize < 8 || merged.imageSize > 1024)
      throw new AppliedMLError('E_INPUT_INVALID', `imageSize must be an integer in 8..1024 (got ${describeValue(merged.imageSize)}).`, {
        details: { field: 'imageSize' },
      });
    // Everything the network and its augmentation are built from, before tfjs sees it.
    if (!Array.isArray(merged.filters) || merged.filters.length === 0 || merged.filters.length > 11)
      throw new AppliedMLError('E_INPUT_INVALID', `filters must list 1 to 11 stage widths (got ${describeValue(merged.filters)}).`, {
        details: { field: 'filters' },
      });
    merged.filters.forEach((f, i) => checkIntegerOption(`filters[${i}]`, f, 1, 1024, false));
    checkIntegerOption('blocksPerStage', merged.blocksPerStage, 1, 16, false);
    checkNumberOption('dropout', merged.dropout, 0, 1, { open: 'max', optional: false });
    checkNumberOption('l2', merged.l2, 0, 100, { optional: false });
    checkIntegerOption('seed', merged.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, false);
    if (merged.normalization !== 'dataset' && merged.normalization !== 'per-image')
      throw new AppliedMLError('E_INPUT_INVALID', `normalization must be 'dataset' or 'per-image' (got ${String(merged.normalization)}).`);
    checkAugmentation(merged.augmentation);
    if (
      merged.labels !== undefined &&
      (!Array.isArray(merged.labels) ||
        merged.labels.length < 2 ||
        !merged.labels.every((l) => typeof l === 'string' && l !== '') ||
        new Set(merged.labels).size !== merged.labels.length)
    )
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `labels must be at least two distinct non-empty strings (got ${describeValue(merged.labels)}).`,
        {
          details: { field: 'labels' },
        },
      );
    if (merged.imageSize % 2 ** (merged.filters.length - 1) !== 0)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `imageSize ${merged.imageSize} must be divisible by ${2 ** (merged.filters.length - 1)} for ${merged.filters.length} stages.`,
      );
    return new ImageClassifier(merged, options.logger ?? silentLogger);
  }

  /** True once trained or loaded, until `dispose`. */
  get isTrained(): boolean {
    return !this.disposed && this.model !== undefined && this.fitted !== undefined;
  }

  /**
   * What the network was fitted on (the training data's `source` and image counts), saved with it; undefined
   * before training, and for a bundle saved by a version that did not record it (unknown).
   */
  get trainedOn(): TrainedOn | undefined {
    this.alive();
    return copyTrainedOn(this.trained);
  }

  /** The class names once trained or loaded (empty before); E_MODEL_DISPOSED after `dispose`. */
  get labels(): string[] {
    this.alive();
    return this.fitted ? [...this.fitted.labels] : [];
  }

  /** Binary models: the decision threshold on the positive score; E_MODEL_DISPOSED after `dispose`. */
  get threshold(): number | undefined {
    this.alive();
    return this.fitted?.threshold;
  }

  private alive(): void {
    if (this.disposed) throw new AppliedMLError('E_MODEL_DISPOSED', 'This ImageClassifier was disposed.');
  }

  private ready(): { model: tf.LayersModel; fitted: Fitted } {
    this.alive();
    if (!this.model || !this.fitted) throw new AppliedMLError('E_MODEL_NOT_TRAINED', 'Train or load the ImageClassifier first.');
    return { model: this.model, fitted: this.fitted };
  }

  /** Checked images (checkModelImage, assertLabeled) → normalised [n, size, size, 1] values; not scanned again. */
  private prepare(images: GrayImage[], norm: FittedNormalization): Float32Array {
    const size = this.config.imageSize;
    return normalizeInPlace(packImages(images, size), size * size, norm);
  }

  /** `prepare` for `train`: the same values, with event-loop turns (see packImagesInTurns). */
  private async prepareInTurns(images: GrayImage[], norm: FittedNormalization, turns: Turns): Promise<Float32Array> {
    const size = this.config.imageSize;
    return normalizeInTurns(await packImagesInTurns(images, size, turns), size * size, norm, turns);
  }

  private toTensor(values: Float32Array, n: number): tf.Tensor4D {
    const size = this.config.imageSize;
    return tf.tensor4d(values, [n, size, size, 1]);
  }

  /**
   * Train (or retrain) the classifier. Overlapping trains on one classifier: the model ends as the
   * last-started one left it, whatever order they finish in; an earlier train still running when a later
   * one installs its model stops at its next step, frees what it built and rejects with E_BUSY
   * (`details.reason` 'superseded'); a later train that fails leaves the earlier one free to install.
   * `signal` stops it (E_ABORTED, the classifier left as it was).
   */
  async train(data: LabeledImages, options: ClassifierTrainOptions = {}): Promise<ClassifierTrainingReport> {
    const ticket = this.trains.start();
    try {
      return await this.trainRun(data, options, ticket);
    } catch (error) {
      // Stopped because a later train installed its model: E_BUSY, as at the install (a dispose still wins).
      throw this.trains.trainError(trainError(error, 'ImageClassifier.train', this.disposed), 'ImageClassifier.train');
    } finally {
      this.trains.finish(ticket);
    }
  }

  private async trainRun(data: LabeledImages, options: ClassifierTrainOptions, ticket: number): Promise<ClassifierTrainingReport> {
    this.alive();
    checkKnownKeys('train options', options, TRAIN_KEYS);
    checkTrainOptions(options);
    // The user's signal, and a later train's install: either stops this one at its next turn.
    const signal = this.trains.trainSignal(ticket, checkSignalOption(options.signal), 'ImageClassifier.train');
    if (options.device !== undefined) checkDevice(options.device);
    // Aborted already: nothing read, nothing made.
    throwIfAborted(signal, 'ImageClassifier.train');
    // Image checks, resizing, normalisation and validation passes take turns too: an abort is seen within ~50 ms.
    const turns = eventLoopTurns(50, { signal, what: 'ImageClassifier.train' });
    const source = checkDataSource((data as Partial<LabeledImages> | null)?.source, 'training data');
    data = await assertLabeledInTurns(data, 'training data', turns);
    const logger = options.logger ?? this.logger;
    await initEngine({ ...(options.device ? { device: options.device } : {}), logger });
    this.alive();
    await takeTurn(turns);
    const present = [...new Set(data.labels)].sort();
    const configured = this.config.labels;
    const labels = configured ?? present;
    // Counted on the data, configured labels or not: a fresh network trained on one class (the others
    // weighted 0 by 'balanced') learns to name that class for everything, with no validation AUC to
    // select an epoch or a threshold on. Nothing it could learn is worth a model, so it is refused.
    // A label outside the configured list is the problem to name first (a set of only such labels is not
    // "one class": the rows are of labels the model does not have).
    if (configured) {
      const unknown = present.find((l) => !configured.includes(l));
      if (unknown !== undefined)
        throw new AppliedMLError('E_INPUT_INVALID', `Unknown label '${unknown}' (known: ${configured.join(', ')}).`);
    }
    if (present.length < 2) {
      // Said with what was found: one label (and how many rows carry it) usually means rows taken from
      // the start of a file sorted by label.
      const rows = data.labels.length;
      const found = present.length === 1 ? `all ${rows} training labels are '${present[0]}'` : 'the training data has no labels';
      const of = configured ? ` (of the configured ${configured.map((l) => `'${l}'`).join(', ')})` : '';
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `Training needs at least two classes, but ${found}${of}. A file sorted by label and sliced from its start holds one class: shuffle the rows (or take some of each class) before slicing.`,
        { details: { labels: present, count: rows, ...(configured ? { configured: [...configured] } : {}) } },
      );
    }
    const index = new Map(labels.map((l, i) => [l, i]));
    const toIndex = (l: string): number => {
      const i = index.get(l);
      if (i === undefined) throw new AppliedMLError('E_INPUT_INVALID', `Unknown label '${l}' (known: ${labels.join(', ')}).`);
      return i;
    };

    let train = data;
    let validation = options.validation;
    if (validation) validation = await assertLabeledInTurns(validation, 'validation data', turns);
    else {
      const fraction = options.validationFraction ?? 0.1;
      const rng = createRng(this.config.seed);
      const order = Array.from({ length: data.images.length }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const nVal = Math.max(1, Math.floor(order.length * fraction));
      const pick = (ids: number[]): LabeledImages => ({ images: ids.map((i) => data.images[i]!), labels: ids.map((i) => data.labels[i]!) });
      validation = pick(order.slice(0, nVal));
      train = pick(order.slice(nVal));
    }
    const yTrain = train.labels.map(toIndex);
    const yVal = validation.labels.map(toIndex);
    const size = this.config.imageSize;
    const raw = await packImagesInTurns(train.images, size, turns);
    const normalization = await fitNormalizationInTurns(raw, this.config.normalization, turns);
    // assertLabeled and packImages have checked these pixels, and fitNormalization has scanned them.
    const xTrainValues = await normalizeInTurns(raw, size * size, normalization, turns);
    const xValValues = await this.prepareInTurns(validation.images, normalization, turns);

    const classes = labels.length;
    // 'balanced': n / (classes · count); a configured class absent from the training rows weighs 0.
    const counts = new Array<number>(classes).fill(0);
    for (const y of yTrain) counts[y]!++;
    const classWeight =
      (options.classWeight ?? 'balanced') === 'balanced' ? resolveClassWeights('balanced', labels, counts, { unseen: 'zero' }) : undefined;

    // The new network replaces the current one only when training succeeds: a failed train leaves the
    // model as it was (and frees what it built).
    const rng = createRng(this.config.seed);
    const model = withSeededRandom(rng, () =>
      buildResNet(size, classes, {
        filters: this.config.filters,
        blocksPerStage: this.config.blocksPerStage,
        dropout: this.config.dropout,
        l2: this.config.l2,
      }),
    );
    const epochs = options.epochs ?? 20;
    const patience = options.patience ?? 6;
    let best = {
      score: -Infinity,
      epoch: -1,
      value: NaN,
      monitor: 'val_auc' as 'val_auc' | 'val_accuracy',
      weights: undefined as tf.Tensor[] | undefined,
    };
    let stop = false;
    let report: TrainingReport;
    let restored = false;
    let probs: Float32Array;
    const xVal = this.toTensor(xValValues, yVal.length);
    try {
      const x = this.toTensor(xTrainValues, yTrain.length);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d(yTrain, 'int32'), classes).toFloat());
      try {
        report = await fitModel(model, x, y, {
          epochs,
          batchSize: options.batchSize ?? 64,
          loss: 'categoricalCrossentropy',
          learningRate: options.learningRate ?? 2e-3,
          lrSchedule: { type: 'cosine' },
          ...(classWeight ? { classWeight } : {}),
          ...(augmenter(this.config.augmentation) ? { augment: augmenter(this.config.augmentation)! } : {}),
          seed: this.config.seed,
          progress: options.progress ?? false,
          progressLabel: 'classifier',
          logger,
          signal,
          what: 'ImageClassifier.train',
          // An aborted or superseded train frees this network: no copy of its weights to put back.
          restoreOnAbort: false,
          callbacks: {
            onEpochEnd: async (logs) => {
              const p = await predictInTurns(model, xVal, 256, turns);
              const m = classificationMetrics(yVal, p, labels, classes === 2 ? 0.5 : undefined);
              const score = Number.isNaN(m.auc) ? m.accuracy : m.auc + 1e-3 * m.accuracy;
              // Patience as the engine counts it: `patience` epochs in a row no better are tolerated, the next stops.
              if (score > best.score) {
                tf.dispose(best.weights ?? []);
                best = {
                  score,
                  epoch: logs.epoch,
                  value: Number.isNaN(m.auc) ? m.accuracy : m.auc,
                  monitor: Number.isNaN(m.auc) ? 'val_accuracy' : 'val_auc',
                  weights: model.getWeights().map((w) => w.clone()),
                };
              } else if (logs.epoch - best.epoch > patience) stop = true;
              await options.onEpoch?.({
                epoch: logs.epoch,
                loss: logs.loss,
                valAuc: m.auc,
                valAccuracy: m.accuracy,
                seconds: logs.seconds,
              });
            },
            // Disposed meanwhile: no point in more epochs (the run then fails with E_MODEL_DISPOSED).
            shouldStop: () => stop || this.disposed,
          },
        });
        if (best.weights) {
          model.setWeights(best.weights);
          restored = best.epoch !== report.epochsRun - 1;
        }
      } finally {
        tf.dispose([x, y, ...(best.weights ?? [])]);
      }
      probs = await predictInTurns(model, xVal, 256, turns);
    } catch (error) {
      model.dispose();
      throw error;
    } finally {
      xVal.dispose();
    }
    let threshold: number | undefined;
    if (classes === 2) {
      const mode = options.threshold ?? 'youden';
      threshold =
        typeof mode === 'number'
          ? mode
          : youdenThreshold(
              yVal,
              Array.from({ length: yVal.length }, (_, i) => probs[i * 2 + 1]!),
            );
    }
    // Disposed while training ran: the new network is freed, not attached to a disposed model.
    if (this.disposed) {
      model.dispose();
      throw new AppliedMLError('E_MODEL_DISPOSED', 'This ImageClassifier was disposed while it trained; create or load another.');
    }
    // A train started after this one has installed its model meanwhile: that one stays (no await from
    // here to the install).
    if (!this.trains.install(ticket)) {
      model.dispose();
      throw this.trains.supersededError('ImageClassifier.train');
    }
    this.disposeModels();
    this.model = model;
    this.fitted = { labels, normalization, ...(threshold !== undefined ? { threshold } : {}) };
    this.trained = { ...(source ? { source } : {}), images: train.images.length, validationImages: validation.images.length };
    const validationMetrics = classificationMetrics(yVal, probs, labels, threshold);
    logger.info('classifier trained', { epochs: report.epochsRun, selectedEpoch: best.epoch + 1, valAuc: validationMetrics.auc });
    // The classifier's patience stops the engine's loop through shouldStop: to its user that is early stopping,
    // also when it runs out on the last epoch (the engine then ignores shouldStop, but reports its own
    // earlyStopping as stopped early in that case).
    const stoppedBy = stop ? ('earlyStopping' as const) : report.stoppedBy;
    // The engine's fields describe its own loop (the training loss it watched, no weights restored); the
    // classifier keeps the epoch of best validation AUC, so they are set to what was kept and named.
    return {
      ...report,
      monitor: best.monitor,
      bestEpoch: best.epoch,
      bestValue: best.value,
      restoredBestWeights: restored,
      stoppedEarly: report.stoppedEarly || stop,
      ...(stoppedBy !== undefined ? { stoppedBy } : {}),
      selectedEpoch: best.epoch,
      ...(threshold !== undefined ? { threshold } : {}),
      validation: validationMetrics,
    };
  }

  /** Probabilities of images `grayImage` or `assertLabeled` has checked. */
  private probabilities(images: GrayImage[], batchSize = 256): Float32Array {
    const { model, fitted } = this.ready();
    const x = this.toTensor(this.prepare(images, fitted.normalization), images.length);
    let data: Float32Array;
    try {
      data = predictBatched(model, x, { batchSize }).data;
    } finally {
      x.dispose();
    }
    // Finite but extreme pixel values (1e38) overflow the network to NaN: an error, not NaN probabilities.
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `The network's output for image ${Math.floor(bad / fitted.labels.length)} is not finite: its pixel values are far outside the range the model was trained on.`,
        { details: { index: Math.floor(bad / fitted.labels.length) } },
      );
    return data;
  }

  private decide(probs: Float32Array, i: number, fitted: Fitted): number {
    const classes = fitted.labels.length;
    if (classes === 2 && fitted.threshold !== undefined) return probs[i * 2 + 1]! >= fitted.threshold ? 1 : 0;
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[i * classes + c]! > probs[i * classes + best]!) best = c;
    return best;
  }

  async predict(image: GrayImage, options: PredictOptions = {}): Promise<ClassPrediction> {
    return (await this.predictBatch([image], options))[0]!;
  }

  async predictBatch(images: GrayImage[], options: PredictOptions = {}): Promise<ClassPrediction[]> {
    const { fitted } = this.ready();
    checkKnownKeys('predict options', options, PREDICT_KEYS);
    if (!Array.isArray(images) || images.length === 0)
      throw new AppliedMLError('E_INPUT_INVALID', 'predictBatch needs at least one image.');
    // RGB images (channels: 3) as their luminance, as readMedicalImage makes the image of a colour PNG:
    // they were refused as 'holds 1200 values for 20 × 20 pixels', which read like a corrupt image.
    images = Array.from(images, (image, i) => grayImage(image, `image ${i}`));
    const probs = this.probabilities(images, options.batchSize);
    const classes = fitted.labels.length;
    const decisions = images.map((_, i) => this.decide(probs, i, fitted));
    const heatmaps = options.explain ? this.gradCam(images, decisions) : undefined;
    return images.map((_, i) => {
      const c = decisions[i]!;
      // Own properties, so a label such as '__proto__' keeps its probability.
      const probabilities: Record<string, number> = Object.fromEntries(fitted.labels.map((l, k) => [l, probs[i * classes + k]!]));
      const out: ClassPrediction = { label: fitted.labels[c]!, score: probs[i * classes + c]!, probabilities };
      if (classes === 2) out.positiveScore = probs[i * 2 + 1]!;
      if (heatmaps) out.heatmap = heatmaps[i]!;
      return out;
    });
  }

  /** Grad-CAM (Selvaraju et al. 2017) on the last residual block for the given classes. */
  private gradCam(images: GrayImage[], classIndex: number[]): GrayImage[] {
    const { model, fitted } = this.ready();
    this.featureModel ??= tf.model({ inputs: model.inputs, outputs: model.getLayer(FEATURES_LAYER).output as tf.SymbolicTensor });
    const featureModel = this.featureModel;
    const [kernel, bias] = model.getLayer(CLASSIFIER_LAYER).getWeights();
    const size = this.config.imageSize;
    const classes = fitted.labels.length;
    const values = this.prepare(images, fitted.normalization);
    const cams = tf.tidy(() => {
      const x = this.toTensor(values, images.length);
      const features = featureModel.predict(x) as tf.Tensor4D;
      const mask = tf.oneHot(tf.tensor1d(classIndex, 'int32'), classes);
      const score = (a: tf.Tensor): tf.Scalar =>
        tf.sum(tf.mul(tf.add(tf.matMul(tf.mean(a, [1, 2]) as tf.Tensor2D, kernel as tf.Tensor2D), bias!), mask)) as tf.Scalar;
      const grads = tf.grad(score)(features);
      const alpha = tf.mean(grads, [1, 2], true);
      const cam = tf.relu(tf.sum(tf.mul(features, alpha), -1, true)) as tf.Tensor4D;
      const peak = tf.add(tf.max(cam, [1, 2, 3], true), 1e-8);
      return upsampleCam(tf.div(cam, peak) as tf.Tensor4D, size);
    });
    const data = cams.dataSync() as Float32Array;
    cams.dispose();
    return images.map((_, i) => ({
      width: size,
      height: size,
      data: Float32Array.from(data.subarray(i * size * size, (i + 1) * size * size)),
    }));
  }

  async evaluate(data: LabeledImages): Promise<ClassificationMetrics> {
    const { fitted } = this.ready();
    data = assertLabeled(data, 'evaluation data');
    const index = new Map(fitted.labels.map((l, i) => [l, i]));
    const yTrue = data.labels.map((l) => {
      const i = index.get(l);
      if (i === undefined) throw new AppliedMLError('E_INPUT_INVALID', `Unknown label '${l}' (known: ${fitted.labels.join(', ')}).`);
      return i;
    });
    return classificationMetrics(yTrue, this.probabilities(data.images), fitted.labels, fitted.threshold);
  }

  async save(dir: string, metrics?: Record<string, number>): Promise<void> {
    this.ready();
    // A dispose() while it writes: E_MODEL_DISPOSED, `dir` left as it was; a retrain meanwhile: the save
    // starts again on the new model (see saveWhole).
    await saveWhole(dir, {
      kind: 'ImageClassifier',
      take: () => ({ ...this.ready(), trained: this.trained }),
      current: (state) => this.model === state.model,
      isDisposed: () => this.disposed,
      write: async (staging, { model, fitted, trained }) => {
        await saveBundle(staging, {
          package: MEDICAL_IMAGING_PACKAGE,
          packageVersion: MEDICAL_IMAGING_VERSION,
          task: CLASSIFICATION_TASK,
          models: { classifier: model },
          labels: fitted.labels,
          preprocessing: {
            imageSize: this.config.imageSize,
            normalization: { mode: fitted.normalization.mode, mean: fitted.normalization.mean, std: fitted.normalization.std },
            threshold: fitted.threshold ?? null,
          },
          config: JSON.parse(JSON.stringify(this.config)) as JsonValue,
          ...(metrics ? { metrics } : {}),
          ...(trained ? { files: { [TRAINED_ON_FILE]: trainedOnJson(trained) } } : {}),
        });
      },
    });
  }

  static async load(dir: string, options: { device?: Device; logger?: Logger } = {}): Promise<ImageClassifier> {
    checkKnownKeys('ImageClassifier.load options', options, LOAD_KEYS);
    await initEngine({ ...(options.device ? { device: options.device } : {}), ...(options.logger ? { logger: options.logger } : {}) });
    // A network this engine cannot rebuild (a layer class a later version writes): from a newer version,
    // loadBundle says it needs an upgrade (E_BUNDLE_INCOMPATIBLE), not repair.
    const bundle = await loadBundle(dir, {
      package: MEDICAL_IMAGING_PACKAGE,
      task: CLASSIFICATION_TASK,
      readerVersion: MEDICAL_IMAGING_VERSION,
    }).catch(async (error: unknown) => {
      throw await ensembleFolderError(error, dir, 'ImageSegmenter.load', CLASSIFICATION_TASK);
    });
    try {
      return ImageClassifier.fromBundle(dir, bundle, options.logger);
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

  /** The classifier a loaded bundle holds (its models disposed on any failure: E_BUNDLE_CORRUPT). */
  private static fromBundle(dir: string, bundle: LoadedBundle, logger: Logger | undefined): ImageClassifier {
    // A newer version's save: what this version does not know in it is refused, not dropped.
    const unknown = unknownBundleParts(bundle, MEDICAL_IMAGING_VERSION, {
      config: { ...anyValueFields(CONFIG_KEYS), augmentation: AUGMENTATION_KEYS },
      preprocessing: { imageSize: true, normalization: ['mode', 'mean', 'std'], threshold: true },
      models: ['classifier'],
    });
    if (unknown.length > 0) {
      Object.values(bundle.models).forEach((m) => m.dispose());
      throw unknownPartsError(dir, unknown);
    }
    const corrupt = (what: string): AppliedMLError =>
      new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: ${what}.`, { details: { dir } });
    const model = bundle.models.classifier;
    const pre = bundle.manifest.preprocessing as
      { imageSize?: number; normalization?: FittedNormalization; threshold?: number | null } | undefined;
    const labels = bundle.manifest.labels;
    const dispose = (): void => Object.values(bundle.models).forEach((m) => m.dispose());
    if (!model || !pre || !pre.normalization || !labels || labels.length < 2 || typeof pre.imageSize !== 'number') {
      dispose();
      throw corrupt('the classifier model, labels or preprocessing is missing');
    }
    const outputs = model.outputs[0]?.shape ?? [];
    if (
      !Array.isArray(labels) ||
      !labels.every((l) => typeof l === 'string' && l !== '') ||
      new Set(labels).size !== labels.length ||
      model.outputs.length !== 1 ||
      outputs[outputs.length - 1] !== labels.length
    ) {
      dispose();
      throw corrupt(`its labels are not ${String(outputs[outputs.length - 1])} distinct non-empty strings, one per network output`);
    }
    const shape = model.inputs[0]?.shape ?? [];
    if (shape[1] !== pre.imageSize || shape[2] !== pre.imageSize || shape[3] !== 1) {
      dispose();
      throw corrupt(`its network takes ${JSON.stringify(shape)} but its preprocessing says ${pre.imageSize}×${pre.imageSize}`);
    }
    if (
      !validNormalization(pre.normalization) ||
      !(
        pre.threshold === undefined ||
        pre.threshold === null ||
        (typeof pre.threshold === 'number' && pre.threshold > 0 && pre.threshold < 1)
      )
    ) {
      dispose();
      throw corrupt('its normalisation or threshold is not valid');
    }
    const config = { ...(bundle.manifest.config as Partial<ImageClassifierConfig>), imageSize: pre.imageSize };
    let classifier: ImageClassifier;
    try {
      const known = keepKnownKeys(config, CONFIG_KEYS);
      if (known.augmentation && typeof known.augmentation === 'object')
        known.augmentation = keepKnownKeys(known.augmentation, AUGMENTATION_KEYS);
      classifier = ImageClassifier.create(known, logger ? { logger } : {});
    } catch (cause) {
      dispose();
      throw new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: its config is not valid (${(cause as Error).message}).`, {
        cause,
        details: { dir },
      });
    }
    let trained: TrainedOn | undefined;
    try {
      trained = readTrainedOn(bundle.files[TRAINED_ON_FILE], dir);
    } catch (error) {
      dispose();
      throw error;
    }
    classifier.model = model;
    classifier.trained = trained;
    classifier.fitted = {
      labels,
      normalization: pre.normalization,
      ...(typeof pre.threshold === 'number' ? { threshold: pre.threshold } : {}),
    };
    return classifier;
  }

  private disposeModels(): void {
    this.featureModel = undefined;
    this.model?.dispose();
    this.model = undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposeModels();
    this.fitted = undefined;
    this.disposed = true;
  }
}
