import { createHash } from 'node:crypto';
import { type BigIntStats } from 'node:fs';
import { type FileHandle, lstat, open, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import * as tf from '#tfjs';
import { AppliedMLError, checkPathArgument, describeKind, describeValue } from '../errors';
import { ENGINE_NAME, ENGINE_VERSION } from '../version';
import { MODEL_BUNDLE_FOLDER, notAFolderError } from './not-a-folder';
import { SAVE_UNDER_WAY_MS, saveInProgress, writeDirAtomic } from './atomic-dir';
import { BUNDLE_FORMAT, BUNDLE_MANIFEST, bundleMarker } from './bundle-marker';
import { unreadableByThisVersion, unregisteredLayerHint } from './newer-version';
import { rebuildNetwork } from './rebuild-model';
import { checkKnownKeys } from '../option-checks';
import { checkLayersModel } from '../tensor-checks';
import { checkFiniteWeights, checkWeightSizes, type NetworkFault, type NetworkFile, parseNetworkFile } from './saved-network';
import { loopingLevel, MAX_MANIFEST_BYTES, OPEN_REGULAR, readSmallTextFile } from './small-file';

export { BUNDLE_FORMAT } from './bundle-marker';
export const BUNDLE_SCHEMA_VERSION = 1;
const MANIFEST = BUNDLE_MANIFEST;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What a bundle says about itself. Everything a loaded model needs to predict like the trained one. */
export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  schemaVersion: number;
  /** The SDK that wrote it, e.g. '@appliedml/text', and its version. */
  package: string;
  packageVersion: string;
  /** The model family, e.g. 'text-classification'. */
  task: string;
  engineVersion: string;
  createdAt: string;
  labels?: string[];
  /** The fitted preprocessing (vocabulary, scalers, feature config …), stored verbatim. */
  preprocessing?: JsonValue;
  /** The model's own typed config. */
  config?: JsonValue;
  metrics?: Record<string, number>;
  /** Named tfjs models in this bundle and their files. */
  models: Record<string, { topology: string; weights: string }>;
  /** sha256 of every file in the bundle except the manifest. */
  files: Record<string, string>;
  /**
   * sha256 of the manifest's own JSON without this field (compact, keys sorted): the preprocessing,
   * config and thresholds it holds are checked like the files, against damage and stray edits (whoever
   * edits on purpose can drop or recompute it). Absent in bundles written before it, which load unchecked.
   */
  manifestSha256?: string;
}

export interface SaveBundleInput {
  package: string;
  packageVersion: string;
  task: string;
  models?: Record<string, tf.LayersModel>;
  labels?: string[];
  preprocessing?: JsonValue;
  config?: JsonValue;
  /** Named numbers; a name whose value is undefined is left out, as JSON leaves it (an optional metric). */
  metrics?: Record<string, number | undefined>;
  /**
   * Extra files (e.g. a vocabulary), by plain file name: text (written as UTF-8) or bytes, a Uint8Array,
   * Buffer or any other typed array or DataView, written as they are in its memory.
   */
  files?: Record<string, ArrayBufferView | string>;
}

export interface LoadedBundle {
  manifest: BundleManifest;
  models: Record<string, tf.LayersModel>;
  /** Extra files by name, as bytes. */
  files: Record<string, Buffer>;
}

export interface LoadBundleOptions {
  /** Refuse bundles written by another package or for another task. */
  package?: string;
  task?: string;
  /**
   * The version of `package` reading the bundle (the SDK's own; needs `package`). A network the engine
   * cannot read or rebuild (a layer class, a weights format a later version writes) in a bundle whose
   * manifest `packageVersion` is newer is then E_BUNDLE_INCOMPATIBLE "saved by <package> <saved>, newer
   * than this <readerVersion> … Upgrade …" (see `incompatibleIfNewer`), not E_BUNDLE_CORRUPT; from this
   * version or an earlier one it stays E_BUNDLE_CORRUPT, and so does damage (a checksum, a NaN weight).
   */
  readerVersion?: string;
}

/**
 * JSON with every object's keys sorted (arrays keep their order), for the manifest's own checksum: a
 * tool that reformats or reorders the manifest (`jq -S`, Python's sort_keys) keeps its values, and so
 * its checksum. Takes parsed JSON values only.
 */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function checkName(name: string, dir: string): void {
  if (!FILE_NAME.test(name) || name === MANIFEST) {
    throw new AppliedMLError(
      'E_BUNDLE_CORRUPT',
      `Bundle ${dir} names a file '${name}' that is not a plain file name inside the bundle; refusing it.`,
      {
        details: { dir, file: name },
      },
    );
  }
}

