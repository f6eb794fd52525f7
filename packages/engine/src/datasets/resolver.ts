import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { AppliedMLError, checkPathArgument, describeValue } from '../errors';
import { checkIntegerOption, checkKnownKeys, checkOptionsObject } from '../option-checks';
import { silentLogger, type Logger } from '../logger';
import { isSha256, sha256File } from './checksum';
import { MAX_DOWNLOAD_TIMEOUT_MS, downloadFile } from './download';
import { specialFileKind, statFailure } from './file-kind';
import { setOwn } from './own-property';

/**
 * Finds a dataset's files on disk, in this order:
 *   1. `<dataDir>/<name>/<path>` where dataDir = options.dataDir ?? $APPLIEDML_DATA_DIR;
 *   2. `<cacheDir>/<name>/<path>` where cacheDir = options.cacheDir ?? $APPLIEDML_CACHE_DIR ?? ~/.cache/appliedml;
 *   3. only when downloads are allowed (options.allowDownload, or $APPLIEDML_ALLOW_DOWNLOAD=1) and every
 *      file missing from the cache has a `url`: download into the cache (atomically, sha256-checked).
 * A location is used only when it holds every file of the spec. One where a path cannot be looked at
 * (no permission, a loop of links, a file where a folder should be) or used (a FIFO in a file's place) is
 * skipped with a logger warning, and the search goes on. Relative directories (options or environment)
 * are resolved against process.cwd(). When nothing is found → E_DATASET_MISSING whose message lists
 * every path looked at, each one that cannot be looked at or used and why (`details.unusable`), and
 * the spec's `howToGet`. Only when such a path is in the data directory is it E_IO (same message): the
 * data directory is never a default, it is where the user said the data is, so something there that
 * cannot be read is theirs to fix, not a dataset to replace with offline data. The cache is a default
 * (~/.cache/appliedml, unusable e.g. as another user with HOME=/root) or a place for downloads: one
 * that cannot be used says nothing of where the dataset is, and callers falling back on
 * E_DATASET_MISSING must still do so.
 */

export interface DatasetFile {
  /** Path inside the dataset directory, with forward slashes (may name a directory for local lookups). */
  path: string;
  /** Expected SHA-256 (hex). Checked on download, and on local files with `verify: true`. */
  sha256?: string;
  /** Where to download it from (http/https), used only when downloads are allowed. */
  url?: string;
}

export interface DatasetSpec {
  /** Directory name under the data/cache directory, e.g. 'los-loop'. */
  name: string;
  files: DatasetFile[];
  /** Human text: where the data comes from, its licence, and where to put it. */
  howToGet: string;
}

export type DatasetSource = 'data-dir' | 'cache' | 'download';

export interface ResolvedDataset {
  name: string;
  /** Absolute directory holding the files. */
  root: string;
  /** Spec path → absolute path. */
  files: Record<string, string>;
  source: DatasetSource;
}

export interface ResolveDatasetOptions {
  dataDir?: string;
  cacheDir?: string;
  /** Allow downloading into the cache (default false, or true when APPLIEDML_ALLOW_DOWNLOAD=1). */
  allowDownload?: boolean;
  /** Check the sha256 of local files that declare one (default false; downloads are always checked). */
  verify?: boolean;
  logger?: Logger;
  /** Per-file download timeout in ms (default 15 minutes). */
  downloadTimeoutMs?: number;
  /** Per-file download size limit in bytes (default 8 GiB). */
  maxDownloadBytes?: number;
  /** Environment to read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

function expandHome(dir: string): string {
  return dir === '~' || dir.startsWith('~/') ? join(homedir(), dir.slice(1)) : dir;
}

/**
 * A directory from the environment. A relative value is resolved against the directory the user ran
 * the command from: INIT_CWD when npm set it (`npm run -w <app>` runs scripts inside the app's
 * folder), else the working directory.
 */
function envDir(value: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return resolve(env.INIT_CWD || process.cwd(), expandHome(value.trim()));
}

/** $APPLIEDML_DATA_DIR as an absolute path (relative values resolve against INIT_CWD, else process.cwd()), or undefined. */
export function dataDirFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  checkOptionsObject('dataDirFromEnv env', env);
  return envDir(env.APPLIEDML_DATA_DIR, env);
}

/** $APPLIEDML_CACHE_DIR as an absolute path, or ~/.cache/appliedml. */
export function cacheDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  checkOptionsObject('cacheDirFromEnv env', env);
  return envDir(env.APPLIEDML_CACHE_DIR, env) ?? join(homedir(), '.cache', 'appliedml');
}

