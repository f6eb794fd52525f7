// What a bundle saved by a newer version of the package holds that this version does not know.
import { AppliedMLError, isNewerVersion } from '@appliedml/engine';
import type { LoadedBundle } from '@appliedml/engine';
import { MEDICAL_IMAGING_VERSION } from './version';

/** The names this version writes: top-level config keys, those of config objects, preprocessing keys, networks. */
export interface KnownParts {
  config: readonly string[];
  /** Config keys whose value is an object of these keys (the classifier's `augmentation`). */
  configObjects?: Record<string, readonly string[]>;
  preprocessing: readonly string[];
  /** Preprocessing keys whose value is an object of these keys (the classifier's `normalization`). */
  preprocessingObjects?: Record<string, readonly string[]>;
  models: readonly string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * In a bundle a newer version saved, the config fields, preprocessing fields and networks this version
 * does not know (`config.loss`, `preprocessing.clahe`, `model refiner`); none in a bundle of this version
 * or an earlier one, whose unknown names stay ignored. Dropped, they would make the model read its
 * images otherwise than it was saved to.
 */
export function unknownParts(bundle: LoadedBundle, known: KnownParts): string[] {
  if (!isNewerVersion(bundle.manifest.packageVersion, MEDICAL_IMAGING_VERSION)) return [];
  const out: string[] = [];
  const extra = (where: string, value: unknown, keys: readonly string[], objects: Record<string, readonly string[]> = {}): void => {
    if (!isRecord(value)) return;
    for (const [key, inner] of Object.entries(value)) {
      if (!keys.includes(key)) out.push(`${where}.${key}`);
      else if (objects[key]) extra(`${where}.${key}`, inner, objects[key]!);
    }
  };
  extra('config', bundle.manifest.config, known.config, known.configObjects);
  extra('preprocessing', bundle.manifest.preprocessing, known.preprocessing, known.preprocessingObjects);
  for (const name of Object.keys(bundle.models)) if (!known.models.includes(name)) out.push(`network ${name}`);
  return out;
}

/** E_BUNDLE_CORRUPT naming what `unknownParts` found (incompatibleIfNewer makes it E_BUNDLE_INCOMPATIBLE). */
export function unknownPartsError(dir: string, unknown: string[]): AppliedMLError {
  const shown = unknown.slice(0, 10).join(', ') + (unknown.length > 10 ? ` and ${unknown.length - 10} more` : '');
  return new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: it holds what this version does not know: ${shown}.`, {
    details: { dir, unknown },
  });
}
