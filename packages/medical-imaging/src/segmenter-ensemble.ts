// SegmenterEnsemble: trained segmenters whose foreground probabilities are averaged.
// from (trained members) → predict / predictBatch → evaluate → save / load → dispose.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AppliedMLError,
  checkKnownKeys,
  incompatibleIfNewer,
  isNewerVersion,
  iou,
  meanDice,
  notAFolderError,
  replaceDirAtomic,
  writeFileDurable,
} from '@appliedml/engine';
import type { Device, FolderKind, JsonValue, Logger, SaveMarker } from '@appliedml/engine';
import type { AnyImage } from './gray-image';
import { ImageSegmenter, SEGMENTER_LOAD_KEYS } from './image-segmenter';
import type { MaskPrediction, SegmentationMetrics } from './image-segmenter';
import { assertMasked, binaryMasks, thresholdMask } from './segmentation-masks';
import type { MaskedImages } from './segmentation-masks';
import { ENSEMBLE_INDEX } from './ensemble-folder';
import { namingTarget } from './save-whole';
import type { TrainedOn } from './trained-on';
import { MEDICAL_IMAGING_PACKAGE, MEDICAL_IMAGING_VERSION } from './version';

export const SEGMENTER_ENSEMBLE_TASK = 'image-segmentation-ensemble';
/** Members an ensemble may hold: each costs one network evaluation per image. */
export const MAX_ENSEMBLE_MEMBERS = 8;
const INDEX = ENSEMBLE_INDEX;
/** `details.reason` of the error for a member folder that is gone (damage, never a newer version's layout). */
const MEMBER_MISSING = 'member-missing';

/** Layout of `ensemble.json`; a newer one is refused with E_BUNDLE_INCOMPATIBLE. */
export const SEGMENTER_ENSEMBLE_FORMAT = 1;
const MEMBER_NAME = /^member-[0-9]{1,2}$/;

/**
 * How a save tells an earlier ensemble's folder, which it replaces, from someone else's: its
 * ensemble.json must be an ensemble index (a JSON object listing `members`), and one this package wrote;
 * another package's is E_BUNDLE_INCOMPATIBLE, any other ensemble.json E_INPUT_INVALID (the plain name
 * took any file so called). An index that lost its package (an edit, damage) is still replaced.
 */
const ENSEMBLE_MARKER: SaveMarker = {
  file: INDEX,
  noun: `a ${MEDICAL_IMAGING_PACKAGE} segmenter ensemble index`,
  package: MEDICAL_IMAGING_PACKAGE,
  writtenBy(text: string): string | boolean {
    const index = JSON.parse(text) as unknown; // a throw counts as not an earlier save
    if (typeof index !== 'object' || index === null || Array.isArray(index)) return false;
    const { members, package: pkg } = index as { members?: unknown; package?: unknown };
    if (!Array.isArray(members)) return false;
    return typeof pkg === 'string' && pkg !== '' ? pkg : true;
  },
};

/** The fields a save writes in ensemble.json. */
const INDEX_KEYS: readonly string[] = ['format', 'package', 'packageVersion', 'task', 'members', 'metrics'];

interface EnsembleIndex {
  format: number;
  package: string;
  packageVersion: string;
  task: string;
  members: string[];
  metrics?: Record<string, number>;
}

/**
 * Several trained `ImageSegmenter`s used as one: each member's foreground probability at the image's
 * size (`ImageSegmenter.probabilityMaps`, what its `predict` thresholds) is averaged, and the average is
 * thresholded at 0.5. Members may differ in recipe and network size. It costs one network evaluation
 * per member and image. Saved as one directory (`ensemble.json` and a bundle per member), atomically.
 */
export class SegmenterEnsemble {
  private members: ImageSegmenter[] | undefined;

  private constructor(members: ImageSegmenter[]) {
    this.members = members;
  }

