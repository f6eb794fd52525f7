// Measures one tfjs backend ('wasm' or 'js') in its own process, so each backend gets a clean
// engine and its own peak RSS. Started by run.ts:
//   tfjs-worker.ts --backend wasm|js --plan <plan.json> --result <result.json>
// Progress goes to stderr; the result is written as JSON to --result.
import { readFile, writeFile } from 'node:fs/promises';
import { fitModel, initEngine, predictBatched, tf } from '../src/index';
import type { LossName } from '../src/index';
import { readData } from './data';
import type { BenchData } from './data';
import { buildModel } from './models';
import type { BackendResult, ModelId, Plan, TfjsBackend, Workload } from './plan';
import { INFER_BATCH_SIZES, INFER_MODELS, TRAIN_CASES, inferKey } from './plan';
import { formatRate, median } from './stats';

interface Dataset {
  x: tf.Tensor;
  y: tf.Tensor;
  loss: LossName;
}

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? process.argv[i + 1] : undefined;
  if (!value) throw new Error(`tfjs-worker: missing ${name}`);
  return value;
}

function oneHot(labels: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((label, i) => {
    out[i * classes + label] = 1;
  });
  return out;
}

function makeDatasets(data: BenchData): Record<ModelId, Dataset> {
  const n = data.files.mnistRows;
  const labels = tf.tensor2d(oneHot(data.mnistLabels, 10), [n, 10]);
  const m = data.files.seqRows;
  return {
    mlp: { x: tf.tensor2d(data.mnistX, [n, 784]), y: labels, loss: 'categoricalCrossentropy' },
    cnn: { x: tf.tensor4d(data.mnistX, [n, 28, 28, 1]), y: labels, loss: 'categoricalCrossentropy' },
    lstm: {
      x: tf.tensor3d(data.seqX, [m, data.files.seqSteps, data.files.seqFeatures]),
      y: tf.tensor2d(data.seqY, [m, 1]),
      loss: 'meanSquaredError',
    },
  };
}

function firstRows(t: tf.Tensor, rows: number): tf.Tensor {
  return tf.slice(t, 0, Math.min(rows, t.shape[0] ?? 0));
}

/** Median of a few timed square matmuls, GFLOP/s (for the machine line). */
function sgemm(size: number, repeats: number): number {
  const a = tf.randomNormal([size, size]);
  const b = tf.randomNormal([size, size]);
  const times: number[] = [];
  for (let r = 0; r < repeats + 1; r++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    const dt = (performance.now() - t0) / 1000;
    c.dispose();
    if (r > 0) times.push(dt);
  }
  tf.dispose([a, b]);
  return (2 * size ** 3) / median(times) / 1e9;
}

function log(backend: string, message: string): void {
  process.stderr.write(`[${backend}] ${message}\n`);
}

async function measureTraining(
  backend: TfjsBackend,
  plan: Plan,
  work: Workload,
  sets: Record<ModelId, Dataset>,
  result: BackendResult,
): Promise<void> {
  for (const c of TRAIN_CASES) {
    const set = sets[c.model];
    const steps = work.trainSteps[c.id] ?? 1;
    const warm = work.warmupSteps[c.id] ?? 1;
    const before = tf.memory().numTensors;
    const model = buildModel(c.model, plan.seed);
    const x = firstRows(set.x, steps * c.batchSize);
    const y = firstRows(set.y, steps * c.batchSize);
    const wx = firstRows(set.x, warm * c.batchSize);
    const wy = firstRows(set.y, warm * c.batchSize);
    const rows = x.shape[0] ?? 0;
    const fit = (tx: tf.Tensor, ty: tf.Tensor, epochs: number, seed: number): Promise<unknown> =>
      fitModel(model, tx, ty, { epochs, batchSize: c.batchSize, loss: set.loss, seed, progress: false });
    try {
      await fit(wx, wy, 1, plan.seed);
      // One untimed pass sizes the repeats: whole passes (epochs over the same rows) of at least minTrainSeconds.
      let passes = 1;
      if (work.minTrainSeconds > 0) {
        const t0 = performance.now();
        await fit(x, y, 1, plan.seed);
        passes = Math.max(1, Math.ceil(work.minTrainSeconds / Math.max((performance.now() - t0) / 1000, 1e-6)));
      }
      const rates: number[] = [];
      for (let r = 0; r < work.trainRepeats; r++) {
        const t0 = performance.now();
        await fit(x, y, passes, plan.seed + r + 1);
        const seconds = (performance.now() - t0) / 1000;
        rates.push((passes * rows) / seconds);
        log(
          backend,
          `train ${c.id}: ${formatRate((passes * rows) / seconds)} samples/s (repeat ${r + 1}/${work.trainRepeats}, ${passes} × ${steps} steps, ${seconds.toFixed(2)} s)`,
        );
      }
      result.train[c.id] = { samplesPerSecond: rates, samples: passes * rows, passes };
    } catch (error) {
      log(backend, `train ${c.id} failed: ${(error as Error).message}`);
      result.info[`error ${c.id}`] = (error as Error).message;
    } finally {
      tf.dispose([x, y, wx, wy]);
      model.dispose();
    }
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) result.info[`tensorsLeft ${c.id}`] = leaked;
  }
}

