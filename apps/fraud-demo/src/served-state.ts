import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppliedMLError, checkSaveTarget } from '@appliedml/engine';
import { TransactionScorer, scorerSaveMarker } from '@appliedml/fraud';
import { TRAINED_ON_FILE } from './data';

/**
 * Where `serve` keeps its card state across restarts (`--save-state`, `--state DIR`): `undefined` when
 * it keeps none (the default: the state lives in memory only). `--state DIR` names a folder of its own;
 * `--save-state` alone saves into the model folder.
 */
export function servedStateDir(model: string, options: { saveState: boolean; state: string | undefined }): string | undefined {
  if (options.state !== undefined) return options.state;
  return options.saveState ? model : undefined;
}

/**
 * The scorer `serve` starts with: the one saved in `stateDir` when it holds a scorer save (a previous
 * run's card state, with the detector it was scored by), else the model's.
 */
export async function loadServedScorer(model: string, stateDir: string | undefined): Promise<{ scorer: TransactionScorer; from: string }> {
  // A folder the save at stop would refuse (a file, one holding something else, one whose stream.json is
  // not a scorer save's) is refused now, by the save's own rule, not when the service stops and its card
  // state would be lost. One the save would replace is new, empty, or an earlier scorer save.
  if (stateDir !== undefined) {
    try {
      await checkSaveTarget(stateDir, { marker: scorerSaveMarker() });
    } catch (error) {
      if (!AppliedMLError.isInstance(error)) throw error;
      const entries = await readdir(stateDir).catch(() => undefined);
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `--state ${stateDir} is ${entries === undefined ? 'not a folder' : 'a folder holding something other than a scorer save'}: give a new or empty folder, or one an earlier serve --state saved into. (The save at stop would refuse it: ${error.message})`,
        { cause: error, details: { field: 'state', dir: stateDir } },
      );
    }
  }
  const saved = stateDir !== undefined && existsSync(join(stateDir, 'stream.json'));
  const from = saved ? (stateDir as string) : model;
  return { scorer: await TransactionScorer.load(from), from };
}

/**
 * Saves the served scorer (detector and card state) into `dir` with the SDK's atomic save (a failure, or
 * a process stopped part-way, leaves the previous save as it was). The save replaces its folder whole, so
 * the record of what `train` used (`fraud-demo.json`, which marks the page SYNTHETIC) is read first and
 * written back beside it.
 */
export async function saveServedState(scorer: TransactionScorer, dir: string): Promise<void> {
  const record = await readFile(join(dir, TRAINED_ON_FILE)).catch(() => undefined);
  await scorer.save(dir);
  if (record !== undefined) await writeFile(join(dir, TRAINED_ON_FILE), record);
}
