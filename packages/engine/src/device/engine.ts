import * as tf from '@tensorflow/tfjs';
import { AppliedMLError } from '../errors';
import { checkOptionsObject } from '../option-checks';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { registerBackendFixes } from '../kernels/register';
import type { Device, DeviceInfo } from './device';
import { DEVICE_DESCRIPTIONS, checkDevice } from './device';
import type { DeviceLoaders } from './loaders';
import { defaultLoaders } from './loaders';
import { selectDevice } from './select-device';
import { enableWasmThreads, recordGlueListeners, removeGlueListeners, wasmThreadsInfo } from './wasm-threads';

export interface EngineOptions {
  /** 'auto' (default, or APPLIEDML_DEVICE) walks cuda → cpu → wasm → js. */
  device?: Device;
  logger?: Logger;
  /** For tests: replace how each device is loaded. */
  loaders?: DeviceLoaders;
  /**
   * Opt-in: run the wasm backend with this many XNNPACK threads (2 to the logical cores, at most 8;
   * also APPLIEDML_WASM_THREADS). It speeds up large-batch inference and can slow small-model
   * training (see docs/benchmarks/engine.md); it must be chosen before wasm first starts.
   */
  wasmThreads?: number;
}

let current: DeviceInfo | undefined;
let pending: Promise<DeviceInfo> | undefined;
let pendingDevice: string | undefined;
let announced = false;

function requestedThreads(options: EngineOptions): number | undefined {
  if (options.wasmThreads !== undefined) return options.wasmThreads;
  const env = process.env.APPLIEDML_WASM_THREADS;
  return env === undefined || env.trim() === '' ? undefined : Number(env);
}

function requestedDevice(options: EngineOptions): Device {
  if (options.device !== undefined) return options.device;
  const env = process.env.APPLIEDML_DEVICE?.trim();
  if (!env) return 'auto';
  checkDevice(env, 'APPLIEDML_DEVICE');
  return env;
}

/**
 * `auto` says once what it picked, to the first logger it is given: a call without one (or with the
 * silent logger, as an SDK passes when its user gave none) does not use the announcement up.
 */
function announce(info: DeviceInfo, requested: Device, options: EngineOptions): DeviceInfo {
  // Only a pick auto made: a device chosen explicitly earlier is not announced as auto's.
  if (requested === 'auto' && info.requested === 'auto' && !announced && options.logger && options.logger !== silentLogger) {
    announced = true;
    options.logger.info(`device: ${info.device} (${info.description})`);
  }
  return info;
}

async function initialise(options: EngineOptions): Promise<DeviceInfo> {
  const logger = options.logger ?? silentLogger;
  const requested = requestedDevice(options);
  // Library code is quiet: no tfjs banners ("install our node backend" and the like).
  tf.enableProdMode();
  const selection = await selectDevice(requested, options.loaders ?? defaultLoaders, logger);
  const threads = requestedThreads(options);
  // enableWasmThreads validates the count (E_INPUT_INVALID for 0, 1.5, 'abc' …); 1 means the default.
  if (selection.loaded.backend === 'wasm' && threads !== undefined && threads !== 1 && wasmThreadsInfo()?.threads !== threads) {
    await enableWasmThreads(threads);
  }
  // The wasm glue's process handlers would turn every later uncaught error of the application into exit
  // code 7 with the glue's source printed first: they are recorded while the module starts and removed.
  const recorder = selection.loaded.backend === 'wasm' ? recordGlueListeners() : undefined;
  let ok: boolean;
  try {
    ok = await tf.setBackend(selection.loaded.backend);
    if (ok) await tf.ready();
  } finally {
    recorder?.stop();
  }
  if (recorder) removeGlueListeners(recorder.glue);
  if (!ok) {
    throw new AppliedMLError('E_DEVICE_UNAVAILABLE', `The ${selection.loaded.backend} backend failed to initialise.`);
  }
  const fixes = registerBackendFixes(tf.getBackend());
  const details: Record<string, string | number | boolean> = {
    tfjs: tf.version_core,
    node: process.versions.node,
    ...selection.loaded.details,
  };
  if (selection.loaded.backend === 'wasm') {
    details.simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    details.threads = wasmThreadsInfo()?.threads ?? 1;
  }
  if (fixes.length > 0) details.kernelFixes = fixes.join(', ');
  const info: DeviceInfo = {
    requested,
    device: selection.device,
    backend: selection.loaded.backend,
    description: DEVICE_DESCRIPTIONS[selection.device],
    attempts: selection.attempts,
    details,
  };
  return info;
}

/**
 * Make the engine ready on a device. Safe to call many times: the first call picks the device,
 * later calls with the same request return the same info; a different explicit device switches.
 */
export async function initEngine(options: EngineOptions = {}): Promise<DeviceInfo> {
  checkOptionsObject('initEngine options', options);
  const requested = requestedDevice(options);
  const want = requestedThreads(options);
  if (
    current &&
    !options.loaders &&
    (requested === 'auto' || requested === current.device) &&
    tf.getBackend() === current.backend &&
    (want === undefined || current.backend !== 'wasm' || current.details.threads === Math.max(1, want))
  ) {
    return announce(current, requested, options);
  }
  if (pending && pendingDevice === requested && !options.loaders) return pending.then((info) => announce(info, requested, options));
  pendingDevice = requested;
  const started: Promise<DeviceInfo> = initialise(options)
    .then((info) => {
      current = info;
      return info;
    })
    .finally(() => {
      // A newer request for another device may have replaced this one meanwhile: leave its entry alone.
      if (pending === started) {
        pending = undefined;
        pendingDevice = undefined;
      }
    });
  pending = started;
  return started.then((info) => announce(info, requested, options));
}

/** What the engine runs on, or undefined before initEngine. */
export function engineInfo(): DeviceInfo | undefined {
  return current;
}

/** The one TensorFlow.js instance every appliedml package shares (for SDK internals, not users). */
export { tf };

/** The engine as one object: `engine.init(options)`, `engine.info()`. */
export const engine = {
  init: initEngine,
  info: engineInfo,
} as const;
