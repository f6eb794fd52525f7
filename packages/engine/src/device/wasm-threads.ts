import { Buffer } from 'node:buffer';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import * as tf from '#tfjs';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { AppliedMLError, describeValue } from '../errors';
import { checkKnownKeys, checkNumberOption } from '../option-checks';

/**
 * Opt-in multi-threaded WebAssembly in Node.
 *
 * tfjs-backend-wasm 4.22 ships a threaded SIMD build but never uses it in Node (its feature test
 * returns false there on purpose): the backend hands Emscripten `blob:` URLs, which Node workers
 * cannot load, and backend.cc caps the XNNPACK pool at half the logical cores.
 * `enableWasmThreads(n)` works around both for the duration of ONE backend start:
 *
 *  1. `Blob` becomes a subclass that remembers its parts, and `URL.createObjectURL` writes those
 *     parts (the pthread worker script) to a temporary file and returns its path;
 *  2. `Worker.prototype.postMessage` rewrites each worker's `load` message to name the real
 *     `wasm-out/tfjs-backend-wasm-threaded-simd.js` instead of a Blob the worker cannot import;
 *  3. `os.cpus()` reports at least 2×n entries, so the pool may have n threads;
 *  4. the global `Worker` that Emscripten's glue defines becomes a subclass that records every worker
 *     it makes, so a failed start can end them all;
 *  5. `WASM_HAS_MULTITHREAD_SUPPORT` is set and `setThreadsCount(n)` called.
 *
 * Then `tf.setBackend('wasm')` runs. Emscripten loads its whole worker pool before the backend
 * resolves, so patches 1–4 (and the global `Worker` Emscripten defines) are undone right after, and
 * the temporary script deleted. `getThreadsCount()` must then equal n; otherwise, or when a worker
 * fails to load or the start times out, everything is torn down and `E_DEVICE_UNAVAILABLE` thrown:
 * every worker of the pool is terminated, and the temporary script deleted once they have exited (a
 * worker still loading it would fail, and the glue rethrows that on the main thread, ending the
 * process). The wasm backend can then start single-threaded (`tf.setBackend('wasm')`, `initEngine()`).
 *
 * Rules:
 *  - Call it BEFORE anything initialises the wasm backend. If wasm is already initialised
 *    (single-threaded, or threaded with another count) it refuses with `E_DEVICE_UNAVAILABLE`
 *    rather than drop the live backend and every tensor and model on it.
 *  - It leaves wasm as the ACTIVE tfjs backend (like `tf.setBackend('wasm')`); a following
 *    `tf.setBackend('wasm')` is a no-op.
 *  - `disableWasmThreads()` removes the threaded backend (terminating its workers), registers the
 *    stock single-threaded wasm factory again and resets the flags. No tfjs backend is active after.
 *  - The XNNPACK worker threads are unref'd by default, so they do not keep the process alive;
 *    with `keepProcessAlive: true` (Emscripten's default) the process only exits after
 *    `disableWasmThreads()` or `process.exit()`. The idle workers of Emscripten's preloaded pool
 *    (8, whatever n) are terminated after the start unless `keepIdleWorkers: true`.
 */

const BACKEND = 'wasm';
const THREADS_FLAG = 'WASM_HAS_MULTITHREAD_SUPPORT';
const MAIN_SCRIPT = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
/** tfjs-backend-wasm 4.22's Emscripten build preloads 8 workers, and asking for more gives 8. */
const MAX_POOL_THREADS = 8;
const WASM_PRIORITY = 2;
const TEMP_PREFIX = 'appliedml-wasm-threads-';
const DEFAULT_INIT_TIMEOUT_MS = 30_000;

export interface WasmThreadsOptions {
  /** Parent directory for the short-lived worker script (default `os.tmpdir()`). */
  tempDir?: string;
  /**
   * Keep the process alive while the worker threads live, as Emscripten does by default
   * (default false: the threads are unref'd and the process may exit without `disableWasmThreads()`).
   */
  keepProcessAlive?: boolean;
  /**
   * Keep Emscripten's idle pool workers (it preloads 8 whatever the thread count; XNNPACK never uses
   * the spare ones). Default false: they are terminated after the start, saving ~90 MB of RSS.
   */
  keepIdleWorkers?: boolean;
  /**
   * Give up (E_DEVICE_UNAVAILABLE) when the threaded backend has not started by then (default 30 s; at
   * most 2^31 − 1 ms, about 24.8 days, the longest timer Node keeps). The start's workers are ended
   * and the process goes on; the wasm backend can then start single-threaded.
   */
  initTimeoutMs?: number;
  /** For tests: the glue script the workers import instead of the package's threaded one. */
  mainScript?: string;
}

