import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { AppliedMLError, checkPathArgument, describeValue } from '../errors';
import { checkKnownKeys } from '../option-checks';
import { BUNDLE_MANIFEST, bundleMarker } from './bundle-marker';
import { loopingLevel, MAX_MANIFEST_BYTES, readSmallTextFile } from './small-file';

/**
 * Write a new file and fsync it before closing (it must not exist yet).
 *
 * `options.mode`: the new file's permission bits (0 to 0o777, e.g. 0o600), set before any data is
 * written: the file is created with them (less what the umask takes away) and then given exactly them,
 * so its contents are never readable by more than `mode` allows, not even while the write runs. Without
 * it the file gets the umask's bits, as any new file does. A mode that is no integer in [0, 0o777] is
 * E_INPUT_INVALID and nothing is created.
 */
export async function writeFileDurable(path: string, data: Uint8Array | string, options: { mode?: number } = {}): Promise<void> {
  checkKnownKeys('writeFileDurable options', options, ['mode']);
  const mode = options.mode;
  if (mode !== undefined && !(Number.isInteger(mode) && mode >= 0 && mode <= 0o777)) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `writeFileDurable's mode must be permission bits, an integer in [0, 0o777] (e.g. 0o600); got ${describeValue(mode)}.`,
      { details: { field: 'mode' } },
    );
  }
  // open's mode is narrowed by the umask: the chmod gives exactly `mode`, still before any data.
  const handle = mode === undefined ? await open(path, 'wx') : await open(path, 'wx', mode);
  try {
    if (mode !== undefined) await handle.chmod(mode);
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * How a save tells an earlier save's folder, which it replaces, from someone else's, which it must not
 * delete: by a file every earlier save wrote at the folder's top, and what that file says.
 */
export interface SaveMarker {
  /** The file's plain name (e.g. 'manifest.json', 'stream.json'). */
  file: string;
  /**
   * Reads the text of the marker file found in an existing folder: the package that wrote it when it
   * is an earlier save ('@appliedml/traffic'), true when it is one that names no package, false when it
   * is not (a web app's manifest.json has the name, not the contents). A throw counts as false.
   */
  writtenBy(text: string): string | boolean;
  /**
   * The package saving now: a folder whose marker names another package is refused with
   * `E_BUNDLE_INCOMPATIBLE` (one product's model is not silently replaced by another's).
   */
  package?: string;
  /** What the marker file of an earlier save is, for the refusal (default "the <file> of an earlier save"). */
  noun?: string;
}

export interface ReplaceDirOptions {
  /**
   * How an existing `dir` that is not empty is told to be an earlier save, the only such folder the
   * swap replaces (anything else is refused before anything is written, and left as it is: the swap
   * would delete it). A `SaveMarker`: the folder must hold its `file`, a regular file (no link, at most
   * 16 MiB) that `writtenBy` takes for an earlier save (`E_INPUT_INVALID` otherwise), and with `package`,
   * one that package wrote (`E_BUNDLE_INCOMPATIBLE` otherwise). A plain name: the folder must hold a file
   * of that name, and 'manifest.json', the engine's bundle manifest, is read as one (`bundleMarker()`:
   * any package's bundle); another name is taken on its presence alone, so prefer a `SaveMarker`.
   */
  marker?: string | SaveMarker;
}

/** A marker as a `SaveMarker` (without `writtenBy` for a plain name other than the bundle manifest's). */
function markerSpec(marker: string | SaveMarker): Omit<SaveMarker, 'writtenBy'> & Partial<Pick<SaveMarker, 'writtenBy'>> {
  if (typeof marker === 'string') return marker === BUNDLE_MANIFEST ? bundleMarker() : { file: marker };
  const ok =
    marker !== null &&
    typeof marker === 'object' &&
    typeof marker.file === 'string' &&
    marker.file !== '' &&
    typeof marker.writtenBy === 'function' &&
    (marker.package === undefined || (typeof marker.package === 'string' && marker.package !== ''));
  if (!ok)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `The save's marker must be a file name or { file, writtenBy(text), package? } (got ${describeValue(marker)}).`,
      { details: { field: 'marker' } },
    );
  return marker;
}

/**
 * The text of an earlier save's marker file at `path`, or undefined when it is no regular file of at
 * most MAX_MANIFEST_BYTES (a folder, a link, a FIFO, or gone since the folder was listed): no earlier save
 * wrote that. Read as `loadBundle` reads a manifest (`readSmallTextFile`: no link followed, nothing but
 * a regular file opened, at most the limit + 1 bytes read). A file that cannot be read (no permission)
 * is E_IO: nothing tells what the folder holds.
 */
