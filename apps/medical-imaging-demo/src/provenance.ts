// Which data `evaluate` scores a loaded model on, from what its bundle says it was trained on
// (`trainedOn`): a model trained on the generated phantoms is never scored on real images as if the
// numbers meant something, and a model trained on real images is never scored on phantoms.
import { AppliedMLError } from '@appliedml/engine';
import type { TrainedOn } from '@appliedml/medical-imaging';

export type Task = 'classifier' | 'segmenter';

export interface EvaluationPlan {
  /** Score on the real data set (PneumoniaMNIST / Kvasir-SEG) or on the demo's phantoms. */
  data: 'real' | 'phantoms';
  /** Why the phantoms (their note's reason), when `data` is 'phantoms'. */
  because?: string;
  /** Lines to print before the scores: what the model was trained on, and what that means for them. */
  say: string[];
}

const REAL: Record<Task, string> = { classifier: 'PneumoniaMNIST', segmenter: 'Kvasir-SEG' };

/** "SYNTHETIC phantoms (…)" or "kvasir-seg (…)": the bundle's words for its training data. */
export function describeTrainedOn(t: TrainedOn): string {
  const s = t.source!;
  return `${s.synthetic ? `SYNTHETIC ${s.name}` : s.name}${s.description ? ` (${s.description})` : ''}, ${t.images} training images`;
}

/**
 * What to score a `task` model on. `trainedOn` is the loaded bundle's; `realPresent` whether
 * APPLIEDML_DATA_DIR holds the task's real data set; `fitsReal` whether the model can take it at all
 * (a pneumonia classifier's labels, an RGB segmenter), which decides for bundles that do not record
 * their training data. Refuses (E_DATASET_MISSING) to score a model trained on real images on phantoms.
 */
export function evaluationPlan(task: Task, trainedOn: TrainedOn | undefined, realPresent: boolean, fitsReal: boolean): EvaluationPlan {
  const real = REAL[task];
  const source = trainedOn?.source;
  if (source?.synthetic) {
    const say = [`This ${task} was trained on ${describeTrainedOn(trainedOn!)}.`];
    if (realPresent)
      say.push(
        `${real} is in APPLIEDML_DATA_DIR, but a score on it of a model trained on generated phantoms would say nothing: it is scored on the phantoms it was trained on. To score a ${task} on ${real}, train one there (medical-imaging-demo train --task ${task}).`,
      );
    return { data: 'phantoms', because: `the model was trained on the phantoms, not ${real}`, say };
  }
  if (source) {
    const say = [`This ${task} was trained on ${describeTrainedOn(trainedOn!)}.`];
    if (!realPresent || !fitsReal)
      throw new AppliedMLError(
        'E_DATASET_MISSING',
        `This ${task} was trained on ${describeTrainedOn(trainedOn!)}, real images: ${
          fitsReal ? `${real} is not in APPLIEDML_DATA_DIR` : `it cannot take ${real}`
        }, and its score on the generated phantoms would say nothing about it. ${
          fitsReal ? `Set APPLIEDML_DATA_DIR to a folder holding ${real} to evaluate it.` : 'Evaluate it on its own test data.'
        }`,
        { details: { task, trainedOn: source.name } },
      );
    return { data: 'real', say };
  }
  // A bundle that does not record its training data (saved before trainedOn): decided by what the model takes.
  const unknown = `This ${task}'s bundle does not record what it was trained on (saved by an older version of the SDK).`;
  if (fitsReal && realPresent)
    return { data: 'real', say: [`${unknown} If it was trained on the generated phantoms, its ${real} scores below say nothing.`] };
  return {
    data: 'phantoms',
    because: fitsReal
      ? undefined
      : task === 'classifier'
        ? `the model was trained on the phantoms, not ${real}`
        : `the model takes gray images, ${real} is RGB`,
    say: [unknown],
  };
}

/**
 * What a model was trained on, for the lines and pages that show its answers: "trained on SYNTHETIC
 * phantoms (…): its answers say nothing medical", "trained on kvasir-seg (…)", or "training data not
 * recorded" for a bundle saved before bundles recorded it.
 */
export function trainedOnNote(trainedOn: TrainedOn | undefined): string {
  if (!trainedOn?.source) return 'training data not recorded in its bundle';
  const said = `trained on ${describeTrainedOn(trainedOn)}`;
  return trainedOn.source.synthetic ? `${said}: generated images, its answers say nothing medical` : said;
}
