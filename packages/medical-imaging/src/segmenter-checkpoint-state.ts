// What an ImageSegmenter checkpoint (`DIR/last`) holds besides the network, and the checks a resume applies
// to it before anything is made from it. The bundle loader verifies the files' hashes only: a hand-edited
// or hand-copied checkpoint reaches these checks as it is, so every field is checked for its type and range.
import { AppliedMLError, tf } from '@appliedml/engine';

export const STATE_FILE = 'training-state.json';
export const OPTIMIZER_FILE = 'optimizer.bin';
export const BEST_FILE = 'best-weights.bin';

/** The most epochs `train` accepts (its `epochs` option). */
const MAX_EPOCHS = 10_000;

export interface HistoryEntry {
  epoch: number;
  loss: number;
  valDice: number;
  learningRate: number;
  seconds: number;
}

export interface OptimizerEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** What a checkpoint remembers besides the weights. */
export interface CheckpointState {
  /** The last completed epoch (0-based; −1 before the first). */
  epoch: number;
  epochs: number;
  bestDice: number;
  bestEpoch: number;
  history: HistoryEntry[];
  optimizer?: OptimizerEntry[];
  /** The options and data the run was started with; a resume with others is refused. */
  run?: RunIdentity;
  /** Whether BEST_FILE holds the weights of `bestEpoch` (float32, the model's weight order). */
  bestInside?: boolean;
}

/** What must stay the same for a resumed run to end where an uninterrupted one would. */
export interface RunIdentity {
  learningRate: number;
  batchSize: number;
  patience: number;
  trainCount: number;
  validationCount: number;
  /** A hash of a sample of the training and validation pixels and masks (at the network's size). */
  data: string;
}

