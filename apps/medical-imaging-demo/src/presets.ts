import type {
  ClassifierTrainOptions,
  ImageClassifierConfig,
  ImageSegmenterConfig,
  SegmenterTrainOptions,
} from '@appliedml/medical-imaging';

export type PresetName = 'quick' | 'full';

export interface Preset {
  classifier: Partial<ImageClassifierConfig>;
  classifierTrain: ClassifierTrainOptions;
  /** PneumoniaMNIST training images used (the full train split has 4,708). */
  classifierImages: number;
  segmenter: Partial<ImageSegmenterConfig>;
  segmenterTrain: SegmenterTrainOptions;
  /** Kvasir-SEG training images used (the seeded split has 800). */
  segmenterImages: number;
}

/** quick: what `npm run demo` runs (a few minutes on 2 cores); full: the bench's settings. */
export const PRESETS: Record<PresetName, Preset> = {
  quick: {
    classifier: { filters: [8, 16, 32] },
    classifierTrain: { epochs: 5, batchSize: 64 },
    classifierImages: 2000,
    segmenter: { imageSize: 64, filters: [8, 16, 32, 64], flipAugment: false },
    segmenterTrain: { epochs: 4, batchSize: 16 },
    segmenterImages: 200,
  },
  full: {
    classifier: { filters: [16, 32, 64] },
    classifierTrain: { epochs: 20, batchSize: 64, patience: 6 },
    classifierImages: 4708,
    segmenter: { imageSize: 96, filters: [16, 32, 64, 128], flipAugment: true },
    segmenterTrain: { epochs: 30, batchSize: 16, patience: 8 },
    segmenterImages: 800,
  },
};

export interface Published {
  what: string;
  accuracy?: number;
  auc?: number;
  dice?: number;
}

/** Published numbers from the datasets' SOURCE.md (see docs/medical-imaging.md for their provenance). */
export const PUBLISHED: Record<'pneumoniamnist' | 'kvasir', Published[]> = {
  pneumoniamnist: [
    { what: 'ResNet-18 (28), MedMNIST v2', accuracy: 0.854, auc: 0.944 },
    { what: 'ResNet-50 (224), MedMNIST v2', accuracy: 0.884, auc: 0.962 },
    { what: 'Google AutoML Vision, MedMNIST v2', accuracy: 0.946, auc: 0.991 },
  ],
  kvasir: [
    { what: 'ResUNet++ (Jha et al. 2019), full resolution', dice: 0.8133 },
    { what: 'U-Net (PraNet table, its own split)', dice: 0.818 },
  ],
};