export interface WasmThreadsInfo {
  /** Threads the XNNPACK pool runs with (`getThreadsCount()` after start). */
  threads: number;
  /** How long the threaded backend took to start, in milliseconds. */
  initMs: number;
  /** Where the worker script was written (already deleted once the workers had loaded it). */
  tempDir: string;
  keepProcessAlive: boolean;
}

interface PThreadLike {
  runningWorkers: Worker[];
  unusedWorkers: Worker[];
}

type BackendFactory = () => tf.KernelBackend | Promise<tf.KernelBackend>;
type ProcessEvent = 'uncaughtException' | 'unhandledRejection';
type Listener = (...args: unknown[]) => void;
export type ListenerSnapshot = Record<ProcessEvent, Listener[]>;
type WorkerWithHandlers = Worker & { onerror?: (error: unknown) => void; loaded?: boolean };

interface ActiveThreads {
  info: WasmThreadsInfo;
  backend: tf.KernelBackend;
  stockFactory: BackendFactory;
  priority: number;
  restoreFlags: () => void;
  /** The process listeners Emscripten's glue added while the backend started. */
  glueListeners: ListenerSnapshot;
}

let active: ActiveThreads | undefined;
let busy: Promise<unknown> = Promise.resolve();
/** Temporary directories not deleted at start (normally none); removed by `disableWasmThreads()`. */
const tempDirs = new Set<string>();

/** Logical cores this process may use. */
function logicalCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** The most threads `enableWasmThreads` accepts here: the logical cores, at most 8. */
export function maxWasmThreads(): number {
  return Math.min(logicalCores(), MAX_POOL_THREADS);
}

/** What the threaded wasm backend runs with, or undefined when it is not enabled. */
export function wasmThreadsInfo(): WasmThreadsInfo | undefined {
  return active ? { ...active.info } : undefined;
}

/** Run `task` after every earlier enable/disable call has settled. */
function serialised<T>(task: () => Promise<T>): Promise<T> {
  const run = busy.then(task, task);
  busy = run.catch(() => undefined);
  return run;
}

function validateThreads(threads: number): void {
  const max = maxWasmThreads();
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 2 || threads > max) {
    const range = max >= 2 ? `an integer from 2 to ${max}` : 'at least 2, but this machine has a single core';
    // describeValue, not String(): a count whose toString throws (or that has none) must not make this throw untyped.
    throw new AppliedMLError('E_INPUT_INVALID', `wasm threads must be ${range} (got ${describeValue(threads)}).`, {
      details: { threads: typeof threads === 'number' ? threads : describeValue(threads), min: 2, max, logicalCores: logicalCores() },
    });
  }
}

const OPTION_KEYS = Object.keys({
  tempDir: 1,
  keepProcessAlive: 1,
  keepIdleWorkers: 1,
  initTimeoutMs: 1,
  mainScript: 1,
} satisfies Record<keyof WasmThreadsOptions, 1>);
/** Node runs a longer timer after 1 ms (with a TimeoutOverflowWarning): the start would "time out" at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The options of enableWasmThreads: an object (a null one failed as a TypeError) of known names and types. */
function validateOptions(options: WasmThreadsOptions): void {
  checkKnownKeys('enableWasmThreads options', options, OPTION_KEYS);
  checkNumberOption('initTimeoutMs', options.initTimeoutMs, 0, MAX_TIMER_MS, { open: 'min' });
  for (const field of ['tempDir', 'mainScript'] as const) {
    const value = options[field];
    if (value !== undefined && (typeof value !== 'string' || value === ''))
      throw new AppliedMLError('E_INPUT_INVALID', `${field} must be a folder or file path (got ${describeValue(value)}).`, {
        details: { field },
      });
  }
  for (const field of ['keepProcessAlive', 'keepIdleWorkers'] as const) {
    const value = options[field];
    if (value !== undefined && typeof value !== 'boolean')
      throw new AppliedMLError('E_INPUT_INVALID', `${field} must be true or false (got ${describeValue(value)}).`, {
        details: { field },
      });
  }
}

