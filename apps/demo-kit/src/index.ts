// The demo services' one way to serve. Browser tests: '@appliedml/demo-kit/browser'.
export { createService, closeOnSignals, errorResponses, readErrorResponses, ERROR_BODY_ID } from './service';
export type { DemoServiceOptions, Service, ServiceLimits, ServiceOptions, SignalOptions } from './service';
export { toHttpError, NOT_FOUND_CODE, INTERNAL_MESSAGE } from './http-errors';
export type { ErrorBody, HttpError } from './http-errors';
export { checkFileName, fileNameSchema, resolveInside, MAX_FILE_NAME_LENGTH } from './file-names';
export type { ResolveInsideOptions } from './file-names';
export { loadingModel } from './loading-model';
export { createConcurrencyLimit } from './limiter';
export type { ConcurrencyLimit, ConcurrencyLimitOptions } from './limiter';
export { writeOutputFile } from './write-output';
export { checkInputFile } from './input-file';
export { intFlag, parseCliArgs } from './cli-args';
export type { LoadableModel, LoadingModel } from './loading-model';
export { createInferencePool, openInferencePool } from './pool';
export type { InferencePool, InferencePoolOptions, MicroBatchOptions, PoolStats } from './pool';
export type { InferenceModel, LoadModel } from './pool-protocol';
export { SOAK_BOUNDS, soak, soakViolations } from './soak';
export type { SoakBounds, SoakOptions, SoakResult } from './soak';
