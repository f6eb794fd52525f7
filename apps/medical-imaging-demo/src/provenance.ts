// Which data `evaluate` scores a loaded model on, from what its bundle says it was trained on
// (`trainedOn`): a model trained on the generated phantoms is never scored on real images as if the
// numbers meant something, and a model trained on real images is never scored on phantoms.
import { printable } from '@appliedml/demo-kit/printable';
import { AppliedMLError } from '@appliedml/engine';
import type { DataSource, TrainedOn } from '@appliedml/medical-imaging';
import { SOURCES } from './data';

export type Task = 'classifier' | 'segmenter';

export interface EvaluationPlan {
  /** Score on the real data set (PneumoniaMNIST / Kvasir-SEG) or on the demo's phantoms. */
  data: 'real' | 'phantoms';
  /** Why the phantoms (their note's reason), when `data` is 'phantoms'. */
  because?: string;
  /** Lines to print before the scores: what the model was trained on, and what that means for them. */
  say: string[];
  /**
   * A line to print beside the scores: the real test images may have been among the model's training
   * images (its bundle does not show it was trained on the demo's split), so they may not be test scores.
   */
  caution?: string;
}

/** What the model can take, for the data `evaluate` would score it on. */
export interface ModelFit {
  /** Whether it can take the task's real data set at all (a pneumonia classifier's labels, an RGB segmenter). */
  fitsReal: boolean;
  /** Why not, when it cannot ("its labels are 'cat', 'dog', not …"); a default per task otherwise. */
  unfitReal?: string;
  /** Why it cannot be scored on the demo's phantoms either (a classifier with other labels); undefined when it can. */
  unfitPhantoms?: string;
}

const REAL: Record<Task, string> = { classifier: 'PneumoniaMNIST', segmenter: 'Kvasir-SEG' };
const UNFIT_REAL: Record<Task, string> = {
  classifier: "its labels are not PneumoniaMNIST's (normal, pneumonia)",
  segmenter: 'it takes gray images, Kvasir-SEG is RGB',
};
/** The demo's own sources: the phantoms it generates, and the real data read with its split. */
const DEMO_PHANTOMS: Record<Task, DataSource> = { classifier: SOURCES.chestPhantoms, segmenter: SOURCES.lesionPhantoms };
const DEMO_REAL: Record<Task, DataSource> = { classifier: SOURCES.pneumoniamnist, segmenter: SOURCES.kvasir };

const sameSource = (a: DataSource, b: DataSource): boolean =>
  a.name === b.name && a.synthetic === b.synthetic && (a.description ?? '') === (b.description ?? '');

/**
 * Whether a model trained on `source` may have been fitted on the test images `evaluate` scores it on.
 * PneumoniaMNIST's test split is the official one: a model trained by the demo, or on the official train
 * or val split (readMedMnist names it), has not seen it. Kvasir-SEG's is the demo's seeded split: only a
 * model the demo trained (its source says so) is known to have been fitted on the other images.
 */