async function readMarker(path: string, dir: string): Promise<string | undefined> {
  let read;
  try {
    read = await readSmallTextFile(path, MAX_MANIFEST_BYTES);
  } catch (cause) {
    throw new AppliedMLError('E_IO', `Could not read ${path} to tell whether ${dir} is an earlier save: ${(cause as Error).message}`, {
      cause,
      details: { dir, file: path },
    });
  }
  return read.kind === 'text' ? read.text : undefined;
}

/**
 * Write a directory atomically: every file goes to a hidden sibling directory first (fsynced), which
 * then replaces `dir` by rename. A failure at any point leaves the previous `dir` as it was.
 */
export async function writeDirAtomic(
  dir: string,
  files: Record<string, Uint8Array | string>,
  options: ReplaceDirOptions = {},
): Promise<void> {
  await replaceDirAtomic(
    dir,
    async (staging) => {
      for (const [name, data] of Object.entries(files)) await writeFileDurable(join(staging, name), data);
    },
    options,
  );
}

/** `path` with its symbolic links resolved, as far as it exists (process.cwd() is reported that way too). */
async function physicalPath(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(await physicalPath(parent), basename(path));
  }
}

/**
 * Refuses a `dir` that is a file, or whose path goes through one ('model.bin/v2'): the save would
 * delete the file (a folder took its place) or fail on a folder it cannot make. The error names which.
 */
async function refuseFileInPath(dir: string, target: string, cause?: unknown): Promise<void> {
  const info = await stat(target).catch((error: NodeJS.ErrnoException) => error);
  if (!(info instanceof Error)) {
    if (info.isDirectory()) return;
    throw new AppliedMLError('E_INPUT_INVALID', `Refusing to save over ${dir}: it is a file, not a folder.`, {
      ...(cause !== undefined ? { cause } : {}),
      details: { dir, file: target },
    });
  }
  if (info.code === 'ELOOP') throw await loopRefusal(dir, target, info);
  if (info.code !== 'ENOTDIR') return;
  // A level above is a file: the nearest one that exists.
  let at = dirname(target);
  for (;;) {
    const up = await stat(at).catch(() => undefined);
    if (up) {
      if (up.isDirectory()) return;
      throw new AppliedMLError('E_INPUT_INVALID', `Refusing to save to ${dir}: ${at} is a file, not a folder.`, {
        cause: cause ?? info,
        details: { dir, file: at },
      });
    }
    const next = dirname(at);
    if (next === at) return;
    at = next;
  }
}

/**
 * A save to `dir`, or through a folder on its path, that is a link loop or a chain longer than the
 * system follows (the save had answered E_IO "ELOOP … scandir").
 */
async function loopRefusal(dir: string, target: string, cause: unknown): Promise<AppliedMLError> {
  const link = await loopingLevel(target);
  const which = link === target ? 'it' : link;
  return new AppliedMLError(
    'E_INPUT_INVALID',
    `Refusing to save to ${dir}: ${which} is a symbolic link that loops (or a chain of more links than the system follows).`,
    { cause, details: { dir, link, reason: 'link-loop' } },
  );
}

/**
 * Refuses a `dir` the swap must not replace: the working directory or one above it, a file (or a path
 * through one), or (with a marker) a foreign folder.
 */
