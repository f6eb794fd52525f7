import * as tf from '#tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../device/engine';
import { AppliedMLError } from '../errors';
import { LrScheduler, checkLrSchedule, type LrSchedule } from './lr-schedule';
import { fitModel } from './trainer';

function refusal(schedule: unknown, context?: Parameters<typeof checkLrSchedule>[1]): AppliedMLError {
  try {
    checkLrSchedule(schedule, context);
  } catch (error) {
    expect(AppliedMLError.isInstance(error), `expected an AppliedMLError, got ${String(error)}`).toBe(true);
    return error as AppliedMLError;
  }
  throw new Error(`${JSON.stringify(schedule)} was accepted`);
}

describe('checkLrSchedule', () => {
  it('accepts every documented form, a function, and no schedule', () => {
    const good: unknown[] = [
      undefined,
      null,
      (_epoch: number, rate: number) => rate * 0.9,
      { type: 'step', every: 2, factor: 0.5 },
      { type: 'exponential', decay: 0.95 },
      { type: 'exponential', decay: 1 },
      { type: 'cosine' },
      { type: 'cosine', minLearningRate: 1e-5, warmupEpochs: 1 },
      { type: 'plateau' },
      { type: 'plateau', factor: 0.2, patience: 0, minLearningRate: 0, minDelta: 0 },
    ];
    for (const schedule of good) expect(() => checkLrSchedule(schedule, { learningRate: 1e-3, epochs: 5 })).not.toThrow();
  });

  it('an unknown or missing type is refused, naming the known ones', () => {
    for (const schedule of [{ type: 'linear' }, { type: 'Cosine' }, {}, { every: 2, factor: 0.5 }, { type: 3 }]) {
      const err = refusal(schedule);
      expect(err.code).toBe('E_INPUT_INVALID');
      expect(err.details.field).toBe('lrSchedule.type');
      expect(err.message).toMatch(/'step', 'exponential', 'cosine', 'plateau'/);
    }
  });

  it('a key the type does not take is refused, listing the valid ones', () => {
    const err = refusal({ type: 'cosine', minLr: 1e-5 });
    expect(err).toMatchObject({ code: 'E_INPUT_INVALID', details: { field: 'lrSchedule', unknown: ['minLr'] } });
    expect(err.message).toMatch(/type, minLearningRate, warmupEpochs/);
    // `decay` belongs to another type.
    expect(refusal({ type: 'step', every: 2, factor: 0.5, decay: 0.9 }).details).toMatchObject({ unknown: ['decay'] });
  });

  it('missing, non-finite or out-of-range numbers are refused naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [{ type: 'step', factor: 0.5 }, 'lrSchedule.every'],
      [{ type: 'step', every: 0, factor: 0.5 }, 'lrSchedule.every'],
      [{ type: 'step', every: 1.5, factor: 0.5 }, 'lrSchedule.every'],
      [{ type: 'step', every: 2 }, 'lrSchedule.factor'],
      [{ type: 'step', every: 2, factor: 0 }, 'lrSchedule.factor'],
      [{ type: 'step', every: 2, factor: Number.NaN }, 'lrSchedule.factor'],
      [{ type: 'step', every: 2, factor: '0.5' }, 'lrSchedule.factor'],
      [{ type: 'exponential' }, 'lrSchedule.decay'],
      [{ type: 'exponential', decay: -0.5 }, 'lrSchedule.decay'],
      [{ type: 'exponential', decay: 1.5 }, 'lrSchedule.decay'],
      [{ type: 'cosine', minLearningRate: -1e-4 }, 'lrSchedule.minLearningRate'],
      [{ type: 'cosine', minLearningRate: 0.01 }, 'lrSchedule.minLearningRate'],
      [{ type: 'cosine', warmupEpochs: 1.5 }, 'lrSchedule.warmupEpochs'],
      [{ type: 'cosine', warmupEpochs: 6 }, 'lrSchedule.warmupEpochs'],
      [{ type: 'plateau', factor: 1 }, 'lrSchedule.factor'],
      [{ type: 'plateau', factor: Infinity }, 'lrSchedule.factor'],
      [{ type: 'plateau', patience: -1 }, 'lrSchedule.patience'],
      [{ type: 'plateau', minDelta: Number.NaN }, 'lrSchedule.minDelta'],
      [{ type: 'plateau', minLearningRate: 1 }, 'lrSchedule.minLearningRate'],
    ];
    for (const [schedule, field] of cases) {
      const err = refusal(schedule, { learningRate: 1e-3, epochs: 5 });
      expect(err.code, JSON.stringify(schedule)).toBe('E_INPUT_INVALID');
      expect(err.details.field, JSON.stringify(schedule)).toBe(field);
    }
  });

  it('a schedule that is neither an object nor a function is refused', () => {
    for (const schedule of ['cosine', 0.5, [{ type: 'step' }], true])
      expect(refusal(schedule)).toMatchObject({ code: 'E_INPUT_INVALID', details: { field: 'lrSchedule' } });
  });

  it("plateau lowers the rate after patience + 1 epochs without an improvement (as early stopping's patience)", () => {
    for (const patience of [0, 1, 2]) {
      const scheduler = new LrScheduler({ type: 'plateau', patience, factor: 0.5 }, 1, 20);
      const rates = [scheduler.atEpochEnd(1)]; // the first epoch sets the best
      for (let epoch = 1; epoch < 2 * (patience + 1) + 1; epoch++) rates.push(scheduler.atEpochEnd(1));
      const lowered = rates.map((rate, epoch) => (epoch > 0 && rate < rates[epoch - 1]! ? epoch : -1)).filter((e) => e >= 0);
      expect(lowered, `patience ${patience}`).toEqual([patience + 1, 2 * (patience + 1)]);
    }
  });

  it('LrScheduler checks its schedule too, and takes null as none', () => {
    expect(() => new LrScheduler({ type: 'linear' } as unknown as LrSchedule, 0.1, 3)).toThrow(/lrSchedule.type/);
    expect(new LrScheduler(null, 0.1, 3).atEpochStart(2)).toBe(0.1);
  });
});

describe('fitModel checks its lrSchedule before training', () => {
  beforeAll(async () => {
    await initEngine({ device: 'wasm' });
  });

  it('an unknown type (which kept the rate constant) or a bad factor (which failed at its epoch) is refused before any epoch', async () => {
    const x = tf.randomNormal([16, 3]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 'int32'), 2);
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2, activation: 'softmax' })] });
    const before = tf.memory().numTensors;
    const bad: unknown[] = [
      { type: 'linear', decay: 0.5 },
      { type: 'step', every: 3, factor: 0 },
      { type: 'exponential', decay: Number.NaN },
    ];
    for (const lrSchedule of bad) {
      let epochs = 0;
      const err = await fitModel(model, x, y, {
        epochs: 4,
        loss: 'categoricalCrossentropy',
        validationSplit: 0.25,
        lrSchedule: lrSchedule as LrSchedule,
        callbacks: { onEpochEnd: () => void epochs++ },
        progress: false,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(AppliedMLError.isInstance(err), String(err)).toBe(true);
      expect((err as AppliedMLError).code).toBe('E_INPUT_INVALID');
      expect(String((err as AppliedMLError).details.field)).toMatch(/^lrSchedule/);
      expect(epochs).toBe(0);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    tf.dispose([x, y]);
  });
});