async function captureArtifacts(model: tf.LayersModel): Promise<{ topology: string; weights: Uint8Array }> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured?.modelTopology || !captured.weightSpecs)
    throw new AppliedMLError('E_INTERNAL', 'tfjs returned no model artifacts to save.');
  const weightData = captured.weightData ? tf.io.CompositeArrayBuffer.join(captured.weightData) : new ArrayBuffer(0);
  const topology = JSON.stringify({ modelTopology: captured.modelTopology, weightSpecs: captured.weightSpecs, format: 'layers-model' });
  return { topology, weights: new Uint8Array(weightData) };
}

const SAVE_KEYS = Object.keys({
  package: 1,
  packageVersion: 1,
  task: 1,
  models: 1,
  labels: 1,
  preprocessing: 1,
  config: 1,
  metrics: 1,
  files: 1,
} satisfies Record<keyof SaveBundleInput, 1>);
const LOAD_KEYS = Object.keys({ package: 1, task: 1, readerVersion: 1 } satisfies Record<keyof LoadBundleOptions, 1>);

function refuseInput(what: string, field: string): never {
  throw new AppliedMLError('E_INPUT_INVALID', `saveBundle: ${what}.`, { details: { field } });
}

/**
 * What `loadBundle` would refuse in the manifest, refused at save as E_INPUT_INVALID naming the field
 * (it was written, then refused at load as E_BUNDLE_CORRUPT, or failed with a TypeError): the input an
 * object, package / packageVersion / task non-empty texts, labels a list of texts, metrics named
 * numbers (an undefined one is left out), preprocessing and config JSON (no BigInt, no cycle), models
 * tfjs LayersModels (a disposed one E_MODEL_DISPOSED), files bytes (any typed array) or text. Nothing is written on a refusal.
 */
function checkSaveInput(input: unknown): asserts input is SaveBundleInput {
  if (!isRecord(input)) refuseInput(`the bundle must be described by an object (got ${describeValue(input)})`, 'input');
  // A misspelt field (labelz) was left out of the bundle without a word.
  checkKnownKeys('saveBundle input', input, SAVE_KEYS);
  for (const field of ['package', 'packageVersion', 'task'] as const)
    if (typeof input[field] !== 'string' || input[field] === '')
      refuseInput(`'${field}' must be a non-empty text (got ${describeValue(input[field])})`, field);
  if (input.labels !== undefined && (!Array.isArray(input.labels) || !input.labels.every((l) => typeof l === 'string')))
    refuseInput(`'labels' must be a list of texts (got ${describeValue(input.labels)})`, 'labels');
  if (input.metrics !== undefined) {
    if (!isRecord(input.metrics))
      refuseInput(`'metrics' must be an object of named numbers (got ${describeValue(input.metrics)})`, 'metrics');
    for (const [name, v] of Object.entries(input.metrics))
      // An undefined one (an optional metric from JavaScript) is left out, as JSON leaves it.
      if (typeof v !== 'number' && v !== undefined)
        refuseInput(`metric '${name}' must be a number (got ${describeValue(v)})`, `metrics.${name}`);
  }
  for (const field of ['preprocessing', 'config'] as const) {
    if (input[field] === undefined) continue;
    try {
      JSON.stringify(input[field]);
    } catch (cause) {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `saveBundle: '${field}' must be JSON data (${String((cause as Error)?.message ?? cause).split('\n')[0]}).`,
        { cause, details: { field } },
      );
    }
  }
  if (input.models !== undefined) {
    if (!isRecord(input.models))
      refuseInput(`'models' must be an object of tfjs models by name (got ${describeValue(input.models)})`, 'models');
    for (const [name, model] of Object.entries(input.models)) {
      // The loader refuses such a file name as damage: '../x' was E_BUNDLE_CORRUPT at save, naming the bundle.
      // Both of its files must be plain names: '.weights.bin' is the longer suffix.
      if (!FILE_NAME.test(`${name}.weights.bin`))
        refuseInput(
          `model name ${describeValue(name)} is not a plain file name (a letter or digit, then letters, digits, '.', '_' or '-'; at most 116 characters)`,
          `models.${name}`,
        );
      checkLayersModel(model, `saveBundle models.${name}`);
    }
  }
  if (input.files !== undefined) {
    if (!isRecord(input.files))
      refuseInput(`'files' must be an object of file contents by name (got ${describeValue(input.files)})`, 'files');
    for (const [name, data] of Object.entries(input.files)) {
      if (!FILE_NAME.test(name) || name === MANIFEST)
        refuseInput(
          `file name ${describeValue(name)} is not a plain file name other than ${MANIFEST} (a letter or digit, then letters, digits, '.', '_' or '-'; at most 128 characters)`,
          `files.${name}`,
        );
      if (!ArrayBuffer.isView(data) && typeof data !== 'string')
        refuseInput(
          `file '${name}' must be bytes (a Uint8Array, Buffer or other typed array) or text (got ${kindOf(data)})`,
          `files.${name}`,
        );
    }
  }
}