/** The normalisation a segmenter applies (per channel). */
export interface Normalisation {
  mean: number[];
  std: number[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max: number): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const isFinite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const show = (v: unknown): string => {
  if (v === undefined) return 'missing';
  const text = JSON.stringify(v);
  return text === undefined ? String(v) : text.length > 40 ? `${text.slice(0, 40)}…` : text;
};

/** E_BUNDLE_CORRUPT naming the checkpoint file and the field. */
export function checkpointCorrupt(path: string, file: string, field: string, why: string): AppliedMLError {
  return new AppliedMLError('E_BUNDLE_CORRUPT', `The checkpoint ${path}: ${file} ${field ? `${field} ` : ''}${why}.`, {
    details: { dir: path, file, ...(field ? { field } : {}) },
  });
}

/**
 * The normalisation `train` fits: images hold values in [0, 1] (−0.01 to 1.01 accepted), so their mean
 * lies in that range and their standard deviation is at most half of it; the variance is floored at 1e-8
 * (std 1e-4). Anything else was not fitted by `train` (and 1e300 would turn every pixel into −Infinity).
 */
const MEAN_RANGE = [-0.01, 1.01] as const;
const STD_RANGE = [0.99e-4, 0.51] as const;

/**
 * Why `pre` (a manifest's `preprocessing`, or a segmenter's fitted statistics) is not a normalisation
 * `ImageSegmenter.load` accepts for `channels` channels: undefined when it is one.
 */
export function normalisationProblem(pre: unknown, channels: number): string | undefined {
  if (!isObject(pre)) return 'preprocessing is missing';
  for (const key of ['mean', 'std'] as const) {
    const values = pre[key];
    if (!Array.isArray(values)) return `preprocessing.${key} is not a list (${show(values)})`;
    if (values.length !== channels) return `preprocessing.${key} holds ${values.length} values for ${channels} channels`;
    for (let c = 0; c < values.length; c++) {
      const v: unknown = values[c];
      if (!isFinite(v)) return `preprocessing.${key}[${c}] is ${show(v)}, not a finite number`;
      const [min, max] = key === 'mean' ? MEAN_RANGE : STD_RANGE;
      if (v < min || v > max)
        return `preprocessing.${key}[${c}] is ${v}, outside [${min}, ${max}] (the ${key === 'mean' ? 'mean' : 'standard deviation'} of pixel values in [0, 1])`;
    }
  }
  return undefined;
}

function checkHistoryEntry(path: string, entry: unknown, i: number): HistoryEntry {
  const field = `history[${i}]`;
  const bad = (why: string, key = ''): AppliedMLError => checkpointCorrupt(path, STATE_FILE, `${field}${key}`, why);
  if (!isObject(entry)) throw bad(`is ${show(entry)}, not an object`);
  if (entry.epoch !== i) throw bad(`is ${show(entry.epoch)}; the entry is of epoch ${i}`, '.epoch');
  for (const key of ['loss', 'learningRate', 'seconds', 'valDice'] as const) {
    const v = entry[key];
    if (!isFinite(v) || (key !== 'loss' && v < 0) || (key === 'valDice' && v > 1))
      throw bad(
        `is ${show(v)}, not a ${key === 'valDice' ? 'number from 0 to 1' : key === 'loss' ? 'finite number' : 'number ≥ 0'}`,
        `.${key}`,
      );
  }
  return entry as unknown as HistoryEntry;
}

/**
 * `training-state.json` of the checkpoint in `path`, parsed and checked for types and ranges (the epoch a
 * completed one of its run, the history one entry per completed epoch, the optimiser entries described
 * completely). Throws E_BUNDLE_CORRUPT naming the field.
 */
export function parseCheckpointState(path: string, text: string): CheckpointState {
  const bad = (field: string, why: string): AppliedMLError => checkpointCorrupt(path, STATE_FILE, field, why);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new AppliedMLError('E_BUNDLE_CORRUPT', `The checkpoint ${path}: ${STATE_FILE} is not valid JSON (${(cause as Error).message}).`, {
      details: { dir: path, file: STATE_FILE },
      cause,
    });
  }
  if (!isObject(json)) throw bad('', `is ${show(json)}, not an object`);
  const { epochs, epoch, bestEpoch, bestDice, history, optimizer, run, bestInside } = json;
  if (!isInt(epochs, 1, MAX_EPOCHS)) throw bad('epochs', `is ${show(epochs)}, not an integer from 1 to ${MAX_EPOCHS}`);
  // A checkpoint is written after an epoch: 0 ≤ epoch < epochs (epochs − 1: the run had finished).
  if (!isInt(epoch, 0, epochs - 1)) throw bad('epoch', `is ${show(epoch)}, not an integer from 0 to ${epochs - 1} (epochs − 1)`);
  if (!isInt(bestEpoch, -1, epoch)) throw bad('bestEpoch', `is ${show(bestEpoch)}, not an integer from -1 to ${epoch} (epoch)`);
  // -Infinity (no best yet) is written as null.
  if (bestEpoch >= 0 ? !isFinite(bestDice) || bestDice < 0 || bestDice > 1 : bestDice !== null && bestDice !== undefined)
    throw bad('bestDice', `is ${show(bestDice)}, not ${bestEpoch >= 0 ? 'a number from 0 to 1' : 'null (no best epoch)'}`);
  if (!Array.isArray(history)) throw bad('history', `is ${show(history)}, not a list`);
  if (history.length !== epoch + 1) throw bad('history', `holds ${history.length} epochs; epoch ${epoch} needs ${epoch + 1}`);
  const entries = history.map((h, i) => checkHistoryEntry(path, h, i));
  if (!Array.isArray(optimizer)) throw bad('optimizer', `is ${show(optimizer)}, not a list`);
  optimizer.forEach((e: unknown, i) => {
    const field = `optimizer[${i}]`;
    if (!isObject(e)) throw bad(field, `is ${show(e)}, not an object`);
    if (typeof e.name !== 'string' || e.name === '') throw bad(`${field}.name`, `is ${show(e.name)}, not a name`);
    if (e.dtype !== 'float32' && e.dtype !== 'int32') throw bad(`${field}.dtype`, `is ${show(e.dtype)}, not "float32" or "int32"`);
    if (!Array.isArray(e.shape) || e.shape.length > 8 || !e.shape.every((d) => isInt(d, 1, 2 ** 31 - 1)))
      throw bad(`${field}.shape`, `is ${show(e.shape)}, not a list of up to 8 positive integers`);
  });
  if (run !== undefined) {
    if (!isObject(run)) throw bad('run', `is ${show(run)}, not an object`);
    for (const key of ['batchSize', 'patience', 'trainCount', 'validationCount'] as const)
      if (!isInt(run[key], 0, Number.MAX_SAFE_INTEGER)) throw bad(`run.${key}`, `is ${show(run[key])}, not an integer ≥ 0`);
    if (!isFinite(run.learningRate)) throw bad('run.learningRate', `is ${show(run.learningRate)}, not a number`);
    if (typeof run.data !== 'string') throw bad('run.data', `is ${show(run.data)}, not a text`);
  }
  if (bestInside !== undefined && typeof bestInside !== 'boolean') throw bad('bestInside', `is ${show(bestInside)}, not true or false`);
  return {
    epoch,
    epochs,
    bestEpoch,
    bestDice: bestEpoch >= 0 ? (bestDice as number) : -Infinity,
    history: entries,
    optimizer: optimizer as OptimizerEntry[],
    ...(run ? { run: run as unknown as RunIdentity } : {}),
    ...(bestInside !== undefined ? { bestInside } : {}),
  };
}

