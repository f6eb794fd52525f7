// The whole public surface of @appliedml/medical-imaging. No tfjs types appear here.

// DICOM
export { DICOM_DEFAULT_MAX_PIXELS, isDicom, readDicom, readDicomFile } from './dicom/dicom-reader';
export type {
  DicomFrameValues,
  DicomImage,
  DicomMetadata,
  DicomPixelArray,
  DicomTag,
  ReadDicomOptions,
  VoiLut,
} from './dicom/dicom-reader';
export { applyWindow, dicomToColor, dicomToDisplay, dicomToModality } from './dicom/dicom-pixels';
export type { DisplayOptions, VoiLutFunction, VoiSetting } from './dicom/dicom-pixels';
export { SUPPORTED_TRANSFER_SYNTAXES } from './dicom/transfer-syntax';

// Other images
export { DEFAULT_MAX_DECODED_BYTES, DEFAULT_MAX_PIXELS, rasterToColor, rasterToGray, readImage, readMedicalImage } from './image-reader';
export type { MedicalImage, RasterImage, ReadImageOptions, ReadMedicalImageOptions, SampleFormat } from './image-reader';
export { channelsOf } from './gray-image';
export type { AnyImage, ColorImage, GrayImage } from './gray-image';

// Models
export { CLASSIFICATION_TASK, CLASSIFIER_DEFAULTS, ImageClassifier } from './image-classifier';
export type {
  ClassPrediction,
  ClassifierEpoch,
  ClassifierTrainOptions,
  ClassifierTrainingReport,
  ImageClassifierConfig,
  LabeledImages,
  PredictOptions,
} from './image-classifier';
export { SEGMENTATION_TASK, SEGMENTER_DEFAULTS, ImageSegmenter } from './image-segmenter';
export { MAX_ENSEMBLE_MEMBERS, SEGMENTER_ENSEMBLE_FORMAT, SEGMENTER_ENSEMBLE_TASK, SegmenterEnsemble } from './segmenter-ensemble';
export type {
  ImageSegmenterConfig,
  MaskPrediction,
  MaskedImages,
  SegmentationMetrics,
  SegmenterEpoch,
  SegmenterTrainOptions,
  SegmenterTrainingReport,
} from './image-segmenter';
export { TRAINED_ON_FILE } from './trained-on';
export type { DataSource, TrainedOn } from './trained-on';
export { binaryDecisions, classificationMetrics, youdenThreshold } from './classification-metrics';
export type { ClassificationMetrics } from './classification-metrics';

// Preprocessing and augmentation
export { AUGMENTATION_DEFAULTS, applyNormalization, checkImage, fitNormalization, packImages, resizeGray } from './preprocess';
export type { AugmentationConfig, FittedNormalization, Normalization } from './preprocess';

// Pictures
export { grayToPng, heatmapOverlayPng, maskOverlayPng } from './overlay';
export type { MaskOverlayOptions, OverlayOptions } from './overlay';

// Data
export { PNEUMONIA_LABELS, readMedMnist } from './medmnist';
export { kvasirIds, readKvasirSeg } from './kvasir';
export type { ReadKvasirSegOptions, SegmentationSet } from './kvasir';
export type { MedMnistSplits } from './medmnist';
export { DICOM_SAMPLES_DATASET, KVASIR_SEG_DATASET, PNEUMONIAMNIST_DATASET } from './datasets';
export { MEDICAL_IMAGING_PACKAGE, MEDICAL_IMAGING_VERSION } from './version';
