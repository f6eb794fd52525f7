import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppliedMLError, withArticle } from '../errors';

/** What a saved folder is called in `notAFolderError`'s messages, and the file that marks it. */
export interface FolderKind {
  /** The file the folder holds first of all: 'manifest.json' for a model bundle, 'ensemble.json'. */
  index: string;
  /** What is missing, as in "No model bundle at …": 'model bundle', 'segmenter ensemble'. */
  noun: string;
  /** Its short name, as in "a bundle's manifest.json file" and "not a bundle folder" (default: `noun`). */
  short?: string;
  /** What the folder holds besides its index, as in "a folder holding manifest.json and the files it lists". */
  holds: string;
}

/** The engine's model bundle (`loadBundle`'s words). */
export const MODEL_BUNDLE_FOLDER: FolderKind = {
  index: 'manifest.json',
  noun: 'model bundle',
  short: 'bundle',
  holds: 'the files it lists',
};

/**
 * The error for a load given a file (or another non-folder) where a saved folder belongs: users pass
 * `--bundle cls/manifest.json`, or a file beside it. E_BUNDLE_MISSING (nothing of that kind is there), naming
 * the folder to pass instead (`details.folder`) when the path is the kind's index file or the file's own
 * folder holds one. `path` is the file (`isFile` false: a pipe, socket or device); `dir` the path as the
 * user gave it (default `path`); `details.reason` is 'manifest-file', 'file' or 'not-a-folder'.
 */
export async function notAFolderError(
  path: string,
  isFile: boolean,
  kind: FolderKind = MODEL_BUNDLE_FOLDER,
  options: { dir?: string; cause?: unknown } = {},
): Promise<AppliedMLError> {
  const { index, noun, holds } = kind;
  const short = kind.short ?? noun;
  const dir = options.dir ?? path;
  const cause = options.cause;
  const folder = dirname(path);
  const shown = folder === '.' ? "'.' (the current folder)" : folder;
  if (isFile && basename(path) === index) {
    return new AppliedMLError(
      'E_BUNDLE_MISSING',
      `No ${noun} at ${dir}: it is ${withArticle(short)}'s ${index} file, not its folder. Pass the folder that holds it: ${shown}.`,
      { cause, details: { dir, reason: 'manifest-file', folder } },
    );
  }
  const what = isFile ? 'a file' : 'not a file or folder (a pipe, socket or device)';
  const beside = await stat(join(folder, index)).then(
    (s) => s.isFile(),
    () => false,
  );
  return new AppliedMLError(
    'E_BUNDLE_MISSING',
    `No ${noun} at ${dir}: it is ${what}, not ${withArticle(short)} folder (a folder holding ${index} and ${holds}).` +
      (beside ? ` Its folder holds ${withArticle(index)}: pass the folder, ${shown}.` : ''),
    { cause, details: { dir, reason: isFile ? 'file' : 'not-a-folder', ...(beside ? { folder } : {}) } },
  );
}
