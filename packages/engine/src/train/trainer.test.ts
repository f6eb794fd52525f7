import * as tf from '#tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../device/engine';
import { AppliedMLError } from '../errors';
import { createRng, withSeededRandom } from '../random';
import { evaluateLoss, fitModel } from './trainer';
import { LOSSES } from './losses';

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

/** Two noisy Gaussian blobs in 8-D; `positives` sets the class balance. */
function blobs(n: number, seed: number, positives = 0.5, spread = 1.5): { x: tf.Tensor2D; y: tf.Tensor2D; labels: number[] } {
  const rng = createRng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const xs: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = rng.next() < positives ? 1 : 0;
    labels.push(label);
    for (let d = 0; d < 8; d++) xs.push(gauss() * spread + (label ? 1 : -1) * (d < 3 ? 1 : 0));
  }
  return { x: tf.tensor2d(xs, [n, 8]), y: tf.tensor2d(labels, [n, 1]), labels };
}

/** The test MLP; `first` adds options to its first dense layer (a regularizer, a constraint). */
function mlp(seed: number, l2 = 0, first: Partial<Parameters<typeof tf.layers.dense>[0]> = {}): tf.LayersModel {
  return withSeededRandom(createRng(seed), () =>
    tf.sequential({
      layers: [
        tf.layers.dense({
          inputShape: [8],
          units: 16,
          activation: 'relu',
          ...(l2 ? { kernelRegularizer: tf.regularizers.l2({ l2 }) } : {}),
          ...first,
        }),
        tf.layers.dropout({ rate: 0.2 }),
        tf.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    }),
  );
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => 'no error',
    (e: unknown) => e,
  );
  expect(AppliedMLError.hasCode(err, code as never), `expected ${code}, got ${String(err)}`).toBe(true);
}