/** True when $APPLIEDML_ALLOW_DOWNLOAD is '1' or 'true'. */
export function downloadAllowedFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  checkOptionsObject('downloadAllowedFromEnv env', env);
  const v = (env.APPLIEDML_ALLOW_DOWNLOAD ?? '').trim().toLowerCase();
  return v === '1' || v === 'true';
}

function validateSpec(spec: DatasetSpec): void {
  const bad = (message: string): never => {
    throw new AppliedMLError('E_INPUT_INVALID', `Invalid dataset spec: ${message}`, { details: { name: spec?.name } });
  };
  if (!spec || typeof spec !== 'object') bad('expected an object');
  if (typeof spec.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(spec.name) || spec.name.includes('..')) {
    bad(`name must be a plain directory name (letters, digits, '.', '_', '-'); got ${JSON.stringify(spec.name)}`);
  }
  if (!Array.isArray(spec.files) || spec.files.length === 0) bad('files must be a non-empty array');
  if (typeof spec.howToGet !== 'string') bad('howToGet must be a string');
  const seen = new Set<string>();
  for (const file of spec.files) {
    const p = file?.path;
    if (
      typeof p !== 'string' ||
      p === '' ||
      isAbsolute(p) ||
      p.includes('\\') ||
      p.split('/').some((s) => s === '' || s === '.' || s === '..')
    ) {
      bad(`file path ${JSON.stringify(p)} must be relative, use '/', and contain no '.', '..' or empty segments`);
    }
    if (seen.has(p)) bad(`file path '${p}' is listed twice`);
    seen.add(p);
    if (file.sha256 !== undefined && !isSha256(file.sha256)) bad(`sha256 of '${p}' must be 64 hex digits`);
    if (file.url !== undefined && typeof file.url !== 'string') bad(`url of '${p}' must be a string`);
  }
}

/**
 * A path at a location that cannot be looked at (`seen` false: stat failed, so whether it is there is
 * unknown) or is there but cannot be used (`seen` true: a FIFO …): why, in words, and the system's code.
 */
interface UnusablePath {
  path: string;
  reason: string;
  code: string;
  seen: boolean;
}

/** 'cannot be looked at', 'cannot be used', or both, for what `list` holds. */
function cannot(list: UnusablePath[]): string {
  const looked = list.some((u) => !u.seen);
  const used = list.some((u) => u.seen);
  return looked && used ? 'cannot be looked at or used' : looked ? 'cannot be looked at' : 'cannot be used';
}

/**
 * Whether `path` is there as a file or folder: true, false when it does not exist, or why it cannot be
 * used. Anything else in its place (a FIFO, a device, a socket) cannot be used: reading it would block
 * or never end. Nor can a path that cannot be looked at (no permission, a loop of links, a file where a
 * folder of the path should be): only one that does not exist is missing, as "missing" would send the
 * user looking for a file that is there.
 */
async function lookAt(path: string): Promise<boolean | UnusablePath> {
  let info;
  try {
    info = await stat(path);
  } catch (cause) {
    const code = (cause as { code?: unknown } | null)?.code;
    if (code === 'ENOENT') return false;
    return { path, reason: statFailure(cause, 'file'), code: typeof code === 'string' ? code : 'stat-failed', seen: false };
  }
  if (info.isFile() || info.isDirectory()) return true;
  return { path, reason: `it is ${specialFileKind(info)}, not a file or folder`, code: 'not-a-file', seen: true };
}

/** One location's files: those that are not there, and those that cannot be looked at or used. */
interface LocationCheck {
  missing: DatasetFile[];
  unusable: UnusablePath[];
}

async function checkLocation(root: string, files: DatasetFile[]): Promise<LocationCheck> {
  const check: LocationCheck = { missing: [], unusable: [] };
  for (const file of files) {
    const seen = await lookAt(join(root, file.path));
    if (seen === false) check.missing.push(file);
    else if (seen !== true) check.unusable.push(seen);
  }
  return check;
}

/**
 * resolveDataset's option names (a misspelt `allowdownload` was ignored, and the dataset reported
 * missing). Exported so that an SDK loader taking these options can check them in its own name first.
 */
export const RESOLVE_DATASET_OPTION_NAMES: readonly string[] = Object.freeze(
  Object.keys({
    dataDir: 1,
    cacheDir: 1,
    allowDownload: 1,
    verify: 1,
    logger: 1,
    downloadTimeoutMs: 1,
    maxDownloadBytes: 1,
    env: 1,
  } satisfies Record<keyof ResolveDatasetOptions, 1>),
);