async function checkReplaceable(dir: string, marker: string | SaveMarker | undefined): Promise<void> {
  const spec = marker === undefined ? undefined : markerSpec(marker);
  const target = await physicalPath(resolve(dir));
  const cwd = process.cwd();
  if (cwd === target || cwd.startsWith(target.endsWith(sep) ? target : target + sep)) {
    throw new AppliedMLError('E_INPUT_INVALID', `Refusing to save over ${dir}: it holds the working directory. Save into a subdirectory.`, {
      details: { dir },
    });
  }
  await refuseFileInPath(dir, target);
  if (spec === undefined) return;
  let entries: string[];
  try {
    entries = await readdir(target);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    // Made a file (or a path through one) since the check above.
    if (code === 'ENOTDIR') await refuseFileInPath(dir, target, cause);
    if (code === 'ELOOP') throw await loopRefusal(dir, target, cause);
    throw new AppliedMLError('E_IO', `Could not read ${dir}: ${(cause as Error).message}`, { cause, details: { dir } });
  }
  if (entries.length === 0) return;
  const file = spec.file;
  const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? ', …' : '');
  if (!entries.includes(file)) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `Refusing to save over ${dir}: it is not empty and holds no ${file} from an earlier save (it holds ${shown}). A save replaces its directory whole; choose an empty or new one.`,
      { details: { dir, marker: file } },
    );
  }
  if (spec.writtenBy === undefined) return;
  // A file of the marker's name is not enough: a web app's folder holds a manifest.json too.
  const text = await readMarker(join(target, file), dir);
  let writtenBy: string | boolean = false;
  if (text !== undefined) {
    try {
      writtenBy = spec.writtenBy(text);
    } catch {
      writtenBy = false;
    }
  }
  if (writtenBy === false || writtenBy === '') {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `Refusing to save over ${dir}: it is not empty and its ${file} is not ${spec.noun ?? `the ${file} of an earlier save`} (it holds ${shown}). A save replaces its directory whole; choose an empty or new one (or, if it is a damaged earlier save, delete it first).`,
      { details: { dir, marker: file, reason: 'not-an-earlier-save' } },
    );
  }
  if (typeof writtenBy === 'string' && spec.package !== undefined && writtenBy !== spec.package) {
    throw new AppliedMLError(
      'E_BUNDLE_INCOMPATIBLE',
      `Refusing to save over ${dir}: it holds a model saved by ${writtenBy}, not ${spec.package}. Choose another folder, or delete that one first if it is to be replaced.`,
      { details: { dir, package: writtenBy, expected: spec.package } },
    );
  }
}

/**
 * The checks a save into `dir` (`replaceDirAtomic` with these options, so `saveBundle` with
 * `{ marker: bundleMarker(package) }`) makes before it writes anything, for a caller that wants them
 * before long work (a CLI's `train --out DIR` before it trains): `dir` new or empty, or an earlier save
 * the marker recognises; not the working directory or one above it; not a file or a path through one.
 * Throws the error the save would (E_INPUT_INVALID, E_BUNDLE_INCOMPATIBLE, E_IO); resolves when the save
 * may go ahead (the folder may still change before it does: the save checks again).
 */
export async function checkSaveTarget(dir: string, options: ReplaceDirOptions = {}): Promise<void> {
  checkPathArgument(dir, 'The save path');
  checkKnownKeys('checkSaveTarget options', options, ['marker']);
  await checkReplaceable(dir, options.marker);
}

/**
 * `mkdir -p` without Node's recursive mode, which loops forever where the kernel answers ENOENT for a
 * directory whose parent exists (inside /proc, for instance): the missing levels are made one by one
 * from the nearest existing ancestor, and any refusal is thrown as it comes. Resolves to the folders it
 * made, outermost first (none when `dir` was there).
 */
export async function makeDirs(dir: string): Promise<string[]> {
  const missing: string[] = [];
  let at = resolve(dir);
  // One stat per level: the first that answers is the nearest existing ancestor.
  let found = await stat(at).catch(() => undefined);
  while (!found) {
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
    found = await stat(at).catch(() => undefined);
  }
  // The nearest existing level must be a folder (as `mkdir -p` refuses a path through or onto a file).
  if (found && !found.isDirectory()) {
    throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${missing.length ? (missing[missing.length - 1] as string) : at}'`), {
      code: 'ENOTDIR',
      path: at,
    });
  }
  const made: string[] = [];
  for (const level of missing.reverse()) {
    try {
      await mkdir(level);
      made.push(level);
    } catch (cause) {
      // Made meanwhile by someone else: fine if it is a directory now.
      if ((cause as NodeJS.ErrnoException).code === 'EEXIST' && (await stat(level)).isDirectory()) continue;
      throw cause;
    }
  }
  return made;
}

/** How a system refuses to open or fsync a folder it cannot flush (some FUSE and network file systems). */
const DIR_SYNC_REFUSED = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EISDIR', 'EPERM', 'EACCES', 'EBADF']);

/**
 * fsync a folder, so what was made or renamed in it (a new file's entry, a rename) is on disk, not only
 * the files' contents: after a power loss, a save that returned is there. Not on Windows (Node cannot
 * open a folder there). A system that refuses to open or fsync a folder (EINVAL, EPERM …: nothing it can
 * flush that way) is left as it is; another failure (EIO) is thrown.
 */