  /** An ensemble of trained segmenters (1–8). It takes ownership: `dispose` disposes the members. */
  static from(members: ImageSegmenter[]): SegmenterEnsemble {
    if (!Array.isArray(members) || members.length < 1 || members.length > MAX_ENSEMBLE_MEMBERS)
      throw new AppliedMLError('E_INPUT_INVALID', `A segmenter ensemble holds 1 to ${MAX_ENSEMBLE_MEMBERS} segmenters.`, {
        details: { field: 'members' },
      });
    members.forEach((m, i) => {
      if (!(m instanceof ImageSegmenter))
        throw new AppliedMLError('E_INPUT_INVALID', `Ensemble member ${i} is not an ImageSegmenter.`, {
          details: { field: 'members', index: i },
        });
      if (!m.isTrained)
        throw new AppliedMLError('E_MODEL_NOT_TRAINED', `Ensemble member ${i} is not trained (or was disposed).`, {
          details: { index: i },
        });
    });
    if (new Set(members).size !== members.length)
      throw new AppliedMLError('E_INPUT_INVALID', 'An ensemble cannot hold the same segmenter twice.', { details: { field: 'members' } });
    return new SegmenterEnsemble([...members]);
  }

  /** True while every member is trained: until `dispose`, or until a member is disposed on its own. */
  get isTrained(): boolean {
    return this.members !== undefined && this.members.every((m) => m.isTrained);
  }

  /**
   * What each member was fitted on (`ImageSegmenter.trainedOn`), in member order: undefined for a member
   * whose bundle did not record it (unknown).
   */
  get membersTrainedOn(): Array<TrainedOn | undefined> {
    return this.alive().map((m) => m.trainedOn);
  }

  /**
   * What the ensemble was fitted on, in the shape of `ImageSegmenter.trainedOn`: the members' one record when
   * they all recorded the same data (the source's name and `synthetic`, and the image counts: members trained
   * on the same split). A source description is no part of it, as for resume (a reader's new version may
   * reword it): members that word it differently give the record without a description. Undefined when a
   * member's is unknown or the members were fitted on different data: `membersTrainedOn` gives each one's.
   */
  get trainedOn(): TrainedOn | undefined {
    const [first, ...rest] = this.membersTrainedOn;
    if (first === undefined) return undefined;
    const text = JSON.stringify(sameDataFields(first));
    if (!rest.every((t) => t !== undefined && JSON.stringify(sameDataFields(t)) === text)) return undefined;
    const source = first.source;
    // None of the members' descriptions speaks for all of them.
    if (source && rest.some((t) => t?.source?.description !== source.description))
      return { ...first, source: { name: source.name, synthetic: source.synthetic } };
    return first;
  }

  /** How many segmenters it averages (said even when a member was disposed on its own). */
  get size(): number {
    return this.held().length;
  }

  /** The members, until `dispose`. */
  private held(): ImageSegmenter[] {
    if (!this.members) throw new AppliedMLError('E_MODEL_DISPOSED', 'This SegmenterEnsemble was disposed.');
    return this.members;
  }

  /**
   * The members, every one still usable. A member disposed on its own (the ensemble owns them) is said in
   * the ensemble's words, naming the member: its own "This ImageSegmenter was disposed." from `trainedOn`
   * or `predict` named no ensemble. A member trained at `from` is untrained again only once disposed.
   */
  private alive(): ImageSegmenter[] {
    const members = this.held();
    const gone = members.findIndex((m) => !m.isTrained);
    if (gone >= 0)
      throw new AppliedMLError(
        'E_MODEL_DISPOSED',
        `This SegmenterEnsemble cannot be used: its member ${gone} (of ${members.length}, numbered from 0) was disposed on its own. ` +
          'The ensemble owns its members: dispose the ensemble, not a member, and load or build it again.',
        { details: { index: gone, members: members.length } },
      );
    return members;
  }