/**
 * The options' types, before anything is looked at: a folder is a non-empty string (null from a JSON
 * config was a TypeError, '' meant the working directory), and the flags are true or false (the string
 * 'false' is truthy and turned downloads on).
 */
function checkResolveOptions(options: ResolveDatasetOptions): void {
  checkKnownKeys('resolveDataset options', options, RESOLVE_DATASET_OPTION_NAMES);
  for (const field of ['dataDir', 'cacheDir'] as const)
    if (options[field] !== undefined) checkPathArgument(options[field], `resolveDataset ${field}`);
  for (const field of ['allowDownload', 'verify'] as const) {
    const value = options[field] as unknown;
    if (value !== undefined && typeof value !== 'boolean')
      throw new AppliedMLError('E_INPUT_INVALID', `resolveDataset ${field} must be true or false (got ${describeValue(value)}).`, {
        details: { field },
      });
  }
  if (options.env !== undefined) checkOptionsObject('resolveDataset env', options.env);
  checkIntegerOption('resolveDataset downloadTimeoutMs', options.downloadTimeoutMs, 1, MAX_DOWNLOAD_TIMEOUT_MS);
  checkIntegerOption('resolveDataset maxDownloadBytes', options.maxDownloadBytes, 0, Number.MAX_SAFE_INTEGER);
}

async function verifyFiles(root: string, files: DatasetFile[], name: string): Promise<void> {
  for (const file of files) {
    if (!file.sha256) continue;
    const path = join(root, file.path);
    const info = await stat(path);
    if (!info.isFile()) continue;
    const actual = await sha256File(path);
    const expected = file.sha256.toLowerCase();
    if (actual !== expected) {
      throw new AppliedMLError(
        'E_DATASET_CHECKSUM',
        `Dataset '${name}': ${path} has sha256 ${actual}, expected ${expected}. The file is damaged or a different version; replace it.`,
        { details: { name, path, expected, actual } },
      );
    }
  }
}

function filesMap(root: string, files: DatasetFile[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of files) setOwn(out, file.path, join(root, file.path));
  return out;
}

function listPaths(root: string, missing: DatasetFile[], limit = 20): string[] {
  const lines = missing.slice(0, limit).map((f) => `    ${join(root, f.path)}`);
  if (missing.length > limit) lines.push(`    … and ${missing.length - limit} more`);
  return lines;
}

/** A location's lines for the report: what cannot be looked at or used there and why, then what is missing. */
function describeLocation(label: string, root: string, check: LocationCheck, limit = 20): string[] {
  if (check.unusable.length === 0) return [`  - ${label} ${root}: missing`, ...listPaths(root, check.missing, limit)];
  const lines = [`  - ${label} ${root}: ${cannot(check.unusable)}`];
  lines.push(...check.unusable.slice(0, limit).map((u) => `    ${u.path}: ${u.reason}`));
  if (check.unusable.length > limit) lines.push(`    … and ${check.unusable.length - limit} more that ${cannot(check.unusable)}`);
  if (check.missing.length > 0) lines.push('    missing:', ...listPaths(root, check.missing, limit));
  return lines;
}

