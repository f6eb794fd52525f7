import { AppliedMLError, dataDirFromEnv, resolveDataset, shuffleIndices } from '@appliedml/engine';
import {
  KVASIR_SEG_DATASET,
  PNEUMONIAMNIST_DATASET,
  kvasirIds,
  readKvasirSeg,
  readMedMnist,
  type DataSource,
  type LabeledImages,
  type MaskedImages,
} from '@appliedml/medical-imaging';
import { chestPhantoms, lesionPhantoms } from './phantoms';

export interface ClassificationData {
  source: 'pneumoniamnist' | 'phantom';
  title: string;
  synthetic: boolean;
  train: LabeledImages;
  val: LabeledImages;
  test: LabeledImages;
  positiveLabel: string;
  note: string;
}

export interface SegmentationData {
  source: 'kvasir' | 'phantom';
  title: string;
  synthetic: boolean;
  train: MaskedImages;
  val: MaskedImages;
  test: MaskedImages;
  note: string;
}

/** The sources the demo's training sets carry, saved in the bundles it trains (`trainedOn`). */
export const SOURCES = {
  // readMedMnist's name for the same data ('medmnist'): one data set, one name.
  pneumoniamnist: { name: 'medmnist', synthetic: false, description: 'PneumoniaMNIST (MedMNIST v2) official train split' },
  kvasir: { name: 'kvasir-seg', synthetic: false, description: "Kvasir-SEG, the demo's seeded 80/10/10 split (seed 2026)" },
  chestPhantoms: { name: 'phantoms', synthetic: true, description: "the demo's generated chest phantoms, clear vs lesion" },
  lesionPhantoms: { name: 'phantoms', synthetic: true, description: "the demo's generated RGB lesion phantoms" },
} as const satisfies Record<string, DataSource>;

export function hasDataDir(): boolean {
  return dataDirFromEnv() !== undefined;
}

/** Why the demo generated phantoms in place of `dataset`: the variable unset, or the folder without it. */
function offlineBecause(dataset: string): string {
  return hasDataDir() ? `APPLIEDML_DATA_DIR has no ${dataset}` : 'APPLIEDML_DATA_DIR is not set';
}

function everyKth(set: LabeledImages, n: number): LabeledImages {
  if (n >= set.images.length) return set;
  const step = set.images.length / n;
  const ids = Array.from({ length: n }, (_, i) => Math.floor(i * step));
  return { images: ids.map((i) => set.images[i]!), labels: ids.map((i) => set.labels[i]!) };
}

/** PneumoniaMNIST's official splits (train limited to `trainImages`, every k-th). */
export async function loadPneumonia(trainImages: number): Promise<ClassificationData> {
  const data = await resolveDataset(PNEUMONIAMNIST_DATASET);
  const splits = await readMedMnist(data.files['pneumoniamnist_full_reconstructed.npz'] as string);
  return {
    source: 'pneumoniamnist',
    title: 'PneumoniaMNIST (28 × 28 pediatric chest X-rays, normal vs pneumonia)',
    synthetic: false,
    train: { ...everyKth(splits.train, trainImages), source: SOURCES.pneumoniamnist },
    val: splits.val,
    test: splits.test,
    positiveLabel: 'pneumonia',
    note: `official splits: ${Math.min(trainImages, 4708)} of 4,708 train images, 524 val (epoch and threshold chosen here), 624 test. CC BY 4.0, MedMNIST v2.`,
  };
}