/** The tfjs engine fields this module reads (public at runtime, partly private in the typings). */
function engineInternals(): {
  registry: Record<string, tf.KernelBackend | undefined>;
  registryFactory: Record<string, { priority: number } | undefined>;
  backendName: string | null;
  pendingBackendInit?: unknown;
} {
  return tf.engine() as unknown as ReturnType<typeof engineInternals>;
}

function wasmIsInitialised(): boolean {
  const engine = engineInternals();
  return engine.registry[BACKEND] != null || (engine.backendName === BACKEND && engine.pendingBackendInit != null);
}

function resolveMainScript(override: string | undefined): string {
  let file: string | undefined = override;
  if (file === undefined) {
    try {
      file = createRequire(import.meta.url).resolve(MAIN_SCRIPT);
    } catch {
      file = undefined;
    }
  }
  if (file !== undefined && existsSync(file)) return file;
  throw new AppliedMLError(
    'E_DEVICE_UNAVAILABLE',
    `wasm threads need ${override ?? MAIN_SCRIPT}, which is missing; reinstall @tensorflow/tfjs-backend-wasm.`,
  );
}

/** Set the threads flag and count; the returned function puts both back. */
function setThreadFlags(threads: number): () => void {
  const flags = tf.env().getFlags() as Record<string, unknown>;
  const hadFlag = Object.prototype.hasOwnProperty.call(flags, THREADS_FLAG);
  const previous = flags[THREADS_FLAG];
  tf.env().set(THREADS_FLAG, true);
  setThreadsCount(threads);
  return () => {
    // Unset rather than set false, so tfjs evaluates the flag again (false in Node) on the next start.
    if (hadFlag) tf.env().set(THREADS_FLAG, previous as boolean);
    else delete (tf.env().getFlags() as Record<string, unknown>)[THREADS_FLAG];
    setThreadsCount(-1);
  };
}

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

function listenersOf(event: ProcessEvent): Listener[] {
  return (event === 'uncaughtException' ? process.listeners(event) : process.listeners(event)) as Listener[];
}

function snapshotListeners(): ListenerSnapshot {
  return { uncaughtException: listenersOf('uncaughtException'), unhandledRejection: listenersOf('unhandledRejection') };
}

function addListener(event: ProcessEvent, listener: Listener): void {
  if (event === 'uncaughtException') process.on(event, listener as NodeJS.UncaughtExceptionListener);
  else process.on(event, listener as NodeJS.UnhandledRejectionListener);
}

function removeListener(event: ProcessEvent, listener: Listener): void {
  if (event === 'uncaughtException') process.off(event, listener as NodeJS.UncaughtExceptionListener);
  else process.off(event, listener as NodeJS.UnhandledRejectionListener);
}

/** The wasm glue's own file, as it appears in the stack of a call it makes. */
const GLUE_FILE = /tfjs-backend-wasm/;

export interface GlueListenerRecorder {
  /** The listeners the glue added while recording. */
  readonly glue: ListenerSnapshot;
  /** Stops recording (idempotent). */
  stop(): void;
}

export interface GlueListenerOptions {
  /**
   * Keep the glue's listeners off the process altogether (recorded, never added), so that an error of the
   * application while the module starts is not rethrown by them either (default false: added, for
   * `removeGlueListeners` to take off).
   */
  drop?: boolean;
}

/**
 * Records the `uncaughtException` / `unhandledRejection` listeners that Emscripten's glue adds while the
 * wasm module starts (told apart from the application's own by the glue's file in the caller's stack),
 * until `stop`. The glue's handlers rethrow, so any later uncaught error in the application exits with
 * code 7 and prints the minified glue (~39 KB) before the message; `removeGlueListeners` takes them away
 * (or `drop` keeps them off).
 */