function splitShown(task: Task, source: DataSource | undefined): boolean {
  if (!source || source.synthetic) return false;
  if (sameSource(source, DEMO_REAL[task])) return true;
  // Bundles the demo trained before it took the SDK's name for the data (readMedMnist's 'medmnist').
  if (task === 'classifier' && sameSource({ ...source, name: 'medmnist' }, SOURCES.pneumoniamnist)) return true;
  return (
    task === 'classifier' &&
    source.name === 'medmnist' &&
    /^MedMNIST .*pneumoniamnist.*, (train|val) split \(/i.test(source.description ?? '')
  );
}

function leakCaution(task: Task): string {
  return task === 'segmenter'
    ? "its bundle does not show it was trained on the demo's seeded Kvasir-SEG split (seed 2026): unless this demo trained it (train --task segmenter), the test images above may have been among its training images, and the scores are then not test scores."
    : "its bundle does not show it was trained on PneumoniaMNIST's official train split: if its training images included the official test split, the scores above are not test scores.";
}

/** "SYNTHETIC phantoms (…)" or "kvasir-seg (…)": the bundle's words for its training data. */
export function describeTrainedOn(t: TrainedOn): string {
  const s = t.source;
  if (!s) return `data that named no source, ${t.images} training images`;
  const name = printable(s.name);
  return `${s.synthetic ? `SYNTHETIC ${name}` : name}${s.description ? ` (${printable(s.description)})` : ''}, ${t.images} training images`;
}

/**
 * What to score a `task` model on. `trainedOn` is the loaded bundle's; `realPresent` whether
 * APPLIEDML_DATA_DIR holds the task's real data set; `fit` what the model can take, which decides for
 * bundles that do not record where their training data came from. Refuses to score a model trained on
 * real images on phantoms (E_DATASET_MISSING when the real data is missing, E_INPUT_INVALID when the
 * model cannot take it), and a model that fits neither (E_INPUT_INVALID).
 */
export function evaluationPlan(task: Task, trainedOn: TrainedOn | undefined, realPresent: boolean, fit: ModelFit): EvaluationPlan {
  const real = REAL[task];
  const unfitReal = fit.unfitReal ?? UNFIT_REAL[task];
  const source = trainedOn?.source;
  // The demo's phantoms cannot score it (a classifier with other labels): said before any data is read.
  const noPhantoms = (said: string, why: string): AppliedMLError =>
    new AppliedMLError(
      'E_INPUT_INVALID',
      `${said}: ${why}, and the demo's phantoms cannot score it either (${fit.unfitPhantoms}). Evaluate it on its own test data.`,
      { details: { task, reason: 'model-unlike-data' } },
    );
  if (source?.synthetic) {
    const said = `This ${task} was trained on ${describeTrainedOn(trainedOn!)}`;
    if (fit.unfitPhantoms !== undefined)
      throw noPhantoms(said, `a score on ${real} of a model trained on generated images would say nothing`);
    if (sameSource(source, DEMO_PHANTOMS[task])) {
      const say = [`${said}.`];
      if (realPresent)
        say.push(
          `${real} is in APPLIEDML_DATA_DIR, but a score on it of a model trained on generated phantoms would say nothing: it is scored on held-out phantoms of the kind it was trained on. To score a ${task} on ${real}, train one there (medical-imaging-demo train --task ${task}).`,
        );
      return { data: 'phantoms', because: `the model was trained on the phantoms, not ${real}`, say };
    }
    // Generated images, but not the demo's: its phantoms are the nearest the demo has, not the model's own kind.
    return {
      data: 'phantoms',
      because: `the model was trained on generated images, not ${real}`,
      say: [
        `${said}.`,
        `These are not the demo's phantoms: it is scored on the demo's generated phantoms, which may be unlike its training images${
          realPresent ? `, not on ${real} (a score there of a model trained on generated images would say nothing)` : ''
        }.`,
      ],
    };
  }
  if (source) {
    const said = `This ${task} was trained on ${describeTrainedOn(trainedOn!)}`;
    if (!fit.fitsReal)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `${said}, real images, but ${unfitReal}: it cannot be scored on ${real}, and its score on the generated phantoms would say nothing about it. Evaluate it on its own test data.`,
        { details: { task, trainedOn: source.name, reason: 'model-unlike-data' } },
      );
    if (!realPresent)
      throw new AppliedMLError(
        'E_DATASET_MISSING',
        `${said}, real images: ${real} is not in APPLIEDML_DATA_DIR, and its score on the generated phantoms would say nothing about it. Set APPLIEDML_DATA_DIR to a folder holding ${real} to evaluate it.`,
        { details: { task, trainedOn: source.name } },
      );
    return {
      data: 'real',
      say: [`${said}.`],
      ...(splitShown(task, source) ? {} : { caution: `Caution: ${leakCaution(task)}` }),
    };
  }
  // Not known where its training data came from: decided by what the model takes, never said to be phantoms.
  const unknown =
    trainedOn === undefined
      ? `This ${task}'s bundle does not record what it was trained on (saved by an older version of the SDK).`
      : `This ${task}'s bundle records ${trainedOn.images} training images but not where they came from (the training data named no source).`;
  if (fit.fitsReal && realPresent)
    return {
      data: 'real',
      say: [`${unknown} If it was trained on generated images, its ${real} scores below say nothing.`],
      caution: `Caution: ${leakCaution(task)}`,
    };
  if (fit.unfitPhantoms !== undefined) {
    if (!fit.fitsReal) throw noPhantoms(unknown.slice(0, -1), unfitReal);
    throw new AppliedMLError(
      'E_DATASET_MISSING',
      `${unknown} ${real} is not in APPLIEDML_DATA_DIR, and the demo's phantoms cannot score it (${fit.unfitPhantoms}). Set APPLIEDML_DATA_DIR to a folder holding ${real} to evaluate it.`,
      { details: { task } },
    );
  }
  return {
    data: 'phantoms',
    because: fit.fitsReal ? undefined : unfitReal,
    say: [unknown],
  };
}

/**
 * What a model was trained on, for the lines and pages that show its answers: "trained on SYNTHETIC
 * phantoms (…): its answers say nothing medical", "trained on kvasir-seg (…)", or "training data not
 * recorded" for a bundle saved before bundles recorded it.
 */
export function trainedOnNote(trainedOn: TrainedOn | undefined): string {
  if (!trainedOn) return 'training data not recorded in its bundle';
  if (!trainedOn.source) return `trained on ${trainedOn.images} images whose source its bundle does not record`;
  const said = `trained on ${describeTrainedOn(trainedOn)}`;
  return trainedOn.source.synthetic ? `${said}: generated images, its answers say nothing medical` : said;
}
