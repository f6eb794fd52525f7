import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { AppliedMLError, type ErrorCode, ERROR_CODES } from '@appliedml/engine';
import { INTERNAL_MESSAGE } from './http-errors';
import { currentRequestRoute, currentRequestSignal } from './request-scope';
import {
  isLoadedMessage,
  TASK_CONTROL_BYTES,
  TASK_DROPPED,
  TASK_PENDING,
  type InfoAnswer,
  type Outcome,
  type WireError,
  type WorkerSetup,
  type WorkerTask,
} from './pool-protocol';

export interface MicroBatchOptions {
  /** Most inputs in one predictBatch call (default 16). */
  maxSize?: number;
  /** Longest time the first input of a batch waits for others (default 4 ms). */
  maxWaitMs?: number;
}

export interface InferencePoolOptions {
  /** The module (path or file: URL) whose `load(bundle, options)` returns the model; loaded once per worker. */
  worker: string | URL;
  /** The saved bundle each worker loads. */
  bundle: string;
  /** Options passed to `load` (plain data). */
  loadOptions?: Record<string, unknown>;
  /** Worker threads, each with its own engine and model (default 1). */
  threads?: number;
  /** Collect concurrent inputs of one task kind (`RunOptions.kind`) into one predictBatch call (off unless given). */
  batch?: MicroBatchOptions | false;
  /**
   * Tasks (batches) waiting for a worker at most, besides the one running on each worker (default 8,
   * as the in-process limit). Beyond it `run` is 503 E_BUSY with a retry hint at once. Run times are
   * kept per task kind (`RunOptions.kind`: by default the request's route): once a kind has
   * `MIN_RUN_SAMPLES` recent run times, a task of that kind that would not finish within
   * `taskTimeoutMs` behind the queued ones, even if every task took the shortest recent time of its
   * kind (a kind with fewer counts as no time), is refused at once too, and a waiting one that falls
   * behind its limit so is answered then (503 E_BUSY, `details.waited: 'queue'`; it never starts).
   * Otherwise a task waits, and its limit drops it if it has not started (one that started too late
   * to finish is cut at its limit, its worker replaced).
   */
  maxQueue?: number;
  /** Longest time `ready()` waits for every worker to load the model (default 120 s); past it, E_INTERNAL. */
  readyTimeoutMs?: number;
  /**
   * Longest time one task (a `run` or `runBatch`) may take, waiting in the queue included (default
   * 50 s: under the kit's 55 s answer limit, so the client gets this answer). Past it the task is 503
   * E_BUSY (`details.timedOut`): a task that had not started is dropped; one that was running has its
   * worker terminated and replaced (`details.workerReplaced`; the replacement loads the model again
   * and `isReady` is false until it has). Never extended, also while a worker reloads. 0 turns it off.
   */
  taskTimeoutMs?: number;
  /** Longest time `close()` waits for running tasks before it terminates the workers (default 2 s). */
  closeTimeoutMs?: number;
  /** Told when a task timed out (for the log): how long it was given, and whether its worker was replaced. */
  onTaskTimeout?: (event: { timeoutMs: number; workerReplaced: boolean }) => void;
  /**
   * Node options of the workers. Default: none for JavaScript; for TypeScript sources (inside the
   * repository) tsx and the `@appliedml/source` condition, so workers read the same sources.
   */
  execArgv?: string[];
}

export interface PoolStats {
  batches: number;
  inputs: number;
  largestBatch: number;
  threads: number;
  queued: number;
  /** Distinct worker threads that confirmed, through `ready()`, that they hold the model. */
  loadedWorkers: number;
  /** Tasks that ran past `taskTimeoutMs` (their workers, if running, were replaced). */
  timeouts: number;
}

export interface InferencePool<I, O> {
  /** One input; joins a micro-batch when batching is on. */
  run(input: I, options?: RunOptions): Promise<O>;
  /** Many inputs as one task (one predictBatch call in one worker). */
  runBatch(inputs: I[], options?: RunOptions): Promise<O[]>;
  /**
   * Resolves when every worker thread has loaded the model (each of `threads` distinct workers
   * answers at once), with the model's `info`; rejects with the load error's code, or E_INTERNAL
   * when a worker died or the workers did not all load within `readyTimeoutMs`.
   */
  ready(): Promise<Record<string, unknown>>;
  readonly isReady: boolean;
  /**
   * True when `run` would be refused with E_BUSY (the queue is full, or a task of the current
   * request's route surely would not finish in time): check it before reading a large upload (a
   * route's `config.admit` runs with its route).
   */
  readonly full: boolean;
  stats(): PoolStats;
  /**
   * Sends the micro-batches still collecting as tasks; tasks that then wait for a worker are answered
   * E_MODEL_DISPOSED and never start; waits for running tasks (at most `closeTimeoutMs`), then ends
   * the workers.
   */
  close(): Promise<void>;
}