/** Kvasir-SEG with a seeded 80/10/10 split of the sorted ids (seed 2026); train limited to `trainImages`. */
export async function loadKvasir(trainImages: number, size: number): Promise<SegmentationData> {
  const data = await resolveDataset(KVASIR_SEG_DATASET);
  const ids = await kvasirIds(data.root);
  const order = shuffleIndices(ids.length, 2026);
  const nTrain = Math.round(ids.length * 0.8);
  const nVal = Math.round(ids.length * 0.1);
  const pick = (a: number, b: number): string[] => order.slice(a, b).map((i) => ids[i]!);
  const trainIds = pick(0, Math.min(nTrain, trainImages));
  const toMasked = (s: { images: MaskedImages['images']; masks: MaskedImages['masks'] }): MaskedImages => ({
    images: s.images,
    masks: s.masks,
  });
  return {
    source: 'kvasir',
    title: `Kvasir-SEG polyp segmentation at ${size} × ${size} (research and education use only)`,
    synthetic: false,
    train: { ...toMasked(await readKvasirSeg(data.root, trainIds, size)), source: SOURCES.kvasir },
    val: toMasked(await readKvasirSeg(data.root, pick(nTrain, nTrain + nVal), size)),
    test: toMasked(await readKvasirSeg(data.root, pick(nTrain + nVal, ids.length), size)),
    note: `seeded 80/10/10 split (seed 2026): ${trainIds.length} train, ${nVal} val, ${ids.length - nTrain - nVal} test images. Licence: research/education only; no model trained on it ships.`,
  };
}

/** `because`: why phantoms stand in for PneumoniaMNIST (default: the data folder's state). */
export function phantomClassification(size = 28, count = 600, because?: string): ClassificationData {
  return {
    source: 'phantom',
    title: 'SYNTHETIC chest phantoms (clear vs lesion): generated shapes, not medical images',
    synthetic: true,
    train: { ...chestPhantoms(count, size, 1), source: SOURCES.chestPhantoms },
    val: chestPhantoms(Math.round(count / 4), size, 2),
    test: chestPhantoms(Math.round(count / 4), size, 3),
    positiveLabel: 'lesion',
    note: `generated offline (${because ?? offlineBecause('PneumoniaMNIST')}); says nothing about medical performance.`,
  };
}

/** `because`: why phantoms stand in for Kvasir-SEG (default: the data folder's state). */
export function phantomSegmentation(size = 64, count = 160, because?: string): SegmentationData {
  return {
    source: 'phantom',
    title: 'SYNTHETIC lesion phantoms (RGB textures with one elliptic lesion): generated, not medical images',
    synthetic: true,
    train: { ...lesionPhantoms(count, size, 11), source: SOURCES.lesionPhantoms },
    val: lesionPhantoms(Math.round(count / 4), size, 12),
    test: lesionPhantoms(Math.round(count / 4), size, 13),
    note: `generated offline (${because ?? offlineBecause('Kvasir-SEG')}); says nothing about medical performance.`,
  };
}

/** Real data when APPLIEDML_DATA_DIR has it, else the synthetic phantoms (and say so). */
export async function classificationData(trainImages: number, say: (line: string) => void): Promise<ClassificationData> {
  if (hasDataDir()) {
    try {
      return await loadPneumonia(trainImages);
    } catch (error) {
      if (!AppliedMLError.hasCode(error, 'E_DATASET_MISSING')) throw error;
      say('(PneumoniaMNIST is not in APPLIEDML_DATA_DIR)');
    }
  }
  say('Using the offline default: SYNTHETIC chest phantoms generated on the fly (not medical data).');
  return phantomClassification();
}

/** Whether APPLIEDML_DATA_DIR holds `dataset` (without reading it). */
export async function hasDataset(dataset: 'pneumoniamnist' | 'kvasir'): Promise<boolean> {
  if (!hasDataDir()) return false;
  try {
    await resolveDataset(dataset === 'kvasir' ? KVASIR_SEG_DATASET : PNEUMONIAMNIST_DATASET);
    return true;
  } catch (error) {
    if (AppliedMLError.hasCode(error, 'E_DATASET_MISSING')) return false;
    throw error;
  }
}

export async function segmentationData(trainImages: number, size: number, say: (line: string) => void): Promise<SegmentationData> {
  if (hasDataDir()) {
    try {
      return await loadKvasir(trainImages, size);
    } catch (error) {
      if (!AppliedMLError.hasCode(error, 'E_DATASET_MISSING')) throw error;
      say('(Kvasir-SEG is not in APPLIEDML_DATA_DIR)');
    }
  }
  say('Using the offline default: SYNTHETIC lesion phantoms generated on the fly (not medical data).');
  return phantomSegmentation(size);
}
