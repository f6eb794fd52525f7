import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { AppliedMLError } from '@appliedml/engine';
import { INTERNAL_MESSAGE } from './http-errors';
import { TASK_PENDING, TASK_STARTED } from './pool-protocol';
import type { InferenceModel, InfoAnswer, LoadedMessage, LoadModel, Outcome, WireError, WorkerSetup, WorkerTask } from './pool-protocol';

// One piscina worker: starts loading the model when the thread starts (piscina imports this
// module at start-up; its own engine, its own model), and every task waits for that load. No
// top-level await: inside the repository this module is loaded through tsx's CommonJS hook (see
// below), which cannot compile it. `ready()` in the pool proves each worker finished loading.
// Errors travel back as plain {code, message, details}: a thrown error would lose its code
// crossing the thread boundary. A non-SDK error's own message never becomes the answer's message.

function frames(stack: unknown): string[] {
  if (typeof stack !== 'string') return [];
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .map((line) => line.trim())
    .slice(0, 20);
}

function toWire(error: unknown): WireError {
  if (AppliedMLError.isInstance(error)) return { code: error.code, message: error.message, details: { ...error.details } };
  const e = error instanceof Error ? error : undefined;
  return {
    code: 'E_INTERNAL',
    message: INTERNAL_MESSAGE,
    details: {},
    internal: { name: e?.name ?? typeof error, message: e ? e.message : String(error), frames: frames(e?.stack) },
  };
}

const setup = workerData as WorkerSetup;

type State = { model: InferenceModel<unknown, unknown> } | { error: WireError };

async function loadModel(): Promise<State> {
  try {
    const url = setup.module.startsWith('file:') ? setup.module : pathToFileURL(setup.module).href;
    // TypeScript sources (inside the repository) go through tsx's require hook: on Node 20 the
    // ESM loader hooks that tsx registers do not reach dynamic imports inside worker threads.
    const mod = (url.endsWith('.ts') ? createRequire(import.meta.url)(fileURLToPath(url)) : await import(url)) as {
      load?: LoadModel<unknown, unknown>;
    };
    if (typeof mod.load !== 'function')
      throw new AppliedMLError('E_INTERNAL', `The worker module ${setup.module} does not export a load(bundle) function.`);
    return { model: await mod.load(setup.bundle, setup.options) };
  } catch (error) {
    return { error: toWire(error) };
  }
}

// Tell the pool once the model is here: it counts this worker as ready only then (a replacement
// for a worker that died, during a task or between tasks, holds readiness down until it has loaded).
const loaded: Promise<State> = loadModel().then((state) => {
  if (!('error' in state)) parentPort?.postMessage({ kind: 'appliedml-model-loaded', threadId } satisfies LoadedMessage);
  return state;
});

type WaitAsync = (array: Int32Array, index: number, value: number, timeout: number) => { async: boolean; value: unknown };

/** Arrive at the readiness barrier and wait (without blocking the thread) until every party has. */
async function arriveAndWait(buffer: SharedArrayBuffer, parties: number, timeoutMs: number): Promise<boolean> {
  const barrier = new Int32Array(buffer);
  Atomics.add(barrier, 0, 1);
  Atomics.notify(barrier, 0);
  const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const arrived = Atomics.load(barrier, 0);
    if (arrived >= parties) return true;
    if (Atomics.load(barrier, 1) !== 0) return false;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    const wait = waitAsync(barrier, 0, arrived, left);
    if (wait.async) await wait.value;
  }
}

async function batch(model: InferenceModel<unknown, unknown>, inputs: unknown[]): Promise<Outcome[]> {
  try {
    const values = await model.predictBatch(inputs);
    if (!Array.isArray(values) || values.length !== inputs.length)
      throw new AppliedMLError(
        'E_INTERNAL',
        `predictBatch returned ${Array.isArray(values) ? values.length : 'no'} results for ${inputs.length} inputs.`,
      );
    return values.map((value) => ({ ok: true, value }));
  } catch (error) {
    // One bad input must not fail its neighbours: answer each input on its own.
    if (inputs.length === 1) return [{ ok: false, error: toWire(error) }];
    const outcomes: Outcome[] = [];
    for (const input of inputs) outcomes.push(...(await batch(model, [input])));
    return outcomes;
  }
}

export default async function run(task: WorkerTask): Promise<InfoAnswer | Outcome[] | boolean> {
  const state = await loaded;
  if (task.kind === 'ping') return !('error' in state);
  if ('error' in state) {
    if (task.kind === 'info') {
      // Count as arrived (the pool cancels the others on this answer) and fail at once.
      const barrier = new Int32Array(task.barrier);
      Atomics.add(barrier, 0, 1);
      Atomics.notify(barrier, 0);
      return { ok: false, error: state.error };
    }
    return task.inputs.map(() => ({ ok: false, error: state.error }));
  }
  if (task.kind === 'info') {
    const complete = await arriveAndWait(task.barrier, task.parties, task.timeoutMs);
    return { ok: true, info: state.model.info ?? {}, threadId, complete };
  }
  if (task.control) {
    // Claim the task before starting: the pool may have dropped it while it waited (for this
    // worker's model load, or in the queue); then nobody waits for its answer and no work is done.
    if (Atomics.compareExchange(new Int32Array(task.control, 0, 1), 0, TASK_PENDING, TASK_STARTED) !== TASK_PENDING) return [];
    new Float64Array(task.control, 8, 1)[0] = Date.now();
  }
  return batch(state.model, task.inputs);
}
