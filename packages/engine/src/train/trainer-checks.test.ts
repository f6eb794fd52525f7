// fitModel's checks from the API fuzz review (review17): shapes, labels, class weights, options, leaks
// on every rejection and mid-epoch error, and the weights after a diverged fit.
import * as tf from '#tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../device/engine';
import { AppliedMLError } from '../errors';
import { createRng, withSeededRandom } from '../random';
import type { FitOptions } from './trainer';
import { evaluateLoss, fitModel } from './trainer';
import { LOSSES, resolveLoss } from './losses';

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

function dense(inputs: number, units: number, activation: 'linear' | 'softmax' | 'sigmoid', seed = 1): tf.LayersModel {
  return withSeededRandom(createRng(seed), () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [inputs], units, activation })] }));
}

/** The error fitModel throws (or 'no error'), and the change in live tensors across the call. */
async function attempt(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor,
  options: FitOptions,
): Promise<{ error: unknown; leaked: number }> {
  const before = tf.memory().numTensors;
  const error = await fitModel(model, x, y, options).then(
    () => 'no error',
    (e: unknown) => e,
  );
  return { error, leaked: tf.memory().numTensors - before };
}

async function expectRefused(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor,
  options: FitOptions,
  code: string,
  message?: RegExp,
): Promise<AppliedMLError> {
  const { error, leaked } = await attempt(model, x, y, options);
  expect(AppliedMLError.hasCode(error, code as never), `expected ${code}, got ${String(error)}`).toBe(true);
  if (message) expect((error as Error).message).toMatch(message);
  expect(leaked, `leaked ${leaked} tensors`).toBe(0);
  return error as AppliedMLError;
}

const ramp = (n: number, d: number): tf.Tensor2D =>
  tf.tensor2d(
    Array.from({ length: n * d }, (_, k) => ((k * 7) % 11) / 11 - 0.5),
    [n, d],
  );