async function syncDir(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_DIRECTORY ?? 0));
  } catch (cause) {
    if (DIR_SYNC_REFUSED.has((cause as NodeJS.ErrnoException).code ?? '')) return;
    throw cause;
  }
  try {
    await handle.sync();
  } catch (cause) {
    if (!DIR_SYNC_REFUSED.has((cause as NodeJS.ErrnoException).code ?? '')) throw cause;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** `syncDir` of `dir` and of every folder in it, deepest first (a fill may make subfolders). */
async function syncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) if (entry.isDirectory()) await syncTree(join(dir, entry.name));
  await syncDir(dir);
}

/**
 * Build a directory atomically: `fill` writes whatever it needs (files, subdirectories, other bundles)
 * into an empty hidden sibling directory, which then replaces `dir` by rename. A thrown failure in
 * `fill` or in the swap leaves the previous `dir` as it was and removes the staging directory (should the
 * previous folder, renamed aside, fail to go back too, the E_IO says where it is kept: `details.previous`,
 * its hidden `.<name>.old-*` sibling; so does the E_IO, "Saved to …, but …", of a save done whose
 * previous copy cannot be deleted). A crash
 * of the process between the two renames leaves no `dir` but the previous contents in a hidden
 * `.<name>.old-*` sibling (and the new ones, complete, in `.<name>.tmp-*`): never a half-written `dir`.
 * Durable once it resolves: `fill`'s files are its to fsync (`writeFileDurable` does); the staging
 * folder (and every folder in it) is fsynced before the renames, and the parent folder after them (and
 * those above a parent folder it made), so a power loss after the save does not lose the renames.
 * Between the two renames `dir` is briefly absent; `loadBundle` waits for that (see `saveInProgress`).
 * `dir` is replaced whole, so it must not be (or hold) the working directory; with `options.marker` an
 * existing non-empty `dir` must also be an earlier save, and with a `SaveMarker`'s `package` one that
 * package wrote (see `ReplaceDirOptions`). A `dir` that is a
 * symbolic link keeps it: the folder it points to (links followed, at most 8) is the one replaced, with
 * its staging and retired copies beside it; a loop (of it, or of a folder on its path) is E_INPUT_INVALID
 * naming the link. A path holding a NUL character is E_INPUT_INVALID.
 */
export function replaceDirAtomic(dir: string, fill: (staging: string) => Promise<void>, options: ReplaceDirOptions = {}): Promise<void> {
  try {
    checkPathArgument(dir, 'The save path');
  } catch (error) {
    return Promise.reject(error);
  }
  // Saves to one folder from this process run one after another (the last one called wins), so they do
  // not race each other's renames. The folder is the one the save replaces, links followed (a save to
  // 'current' and one to 'v3' it points to are one queue); finding it takes file-system calls, so the
  // lookups themselves run in call order, and each save joins its folder's queue as its lookup ends.
  const keyed = keyLookups.then(() => queueKey(dir));
  keyLookups = keyed.then(
    () => undefined,
    () => undefined,
  );
  return keyed.then((key) => {
    const run = (inFlight.get(key) ?? Promise.resolve()).then(() => replaceNow(dir, fill, options));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    inFlight.set(key, settled);
    void settled.then(() => {
      if (inFlight.get(key) === settled) inFlight.delete(key);
    });
    return run;
  });
}

/** The save in flight (or last queued) per folder replaced (its real path, links followed). */
const inFlight = new Map<string, Promise<void>>();

/** The last queue-key lookup started: each waits for the one before, so saves queue in call order. */
let keyLookups: Promise<void> = Promise.resolve();

/** The real path of the folder a save to `dir` replaces (`resolve(dir)` when the file system will not say). */
async function queueKey(dir: string): Promise<string> {
  try {
    return await physicalPath(await linkTarget(dir));
  } catch {
    return resolve(dir);
  }
}

