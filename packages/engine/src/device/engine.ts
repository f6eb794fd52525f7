import * as tf from '#tfjs';
import { AppliedMLError, describeValue } from '../errors';
import { checkKnownKeys } from '../option-checks';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { registerBackendFixes } from '../kernels/register';
import type { Device, DeviceInfo } from './device';
import { DEVICE_DESCRIPTIONS, checkDevice, isDevice } from './device';
import type { DeviceLoaders } from './loaders';
import { defaultLoaders } from './loaders';
import { selectDevice } from './select-device';
import type { BackendRejection, GlueWarnings } from './wasm-start';
import { captureBackendRejection, captureGlueWarnings, codeDirectory, provideGlueDirname, wasmStartError } from './wasm-start';
import {
  enableWasmThreads,
  guardWasmBackend,
  maxWasmThreads,
  recordGlueListeners,
  removeGlueListeners,
  wasmThreadsInfo,
} from './wasm-threads';

// Whatever first starts the wasm backend (initEngine, or a tf call made before it), the glue's rethrowing
// process listeners are kept off (see guardWasmBackend).
guardWasmBackend();

export interface EngineOptions {
  /** 'auto' (default, or APPLIEDML_DEVICE) walks cuda → cpu → wasm → js. */
  device?: Device;
  logger?: Logger;
  /** For tests: replace how each device is loaded. */
  loaders?: DeviceLoaders;
  /**
   * Opt-in: run the wasm backend with this many XNNPACK threads (2 to the logical cores, at most 8;
   * 1, the default, is one thread; also APPLIEDML_WASM_THREADS). It speeds up large-batch inference
   * and can slow small-model training (see docs/benchmarks/engine.md); it must be chosen before wasm
   * first starts. Checked whatever device runs (E_INPUT_INVALID). Threads belong to the wasm backend
   * only: more than 1 together with an explicit `device` that is not wasm ('cuda', 'cpu', 'js') is
   * E_INPUT_INVALID; when the device comes from `auto` or APPLIEDML_DEVICE (or the count from
   * APPLIEDML_WASM_THREADS) and is not wasm, the count is ignored and the logger told once.
   */
  wasmThreads?: number;
}

/** initEngine's option names, so a misspelt one (`wasmthreads`) is refused rather than ignored. */
const ENGINE_OPTION_KEYS = Object.keys({ device: 1, logger: 1, loaders: 1, wasmThreads: 1 } satisfies Record<keyof EngineOptions, 1>);

let current: DeviceInfo | undefined;
let pending: Promise<DeviceInfo> | undefined;
let pendingDevice: string | undefined;
let announced = false;
let threadsIgnoredTold = false;
/** Why the wasm backend failed to start in this process, if it did (see `initialise`). */
let wasmStartFailure: AppliedMLError | undefined;

/** A thread count asked for, and where it came from (for messages). */
interface ThreadsRequest {
  threads: number;
  source: 'wasmThreads' | 'APPLIEDML_WASM_THREADS';
}

/**
 * The wasm thread count asked for (the option, else APPLIEDML_WASM_THREADS), checked whatever device
 * will run: a whole number ≥ 1 (one thread, the default), else E_INPUT_INVALID naming where it came
 * from. A malformed count on a machine that happens to pick cuda today would otherwise surface only on
 * the machine that picks wasm. Whether this machine has that many cores is checked only when wasm
 * starts (`checkThreadsFitMachine`): a count meant for a larger machine, or for another program, is no
 * error where wasm does not run.
 */
function requestedThreads(options: EngineOptions): ThreadsRequest | undefined {
  let request: { value: unknown; source: ThreadsRequest['source']; shown: string };
  if (options.wasmThreads !== undefined)
    request = { value: options.wasmThreads, source: 'wasmThreads', shown: describeValue(options.wasmThreads) };
  else {
    const env = process.env.APPLIEDML_WASM_THREADS;
    if (env === undefined || env.trim() === '') return undefined;
    request = { value: Number(env), source: 'APPLIEDML_WASM_THREADS', shown: describeValue(env) };
  }
  const { value, source, shown } = request;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    const max = maxWasmThreads();
    throw new AppliedMLError('E_INPUT_INVALID', `${source} must be an integer from 1 (one thread, the default) to ${max} (got ${shown}).`, {
      details: { field: source, min: 1, max },
    });
  }
  return { threads: value, source };
}