export function recordGlueListeners(options: GlueListenerOptions = {}): GlueListenerRecorder {
  const glue: ListenerSnapshot = { uncaughtException: [], unhandledRejection: [] };
  const target = process as unknown as Record<'on' | 'addListener', (event: string | symbol, listener: Listener) => NodeJS.Process>;
  const originals = { on: target.on, addListener: target.addListener };
  const patched = { on: originals.on, addListener: originals.addListener };
  let stopped = false;
  for (const name of ['on', 'addListener'] as const) {
    const original = originals[name];
    patched[name] = function (this: NodeJS.Process, event: string | symbol, listener: Listener) {
      if (!stopped && (event === 'uncaughtException' || event === 'unhandledRejection') && GLUE_FILE.test(new Error().stack ?? '')) {
        glue[event].push(listener);
        if (options.drop === true) return this;
      }
      return original.call(this, event, listener);
    };
    target[name] = patched[name];
  }
  return {
    glue,
    stop() {
      if (stopped) return;
      stopped = true;
      // Put back only what is still ours: a recorder started meanwhile (the backend factory's, inside an
      // initEngine start) restores ours when it stops, and ours then only passes calls on.
      if (target.on === patched.on) target.on = originals.on;
      if (target.addListener === patched.addListener) target.addListener = originals.addListener;
    },
  };
}

/** Factories `guardWasmBackend` made, so that one is never wrapped again. */
const guardedFactories = new WeakSet<BackendFactory>();

/**
 * Wraps the registered wasm backend factory so that, however the backend first starts (`initEngine`,
 * `tf.setBackend('wasm')`, `tf.ready()`, or the first `tf` call that needs a backend, such as
 * `tf.memory()`), Emscripten's glue never leaves its rethrowing process listeners behind: they are kept
 * off the process while the factory runs (`recordGlueListeners` with `drop`). Before, only initEngine
 * removed them, and a `tf.memory()` before it turned every later uncaught error of the application into
 * exit code 7 with 39 KB of minified glue printed. The engine calls it once when it loads; it does
 * nothing when wasm is not registered, is already started or starting, or is already guarded.
 */
export function guardWasmBackend(): void {
  const factory = tf.findBackendFactory(BACKEND) as BackendFactory | null;
  if (factory == null || guardedFactories.has(factory) || wasmIsInitialised()) return;
  const priority = engineInternals().registryFactory[BACKEND]?.priority ?? WASM_PRIORITY;
  const guarded: BackendFactory = () => {
    const recorder = recordGlueListeners({ drop: true });
    let made: ReturnType<BackendFactory>;
    try {
      made = factory();
    } catch (error) {
      recorder.stop();
      throw error;
    }
    if (!(made instanceof Promise)) {
      recorder.stop();
      return made;
    }
    return made.finally(() => recorder.stop());
  };
  guardedFactories.add(guarded);
  tf.removeBackend(BACKEND);
  tf.registerBackend(BACKEND, guarded, priority);
}

/** Takes the glue's listeners (recorded by `recordGlueListeners`) off the process; the others stay. */
export function removeGlueListeners(glue: ListenerSnapshot): void {
  for (const event of PROCESS_EVENTS) for (const listener of glue[event]) removeListener(event, listener);
}

/**
 * Make the process listeners `wanted` again: drop the others, add the missing ones.
 *
 * Needed because tfjs-backend-wasm 4.22's module dispose means to remove only the two listeners
 * Emscripten's glue added, but its filter (`!list.indexOf(l) > -1`) is always true: it removes EVERY
 * uncaughtException/unhandledRejection listener, the application's (and Vitest's) included.
 */
function setListeners(wanted: ListenerSnapshot): void {
  for (const event of PROCESS_EVENTS) {
    const now = listenersOf(event);
    for (const listener of now) if (!wanted[event].includes(listener)) removeListener(event, listener);
    for (const listener of wanted[event]) if (!now.includes(listener)) addListener(event, listener);
  }
}

const FALLBACK_CPU: os.CpuInfo = { model: 'unknown', speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } };

interface Patches {
  tempDir: string;
  /** Workers that were sent a `load` message while the patches were on. */
  workers: Set<WorkerWithHandlers>;
  /** Every worker the glue made while the patches were on (those not yet sent `load` included). */
  created: Set<WorkerWithHandlers>;
  /** Undo the process-wide patches. */
  restore: () => void;
  /** Give the workers Emscripten's error handler back (it throws on the main thread). */
  restoreWorkerErrorHandlers: () => void;
}

