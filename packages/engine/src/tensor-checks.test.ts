// Model and tensor arguments of fitModel, predictBatched and warmUp (API fuzz F12): null, plain arrays,
// disposed or string tensors and disposed models are typed errors before any tensor work, with no leak.
import * as tf from '#tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from './device/engine';
import { AppliedMLError } from './errors';
import { predictBatched, warmUp } from './inference/predict';
import { createRng, withSeededRandom } from './random';
import { fitModel } from './train/trainer';

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

function dense(): tf.LayersModel {
  return withSeededRandom(createRng(1), () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 1 })] }));
}

/** The error `fn` throws or rejects with, and the change in live tensors across it. */
async function refusal(fn: () => unknown): Promise<{ error: unknown; leaked: number }> {
  const before = tf.memory().numTensors;
  let error: unknown = 'no error';
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  return { error, leaked: tf.memory().numTensors - before };
}

async function expectCode(fn: () => unknown, code: string, message?: RegExp): Promise<void> {
  const { error, leaked } = await refusal(fn);
  expect(AppliedMLError.hasCode(error, code as never), `expected ${code}, got ${String(error)}`).toBe(true);
  if (message) expect((error as Error).message).toMatch(message);
  expect(leaked, `leaked ${leaked} tensors`).toBe(0);
}

const base = { epochs: 1, loss: 'meanSquaredError' as const, progress: false as const };

describe('model and tensor arguments', () => {
  it('fitModel refuses non-tensor, disposed and string x / y, and missing, disposed or frozen models', async () => {
    const model = dense();
    const x = tf.zeros([4, 3]);
    const y = tf.zeros([4, 1]);
    const gone = tf.zeros([4, 3]);
    gone.dispose();
    const text = tf.tensor2d([['a', 'b', 'c']]);
    for (const bad of [null, [[1, 2, 3]], gone, text])
      await expectCode(() => fitModel(model, bad as never, y, base), 'E_INPUT_INVALID', /training data x/);
    await expectCode(() => fitModel(model, x, null as never, base), 'E_INPUT_INVALID', /training data y must be a tensor/);
    await expectCode(() => fitModel(model, x, [1, 2] as never, base), 'E_INPUT_INVALID', /training data y/);
    for (const bad of [null, {}, 5])
      await expectCode(() => fitModel(bad as never, x, y, base), 'E_INPUT_INVALID', /needs a tfjs LayersModel/);

    const frozen = dense();
    frozen.layers.forEach((l) => (l.trainable = false));
    await expectCode(() => fitModel(frozen, x, y, base), 'E_INPUT_INVALID', /no trainable weights/);
    frozen.dispose();

    const disposed = dense();
    disposed.dispose();
    await expectCode(() => fitModel(disposed, x, y, base), 'E_MODEL_DISPOSED');
    tf.dispose([x, y, text]);
    model.dispose();
  });

  it('predictBatched refuses null options, a missing or disposed model, and non-tensor, disposed or string x', async () => {
    const model = dense();
    const x = tf.zeros([4, 3]);
    await expectCode(() => predictBatched(model, x, null as never), 'E_INPUT_INVALID', /predictBatched options must be an object/);
    await expectCode(() => predictBatched(null as never, x), 'E_INPUT_INVALID', /needs a tfjs LayersModel/);
    await expectCode(() => predictBatched(model, [[1, 2, 3]] as never), 'E_INPUT_INVALID', /must be a tensor/);
    await expectCode(() => predictBatched(model, null as never), 'E_INPUT_INVALID', /must be a tensor/);
    const gone = tf.zeros([4, 3]);
    gone.dispose();
    await expectCode(() => predictBatched(model, gone), 'E_INPUT_INVALID', /disposed tensor/);
    const text = tf.tensor2d([['a', 'b', 'c']]);
    await expectCode(() => predictBatched(model, text), 'E_INPUT_INVALID', /numeric tensor/);
    // undefined options still mean the defaults
    expect(predictBatched(model, x, undefined).shape).toEqual([4, 1]);
    const disposed = dense();
    disposed.dispose();
    await expectCode(() => predictBatched(disposed, x), 'E_MODEL_DISPOSED');
    await expectCode(() => warmUp(disposed), 'E_MODEL_DISPOSED');
    tf.dispose([x, text]);
    model.dispose();
  });
});