/** The index of the first non-finite float32 in `bytes` (a whole number of floats), or −1. */
function firstNonFinite(bytes: Uint8Array, from = 0, count = bytes.byteLength / 4 - from): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = from; i < from + count; i++) if (!Number.isFinite(view.getFloat32(i * 4, true))) return i;
  return -1;
}

/**
 * `optimizer.bin` against its description: exactly the bytes the entries' shapes add up to, finite
 * float values, and no negative second moment (Adam takes its square root).
 */
export function checkOptimizerBytes(path: string, entries: OptimizerEntry[], bytes: Uint8Array): void {
  let want = 0;
  for (const e of entries) want += 4 * e.shape.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== want)
    throw checkpointCorrupt(
      path,
      OPTIMIZER_FILE,
      '',
      `holds ${bytes.byteLength} bytes; the ${entries.length} entries of ${STATE_FILE} optimizer describe ${want}`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  entries.forEach((e, i) => {
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (e.dtype === 'float32') {
      const bad = firstNonFinite(bytes, at, count);
      if (bad >= 0)
        throw checkpointCorrupt(
          path,
          OPTIMIZER_FILE,
          `optimizer[${i}] (${e.name})`,
          `holds ${view.getFloat32(bad * 4, true)} at value ${bad - at}`,
        );
      if (e.name.endsWith('/v'))
        for (let k = at; k < at + count; k++)
          if (view.getFloat32(k * 4, true) < 0)
            throw checkpointCorrupt(
              path,
              OPTIMIZER_FILE,
              `optimizer[${i}] (${e.name})`,
              `holds a negative second moment at value ${k - at}`,
            );
    }
    at += count;
  });
}

/** `best-weights.bin`: a whole number of finite float32 values. */
export function checkBestBytes(path: string, bytes: Uint8Array): void {
  if (bytes.byteLength % 4 !== 0)
    throw checkpointCorrupt(path, BEST_FILE, '', `holds ${bytes.byteLength} bytes, not a whole number of float32 values`);
  const bad = firstNonFinite(bytes);
  if (bad >= 0)
    throw checkpointCorrupt(
      path,
      BEST_FILE,
      '',
      `holds ${new DataView(bytes.buffer, bytes.byteOffset).getFloat32(bad * 4, true)} at value ${bad}`,
    );
}

/**
 * A weight's name without the counters tfjs adds per process: to layer names (`conv2d_Conv2D12/kernel`)
 * and to a variable name already taken in the process (`conv2d_Conv2D1/kernel_2`); both become
 * `conv2d_Conv2D/kernel`, and an optimiser entry `…/kernel_2/m` becomes `…/kernel/m`.
 */
const layerless = (name: string): string =>
  name
    .split('/')
    .map((part) => part.replace(/_?\d+$/, ''))
    .join('/');

/**
 * The optimiser entries against `model`: Adam's step count, then the first and the second moment of each
 * trainable weight in the model's order (names up to the layer counters, shapes and dtypes). Adam matches
 * its moments to the weights by position, so a missing or reordered entry would update the wrong weight.
 */
export function checkOptimizerFitsModel(path: string, entries: OptimizerEntry[], bytes: Uint8Array, model: tf.LayersModel): void {
  const weights = model.trainableWeights;
  const bad = (field: string, why: string): AppliedMLError => checkpointCorrupt(path, STATE_FILE, field, why);
  if (entries.length !== 1 + 2 * weights.length)
    throw bad(
      'optimizer',
      `lists ${entries.length} entries; the network's ${weights.length} trainable weights need ${1 + 2 * weights.length} (the step count and two moments each)`,
    );
  const iter = entries[0]!;
  if (iter.name !== 'iter' || iter.dtype !== 'int32' || iter.shape.length !== 0)
    throw bad('optimizer[0]', `is ${show(iter)}, not the step count {"name":"iter","shape":[],"dtype":"int32"}`);
  if (new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(0, true) < 0)
    throw checkpointCorrupt(path, OPTIMIZER_FILE, 'optimizer[0] (iter)', 'holds a negative step count');
  weights.forEach((w, i) => {
    for (const [k, moment] of [
      [1 + i, 'm'],
      [1 + weights.length + i, 'v'],
    ] as const) {
      const e = entries[k]!;
      const want = `${layerless(w.name)}/${moment}`;
      if (layerless(e.name) !== want || e.dtype !== 'float32' || JSON.stringify(e.shape) !== JSON.stringify(w.shape))
        throw bad(
          `optimizer[${k}]`,
          `is ${e.name} ${JSON.stringify(e.shape)} ${e.dtype}; the network's weight ${i} needs ${want} ${JSON.stringify(w.shape)} float32`,
        );
    }
  });
}