describe('fitModel checks shapes before any tensor work (F1)', () => {
  it('refuses y that does not match the output, and x that does not match the input, naming both shapes', async () => {
    const model = dense(3, 1, 'linear');
    const x = ramp(20, 3);
    const y1 = tf.zeros([20]);
    const y2 = tf.zeros([20, 2]);
    const err = await expectRefused(model, x, y1, { epochs: 1, loss: 'meanSquaredError' }, 'E_SHAPE_MISMATCH', /y is 20.*output is any×1/);
    expect(err.details).toMatchObject({ shape: [20], expected: [null, 1] });
    await expectRefused(model, x, y2, { epochs: 1, loss: 'meanSquaredError' }, 'E_SHAPE_MISMATCH');
    const xWide = ramp(20, 4);
    await expectRefused(
      model,
      xWide,
      tf.zeros([20, 1]),
      { epochs: 1, loss: 'meanSquaredError' },
      'E_SHAPE_MISMATCH',
      /input 0 is 20×4.*any×3/,
    );
    await expectRefused(model, [x, x], tf.zeros([20, 1]), { epochs: 1, loss: 'meanSquaredError' }, 'E_SHAPE_MISMATCH');
    tf.dispose([x, y1, y2, xWide]);
    model.dispose();
  });

  it('refuses a validation y of the wrong shape instead of broadcasting it into a wrong valLoss', async () => {
    const model = dense(3, 1, 'linear');
    const x = ramp(20, 3);
    const y = tf.zeros([20, 1]);
    const vx = ramp(6, 3);
    const vy = tf.zeros([6]);
    const vy2 = tf.zeros([6, 2]);
    await expectRefused(
      model,
      x,
      y,
      { epochs: 1, loss: 'meanSquaredError', validationData: { x: vx, y: vy } },
      'E_SHAPE_MISMATCH',
      /validation data/,
    );
    await expectRefused(model, x, y, { epochs: 1, loss: 'meanSquaredError', validationData: { x: vx, y: vy2 } }, 'E_SHAPE_MISMATCH');
    tf.dispose([x, y, vx, vy, vy2]);
    model.dispose();
  });

  it('takes sparse labels as (n) or (n, 1) against a softmax output, and any y with a custom loss', async () => {
    const model = dense(3, 4, 'softmax');
    const x = ramp(8, 3);
    const labels = [0, 1, 2, 3, 0, 1, 2, 3];
    const ya = tf.tensor1d(labels);
    const yb = tf.tensor2d(labels, [8, 1]);
    const yc = tf.tensor2d(labels, [4, 2]);
    await fitModel(model, x, ya, { epochs: 1, loss: 'sparseCategoricalCrossentropy', seed: 1 });
    await fitModel(model, x, yb, { epochs: 1, loss: 'sparseCategoricalCrossentropy', seed: 1 });
    await expectRefused(model, x, tf.zeros([8, 4]), { epochs: 1, loss: 'sparseCategoricalCrossentropy' }, 'E_SHAPE_MISMATCH');
    const custom = (t: tf.Tensor, p: tf.Tensor): tf.Tensor =>
      tf.mean(tf.square(tf.sub(tf.reshape(tf.slice(t, [0, 0], [-1, 1]), [-1, 1]), p)), -1);
    const m1 = dense(3, 1, 'linear');
    await fitModel(m1, x, tf.zeros([8, 2]), { epochs: 1, loss: custom, seed: 1 });
    tf.dispose([x, ya, yb, yc]);
    model.dispose();
    m1.dispose();
  });

  it('refuses non-tensors and a non-model with E_INPUT_INVALID', async () => {
    const model = dense(3, 1, 'linear');
    const x = ramp(4, 3);
    const y = tf.zeros([4, 1]);
    await expectRefused(model, [[1, 2, 3]] as never, y, { epochs: 1, loss: 'meanSquaredError' }, 'E_INPUT_INVALID');
    await expectRefused(model, x, null as never, { epochs: 1, loss: 'meanSquaredError' }, 'E_INPUT_INVALID');
    await expectRefused({} as never, x, y, { epochs: 1, loss: 'meanSquaredError' }, 'E_INPUT_INVALID');
    await expectRefused(model, x, y, null as never, 'E_INPUT_INVALID');
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('fitModel checks class labels against the loss (F2)', () => {
  it('refuses sparse labels outside [0, K) or fractional, naming the first bad index and value', async () => {
    const model = dense(3, 4, 'softmax');
    const x = ramp(6, 3);
    for (const [labels, index, value] of [
      [[1, 2, 3, 4, 1, 2], 3, 4],
      [[0, -1, 0, 1, 2, 3], 1, -1],
      [[0, 1, 0.5, 1, 2, 3], 2, 0.5],
    ] as const) {
      const y = tf.tensor1d([...labels]);
      const err = await expectRefused(model, x, y, { epochs: 1, loss: 'sparseCategoricalCrossentropy' }, 'E_INPUT_INVALID', /\[0, 3\]/);
      expect(err.details).toMatchObject({ index, value });
      y.dispose();
    }
    tf.dispose(x);
    model.dispose();
  });

  it('refuses binary targets outside [0, 1], in the training and the validation data', async () => {
    const model = dense(3, 1, 'sigmoid');
    const x = ramp(6, 3);
    const bad = tf.tensor2d([0, 1, 7, 0, 1, 0], [6, 1]);
    const good = tf.tensor2d([0, 1, 1, 0, 1, 0], [6, 1]);
    await expectRefused(model, x, bad, { epochs: 1, loss: 'binaryCrossentropy' }, 'E_INPUT_INVALID', /label 2 is 7/);
    await expectRefused(
      model,
      x,
      good,
      { epochs: 1, loss: 'binaryCrossentropy', validationData: { x, y: bad } },
      'E_INPUT_INVALID',
      /validation/,
    );
    tf.dispose([x, bad, good]);
    model.dispose();
  });
});

describe('fitModel classWeight (F3)', () => {
  it('weighs the classes a partial map leaves out as 1, and matches a full map', async () => {
    const x = ramp(16, 3);
    const y = tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 4));
    const run = async (classWeight: FitOptions['classWeight']): Promise<number> => {
      const model = dense(3, 4, 'softmax', 3);
      const r = await fitModel(model, x, y, { epochs: 2, loss: 'sparseCategoricalCrossentropy', seed: 2, classWeight });
      model.dispose();
      return r.history[1]!.loss;
    };
    const partial = await run({ 1: 10 });
    expect(partial).toBe(await run([1, 10, 1, 1]));
    expect(partial).not.toBe(await run(undefined));
    tf.dispose([x, y]);
  });

  it('refuses empty maps, holes, null, bad weights and classes the model does not have, without allocating', async () => {
    const model = dense(3, 4, 'softmax');
    const x = ramp(8, 3);
    const y = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3]);
    for (const classWeight of [
      [],
      {},
      [, 2],
      null,
      { 0: NaN },
      { 1: -1 },
      { 1: Infinity },
      { 1000000000: 1 },
      { 4: 1 },
      { a: 1 },
      [1, '2'],
      5,
    ]) {
      await expectRefused(
        model,
        x,
        y,
        { epochs: 1, loss: 'sparseCategoricalCrossentropy', classWeight: classWeight as never },
        'E_INPUT_INVALID',
        /classWeight/,
      );
    }
    const b = dense(3, 1, 'sigmoid');
    const yb = tf.tensor2d([0, 1, 1, 0, 1, 0, 0, 1], [8, 1]);
    await fitModel(b, x, yb, { epochs: 1, loss: 'binaryCrossentropy', classWeight: [1], seed: 1 }); // class 1 weighs 1
    await expectRefused(b, x, yb, { epochs: 1, loss: 'binaryCrossentropy', classWeight: [1, 2, 3] }, 'E_INPUT_INVALID');
    tf.dispose([x, y, yb]);
    model.dispose();
    b.dispose();
  });
});
describe('fitModel classWeight with several labels per row', () => {
  it('is refused up front (per-pixel sparse labels were weighed by the position of their largest label)', async () => {
    const input = tf.input({ shape: [4, 2] });
    const out = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const x = tf.randomUniform([8, 4, 2]);
    const y = tf.tensor3d(
      Float32Array.from({ length: 32 }, (_, i) => i % 3),
      [8, 4, 1],
    );
    const before = tf.memory().numTensors;
    const error = await fitModel(model, x, y, {
      epochs: 1,
      loss: 'sparseCategoricalCrossentropy',
      classWeight: { 0: 1, 1: 2, 2: 3 },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_INPUT_INVALID', details: { field: 'classWeight', labelsPerRow: 4 } });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('fitModel leaks nothing when it throws (F4)', () => {
  it('on options refused after the validation split and on an unknown optimizer', async () => {
    const model = dense(3, 1, 'sigmoid');
    const x = ramp(20, 3);
    const y = tf.tensor2d(
      Array.from({ length: 20 }, (_, i) => i % 2),
      [20, 1],
    );
    const base = { epochs: 1, loss: 'binaryCrossentropy' as const, validationSplit: 0.2 };
    await expectRefused(model, x, y, { ...base, seed: 1.5 }, 'E_INPUT_INVALID');
    await expectRefused(model, x, y, { ...base, optimizer: 'bogus' as never }, 'E_INPUT_INVALID');
    await expectRefused(model, x, y, { ...base, classWeight: { 5: 1 } }, 'E_INPUT_INVALID');
    tf.dispose([x, y]);
    model.dispose();
  });

  it('on errors in the middle of an epoch: a throwing callback, loss or augment, an augment of the wrong shape', async () => {
    const model = dense(3, 1, 'sigmoid');
    const x = ramp(20, 3);
    const y = tf.tensor2d(
      Array.from({ length: 20 }, (_, i) => i % 2),
      [20, 1],
    );
    const base = { epochs: 2, loss: 'binaryCrossentropy' as const, batchSize: 4, seed: 1 };
    const boom = (): never => {
      throw new Error('boom');
    };
    for (const options of [
      { ...base, callbacks: { onBatchEnd: boom } },
      { ...base, callbacks: { onEpochEnd: boom } },
      { ...base, loss: (t: tf.Tensor, p: tf.Tensor): tf.Tensor => (tf.sub(t, p), boom()) },
      { ...base, augment: boom },
    ]) {
      const { error, leaked } = await attempt(model, x, y, options);
      expect((error as Error).message).toBe('boom');
      expect(leaked).toBe(0);
    }
    await expectRefused(model, x, y, { ...base, augment: (xb) => tf.slice(xb, [0, 0], [-1, 2]) }, 'E_SHAPE_MISMATCH', /augment/);
    await expectRefused(model, x, y, { ...base, augment: (xb) => tf.slice(xb, [0, 0], [2, -1]) }, 'E_SHAPE_MISMATCH', /augment/);
    await expectRefused(model, x, y, { ...base, augment: () => undefined as never }, 'E_INPUT_INVALID', /augment/);
    await expectRefused(model, x, y, { ...base, augment: 5 as never }, 'E_INPUT_INVALID', /augment/);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('fitModel checks learningRate, clipNorm and earlyStopping (F5, F8)', () => {
  it('refuses a learning rate or clip norm that is not a finite number above 0, naming the field', async () => {
    const model = dense(3, 1, 'linear');
    const x = ramp(8, 3);
    const y = tf.zeros([8, 1]);
    for (const [field, value] of [
      ['learningRate', NaN],
      ['learningRate', -0.1],
      ['learningRate', 0],
      ['learningRate', Infinity],
      ['learningRate', '0.01'],
      ['clipNorm', NaN],
      ['clipNorm', -1],
      ['clipNorm', 0],
      ['clipNorm', '1'],
    ] as const) {
      const err = await expectRefused(
        model,
        x,
        y,
        { epochs: 1, loss: 'meanSquaredError', [field]: value } as FitOptions,
        'E_INPUT_INVALID',
      );
      expect(err.details).toMatchObject({ field });
    }
    tf.dispose([x, y]);
    model.dispose();
  });

  it('refuses a monitor the fit does not report, and a patience or minDelta out of range', async () => {
    const model = dense(3, 1, 'linear');
    const x = ramp(8, 3);
    const y = tf.zeros([8, 1]);
    for (const earlyStopping of [
      { patience: 1, monitor: 'accuracy' },
      { patience: 1, monitor: 'bogus' },
      { monitor: 'loss' },
      { patience: -1 },
      { patience: NaN },
      { patience: 1.5 },
      { patience: 1, minDelta: NaN },
      { patience: 1, minDelta: -1 },
      null,
    ]) {
      await expectRefused(
        model,
        x,
        y,
        { epochs: 1, loss: 'meanSquaredError', earlyStopping: earlyStopping as never },
        'E_INPUT_INVALID',
        /earlyStopping/,
      );
    }
    await fitModel(model, x, y, { epochs: 2, loss: 'meanSquaredError', earlyStopping: { patience: 0, minDelta: 0, monitor: 'loss' } });
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('a diverged fit with restoreBestWeights puts weights back (F7)', () => {
  it('restores the best epoch, so a retry with a saner rate trains', async () => {
    const model = dense(3, 1, 'linear');
    const x = ramp(32, 3);
    const y = tf.tidy(() => tf.sum(tf.mul(x, tf.tensor1d([1, -2, 3])), 1, true));
    let epochs = 0;
    const error = await fitModel(model, x, y, {
      epochs: 40,
      loss: 'meanSquaredError',
      optimizer: 'sgd',
      seed: 1,
      // Sane for 3 epochs, then a rate that blows the weights up.
      lrSchedule: (epoch) => (epoch < 3 ? 0.05 : 1e20),
      // val_loss is measured on the weights kept (the training loss is the epoch's, before its last step).
      validationData: { x, y },
      earlyStopping: { patience: 50, monitor: 'val_loss' },
      callbacks: { onEpochEnd: () => void epochs++ },
    }).then(
      () => 'no error',
      (e: unknown) => e,
    );
    expect(AppliedMLError.hasCode(error, 'E_TRAINING_FAILED'), String(error)).toBe(true);
    expect(epochs).toBeGreaterThan(1);
    expect((error as Error).message).toMatch(/put back to epoch \d+'s weights/);
    const kernel = model.getWeights()[0]!.dataSync();
    expect(Array.from(kernel).every((v) => Number.isFinite(v) && Math.abs(v) < 100)).toBe(true);
    const retry = await fitModel(model, x, y, { epochs: 2, loss: 'meanSquaredError', optimizer: 'sgd', learningRate: 0.05, seed: 1 });
    expect(Number.isFinite(retry.history[1]!.loss)).toBe(true);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('puts the initial weights back when the first epoch diverges', async () => {
    const model = dense(3, 1, 'linear');
    const initial = model.getWeights().map((w) => Array.from(w.dataSync()));
    const x = ramp(32, 3);
    const y = tf.ones([32, 1]);
    const error = await fitModel(model, x, y, {
      epochs: 3,
      loss: 'meanSquaredError',
      optimizer: 'sgd',
      learningRate: 1e30,
      batchSize: 1,
      earlyStopping: { patience: 1, monitor: 'loss' },
    }).then(
      () => 'no error',
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/put back to the initial weights/);
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(initial);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('evaluateLoss (F11)', () => {
  it('refuses a batch size that is not a positive integer instead of looping forever', () => {
    const model = dense(3, 1, 'linear');
    const x = ramp(4, 3);
    const y = tf.zeros([4, 1]);
    for (const b of [0, -2, 1.5, NaN]) {
      expect(() => evaluateLoss(model, x, y, LOSSES.meanSquaredError, false, false, b)).toThrow(/batchSize/);
    }
    expect(evaluateLoss(model, x, y, LOSSES.meanSquaredError, false, false, 3).loss).toBeGreaterThanOrEqual(0);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('resolveLoss (F19)', () => {
  it("refuses Object.prototype's member names and non-strings as loss names", () => {
    for (const name of ['constructor', 'toString', '__proto__', 5, null]) {
      expect(() => resolveLoss(name as never)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    }
    expect(resolveLoss('huber')).toBe(LOSSES.huber);
  });
});

describe('fitModel option objects (F12)', () => {
  it('refuses an optimizer that is not a name or a tf.Optimizer, a null bucketBy, a logger without its functions and callbacks that are not functions', async () => {
    const model = dense(3, 1, 'linear');
    const x = ramp(8, 3);
    const y = tf.zeros([8, 1]);
    const base: FitOptions = { epochs: 1, loss: 'meanSquaredError', progress: false };
    for (const optimizer of [{}, null, 5])
      await expectRefused(model, x, y, { ...base, optimizer: optimizer as never }, 'E_INPUT_INVALID', /optimizer/);
    await expectRefused(model, x, y, { ...base, bucketBy: null as never }, 'E_INPUT_INVALID', /bucketBy must be a list/);
    await expectRefused(model, x, y, { ...base, bucketBy: 5 as never }, 'E_INPUT_INVALID', /bucketBy must be a list/);
    for (const logger of [{}, null, { debug() {}, info() {} }])
      await expectRefused(model, x, y, { ...base, logger: logger as never }, 'E_INPUT_INVALID', /logger must have debug, info and warn/);
    await expectRefused(model, x, y, { ...base, callbacks: 5 as never }, 'E_INPUT_INVALID', /callbacks must be an object/);
    for (const name of ['onEpochEnd', 'onBatchEnd', 'shouldStop'])
      await expectRefused(
        model,
        x,
        y,
        { ...base, callbacks: { [name]: 5 } },
        'E_INPUT_INVALID',
        new RegExp(`callbacks.${name} must be a function`),
      );
    // A progress that is not true, false or 'auto' was read by its truthiness ('false' drew a bar).
    for (const progress of ['false', 1, 0, () => true, {}, null])
      await expectRefused(
        model,
        x,
        y,
        { ...base, progress: progress as never },
        'E_INPUT_INVALID',
        /progress must be true, false or 'auto'/,
      );
    await expectRefused(model, x, y, null as never, 'E_INPUT_INVALID', /fitModel options must be an object/);
    await expectRefused(model, x, y, undefined as never, 'E_INPUT_INVALID', /needs options/);
    // A tf.Optimizer and null callbacks still train.
    const optimizer = tf.train.sgd(0.01);
    const report = await fitModel(model, x, y, { ...base, optimizer, callbacks: null as never });
    expect(report.epochsRun).toBe(1);
    optimizer.dispose();
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('fitModel option names', () => {
  it('a misspelt option, early-stopping setting or callback is refused, listing the valid names (it was ignored)', async () => {
    const model = dense(3, 1, 'linear');
    const x = ramp(8, 3);
    const y = tf.zeros([8, 1]);
    const base: FitOptions = { epochs: 1, loss: 'meanSquaredError', progress: false };
    const misspelt = await fitModel(model, x, y, { ...base, validationsplit: 0.5 } as never).then(
      () => 'trained',
      (e: unknown) => e,
    );
    expect(AppliedMLError.hasCode(misspelt, 'E_INPUT_INVALID'), String(misspelt)).toBe(true);
    expect((misspelt as AppliedMLError).message).toMatch(
      /^fitModel options has no option 'validationsplit'; valid: epochs, batchSize, loss, /,
    );
    expect((misspelt as AppliedMLError).details).toEqual({ field: 'fitModel options', unknown: ['validationsplit'] });
    await expectRefused(
      model,
      x,
      y,
      { ...base, earlyStopping: { patience: 1, restoreBestweights: false } as never },
      'E_INPUT_INVALID',
      /^earlyStopping has no option 'restoreBestweights'; valid: monitor, patience, minDelta, restoreBestWeights\.$/,
    );
    await expectRefused(
      model,
      x,
      y,
      { ...base, callbacks: { onEpochEnd: () => undefined, onEpochStart: () => undefined } as never },
      'E_INPUT_INVALID',
      /^callbacks has no option 'onEpochStart'; valid: onEpochEnd, onBatchEnd, shouldStop\.$/,
    );
    // Every option by its own name still trains.
    const report = await fitModel(model, x, y, {
      ...base,
      batchSize: 4,
      optimizer: 'adam',
      learningRate: 0.01,
      lrSchedule: { type: 'cosine' },
      validationSplit: 0.25,
      earlyStopping: { monitor: 'val_loss', patience: 1, minDelta: 0, restoreBestWeights: true },
      accuracy: false,
      seed: 1,
      shuffle: true,
      clipNorm: 1,
      callbacks: { onEpochEnd: () => undefined, onBatchEnd: () => undefined, shouldStop: () => false },
      progressLabel: 'names',
    });
    expect(report.epochsRun).toBe(1);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('fitModel augment (F9)', () => {
  it('is refused with a multi-input x (it was skipped without a word)', async () => {
    const model = withSeededRandom(createRng(1), () => {
      const a = tf.input({ shape: [2] });
      const b = tf.input({ shape: [1] });
      const joined = tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor;
      return tf.model({ inputs: [a, b], outputs: tf.layers.dense({ units: 1 }).apply(joined) as tf.SymbolicTensor });
    });
    const xa = ramp(8, 2);
    const xb = ramp(8, 1);
    const y = tf.zeros([8, 1]);
    let called = 0;
    const augment = (t: tf.Tensor): tf.Tensor => (called++, tf.clone(t));
    await expectRefused(model, [xa, xb], y, { epochs: 1, loss: 'meanSquaredError', augment }, 'E_INPUT_INVALID', /single-input x/);
    expect(called).toBe(0);
    tf.dispose([xa, xb, y]);
    model.dispose();
  });

  it('refuses a disposed or string tensor from augment, without a leak', async () => {
    const model = dense(3, 1, 'linear');
    const x = ramp(8, 3);
    const y = tf.zeros([8, 1]);
    const base: FitOptions = { epochs: 1, loss: 'meanSquaredError', batchSize: 4 };
    await expectRefused(model, x, y, { ...base, augment: (t) => (t.dispose(), t) }, 'E_INPUT_INVALID', /disposed tensor/);
    await expectRefused(
      model,
      x,
      y,
      { ...base, augment: () => tf.tensor(new Array<string>(12).fill('a'), [4, 3]) },
      'E_INPUT_INVALID',
      /string tensor/,
    );
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('fitModel validation options (F19)', () => {
  it('refuses validationData with validationSplit, and a validationSplit that is not a number', async () => {
    const model = dense(3, 1, 'linear');
    const x = ramp(10, 3);
    const y = tf.zeros([10, 1]);
    const vx = ramp(4, 3);
    const vy = tf.zeros([4, 1]);
    const base: FitOptions = { epochs: 1, loss: 'meanSquaredError' };
    await expectRefused(model, x, y, { ...base, validationData: { x: vx, y: vy }, validationSplit: 0.2 }, 'E_INPUT_INVALID', /not both/);
    await expectRefused(model, x, y, { ...base, validationSplit: '0.2' as never }, 'E_INPUT_INVALID', /validationSplit/);
    tf.dispose([x, y, vx, vy]);
    model.dispose();
  });
});

describe('fitModel with NaN or Infinity', () => {
  it('names the first bad cell of x or y (the message said only that there was one)', async () => {
    const model = dense(3, 1, 'linear');
    const x = tf.tensor2d([0, 1, 2, 3, 4, 5, 6, Infinity, 8], [3, 3]);
    const clean = ramp(3, 3);
    const y = tf.tensor2d([0, 1, 0], [3, 1]);
    const badY = tf.tensor2d([0, NaN, 0], [3, 1]);
    const base: FitOptions = { epochs: 1, loss: 'meanSquaredError' };
    const ex = await expectRefused(model, x, y, base, 'E_INPUT_INVALID');
    expect(ex.message).toBe('training data x contains NaN or Infinity (row 2, column 1 is Infinity); clean or impute it before training.');
    expect(ex.details).toEqual({ input: 0, row: 2, column: 1, value: 'Infinity' });
    const ey = await expectRefused(model, clean, badY, base, 'E_INPUT_INVALID');
    expect(ey.details).toEqual({ input: 0, row: 1, column: 0, value: 'NaN' });
    const ev = await expectRefused(
      model,
      clean,
      y,
      { ...base, validationData: { x, y } },
      'E_INPUT_INVALID',
      /^validation data x .*row 2, column 1/,
    );
    expect(ev.details.row).toBe(2);
    tf.dispose([x, clean, y, badY]);
    model.dispose();
  });
});

describe('fitModel on a multi-output model', () => {
  it('is E_INPUT_INVALID, as predictBatched (a TypeError "reading \'NaN\'" before)', async () => {
    const input = tf.input({ shape: [4] });
    const multi = withSeededRandom(createRng(5), () =>
      tf.model({
        inputs: input,
        outputs: [
          tf.layers.dense({ units: 3, activation: 'softmax' }).apply(input) as tf.SymbolicTensor,
          tf.layers.dense({ units: 1 }).apply(input) as tf.SymbolicTensor,
        ],
      }),
    );
    const x = ramp(12, 4);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], 'int32'), 3);
    const error = await expectRefused(
      multi,
      x,
      y,
      { epochs: 1, loss: 'categoricalCrossentropy' },
      'E_INPUT_INVALID',
      /single-output models; this one has 2 outputs/,
    );
    expect(error.details).toEqual({ field: 'model', outputs: 2 });
    tf.dispose([x, y]);
    multi.dispose();
  });
});

describe('evaluateLoss checks its arguments as fitModel does (review R3 E5)', () => {
  it('takes { loss } by name, and refuses wrong widths, contradicting sparse flags and NaN with typed errors', () => {
    const model = dense(4, 3, 'softmax');
    const x = ramp(12, 4);
    const sparseY = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]);
    const oneHot = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], 'int32'), 3);
    const wide = ramp(12, 5);
    const nanX = tf.tensor2d(
      Array.from({ length: 48 }, (_, i) => (i === 9 ? NaN : 0.1)),
      [12, 4],
    );
    const before = tf.memory().numTensors;
    const byName = evaluateLoss(model, x, sparseY, { loss: 'sparseCategoricalCrossentropy' });
    const byOneHot = evaluateLoss(model, x, oneHot, { loss: 'categoricalCrossentropy' });
    expect(byName.loss).toBeCloseTo(byOneHot.loss, 5);
    expect(byName.accuracy).toBe(byOneHot.accuracy);
    // The positional form still works, and now takes a name too.
    expect(evaluateLoss(model, x, sparseY, 'sparseCategoricalCrossentropy', true, true)).toEqual(byName);
    const code = (fn: () => unknown): string => {
      try {
        fn();
        return 'no error';
      } catch (e) {
        return AppliedMLError.isInstance(e) ? `${e.code}: ${e.message}` : `untyped ${String(e)}`;
      }
    };
    // Sparse labels with sparse: false counted a wrong accuracy without a word.
    expect(code(() => evaluateLoss(model, x, sparseY, LOSSES.sparseCategoricalCrossentropy, true, false))).toMatch(
      /^E_INPUT_INVALID: evaluateLoss: sparse is false/,
    );
    expect(code(() => evaluateLoss(model, wide, sparseY, { loss: 'sparseCategoricalCrossentropy' }))).toMatch(
      /^E_SHAPE_MISMATCH: evaluateLoss: input 0 is 12×5/,
    );
    expect(code(() => evaluateLoss(model, x, sparseY, { loss: 'categoricalCrossentropy' }))).toMatch(
      /^E_SHAPE_MISMATCH: evaluateLoss: y is 12/,
    );
    expect(code(() => evaluateLoss(model, nanX, oneHot, { loss: 'categoricalCrossentropy' }))).toMatch(
      /^E_INPUT_INVALID: evaluateLoss x contains NaN or Infinity \(row 2, column 1/,
    );
    expect(code(() => evaluateLoss(model, x, oneHot, { loss: 'crossEntropy' as never }))).toMatch(
      /^E_INPUT_INVALID: Unknown loss 'crossEntropy'/,
    );
    expect(code(() => evaluateLoss(model, x, oneHot, { loss: 'categoricalCrossentropy', batchsize: 4 } as never))).toMatch(
      /no option 'batchsize'/,
    );
    const outOfRange = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 0, 1, 2, 0, 1]);
    expect(code(() => evaluateLoss(model, x, outOfRange, { loss: 'sparseCategoricalCrossentropy' }))).toMatch(
      /^E_INPUT_INVALID: evaluateLoss: label 3 is 3/,
    );
    outOfRange.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, sparseY, oneHot, wide, nanX]);
    model.dispose();
  });
});

describe('TrainingReport says why training ended early (review R3 E10)', () => {
  it('a stop asked for by callbacks.shouldStop is stoppedEarly, stoppedBy shouldStop (it said stoppedEarly: false)', async () => {
    const model = dense(3, 1, 'linear');
    const x = ramp(16, 3);
    const y = tf.zeros([16, 1]);
    const base: FitOptions = { epochs: 10, loss: 'meanSquaredError', seed: 1 };
    const asked = await fitModel(model, x, y, { ...base, callbacks: { shouldStop: () => true } });
    expect([asked.epochsRun, asked.stoppedEarly, asked.stoppedBy]).toEqual([1, true, 'shouldStop']);
    const all = await fitModel(model, x, y, { ...base, epochs: 2, callbacks: { shouldStop: () => false } });
    expect([all.epochsRun, all.stoppedEarly, all.stoppedBy]).toEqual([2, false, undefined]);
    // Asking to stop after the last epoch stops nothing.
    const last = await fitModel(model, x, y, { ...base, epochs: 2, callbacks: { shouldStop: () => true } });
    expect([last.epochsRun, last.stoppedEarly]).toEqual([1, true]);
    const one = await fitModel(model, x, y, { ...base, epochs: 1, callbacks: { shouldStop: () => true } });
    expect([one.epochsRun, one.stoppedEarly, one.stoppedBy]).toEqual([1, false, undefined]);
    const early = await fitModel(model, x, y, { ...base, epochs: 50, learningRate: 1e-12, earlyStopping: { patience: 0, minDelta: 1 } });
    expect([early.stoppedEarly, early.stoppedBy]).toEqual([true, 'earlyStopping']);
    tf.dispose([x, y]);
    model.dispose();
  });
});