/** When wasm starts: at most `maxWasmThreads()` threads here, else E_INPUT_INVALID naming where the count came from. */
function checkThreadsFitMachine(request: ThreadsRequest | undefined): void {
  const max = maxWasmThreads();
  if (request === undefined || request.threads <= max) return;
  throw new AppliedMLError(
    'E_INPUT_INVALID',
    `${request.source} must be an integer from 1 (one thread, the default) to ${max} on this machine (its logical cores, at most 8; got ${request.threads}).`,
    {
      details: { field: request.source, min: 1, max },
    },
  );
}

/**
 * Threads on a device that is not wasm. Asked for in the same call as an explicit non-wasm device
 * (both options given together contradict each other): E_INPUT_INVALID before anything is loaded.
 */
function checkThreadsFitDevice(options: EngineOptions, threads: ThreadsRequest | undefined): void {
  const device = options.device;
  if (threads === undefined || threads.threads <= 1 || threads.source !== 'wasmThreads') return;
  // An unknown device is selectDevice's E_DEVICE_INVALID.
  if (!isDevice(device) || device === 'auto' || device === 'wasm') return;
  throw new AppliedMLError(
    'E_INPUT_INVALID',
    `wasmThreads (${threads.threads}) applies to the wasm device only, but device '${device}' was asked for. ` +
      `Leave wasmThreads out, or ask for device 'wasm' (or 'auto', which uses the threads when it picks wasm).`,
    { details: { field: 'wasmThreads', device, threads: threads.threads } },
  );
}

/**
 * Threads asked for where the engine does not run wasm (`auto`'s pick, APPLIEDML_DEVICE, or an
 * APPLIEDML_WASM_THREADS meant for another program): ignored, and said once, like `auto`'s pick, to
 * the first logger given that is not the silent one.
 */