async function replaceNow(dir: string, fill: (staging: string) => Promise<void>, options: ReplaceDirOptions): Promise<void> {
  await checkReplaceable(dir, options.marker);
  // `dir` a symbolic link (`models/current -> v3`): the folder it points to is replaced, beside itself, and
  // the link stays (the swap renamed a new folder over the link, so `current` stopped following `v3`).
  const at = await linkTarget(dir);
  if ((await lstat(at).catch(() => undefined))?.isSymbolicLink())
    throw new AppliedMLError('E_INPUT_INVALID', `Refusing to save to ${dir}: it is a chain of more than 8 symbolic links, or a loop.`, {
      details: { dir, link: at },
    });
  const parent = dirname(at);
  const tag = randomBytes(6).toString('hex');
  const staging = join(parent, `.${basename(at)}.tmp-${tag}`);
  const retired = join(parent, `.${basename(at)}.old-${tag}`);
  let made: string[] = [];
  try {
    made = await makeDirs(parent);
    await mkdir(staging);
    await fill(staging);
    // The new folder's entries on disk before it takes `dir`'s place.
    await syncTree(staging);
  } catch (cause) {
    // Never in place of the error (rm's force ignores a missing staging folder, not a path through a file).
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    if (AppliedMLError.isInstance(cause)) throw cause;
    throw new AppliedMLError('E_IO', `Could not write the bundle to ${dir}: ${(cause as Error).message}`, { cause, details: { dir } });
  }
  const hadPrevious = await exists(at);
  try {
    if (hadPrevious) await rename(at, retired);
    await rename(staging, at);
  } catch (cause) {
    // Put the previous bundle back if it was moved aside. Where that fails too (or another folder took
    // its place meanwhile) it stays under its hidden name: the error says where (the next save's clean-up
    // deletes such a copy once it is 15 minutes old).
    let notPutBack: string | undefined;
    if (hadPrevious && (await exists(retired))) {
      if (await exists(at)) notPutBack = `another folder took its place at ${at}`;
      else
        notPutBack = await rename(retired, at).then(
          () => undefined,
          (error: unknown) => (error as Error).message,
        );
    }
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    const code = (cause as NodeJS.ErrnoException).code;
    const raced =
      code === 'ENOTEMPTY' || code === 'EEXIST'
        ? ' (another process saved to the same folder at the same time: saves to one folder must not overlap)'
        : '';
    const restore = (await exists(at)) ? '' : `; rename it to ${at} to restore it`;
    const kept =
      notPutBack === undefined ? '' : `. The previous bundle could not be put back (${notPutBack}): it is kept at ${retired}${restore}.`;
    throw new AppliedMLError('E_IO', `Could not move the new bundle into place at ${dir}: ${(cause as Error).message}${raced}${kept}`, {
      cause,
      details: notPutBack === undefined ? { dir } : { dir, previous: retired },
    });
  }
  // The renames on disk (and the folders made above them), before the previous copy is deleted.
  for (const folder of new Set([parent, ...made.map((level) => dirname(level))])) {
    try {
      await syncDir(folder);
    } catch (cause) {
      throw new AppliedMLError(
        'E_IO',
        `Saved to ${dir}, but the system could not flush ${folder} to disk (${(cause as Error).message}); after a power loss the save may be lost.${hadPrevious ? ` The previous copy is kept at ${retired}.` : ''}`,
        { cause, details: { dir, folder } },
      );
    }
  }
  if (hadPrevious) {
    try {
      await rm(retired, { recursive: true, force: true });
    } catch (cause) {
      // The save is done; a full copy of the previous one is left under a hidden name (its folder
      // read-only, say): said, typed, with where it is (the clean-up of later saves cannot delete it either).
      throw new AppliedMLError(
        'E_IO',
        `Saved to ${dir}, but the previous copy at ${retired} could not be deleted (${(cause as Error).message}); delete it to free its space.`,
        { cause, details: { dir, previous: retired } },
      );
    }
  }
  await removeStaleSiblings(at);
}

/** Staging or retired copies older than this are left by a crash, not by a save still running. */
const STALE_MS = 15 * 60_000;

/** The names `replaceNow` gives its staging (`tmp`) and retired (`old`) copies, after the `.<name>.` prefix. */
const SIBLING = /^(tmp|old)-[0-9a-f]{12}$/;

/** The hidden staging and retired copies of `dir` a save leaves beside it (while it runs, or after a crash). */
async function siblingsOf(dir: string): Promise<string[]> {
  const parent = dirname(dir);
  const prefix = `.${basename(dir)}.`;
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  return names.filter((name) => name.startsWith(prefix) && SIBLING.test(name.slice(prefix.length))).map((name) => join(parent, name));
}

/** Symbolic links `linkTarget` follows; a path still a link after them is a loop or too long a chain. */
export const MAX_LINK_HOPS = 8;

/**
 * What a write to `dir` replaces: `dir` normalised (`…/model/.` is `…/model`), and, where `dir` is a
 * symbolic link (`current -> v42`), the file or folder it points to, even while that is absent (a link
 * is dangling between a save's two renames). Follows at most MAX_LINK_HOPS links (the result is still a
 * link after a loop or a longer chain: callers refuse it). A relative target is read as the OS reads it:
 * from the folder the link really is in, its parent's links followed (`app/models/current ->
 * ../releases/v3` with `app/models -> real/models` is `real/releases/v3`, not `app/releases/v3`).
 */
