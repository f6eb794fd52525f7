// A training report could name only the values fitModel computes ('val_loss', 'val_accuracy', 'loss',
// 'accuracy'), so an SDK that keeps the epoch of best validation AUC or Dice had to report it as
// 'val_accuracy', and a reader took its bestValue for an accuracy. The report's monitor now also names
// 'val_auc' and 'val_dice'; fitModel's own earlyStopping.monitor still accepts only what it computes.
// (The type assertions below fail `tsc` on the old code, where TrainingReport['monitor'] was Monitor.)
import * as tf from '#tfjs';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { initEngine } from '../device/engine';
import { AppliedMLError } from '../errors';
import type { EarlyStopping, Monitor, ReportMonitor, TrainingReport } from './trainer';
import { fitModel } from './trainer';

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

describe("a training report's monitor", () => {
  it("can name the validation AUC or Dice an SDK selected on; fitModel's monitor option cannot", () => {
    expectTypeOf<'val_auc'>().toMatchTypeOf<TrainingReport['monitor']>();
    expectTypeOf<'val_dice'>().toMatchTypeOf<TrainingReport['monitor']>();
    expectTypeOf<Monitor>().toMatchTypeOf<ReportMonitor>();
    expectTypeOf<'val_auc'>().not.toMatchTypeOf<NonNullable<EarlyStopping['monitor']>>();
    expectTypeOf<'val_dice'>().not.toMatchTypeOf<NonNullable<EarlyStopping['monitor']>>();
  });

  it.each(['val_auc', 'val_dice'])("fitModel refuses earlyStopping.monitor '%s', listing the ones it computes", async (name) => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 2, activation: 'softmax' })] });
    const x = tf.tensor2d([0, 1, 1, 0, 1, 1, 0, 0], [4, 2]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2).toFloat();
    const before = tf.memory().numTensors;
    const error = await fitModel(model, x, y, {
      epochs: 2,
      loss: 'categoricalCrossentropy',
      validationSplit: 0.5,
      progress: false,
      earlyStopping: { monitor: name as Monitor, patience: 0 },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppliedMLError);
    expect((error as AppliedMLError).code).toBe('E_INPUT_INVALID');
    expect((error as Error).message).toContain('must be one of val_loss, val_accuracy, loss, accuracy');
    expect((error as Error).message).toContain(`(got "${name}")`);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    model.dispose();
  });

  it("fitModel's own report names what it monitored", async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 2, activation: 'softmax' })] });
    const x = tf.tensor2d([0, 1, 1, 0, 1, 1, 0, 0], [4, 2]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2).toFloat();
    const report = await fitModel(model, x, y, { epochs: 1, loss: 'categoricalCrossentropy', validationSplit: 0.5, progress: false });
    expect(report.monitor).toBe('val_loss');
    tf.dispose([x, y]);
    model.dispose();
  });
});