/**
 * Apply the process-wide patches needed while the threaded backend starts. A worker that fails
 * while loading is reported to `onWorkerError` instead of Emscripten's handler, which would throw
 * on the main thread (crashing the process) and leave the start pending for ever.
 */
function installPatches(threads: number, mainScript: string, parentDir: string, onWorkerError: (error: unknown) => void): Patches {
  let tempDir: string;
  try {
    tempDir = mkdtempSync(path.join(parentDir, TEMP_PREFIX));
  } catch (error) {
    throw new AppliedMLError('E_IO', `Cannot create a temporary directory for the wasm worker script in ${parentDir}.`, {
      cause: error,
    });
  }
  const written = new Map<string, string>();
  const workers = new Set<WorkerWithHandlers>();
  const glueErrorHandlers = new Map<WorkerWithHandlers, ((error: unknown) => void) | undefined>();
  const g = globalThis as unknown as Record<string, unknown>;

  const OriginalBlob = globalThis.Blob;
  const originalCreateObjectURL = URL.createObjectURL;
  const originalPostMessage = Worker.prototype.postMessage;
  const osMutable = os as unknown as { cpus: () => os.CpuInfo[] };
  const originalCpus = osMutable.cpus;
  const workerDescriptor = Object.getOwnPropertyDescriptor(globalThis, 'Worker');

  type BlobParts = ConstructorParameters<typeof Blob>[0];
  class RecordingBlob extends OriginalBlob {
    readonly recordedParts: readonly unknown[];
    constructor(parts: BlobParts = [], options?: ConstructorParameters<typeof Blob>[1]) {
      super(parts, options);
      this.recordedParts = Array.from(parts as Iterable<unknown>);
    }
    /** The bytes, synchronously (a Blob only gives them asynchronously); undefined for unknown parts. */
    recordedBytes(): Buffer | undefined {
      const chunks: Buffer[] = [];
      for (const part of this.recordedParts) {
        if (typeof part === 'string') chunks.push(Buffer.from(part, 'utf8'));
        else if (part instanceof ArrayBuffer) chunks.push(Buffer.from(part));
        else if (ArrayBuffer.isView(part)) chunks.push(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
        else if (part instanceof RecordingBlob) {
          const inner = part.recordedBytes();
          if (!inner) return undefined;
          chunks.push(inner);
        } else return undefined;
      }
      return Buffer.concat(chunks);
    }
  }

  // 1. Blob remembers its parts; createObjectURL returns the path of a file with those bytes.
  const createObjectURL = function createObjectURL(object: Blob): string {
    const bytes = object instanceof RecordingBlob ? object.recordedBytes() : undefined;
    if (!bytes) return originalCreateObjectURL.call(URL, object);
    const key = bytes.toString('latin1');
    let file = written.get(key);
    if (!file) {
      file = path.join(tempDir, `worker-${written.size}.js`);
      writeFileSync(file, bytes);
      written.set(key, file);
    }
    return file;
  } as typeof URL.createObjectURL;
  g.Blob = RecordingBlob;
  URL.createObjectURL = createObjectURL;

  // 2. Each worker's `load` message names the real threaded glue script, not a Blob.
  const postMessage = function postMessage(
    this: WorkerWithHandlers,
    value: unknown,
    transferList?: Parameters<Worker['postMessage']>[1],
  ): void {
    const message = value as { cmd?: unknown; urlOrBlob?: unknown } | null;
    if (message && typeof message === 'object' && message.cmd === 'load' && message.urlOrBlob instanceof RecordingBlob) {
      value = { ...message, urlOrBlob: mainScript };
      workers.add(this);
      // Emscripten routes the worker's 'error' event to `worker.onerror`, set just before this message.
      glueErrorHandlers.set(this, this.onerror);
      this.onerror = onWorkerError;
    }
    originalPostMessage.call(this, value, transferList);
  };
  Worker.prototype.postMessage = postMessage;

  // 3. backend.cc caps the pool at emscripten_num_logical_cores() / 2: report 2×threads cores.
  const cpus = function cpus(): os.CpuInfo[] {
    const real = originalCpus.call(os);
    const fill = real[0] ?? FALLBACK_CPU;
    return Array.from({ length: Math.max(real.length, 2 * threads) }, (_, i) => real[i] ?? fill);
  };
  osMutable.cpus = cpus;

  // 4. Every worker the glue makes is recorded, so a failed or timed-out start can end them all: until
  //    the wasm is compiled and their `load` message sent, the workers are only in the glue's pool. The
  //    glue makes them with the global `Worker`, which it sets itself (Node has none): the setter gives it
  //    a subclass that records each instance.
  const created = new Set<WorkerWithHandlers>();
  const recordingClasses = new Map<unknown, unknown>();
  const recording = (base: unknown): unknown => {
    if (typeof base !== 'function') return base;
    let recorder = recordingClasses.get(base);
    if (!recorder) {
      recorder = class RecordedWorker extends (base as typeof Worker) {
        constructor(...args: ConstructorParameters<typeof Worker>) {
          super(...args);
          created.add(this);
        }
      };
      recordingClasses.set(base, recorder);
    }
    return recorder;
  };
  let exposedWorker = recording(g.Worker);
  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    enumerable: workerDescriptor?.enumerable ?? true,
    get: () => exposedWorker,
    set: (value: unknown) => {
      exposedWorker = recording(value);
    },
  });

  const restore = (): void => {
    if (g.Blob === RecordingBlob) g.Blob = OriginalBlob;
    if (URL.createObjectURL === createObjectURL) URL.createObjectURL = originalCreateObjectURL;
    if (Worker.prototype.postMessage === postMessage) Worker.prototype.postMessage = originalPostMessage;
    if (osMutable.cpus === cpus) osMutable.cpus = originalCpus;
    // Emscripten's Node glue defines a global `Worker`; Node itself has none.
    if (workerDescriptor) Object.defineProperty(globalThis, 'Worker', workerDescriptor);
    else delete g.Worker;
  };
  const restoreWorkerErrorHandlers = (): void => {
    for (const [worker, handler] of glueErrorHandlers) worker.onerror = handler;
  };
  return { tempDir, workers, created, restore, restoreWorkerErrorHandlers };
}

