import * as tf from '#tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../device/engine';
import { AppliedMLError } from '../errors';
import { createRng, withSeededRandom } from '../random';
import { fitModel } from './trainer';

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

function data(n: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const rng = createRng(3);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = rng.next() < 0.5 ? 1 : 0;
    ys.push(label);
    for (let d = 0; d < 8; d++) xs.push(rng.next() + label);
  }
  return { x: tf.tensor2d(xs, [n, 8]), y: tf.tensor2d(ys, [n, 1]) };
}

function model(): tf.LayersModel {
  return withSeededRandom(createRng(1), () =>
    tf.sequential({
      layers: [tf.layers.dense({ inputShape: [8], units: 16, activation: 'relu' }), tf.layers.dense({ units: 1, activation: 'sigmoid' })],
    }),
  );
}

const weightsOf = (m: tf.LayersModel): number[][] => m.getWeights().map((w) => Array.from(w.dataSync()));

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => 'no error',
    (e: unknown) => e,
  );
}

describe('fitModel with a signal', () => {
  it('an already aborted signal: E_ABORTED before any step, weights and tensors as before', async () => {
    const { x, y } = data(64);
    const m = model();
    const before = weightsOf(m);
    const tensors = tf.memory().numTensors;
    const controller = new AbortController();
    controller.abort();
    const err = await rejection(fitModel(m, x, y, { epochs: 2, loss: 'binaryCrossentropy', progress: false, signal: controller.signal }));
    expect(AppliedMLError.hasCode(err, 'E_ABORTED')).toBe(true);
    expect((err as AppliedMLError).message).toBe('fitModel stopped: its signal was aborted.');
    expect((err as AppliedMLError).details).toEqual({ reason: 'aborted' });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(weightsOf(m)).toEqual(before);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('aborted mid-fit (from a batch callback): rejects at that step with the reason as cause; weights put back, no tensor left', async () => {
    const { x, y } = data(256);
    const m = model();
    const before = weightsOf(m);
    const tensors = tf.memory().numTensors;
    const controller = new AbortController();
    const reason = new Error('service shutting down');
    let batches = 0;
    const err = await rejection(
      fitModel(m, x, y, {
        epochs: 5,
        batchSize: 16,
        loss: 'binaryCrossentropy',
        progress: false,
        signal: controller.signal,
        callbacks: {
          onBatchEnd: (batch, epoch) => {
            batches += 1;
            if (epoch === 1 && batch === 3) controller.abort(reason);
          },
        },
      }),
    );
    expect(AppliedMLError.hasCode(err, 'E_ABORTED')).toBe(true);
    expect((err as AppliedMLError).message).toBe('fitModel stopped: its signal was aborted: service shutting down.');
    expect((err as AppliedMLError).cause).toBe(reason);
    expect(batches).toBe(16 + 4); // epoch 1's 16 steps, then 4 of epoch 2: not one step after the abort
    expect(weightsOf(m)).toEqual(before);
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('a timeout signal stops a long fit within its turns and says it timed out', async () => {
    const { x, y } = data(2048);
    const m = model();
    const tensors = tf.memory().numTensors;
    const t0 = performance.now();
    const err = await rejection(
      fitModel(m, x, y, { epochs: 10_000, batchSize: 8, loss: 'binaryCrossentropy', progress: false, signal: AbortSignal.timeout(200) }),
    );
    const seconds = (performance.now() - t0) / 1000;
    expect(AppliedMLError.hasCode(err, 'E_ABORTED')).toBe(true);
    expect((err as AppliedMLError).details).toEqual({ reason: 'timeout' });
    expect((err as AppliedMLError).message).toBe('fitModel stopped: its signal timed out.');
    // 10,000 epochs take hours; stopped within a few turns of the timer (loose bound for a loaded machine).
    expect(seconds).toBeLessThan(20);
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('a signal that is not an AbortSignal is E_INPUT_INVALID naming the field, before any work', async () => {
    const { x, y } = data(32);
    const m = model();
    const tensors = tf.memory().numTensors;
    for (const signal of [true, 'stop', {}, { aborted: false }]) {
      const err = await rejection(fitModel(m, x, y, { epochs: 1, loss: 'binaryCrossentropy', progress: false, signal: signal as never }));
      expect(AppliedMLError.hasCode(err, 'E_INPUT_INVALID')).toBe(true);
      expect((err as AppliedMLError).details).toEqual({ field: 'signal' });
    }
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('what names the caller in the E_ABORTED, before any step and mid-fit', async () => {
    const { x, y } = data(128);
    const m = model();
    const controller = new AbortController();
    controller.abort();
    const early = await rejection(
      fitModel(m, x, y, {
        epochs: 2,
        loss: 'binaryCrossentropy',
        progress: false,
        signal: controller.signal,
        what: 'TextClassifier.train',
      }),
    );
    expect(AppliedMLError.hasCode(early, 'E_ABORTED')).toBe(true);
    expect((early as AppliedMLError).message).toBe('TextClassifier.train stopped: its signal was aborted.');
    const later = new AbortController();
    const mid = await rejection(
      fitModel(m, x, y, {
        epochs: 3,
        batchSize: 16,
        loss: 'binaryCrossentropy',
        progress: false,
        signal: later.signal,
        what: 'X.train',
        callbacks: { onBatchEnd: (batch) => (batch === 2 ? later.abort('shutting down') : undefined) },
      }),
    );
    expect(AppliedMLError.hasCode(mid, 'E_ABORTED')).toBe(true);
    expect((mid as AppliedMLError).message).toBe('X.train stopped: its signal was aborted: shutting down.');
    tf.dispose([x, y]);
    m.dispose();
  });

  it('a what that is not a non-empty string is E_INPUT_INVALID naming the field, before an aborted signal', async () => {
    const { x, y } = data(32);
    const m = model();
    const tensors = tf.memory().numTensors;
    const controller = new AbortController();
    controller.abort();
    for (const what of ['', '  ', 7, null, 'x'.repeat(201)]) {
      const err = await rejection(
        fitModel(m, x, y, { epochs: 1, loss: 'binaryCrossentropy', progress: false, signal: controller.signal, what: what as never }),
      );
      expect(AppliedMLError.hasCode(err, 'E_INPUT_INVALID')).toBe(true);
      expect((err as AppliedMLError).details).toEqual({ field: 'what' });
    }
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('restoreOnAbort false: an abort leaves the weights the steps gave (no copy kept); a non-boolean is E_INPUT_INVALID', async () => {
    const { x, y } = data(128);
    const m = model();
    const before = weightsOf(m);
    const tensors = tf.memory().numTensors;
    const controller = new AbortController();
    const err = await rejection(
      fitModel(m, x, y, {
        epochs: 3,
        batchSize: 16,
        loss: 'binaryCrossentropy',
        progress: false,
        signal: controller.signal,
        restoreOnAbort: false,
        callbacks: { onBatchEnd: (batch) => (batch === 2 ? controller.abort() : undefined) },
      }),
    );
    expect(AppliedMLError.hasCode(err, 'E_ABORTED')).toBe(true);
    expect(weightsOf(m)).not.toEqual(before);
    expect(tf.memory().numTensors).toBe(tensors);
    const bad = await rejection(
      fitModel(m, x, y, { epochs: 1, loss: 'binaryCrossentropy', progress: false, restoreOnAbort: 'no' as never }),
    );
    expect(AppliedMLError.hasCode(bad, 'E_INPUT_INVALID')).toBe(true);
    expect((bad as AppliedMLError).details).toEqual({ field: 'restoreOnAbort' });
    tf.dispose([x, y]);
    m.dispose();
  });

  it('a signal never aborted trains as without one (same seed, same weights)', async () => {
    const { x, y } = data(128);
    const a = model();
    const b = model();
    await fitModel(a, x, y, { epochs: 2, loss: 'binaryCrossentropy', progress: false, seed: 7 });
    await fitModel(b, x, y, { epochs: 2, loss: 'binaryCrossentropy', progress: false, seed: 7, signal: new AbortController().signal });
    expect(weightsOf(b)).toEqual(weightsOf(a));
    tf.dispose([x, y]);
    a.dispose();
    b.dispose();
  });
});