function tellThreadsIgnored(info: DeviceInfo, threads: ThreadsRequest | undefined, options: EngineOptions): void {
  if (threads === undefined || threads.threads <= 1 || info.backend === 'wasm') return;
  if (threadsIgnoredTold || !options.logger || options.logger === silentLogger) return;
  threadsIgnoredTold = true;
  const setting = threads.source === 'wasmThreads' ? `wasmThreads ${threads.threads}` : `APPLIEDML_WASM_THREADS=${threads.threads}`;
  const chosen = info.requested === 'auto' ? `'auto' picked ${info.device}` : `device '${info.device}' was asked for`;
  options.logger.warn(`${setting} is ignored: ${chosen}, and threads apply to the wasm device only.`, {
    device: info.device,
    wasmThreads: threads.threads,
  });
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

/**
 * Start the device initEngine worked out (`requested`, with the thread count it checked: a whole
 * number ≥ 1, 1 meaning the default). The machine's cores bound the count on wasm only, checked here
 * once auto has picked (initEngine checked an explicit wasm before anything loaded).
 */
async function initialise(options: EngineOptions, requested: Device, request: ThreadsRequest | undefined): Promise<DeviceInfo> {
  const logger = options.logger ?? silentLogger;
  // Library code is quiet: no tfjs banners ("install our node backend" and the like).
  tf.enableProdMode();
  let selection = await selectDevice(requested, options.loaders ?? defaultLoaders, logger);
  if (selection.loaded.backend === 'wasm' && requested !== 'wasm') checkThreadsFitMachine(request);
  const threads = request?.threads;
  const wasm = selection.loaded.backend === 'wasm';
  // In an ES module bundle the wasm glue has no __dirname to find its folder by: it gets the bundle's
  // folder for the start (the glue's own __dirname hides it where the glue runs as CommonJS).
  const removeDirname = wasm ? provideGlueDirname(codeDirectory()) : undefined;
  let ok = false;
  let rejection: BackendRejection | undefined;
  let glue: GlueWarnings | undefined;
  // tfjs-backend-wasm never settles a second start once one has aborted: a failure is kept and given again.
  const retry = wasm ? wasmStartFailure : undefined;
  try {
    if (wasm && threads !== undefined && threads !== 1 && wasmThreadsInfo()?.threads !== threads) {
      await enableWasmThreads(threads);
    }
    // The wasm glue's process handlers would turn every later uncaught error of the application into exit
    // code 7 with the glue's source printed first: they are recorded while the module starts and removed.
    const recorder = wasm && !retry ? recordGlueListeners() : undefined;
    // What the glue prints while it starts (a .wasm file it cannot find) is the main trace of why it
    // failed; what the start rejected with is the other (tfjs drops it in prod mode).
    glue = wasm && !retry ? captureGlueWarnings() : undefined;
    rejection = wasm && !retry ? captureBackendRejection('wasm') : undefined;
    try {
      if (!retry) ok = await tf.setBackend(selection.loaded.backend);
      if (ok) await tf.ready();
    } finally {
      recorder?.stop();
      glue?.stop();
      rejection?.stop();
    }
    if (recorder) removeGlueListeners(recorder.glue);
  } finally {
    removeDirname?.();
  }
  if (glue && ok) glue.lines.forEach((line) => logger.debug(`wasm: ${line}`));
  if (!ok && (glue || retry)) {
    const error = retry ?? wasmStartError(glue?.lines ?? [], rejection?.error());
    wasmStartFailure = error;
    // Explicit 'wasm' (or APPLIEDML_DEVICE=wasm) is refused; 'auto' falls on to js, the last in its chain, and says so.
    if (requested !== 'auto') throw error;
    logger.warn(`${error.message} Falling back to the js device (slower).`, error.details);
    ok = await tf.setBackend('cpu');
    const failed = { device: 'wasm' as const, ok: false, reason: error.message };
    selection = {
      ...selection,
      device: 'js',
      loaded: { backend: 'cpu' },
      attempts: [
        ...selection.attempts.filter((a) => a.device !== 'wasm'),
        failed,
        { device: 'js', ok: true, reason: 'selected (cpu backend)' },
      ],
    };
  }
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
  // Refuses null and non-objects too ('initEngine options must be an object of options').
  checkKnownKeys('initEngine options', options, ENGINE_OPTION_KEYS);
  const requested = requestedDevice(options);
  const threads = requestedThreads(options);
  checkThreadsFitDevice(options, threads);
  // wasm asked for by name: the cores are checked before anything loads (auto's pick, once it is made).
  if (requested === 'wasm') checkThreadsFitMachine(threads);
  const want = threads?.threads;
  const settle = (info: DeviceInfo): DeviceInfo => {
    announce(info, requested, options);
    tellThreadsIgnored(info, threads, options);
    return info;
  };
  if (
    current &&
    !options.loaders &&
    (requested === 'auto' || requested === current.device) &&
    tf.getBackend() === current.backend &&
    (want === undefined || current.backend !== 'wasm' || current.details.threads === want)
  ) {
    return settle(current);
  }
  if (pending && pendingDevice === requested && !options.loaders) return pending.then(settle);
  pendingDevice = requested;
  const started: Promise<DeviceInfo> = initialise(options, requested, threads)
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
  return started.then(settle);
}

/** What the engine runs on, or undefined before initEngine. */
export function engineInfo(): DeviceInfo | undefined {
  return current;
}

/**
 * The one TensorFlow.js instance every appliedml package shares (for SDK internals, not users).
 *
 * Call `await initEngine()` before using it. Before that no backend is set, and tfjs picks: the first `tf`
 * call that needs one (`tf.memory()`, `tf.tensor(…)` …) makes tfjs start its highest-priority backend (wasm
 * here) in the background and throw its own untyped Error ("The highest priority backend 'wasm' has not
 * yet been initialized. Make sure to await tf.ready() or await tf.setBackend() …"); `tf` calls keep
 * failing until a backend is set, which `initEngine()` does (taking over that start when it picks wasm).
 * However wasm starts, the glue's process listeners are kept off (`guardWasmBackend`), so an uncaught
 * error of the application still ends the process as Node's default does: exit code 1 and its own stack.
 */
export { tf };

/** The engine as one object: `engine.init(options)`, `engine.info()`. */
export const engine = {
  init: initEngine,
  info: engineInfo,
} as const;
