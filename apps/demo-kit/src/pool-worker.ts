import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { threadId, workerData } from 'node:worker_threads';
import { AppliedMLError } from '@appliedml/engine';
import type { InferenceModel, InfoAnswer, LoadModel, Outcome, WireError, WorkerSetup, WorkerTask } from './pool-protocol';

// One piscina worker: loads the model once when the thread starts (its own engine, its own model)
// and answers batches. Errors travel back as plain {code, message, details}: a thrown error would
// lose its code crossing the thread boundary.

function toWire(error: unknown): WireError {
  if (AppliedMLError.isInstance(error)) return { code: error.code, message: error.message, details: { ...error.details } };
  return { code: 'E_INTERNAL', message: error instanceof Error ? error.message : String(error), details: {} };
}

const setup = workerData as WorkerSetup;

const loaded: Promise<{ model: InferenceModel<unknown, unknown> } | { error: WireError }> = (async () => {
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
})();

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

export default async function run(task: WorkerTask): Promise<InfoAnswer | Outcome[]> {
  const state = await loaded;
  if ('error' in state)
    return task.kind === 'info' ? { ok: false, error: state.error } : task.inputs.map(() => ({ ok: false, error: state.error }));
  if (task.kind === 'info') return { ok: true, info: state.model.info ?? {}, threadId };
  return batch(state.model, task.inputs);
}
