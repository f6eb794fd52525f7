import {
  AppliedMLError,
  checkIntegerOption,
  checkNumberOption,
  describeValue,
  createRng,
  fitModel,
  predictBatched,
  resolveClassWeights,
  tf,
  withSeededRandom,
  type Logger,
  type TrainingReport,
} from '@appliedml/engine';
import type { Matrix } from './matrix';
import { checkNoHoles } from './option-lists';

/** Internal: the autoencoder and the supervised MLP, trained with the engine's fitModel. No tfjs types leave this package. */
export interface AutoencoderOptions {
  /** Hidden widths of the encoder; the decoder mirrors them (default [cols / 2, cols / 4]). */
  hidden?: number[];
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
}

/** The train's signal, and the call its E_ABORTED names ('FraudDetector.train'). */
export interface NetworkAbort {
  signal?: AbortSignal | undefined;
  what: string;
}

export interface MlpOptions {
  hidden?: number[];
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** 'balanced' (default): weight each class by n / (2 · count); or explicit [w0, w1]. */
  classWeight?: 'balanced' | [number, number];
  dropout?: number;
  /** 'binaryCrossentropy' (default) or 'focal' (Lin et al. 2017; down-weights easy examples). */
  loss?: 'binaryCrossentropy' | 'focal';
  /** Focal loss gamma (default 2). */
  focalGamma?: number;
}

