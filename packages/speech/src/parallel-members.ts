import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AppliedMLError, tf, type Device, type TrainingReport } from '@appliedml/engine';
import type { AugmentConfig } from './augment';

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
  /** Per-batch augmentation (time shift, stretch, SpecAugment), or null for none. */
  augment: AugmentConfig | null;
  blocks: number;
}

export interface MemberResult {
  report: TrainingReport;
  weights: Array<{ shape: number[]; data: Float32Array }>;
}

/** Worker threads worth starting for `members` networks: one per core, at most one per member. */
export function parallelWorkers(members: number): number {
  return Math.max(1, Math.min(members, availableParallelism()));
}

/**
 * Where the worker entry is: next to this module when built (dist/member-worker.js, CommonJS), or the
 * TypeScript source run through tsx when the package runs from source (its tests and benches).
 */
function startWorker(): Worker {
  const here = typeof __filename === 'string' ? __filename : '';
  if (here.endsWith('.ts')) {
    const entry = join(here, '..', 'member-worker.ts');
    return new Worker(`require('tsx/cjs'); require(${JSON.stringify(entry)});`, {
      eval: true,
      execArgv: ['--conditions=@appliedml/source'],
    });
  }
  return new Worker(join(here, '..', 'member-worker.js'));
}

function runOn(worker: Worker, job: MemberJob): Promise<MemberResult> {
  return new Promise((resolve, reject) => {
    const fail = (error: unknown, message: string): void => {
      cleanup();
      reject(error instanceof AppliedMLError ? error : new AppliedMLError('E_TRAINING_FAILED', message, { cause: error }));
    };
    const onMessage = (m: { ok: boolean; result?: MemberResult; message?: string }): void => {
      cleanup();
      if (m.ok && m.result) resolve(m.result);
      else
        reject(new AppliedMLError('E_TRAINING_FAILED', `An ensemble member failed in its worker thread: ${m.message ?? 'unknown error'}`));
    };
    const onError = (e: Error): void => fail(e, `An ensemble member's worker thread failed: ${e.message}`);
    const onExit = (code: number): void => fail(undefined, `An ensemble member's worker thread exited (code ${code}) before it finished.`);
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(job);
  });
}

/**
 * Trains the networks of an ensemble at the same time in worker threads (one per core), each exactly as
 * the sequential loop would (same initial weights, trainer seed and batch augmentation), and loads the
 * trained weights back into `networks`. Returns the members' reports in order.
 */
export async function trainMembersInWorkers(
  networks: tf.LayersModel[],
  x: Float32Array,
  shape: [number, number, number],
  y: Float32Array,
  jobOf: (member: number) => Omit<MemberJob, 'topology' | 'weights' | 'x' | 'shape' | 'y'>,
  workers = parallelWorkers(networks.length),
): Promise<TrainingReport[]> {
  const sharedX = new SharedArrayBuffer(x.byteLength);
  new Float32Array(sharedX).set(x);
  const sharedY = new SharedArrayBuffer(y.byteLength);
  new Float32Array(sharedY).set(y);
  const pool = Array.from({ length: Math.min(workers, networks.length) }, startWorker);
  const reports: TrainingReport[] = new Array(networks.length);
  let next = 0;
  try {
    await Promise.all(
      pool.map(async (worker) => {
        while (next < networks.length) {
          const member = next++;
          const network = networks[member] as tf.LayersModel;
          const job: MemberJob = {
            ...jobOf(member),
            topology: network.toJSON(undefined, false),
            weights: network.getWeights().map((t) => ({ shape: t.shape, data: (t.dataSync() as Float32Array).slice() })),
            x: sharedX,
            shape,
            y: sharedY,
          };
          const result = await runOn(worker, job);
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