function describeFailure(failure: unknown): string {
  if (failure === undefined) return '';
  const message = (failure as { message?: unknown } | null)?.message;
  return `: ${typeof message === 'string' ? message : String(failure)}`;
}

function pthreads(backend: tf.KernelBackend | undefined): PThreadLike | undefined {
  return (backend as unknown as { wasm?: { PThread?: PThreadLike } | null } | undefined)?.wasm?.PThread ?? undefined;
}

/** Remove whatever wasm backend is registered and register the stock (single-threaded) factory. */
function reinstateStockBackend(stockFactory: BackendFactory, priority: number): void {
  try {
    if (engineInternals().registryFactory[BACKEND] != null) tf.removeBackend(BACKEND);
  } finally {
    if (tf.findBackendFactory(BACKEND) == null) tf.registerBackend(BACKEND, stockFactory, priority);
  }
}

/** Forget a threaded backend that someone removed with `tf.removeBackend('wasm')` behind our back. */
function forgetIfRemoved(): void {
  const state = active;
  if (!state || engineInternals().registry[BACKEND] === state.backend) return;
  active = undefined;
  state.restoreFlags();
  if (tf.findBackendFactory(BACKEND) == null) tf.registerBackend(BACKEND, state.stockFactory, state.priority);
}

async function enable(threads: number, options: WasmThreadsOptions): Promise<WasmThreadsInfo> {
  forgetIfRemoved();
  if (active) {
    if (active.info.threads === threads) {
      if (tf.getBackend() !== BACKEND) await tf.setBackend(BACKEND);
      return { ...active.info };
    }
    throw new AppliedMLError(
      'E_DEVICE_UNAVAILABLE',
      `The wasm backend already runs with ${active.info.threads} threads; call disableWasmThreads() before asking for ${threads}.`,
      { details: { threads, current: active.info.threads } },
    );
  }
  if (wasmIsInitialised()) {
    throw new AppliedMLError(
      'E_DEVICE_UNAVAILABLE',
      'The wasm backend is already initialised single-threaded in this process; enable wasm threads before anything ' +
        'uses the wasm backend (with the first initEngine call), or restart the process.',
      { details: { threads } },
    );
  }
  const stockFactory = tf.findBackendFactory(BACKEND) as BackendFactory | null;
  if (stockFactory == null) throw new AppliedMLError('E_DEVICE_UNAVAILABLE', '@tensorflow/tfjs-backend-wasm is not registered.');
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new AppliedMLError('E_DEVICE_UNAVAILABLE', 'wasm threads need SharedArrayBuffer, which this runtime does not provide.');
  }
  // Checked in enableWasmThreads, before anything starts.
  const timeoutMs = options.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS;
  const priority = engineInternals().registryFactory[BACKEND]?.priority ?? WASM_PRIORITY;
  const mainScript = resolveMainScript(options.mainScript);
  const previousBackend = tf.getBackend() as string | null | undefined;
  const listenersBefore = snapshotListeners();
  const recorder = recordGlueListeners();
  const keepProcessAlive = options.keepProcessAlive === true;

  let failure: unknown;
  let settleFailure: (value: false) => void = () => undefined;
  const failed = new Promise<false>((resolve) => {
    settleFailure = resolve;
  });
  const fail = (reason: unknown): void => {
    failure ??= reason;
    settleFailure(false);
  };

  const patches = installPatches(threads, mainScript, options.tempDir ?? os.tmpdir(), (error) => fail(error));
  // tfjs turns a failing backend factory into a bare `false`: wrap it to keep the reason.
  tf.removeBackend(BACKEND);
  tf.registerBackend(
    BACKEND,
    async () => {
      try {
        return await stockFactory();
      } catch (error) {
        fail(error);
        throw error;
      }
    },
    priority,
  );
  const restoreFlags = setThreadFlags(threads);
  const started = performance.now();
  const timer = setTimeout(() => fail(`no start within ${timeoutMs} ms`), timeoutMs);
  let ok = false;
  try {
    const setting = tf.setBackend(BACKEND).catch((error: unknown) => {
      fail(error);
      return false;
    });
    ok = await Promise.race([setting, failed]);
  } finally {
    clearTimeout(timer);
    patches.restore();
    recorder.stop();
  }
  const initMs = Math.round(performance.now() - started);
  const backend = ok ? engineInternals().registry[BACKEND] : undefined;
  const pool = pthreads(backend);
  let actual = -1;
  if (backend) {
    try {
      actual = getThreadsCount();
    } catch {
      actual = -1;
    }
  }

  if (!backend || !pool || actual !== threads) {
    // A started backend is disposed first (its threads joined while they live), then every worker ended.
    reinstateStockBackend(stockFactory, priority);
    const ended = endWorkers(new Set([...patches.created, ...patches.workers]));
    setListeners(listenersBefore);
    restoreFlags();
    await removeTempWhenEnded(patches.tempDir, ended);
    if (previousBackend && previousBackend !== BACKEND && tf.findBackendFactory(previousBackend) != null) {
      await tf.setBackend(previousBackend).catch(() => false);
    }
    const message = backend
      ? `The threaded wasm backend started with ${actual} thread(s) instead of ${threads}.`
      : `The threaded wasm backend failed to start${describeFailure(failure)}.`;
    throw new AppliedMLError('E_DEVICE_UNAVAILABLE', message, { cause: failure, details: { threads, actual, initMs } });
  }

  patches.restoreWorkerErrorHandlers();
  // Every worker has loaded the script by now (Emscripten waits for its pool): the copy can go.
  const workers = [...pool.runningWorkers, ...pool.unusedWorkers] as WorkerWithHandlers[];
  if (workers.every((w) => w.loaded === true)) removeTempDir(patches.tempDir);
  else tempDirs.add(patches.tempDir);
  // XNNPACK made its threads in the backend's constructor and makes no more: the rest of the
  // preloaded pool only costs memory (a V8 isolate each).
  if (options.keepIdleWorkers !== true) for (const worker of pool.unusedWorkers.splice(0)) void worker.terminate();
  // Emscripten ref()s the workers that run pthreads, so they would keep the process alive for ever.
  if (!keepProcessAlive) for (const worker of pool.runningWorkers) worker.unref();

  const info: WasmThreadsInfo = { threads: actual, initMs, tempDir: patches.tempDir, keepProcessAlive };
  // The glue's rethrowing handlers go at once (see recordGlueListeners); `disable` still leaves them out.
  const glueListeners = recorder.glue;
  removeGlueListeners(glueListeners);
  active = { info, backend, stockFactory, priority, restoreFlags, glueListeners };
  return { ...info };
}

