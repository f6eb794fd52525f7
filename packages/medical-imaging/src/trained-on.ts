// What a model was trained on, kept in its bundle (`trained-on.json`) so that whoever loads it can tell
// a model fitted on generated phantoms from one fitted on real scans before scoring or using it.
import { AppliedMLError, describeValue } from '@appliedml/engine';

/** Where a set of training images came from: given on the data (`LabeledImages.source`, `MaskedImages.source`). */
export interface DataSource {
  /** A short, stable name of the data set: 'medmnist' (as readMedMnist records it), 'kvasir-seg', 'phantoms', your own. */
  name: string;
  /** True for generated images (phantoms, simulations), false for acquired ones. */
  synthetic: boolean;
  /** One line for people: the split, a subset, a licence. */
  description?: string;
}

/** What a trained or loaded model was fitted on (`ImageClassifier.trainedOn`, `ImageSegmenter.trainedOn`). */
export interface TrainedOn {
  /** The training data's `source`; absent when the data did not say where it came from. */
  source?: DataSource;
  /** Images the network was fitted on (after any validation split). */
  images: number;
  /** Images that selected the epoch (and the classifier's threshold). */
  validationImages: number;
}

/** The bundle file that holds `TrainedOn` (absent in bundles of versions that did not record it: unknown). */
export const TRAINED_ON_FILE = 'trained-on.json';

const NAME = /^[^\0-\x1f]{1,200}$/;

function sourceProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `it must be { name, synthetic, description? }`;
  const v = value as Record<string, unknown>;
  if (typeof v.name !== 'string' || !NAME.test(v.name))
    return `its name must be 1 to 200 printable characters (got ${describeValue(v.name)})`;
  if (typeof v.synthetic !== 'boolean') return `its synthetic must be true or false (got ${describeValue(v.synthetic)})`;
  if (v.description !== undefined && (typeof v.description !== 'string' || v.description.length > 2000))
    return `its description must be a string of up to 2,000 characters (got ${describeValue(v.description)})`;
  return undefined;
}

/** The checked copy of a data set's `source` (undefined when it has none); E_INPUT_INVALID when malformed. */
export function checkDataSource(value: unknown, what: string): DataSource | undefined {
  if (value === undefined) return undefined;
  const problem = sourceProblem(value);
  if (problem)
    throw new AppliedMLError('E_INPUT_INVALID', `The ${what}'s source is not valid: ${problem}.`, { details: { field: 'source' } });
  const v = value as DataSource;
  return { name: v.name, synthetic: v.synthetic, ...(v.description !== undefined ? { description: v.description } : {}) };
}

export function trainedOnJson(trainedOn: TrainedOn): string {
  return JSON.stringify(trainedOn);
}

/**
 * `trained-on.json` of a loaded bundle: undefined when the bundle has none (saved by a version that did
 * not record it: unknown); E_BUNDLE_CORRUPT when it is not what a save writes. Fields a later version
 * adds are ignored (it only describes the model).
 */
export function readTrainedOn(bytes: Uint8Array | undefined, dir: string): TrainedOn | undefined {
  if (bytes === undefined) return undefined;
  const corrupt = (why: string): AppliedMLError =>
    new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: its ${TRAINED_ON_FILE} ${why}.`, { details: { dir, file: TRAINED_ON_FILE } });
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw corrupt('is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw corrupt('is not an object');
  const p = parsed as Record<string, unknown>;
  const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!count(p.images) || !count(p.validationImages)) throw corrupt('does not give its image counts as whole numbers');
  let source: DataSource | undefined;
  if (p.source !== undefined) {
    const problem = sourceProblem(p.source);
    if (problem) throw corrupt(`has a source that is not valid (${problem})`);
    source = checkDataSource(p.source, 'bundle');
  }
  return { ...(source ? { source } : {}), images: p.images, validationImages: p.validationImages };
}

/** A copy, so that a caller cannot change what the model reports. */
export function copyTrainedOn(t: TrainedOn | undefined): TrainedOn | undefined {
  return t === undefined ? undefined : { ...t, ...(t.source ? { source: { ...t.source } } : {}) };
}
