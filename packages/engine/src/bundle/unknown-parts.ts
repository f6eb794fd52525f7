import { AppliedMLError } from '../errors';
import { isNewerVersion } from './newer-version';

const EACH = Symbol('each entry');

/** What a version knows of every entry of a list, or of every value of an object keyed by data (see `eachEntry`). */
export interface EachEntry {
  readonly [EACH]: KnownNames;
}

/** What a version knows of an object: each field it writes, with what it knows of that field's value. */
export interface KnownFields {
  readonly [field: string]: KnownNames;
}

/**
 * What a version of an SDK knows of one JSON value of its bundles: `true`, anything (not looked into);
 * a list of field names, an object with those fields (their values not looked into); an object of
 * field names, each mapped to what is known of that field's value (nested objects); `eachEntry(known)`,
 * a list whose every element, or an object keyed by data (column names, ids) whose every value, is
 * `known`. A value of another shape than the one described (a number where an object is known) is not
 * looked into: reading it is the SDK's own check.
 */
export type KnownNames = true | readonly string[] | KnownFields | EachEntry;

/**
 * `known` for every element of a list (`[i]` in the names found) or every value of an object whose keys
 * are data rather than field names (a column's name, an id): `eachEntry(['feature', 'threshold'])`.
 */
export function eachEntry(known: KnownNames): EachEntry {
  return { [EACH]: known };
}

/**
 * Each of `names` as a field whose value is not looked into (`true`), to spread beside fields described
 * further: `{ ...anyValueFields(CONFIG_KEYS), augmentation: AUGMENTATION_KEYS }`. (Where no field is
 * described further, the list of names alone says the same.)
 */
export function anyValueFields(names: readonly string[]): KnownFields {
  return Object.fromEntries(names.map((name) => [name, true] as const));
}

/** The names one version of an SDK writes into its bundles (see `unknownBundleParts`). A part left out is not looked at. */
export interface KnownBundleParts {
  /** What it knows of `manifest.config`. */
  config?: KnownNames;
  /** What it knows of `manifest.preprocessing`. */
  preprocessing?: KnownNames;
  /**
   * The files it writes beside its networks' (`bundle.files`), each with what it knows of the file's
   * JSON (`true` for a file not looked into, such as a binary one; a file that does not parse is not
   * looked into either). Any other file is unknown. Left out, files are not looked at.
   */
  files?: Readonly<Record<string, KnownNames>>;
  /** The networks it writes (`bundle.models` names). Left out, networks are not looked at. */
  models?: readonly string[];
  /**
   * How the names found in config and preprocessing start: `config` (`'config'` unless given) and
   * `preprocessing` (`'preprocessing'`); `''` for bare field names (`lofNeighbours` for `config.lofNeighbours`).
   */
  names?: { config?: string; preprocessing?: string };
}