/**
 * Start the wasm backend with `threads` XNNPACK threads (an integer from 2 to `maxWasmThreads()`)
 * and make it the active tfjs backend. Opt-in: threads speed up large-batch inference but can slow
 * small-model training. See the module comment for the rules.
 */
export function enableWasmThreads(threads: number, options: WasmThreadsOptions = {}): Promise<WasmThreadsInfo> {
  try {
    validateThreads(threads);
    validateOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  return serialised(() => enable(threads, options));
}

/**
 * Remove the threaded wasm backend: terminates its worker threads (so the process can exit), deletes
 * temporary files, registers the stock single-threaded wasm factory again and resets the flags.
 * Tensors and models that lived on it are unusable afterwards, and no tfjs backend is active until
 * the next `tf.setBackend` / `initEngine`. Resolves true when threads were enabled, false otherwise.
 */
export function disableWasmThreads(): Promise<boolean> {
  return serialised(async () => {
    forgetIfRemoved();
    const state = active;
    if (!state) {
      removeTempDirs();
      return false;
    }
    active = undefined;
    const pool = pthreads(state.backend);
    const workers = pool ? [...pool.runningWorkers, ...pool.unusedWorkers] : [];
    const exited = workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.threadId === -1) resolve();
          else worker.once('exit', () => resolve());
        }),
    );
    // Keep every listener but the glue's: the backend's dispose drops them all (see setListeners).
    const current = snapshotListeners();
    const keep: ListenerSnapshot = {
      uncaughtException: current.uncaughtException.filter((l) => !state.glueListeners.uncaughtException.includes(l)),
      unhandledRejection: current.unhandledRejection.filter((l) => !state.glueListeners.unhandledRejection.includes(l)),
    };
    try {
      reinstateStockBackend(state.stockFactory, state.priority);
    } finally {
      setListeners(keep);
      state.restoreFlags();
      removeTempDirs();
    }
    // Terminated workers exit asynchronously; wait (briefly) so callers can rely on them being gone.
    await Promise.race([Promise.all(exited), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    return true;
  });
}