  /** A member's call, awaited: the ensemble disposed meanwhile says so itself (the member would name its own class). */
  private async fromMember<T>(call: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await call();
    } catch (error) {
      this.alive();
      throw error;
    }
    this.alive();
    return result;
  }

  async predict(image: AnyImage): Promise<MaskPrediction> {
    return (await this.predictBatch([image]))[0]!;
  }

  /** Masks at each image's size; `probability` is the members' average, also at the image's size. */
  async predictBatch(images: AnyImage[]): Promise<MaskPrediction[]> {
    const members = this.alive();
    if (!Array.isArray(images) || images.length === 0)
      throw new AppliedMLError('E_INPUT_INVALID', 'predictBatch needs at least one image.');
    // The first member checks the images; its maps (fresh arrays) then hold the running sums.
    let sums: Float32Array[] | undefined;
    for (const member of members) {
      const maps = await this.fromMember(() => member.probabilityMaps(images));
      if (!sums) {
        sums = maps.map((m) => m.data);
        continue;
      }
      maps.forEach(({ data }, i) => {
        const sum = sums![i]!;
        for (let p = 0; p < sum.length; p++) sum[p]! += data[p]!;
      });
    }
    return images.map((image, i) => {
      const average = sums![i]!.map((v) => v / members.length);
      const mask = thresholdMask(average);
      let area = 0;
      for (let p = 0; p < mask.length; p++) area += mask[p]!;
      return {
        mask: { width: image.width, height: image.height, data: mask },
        probability: { width: image.width, height: image.height, data: average },
        area: area / mask.length,
      };
    });
  }

  /** Dice and IoU per image, averaged over images, of the ensemble's masks against the truth masks. */
  async evaluate(data: MaskedImages): Promise<SegmentationMetrics> {
    this.alive();
    assertMasked(data, 'evaluation data');
    const predicted = (await this.predictBatch(data.images)).map((p) => p.mask.data);
    const truth = binaryMasks(data.masks);
    const ious = truth.map((t, i) => iou(t, predicted[i]!));
    return { count: truth.length, dice: meanDice(truth, predicted), iou: ious.reduce((s, v) => s + v, 0) / ious.length };
  }

  /** Writes `dir/ensemble.json` and `dir/member-<i>` (each an `ImageSegmenter` bundle) in one atomic swap. */
  async save(dir: string, metrics?: Record<string, number>): Promise<void> {
    const members = this.alive();
    await replaceDirAtomic(
      dir,
      async (staging) => {
        // A failure (a full disk) names the folder saved to, not the hidden staging one.
        try {
          const names = members.map((_, i) => `member-${i}`);
          for (let i = 0; i < members.length; i++) await this.fromMember(() => members[i]!.save(join(staging, names[i]!)));
          const index: EnsembleIndex = {
            format: SEGMENTER_ENSEMBLE_FORMAT,
            package: MEDICAL_IMAGING_PACKAGE,
            packageVersion: MEDICAL_IMAGING_VERSION,
            task: SEGMENTER_ENSEMBLE_TASK,
            members: names,
            ...(metrics ? { metrics } : {}),
          };
          await writeFileDurable(join(staging, INDEX), JSON.stringify(index, null, 2));
        } catch (error) {
          throw namingTarget(error, staging, dir);
        }
      },
      { marker: ENSEMBLE_MARKER },
    );
  }

  static async load(dir: string, options: { device?: Device; logger?: Logger } = {}): Promise<SegmenterEnsemble> {
    if (typeof dir !== 'string' || dir === '')
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `SegmenterEnsemble.load takes a folder path (got ${dir === '' ? 'an empty string' : typeof dir}).`,
      );
    checkKnownKeys('SegmenterEnsemble.load options', options, SEGMENTER_LOAD_KEYS);
    let text: string;
    try {
      text = await readFile(join(dir, INDEX), 'utf8');
    } catch (cause) {
      throw (
        (await notAFolder(dir, cause)) ??
        new AppliedMLError('E_BUNDLE_MISSING', `No segmenter ensemble at ${dir} (no ${INDEX}). Save one there first.`, {
          cause,
          details: { dir },
        })
      );
    }
    let index: EnsembleIndex;
    try {
      index = JSON.parse(text) as EnsembleIndex;
    } catch (cause) {
      throw new AppliedMLError('E_BUNDLE_CORRUPT', `Segmenter ensemble ${dir}: ${INDEX} is not valid JSON.`, { cause, details: { dir } });
    }
    if (!index || typeof index !== 'object' || index.package !== MEDICAL_IMAGING_PACKAGE || index.task !== SEGMENTER_ENSEMBLE_TASK)
      throw new AppliedMLError('E_BUNDLE_INCOMPATIBLE', `${dir} does not hold a ${MEDICAL_IMAGING_PACKAGE} segmenter ensemble.`, {
        details: { dir, task: (index as { task?: JsonValue } | null)?.task ?? null },
      });
    if (typeof index.format !== 'number' || index.format > SEGMENTER_ENSEMBLE_FORMAT)
      throw new AppliedMLError(
        'E_BUNDLE_INCOMPATIBLE',
        `Segmenter ensemble ${dir} has layout ${String(index.format)}; this version reads up to ${SEGMENTER_ENSEMBLE_FORMAT}. Upgrade ${MEDICAL_IMAGING_PACKAGE}.`,
        { details: { dir, format: typeof index.format === 'number' ? index.format : null } },
      );
    try {
      return new SegmenterEnsemble(await loadMembers(dir, index, options));
    } catch (error) {
      // What this version cannot read in an ensemble a newer one saved (more members, another member
      // layout) is no damage: say so, and to upgrade (it said "corrupt"). A member's own load says it
      // of the member.
      // A member folder that is gone is damage whatever version saved the ensemble.
      if (AppliedMLError.hasCode(error, 'E_BUNDLE_CORRUPT') && error.details.reason === MEMBER_MISSING) throw error;
      throw incompatibleIfNewer(error, {
        dir,
        package: MEDICAL_IMAGING_PACKAGE,
        saved: index.packageVersion,
        running: MEDICAL_IMAGING_VERSION,
      });
    }
  }

  dispose(): void {
    this.members?.forEach((m) => m.dispose());
    this.members = undefined;
  }
}

