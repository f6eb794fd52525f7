import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { AppliedMLError, type ErrorCode, ERROR_CODES } from '@appliedml/engine';
import { INTERNAL_MESSAGE } from './http-errors';
import { isLoadedMessage, type InfoAnswer, type Outcome, type WireError, type WorkerSetup, type WorkerTask } from './pool-protocol';

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
  /** Collect concurrent inputs into one predictBatch call (off unless given). */
  batch?: MicroBatchOptions | false;
  /** Batches waiting for a worker at most; beyond it `run` is 503 E_BUSY with a retry hint (default 64). */
  maxQueue?: number;
  /** Longest time `ready()` waits for every worker to load the model (default 120 s); past it, E_INTERNAL. */
  readyTimeoutMs?: number;
  /**
   * Longest time one task (a `run` or `runBatch`) may take, waiting in the queue included (default
   * 50 s: under the kit's 60 s idle-socket limit, so the client gets the answer). Past it the task is
   * 503 E_BUSY (`details.timedOut`); a task that was running has its worker terminated and replaced
   * (the replacement loads the model again; `isReady` is false until it has). 0 turns it off.
   */
  taskTimeoutMs?: number;
  /** Longest time `close()` waits for running tasks before it terminates the workers (default 2 s). */
  closeTimeoutMs?: number;
  /** Told when a task timed out (for the log): how long it was given. */
  onTaskTimeout?: (event: { timeoutMs: number }) => void;
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
  run(input: I): Promise<O>;
  /** Many inputs as one task (one predictBatch call in one worker). */
  runBatch(inputs: I[]): Promise<O[]>;
  /**
   * Resolves when every worker thread has loaded the model (each of `threads` distinct workers
   * answers at once), with the model's `info`; rejects with the load error's code, or E_INTERNAL
   * when a worker died or the workers did not all load within `readyTimeoutMs`.
   */
  ready(): Promise<Record<string, unknown>>;
  readonly isReady: boolean;
  /** True when `run` would be refused with E_BUSY (the queue is full): check it before reading a large upload. */
  readonly full: boolean;
  stats(): PoolStats;
  /** Waits for running tasks (at most `closeTimeoutMs`), then ends the workers. */
  close(): Promise<void>;
}

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