/** How long a failed start waits for its workers to exit before it reports (they normally take milliseconds). */
const WORKER_EXIT_WAIT_MS = 2000;

/** Terminate `workers`; resolves once all have exited (a worker that already had, at once). */
function endWorkers(workers: Iterable<Worker>): Promise<void> {
  return Promise.all(
    [...workers].map((worker) =>
      worker.terminate().then(
        () => undefined,
        () => undefined,
      ),
    ),
  ).then(() => undefined);
}

/** The one place a temporary folder is deleted. One that cannot be is kept for disableWasmThreads() to try again. */
function removeTempDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // A temporary file must not fail the caller (a started backend, or the disable that ends it).
    tempDirs.add(dir);
    return;
  }
  tempDirs.delete(dir);
}

/**
 * Delete a failed start's worker script once its workers have exited. A worker still loading it when
 * it goes fails to load, and Emscripten's error handler rethrows that on the main thread: an uncaught
 * ERR_MODULE_NOT_FOUND ended the process when a start timed out while its pool was loading. Waits for
 * the exits up to WORKER_EXIT_WAIT_MS; a script still needed then is deleted when they exit (or by
 * disableWasmThreads()).
 *
 * The start given up never completes later: Emscripten resolves its module only once every pool worker
 * has loaded, and they are all ended.
 */
async function removeTempWhenEnded(dir: string, ended: Promise<void>): Promise<void> {
  tempDirs.add(dir);
  const removed = ended.then(() => removeTempDir(dir));
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, WORKER_EXIT_WAIT_MS).unref();
  });
  await Promise.race([removed, waited]);
  clearTimeout(timer);
}

function removeTempDirs(): void {
  for (const dir of tempDirs) removeTempDir(dir);
}