/** What a value is, for a refusal: its kind (`describeKind`), with a short view of a primitive, list or plain object. */
function kindOf(value: unknown): string {
  const kind = describeKind(value);
  if (value === null || value === undefined) return kind;
  if (typeof value !== 'object' || kind === 'an array' || kind === 'an object') return `${kind} ${describeValue(value)}`;
  const wrap = value instanceof ArrayBuffer || kind === 'a SharedArrayBuffer' ? '; wrap it: new Uint8Array(buffer)' : '';
  return `${kind}${wrap}`;
}

/** A file's bytes as they are in the memory of the typed array or view given (a Uint8Array as is). */
function fileBytes(data: ArrayBufferView | string): Uint8Array | string {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * A network whose weights hold NaN or ±Infinity: loadBundle refuses it as damage, so it is refused at
 * save (E_INPUT_INVALID naming the model and weight), before anything is written.
 */
function checkSavedWeights(name: string, topology: string, weights: Uint8Array): void {
  try {
    checkFiniteWeights(JSON.parse(topology) as NetworkFile, weights, `model '${name}'`);
  } catch (error) {
    if (!AppliedMLError.isInstance(error)) throw error;
    const { weight, index, value } = error.details as { weight: string; index: number; value: string };
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `saveBundle: model '${name}' holds ${value} in weight '${weight}' (value ${index + 1}); a bundle with it would not load (its predictions would be NaN). Retrain it (a lower learning rate?) or fix its weights.`,
      { details: { field: `models.${name}`, weight, index, value } },
    );
  }
}

/**
 * Save models and their preprocessing as one bundle directory, atomically (temp dir + rename). The input
 * is checked first (see `checkSaveInput`, and finite weights): what the bundle's loader would refuse is
 * E_INPUT_INVALID (E_MODEL_DISPOSED for a disposed model) and nothing is written. `dir` is replaced
 * whole: it must be new, empty, or a bundle `input.package` saved (any task). A folder that holds other
 * files is refused with E_INPUT_INVALID and left as it is, also when it holds a manifest.json that is
 * not a bundle manifest (a web app's); a bundle another package saved, with E_BUNDLE_INCOMPATIBLE
 * naming it (replacing one product's model with another's at one path is a mistake far more often
 * than not: choose another folder, or delete it first).
 */
export async function saveBundle(dir: string, input: SaveBundleInput): Promise<BundleManifest> {
  checkSaveInput(input);
  const files: Record<string, Uint8Array | string> = {};
  const models: BundleManifest['models'] = {};
  for (const [name, model] of Object.entries(input.models ?? {})) {
    const { topology, weights } = await captureArtifacts(model);
    checkSavedWeights(name, topology, weights);
    files[`${name}.model.json`] = topology;
    files[`${name}.weights.bin`] = weights;
    models[name] = { topology: `${name}.model.json`, weights: `${name}.weights.bin` };
  }
  for (const [name, data] of Object.entries(input.files ?? {})) {
    if (Object.hasOwn(files, name)) throw new AppliedMLError('E_INPUT_INVALID', `Bundle file '${name}' is given twice.`);
    files[name] = fileBytes(data);
  }
  const metrics =
    input.metrics && (Object.fromEntries(Object.entries(input.metrics).filter(([, v]) => v !== undefined)) as Record<string, number>);
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    schemaVersion: BUNDLE_SCHEMA_VERSION,
    package: input.package,
    packageVersion: input.packageVersion,
    task: input.task,
    engineVersion: `${ENGINE_NAME}@${ENGINE_VERSION}`,
    createdAt: new Date().toISOString(),
    ...(input.labels ? { labels: input.labels } : {}),
    ...(input.preprocessing !== undefined ? { preprocessing: input.preprocessing } : {}),
    ...(input.config !== undefined ? { config: input.config } : {}),
    ...(metrics ? { metrics } : {}),
    models,
    files: Object.fromEntries(Object.entries(files).map(([name, data]) => [name, sha256(data)])),
  };
  const sealed: BundleManifest = { ...manifest, manifestSha256: sha256(canonicalJson(JSON.parse(JSON.stringify(manifest)))) };
  // Over an existing folder only when it holds a bundle this package wrote (see `bundleMarker`).
  await writeDirAtomic(dir, { ...files, [MANIFEST]: JSON.stringify(sealed, null, 2) }, { marker: bundleMarker(input.package) });
  return sealed;
}

