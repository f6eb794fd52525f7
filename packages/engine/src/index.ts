// The whole public surface of @appliedml/engine.

// Errors and logging
export { AppliedMLError, ERROR_CODES, assertInput, checkPathArgument, describeKind, describeValue, httpStatusForCode } from './errors';
export type { AppliedMLErrorOptions, ErrorCode } from './errors';
export { consoleLogger, silentLogger } from './logger';
export { routeConsoleWarnings } from './console-warnings';
export type { Logger } from './logger';

// Device chain
export { AUTO_ORDER, DEVICES, DEVICE_DESCRIPTIONS, checkDevice, isDevice } from './device/device';
export type { ConcreteDevice, Device, DeviceAttempt, DeviceInfo } from './device/device';
export { engine, engineInfo, initEngine, tf } from './device/engine';
export type { EngineOptions } from './device/engine';
export { selectDevice } from './device/select-device';
export type { DeviceSelection } from './device/select-device';
export { applyNodeUtilShim, defaultLoaders } from './device/loaders';
export type { DeviceLoader, DeviceLoaders, LoadedBackend } from './device/loaders';
export { WASM_DELEGATED_KERNELS, registerBackendFixes } from './kernels/register';
export { disableWasmThreads, enableWasmThreads, maxWasmThreads, wasmThreadsInfo } from './device/wasm-threads';
export type { WasmThreadsInfo, WasmThreadsOptions } from './device/wasm-threads';

// Byte order
export { HOST_BYTE_ORDER, hostOrderBytes } from './byte-order';
export type { ByteOrder, HostOrderBytesOptions } from './byte-order';

// Randomness
export { createRng, permutation, withSeededRandom } from './random';
export type { Rng, Seed } from './random';

// Training
export { evaluateLoss, fitModel } from './train/trainer';
export { eventLoopTurns } from './train/event-loop';
export type { EventLoopAbort } from './train/event-loop';
export { abortedError, checkSignalOption, throwIfAborted } from './abort';
export { lazyRequire } from './lazy-require';
export { resolveClassWeights } from './train/class-weights';
export type { ClassWeightOption, ResolveClassWeightsOptions } from './train/class-weights';
export type {
  EarlyStopping,
  EpochLogs,
  EvaluateOptions,
  FitOptions,
  Inputs,
  Monitor,
  ReportMonitor,
  TrainingCallbacks,
  TrainingReport,
} from './train/trainer';
export { LOSSES, LOSS_NAMES, resolveLoss } from './train/losses';
export type { LossFn, LossName } from './train/losses';
export { OPTIMIZER_NAMES, createOptimizer, setLearningRate } from './train/optimizers';
export type { OptimizerName } from './train/optimizers';
export { LrScheduler, checkLrSchedule } from './train/lr-schedule';
export type { LrSchedule } from './train/lr-schedule';
export { createProgress } from './train/progress';
export { TrainTickets } from './train/train-tickets';
export type { Progress } from './train/progress';

// Inference
export { predictBatched, warmUp } from './inference/predict';
export type { PredictOptions, PredictionArray } from './inference/predict';

// Model bundles
export { BUNDLE_FORMAT, BUNDLE_SCHEMA_VERSION, loadBundle, saveBundle } from './bundle/bundle';
export { networkSkeleton } from './bundle/rebuild-model';
export { MODEL_BUNDLE_FOLDER, notAFolderError } from './bundle/not-a-folder';
export type { FolderKind } from './bundle/not-a-folder';
export type { BundleManifest, JsonValue, LoadBundleOptions, LoadedBundle, SaveBundleInput } from './bundle/bundle';
export {
  MAX_LINK_HOPS,
  checkSaveTarget,
  linkTarget,
  makeDirs,
  replaceDirAtomic,
  waitForSave,
  writeDirAtomic,
  writeFileDurable,
} from './bundle/atomic-dir';
export { incompatibleIfNewer, isNewerVersion } from './bundle/newer-version';
export type { BundleVersions } from './bundle/newer-version';
export { anyValueFields, eachEntry, unknownBundleParts, unknownPartsError } from './bundle/unknown-parts';
export type { BundleParts, EachEntry, KnownBundleParts, KnownFields, KnownNames } from './bundle/unknown-parts';
export {
  PROGRESS_VALUES,
  checkIntegerOption,
  checkKnownKeys,
  checkNumberOption,
  checkOptionsObject,
  checkProgressOption,
  keepKnownKeys,
} from './option-checks';
export type { ReplaceDirOptions, SaveMarker, WaitForSaveOptions } from './bundle/atomic-dir';
export { bundleMarker, peekBundle } from './bundle/bundle-marker';
export type { BundleIdentity } from './bundle/bundle-marker';
export { MAX_MANIFEST_BYTES, readSmallTextFile } from './bundle/small-file';
export type { SmallTextRead } from './bundle/small-file';
export { ENGINE_VERSION } from './version';

// Metrics
export {
  accuracy,
  averagePrecision,
  balancedAccuracy,
  confusionMatrix,
  dice,
  explainedVariance,
  forecastAccuracy,
  iou,
  mae,
  mape,
  matthewsCorrcoef,
  meanDice,
  meanIou,
  mse,
  prCurve,
  precisionAtK,
  precisionRecallF1,
  r2,
  recallAtFpr,
  rmse,
  rocAuc,
  rocAucOvr,
  rocCurve,
} from './metrics/index';
export type {
  BalancedAccuracyOptions,
  MapeOptions,
  MaskArray,
  NumericArray,
  OverlapOptions,
  PrCurve,
  PrecisionRecallF1Average,
  PrecisionRecallF1Result,
  RegressionOptions,
  RocAucOvrOptions,
  RocCurve,
  RocCurveOptions,
} from './metrics/index';

// Datasets
export {
  CSV_DEFAULT_MISSING,
  NPY_DEFAULT_MAX_BYTES,
  NPY_DEFAULT_MAX_HEADER_BYTES,
  NPZ_DEFAULT_MAX_UNCOMPRESSED_BYTES,
  cacheDirFromEnv,
  chronologicalSplit,
  dataDirFromEnv,
  describeFileKind,
  downloadAllowedFromEnv,
  downloadFile,
  kFold,
  missingColumns,
  parseNpy,
  parseNpz,
  parseDateCell,
  parseNumberCell,
  readCsv,
  readCsvAll,
  csvRowLine,
  readNpy,
  readNpz,
  readNumericMatrix,
  resolveDataset,
  RESOLVE_DATASET_OPTION_NAMES,
  sha256File,
  shuffleIndices,
  statDirectory,
  statRegularFile,
  trainTestSplit,
  writeNpy,
} from './datasets/index';
export type {
  ChronologicalSplit,
  ChronologicalSplitOptions,
  CsvColumnType,
  CsvColumnTypes,
  CsvReadOptions,
  CsvRow,
  CsvSource,
  CsvValue,
  DatasetFile,
  DatasetSource,
  DatasetSpec,
  DownloadOptions,
  DownloadResult,
  KFoldOptions,
  Labels,
  MissingColumns,
  MissingColumnsOptions,
  NpyArray,
  NpyData,
  NpyDtype,
  NpyParseOptions,
  NpyWriteInput,
  NpyWriteOptions,
  NpzReadOptions,
  NumericMatrix,
  NumericMatrixOptions,
  ResolveDatasetOptions,
  ResolvedDataset,
  StatDirectoryOptions,
  StatRegularFileOptions,
  TrainTestSplit,
  TrainTestSplitOptions,
} from './datasets/index';

// Doctor
export { doctor, formatDoctor } from './doctor';
export type { DoctorReport } from './doctor';
