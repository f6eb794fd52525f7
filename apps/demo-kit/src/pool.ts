import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { AppliedMLError, type ErrorCode, ERROR_CODES } from '@appliedml/engine';
import type { InfoAnswer, Outcome, WireError, WorkerSetup, WorkerTask } from './pool-protocol';

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
}

export interface InferencePool<I, O> {
  /** One input; joins a micro-batch when batching is on. */
  run(input: I): Promise<O>;
  /** Many inputs as one task (one predictBatch call in one worker). */
  runBatch(inputs: I[]): Promise<O[]>;
  /** Resolves when every worker has loaded the model, with the model's `info`; rejects with the load error's code. */
  ready(): Promise<Record<string, unknown>>;
  readonly isReady: boolean;
  stats(): PoolStats;
  /** Waits for running tasks, then ends the workers. */
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

function fromWire(error: WireError): AppliedMLError {
  const code: ErrorCode = (ERROR_CODES as readonly string[]).includes(error.code) ? (error.code as ErrorCode) : 'E_INTERNAL';
  return new AppliedMLError(code, error.message, { details: error.details });
}

function busy(cause: unknown): AppliedMLError {
  return new AppliedMLError('E_BUSY', 'Every inference worker is busy and the queue is full; retry shortly.', {
    cause,
    details: { retryAfterSeconds: 1 },
  });
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
  const piscina = new Piscina({
    filename: fileURLToPath(WORKER_FILE),
    workerData: setup,
    minThreads: threads,
    maxThreads: threads,
    maxQueue: options.maxQueue ?? 64,
    concurrentTasksPerWorker: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
    execArgv: options.execArgv ?? defaultExecArgv(moduleUrl),
  });
  const stats = { batches: 0, inputs: 0, largestBatch: 0 };
  const batchOptions = options.batch ? { maxSize: options.batch.maxSize ?? 16, maxWaitMs: options.batch.maxWaitMs ?? 4 } : undefined;
  let pending: Waiting<I, O>[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let isReady = false;
  let readyPromise: Promise<Record<string, unknown>> | undefined;

  async function task(inputs: I[]): Promise<Outcome[]> {
    if (closed) throw new AppliedMLError('E_MODEL_DISPOSED', 'The inference pool is closed.');
    stats.batches += 1;
    stats.inputs += inputs.length;
    stats.largestBatch = Math.max(stats.largestBatch, inputs.length);
    try {
      return (await piscina.run({ kind: 'batch', inputs } satisfies WorkerTask)) as Outcome[];
    } catch (error) {
      if (error instanceof Error && /queue is at limit/i.test(error.message)) throw busy(error);
      throw new AppliedMLError('E_INTERNAL', 'An inference worker failed.', { cause: error });
    }
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
        const answers = (await Promise.all(
          Array.from({ length: threads }, () => piscina.run({ kind: 'info' } satisfies WorkerTask)),
        )) as InfoAnswer[];
        const failed = answers.find((a) => !a.ok);
        if (failed && !failed.ok) throw fromWire(failed.error);
        isReady = true;
        const first = answers[0];
        return first?.ok ? first.info : {};
      })();
      return readyPromise;
    },
    get isReady() {
      return isReady;
    },
    stats: () => ({ ...stats, threads, queued: piscina.queueSize + pending.length }),
    async close() {
      if (closed) return;
      flush();
      closed = true;
      isReady = false;
      await piscina.close();
    },
  };
}