/** Regular files only, no link followed, and a FIFO does not block the open (where the system has the flags). */
const OPEN_FILE = OPEN_REGULAR;

/**
 * Failures a save swapping the folder while it is read can cause as well as damage can: the folder or
 * its manifest absent, a listed file absent or not matching its checksum. The loader looks whether the
 * folder changed before it reports one of them (see `loadBundle`).
 */
const maybeSwapped = new WeakSet<AppliedMLError>();
function swapSuspect(error: AppliedMLError): AppliedMLError {
  maybeSwapped.add(error);
  return error;
}

function missingFile(dir: string, name: string, cause: unknown): AppliedMLError {
  return swapSuspect(
    new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir} is missing '${name}', which its manifest lists.`, {
      cause,
      details: { dir, file: name },
    }),
  );
}

function notRegular(dir: string, name: string, cause?: unknown): AppliedMLError {
  return new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: '${name}' is not a regular file (links are refused).`, {
    cause,
    details: { dir, file: name },
  });
}

function unreadable(dir: string, name: string, cause: unknown): AppliedMLError {
  return new AppliedMLError('E_IO', `Bundle ${dir}: could not read '${name}': ${(cause as Error).message}`, {
    cause,
    details: { dir, file: name },
  });
}

/**
 * Open a file the manifest lists, inside the bundle folder `root` (already resolved): a plain name (so
 * directly inside `root`), a regular file, no link. Reading from the open handle later gets this file's
 * bytes even if a save swaps the folder meanwhile.
 */
async function openInside(dir: string, root: string, name: string): Promise<FileHandle> {
  checkName(name, dir);
  const path = join(root, name);
  let info;
  try {
    info = await lstat(path);
  } catch (cause) {
    throw missingFile(dir, name, cause);
  }
  if (!info.isFile()) throw notRegular(dir, name);
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FILE);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw missingFile(dir, name, cause);
    // O_NOFOLLOW on a link that replaced the file after the lstat (EMLINK on the BSDs).
    if (code === 'ELOOP' || code === 'EMLINK') throw notRegular(dir, name, cause);
    throw unreadable(dir, name, cause);
  }
  try {
    if (!(await handle.stat()).isFile()) throw notRegular(dir, name);
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw AppliedMLError.isInstance(error) ? error : unreadable(dir, name, error);
  }
  return handle;
}

/** A bundle folder without its manifest: nothing saved there, or a save swapping the folder right now. */
function noManifest(dir: string, cause: unknown): AppliedMLError {
  return swapSuspect(
    new AppliedMLError('E_BUNDLE_MISSING', `No model bundle at ${dir} (no manifest.json). Train and save a model there first.`, {
      cause,
      details: { dir },
    }),
  );
}

/**
 * The manifest's text, read through one handle (so from one folder): a regular file (no link followed,
 * as for the files it lists; a folder, FIFO or device is not read) of at most MAX_MANIFEST_BYTES, and
 * no more than that read (a manifest.json linked to /dev/zero was read to 2 GB, twice). Absent is
 * E_BUNDLE_MISSING (a save may be swapping the folder), anything else E_BUNDLE_CORRUPT naming it; the
 * system's other refusals (ENOTDIR, EACCES) are thrown as they come.
 */