/** Tasks waiting for a worker at most, by default (the in-process limit's default too). */
export const DEFAULT_MAX_QUEUE = 8;

const WORKER_FILE = new URL(`./pool-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

function defaultExecArgv(workerModule: string): string[] {
  if (!workerModule.endsWith('.ts') && !WORKER_FILE.href.endsWith('.ts')) return [];
  let tsx = 'tsx';
  try {
    tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  } catch {
    // fall back to resolving from the working directory
  }
  return ['--import', tsx, '--conditions=@appliedml/source'];
}

/**
 * A worker's error as an SDK error. A non-SDK error (a bug, a library's own error) becomes
 * E_INTERNAL with the fixed message; its name, own message and stack frames stay on `cause`, for
 * in-process inspection only (HTTP answers and the kit's log lines never show a message).
 */
function fromWire(error: WireError): AppliedMLError {
  if (error.internal) {
    const { name, message, frames } = error.internal;
    const cause = Object.assign(new AppliedMLError('E_INTERNAL', message), { name, frames, stack: undefined });
    return new AppliedMLError('E_INTERNAL', INTERNAL_MESSAGE, { cause });
  }
  const code: ErrorCode = (ERROR_CODES as readonly string[]).includes(error.code) ? (error.code as ErrorCode) : 'E_INTERNAL';
  return new AppliedMLError(code, code === 'E_INTERNAL' ? INTERNAL_MESSAGE : error.message, { details: error.details });
}

/**
 * Where a task was when its limit ended: running (its worker is replaced), waiting in the pool's
 * queue behind busy workers, or handed to a worker that had not started it because it was still
 * loading the model (a replacement, or a worker at start-up).
 */
type TimedOutAt = 'running' | 'queue' | 'model-load';

function timedOut(timeoutMs: number, at: TimedOutAt): AppliedMLError {
  const what =
    at === 'running'
      ? 'did not finish'
      : at === 'queue'
        ? 'did not start (it waited behind earlier tasks while every worker was busy)'
        : 'did not start (its worker was still loading the model)';
  return new AppliedMLError('E_BUSY', `The inference ${what} within ${timeoutMs} ms; retry shortly.`, {
    details: { retryAfterSeconds: 1, timedOut: true, workerReplaced: at === 'running', ...(at === 'running' ? {} : { waited: at }) },
  });
}

/**
 * A task that waited behind earlier ones until it could no longer finish within its limit, even at
 * its kind's shortest recent run time: answered, never started (see `shedOverdue`).
 */
function notStartedInTime(timeoutMs: number, retryAfterSeconds: number): AppliedMLError {
  return new AppliedMLError(
    'E_BUSY',
    `The inference waited behind earlier tasks until it could no longer finish within its ${timeoutMs} ms limit; it was not started; retry shortly.`,
    { details: { retryAfterSeconds, waited: 'queue' } },
  );
}

/** A task nobody waits for (its request was answered, or its client went away): dropped before it started. */
function abandoned(): AppliedMLError {
  return new AppliedMLError(
    'E_BUSY',
    'The request was answered or its client went away before its inference started; the work was dropped.',
    {
      details: { retryAfterSeconds: 1, abandoned: true },
    },
  );
}

function busy(cause?: unknown): AppliedMLError {
  return new AppliedMLError('E_BUSY', 'Every inference worker is busy and the queue is full; retry shortly.', {
    ...(cause === undefined ? {} : { cause }),
    details: { retryAfterSeconds: 1 },
  });
}

/**
 * piscina's own refusals when its queue is full. piscina 5 does not export its `Errors` (the
 * package's `exports` hide dist/errors.js), so these are its exact messages; the pool checks its
 * queue itself before each task, so they are only a backstop.
 */
const PISCINA_QUEUE_FULL = new Set(['Task queue is at limit', 'No task queue available and all Workers are busy']);

/** Anything piscina throws (queue full, a worker that crashed or exited) as a typed SDK error. */
function fromPiscina(error: unknown): AppliedMLError {
  if (AppliedMLError.isInstance(error)) return error;
  if (error instanceof Error && PISCINA_QUEUE_FULL.has(error.message)) return busy(error);
  return new AppliedMLError('E_INTERNAL', INTERNAL_MESSAGE, { cause: error });
}

interface Waiting<I, O> {
  input: I;
  signal: AbortSignal | undefined;
  kind: string;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/** One task (a batch of inputs) from `run`/`runBatch` until it is answered. */
interface Entry {
  inputs: unknown[];
  /** What kind of task (its run times are kept per kind). */
  kind: string;
  resolve: (outcomes: Outcome[]) => void;
  reject: (error: unknown) => void;
  /** Answered (or dropped): a late result is ignored. */
  done: boolean;
  /** When its limit ends (ms since the epoch). */
  deadlineAt: number;
  deadline?: NodeJS.Timeout;
  /** Aborts the piscina task: piscina then terminates the worker running it. */
  abort: AbortController;
  /** The start handshake with the worker, once handed to piscina. */
  control?: SharedArrayBuffer;
  unlisten: () => void;
}

/** Per call: `signal` aborts once nobody waits for the answer; default, the current request's (see `createService`). */
export interface RunOptions {
  signal?: AbortSignal;
  /**
   * What kind of task this is, for the run-time estimates behind prompt refusals (tasks of one kind
   * should take similar times). Default: the current request's route (`POST /predict`, see
   * `createService`), or '' outside a request.
   */
  kind?: string;
}

/** Run times kept per task kind: the most recent ones. */
export const RECENT_RUN_SAMPLES = 8;
/** Recent run times a kind needs before its tasks can be refused (or answered early) for time. */
export const MIN_RUN_SAMPLES = 3;

/**
 * A piscina pool for CPU-bound inference: each worker thread loads the bundle once (one engine,
 * one model per worker), so the event loop stays free for other requests. With `batch`,
 * concurrent `run` calls of one task kind are collected for a few milliseconds (up to `maxSize`) and answered by
 * one predictBatch call; an input that fails is answered with its own error, not its batch's.
 */
export function createInferencePool<I, O>(options: InferencePoolOptions): InferencePool<I, O> {
  const threads = Math.max(1, Math.floor(options.threads ?? 1));
  const moduleUrl = options.worker instanceof URL ? options.worker.href : pathToFileURL(options.worker).href;
  const setup: WorkerSetup = { module: moduleUrl, bundle: options.bundle, options: options.loadOptions ?? {} };
  const maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const taskTimeoutMs = options.taskTimeoutMs ?? 50_000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 2_000;
  /**
   * Worker threads that hold the model: each worker posts a message once it has loaded (its answer
   * to `ready()` says so too). piscina replaces a worker that died — in a task, timed out, or idle
   * between tasks, which no task notices — and readiness needs every live worker in this set.
   */
  const holding = new Set<number>();
  const piscina = new Piscina({
    filename: fileURLToPath(WORKER_FILE),
    workerData: setup,
    minThreads: threads,
    maxThreads: threads,
    // The pool keeps its own queue (see `waiting`) and hands piscina one task per worker at most.
    concurrentTasksPerWorker: 1,
    // An idle worker that holds the model first: piscina's own choice (the first idle worker) handed
    // tasks to a replacement still loading the model while a loaded worker sat idle. With no loaded
    // worker idle, any idle one (at start-up every worker is loading; a ping waits for the load).
    loadBalancer: (_task, workers) => {
      let idle: (typeof workers)[number] | null = null;
      for (const worker of workers) {
        if (worker.currentUsage !== 0 || worker.terminating || worker.destroyed) continue;
        if (holding.has(worker.id)) return worker;
        idle ??= worker;
      }
      return idle;
    },
    idleTimeout: Number.POSITIVE_INFINITY,
    // piscina's default ('sync') parks an idle worker in Atomics.wait, which stops its event loop
    // between tasks: a model load (async) would not go on until a task arrived, and a replacement
    // would not load by itself. 'async' waits with Atomics.waitAsync: the loop runs between tasks.
    atomics: 'async',
    closeTimeout: closeTimeoutMs,
    execArgv: options.execArgv ?? defaultExecArgv(moduleUrl),
  });
  // piscina emits 'error' when close() times out (it then terminates the workers, as wanted) or a
  // worker fails outside a task; unheard, an EventEmitter 'error' would end the process.
  piscina.on('error', () => undefined);
  piscina.on('message', (message: unknown) => {
    if (isLoadedMessage(message)) holding.add(message.threadId);
  });
  function everyWorkerHolds(): boolean {
    const live = piscina.threads;
    if (live.length < threads) return false;
    // Thread ids are never reused: forget the dead ones now and then.
    if (holding.size > 2 * threads) {
      const alive = new Set(live.map((w) => w.threadId));
      for (const id of holding) if (!alive.has(id)) holding.delete(id);
    }
    return live.every((w) => holding.has(w.threadId));
  }
  const stats = { batches: 0, inputs: 0, largestBatch: 0, timeouts: 0 };
  /** Workers replaced after a timeout whose replacement has not yet answered a readiness ping. */
  let recovering = 0;
  const batchOptions = options.batch ? { maxSize: options.batch.maxSize ?? 16, maxWaitMs: options.batch.maxWaitMs ?? 4 } : undefined;
  /**
   * Inputs collecting into a micro-batch, one batch per task kind: a batch's run time is recorded for
   * its kind, so a batch never mixes kinds (a slow input behind a quick one would make that kind look slow).
   */
  const pending = new Map<string, { items: Waiting<I, O>[]; timer?: NodeJS.Timeout }>();
  let closed = false;
  let isReady = false;
  let readyPromise: Promise<Record<string, unknown>> | undefined;
  let loadedWorkers = 0;
  /** Cancels a readiness barrier still waiting (a load failed, or the pool closes). */
  let cancelBarrier: (() => void) | undefined;
  /**
   * Tasks waiting for a worker, in order. The pool keeps its own queue and hands piscina at most
   * one task per worker, so it knows which tasks have not started: those it can drop (timed out, or
   * nobody waits for them any more) without work and without ending a worker.
   */
  const waiting: Entry[] = [];
  /** Tasks handed to piscina and not settled (each on a worker, or waiting for its model load). */
  const dispatched = new Set<Entry>();
  /** The most recent run times (from the worker's start) of each task kind. */
  const runTimes = new Map<string, number[]>();
  /**
   * How long a task of `kind` takes at least, as far as one can be sure: the shortest of its recent
   * run times, once it has `MIN_RUN_SAMPLES` of them; undefined before. One slow task (a large
   * upload) does not make the quick ones look slow, and a kind never seen is not judged by another's.
   */
  function shortestRun(kind: string): number | undefined {
    const times = runTimes.get(kind);
    return times && times.length >= MIN_RUN_SAMPLES ? Math.min(...times) : undefined;
  }
  function recordRun(kind: string, ms: number): void {
    const times = runTimes.get(kind) ?? [];
    times.push(ms);
    if (times.length > RECENT_RUN_SAMPLES) times.shift();
    runTimes.set(kind, times);
  }
  /** The kind of a task started here: the caller's, else the current request's route. */
  const kindOf = (runOptions: RunOptions): string => runOptions.kind ?? currentRequestRoute() ?? '';

  function settle(entry: Entry, result: { outcomes: Outcome[] } | { error: unknown }): void {
    if (entry.done) return;
    entry.done = true;
    clearTimeout(entry.deadline);
    entry.unlisten();
    const i = waiting.indexOf(entry);
    if (i >= 0) waiting.splice(i, 1);
    if ('outcomes' in result) entry.resolve(result.outcomes);
    else entry.reject(result.error);
  }

  /** Drops a task that has not started; false when its worker has already started it. */
  function drop(entry: Entry): boolean {
    if (!entry.control) return true; // still in the pool's own queue
    const state = new Int32Array(entry.control, 0, 1);
    return Atomics.compareExchange(state, 0, TASK_PENDING, TASK_DROPPED) === TASK_PENDING;
  }

  /**
   * The earliest each of `queue` could finish (ms since the epoch): each worker frees when its task
   * would end if it took the shortest recent run time of its kind (at once for a kind with too few),
   * and the queued tasks take the first free worker in order. A lower bound: what it refuses would
   * not have finished in time.
   */
  function earliestEnds(queue: readonly Entry[]): number[] {
    const now = Date.now();
    const free: number[] = [];
    for (const entry of dispatched) {
      const started = entry.control ? (new Float64Array(entry.control, 8, 1)[0] ?? 0) : 0;
      const run = shortestRun(entry.kind) ?? 0;
      free.push(entry.done ? now : started > 0 ? Math.max(now, started + run) : now + run);
    }
    while (free.length < threads) free.push(now);
    return queue.map((entry) => {
      const slot = free.indexOf(Math.min(...free));
      free[slot] = (free[slot] ?? now) + (shortestRun(entry.kind) ?? 0);
      return free[slot] as number;
    });
  }

  /** A new task of `kind` would surely not finish within `taskTimeoutMs` behind the work already queued. */
  function overdueIfQueued(kind: string): boolean {
    if (taskTimeoutMs <= 0 || shortestRun(kind) === undefined) return false;
    const probe = { done: false, kind } as Entry;
    const last = earliestEnds([...waiting, probe]).at(-1);
    return last !== undefined && last > Date.now() + taskTimeoutMs;
  }

  /** Retry-After for a refusal for time: about the kind's shortest recent run (1 to 60 s). */
  const retryAfterFor = (kind: string): number => Math.min(60, Math.max(1, Math.ceil((shortestRun(kind) ?? 1000) / 1000)));

  function tooSlow(kind: string): AppliedMLError {
    return new AppliedMLError(
      'E_BUSY',
      `Every inference worker is busy and the work queued before this request would not let it finish within ${taskTimeoutMs} ms; retry shortly.`,
      { details: { retryAfterSeconds: retryAfterFor(kind) } },
    );
  }

  /**
   * Answers at once, 503 E_BUSY, each waiting task that surely would not finish before its own limit
   * (its kind's run time is known), instead of letting it wait for that limit or starting it to be
   * cut there (its worker ended and replaced). Runs whenever a worker frees, before the next task
   * starts, so a task about to start with less of its limit left than its kind's shortest recent run
   * is answered here. A task answered so takes no worker time: the tasks behind it may still fit.
   * Before a kind has MIN_RUN_SAMPLES run times none of its tasks is answered so: its first runs
   * (a cold worker's first is usually slow, or one large input) say too little about the next.
   */
  function shedOverdue(): void {
    if (taskTimeoutMs <= 0 || waiting.length === 0) return;
    const kept: Entry[] = [];
    const late: Entry[] = [];
    for (const entry of waiting) {
      const end = shortestRun(entry.kind) === undefined ? 0 : (earliestEnds([...kept, entry]).at(-1) ?? 0);
      (end > entry.deadlineAt ? late : kept).push(entry);
    }
    for (const entry of late) settle(entry, { error: notStartedInTime(taskTimeoutMs, retryAfterFor(entry.kind)) });
  }

  function pump(): void {
    while (!closed && dispatched.size < threads && waiting.length > 0) {
      const entry = waiting.shift() as Entry;
      if (entry.done) continue;
      dispatch(entry);
    }
  }

  function dispatch(entry: Entry): void {
    entry.control = new SharedArrayBuffer(TASK_CONTROL_BYTES);
    dispatched.add(entry);
    stats.batches += 1;
    stats.inputs += entry.inputs.length;
    stats.largestBatch = Math.max(stats.largestBatch, entry.inputs.length);
    const control = entry.control;
    piscina
      .run({ kind: 'batch', inputs: entry.inputs, control } satisfies WorkerTask, { signal: entry.abort.signal })
      .then(
        (outcomes) => {
          const started = new Float64Array(control, 8, 1)[0] ?? 0;
          if (started > 0) recordRun(entry.kind, Math.max(0, Date.now() - started));
          settle(entry, { outcomes: outcomes as Outcome[] });
        },
        (error: unknown) => {
          if (entry.done) return; // timed out (its worker was ended): answered already
          const mapped = fromPiscina(error);
          // Our worker answers every input's own failure in its outcome: a rejected task is a worker that
          // died, and piscina's replacement must load the model again before the pool is ready.
          if (mapped.code === 'E_INTERNAL' && isReady) recover();
          settle(entry, { error: mapped });
        },
      )
      .finally(() => {
        dispatched.delete(entry);
        shedOverdue();
        pump();
      });
  }

  /** The task's limit: a waiting (or not yet started) task is dropped; a running one ends its worker. */
  function expire(entry: Entry): void {
    if (entry.done) return;
    const running = !drop(entry);
    stats.timeouts += 1;
    if (running) {
      // piscina terminates the worker and starts another (synchronously): the ping goes first.
      entry.abort.abort();
      recover();
    }
    options.onTaskTimeout?.({ timeoutMs: taskTimeoutMs, workerReplaced: running });
    settle(entry, { error: timedOut(taskTimeoutMs, running ? 'running' : entry.control ? 'model-load' : 'queue') });
    pump();
  }

  async function task(inputs: I[], signals: (AbortSignal | undefined)[], kind: string): Promise<Outcome[]> {
    if (closed) throw new AppliedMLError('E_MODEL_DISPOSED', 'The inference pool is closed.');
    if (waiting.length >= maxQueue) throw busy();
    if (overdueIfQueued(kind)) throw tooSlow(kind);
    if (signals.length > 0 && signals.every((s) => s?.aborted)) throw abandoned();
    return new Promise<Outcome[]>((resolve, reject) => {
      const entry: Entry = {
        inputs,
        kind,
        resolve,
        reject,
        done: false,
        deadlineAt: Date.now() + taskTimeoutMs,
        abort: new AbortController(),
        unlisten: () => undefined,
      };
      // Nobody waits for the answer any more (every input's request was answered or its client
      // went): drop the task if it has not started. Work already started goes on.
      const watched = signals.filter((s): s is AbortSignal => s !== undefined);
      if (watched.length === signals.length && watched.length > 0) {
        const onAbort = (): void => {
          if (entry.done || !watched.every((s) => s.aborted) || !drop(entry)) return;
          settle(entry, { error: abandoned() });
          pump();
        };
        for (const s of watched) s.addEventListener('abort', onAbort);
        entry.unlisten = () => watched.forEach((s) => s.removeEventListener('abort', onAbort));
      }
      if (taskTimeoutMs > 0) entry.deadline = setTimeout(() => expire(entry), taskTimeoutMs);
      waiting.push(entry);
      pump();
    });
  }

  /**
   * Readiness drops until a worker answers a ping (it waits for that worker's model load). A ping that
   * fails (its own limit, a crash while loading, a failed reload) is sent again a second later, so
   * readiness comes back once a worker holds the model, never stays down for good. The pool hands
   * piscina no more tasks than it has workers, so a ping never waits behind the pool's queue.
   */
  function recover(): void {
    if (closed) return;
    recovering += 1;
    const ping = (): void => {
      if (closed) return;
      const controller = new AbortController();
      const limit = setTimeout(() => controller.abort(), readyTimeoutMs);
      piscina
        .run({ kind: 'ping' } satisfies WorkerTask, { signal: controller.signal })
        .then(
          (ok) => ok === true,
          () => false,
        )
        .then((ok) => {
          clearTimeout(limit);
          if (ok) recovering -= 1;
          else if (!closed) setTimeout(ping, 1000).unref();
        });
    };
    ping();
  }

  /** Sends the batch collecting for `kind` as one task. */
  function flush(kind: string): void {
    const batch = pending.get(kind);
    if (!batch) return;
    clearTimeout(batch.timer);
    pending.delete(kind);
    const items = batch.items;
    if (items.length === 0) return;
    task(
      items.map((w) => w.input),
      items.map((w) => w.signal),
      kind,
    ).then(
      (outcomes) =>
        items.forEach((w, i) => {
          const outcome = outcomes[i];
          if (outcome?.ok) w.resolve(outcome.value as O);
          else w.reject(outcome ? fromWire(outcome.error) : new AppliedMLError('E_INTERNAL', 'A worker answer is missing.'));
        }),
      (error: unknown) => items.forEach((w) => w.reject(error)),
    );
  }

  return {
    async run(input, runOptions = {}) {
      const signal = runOptions.signal ?? currentRequestSignal();
      const kind = kindOf(runOptions);
      if (!batchOptions) {
        const [outcome] = await task([input], [signal], kind);
        if (outcome?.ok) return outcome.value as O;
        throw outcome ? fromWire(outcome.error) : new AppliedMLError('E_INTERNAL', 'A worker answer is missing.');
      }
      return new Promise<O>((resolve, reject) => {
        if (closed) return reject(new AppliedMLError('E_MODEL_DISPOSED', 'The inference pool is closed.'));
        let batch = pending.get(kind);
        if (!batch) pending.set(kind, (batch = { items: [] }));
        batch.items.push({ input, signal, kind, resolve, reject });
        if (batch.items.length >= batchOptions.maxSize) flush(kind);
        else batch.timer ??= setTimeout(() => flush(kind), batchOptions.maxWaitMs);
      });
    },
    async runBatch(inputs, runOptions = {}) {
      if (inputs.length === 0) return [];
      const outcomes = await task(inputs, [runOptions.signal ?? currentRequestSignal()], kindOf(runOptions));
      return outcomes.map((outcome) => {
        if (!outcome.ok) throw fromWire(outcome.error);
        return outcome.value as O;
      });
    },
    ready() {
      readyPromise ??= (async () => {
        if (closed) throw new AppliedMLError('E_MODEL_DISPOSED', 'The inference pool is closed.');
        const buffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
        const barrier = new Int32Array(buffer);
        cancelBarrier = () => {
          Atomics.store(barrier, 1, 1);
          Atomics.notify(barrier, 0);
        };
        const task: WorkerTask = { kind: 'info', barrier: buffer, parties: threads, timeoutMs: readyTimeoutMs };
        const one = async (): Promise<{ info: Record<string, unknown>; threadId: number }> => {
          let answer: InfoAnswer;
          try {
            answer = (await piscina.run(task)) as InfoAnswer;
          } catch (error) {
            cancelBarrier?.();
            throw fromPiscina(error);
          }
          if (!answer.ok) {
            cancelBarrier?.();
            throw fromWire(answer.error);
          }
          if (!answer.complete)
            throw new AppliedMLError('E_INTERNAL', `The inference workers did not all load the model within ${readyTimeoutMs} ms.`);
          return answer;
        };
        try {
          // Each info task waits at the barrier, holding its worker, so the answers come from
          // `threads` distinct workers, each of which has finished loading.
          const answers = await Promise.all(Array.from({ length: threads }, one));
          const distinct = new Set(answers.map((a) => a.threadId)).size;
          if (distinct !== threads)
            throw new AppliedMLError('E_INTERNAL', `Only ${distinct} of ${threads} inference workers answered the readiness check.`);
          loadedWorkers = distinct;
          // Their answers say they hold the model; their own messages may still be on the way.
          for (const a of answers) holding.add(a.threadId);
          if (closed) throw new AppliedMLError('E_MODEL_DISPOSED', 'The inference pool is closed.');
          isReady = true;
          return answers[0]?.info ?? {};
        } finally {
          cancelBarrier = undefined;
        }
      })();
      return readyPromise;
    },
    get isReady() {
      return isReady && recovering === 0 && everyWorkerHolds();
    },
    get full() {
      return !closed && (waiting.length >= maxQueue || overdueIfQueued(currentRequestRoute() ?? ''));
    },
    stats: () => ({
      ...stats,
      threads,
      queued: waiting.length + [...pending.values()].reduce((n, b) => n + b.items.length, 0),
      loadedWorkers,
    }),
    async close() {
      if (closed) return;
      for (const kind of [...pending.keys()]) flush(kind);
      closed = true;
      // Tasks still waiting never start; those handed to a worker finish within closeTimeoutMs.
      for (const entry of waiting.slice())
        settle(entry, { error: new AppliedMLError('E_MODEL_DISPOSED', 'The inference pool is closed.') });
      isReady = false;
      cancelBarrier?.();
      // Waits for running tasks up to closeTimeoutMs (piscina's closeTimeout), then terminates the workers.
      await piscina.close({ force: true });
    },
  };
}

/**
 * Creates a pool and waits until every worker has loaded its model; if loading fails the workers
 * are ended and the error is rethrown. Returns the pool and what the workers said about the model.
 */
export async function openInferencePool<I, O>(
  options: InferencePoolOptions,
): Promise<{ pool: InferencePool<I, O>; info: Record<string, unknown> }> {
  const pool = createInferencePool<I, O>(options);
  try {
    return { pool, info: await pool.ready() };
  } catch (error) {
    await pool.close();
    throw error;
  }
}
