/** Dataset layer: locate data, read NumPy/CSV files, and split it reproducibly. No tensors here. */
export {
  resolveDataset,
  RESOLVE_DATASET_OPTION_NAMES,
  dataDirFromEnv,
  cacheDirFromEnv,
  downloadAllowedFromEnv,
  type DatasetFile,
  type DatasetSpec,
  type DatasetSource,
  type ResolvedDataset,
  type ResolveDatasetOptions,
} from './resolver';
export { downloadFile, type DownloadOptions, type DownloadResult } from './download';
export { sha256File } from './checksum';
export { describeFileKind, statDirectory, statRegularFile, type StatDirectoryOptions, type StatRegularFileOptions } from './file-kind';
export {
  parseNpy,
  readNpy,
  writeNpy,
  NPY_DEFAULT_MAX_BYTES,
  NPY_DEFAULT_MAX_HEADER_BYTES,
  type NpyArray,
  type NpyData,
  type NpyDtype,
  type NpyParseOptions,
  type NpyWriteInput,
  type NpyWriteOptions,
} from './npy';
export { missingColumns, type MissingColumns, type MissingColumnsOptions } from './missing-columns';
export { parseNpz, readNpz, NPZ_DEFAULT_MAX_UNCOMPRESSED_BYTES, type NpzReadOptions } from './npz';
export {
  readCsv,
  readCsvAll,
  csvRowLine,
  readNumericMatrix,
  CSV_DEFAULT_MISSING,
  type CsvColumnType,
  type CsvColumnTypes,
  type CsvReadOptions,
  type CsvRow,
  type CsvSource,
  type CsvValue,
  type NumericMatrix,
  type NumericMatrixOptions,
} from './csv';
export { parseDateCell, parseNumberCell } from './csv-cells';
export {
  shuffleIndices,
  trainTestSplit,
  kFold,
  chronologicalSplit,
  type Labels,
  type TrainTestSplit,
  type TrainTestSplitOptions,
  type KFoldOptions,
  type ChronologicalSplit,
  type ChronologicalSplitOptions,
} from './split';