async function readManifestText(root: string, dir: string): Promise<string> {
  const read = await readSmallTextFile(join(root, MANIFEST), MAX_MANIFEST_BYTES);
  switch (read.kind) {
    case 'text':
      return read.text;
    case 'absent':
      throw noManifest(dir, read.cause);
    case 'not-regular':
      throw new AppliedMLError(
        'E_BUNDLE_CORRUPT',
        `Bundle ${dir}: manifest.json is ${read.what}, not a regular file; refusing it (a bundle's files are plain files, links are not followed).`,
        { ...(read.cause === undefined ? {} : { cause: read.cause }), details: { dir, file: MANIFEST, reason: 'not-regular' } },
      );
    case 'too-large':
      throw new AppliedMLError(
        'E_BUNDLE_CORRUPT',
        `Bundle ${dir}: manifest.json is ${read.size} bytes, over the ${MAX_MANIFEST_BYTES / 2 ** 20} MiB a manifest may hold; refusing it.`,
        { details: { dir, file: MANIFEST, size: read.size } },
      );
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function corruptManifest(dir: string, what: string, field: string): AppliedMLError {
  return new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: manifest.json ${what}.`, { details: { dir, file: MANIFEST, field } });
}

/**
 * Every manifest field the loader or its callers read has the type `BundleManifest` promises, so a
 * hand-edited manifest (one without `manifestSha256` loads unchecked) is E_BUNDLE_CORRUPT here instead
 * of a TypeError further on. `preprocessing` and `config` are any JSON: each SDK checks its own.
 */
function checkManifestTypes(m: Record<string, unknown>, dir: string): void {
  for (const field of ['package', 'packageVersion', 'task', 'engineVersion', 'createdAt'] as const)
    if (typeof m[field] !== 'string') throw corruptManifest(dir, `has no text '${field}' (got ${describeValue(m[field])})`, field);
  if (!isRecord(m.files) || !Object.values(m.files).every((v) => typeof v === 'string'))
    throw corruptManifest(dir, "lacks its file list ('files': each file's sha256 as text)", 'files');
  if (!isRecord(m.models)) throw corruptManifest(dir, "lacks its model list ('models' is not an object)", 'models');
  for (const [name, entry] of Object.entries(m.models)) {
    if (!isRecord(entry) || typeof entry.topology !== 'string' || typeof entry.weights !== 'string')
      throw corruptManifest(
        dir,
        `lists model '${name}' as ${describeValue(entry)}, not as its topology and weights files`,
        `models.${name}`,
      );
    for (const file of [entry.topology, entry.weights])
      if (!Object.hasOwn(m.files, file))
        throw corruptManifest(dir, `names a file '${file}' for model '${name}' that its file list does not checksum`, `models.${name}`);
  }
  if (m.labels !== undefined && (!Array.isArray(m.labels) || !m.labels.every((l) => typeof l === 'string')))
    throw corruptManifest(dir, `has labels that are not a list of texts (${describeValue(m.labels)})`, 'labels');
  // A metric saved as NaN or ±Infinity is written by JSON as null.
  if (m.metrics !== undefined && (!isRecord(m.metrics) || !Object.values(m.metrics).every((v) => typeof v === 'number' || v === null)))
    throw corruptManifest(dir, `has metrics that are not named numbers (${describeValue(m.metrics)})`, 'metrics');
}

function parseManifest(text: string, dir: string): BundleManifest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (cause) {
    throw new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: manifest.json is not valid JSON.`, { cause, details: { dir } });
  }
  if (!isRecord(m) || m.format !== BUNDLE_FORMAT) {
    throw new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: manifest.json is not an appliedml bundle manifest.`, { details: { dir } });
  }
  // Every engine wrote a whole number from 1: anything else is damage or an edit, not a newer format
  // (it was E_BUNDLE_INCOMPATIBLE "Upgrade @appliedml/engine", or, for 0 or 0.5, loaded).
  if (!Number.isInteger(m.schemaVersion) || (m.schemaVersion as number) < 1)
    throw corruptManifest(dir, `has no schema version, a whole number from 1 (got ${describeValue(m.schemaVersion)})`, 'schemaVersion');
  if ((m.schemaVersion as number) > BUNDLE_SCHEMA_VERSION) {
    throw new AppliedMLError(
      'E_BUNDLE_INCOMPATIBLE',
      `Bundle ${dir} has schema version ${describeValue(m.schemaVersion)}; this engine reads up to ${BUNDLE_SCHEMA_VERSION}. Upgrade @appliedml/engine.`,
      { details: { dir, schemaVersion: m.schemaVersion } },
    );
  }
  if (m.manifestSha256 !== undefined) {
    const { manifestSha256, ...rest } = m;
    if (sha256(canonicalJson(rest)) !== manifestSha256)
      throw new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: manifest.json does not match its own checksum (modified or damaged).`, {
        details: { dir, file: MANIFEST },
      });
  }
  checkManifestTypes(m, dir);
  return m as unknown as BundleManifest;
}