export async function linkTarget(dir: string): Promise<string> {
  let path = resolve(dir);
  for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isSymbolicLink()) return path;
    const target = await readlink(path).catch(() => undefined);
    if (target === undefined) return path;
    path = resolve(await physicalPath(dirname(path)), target);
  }
  return path;
}

/**
 * A save into `dir` is between its two renames: `dir` (or the folder its link points to) is absent and
 * the save's retired copy of it was renamed aside in the last `withinMs` (by ctime, which a rename sets).
 * A reader that finds `dir` absent asks this before reporting it missing. A staging copy alone (a first
 * save being written, or a crashed one) does not count: there is nothing to wait for. Returns the copy's
 * path.
 */
export async function saveInProgress(dir: string, withinMs: number, now = Date.now()): Promise<string | undefined> {
  const target = await linkTarget(dir);
  if (await exists(target)) return undefined;
  for (const path of await siblingsOf(target)) {
    if (!/\.old-[0-9a-f]{12}$/.test(path)) continue;
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory() && now - Math.max(info.mtimeMs, info.ctimeMs) < withinMs) return path;
  }
  return undefined;
}

/** A retired copy of a folder younger than this, with the folder absent, is taken for a save between its renames. */
export const SAVE_UNDER_WAY_MS = 5_000;

export interface WaitForSaveOptions {
  /** The longest wait in all, in milliseconds (default 2000). */
  maxWaitMs?: number;
}

const WAIT_FOR_SAVE_KEYS = Object.keys({ maxWaitMs: 1 } satisfies Record<keyof WaitForSaveOptions, 1>);

/**
 * For a reader that found `dir` (or a file in it) missing: when a save into `dir` (`replaceDirAtomic`,
 * so `saveBundle` and the SDKs' own saves) is between its two renames, as `saveInProgress` tells (`dir`
 * absent, the save's retired copy renamed aside in the last 5 s), waits until `dir` is there again,
 * looking after 1, 2, 4 … 50 ms, for at most `options.maxWaitMs` (default 2000). Resolves to true when
 * it waited and `dir` is back (read it again: it is the new save, whole), false at once when no save is
 * under way (a folder that is missing, or whose last save crashed, is missing: report it), and false
 * when `dir` is still absent after the wait. `loadBundle` waits the same way by itself; a loader that
 * reads its own files from a folder a save replaces (fraud's transaction scorer) calls this.
 */
export async function waitForSave(dir: string, options: WaitForSaveOptions = {}): Promise<boolean> {
  checkPathArgument(dir, 'waitForSave dir');
  // A misspelt option (maxWait, timeoutMs) would otherwise leave the default wait without a word.
  checkKnownKeys('waitForSave options', options, WAIT_FOR_SAVE_KEYS);
  const maxWaitMs = options.maxWaitMs ?? 2000;
  if (typeof maxWaitMs !== 'number' || !(maxWaitMs >= 0))
    throw new AppliedMLError('E_INPUT_INVALID', `waitForSave's maxWaitMs must be a number from 0 (got ${describeValue(maxWaitMs)}).`);
  if ((await saveInProgress(dir, SAVE_UNDER_WAY_MS)) === undefined) return false;
  const start = Date.now();
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    const left = maxWaitMs - (Date.now() - start);
    if (left <= 0) return exists(dir);
    await new Promise<void>((done) => setTimeout(done, Math.min(delay, left)));
    // The save's second rename is done (or its retired copy went stale: a crash, nothing more to wait for).
    if ((await saveInProgress(dir, SAVE_UNDER_WAY_MS)) === undefined) return exists(dir);
  }
}

/**
 * A process killed between `mkdir(staging)` and the last rename leaves a hidden `.<name>.tmp-*` or
 * `.<name>.old-*` sibling, a full copy of a bundle; the next successful save to `dir` removes those
 * untouched for 15 minutes (by mtime and ctime: a younger one may be another process's save in
 * progress). Best effort. Exported for tests (`now` moves the clock).
 */
export async function removeStaleSiblings(dir: string, now = Date.now()): Promise<void> {
  for (const path of await siblingsOf(dir)) {
    const info = await stat(path).catch(() => undefined);
    // A rename keeps a folder's mtime but sets its ctime: a copy another process retired a moment ago is young.
    if (info?.isDirectory() && now - Math.max(info.mtimeMs, info.ctimeMs) > STALE_MS)
      await rm(path, { recursive: true, force: true }).catch(() => undefined);
  }
}
