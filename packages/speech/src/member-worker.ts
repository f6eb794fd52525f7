// Worker-thread entry: trains one ensemble member (see parallel-members.ts). Built as its own file
// (dist/member-worker.js); never imported by the package's index.
import { parentPort } from 'node:worker_threads';
import { fitModel, initEngine, networkSkeleton, tf } from '@appliedml/engine';
import { augmentBatchTensor, memberFitOptions, type MemberJob, type MemberResult } from './parallel-members';

async function run(job: MemberJob): Promise<MemberResult> {
  // One wasm thread per worker: the workers themselves are the parallelism.
  await initEngine({ device: job.device, wasmThreads: 1 });
  // Built without running initialisers (the member's initial weights come from the main thread, just below).
  const network = await networkSkeleton(job.topology as object);
  const initial = job.weights.map((w) => tf.tensor(w.data, w.shape));
  network.setWeights(initial);
  initial.forEach((t) => t.dispose());
  const [n, frames, dim] = job.shape;
  const x = tf.tensor3d(new Float32Array(job.x), [n, frames, dim]);
  const y = tf.tensor1d(new Float32Array(job.y), 'float32');
  try {
    const aug = job.augment;
    const report = await fitModel(network, x, y, {
      ...memberFitOptions(job),
      ...(aug
        ? {
            augment: (xb: tf.Tensor) => augmentBatchTensor(xb, job.layout, aug),
          }
        : {}),
      progress: false,
    });
    const weights = network.getWeights().map((t) => ({ shape: t.shape, data: (t.dataSync() as Float32Array).slice() }));
    return { report, weights };
  } finally {
    x.dispose();
    y.dispose();
    network.dispose();
  }
}

parentPort?.on('message', (job: MemberJob) => {
  run(job).then(
    (result) =>
      parentPort?.postMessage(
        { ok: true, result },
        result.weights.map((w) => w.data.buffer as ArrayBuffer),
      ),
    (error: unknown) =>
      parentPort?.postMessage({
        ok: false,
        message: error instanceof Error ? error.message : String(error),
        code: (error as { code?: unknown })?.code,
      }),
  );
});
