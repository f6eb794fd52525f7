// The whole public surface of @appliedml/speech. No tfjs types appear here.

export { DEFAULT_FRONT_ENDS, RECOGNIZER_VAD_DEFAULTS, SEQUENCE_VAD_DEFAULTS, SpeechRecognizer } from './speech-recognizer';
export type {
  Recognition,
  SequenceOptions,
  SequenceRecognition,
  SpeechExample,
  SpeechMetrics,
  SpeechRecognizerConfig,
  SpeechTrainingReport,
  TrainOptions,
  WordDetection,
} from './speech-recognizer';
export { StreamingRecognizer, detectionsBefore } from './streaming';
export type { StreamDetection, StreamingOptions } from './streaming';
export { CNN_DEFAULTS, MODEL_TYPES, RNN_DEFAULTS } from './models';
export type { CnnConfig, ModelType, RnnConfig } from './models';
export { AUGMENT_DEFAULTS, AUGMENT_OFF, AUGMENT_PAD_DEFAULTS, addNoise, changeSpeed } from './augment';
export type { AugmentConfig, AugmentOptions, AugmentPad } from './augment';

// Audio and features
export {
  DEFAULT_CHUNK_SECONDS,
  DEFAULT_MAX_AUDIO_SECONDS,
  StreamingResampler,
  decodeAudioSync,
  decodeWav,
  encodeWav,
  parseWavHeader,
  readAudio,
  readAudioChunks,
  resample,
} from './wav';
export type { AudioChunks, AudioInput, DecodedAudio, ReadAudioChunksOptions, ReadAudioOptions, WavEncoding } from './wav';
export {
  CMVN_MODES,
  FEATURE_DEFAULTS,
  FEATURE_KINDS,
  WINDOWS,
  extractFeatureViews,
  extractFeatures,
  frameCount,
  hzToMel,
  logMel,
  melFilterBank,
  melToHz,
  mfcc,
  resolveFeatureConfig,
} from './features';
export type { CmvnMode, FeatureConfig, FeatureKind, Features, ResolvedFeatureConfig, WindowName } from './features';
export { detectSpeech, trimSilence } from './vad';
export type { Segment, VadOptions } from './vad';

// Data
export { FSDD_DATASET, fsddOfficialSplit, readFsdd } from './datasets';
export type { FsddRecording } from './datasets';
export { SPEECH_PACKAGE, SPEECH_TASK, SPEECH_VERSION } from './version';