/**
 * `dir` runs through a file: one ending in a separator ('cls/manifest.json/') is that file, told as
 * `notAFolderError`; otherwise E_BUNDLE_MISSING naming the first level that is a file.
 */
async function throughFile(dir: string, cause: unknown): Promise<AppliedMLError> {
  const trimmed = dir.replace(/[\\/]+$/, '');
  const info = trimmed !== '' && trimmed !== dir ? await stat(trimmed).catch(() => undefined) : undefined;
  if (info && !info.isDirectory()) return notAFolderError(trimmed, info.isFile(), MODEL_BUNDLE_FOLDER, { dir });
  const levels: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    levels.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const level of levels) {
    const found = await stat(level).catch(() => undefined);
    if (found === undefined) break;
    if (!found.isDirectory())
      return new AppliedMLError('E_BUNDLE_MISSING', `No model bundle at ${dir}: ${level} is a file, not a folder.`, {
        cause,
        details: { dir, reason: 'not-a-folder', file: level },
      });
  }
  return new AppliedMLError('E_BUNDLE_MISSING', `No model bundle at ${dir}: a part of the path is a file, not a folder.`, {
    cause,
    details: { dir, reason: 'not-a-folder' },
  });
}

/** `dir`, or a folder on its path, is a link loop (or a chain longer than the system follows). */
async function linkLoop(dir: string, cause: unknown): Promise<AppliedMLError> {
  const link = await loopingLevel(resolve(dir));
  const which = link === resolve(dir) ? 'it' : link;
  return new AppliedMLError(
    'E_BUNDLE_MISSING',
    `No model bundle at ${dir}: ${which} is a symbolic link that loops (or a chain of more links than the system follows).`,
    { cause, details: { dir, reason: 'link-loop', link } },
  );
}

/** What one read of a bundle started from: its folder's identity and its manifest's text. */
interface ReadStart {
  dev: bigint;
  ino: bigint;
  manifestText: string;
}

/**
 * One read of the bundle: the manifest, then every file it lists, one at a time, checked against its
 * checksum. `start` is set once the manifest is read.
 */
