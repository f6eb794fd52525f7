import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '#tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError } from '../errors';
import { fitModel } from '../train/trainer';
import { disableWasmThreads, enableWasmThreads, maxWasmThreads, wasmThreadsInfo } from './wasm-threads';

// This file changes process-wide state (tfjs backends, globals while the backend starts). The root
// Vitest config runs every test file in its own forked process, so nothing leaks into other files.

const N = 256;

/** Deterministic values in [-1, 1). */
function values(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function buildModel(): tf.Sequential {
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [8], units: 16, activation: 'relu' }), tf.layers.dense({ units: 3, activation: 'softmax' })],
  });
  model.setWeights(
    model.getWeights().map((w, i) =>
      tf.tensor(
        values(w.size, 100 + i).map((v) => v * 0.5),
        w.shape,
      ),
    ),
  );
  return model;
}

interface TrainResult {
  before: Float32Array;
  after: Float32Array;
  losses: number[];
}

/** Train the same small model on whatever backend is active; return predictions and losses. */
async function trainSmallModel(): Promise<TrainResult> {
  const x = tf.tensor2d(values(64 * 8, 7), [64, 8]);
  const labels = Array.from(values(64, 9), (v) => Math.floor((v + 1) * 1.5) % 3);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 3).toFloat();
  const model = buildModel();
  try {
    const before = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    const report = await fitModel(model, x, y, {
      epochs: 3,
      batchSize: 16,
      loss: 'categoricalCrossentropy',
      optimizer: 'sgd',
      learningRate: 0.1,
      shuffle: false,
      seed: 1,
      progress: false,
    });
    const after = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    return { before, after, losses: report.history.map((h) => h.loss) };
  } finally {
    model.dispose();
    tf.dispose([x, y]);
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

function matmul(): Float32Array {
  return tf.tidy(() => tf.matMul(tf.tensor2d(values(N * N, 1), [N, N]), tf.tensor2d(values(N * N, 2), [N, N])).dataSync() as Float32Array);
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return AppliedMLError.isInstance(error) ? error.code : `not an AppliedMLError: ${String(error)}`;
  }
  return undefined;
}

const original = {
  Blob: globalThis.Blob,
  createObjectURL: URL.createObjectURL,
  postMessage: Worker.prototype.postMessage,
  cpus: os.cpus,
  cpuCount: os.cpus().length,
  hasWorkerGlobal: 'Worker' in globalThis,
};

function expectPatchesRestored(): void {
  expect(globalThis.Blob).toBe(original.Blob);
  expect(URL.createObjectURL).toBe(original.createObjectURL);
  expect(Worker.prototype.postMessage).toBe(original.postMessage);
  expect(os.cpus).toBe(original.cpus);
  expect(os.cpus().length).toBe(original.cpuCount);
  expect('Worker' in globalThis).toBe(original.hasWorkerGlobal);
}

