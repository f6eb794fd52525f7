// ImageSegmenter: a U-Net with skip connections trained with Dice + binary cross-entropy.
// train → predict / predictBatch → evaluate → save / load → dispose.
import {
  AppliedMLError,
  createRng,
  fitModel,
  initEngine,
  iou,
  loadBundle,
  meanDice,
  predictBatched,
  saveBundle,
  silentLogger,
  tf,
  withSeededRandom,
} from '@appliedml/engine';
import type { Device, JsonValue, Logger, TrainingReport } from '@appliedml/engine';
import { channelsOf } from './gray-image';
import type { AnyImage, GrayImage } from './gray-image';
import { buildUNet } from './models';
import { augmenter, checkImage, resizeGray } from './preprocess';
import { MEDICAL_IMAGING_PACKAGE, MEDICAL_IMAGING_VERSION } from './version';

export const SEGMENTATION_TASK = 'image-segmentation';

export interface ImageSegmenterConfig {
  /** Images and masks are resized to size × size (default 128; a multiple of 2^(levels − 1)). */
  imageSize: number;
  /** 1 (grayscale) or 3 (RGB); default 3. Grayscale inputs are repeated to RGB when 3, RGB averaged when 1. */
  channels: 1 | 3;
  /** Channels per U-Net level, top to bottleneck (default [16, 32, 64, 128]). */
  filters: number[];
  dropout: number;
  /** Weight of the soft Dice loss next to binary cross-entropy (default 1). */
  diceWeight: number;
  /** Add left–right and up–down flipped copies of the training images (default true). */
  flipAugment: boolean;
  /** Brightness / contrast jitter in the trainer's augment hook (default 0.1 / 0.15). */
  brightness: number;
  contrast: number;
  seed: number;
}

export const SEGMENTER_DEFAULTS: ImageSegmenterConfig = {
  imageSize: 128,
  channels: 3,
  filters: [16, 32, 64, 128],
  dropout: 0.1,
  diceWeight: 1,
  flipAugment: true,
  brightness: 0.1,
  contrast: 0.15,
  seed: 42,
};

/** Images with their binary masks (values > 0.5 are foreground), each mask the size of its image. */
export interface MaskedImages {
  images: AnyImage[];
  masks: GrayImage[];
}

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
  /** Stop after this many epochs without a better validation Dice (default 8). */
  patience?: number;
  device?: Device;
  logger?: Logger;
  progress?: boolean | 'auto';
  onEpoch?: (epoch: SegmenterEpoch) => void;
}

export interface SegmentationMetrics {
  count: number;
  /** Mean per-image Dice at threshold 0.5. */
  dice: number;
  /** Mean per-image IoU. */
  iou: number;
}

export interface SegmenterTrainingReport extends TrainingReport {
  selectedEpoch: number;
  validation: SegmentationMetrics;
}

export interface MaskPrediction {
  /** Binary mask (0/1) at the input image's size. */
  mask: GrayImage;
  /** Foreground probability at the model's size. */
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

function assertMasked(data: MaskedImages, what: string): void {
  if (!data || !Array.isArray(data.images) || !Array.isArray(data.masks))
    throw new AppliedMLError('E_INPUT_INVALID', `The ${what} must be { images, masks }.`);
  if (data.images.length === 0) throw new AppliedMLError('E_INPUT_INVALID', `The ${what} holds no images.`);
  if (data.images.length !== data.masks.length)
    throw new AppliedMLError('E_SHAPE_MISMATCH', `The ${what} has ${data.images.length} images but ${data.masks.length} masks.`);
  data.images.forEach((image, i) => {
    const mask = data.masks[i]!;
    checkImage(mask, `${what} mask ${i}`);
    if (mask.width !== image.width || mask.height !== image.height)
      throw new AppliedMLError(
        'E_SHAPE_MISMATCH',
        `The ${what} mask ${i} is ${mask.width} × ${mask.height} but its image is ${image.width} × ${image.height}.`,
        { details: { index: i, image: [image.width, image.height], mask: [mask.width, mask.height] } },
      );
  });
}

function checkAny(image: AnyImage, what: string): void {
  const c = channelsOf(image);
  if (c === 1) return checkImage(image, what);
  if (!image.data || image.data.length !== image.width * image.height * 3)
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `The ${what} holds ${image.data?.length ?? 0} values for ${image.width} × ${image.height} RGB pixels.`,
    );
  for (const v of image.data) if (!Number.isFinite(v)) throw new AppliedMLError('E_INPUT_INVALID', `The ${what} holds a non-finite value.`);
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

export class ImageSegmenter {
  readonly config: ImageSegmenterConfig;
  private model: tf.LayersModel | undefined;
  private fitted: Fitted | undefined;
  private disposed = false;
  private readonly logger: Logger;

  private constructor(config: ImageSegmenterConfig, logger: Logger) {
    this.config = config;
    this.logger = logger;
  }