/** What `unknownBundleParts` reads of a bundle: a loaded bundle (`LoadedBundle`) will do, or just these parts of it. */
export interface BundleParts {
  manifest: { packageVersion?: unknown; config?: unknown; preprocessing?: unknown };
  files?: Readonly<Record<string, Uint8Array | string>>;
  models?: Readonly<Record<string, unknown>>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !ArrayBuffer.isView(value);

const isEach = (known: KnownNames): known is EachEntry => typeof known === 'object' && EACH in known;

/** `name` and a field inside it: `a.b`, or `b` at a bare top level, or `file.json b` after a file name. */
const inside = (name: string, field: string): string => (name === '' || name.endsWith(' ') ? `${name}${field}` : `${name}.${field}`);

/**
 * In a bundle saved by a newer version of the SDK than `running` (its `manifest.packageVersion` later,
 * by `isNewerVersion`), what that version wrote and this one does not know: each field, file and
 * network not in `known`, named as `config.loss`, `preprocessing.clahe`, `config.augmentation.elastic`,
 * `preprocessing.columns[0].scale` (the first entry of a list or keyed object to hold such a field
 * names it for all), `gbt.json forest.x`, `file 'calibration.bin'`, `network 'refiner'`. Empty for a
 * bundle of `running` or an earlier version, or with no readable version, whose unknown names stay
 * ignored as they always were. Dropped, what a newer version added would make the model work otherwise
 * than it was saved to, so an SDK's load refuses them with `unknownPartsError`.
 */
export function unknownBundleParts(bundle: BundleParts, running: string, known: KnownBundleParts): string[] {
  const saved = bundle.manifest.packageVersion;
  if (typeof saved !== 'string' || !isNewerVersion(saved, running)) return [];
  const found = new Map<string, string>(); // by the name with entries unnumbered: one per field however many entries hold it
  const walk = (name: string, pattern: string, value: unknown, shape: KnownNames): void => {
    if (shape === true) return;
    if (isEach(shape)) {
      if (Array.isArray(value)) value.forEach((entry, i) => walk(`${name}[${i}]`, `${pattern}[]`, entry, shape[EACH]));
      else if (isObject(value))
        for (const [key, entry] of Object.entries(value)) walk(inside(name, key), inside(pattern, '*'), entry, shape[EACH]);
      return;
    }
    if (!isObject(value)) return;
    const list = Array.isArray(shape) ? (shape as readonly string[]) : undefined;
    for (const [key, inner] of Object.entries(value)) {
      const knows = list ? list.includes(key) : Object.hasOwn(shape, key);
      if (!knows) {
        const at = inside(pattern, key);
        if (!found.has(at)) found.set(at, inside(name, key));
      } else if (!list) walk(inside(name, key), inside(pattern, key), inner, (shape as KnownFields)[key] as KnownNames);
    }
  };
  const prefix = { config: known.names?.config ?? 'config', preprocessing: known.names?.preprocessing ?? 'preprocessing' };
  if (known.config !== undefined) walk(prefix.config, prefix.config, bundle.manifest.config, known.config);
  if (known.preprocessing !== undefined)
    walk(prefix.preprocessing, prefix.preprocessing, bundle.manifest.preprocessing, known.preprocessing);
  const out = [...found.values()];
  if (known.files && bundle.files) {
    for (const [file, bytes] of Object.entries(bundle.files)) {
      if (!Object.hasOwn(known.files, file)) {
        out.push(`file '${file}'`);
        continue;
      }
      const shape = known.files[file] as KnownNames;
      if (shape === true) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes));
      } catch {
        continue; // Unreadable: the SDK's own reading of the file reports it.
      }
      found.clear();
      walk(`${file} `, `${file} `, parsed, shape);
      out.push(...found.values());
    }
  }
  if (known.models && bundle.models)
    for (const model of Object.keys(bundle.models)) if (!known.models.includes(model)) out.push(`network '${model}'`);
  return out;
}

/**
 * The `E_BUNDLE_CORRUPT` error an SDK's load throws for what `unknownBundleParts` found:
 * `<subject> <dir>: it holds what this version does not know: <the first 10 names>[ and N more].`
 * (`subject` is `'Bundle'` unless given, e.g. `'Fraud bundle'`), with `details: { dir, unknown }`.
 * Thrown inside the load's `try`, its `incompatibleIfNewer` turns it into `E_BUNDLE_INCOMPATIBLE` (the
 * bundle was saved by a newer version, or nothing would have been found), keeping `details.unknown`.
 */
export function unknownPartsError(dir: string, unknown: readonly string[], subject = 'Bundle'): AppliedMLError {
  const shown = unknown.slice(0, 10).join(', ') + (unknown.length > 10 ? ` and ${unknown.length - 10} more` : '');
  return new AppliedMLError('E_BUNDLE_CORRUPT', `${subject} ${dir}: it holds what this version does not know: ${shown}.`, {
    details: { dir, unknown: [...unknown] },
  });
}
