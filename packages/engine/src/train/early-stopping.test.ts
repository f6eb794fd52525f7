// What EarlyStopping's TSDoc says, pinned: how many epochs `patience` lets pass, and which monitors
// measure the weights that are kept (the validation ones) and which do not (the training ones).
import * as tf from '#tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../device/engine';
import { createRng, withSeededRandom } from '../random';
import { evaluateLoss, fitModel } from './trainer';
import { resolveLoss } from './losses';

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

function regression(seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const x = tf.randomUniform([128, 4], -1, 1, 'float32', seed) as tf.Tensor2D;
  return { x, y: tf.tidy(() => tf.mul(tf.sum(x, 1, true), 2)) as tf.Tensor2D };
}

function model(seed: number): tf.LayersModel {
  return withSeededRandom(createRng(seed), () =>
    tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 8, activation: 'relu' }), tf.layers.dense({ units: 1 })] }),
  );
}

describe('early stopping, as documented', () => {
  it('stops after patience + 1 epochs in a row without an improvement', async () => {
    const { x, y } = regression(1);
    for (const patience of [0, 1, 3]) {
      const m = model(2);
      // A minDelta no epoch can beat: only the first epoch (against Infinity) improves.
      const report = await fitModel(m, x, y, {
        epochs: 20,
        loss: 'meanSquaredError',
        earlyStopping: { patience, minDelta: 1e9, monitor: 'loss' },
        seed: 1,
        progress: false,
      });
      expect([report.bestEpoch, report.epochsRun, report.stoppedEarly]).toEqual([0, patience + 2, true]);
      m.dispose();
    }
    tf.dispose([x, y]);
  });

  it("monitor 'val_loss' measures the weights it keeps; monitor 'loss' reports the epoch's running mean", async () => {
    const { x, y } = regression(3);
    const mse = resolveLoss('meanSquaredError');
    const common = { epochs: 6, batchSize: 16, learningRate: 0.05, loss: 'meanSquaredError' as const, seed: 1, progress: false as const };

    const byVal = model(4);
    const val = await fitModel(byVal, x, y, { ...common, validationData: { x, y }, earlyStopping: { patience: 1, monitor: 'val_loss' } });
    expect(evaluateLoss(byVal, x, y, mse, false, false).loss).toBeCloseTo(val.bestValue, 6);

    const byLoss = model(4);
    const train = await fitModel(byLoss, x, y, { ...common, earlyStopping: { patience: 1, monitor: 'loss' } });
    expect(train.bestValue).toBe(train.history[train.bestEpoch]!.loss);
    // The kept weights were never measured: their loss, on the very rows trained on, is not the reported one.
    const kept = evaluateLoss(byLoss, x, y, mse, false, false).loss;
    expect(Math.abs(kept - train.bestValue)).toBeGreaterThan(1e-4);
    tf.dispose([x, y]);
    byVal.dispose();
    byLoss.dispose();
  });
});
