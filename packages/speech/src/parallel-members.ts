import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  AppliedMLError,
  ERROR_CODES,
  abortedError,
  tf,
  throwIfAborted,
  type Device,
  type ErrorCode,
  type EventLoopAbort,
  type TrainingReport,
} from '@appliedml/engine';
import { augmentBatch, type AugmentConfig } from './augment';

/** One ensemble member's training, as sent to a worker thread (plain data only). */
export interface MemberJob {
  device: Device;
  topology: unknown;
  weights: Array<{ shape: number[]; data: Float32Array }>;
  /** The training rows [n × frames × dim], shared by every worker (not copied). */
  x: SharedArrayBuffer;
  shape: [number, number, number];
  y: SharedArrayBuffer;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Loss weight per label index (`TrainOptions.classWeight` resolved), or undefined for none. */
  classWeight?: number[];
  /** Per-batch augmentation (time shift, stretch, SpecAugment), or null for none. */
  augment: AugmentConfig | null;
  layout: FrameLayout;
}

/** Where a frame's coefficient blocks are (static, Δ, ΔΔ; each `blockDim` wide from the start) for the coefficient masks. */
export interface FrameLayout {
  blocks: number;
  blockDim: number;
}

export interface MemberResult {
  report: TrainingReport;
  weights: Array<{ shape: number[]; data: Float32Array }>;
}

/**
 * The trainer options every ensemble member (and a single network) trains with, in the main thread or
 * a worker: one place, so the threaded and sequential paths cannot drift apart.
 */
export function memberFitOptions(o: {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  classWeight?: number[] | undefined;
}) {
  return {
    epochs: o.epochs,
    batchSize: o.batchSize,
    loss: 'sparseCategoricalCrossentropy' as const,
    optimizer: 'adam' as const,
    learningRate: o.learningRate,
    lrSchedule: { type: 'cosine' as const, warmupEpochs: 1 },
    seed: o.seed,
    ...(o.classWeight ? { classWeight: o.classWeight } : {}),
  };
}

/** Worker threads worth starting for `members` networks: one per core, at most one per member. */
export function parallelWorkers(members: number): number {
  return Math.max(1, Math.min(members, availableParallelism()));
}

/**
 * This module's file, read when asked (never at import, so that a bundle of either build loads): from
 * `import.meta.url`, which is the file's own in the ESM build and an ES module bundle and tsup's shim of
 * `__filename` in the CommonJS build. Undefined in a CommonJS bundle of the ESM build (esbuild empties
 * `import.meta` there). The worker file is not next to a bundle unless copied there.
 */
function moduleFile(): string | undefined {
  const url: unknown = import.meta.url;
  return typeof url === 'string' && url.startsWith('file:') ? fileURLToPath(url) : undefined;
}

/**
 * Where the worker entry is: next to this module when built (dist/member-worker.js, CommonJS, from both
 * the CommonJS and the ESM build), or the TypeScript source run through tsx when the package runs from
 * source (its own tests and benches). Undefined when it cannot be found — e.g. an application bundled
 * this package into one file without copying dist/member-worker.js — and the members then train one
 * after another.
 */
function workerEntry(): { file: string; source: boolean } | undefined {
  const here = moduleFile();
  if (!here) return undefined;
  const source = here.endsWith('.ts');
  const file = join(here, '..', source ? 'member-worker.ts' : 'member-worker.js');
  return existsSync(file) ? { file, source } : undefined;
}

/** Whether worker threads can be started for ensemble members here. */
export function memberWorkersAvailable(): boolean {
  return workerEntry() !== undefined;
}

