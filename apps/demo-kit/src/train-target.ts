// `train --out DIR` checked before the training run with the save's own rule (the engine's
// checkSaveTarget, 547f61a): a folder the save will refuse (a web app's manifest.json beside index.html,
// another SDK's bundle, a folder of other files, the working directory) used to be found only after the
// whole run, which for a CNN or a speech model is minutes lost.
import type { SaveMarker } from '@appliedml/engine';

export interface TrainTargetOptions {
  /** The package whose bundle the save writes ('@appliedml/text'): checked with the engine's `bundleMarker(package)`. */
  package?: string;
  /** The marker the save passes instead, for a save that is not a bundle (a scorer's stream.json). */
  marker?: SaveMarker;
  /** The flag that named `dir`, for the refusal (default '--out'). */
  flag?: string;
}

/**
 * Refuses, before anything is trained, a `dir` the save at the end of training would refuse: the error the
 * save would throw (same code and details, with `path`), its message prefixed by the flag and folder and
 * followed by "Nothing was trained.". Resolves when the save may go ahead (it checks again when it runs).
 * The engine is imported here, not at the top: a CLI's --help and refused flags load no TensorFlow.js.
 */
export async function checkTrainTarget(dir: string, options: TrainTargetOptions): Promise<void> {
  const { AppliedMLError, bundleMarker, checkSaveTarget } = await import('@appliedml/engine');
  const marker = options.marker ?? bundleMarker(options.package);
  const flag = options.flag ?? '--out';
  try {
    await checkSaveTarget(dir, { marker });
  } catch (error) {
    if (!AppliedMLError.isInstance(error)) throw error;
    throw new AppliedMLError(error.code, `${flag} ${dir}: ${error.message} Nothing was trained.`, {
      cause: error,
      details: { ...error.details, path: dir },
    });
  }
}