/** Refuses network options that would fail inside tfjs or train nothing (E_INPUT_INVALID naming the option). */
export function checkNetOptions(name: 'mlp' | 'autoencoder', o: (AutoencoderOptions & Partial<MlpOptions>) | undefined): void {
  if (o === undefined) return;
  const bad = (field: string, v: unknown, rule: string): never => {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${name}.${field} must be ${rule} (got ${typeof v === 'number' ? String(v) : describeValue(v)}).`,
      {
        details: { field: `${name}.${field}` },
      },
    );
  };
  if (o.hidden !== undefined) {
    if (!Array.isArray(o.hidden) || o.hidden.length === 0 || o.hidden.length > 8) bad('hidden', o.hidden, 'a list of 1 to 8 layer widths');
    checkNoHoles(`${name}.hidden`, o.hidden);
    for (let i = 0; i < o.hidden.length; i++) checkIntegerOption(`${name}.hidden[${i}]`, o.hidden[i], 1, 4096, false);
  }
  checkIntegerOption(`${name}.epochs`, o.epochs, 1, 10_000);
  checkIntegerOption(`${name}.batchSize`, o.batchSize, 1, 1_000_000);
  checkNumberOption(`${name}.learningRate`, o.learningRate, 0, 10, { open: 'min' });
  checkNumberOption(`${name}.dropout`, o.dropout, 0, 1, { open: 'max' });
  checkNumberOption(`${name}.focalGamma`, o.focalGamma, 0, 10);
  if (o.loss !== undefined && o.loss !== 'binaryCrossentropy' && o.loss !== 'focal') bad('loss', o.loss, "'binaryCrossentropy' or 'focal'");
  const cw = o.classWeight;
  checkNoHoles(`${name}.classWeight`, cw);
  if (cw !== undefined && cw !== 'balanced' && !(Array.isArray(cw) && cw.length === 2 && cw.every((w) => Number.isFinite(w) && w > 0)))
    bad('classWeight', cw, "'balanced' or two positive weights [w0, w1]");
}

/** Binary focal loss per sample: −[y (1−p)^γ log p + (1−y) p^γ log(1−p)]. */
export function focalLoss(gamma: number): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor {
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const p = tf.clipByValue(yPred, 1e-7, 1 - 1e-7);
      const pos = tf.mul(tf.mul(yTrue, tf.pow(tf.sub(1, p), gamma)), tf.log(p));
      const neg = tf.mul(tf.mul(tf.sub(1, yTrue), tf.pow(p, gamma)), tf.log(tf.sub(1, p)));
      return tf.mean(tf.neg(tf.add(pos, neg)), -1);
    });
}

/** Scaled features are clipped to ±CLIP before the networks see them, so one wild value cannot dominate the loss. */
export const CLIP = 10;

export function clippedTensor(x: Matrix): tf.Tensor2D {
  const f = new Float32Array(x.data.length);
  for (let i = 0; i < f.length; i++) f[i] = clipped(x.data[i] as number);
  return tf.tensor2d(f, [x.rows, x.cols]);
}

/** A seeded permutation of the rows, so a validation split is not the file's tail. */
function shuffledRows(x: Matrix, seed: number): number[] {
  return createRng(seed).shuffle(Array.from({ length: x.rows }, (_, i) => i));
}

function gather(x: Matrix, idx: number[]): Matrix {
  const out = new Float64Array(idx.length * x.cols);
  idx.forEach((r, i) => out.set(x.data.subarray(r * x.cols, (r + 1) * x.cols), i * x.cols));
  return { data: out, rows: idx.length, cols: x.cols };
}

/** Share of a network's training rows held out to stop training early. */
const HELD_OUT = 0.1;
/** Fewest rows a network trains on: a tenth of them, at least one, is held out (`HELD_OUT`). */
export const MIN_NETWORK_ROWS = Math.ceil(1 / HELD_OUT);

/**
 * E_INPUT_INVALID, in the user's terms, when `x` is too few rows to hold any out: the engine's
 * refusal named `validationSplit`, an option no detector's caller sets ("validationSplit 0.1 of 5 rows
 * leaves no rows on one side").
 */
function checkNetworkRows(x: Matrix, which: 'autoencoder' | 'mlp'): void {
  if (x.rows >= MIN_NETWORK_ROWS) return;
  const instead =
    which === 'mlp'
      ? `detector: 'gbt' (supervised, trains on as few as 2 rows)`
      : `detector: 'ecod' or another unsupervised detector, or an ensemble without 'autoencoder' in members (they train on as few as 2 rows)`;
  throw new AppliedMLError(
    'E_INPUT_INVALID',
    `The ${which} detector needs at least ${MIN_NETWORK_ROWS} training rows (it got ${x.rows}): it holds a tenth of them, at least one, out to stop training early. ` +
      `Train on ${MIN_NETWORK_ROWS} rows or more, or use ${instead}.`,
    { details: { field: 'detector', detector: which, rows: x.rows, minRows: MIN_NETWORK_ROWS, reason: 'too-few-rows' } },
  );
}

export async function trainAutoencoder(
  x: Matrix,
  options: AutoencoderOptions,
  seed: number,
  logger: Logger,
  abort?: NetworkAbort,
): Promise<{ model: tf.LayersModel; report: TrainingReport }> {
  checkNetworkRows(x, 'autoencoder');
  // A real bottleneck: half, then a quarter of the input width (at least 2 and 1 units).
  const hidden = options.hidden ?? [Math.max(2, Math.round(x.cols / 2)), Math.max(1, Math.round(x.cols / 4))];
  const model = withSeededRandom(createRng(seed), () => {
    const m = tf.sequential();
    const widths = [...hidden, ...hidden.slice(0, -1).reverse()];
    widths.forEach((units, i) => m.add(tf.layers.dense({ units, activation: 'relu', ...(i === 0 ? { inputShape: [x.cols] } : {}) })));
    m.add(tf.layers.dense({ units: x.cols }));
    return m;
  });
  const order = shuffledRows(x, seed);
  const xs = clippedTensor(gather(x, order));
  try {
    const report = await fitModel(model, xs, xs, {
      epochs: options.epochs ?? 30,
      batchSize: options.batchSize ?? 256,
      loss: 'meanSquaredError',
      learningRate: options.learningRate ?? 1e-3,
      validationSplit: HELD_OUT,
      earlyStopping: { patience: 4 },
      seed,
      progress: false,
      logger,
      // An aborted or superseded train frees this network: no copy of its weights to put back.
      ...(abort?.signal ? { signal: abort.signal, what: abort.what, restoreOnAbort: false } : {}),
    });
    return { model, report };
  } catch (cause) {
    model.dispose();
    throw cause;
  } finally {
    xs.dispose();
  }
}

/** Squared reconstruction error per feature (rows × cols) and its mean per row. */
export function reconstructionErrors(model: tf.LayersModel, x: Matrix): { perFeature: Float64Array; score: Float64Array } {
  const xs = clippedTensor(x);
  let pred;
  try {
    pred = predictBatched(model, xs, { batchSize: 2048 });
  } finally {
    xs.dispose();
  }
  const perFeature = new Float64Array(x.data.length);
  const score = new Float64Array(x.rows);
  for (let r = 0; r < x.rows; r++) {
    let s = 0;
    for (let c = 0; c < x.cols; c++) {
      const i = r * x.cols + c;
      const v = Math.max(-CLIP, Math.min(CLIP, x.data[i] as number));
      const e = (v - (pred.data[i] as number)) ** 2;
      perFeature[i] = e;
      s += e;
    }
    score[r] = s / x.cols;
  }
  return { perFeature, score };
}

/** Training rows read for the typical reconstruction error (evenly spaced when there are more). */
const TYPICAL_ERROR_ROWS = 65_536;

/**
 * Per feature, the median of its squared reconstruction error over the training rows (up to 65,536 of
 * them, evenly spaced): what a typical training row's error in that feature is. Reasons count only the
 * error above it, so a feature the network reconstructs loosely on every row is not named on every row.
 */
export function typicalReconstructionErrors(model: tf.LayersModel, x: Matrix): Float64Array {
  const rows = Math.min(x.rows, TYPICAL_ERROR_ROWS);
  const picked = Array.from({ length: rows }, (_, i) => Math.floor((i * x.rows) / rows));
  const { perFeature } = reconstructionErrors(model, rows === x.rows ? x : gather(x, picked));
  const out = new Float64Array(x.cols);
  const column = new Float64Array(rows);
  for (let c = 0; c < x.cols; c++) {
    for (let r = 0; r < rows; r++) column[r] = perFeature[r * x.cols + c] as number;
    column.sort();
    const mid = rows >> 1;
    out[c] = rows % 2 === 1 ? (column[mid] as number) : ((column[mid - 1] as number) + (column[mid] as number)) / 2;
  }
  return out;
}

export async function trainMlp(
  x: Matrix,
  y: Uint8Array,
  options: MlpOptions,
  seed: number,
  logger: Logger,
  abort?: NetworkAbort,
): Promise<{ model: tf.LayersModel; report: TrainingReport }> {
  checkNetworkRows(x, 'mlp');
  const hidden = options.hidden ?? [64, 32];
  const model = withSeededRandom(createRng(seed), () => {
    const m = tf.sequential();
    hidden.forEach((units, i) => {
      m.add(tf.layers.dense({ units, activation: 'relu', ...(i === 0 ? { inputShape: [x.cols] } : {}) }));
      if ((options.dropout ?? 0.1) > 0) m.add(tf.layers.dropout({ rate: options.dropout ?? 0.1 }));
    });
    m.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
    return m;
  });
  let pos = 0;
  for (const v of y) pos += v;
  const neg = y.length - pos;
  // 'balanced': n / (2 · count), a class with no row counted as one; [w0, w1] is already by class index.
  const classWeight = Array.isArray(options.classWeight)
    ? options.classWeight
    : (resolveClassWeights('balanced', ['legit', 'fraud'], [neg, pos]) as number[]);
  const order = shuffledRows(x, seed);
  const xs = clippedTensor(gather(x, order));
  // About 40 steps per epoch on small sets, 512 rows per step on large ones.
  const batchSize = options.batchSize ?? Math.min(512, Math.max(32, 2 ** Math.round(Math.log2(x.rows / 40))));
  const ys = tf.tensor2d(
    Float32Array.from(order, (i) => y[i] as number),
    [y.length, 1],
  );
  try {
    const report = await fitModel(model, xs, ys, {
      epochs: options.epochs ?? 40,
      batchSize,
      loss: options.loss === 'focal' ? focalLoss(options.focalGamma ?? 2) : 'binaryCrossentropy',
      learningRate: options.learningRate ?? 1e-3,
      classWeight,
      validationSplit: HELD_OUT,
      earlyStopping: { patience: 6 },
      seed,
      progress: false,
      logger,
      // An aborted or superseded train frees this network: no copy of its weights to put back.
      ...(abort?.signal ? { signal: abort.signal, what: abort.what, restoreOnAbort: false } : {}),
    });
    return { model, report };
  } catch (cause) {
    model.dispose();
    throw cause;
  } finally {
    xs.dispose();
    ys.dispose();
  }
}

/** Rows the networks score in one call (a batch of `predictBatched`). */
export const SCORE_BATCH_ROWS = 2048;

export function mlpScores(model: tf.LayersModel, x: Matrix): Float64Array {
  const xs = clippedTensor(x);
  try {
    return Float64Array.from(predictBatched(model, xs, { batchSize: SCORE_BATCH_ROWS }).data);
  } finally {
    xs.dispose();
  }
}

/** The value a network sees for `v`: clipped to ±CLIP (as `clippedTensor` does; stored as float32). */
export function clipped(v: number): number {
  return Math.max(-CLIP, Math.min(CLIP, v));
}

/**
 * `mlpScores` of rows already clipped (`clipped`) into float32: `rows` × `cols` values of `data`, at most
 * `SCORE_BATCH_ROWS` rows (one network batch, so the same answers as those rows in `mlpScores`).
 */
export function mlpScoresClipped(model: tf.LayersModel, data: Float32Array, rows: number, cols: number): Float64Array {
  const xs = tf.tensor2d(data.subarray(0, rows * cols), [rows, cols]);
  try {
    return Float64Array.from(predictBatched(model, xs, { batchSize: SCORE_BATCH_ROWS }).data);
  } finally {
    xs.dispose();
  }
}