function startWorker(): Worker {
  const entry = workerEntry();
  if (!entry) throw new AppliedMLError('E_INTERNAL', 'The ensemble worker entry (member-worker.js) is missing beside the package.');
  if (!entry.source) return new Worker(entry.file);
  // From source: tsx compiles the worker; resolved from this file, not from the process's cwd.
  const tsx = createRequire(entry.file).resolve('tsx/cjs');
  return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(entry.file)});`, {
    eval: true,
    execArgv: ['--conditions=@appliedml/source'],
  });
}

/** Runs `job` on `worker`; an abort of `signal` rejects at once with E_ABORTED naming `what` (the caller terminates the worker). */
function runOn(worker: Worker, job: MemberJob, abort: EventLoopAbort): Promise<MemberResult> {
  const { signal, what } = abort;
  return new Promise((resolve, reject) => {
    const fail = (error: unknown, message: string): void => {
      cleanup();
      reject(error instanceof AppliedMLError ? error : new AppliedMLError('E_TRAINING_FAILED', message, { cause: error }));
    };
    const onMessage = (m: { ok: boolean; result?: MemberResult; message?: string; code?: unknown }): void => {
      cleanup();
      if (m.ok && m.result) resolve(m.result);
      else {
        // Keep the worker's own typed code (a device or memory error), else it is a training failure.
        const code = ERROR_CODES.includes(m.code as ErrorCode) ? (m.code as ErrorCode) : 'E_TRAINING_FAILED';
        reject(new AppliedMLError(code, `An ensemble member failed in its worker thread: ${m.message ?? 'unknown error'}`));
      }
    };
    const onError = (e: Error): void => fail(e, `An ensemble member's worker thread failed: ${e.message}`);
    const onExit = (code: number): void => fail(undefined, `An ensemble member's worker thread exited (code ${code}) before it finished.`);
    const onAbort = (): void => fail(abortedError(signal as AbortSignal, what), '');
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('messageerror', onError);
      worker.off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('messageerror', onError);
    worker.on('exit', onExit);
    signal?.addEventListener('abort', onAbort);
    worker.postMessage(job);
  });
}

/** One set of training rows [n × frames × dim] (a front end's), which one or more members train on. */
export interface MemberInput {
  rows: readonly Float32Array[];
  shape: [number, number, number];
}

/**
 * Trains the networks of an ensemble at the same time in worker threads (one per core), each exactly as
 * the sequential loop would (same initial weights, trainer seed and batch augmentation), and loads the
 * trained weights back into `networks`. Member m trains on `inputs[inputOf(m)]`. Returns the members'
 * reports in order. An abort of `abort.signal` rejects at once with E_ABORTED naming `abort.what`, the
 * workers stopped (`networks` may then hold some members' trained weights: the caller discards them).
 */
export async function trainMembersInWorkers(
  networks: tf.LayersModel[],
  inputs: readonly MemberInput[],
  inputOf: (member: number) => number,
  y: readonly number[],
  jobOf: (member: number) => Omit<MemberJob, 'topology' | 'weights' | 'x' | 'shape' | 'y'>,
  workers = parallelWorkers(networks.length),
  abort: EventLoopAbort = { what: 'trainMembersInWorkers' },
): Promise<TrainingReport[]> {
  throwIfAborted(abort.signal, abort.what);
  // Each input's rows go once into shared memory that every worker reads (not copied between threads).
  const shared = inputs.map(({ rows, shape }) => {
    const per = shape[1] * shape[2];
    const x = new SharedArrayBuffer(rows.length * per * 4);
    const view = new Float32Array(x);
    rows.forEach((r, i) => view.set(r, i * per));
    return { x, shape };
  });
  const sharedY = new SharedArrayBuffer(y.length * 4);
  new Float32Array(sharedY).set(y);
  const pool = Array.from({ length: Math.min(workers, networks.length) }, startWorker);
  const reports: TrainingReport[] = new Array(networks.length);
  let next = 0;
  let failed = false;
  try {
    await Promise.all(
      pool.map(async (worker) => {
        while (!failed && next < networks.length) {
          throwIfAborted(abort.signal, abort.what);
          const member = next++;
          const network = networks[member] as tf.LayersModel;
          const input = shared[inputOf(member)];
          if (!input) throw new AppliedMLError('E_INTERNAL', `Ensemble member ${member} has no training input.`);
          const job: MemberJob = {
            ...jobOf(member),
            topology: network.toJSON(undefined, false),
            weights: network.getWeights().map((t) => ({ shape: t.shape, data: (t.dataSync() as Float32Array).slice() })),
            x: input.x,
            shape: input.shape,
            y: sharedY,
          };
          const result = await runOn(worker, job, abort).catch((error: unknown) => {
            failed = true;
            throw error;
          });
          const trained = result.weights.map((w) => tf.tensor(w.data, w.shape));
          network.setWeights(trained);
          trained.forEach((t) => t.dispose());
          reports[member] = result.report;
        }
      }),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return reports;
}

/**
 * The trainer's per-batch augment hook for a [batch × frames × dim] tensor, shared by the sequential
 * path and the workers: time shift, stretch and SpecAugment through `augmentBatch`. `data` replaces the
 * batch's values when the caller has rebuilt them (fresh copies).
 */
export function augmentBatchTensor(xb: tf.Tensor, layout: FrameLayout, config: AugmentConfig, data?: Float32Array): tf.Tensor3D {
  const [b, f, d] = xb.shape as [number, number, number];
  return tf.tensor3d(augmentBatch(data ?? (xb.dataSync() as Float32Array), b, f, d, layout.blocks, config, layout.blockDim), [b, f, d]);
}