function measureInference(backend: TfjsBackend, plan: Plan, work: Workload, sets: Record<ModelId, Dataset>, result: BackendResult): void {
  for (const id of INFER_MODELS) {
    const before = tf.memory().numTensors;
    const model = buildModel(id, plan.seed);
    const x = firstRows(sets[id].x, work.inferRows[id]);
    const rows = x.shape[0] ?? 0;
    try {
      for (const batchSize of INFER_BATCH_SIZES) {
        // The warm-up pass also sizes the repeats: whole passes until a repeat lasts minInferSeconds.
        const t0 = performance.now();
        predictBatched(model, x, { batchSize });
        const once = (performance.now() - t0) / 1000;
        const passes = Math.max(1, Math.ceil(work.minInferSeconds / Math.max(once, 1e-6)));
        const rates: number[] = [];
        for (let r = 0; r < work.inferRepeats; r++) {
          const t1 = performance.now();
          for (let p = 0; p < passes; p++) predictBatched(model, x, { batchSize });
          rates.push((passes * rows) / ((performance.now() - t1) / 1000));
        }
        result.infer[inferKey(id, batchSize)] = { samplesPerSecond: rates, samples: passes * rows, passes };
        log(
          backend,
          `predict ${id} batch ${batchSize}: median ${formatRate(median(rates))} samples/s (${work.inferRepeats} × ${passes} pass(es) of ${rows} rows)`,
        );
      }
    } catch (error) {
      log(backend, `predict ${id} failed: ${(error as Error).message}`);
      result.info[`error predict ${id}`] = (error as Error).message;
    } finally {
      x.dispose();
      model.dispose();
    }
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) result.info[`tensorsLeft predict ${id}`] = leaked;
  }
}

async function main(): Promise<void> {
  const backend = arg('--backend') as TfjsBackend;
  const plan = JSON.parse(await readFile(arg('--plan'), 'utf8')) as Plan;
  const resultPath = arg('--result');
  const work = plan.workloads[backend];
  const result: BackendResult = { backend, ok: false, info: {}, train: {}, infer: {} };
  try {
    const engine = await initEngine(backend === 'wasm-2t' ? { device: 'wasm', wasmThreads: 2 } : { device: backend });
    result.info.backend = engine.backend;
    for (const [k, v] of Object.entries(engine.details)) result.info[k] = v;
    log(backend, `engine ready: tfjs ${tf.version_core}, backend ${engine.backend}`);
    const data = await readData(plan.dataDir, plan.data);
    const sets = makeDatasets(data);
    const size = backend === 'js' ? 512 : 1024;
    result.sgemmGflops = sgemm(size, plan.quick ? 2 : 5);
    result.info.sgemmSize = size;
    log(backend, `sgemm ${size}²: ${result.sgemmGflops.toFixed(1)} GFLOP/s`);
    await measureTraining(backend, plan, work, sets, result);
    measureInference(backend, plan, work, sets, result);
    tf.dispose([sets.mlp.x, sets.mlp.y, sets.cnn.x, sets.lstm.x, sets.lstm.y]);
    result.ok = true;
  } catch (error) {
    result.reason = (error as Error).message;
    log(backend, `failed: ${result.reason}`);
  }
  const usage = process.resourceUsage();
  result.maxRssMiB = usage.maxRSS / 1024;
  result.cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  await writeFile(resultPath, JSON.stringify(result));
}

void main();