/**
 * What tells one record's data from another's, in one order, for comparing two records as JSON: the
 * source's name and `synthetic` (resume's "same source"; not its description) and the image counts.
 */
function sameDataFields(t: TrainedOn): unknown[] {
  const s = t.source;
  return [s ? [s.name, s.synthetic] : null, t.images, t.validationImages];
}

/** The members `index` lists, each loaded from its folder in `dir` (E_BUNDLE_CORRUPT if the list is not valid or one is missing). */
async function loadMembers(dir: string, index: EnsembleIndex, options: { device?: Device; logger?: Logger }): Promise<ImageSegmenter[]> {
  // A newer version's index: a field this version does not know (member weights, say) is refused, not dropped.
  if (isNewerVersion(index.packageVersion, MEDICAL_IMAGING_VERSION)) {
    const unknown = Object.keys(index).filter((key) => !INDEX_KEYS.includes(key));
    if (unknown.length > 0)
      throw new AppliedMLError(
        'E_BUNDLE_CORRUPT',
        `Segmenter ensemble ${dir}: ${INDEX} holds what this version does not know: ${unknown.join(', ')}.`,
        {
          details: { dir, unknown },
        },
      );
  }
  const names = index.members;
  if (
    !Array.isArray(names) ||
    names.length < 1 ||
    names.length > MAX_ENSEMBLE_MEMBERS ||
    !names.every((n) => typeof n === 'string' && MEMBER_NAME.test(n)) ||
    new Set(names).size !== names.length
  )
    throw new AppliedMLError('E_BUNDLE_CORRUPT', `Segmenter ensemble ${dir}: ${INDEX} lists no valid members.`, { details: { dir } });
  const members: ImageSegmenter[] = [];
  try {
    for (const name of names) members.push(await ImageSegmenter.load(join(dir, name), options));
  } catch (error) {
    members.forEach((m) => m.dispose());
    if (AppliedMLError.isInstance(error) && error.code === 'E_BUNDLE_MISSING')
      throw new AppliedMLError('E_BUNDLE_CORRUPT', `Segmenter ensemble ${dir}: a member listed in ${INDEX} is missing.`, {
        cause: error,
        details: { dir, reason: MEMBER_MISSING },
      });
    throw error;
  }
  return members;
}

/** The ensemble's folder in the engine's words for a file given where a folder belongs. */
const ENSEMBLE_FOLDER: FolderKind = { index: INDEX, noun: 'segmenter ensemble', holds: "its members' bundles" };

/**
 * `dir` names a file (its ensemble.json, or a file beside it), not the ensemble's folder: the engine's
 * `notAFolderError` for an ensemble; undefined when `dir` is a folder or does not exist ("No segmenter
 * ensemble at cls/ensemble.json (no ensemble.json)" read as if the file were missing).
 */
async function notAFolder(dir: string, cause: unknown): Promise<AppliedMLError | undefined> {
  const path = dir.replace(/(.)[\\/]+$/, '$1');
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || info.isDirectory()) return undefined;
  return notAFolderError(path, info.isFile(), ENSEMBLE_FOLDER, { dir, cause });
}
