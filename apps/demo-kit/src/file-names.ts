import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { AppliedMLError } from '@appliedml/engine';

/** Longest file name a route accepts. */
export const MAX_FILE_NAME_LENGTH = 128;

/**
 * The one definition of a plain file name, used by both `fileNameSchema` (Ajv) and
 * `checkFileName`: it starts with a letter or digit, then letters, digits, `.`, `_`, `-`, and
 * never holds `..`. Length is checked apart (`minLength`/`maxLength` in the schema).
 */
const FILE_NAME_PATTERN = '^(?!.*\\.\\.)[A-Za-z0-9][A-Za-z0-9._-]*$';
const FILE_NAME = new RegExp(FILE_NAME_PATTERN, 'u');

/**
 * JSON schema for a file-name parameter: one plain name (see `checkFileName`). Put it in a
 * route's `params` or `querystring` schema so a traversal attempt is a 400 before the handler
 * runs; `resolveInside` checks again in the handler. The schema and `checkFileName` accept exactly
 * the same names.
 */
export const fileNameSchema = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_FILE_NAME_LENGTH,
  pattern: FILE_NAME_PATTERN,
} as const;

/**
 * Returns `name` when it is one plain file name; anything that could leave a folder (`..`,
 * separators of either platform, absolute paths, drive letters, NUL, percent-encoding, a leading
 * dot, dash or underscore) is E_INPUT_INVALID. `extensions` (lower case, with the dot) narrows it
 * further. Messages never quote the name.
 */
export function checkFileName(name: unknown, options: { extensions?: readonly string[]; field?: string } = {}): string {
  const field = options.field ?? 'file name';
  const details = { field };
  if (typeof name !== 'string' || name.length === 0)
    throw new AppliedMLError('E_INPUT_INVALID', `The ${field} must be a non-empty string.`, { details });
  if (name.length > MAX_FILE_NAME_LENGTH)
    throw new AppliedMLError('E_INPUT_INVALID', `The ${field} is longer than ${MAX_FILE_NAME_LENGTH} characters.`, { details });
  if (!FILE_NAME.test(name))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `The ${field} must be one plain file name (a letter or digit, then letters, digits, '.', '_', '-'; no '..', no paths).`,
      { details },
    );
  const extensions = options.extensions;
  if (extensions && !extensions.some((ext) => name.toLowerCase().endsWith(ext)))
    throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `The ${field} must end in ${extensions.join(', ')}.`, { details });
  return name;
}

/** realpath of each root folder, resolved once (a root is configuration, not input). */
const realRoots = new Map<string, Promise<string>>();

function realRoot(base: string): Promise<string> {
  let real = realRoots.get(base);
  if (!real) {
    real = realpath(base);
    realRoots.set(base, real);
    // A root that does not exist yet may be created later: do not cache the failure.
    real.catch(() => realRoots.delete(base));
  }
  return real;
}

/** `path` is directly inside `dir` (one level, no separators left in the relative path). */
function directlyInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel) && !rel.includes(sep);
}

export interface ResolveInsideOptions {
  extensions?: readonly string[];
  field?: string;
  /**
   * `true` (the default): the name must be an existing regular file directly in `root` — not a
   * symbolic link, directory, FIFO, socket or device — whose real path lies in `root`'s real path.
   * `false`: only the name is checked and the path returned, for a file the caller is about to create.
   */
  mustExist?: boolean;
}

/**
 * The absolute path of `name` inside `root`, after `checkFileName`. By default the file must be
 * an existing regular file (lstat: symbolic links are refused, as the engine's bundle reader
 * refuses them) whose real path is directly inside `root`'s real path. Missing, not a regular
 * file, or outside: the same E_INPUT_INVALID, so an answer does not reveal what exists or where
 * a link points.
 */
export async function resolveInside(root: string, name: unknown, options: ResolveInsideOptions = {}): Promise<string> {
  const plain = checkFileName(name, options);
  const field = options.field ?? 'file name';
  const base = resolve(root);
  const target = resolve(base, plain);
  const noSuchFile = (cause?: unknown): AppliedMLError =>
    new AppliedMLError('E_INPUT_INVALID', `The ${field} names no file this service serves.`, {
      ...(cause === undefined ? {} : { cause }),
      details: { field },
    });
  if (!directlyInside(target, base)) throw noSuchFile();
  if (options.mustExist === false) return target;
  try {
    const info = await lstat(target);
    if (!info.isFile()) throw noSuchFile();
    const [real, realBase] = await Promise.all([realpath(target), realRoot(base)]);
    if (!directlyInside(real, realBase)) throw noSuchFile();
    return real;
  } catch (error) {
    if (AppliedMLError.isInstance(error)) throw error;
    throw noSuchFile(error);
  }
}
