// Where the commands will write, checked before they train: a `train --out` or `demo --report` that
// cannot be written used to fail only after the whole training run (minutes; far longer with the full
// preset), and the run was lost. The save and the write still make their own checks.
import { readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { checkTrainTarget } from '@appliedml/demo-kit/cli';
import { AppliedMLError } from '@appliedml/engine';

type Info = Awaited<ReturnType<typeof stat>>;

async function info(path: string): Promise<Info | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new AppliedMLError('E_IO', `Cannot check ${path}: ${(error as Error).message}`, { cause: error, details: { path } });
  }
}

/** The nearest existing folder above `path` must be a folder (no file in the way, 'model.bin/out'). */
async function refuseFileAbove(path: string, flag: string, after: string): Promise<void> {
  let at = dirname(resolve(path));
  for (;;) {
    const found = await info(at);
    if (found) {
      if (!found.isDirectory())
        throw new AppliedMLError('E_INPUT_INVALID', `${flag} ${path}: ${at} is a file, not a folder${after}.`, {
          details: { path, file: at },
        });
      return;
    }
    const up = dirname(at);
    if (up === at) return;
    at = up;
  }
}

/**
 * `train --out DIR`: a new folder, an empty one or an earlier bundle (as `save` takes), and not one that
 * holds the working directory (`--out .` where an earlier bundle is), checked before training.
 */
export async function checkBundleTarget(dir: string, flag = '--out'): Promise<void> {
  const found = await info(dir);
  if (!found) return refuseFileAbove(dir, flag, '; nothing was trained');
  if (!found.isDirectory())
    throw new AppliedMLError('E_INPUT_INVALID', `${flag} ${dir} is a file, not a folder for the bundle; nothing was trained.`, {
      details: { path: dir },
    });
  // The save's own rule (the engine's): a folder that holds the working directory ('.', '..') is never replaced.
  const target = await realpath(resolve(dir));
  const cwd = await realpath(process.cwd());
  if (cwd === target || cwd.startsWith(target.endsWith(sep) ? target : target + sep))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${flag} ${dir} holds the working directory, and a save replaces its folder whole: save into a subdirectory (e.g. ${flag} ${join(dir, 'model')}). Nothing was trained.`,
      { details: { path: dir, reason: 'holds-working-directory' } },
    );
  const entries = await readdir(dir);
  if (entries.length > 0 && !entries.includes('manifest.json'))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${flag} ${dir} is not empty and holds no earlier bundle (manifest.json); a save replaces the folder whole, so choose an empty or new one. Nothing was trained.`,
      { details: { path: dir } },
    );
  if (entries.length === 0) return;
  // A manifest.json is there: the save replaces the folder only when it is an appliedml bundle of this
  // package (a web app's manifest.json beside index.html is not; 547f61a), so ask the engine's own check
  // now rather than after the whole training run (demo-kit's checkTrainTarget, as every demo's train).
  // The SDK is imported here, not at the top: the CLI loads this module in its commands only.
  const { MEDICAL_IMAGING_PACKAGE } = await import('@appliedml/medical-imaging');
  await checkTrainTarget(dir, { package: MEDICAL_IMAGING_PACKAGE, flag });
}

/** `demo --report FILE`, `predict --heatmap FILE`: not a folder, and no file in the way above it. `after`: what was not done. */
export async function checkOutputFile(path: string, flag: string, after = ''): Promise<void> {
  const found = await info(path);
  if (found?.isDirectory())
    throw new AppliedMLError('E_INPUT_INVALID', `${flag} ${path} is a folder, not a file name${after}.`, {
      details: { path },
    });
  if (!found) await refuseFileAbove(path, flag, after);
}