function timedOut(timeoutMs: number): AppliedMLError {
  return new AppliedMLError('E_BUSY', `The inference did not finish within ${timeoutMs} ms; retry shortly.`, {
    details: { retryAfterSeconds: 1, timedOut: true },
  });
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
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * A piscina pool for CPU-bound inference: each worker thread loads the bundle once (one engine,
 * one model per worker), so the event loop stays free for other requests. With `batch`,
 * concurrent `run` calls are collected for a few milliseconds (up to `maxSize`) and answered by
 * one predictBatch call; an input that fails is answered with its own error, not its batch's.
 */
export function createInferencePool<I, O>(options: InferencePoolOptions): InferencePool<I, O> {
  const threads = Math.max(1, Math.floor(options.threads ?? 1));
  const moduleUrl = options.worker instanceof URL ? options.worker.href : pathToFileURL(options.worker).href;
  const setup: WorkerSetup = { module: moduleUrl, bundle: options.bundle, options: options.loadOptions ?? {} };
  const maxQueue = options.maxQueue ?? 64;
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const taskTimeoutMs = options.taskTimeoutMs ?? 50_000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 2_000;
  const piscina = new Piscina({
    filename: fileURLToPath(WORKER_FILE),
    workerData: setup,
    minThreads: threads,
    maxThreads: threads,
    maxQueue,
    concurrentTasksPerWorker: 1,
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
  /**
   * Worker threads that hold the model: each worker posts a message once it has loaded (its answer
   * to `ready()` says so too). piscina replaces a worker that died — in a task, timed out, or idle
   * between tasks, which no task notices — and readiness needs every live worker in this set.
   */
  const holding = new Set<number>();
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
  /** Workers replaced after a timeout whose replacement has not yet shown it holds the model. */
  let recovering = 0;
  const batchOptions = options.batch ? { maxSize: options.batch.maxSize ?? 16, maxWaitMs: options.batch.maxWaitMs ?? 4 } : undefined;
  let pending: Waiting<I, O>[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let isReady = false;
  let readyPromise: Promise<Record<string, unknown>> | undefined;
  let loadedWorkers = 0;
  /** Cancels a readiness barrier still waiting (a load failed, or the pool closes). */
  let cancelBarrier: (() => void) | undefined;

  async function task(inputs: I[]): Promise<Outcome[]> {
    if (closed) throw new AppliedMLError('E_MODEL_DISPOSED', 'The inference pool is closed.');
    // Refuse before piscina does: its queue-full error is only known by its message.
    if (piscina.queueSize >= maxQueue) throw busy();
    stats.batches += 1;
    stats.inputs += inputs.length;
    stats.largestBatch = Math.max(stats.largestBatch, inputs.length);
    const controller = new AbortController();
    // While a replaced worker reloads the model, a task may wait for that load: one that reaches its
    // limit during a reload gets the load's limit once more (whenever it was queued), so a slow load is
    // not mistaken for a hang, which would end the reloading worker again.
    let limit = taskTimeoutMs;
    let deadline: NodeJS.Timeout | undefined;
    const expire = (): void => {
      if ((recovering > 0 || (isReady && !everyWorkerHolds())) && limit === taskTimeoutMs) {
        limit += readyTimeoutMs;
        deadline = setTimeout(expire, readyTimeoutMs);
      } else controller.abort();
    };
    if (taskTimeoutMs > 0) deadline = setTimeout(expire, taskTimeoutMs);
    try {
      return (await piscina.run({ kind: 'batch', inputs } satisfies WorkerTask, { signal: controller.signal })) as Outcome[];
    } catch (error) {
      if (controller.signal.aborted) {
        stats.timeouts += 1;
        // piscina terminated the worker if the task was running and starts another: until the
        // replacement has loaded the model, the pool is not ready.
        recover();
        options.onTaskTimeout?.({ timeoutMs: limit });
        throw timedOut(limit);
      }
      const mapped = fromPiscina(error);
      // Our worker answers every input's own failure in its outcome: a rejected task is a worker that
      // died, and piscina's replacement must load the model again before the pool is ready.
      if (mapped.code === 'E_INTERNAL' && isReady) recover();
      throw mapped;
    } finally {
      clearTimeout(deadline);
    }
  }

  /**
   * Readiness drops until a worker answers a ping (it waits for that worker's model load). A ping that
   * fails (its own limit, a crash while loading, a failed reload) is sent again a second later, so
   * readiness comes back once a worker holds the model, never stays down for good.
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

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const items = pending;
    pending = [];
    if (items.length === 0) return;
    task(items.map((w) => w.input)).then(
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
    async run(input) {
      if (!batchOptions) {
        const [outcome] = await task([input]);
        if (outcome?.ok) return outcome.value as O;
        throw outcome ? fromWire(outcome.error) : new AppliedMLError('E_INTERNAL', 'A worker answer is missing.');
      }
      return new Promise<O>((resolve, reject) => {
        if (closed) return reject(new AppliedMLError('E_MODEL_DISPOSED', 'The inference pool is closed.'));
        pending.push({ input, resolve, reject });
        if (pending.length >= batchOptions.maxSize) flush();
        else timer ??= setTimeout(flush, batchOptions.maxWaitMs);
      });
    },
    async runBatch(inputs) {
      if (inputs.length === 0) return [];
      const outcomes = await task(inputs);
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
      return !closed && piscina.queueSize >= maxQueue;
    },
    stats: () => ({ ...stats, threads, queued: piscina.queueSize + pending.length, loadedWorkers }),
    async close() {
      if (closed) return;
      flush();
      closed = true;
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
