// A single-model load (ImageSegmenter.load, ImageClassifier.load) pointed at a segmenter ensemble's
// folder: it said "No model bundle at … (no manifest.json). Train and save a model there first.", as if
// the folder were empty.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppliedMLError } from '@appliedml/engine';

/** The file a `SegmenterEnsemble` save writes at the top of its folder. */
export const ENSEMBLE_INDEX = 'ensemble.json';

/**
 * For a load's E_BUNDLE_MISSING on `dir`: E_BUNDLE_INCOMPATIBLE naming `SegmenterEnsemble.load` when the
 * folder holds a segmenter ensemble, else the error as it was.
 */
export async function ensembleFolderError(error: unknown, dir: string, loader: string, task: string): Promise<unknown> {
  if (!AppliedMLError.hasCode(error, 'E_BUNDLE_MISSING') || typeof dir !== 'string') return error;
  const index = await stat(join(dir, ENSEMBLE_INDEX)).catch(() => undefined);
  if (!index?.isFile()) return error;
  return new AppliedMLError(
    'E_BUNDLE_INCOMPATIBLE',
    `${dir} holds a segmenter ensemble (${ENSEMBLE_INDEX}), not a single '${task}' model: load it with SegmenterEnsemble.load, ` +
      `or load one member with ${loader}('${join(dir, 'member-0')}').`,
    { cause: error, details: { dir, task: 'image-segmentation-ensemble' } },
  );
}