async function readOnce(
  dir: string,
  options: LoadBundleOptions,
  seen: { start?: ReadStart },
): Promise<{ manifest: BundleManifest; contents: Record<string, Buffer> }> {
  let root: string;
  let text: string;
  let ident: BigIntStats;
  let reached = false;
  try {
    root = await realpath(dir);
    ident = await stat(root, { bigint: true });
    if (!ident.isDirectory()) throw await notAFolderError(dir, ident.isFile());
    reached = true;
    text = await readManifestText(root, dir);
  } catch (cause) {
    if (AppliedMLError.isInstance(cause)) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    // A path through a file ('cls/manifest.json/', 'model.bin/cls'): no save makes that, so no swap to wait for.
    if (code === 'ENOTDIR') throw await throughFile(dir, cause);
    // A link loop (or too long a chain) on the way: no save makes that either.
    if (code === 'ELOOP') throw await linkLoop(dir, cause);
    // The folder found, its manifest not readable (EACCES): say so (it was "no manifest.json").
    if (reached) throw swapSuspect(unreadable(dir, MANIFEST, cause));
    throw noManifest(dir, cause);
  }
  seen.start = { dev: ident.dev, ino: ident.ino, manifestText: text };
  const manifest = parseManifest(text, dir);
  if (options.package && manifest.package !== options.package) {
    throw new AppliedMLError('E_BUNDLE_INCOMPATIBLE', `Bundle ${dir} was written by ${manifest.package}, not ${options.package}.`, {
      details: { dir },
    });
  }
  if (options.task && manifest.task !== options.task) {
    throw new AppliedMLError('E_BUNDLE_INCOMPATIBLE', `Bundle ${dir} holds a '${manifest.task}' model, not '${options.task}'.`, {
      details: { dir },
    });
  }
  // One file open at a time (a bundle of hundreds of files, or many loads at once, stays under the
  // process's descriptor limit); a save swapping the folder meanwhile shows as a missing file or a
  // checksum mismatch, which `readConsistent` tells from damage.
  const contents: Record<string, Buffer> = {};
  for (const [name, expected] of Object.entries(manifest.files)) {
    const handle = await openInside(dir, root, name);
    let data: Buffer;
    try {
      data = await handle.readFile();
    } catch (cause) {
      throw unreadable(dir, name, cause);
    } finally {
      await handle.close().catch(() => undefined);
    }
    if (sha256(data) !== expected) {
      throw swapSuspect(
        new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: '${name}' does not match its checksum (truncated or modified).`, {
          details: { dir, file: name },
        }),
      );
    }
    contents[name] = data;
  }
  return { manifest, contents };
}

/** True when `dir` is no longer the folder, or holds no longer the manifest, that a read started from. */
async function changedSince(dir: string, start: ReadStart): Promise<boolean> {
  try {
    const root = await realpath(dir);
    const now = await stat(root, { bigint: true });
    if (now.dev !== start.dev || now.ino !== start.ino) return true;
    return (await readManifestText(root, dir)) !== start.manifestText;
  } catch {
    // Gone (or unreadable) since it was read a moment ago: moved by a save, or removed; the next read tells.
    return true;
  }
}

async function manifestReadable(dir: string): Promise<boolean> {
  try {
    await readManifestText(await realpath(dir), dir);
    return true;
  } catch {
    return false;
  }
}

/** How long a read waits, in all, for saves that swap the folder under it, and how often it starts over. */
const SWAP_WAIT_MS = 2000;
const SWAP_RETRIES = 40;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Read a bundle's manifest and files as one consistent whole, although a save (`writeDirAtomic`: files
 * to a hidden staging folder, then `dir` renamed aside and the staging folder renamed to `dir`) may
 * replace the folder while it is read, in this process or another. Every file is checked against the
 * manifest's checksums, so a read that completes is one bundle, whichever folder each byte came from. A
 * failure a swap can cause (folder or file absent, a file not matching its checksum) is reported only
 * once the folder is found unchanged since the read began; a changed folder is read again (at once,
 * then after 1, 2, 4 … 50 ms). An absent folder is waited for only while a save's retired copy, renamed
 * aside in the last few seconds, sits beside it (the moment between the two renames), so a bundle that
 * is missing or damaged, or whose last save crashed, fails at once, as before. The waits are bounded (`SWAP_WAIT_MS`).
 */
async function readConsistent(
  dir: string,
  options: LoadBundleOptions,
): Promise<{ manifest: BundleManifest; contents: Record<string, Buffer> }> {
  let waited = 0;
  let swaps = 0;
  for (let attempt = 0; ; attempt++) {
    const seen: { start?: ReadStart } = {};
    let error: unknown;
    try {
      return await readOnce(dir, options, seen);
    } catch (caught) {
      error = caught;
    }
    if (!AppliedMLError.isInstance(error))
      throw new AppliedMLError('E_IO', `Could not read the bundle at ${dir}: ${String((error as Error)?.message ?? error)}`, {
        cause: error,
        details: { dir },
      });
    if (!maybeSwapped.has(error)) throw error;
    // Read past the manifest: did the folder change since? Not found at all: is a save's copy beside it?
    let saveCopy: string | undefined;
    if (seen.start) {
      if (!(await changedSince(dir, seen.start))) throw error;
      swaps++;
    } else {
      saveCopy = await saveInProgress(dir, SAVE_UNDER_WAY_MS);
      // Or the swap finished (and its retired copy is removed) since the read found nothing.
      if (saveCopy === undefined && !(await manifestReadable(dir))) throw error;
    }
    const delay = attempt === 0 ? 0 : Math.min(2 ** (attempt - 1), 50);
    if (attempt >= SWAP_RETRIES || waited + delay > SWAP_WAIT_MS) {
      if (error.code === 'E_BUNDLE_MISSING')
        throw new AppliedMLError(
          'E_BUNDLE_MISSING',
          `${error.message} A save into it seems to be under way or to have been interrupted (${saveCopy ? `${saveCopy} exists` : 'it kept vanishing and coming back'}); waited ${waited} ms.`,
          { cause: error.cause, details: { ...error.details, ...(saveCopy ? { saveCopy } : {}) } },
        );
      throw new AppliedMLError(
        'E_BUSY',
        `Could not read the bundle at ${dir} whole: it was replaced ${swaps} times while being read (another call or process keeps saving into it). Try again.`,
        { cause: error, details: { dir } },
      );
    }
    if (delay > 0) await sleep(delay);
    waited += delay;
  }
}

/** `readerVersion` is a version of a named package: a non-empty text, given with `package`. */
function checkReader(options: LoadBundleOptions): void {
  const { readerVersion } = options;
  if (readerVersion === undefined) return;
  if (typeof readerVersion !== 'string' || readerVersion === '')
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `loadBundle options: 'readerVersion' must be a non-empty text (got ${describeValue(readerVersion)}).`,
      { details: { field: 'readerVersion' } },
    );
  if (typeof options.package !== 'string' || options.package === '')
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `loadBundle options: 'readerVersion' is the version of the package reading the bundle; name it in 'package' (got ${describeValue(options.package)}).`,
      { details: { field: 'package' } },
    );
}

/**
 * Load a bundle: verify the manifest, refuse files outside the bundle, check every file's sha256,
 * then rebuild the models. A missing, truncated or tampered file is an E_BUNDLE_CORRUPT error. A save
 * into the same folder meanwhile (from this process or another) is waited for: the load returns the
 * bundle from before it or from after it, whole (see `readConsistent`). A network it cannot read or
 * rebuild is E_BUNDLE_CORRUPT (`details.packageVersion` the version that saved it), or, given
 * `readerVersion` and saved by a newer version of `package`, E_BUNDLE_INCOMPATIBLE "upgrade".
 */
export async function loadBundle(dir: string, options: LoadBundleOptions = {}): Promise<LoadedBundle> {
  checkPathArgument(dir, 'The bundle path');
  // A misspelt guard ({ tasks: 'fraud' }) loaded another task's bundle without a word.
  checkKnownKeys('loadBundle options', options, LOAD_KEYS);
  checkReader(options);
  const { manifest, contents } = await readConsistent(dir, options);
  // What a later version may write that this one cannot read (a weights format, a layer class) carries
  // the version that saved the bundle, read from the checked manifest; given the reader's version, the
  // "upgrade or corrupt" decision is made here, from the reason as parts (see `unreadableByThisVersion`).
  // A checksum, a NaN weight, a missing file stay damage whoever saved them.
  const { packageVersion } = manifest;
  const reader =
    options.readerVersion !== undefined
      ? { dir, package: options.package as string, saved: packageVersion, running: options.readerVersion }
      : undefined;
  /** `Bundle <dir>: <said><end>`: E_BUNDLE_CORRUPT, or from a newer version of the reader's package, "upgrade". */
  const unreadable = (said: string, end: string, details: Record<string, unknown>, cause?: unknown): AppliedMLError =>
    unreadableByThisVersion(
      new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: ${said}${end}`, {
        details: { dir, ...details, packageVersion },
        ...(cause === undefined ? {} : { cause }),
      }),
      dir,
      said,
      reader,
    );
  const fault =
    (file: string): NetworkFault =>
    (what, details, cause) =>
      unreadable(`${file} ${what}`, '.', { file, ...details }, cause);
  // The cheap checks of every network (types, sizes, finite weights) come before any is built.
  const networks = Object.entries(manifest.models).map(([name, entry]) => {
    // Both files are listed in `files` (checked with the manifest), so both were read.
    const file = parseNetworkFile(contents[entry.topology]!, fault(entry.topology));
    const weights = contents[entry.weights]!;
    checkWeightSizes(file, weights, fault(entry.weights));
    checkFiniteWeights(file, weights, `Bundle ${dir}: ${entry.weights}`, { dir, file: entry.weights });
    return { name, file, weights };
  });
  const models: Record<string, tf.LayersModel> = {};
  try {
    for (const { name, file, weights } of networks) {
      const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
      try {
        models[name] = await rebuildNetwork({ modelTopology: file.modelTopology, weightSpecs: file.weightSpecs, weightData });
      } catch (cause) {
        // tfjs's first line names the problem ("Unknown layer: X."); the rest is advice on registering custom layers, kept in `cause`.
        const why = String((cause as Error)?.message ?? cause)
          .split('\n')[0]!
          .replace(/\s*This may be due to.*$/, '');
        // A layer class this process has not registered: most often the caller's own custom layer, and the
        // bundle is fine (an operator told "corrupt" would delete it). Say so; "upgrade" replaces the advice.
        const layer = /^Unknown layer: ([^\s.]+)/.exec(why)?.[1];
        const hint = layer ? ` ${unregisteredLayerHint(layer)}` : '';
        throw unreadable(`model '${name}' could not be rebuilt: ${why}`, hint, { model: name, ...(layer ? { layer } : {}) }, cause);
      }
    }
  } catch (error) {
    Object.values(models).forEach((m) => m.dispose());
    throw error;
  }
  const files = Object.fromEntries(
    Object.entries(contents).filter(([name]) => !Object.values(manifest.models).some((e) => e.topology === name || e.weights === name)),
  );
  return { manifest, models, files };
}