describe('fitModel', () => {
  it('learns a separable problem, reports history and leaks no tensor', async () => {
    const { x, y } = blobs(600, 1);
    const model = mlp(1);
    const before = tf.memory().numTensors;
    const report = await fitModel(model, x, y, {
      epochs: 8,
      batchSize: 32,
      loss: 'binaryCrossentropy',
      validationSplit: 0.25,
      seed: 5,
      learningRate: 0.01,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.history).toHaveLength(8);
    expect(report.history[7]!.valAccuracy).toBeGreaterThan(0.8);
    expect(report.history[7]!.loss).toBeLessThan(report.history[0]!.loss);
    expect(report.samplesPerSecond).toBeGreaterThan(0);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('gives the same result for the same seed and a different one for another seed', async () => {
    const { x, y } = blobs(300, 2);
    const run = async (seed: number): Promise<number[]> => {
      const model = mlp(7);
      const r = await fitModel(model, x, y, { epochs: 3, batchSize: 16, loss: 'binaryCrossentropy', seed });
      const w = Array.from(model.getWeights()[0]!.dataSync());
      model.dispose();
      return [...r.history.map((h) => h.loss), ...w];
    };
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    tf.dispose([x, y]);
  });

  it('stops early and restores the best epoch’s weights', async () => {
    // Tiny noisy training set and a large learning rate: validation loss gets worse after a few epochs.
    const train = blobs(40, 3, 0.5, 3);
    const val = blobs(400, 4, 0.5, 3);
    const model = mlp(3);
    const report = await fitModel(model, train.x, train.y, {
      epochs: 60,
      batchSize: 8,
      loss: 'binaryCrossentropy',
      learningRate: 0.05,
      validationData: { x: val.x, y: val.y },
      earlyStopping: { patience: 3 },
      seed: 1,
    });
    expect(report.stoppedEarly).toBe(true);
    expect(report.epochsRun).toBeLessThan(60);
    expect(report.restoredBestWeights).toBe(true);
    const best = report.history[report.bestEpoch]!.valLoss!;
    expect(report.bestValue).toBeCloseTo(best, 6);
    const now = evaluateLoss(model, val.x, val.y, LOSSES.binaryCrossentropy, false, false);
    expect(now.loss).toBeCloseTo(best, 4);
    expect(Math.min(...report.history.map((h) => h.valLoss!))).toBeCloseTo(best, 6);
    tf.dispose([train.x, train.y, val.x, val.y]);
    model.dispose();
  });

  it('raises minority-class recall with class weights', async () => {
    const { x, y, labels } = blobs(800, 5, 0.1, 2);
    const recall = async (classWeight?: Record<number, number>): Promise<number> => {
      const model = mlp(5);
      await fitModel(model, x, y, {
        epochs: 6,
        batchSize: 32,
        loss: 'binaryCrossentropy',
        seed: 3,
        learningRate: 0.01,
        ...(classWeight ? { classWeight } : {}),
      });
      const p = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync().slice());
      model.dispose();
      let tp = 0;
      let pos = 0;
      labels.forEach((l, i) => {
        if (l === 1) {
          pos++;
          if ((p[i] as number) > 0.5) tp++;
        }
      });
      return tp / pos;
    };
    const plain = await recall();
    const weighted = await recall({ 0: 1, 1: 9 });
    expect(weighted).toBeGreaterThan(plain + 0.1);
    tf.dispose([x, y]);
  });

  it('sampleWeight weighs rows as classWeight weighs classes; a wrong count or a negative weight is refused', async () => {
    const { x, y, labels } = blobs(800, 5, 0.1, 2);
    const scores = async (weights: { classWeight?: Record<number, number>; sampleWeight?: number[] }): Promise<Float32Array> => {
      const model = mlp(5);
      await fitModel(model, x, y, { epochs: 6, batchSize: 32, loss: 'binaryCrossentropy', seed: 3, learningRate: 0.01, ...weights });
      const p = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
      model.dispose();
      return p;
    };
    const byClass = await scores({ classWeight: { 0: 1, 1: 9 } });
    const byRow = await scores({ sampleWeight: labels.map((l) => (l === 1 ? 9 : 1)) });
    for (let i = 0; i < byRow.length; i++) expect(byRow[i]).toBeCloseTo(byClass[i] as number, 5);
    const plain = await scores({});
    expect(Array.from(plain)).not.toEqual(Array.from(byRow));
    // With validationSplit the weights are given for every row of x; the held-out rows' weights go with them.
    const split = mlp(5);
    const report = await fitModel(split, x, y, {
      epochs: 1,
      loss: 'binaryCrossentropy',
      validationSplit: 0.2,
      sampleWeight: labels.map((l) => (l === 1 ? 9 : 1)),
    });
    expect(report.epochsRun).toBe(1);
    split.dispose();
    const model = mlp(5);
    const before = tf.memory().numTensors;
    for (const sampleWeight of [[1, 2], labels.map((_, i) => (i === 7 ? -1 : 1)), labels.map((_, i) => (i === 7 ? NaN : 1))])
      await expect(fitModel(model, x, y, { epochs: 1, loss: 'binaryCrossentropy', sampleWeight })).rejects.toMatchObject({
        code: expect.stringMatching(/E_SHAPE_MISMATCH|E_INPUT_INVALID/),
      });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    tf.dispose([x, y]);
  });

  it('follows a learning-rate schedule and calls the callbacks', async () => {
    const { x, y } = blobs(64, 6);
    const model = mlp(6);
    const seen: number[] = [];
    let batches = 0;
    const report = await fitModel(model, x, y, {
      epochs: 5,
      batchSize: 16,
      loss: 'binaryCrossentropy',
      learningRate: 0.1,
      lrSchedule: { type: 'step', every: 2, factor: 0.5 },
      callbacks: { onEpochEnd: (logs) => void seen.push(logs.epoch), onBatchEnd: () => void batches++ },
      seed: 1,
    });
    expect(report.history.map((h) => h.learningRate)).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(batches).toBe(5 * 4);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('adds L2 penalties to the loss', async () => {
    const { x, y } = blobs(64, 7);
    const plain = mlp(8);
    const penalised = mlp(8, 0.5);
    const a = await fitModel(plain, x, y, {
      epochs: 1,
      batchSize: 64,
      loss: 'binaryCrossentropy',
      seed: 1,
      learningRate: 1e-9,
      shuffle: false,
    });
    const b = await fitModel(penalised, x, y, {
      epochs: 1,
      batchSize: 64,
      loss: 'binaryCrossentropy',
      seed: 1,
      learningRate: 1e-9,
      shuffle: false,
    });
    const kernel = plain.getWeights()[0]!;
    const expectedPenalty = tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(kernel))).dataSync()[0] as number);
    expect(b.history[0]!.loss - a.history[0]!.loss).toBeCloseTo(expectedPenalty, 3);
    tf.dispose([x, y]);
    plain.dispose();
    penalised.dispose();
  });

  it('applies layer constraints after every update (maxNorm) without leaking', async () => {
    const { x, y } = blobs(128, 9);
    const model = mlp(2, 0, { kernelConstraint: tf.constraints.maxNorm({ maxValue: 0.5, axis: 0 }) });
    const before = tf.memory().numTensors;
    await fitModel(model, x, y, { epochs: 3, batchSize: 16, loss: 'binaryCrossentropy', learningRate: 0.1, seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    const norms = tf.tidy(() => Array.from(tf.sqrt(tf.sum(tf.square(model.getWeights()[0]!), 0)).dataSync()));
    norms.forEach((n) => expect(n).toBeLessThanOrEqual(0.5 + 1e-5));
    tf.dispose([x, y]);
    model.dispose();
  });

  it('buckets rows by length and hands augment the batch rows (variable-width inputs), without leaking', async () => {
    // Rows are padded sequences of 0..11 ones in 12 columns; the model reads the mean over the columns it gets.
    const n = 96;
    const lengths = Int32Array.from({ length: n }, (_, i) => 1 + ((i * 7) % 12));
    const x = tf.tensor2d(
      Array.from({ length: n * 12 }, (_, k) => (k % 12 < (lengths[Math.floor(k / 12)] as number) ? 1 : 0)),
      [n, 12],
    );
    const y = tf.tensor2d(
      Array.from(lengths, (l) => (l > 6 ? 1 : 0)),
      [n, 1],
    );
    const model = withSeededRandom(createRng(4), () =>
      tf.sequential({
        layers: [tf.layers.globalAveragePooling1d({ inputShape: [null, 1] }), tf.layers.dense({ units: 1, activation: 'sigmoid' })],
      }),
    );
    const spreads: number[] = [];
    const widths: number[] = [];
    const before = tf.memory().numTensors;
    await fitModel(model, x, y, {
      epochs: 2,
      batchSize: 8,
      loss: 'binaryCrossentropy',
      seed: 5,
      bucketBy: lengths,
      augment: (xb, rows) => {
        expect(rows).toHaveLength(xb.shape[0] as number);
        const ls = Array.from(rows, (r) => lengths[r] as number);
        spreads.push(Math.max(...ls) - Math.min(...ls));
        const width = Math.max(...ls);
        widths.push(width);
        return tf.expandDims(tf.slice(xb, [0, 0], [-1, width]), 2);
      },
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(spreads.length).toBe(2 * (n / 8));
    expect(spreads.reduce((a, b) => a + b, 0) / spreads.length).toBeLessThan(2); // random batches: ≈ 9
    expect(new Set(widths).size).toBeGreaterThan(4);
    await expectCode(fitModel(model, x, y, { epochs: 1, loss: 'binaryCrossentropy', bucketBy: lengths.subarray(1) }), 'E_SHAPE_MISMATCH');
    tf.dispose([x, y]);
    model.dispose();
  });

  it('rejects bad input with typed errors', async () => {
    const { x, y } = blobs(32, 8);
    const model = mlp(9);
    await expectCode(fitModel(model, x, y, { epochs: 0, loss: 'binaryCrossentropy' }), 'E_INPUT_INVALID');
    await expectCode(fitModel(model, x, y, { epochs: 1, loss: 'nope' as never }), 'E_INPUT_INVALID');
    await expectCode(fitModel(model, x, tf.zeros([31, 1]), { epochs: 1, loss: 'binaryCrossentropy' }), 'E_SHAPE_MISMATCH');
    await expectCode(fitModel(model, x, y, { epochs: 1, loss: 'binaryCrossentropy', validationSplit: 1.5 }), 'E_INPUT_INVALID');
    await expectCode(
      fitModel(model, x, y, { epochs: 1, loss: 'binaryCrossentropy', earlyStopping: { patience: 1, monitor: 'val_loss' } }),
      'E_INPUT_INVALID',
    );
    const bad = tf.fill([32, 8], NaN);
    const before = tf.memory().numTensors;
    await expectCode(fitModel(model, bad, y, { epochs: 1, loss: 'binaryCrossentropy' }), 'E_INPUT_INVALID');
    await expectCode(
      fitModel(model, x, y, { epochs: 2, loss: 'meanSquaredError', learningRate: 1e30, optimizer: 'sgd' }),
      'E_TRAINING_FAILED',
    );
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y, bad]);
    model.dispose();
  });

  it('gives the event loop a turn while it trains: a timer due at 20 ms fires long before a 1 s training ends', async () => {
    const { x, y } = blobs(2000, 32, 0.3, 2);
    const model = mlp(32);
    const started = performance.now();
    let fired = -1;
    const timer = setTimeout(() => {
      fired = performance.now() - started;
    }, 20);
    const report = await fitModel(model, x, y, { epochs: 40, batchSize: 16, loss: 'binaryCrossentropy', seed: 1 });
    clearTimeout(timer);
    const total = performance.now() - started;
    expect(total).toBeGreaterThan(500); // long enough for the check to mean something
    expect(fired).toBeGreaterThan(0);
    expect(fired).toBeLessThan(total / 2);
    expect(report.epochsRun).toBe(40);
    model.dispose();
    tf.dispose([x, y]);
  }, 60_000);
});