/** Locates (and, if allowed, downloads) a dataset. See the module notes for the search order. */
export async function resolveDataset(spec: DatasetSpec, options: ResolveDatasetOptions = {}): Promise<ResolvedDataset> {
  validateSpec(spec);
  checkResolveOptions(options);
  const env = options.env ?? process.env;
  const logger = options.logger ?? silentLogger;
  const dataDir = options.dataDir !== undefined ? resolve(process.cwd(), expandHome(options.dataDir)) : dataDirFromEnv(env);
  const cacheDir = options.cacheDir !== undefined ? resolve(process.cwd(), expandHome(options.cacheDir)) : cacheDirFromEnv(env);
  const allowDownload = options.allowDownload === undefined ? downloadAllowedFromEnv(env) : options.allowDownload === true;
  const report: string[] = [];
  const looked: string[] = [];
  // Paths that cannot be looked at or used. A location holding one is skipped, and the search goes
  // on: the dataset may be complete in the next one. When nothing is found, those in the data
  // directory make it E_IO; the cache's are only reported.
  const unusable: UnusablePath[] = [];
  let dataDirUnusable: UnusablePath[] = [];
  const skip = (where: string, root: string, check: LocationCheck): void => {
    unusable.push(...check.unusable);
    logger.warn('dataset location cannot be looked at or used; looking further', {
      name: spec.name,
      location: where,
      root,
      unusable: check.unusable.map((u) => `${u.path}: ${u.reason}`),
    });
  };

  if (dataDir) {
    const root = join(dataDir, spec.name);
    const check = await checkLocation(root, spec.files);
    if (check.missing.length === 0 && check.unusable.length === 0) {
      if (options.verify) await verifyFiles(root, spec.files, spec.name);
      logger.debug('dataset found in data dir', { name: spec.name, root });
      return { name: spec.name, root, files: filesMap(root, spec.files), source: 'data-dir' };
    }
    const from = options.dataDir !== undefined ? 'dataDir option' : 'APPLIEDML_DATA_DIR';
    report.push(...describeLocation(`data directory (${from})`, root, check));
    looked.push(...check.missing.map((f) => join(root, f.path)));
    if (check.unusable.length > 0) skip('data directory', root, check);
    dataDirUnusable = check.unusable;
  } else {
    report.push('  - data directory: not set (set APPLIEDML_DATA_DIR or pass dataDir)');
  }

  const cacheRoot = join(cacheDir, spec.name);
  const cacheCheck = await checkLocation(cacheRoot, spec.files);
  const missingInCache = cacheCheck.missing;
  if (missingInCache.length === 0 && cacheCheck.unusable.length === 0) {
    if (options.verify) await verifyFiles(cacheRoot, spec.files, spec.name);
    logger.debug('dataset found in cache', { name: spec.name, root: cacheRoot });
    return { name: spec.name, root: cacheRoot, files: filesMap(cacheRoot, spec.files), source: 'cache' };
  }
  report.push(...describeLocation('cache', cacheRoot, cacheCheck));
  looked.push(...missingInCache.map((f) => join(cacheRoot, f.path)));
  if (cacheCheck.unusable.length > 0) skip('cache', cacheRoot, cacheCheck);

  const noUrl = missingInCache.filter((f) => !f.url);
  // Downloads go into the cache, so one that cannot be used there is not downloaded over.
  if (allowDownload && noUrl.length === 0 && cacheCheck.unusable.length === 0) {
    for (const file of missingInCache) {
      await downloadFile(file.url as string, join(cacheRoot, file.path), {
        ...(file.sha256 ? { sha256: file.sha256 } : {}),
        ...(options.downloadTimeoutMs !== undefined ? { timeoutMs: options.downloadTimeoutMs } : {}),
        ...(options.maxDownloadBytes !== undefined ? { maxBytes: options.maxDownloadBytes } : {}),
        logger,
      });
      if (!file.sha256) logger.warn('downloaded a dataset file without a checksum to verify', { name: spec.name, file: file.path });
    }
    if (options.verify) await verifyFiles(cacheRoot, spec.files, spec.name);
    return { name: spec.name, root: cacheRoot, files: filesMap(cacheRoot, spec.files), source: 'download' };
  }
  if (!allowDownload) {
    report.push('  - download: disabled (pass allowDownload: true or set APPLIEDML_ALLOW_DOWNLOAD=1)');
  } else if (noUrl.length > 0) {
    report.push(`  - download: no url for ${noUrl.map((f) => f.path).join(', ')}`);
  } else {
    report.push(`  - download: not tried, the cache location ${cannot(cacheCheck.unusable)}`);
  }

  const details = {
    name: spec.name,
    looked,
    dataDir: dataDir ?? null,
    cacheDir,
    allowDownload,
    unusable: unusable.map((u) => ({ path: u.path, reason: u.code })),
  };
  const tail = [
    `How to get it: ${spec.howToGet.trim() || '(no instructions given)'}`,
    `Then place the files under <data dir>/${spec.name}/ and set APPLIEDML_DATA_DIR=<data dir>.`,
  ];
  const [first] = dataDirUnusable;
  if (first) {
    const count = dataDirUnusable.length === 1 ? 'a path' : `${dataDirUnusable.length} paths`;
    const fix = dataDirUnusable.length === 1 ? 'fix or remove it' : 'fix or remove them';
    throw new AppliedMLError(
      'E_IO',
      [
        `Dataset '${spec.name}' was not found, and ${count} in the data directory ${cannot(dataDirUnusable)} (${fix}, or put the dataset elsewhere). Looked in:`,
        ...report,
        ...tail,
      ].join('\n'),
      // The first one in the data directory, as before this error listed them all; `unusable` has every one.
      { details: { ...details, path: first.path, reason: first.code } },
    );
  }
  throw new AppliedMLError('E_DATASET_MISSING', [`Dataset '${spec.name}' was not found. Looked in:`, ...report, ...tail].join('\n'), {
    details,
  });
}