describe('wasm threads', () => {
  let jsMatmul: Float32Array;
  let jsTraining: TrainResult;
  let tempDir = '';

  beforeAll(async () => {
    tf.enableProdMode();
    await tf.setBackend('cpu');
    jsMatmul = matmul();
    jsTraining = await trainSmallModel();
  });

  afterAll(async () => {
    // Terminates the worker threads, so the forked test process can exit.
    await disableWasmThreads();
  });

  it('rejects thread counts that are not an integer from 2 to maxWasmThreads() with E_INPUT_INVALID', async () => {
    expect(maxWasmThreads()).toBeGreaterThanOrEqual(2);
    // A count whose toString throws, or that has none, is refused like the others (it threw untyped).
    const throwing = {
      toString(): string {
        throw new Error('no text');
      },
    };
    const odd = [1, 0, -2, 2.5, Number.NaN, Number.POSITIVE_INFINITY, maxWasmThreads() + 1, '2', throwing, Object.create(null) as object];
    for (const [i, bad] of odd.entries()) {
      expect(await codeOf(enableWasmThreads(bad as number)), `threads #${i}`).toBe('E_INPUT_INVALID');
    }
    expect(wasmThreadsInfo()).toBeUndefined();
  });

  it('rejects bad options with E_INPUT_INVALID before anything starts (null, unknown names, a timer Node cannot keep)', async () => {
    const throwing = {
      toString(): string {
        throw new Error('no text');
      },
    };
    // null failed as a TypeError; a throwing initTimeoutMs threw its own error; 1e10 ms overflowed
    // Node's timer, which fired after 1 ms and failed the start at once.
    const bad = [
      null,
      5,
      { initTimeoutMs: throwing },
      { initTimeoutMs: 1e10 },
      { initTimeoutMs: 0 },
      { initTimeoutMs: Number.NaN },
      { initTimeoutMs: '100' },
      { inittimeoutms: 100 },
      { tempDir: 5 },
      { tempDir: '' },
      { mainScript: {} },
      { keepProcessAlive: 'yes' },
      { keepIdleWorkers: 1 },
    ];
    for (const [i, options] of bad.entries()) {
      expect(await codeOf(enableWasmThreads(2, options as never)), `options #${i}`).toBe('E_INPUT_INVALID');
    }
    expect(wasmThreadsInfo()).toBeUndefined();
  });

  it('tears everything down with E_DEVICE_UNAVAILABLE when a worker fails to load', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'appliedml-wasm-threads-test-'));
    const badGlue = path.join(dir, 'bad-glue.js');
    writeFileSync(badGlue, "throw new Error('bad glue');\n");
    const listeners = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
    try {
      const error = await enableWasmThreads(2, { mainScript: badGlue }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(AppliedMLError.hasCode(error, 'E_DEVICE_UNAVAILABLE')).toBe(true);
      expect((error as Error).message).toContain('bad glue');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(wasmThreadsInfo()).toBeUndefined();
    expect(tf.engine().registry.wasm).toBeUndefined();
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.env().getFlags().WASM_HAS_MULTITHREAD_SUPPORT).toBeUndefined();
    expect([process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')]).toEqual(listeners);
    expectPatchesRestored();
  });

  it('starts the wasm backend with 2 threads and puts every patch back', async () => {
    const info = await enableWasmThreads(2);
    tempDir = info.tempDir;
    expect(info.threads).toBe(2);
    expect(getThreadsCount()).toBe(2);
    expect(tf.getBackend()).toBe('wasm');
    expect(wasmThreadsInfo()?.threads).toBe(2);
    expect(path.basename(info.tempDir)).toMatch(/^appliedml-wasm-threads-/);
    // The workers loaded the script before the backend resolved, so the temp copy is already gone.
    expect(existsSync(info.tempDir)).toBe(false);
    expectPatchesRestored();
    // One XNNPACK worker besides the main thread; the idle pool workers were terminated.
    const pool = (tf.engine().registry.wasm as unknown as { wasm: { PThread: { runningWorkers: unknown[]; unusedWorkers: unknown[] } } })
      .wasm.PThread;
    expect([pool.runningWorkers.length, pool.unusedWorkers.length]).toEqual([1, 0]);
    // Same request again: nothing to do.
    expect((await enableWasmThreads(2)).threads).toBe(2);
  });

  it('multiplies 256×256 matrices like the JS backend', () => {
    expect(maxAbsDiff(matmul(), jsMatmul)).toBeLessThan(1e-4);
  });

  it('trains a small dense model with fitModel like the JS backend', async () => {
    const wasm = await trainSmallModel();
    expect(maxAbsDiff(wasm.before, jsTraining.before)).toBeLessThan(1e-5);
    expect(maxAbsDiff(wasm.losses, jsTraining.losses)).toBeLessThan(1e-4);
    expect(maxAbsDiff(wasm.after, jsTraining.after)).toBeLessThan(1e-4);
    // It did learn something: predictions moved and the loss went down.
    expect(maxAbsDiff(wasm.after, wasm.before)).toBeGreaterThan(1e-3);
    expect(wasm.losses[2]).toBeLessThan(wasm.losses[0]!);
  });

  it('disableWasmThreads terminates the workers, deletes temp files and keeps process listeners', async () => {
    const listener = (): void => undefined;
    process.on('unhandledRejection', listener);
    const listenersBefore = process.listenerCount('uncaughtException');
    try {
      expect(await disableWasmThreads()).toBe(true);
      expect(wasmThreadsInfo()).toBeUndefined();
      expect(existsSync(tempDir)).toBe(false);
      // tfjs' wasm dispose drops every such listener; disable must put the ones that were there back.
      expect(process.listeners('unhandledRejection')).toContain(listener);
      expect(process.listenerCount('uncaughtException')).toBeGreaterThanOrEqual(listenersBefore - 1);
      expect(tf.engine().registry.wasm).toBeUndefined();
      expect(tf.findBackendFactory('wasm')).not.toBeNull();
      expect(tf.env().getFlags().WASM_HAS_MULTITHREAD_SUPPORT).toBeUndefined();
      expect(await disableWasmThreads()).toBe(false);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });

  it('refuses to start threads once wasm runs single-threaded (E_DEVICE_UNAVAILABLE)', async () => {
    // The stock factory is back: wasm starts single-threaded again.
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(getThreadsCount()).toBe(1);
    expect(maxAbsDiff(matmul(), jsMatmul)).toBeLessThan(1e-4);
    expect(await codeOf(enableWasmThreads(2))).toBe('E_DEVICE_UNAVAILABLE');
    expect(getThreadsCount()).toBe(1);
  });

  it('a start that times out while its workers load rejects with E_DEVICE_UNAVAILABLE, and the process lives on (child process)', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const root = path.resolve(here, '../../../..');
    const require = createRequire(import.meta.url);
    const tfEntry = pathToFileURL(require.resolve('@tensorflow/tfjs-core')).href;
    const wasmEntry = pathToFileURL(require.resolve('@tensorflow/tfjs-backend-wasm')).href;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'appliedml-wasm-threads-test-'));
    const scripts = path.join(dir, 'scripts');
    mkdirSync(scripts);
    const child = path.join(dir, 'child.mjs');
    // 1 ms: the timer fires right after the glue made its pool, before any worker has loaded the script.
    // The teardown deleted the script under them, and Emscripten's handler rethrew the worker's
    // ERR_MODULE_NOT_FOUND on the main thread: the process died with exit code 7 before 'alive' was printed.
    writeFileSync(
      child,
      [
        `import * as tf from ${JSON.stringify(tfEntry)};`,
        `import { getThreadsCount } from ${JSON.stringify(wasmEntry)};`,
        `import { enableWasmThreads } from ${JSON.stringify(pathToFileURL(path.join(here, 'wasm-threads.ts')).href)};`,
        `tf.enableProdMode();`,
        `const error = await enableWasmThreads(2, { initTimeoutMs: 1, tempDir: ${JSON.stringify(scripts)} }).then(() => undefined, (e) => e);`,
        // Past the time the workers would have needed to find the script gone.
        `await new Promise((resolve) => setTimeout(resolve, 1500));`,
        // The documented way on: single-threaded wasm.
        `const backend = await tf.setBackend('wasm');`,
        `const sum = tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).sum().dataSync()[0]);`,
        `console.log('alive ' + JSON.stringify({ code: error?.code, message: error?.message, backend, sum, threads: getThreadsCount() }));`,
        // No disableWasmThreads() and no process.exit(): a worker left running would hold the process.
      ].join('\n'),
    );
    try {
      const { output, stderr } = await new Promise<{ output: string; stderr: string }>((resolve, reject) => {
        execFile(
          process.execPath,
          ['--conditions=@appliedml/source', '--import', 'tsx', child],
          { cwd: root, timeout: 90_000 },
          (error, stdout, stderr) =>
            error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve({ output: stdout, stderr }),
        );
      });
      const line = output.split('\n').find((l) => l.startsWith('alive '));
      expect(line, output).toBeDefined();
      expect(JSON.parse(line!.slice('alive '.length))).toEqual({
        code: 'E_DEVICE_UNAVAILABLE',
        message: 'The threaded wasm backend failed to start: no start within 1 ms.',
        backend: true,
        sum: 64 * 64 * 64,
        threads: 1,
      });
      expect(stderr).not.toContain('worker sent an error');
      // The worker script went once its workers had exited.
      expect(readdirSync(scripts)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets a process exit on its own while threads run (child process)', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const root = path.resolve(here, '../../../..');
    const tfEntry = pathToFileURL(createRequire(import.meta.url).resolve('@tensorflow/tfjs-core')).href;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'appliedml-wasm-threads-test-'));
    const child = path.join(dir, 'child.mjs');
    writeFileSync(
      child,
      [
        `import * as tf from ${JSON.stringify(tfEntry)};`,
        `import { enableWasmThreads } from ${JSON.stringify(pathToFileURL(path.join(here, 'wasm-threads.ts')).href)};`,
        `tf.enableProdMode();`,
        `const info = await enableWasmThreads(2);`,
        `tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync());`,
        // No disableWasmThreads() and no process.exit(): the unref'd workers must not hold the process.
        `console.log('threads=' + info.threads);`,
      ].join('\n'),
    );
    try {
      const output = await new Promise<string>((resolve, reject) => {
        // Held by its workers it would never exit: the timeout tells that apart from a slow start (tsx, tfjs
        // and the wasm threads take 2–7 s here, more on a loaded machine).
        execFile(
          process.execPath,
          ['--conditions=@appliedml/source', '--import', 'tsx', child],
          { cwd: root, timeout: 90_000 },
          (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
        );
      });
      expect(output).toContain('threads=2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
