import { AppliedMLError } from '../errors';

/**
 * What to do about a layer class `loadBundle` does not know: register a custom layer before loading (the
 * bundle itself is not damaged by it), else the bundle comes from a newer version or was edited.
 */
export function unregisteredLayerHint(layer: string): string {
  return `If ${layer} is a custom layer class of yours, register it with tf.serialization.registerClass(${layer}) before loading (the bundle is not damaged); otherwise the bundle was saved by a newer version or edited.`;
}

/** `major.minor.patch` at the start of a version (pre-release and build suffixes are not compared). */
function versionNumbers(version: string): number[] | undefined {
  return /^(\d+)\.(\d+)\.(\d+)/.exec(version)?.slice(1, 4).map(Number);
}

/**
 * Whether version `a` is later than version `b`, comparing the `major.minor.patch` each starts with (as
 * package.json writes them; anything after the patch number is ignored). False when they are equal, when
 * `a` is earlier, and when either is not such text (a hand-edited manifest's `packageVersion` can be
 * anything): `isNewerVersion('0.2.0', '0.1.9')` is true, `isNewerVersion('0.10.0', '0.9.0')` too.
 */
export function isNewerVersion(a: string, b: string): boolean {
  const x = typeof a === 'string' ? versionNumbers(a) : undefined;
  const y = typeof b === 'string' ? versionNumbers(b) : undefined;
  if (!x || !y) return false;
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) > (y[i] as number);
  return false;
}

/** Which bundle an SDK's load was reading, who saved it and who reads it (see `incompatibleIfNewer`). */
export interface BundleVersions {
  /** The bundle's folder, as the SDK's errors name it. */
  dir: string;
  /** The SDK package that saves and loads such bundles, e.g. `'@appliedml/fraud'`. */
  package: string;
  /**
   * The version that saved the bundle: its manifest's `packageVersion` (anything not a version counts as
   * not newer). Left out, the error's own `details.packageVersion`, which `loadBundle` gives a network
   * it cannot read or rebuild (a layer class or weights format a later version writes).
   */
  saved?: unknown;
  /** The version reading it: the SDK's own. */
  running: string;
}

/**
 * What `loadBundle` could not read in a network (its file or its rebuild), kept beside its E_BUNDLE_CORRUPT
 * error as parts: the folder and the reason (`<file> is not valid JSON`, `model 'm' could not be rebuilt:
 * Unknown layer: X`), without the advice on registering a custom layer and without the final full stop.
 * `incompatibleIfNewer` builds "upgrade" from these parts instead of reading them back out of the message.
 */
const unreadableParts = new WeakMap<AppliedMLError, { dir: string; reason: string }>();

/**
 * For `loadBundle` (not exported by the engine): `corrupt`, whose message is `Bundle <dir>: <reason>`
 * (then a full stop or the custom-layer hint), is what a later version may write and this one cannot
 * read, its reason kept as a part (see `unreadableParts`). Given who reads the bundle (`reader`), the
 * decision is made here: from a newer version, the E_BUNDLE_INCOMPATIBLE of `incompatibleIfNewer`;
 * otherwise `corrupt` as given.
 */
export function unreadableByThisVersion(corrupt: AppliedMLError, dir: string, reason: string, reader?: BundleVersions): AppliedMLError {
  unreadableParts.set(corrupt, { dir, reason: reason.replace(/\.$/, '') });
  return reader ? (incompatibleIfNewer(corrupt, reader) as AppliedMLError) : corrupt;
}

/**
 * What `error` says is wrong, for the "upgrade" message about the bundle at `dir`: the parts `loadBundle`
 * kept (the reason alone for this folder; led by `Bundle <its folder>: ` for another one, a member of an
 * ensemble), else the message without a leading `<words> <dir>: `, without the custom-layer advice when
 * `details.layer` names the layer it is about (an E_BUNDLE_CORRUPT of `loadBundle` that is not the very
 * object it threw: re-created after a copy across a worker thread, or from another copy of the engine,
 * whose parts this one never kept), and without its final full stop.
 */
function reasonOf(error: AppliedMLError, dir: string): string {
  const parts = unreadableParts.get(error);
  if (parts) return parts.dir === dir ? parts.reason : `Bundle ${parts.dir}: ${parts.reason}`;
  let reason = error.message;
  const at = reason.indexOf(`${dir}: `);
  if (at >= 0 && /^(?:[A-Za-z]+ )*$/.test(reason.slice(0, at))) reason = reason.slice(at + dir.length + 2);
  const layer = (error.details as { layer?: unknown } | undefined)?.layer;
  const hint = typeof layer === 'string' ? ` ${unregisteredLayerHint(layer)}` : undefined;
  if (hint && reason.endsWith(hint)) reason = reason.slice(0, -hint.length);
  return reason.replace(/\.$/, '');
}

/**
 * What an SDK's `load` should throw for `error`, a failure while reading a bundle whose manifest it has:
 * an `E_BUNDLE_CORRUPT` error from a bundle saved by a newer version of the package (`versions.saved`
 * later than `versions.running`, by `isNewerVersion`) becomes `E_BUNDLE_INCOMPATIBLE`, since what this
 * version cannot read there (a model kind, a config field, a file a later version added) is no damage:
 * `Bundle <dir> was saved by <package> <saved>, newer than this <running>, which cannot read it (<the
 * corrupt error's reason>). Upgrade <package> to <saved> or later.`, with the corrupt error as `cause`
 * and its details plus `dir`, `packageVersion` (saved) and `version` (running). The reason is the corrupt
 * error's message without a leading `<words> <dir>: ` and final full stop (for a network `loadBundle`
 * could not read, its own reason, without the advice on registering a custom layer, which upgrading
 * replaces). Any other error, and a corrupt one from this version or an earlier one (or a bundle with no
 * readable version), is returned as given:
 * `throw incompatibleIfNewer(error, { dir, package: NAME, saved: manifest.packageVersion, running: VERSION })`.
 * A network `loadBundle` cannot read or rebuild is decided by `loadBundle` itself when given
 * `readerVersion` (`loadBundle(dir, { package: NAME, task, readerVersion: VERSION })`); without it,
 * its E_BUNDLE_CORRUPT carries the saving version in `details.packageVersion`, which this function takes
 * when `saved` is left out.
 */
export function incompatibleIfNewer(error: unknown, versions: BundleVersions): unknown {
  const { dir, package: name, running } = versions;
  if (!AppliedMLError.hasCode(error, 'E_BUNDLE_CORRUPT')) return error;
  const saved = 'saved' in versions ? versions.saved : (error.details as { packageVersion?: unknown } | undefined)?.packageVersion;
  if (typeof saved !== 'string' || !isNewerVersion(saved, running)) return error;
  return new AppliedMLError(
    'E_BUNDLE_INCOMPATIBLE',
    `Bundle ${dir} was saved by ${name} ${saved}, newer than this ${running}, which cannot read it (${reasonOf(error, dir)}). Upgrade ${name} to ${saved} or later.`,
    { cause: error, details: { ...error.details, dir, packageVersion: saved, version: running } },
  );
}