  static create(config: Partial<ImageSegmenterConfig> = {}, options: { logger?: Logger } = {}): ImageSegmenter {
    const merged = { ...SEGMENTER_DEFAULTS, ...config };
    const factor = 2 ** (merged.filters.length - 1);
    if (!Number.isInteger(merged.imageSize) || merged.imageSize < factor || merged.imageSize % factor !== 0 || merged.imageSize > 1024)
      throw new AppliedMLError('E_INPUT_INVALID', `imageSize must be a multiple of ${factor} up to 1024 (got ${merged.imageSize}).`);
    if (merged.channels !== 1 && merged.channels !== 3) throw new AppliedMLError('E_INPUT_INVALID', 'channels must be 1 or 3.');
    return new ImageSegmenter(merged, options.logger ?? silentLogger);
  }

  private alive(): void {
    if (this.disposed) throw new AppliedMLError('E_MODEL_DISPOSED', 'This ImageSegmenter was disposed.');
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

  private packMasks(masks: GrayImage[]): Float32Array {
    const size = this.config.imageSize;
    const out = new Float32Array(masks.length * size * size);
    masks.forEach((m, i) => {
      const r = resizeGray(m, size, size).data;
      for (let p = 0; p < r.length; p++) out[i * size * size + p] = r[p]! > 0.5 ? 1 : 0;
    });
    return out;
  }

  async train(data: MaskedImages, options: SegmenterTrainOptions = {}): Promise<SegmenterTrainingReport> {
    this.alive();
    assertMasked(data, 'training data');
    data.images.forEach((image, i) => checkAny(image, `training image ${i}`));
    await initEngine(options.device ? { device: options.device } : {});
    const logger = options.logger ?? this.logger;
    let train = data;
    let validation = options.validation;
    if (validation) {
      assertMasked(validation, 'validation data');
      validation.images.forEach((image, i) => checkAny(image, `validation image ${i}`));
    } else {
      const rng = createRng(this.config.seed);
      const order = rng.shuffle(Array.from({ length: data.images.length }, (_, i) => i));
      const nVal = Math.max(1, Math.floor(order.length * (options.validationFraction ?? 0.1)));
      const pick = (ids: number[]): MaskedImages => ({ images: ids.map((i) => data.images[i]!), masks: ids.map((i) => data.masks[i]!) });
      validation = pick(order.slice(0, nVal));
      train = pick(order.slice(nVal));
    }
    const { imageSize: size, channels } = this.config;
    const raw = this.pack(train.images, undefined);
    const mean = new Array<number>(channels).fill(0);
    const sq = new Array<number>(channels).fill(0);
    for (let i = 0; i < raw.length; i++) {
      mean[i % channels]! += raw[i]!;
      sq[i % channels]! += raw[i]! * raw[i]!;
    }
    const per = raw.length / channels;
    const fitted: Fitted = {
      mean: mean.map((s) => s / per),
      std: mean.map((s, c) => Math.sqrt(Math.max(1e-8, sq[c]! / per - (s / per) ** 2))),
    };
    for (let i = 0; i < raw.length; i++) raw[i] = (raw[i]! - fitted.mean[i % channels]!) / fitted.std[i % channels]!;
    let xValues = raw;
    let yValues = this.packMasks(train.masks);
    let n = train.images.length;
    if (this.config.flipAugment) {
      // Geometric augmentation must move image and mask together, so flipped copies are added up front.
      const flipped = (values: Float32Array, c: number, horizontal: boolean): Float32Array => {
        const out = new Float32Array(values.length);
        const stride = size * size * c;
        for (let k = 0; k < n; k++)
          for (let y = 0; y < size; y++)
            for (let x = 0; x < size; x++) {
              const sx = horizontal ? size - 1 - x : x;
              const sy = horizontal ? y : size - 1 - y;
              for (let ch = 0; ch < c; ch++) out[k * stride + (y * size + x) * c + ch] = values[k * stride + (sy * size + sx) * c + ch]!;
            }
        return out;
      };
      const join = (parts: Float32Array[]): Float32Array => {
        const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
        let at = 0;
        for (const p of parts) {
          out.set(p, at);
          at += p.length;
        }
        return out;
      };
      xValues = join([raw, flipped(raw, channels, true), flipped(raw, channels, false)]);
      yValues = join([yValues, flipped(yValues, 1, true), flipped(yValues, 1, false)]);
      n *= 3;
    }
    const valMasks = validation.masks.map((m) => {
      const r = resizeGray(m, size, size).data;
      return Float32Array.from(r, (v) => (v > 0.5 ? 1 : 0));
    });
    const xValValues = this.pack(validation.images, fitted);

    this.disposeModel();
    const model = withSeededRandom(createRng(this.config.seed), () =>
      buildUNet(size, channels, { filters: this.config.filters, dropout: this.config.dropout }),
    );
    this.model = model;
    const x = tf.tensor4d(xValues, [n, size, size, channels]);
    const y = tf.tensor4d(yValues, [n, size, size, 1]);
    const xVal = tf.tensor4d(xValValues, [validation.images.length, size, size, channels]);
    const patience = options.patience ?? 8;
    let best = { dice: -Infinity, epoch: -1, weights: undefined as tf.Tensor[] | undefined };
    let stop = false;
    const augment = augmenter({
      flipHorizontal: false,
      flipVertical: false,
      rotation: 0,
      shift: 0,
      zoom: 0,
      brightness: this.config.brightness,
      contrast: this.config.contrast,
    });
    const valDice = (): number => {
      const probs = predictBatched(model, xVal, { batchSize: 16 }).data;
      const pixels = size * size;
      return meanDice(
        valMasks,
        valMasks.map((_, i) => probs.subarray(i * pixels, (i + 1) * pixels)),
      );
    };
    let report: TrainingReport;
    try {
      report = await fitModel(model, x, y, {
        epochs: options.epochs ?? 30,
        batchSize: options.batchSize ?? 16,
        loss: diceBceLoss(this.config.diceWeight),
        accuracy: false,
        learningRate: options.learningRate ?? 2e-3,
        lrSchedule: { type: 'cosine' },
        ...(augment ? { augment } : {}),
        seed: this.config.seed,
        progress: options.progress ?? false,
        progressLabel: 'segmenter',
        logger,
        callbacks: {
          onEpochEnd: (logs) => {
            const d = valDice();
            if (d > best.dice) {
              tf.dispose(best.weights ?? []);
              best = { dice: d, epoch: logs.epoch, weights: model.getWeights().map((w) => w.clone()) };
            } else if (logs.epoch - best.epoch >= patience) stop = true;
            options.onEpoch?.({ epoch: logs.epoch, loss: logs.loss, valDice: d, seconds: logs.seconds });
          },
          shouldStop: () => stop,
        },
      });
      if (best.weights) model.setWeights(best.weights);
    } finally {
      tf.dispose([x, y, xVal, ...(best.weights ?? [])]);
    }
    this.fitted = fitted;
    const metrics = await this.evaluate(validation);
    logger.info('segmenter trained', { epochs: report.epochsRun, selectedEpoch: best.epoch + 1, valDice: metrics.dice });
    return { ...report, selectedEpoch: best.epoch, validation: metrics };
  }

  private probabilities(images: AnyImage[]): Float32Array {
    const { model, fitted } = this.ready();
    images.forEach((image, i) => checkAny(image, `image ${i}`));
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
    return images.map((image, i) => {
      const probability: GrayImage = { width: size, height: size, data: Float32Array.from(probs.subarray(i * pixels, (i + 1) * pixels)) };
      const full = resizeGray(probability, image.width, image.height).data;
      const mask = Float32Array.from(full, (v) => (v > 0.5 ? 1 : 0));
      let area = 0;
      for (const v of mask) area += v;
      return { mask: { width: image.width, height: image.height, data: mask }, probability, area: area / mask.length };
    });
  }

  /** Dice and IoU per image at the model's resolution, averaged over images. */
  async evaluate(data: MaskedImages): Promise<SegmentationMetrics> {
    this.ready();
    assertMasked(data, 'evaluation data');
    const size = this.config.imageSize;
    const pixels = size * size;
    const probs = this.probabilities(data.images);
    const truth = data.masks.map((m) => Float32Array.from(resizeGray(m, size, size).data, (v) => (v > 0.5 ? 1 : 0)));
    const predicted = truth.map((_, i) => probs.subarray(i * pixels, (i + 1) * pixels));
    const ious = truth.map((t, i) => iou(t, predicted[i]!));
    return { count: truth.length, dice: meanDice(truth, predicted), iou: ious.reduce((s, v) => s + v, 0) / ious.length };
  }

  async save(dir: string, metrics?: Record<string, number>): Promise<void> {
    const { model, fitted } = this.ready();
    await saveBundle(dir, {
      package: MEDICAL_IMAGING_PACKAGE,
      packageVersion: MEDICAL_IMAGING_VERSION,
      task: SEGMENTATION_TASK,
      models: { segmenter: model },
      preprocessing: { imageSize: this.config.imageSize, channels: this.config.channels, mean: fitted.mean, std: fitted.std },
      config: JSON.parse(JSON.stringify(this.config)) as JsonValue,
      ...(metrics ? { metrics } : {}),
    });
  }

  static async load(dir: string, options: { device?: Device; logger?: Logger } = {}): Promise<ImageSegmenter> {
    await initEngine(options.device ? { device: options.device } : {});
    const bundle = await loadBundle(dir, { package: MEDICAL_IMAGING_PACKAGE, task: SEGMENTATION_TASK });
    const model = bundle.models.segmenter;
    const pre = bundle.manifest.preprocessing as { imageSize?: number; channels?: 1 | 3; mean?: number[]; std?: number[] } | undefined;
    if (!model || !pre || typeof pre.imageSize !== 'number' || !pre.mean || !pre.std || (pre.channels !== 1 && pre.channels !== 3)) {
      Object.values(bundle.models).forEach((m) => m.dispose());
      throw new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: the segmenter model or its preprocessing is missing.`, {
        details: { dir },
      });
    }
    const config = { ...(bundle.manifest.config as Partial<ImageSegmenterConfig>), imageSize: pre.imageSize, channels: pre.channels };
    const segmenter = ImageSegmenter.create(config, options.logger ? { logger: options.logger } : {});
    segmenter.model = model;
    segmenter.fitted = { mean: pre.mean, std: pre.std };
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
