import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { AppliedMLError } from '@appliedml/engine';

/** Longest file name a route accepts. */
export const MAX_FILE_NAME_LENGTH = 128;

/**
 * JSON schema for a file-name parameter: one plain name (letters, digits, `.`, `_`, `-`), not
 * starting with a dot, no separators. Put it in a route's `params` or `querystring` schema so a
 * traversal attempt is a 400 before the handler runs; `resolveInside` checks again in the handler.
 */
export const fileNameSchema = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_FILE_NAME_LENGTH,
  pattern: '^[A-Za-z0-9_-][A-Za-z0-9._-]*$',
} as const;

const PLAIN = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * Returns `name` when it is one plain file name; anything that could leave a folder (`..`,
 * separators of either platform, absolute paths, drive letters, NUL, percent-encoding, a leading
 * dot) is E_INPUT_INVALID. `extensions` (lower case, with the dot) narrows it further.
 */
export function checkFileName(name: unknown, options: { extensions?: readonly string[]; field?: string } = {}): string {
  const field = options.field ?? 'file name';
  const details = { field };
  if (typeof name !== 'string' || name.length === 0)
    throw new AppliedMLError('E_INPUT_INVALID', `The ${field} must be a non-empty string.`, { details });
  if (name.length > MAX_FILE_NAME_LENGTH)
    throw new AppliedMLError('E_INPUT_INVALID', `The ${field} is longer than ${MAX_FILE_NAME_LENGTH} characters.`, { details });
  if (!PLAIN.test(name) || name.includes('..'))
    throw new AppliedMLError('E_INPUT_INVALID', `The ${field} must be one plain file name (letters, digits, '.', '_', '-'; no paths).`, {
      details,
    });
  const extensions = options.extensions;
  if (extensions && !extensions.some((ext) => name.toLowerCase().endsWith(ext)))
    throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `The ${field} must end in ${extensions.join(', ')}.`, { details });
  return name;
}

/**
 * The absolute path of `name` inside `root`, after `checkFileName`. With `followLinks` (the
 * default) the real path is checked too, so a symbolic link inside `root` cannot point out of it;
 * a missing file is E_INPUT_INVALID (the caller answers 400 without saying what exists).
 */
export async function resolveInside(
  root: string,
  name: unknown,
  options: { extensions?: readonly string[]; field?: string; followLinks?: boolean } = {},
): Promise<string> {
  const plain = checkFileName(name, options);
  const base = resolve(root);
  const target = resolve(base, plain);
  const inside = (path: string, dir: string): boolean => {
    const rel = relative(dir, path);
    return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
  };
  if (!inside(target, base))
    throw new AppliedMLError('E_INPUT_INVALID', 'The file name leaves its folder.', { details: { field: options.field } });
  if (options.followLinks === false) return target;
  let real: string;
  let realBase: string;
  try {
    [real, realBase] = await Promise.all([realpath(target), realpath(base)]);
  } catch (cause) {
    throw new AppliedMLError('E_INPUT_INVALID', `No such file: ${plain}.`, { cause, details: { field: options.field } });
  }
  if (!inside(real, realBase))
    throw new AppliedMLError('E_INPUT_INVALID', 'The file name leaves its folder.', { details: { field: options.field } });
  return real;
}
