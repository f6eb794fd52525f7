import * as tf from '#tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../device/engine';
import { AppliedMLError } from '../errors';
import { createRng, withSeededRandom } from '../random';
import { predictBatched, warmUp } from './predict';

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

function mlp(): tf.LayersModel {
  return withSeededRandom(createRng(1), () =>
    tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [784], units: 100, activation: 'relu' }),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    }),
  );
}

function timed(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

describe('predictBatched', () => {
  it('equals model.predict and leaks no tensor', () => {
    const model = mlp();
    const x = tf.randomUniform([300, 784], 0, 1, 'float32', 3);
    const before = tf.memory().numTensors;
    const got = predictBatched(model, x, { batchSize: 64 });
    expect(tf.memory().numTensors).toBe(before);
    expect(got.shape).toEqual([300, 10]);
    const want = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync().slice());
    let diff = 0;
    want.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - (got.data[i] as number)))));
    expect(diff).toBeLessThan(1e-6);
    warmUp(model);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  it('refuses an option name it does not know (a misspelt batchsize ran at the default 256)', () => {
    const model = mlp();
    const x = tf.zeros([2, 784]);
    let error: unknown;
    try {
      predictBatched(model, x, { batchsize: 1 } as never);
    } catch (e) {
      error = e;
    }
    expect(AppliedMLError.hasCode(error, 'E_INPUT_INVALID'), String(error)).toBe(true);
    expect((error as AppliedMLError).message).toBe("predictBatched options has no option 'batchsize'; valid: batchSize.");
    x.dispose();
    model.dispose();
  });

  it('runs 8,000 rows at batch speed, not quadratically (wasm Slice reads the heap in place)', () => {
    const model = mlp();
    const big = tf.randomUniform([8000, 784], 0, 1, 'float32', 4);
    const small = tf.slice(big, [0, 0], [2000, 784]);
    predictBatched(model, small, { batchSize: 128 }); // warm-up
    // Interleaved, best of 5 each: a loaded machine slows both alike, and the best runs are the least disturbed.
    let tSmall = Infinity;
    let tBig = Infinity;
    for (let k = 0; k < 5; k++) {
      tSmall = Math.min(
        tSmall,
        timed(() => predictBatched(model, small, { batchSize: 128 })),
      );
      tBig = Math.min(
        tBig,
        timed(() => predictBatched(model, big, { batchSize: 128 })),
      );
    }
    // The stock wasm Slice copies all 8,000 rows for each of the 63 batches: 16× the time for 4× the
    // rows. Linear scaling is 4× (3–5× measured here); the speed itself is the bench's to show.
    expect(tBig / tSmall).toBeLessThan(10);
    tf.dispose([big, small]);
    model.dispose();
  });

  it('rejects an input of the wrong width or a bad batch size with a typed error, leaking nothing', () => {
    const model = mlp();
    const wide = tf.zeros([3, 785]);
    const ok = tf.zeros([3, 784]);
    const before = tf.memory().numTensors;
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return AppliedMLError.isInstance(e) ? e.code : `untyped ${String(e)}`;
      }
      return undefined;
    };
    expect(code(() => predictBatched(model, wide))).toBe('E_SHAPE_MISMATCH');
    expect(code(() => predictBatched(model, [ok, ok]))).toBe('E_SHAPE_MISMATCH');
    expect(code(() => predictBatched(model, ok, { batchSize: 0 }))).toBe('E_INPUT_INVALID');
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([wide, ok]);
    model.dispose();
  });

  it('rejects an empty input with a typed error', () => {
    const model = mlp();
    const empty = tf.zeros([0, 784]);
    const err = (() => {
      try {
        predictBatched(model, empty);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(AppliedMLError.hasCode(err, 'E_INPUT_INVALID')).toBe(true);
    empty.dispose();
    model.dispose();
  });
});

describe('predictBatched with NaN or Infinity', () => {
  it('refuses the input naming the first bad cell (wasm answered NaN rows with a confident finite prediction)', () => {
    const model = withSeededRandom(createRng(2), () =>
      tf.sequential({
        layers: [tf.layers.dense({ inputShape: [4], units: 8, activation: 'relu' }), tf.layers.dense({ units: 3, activation: 'softmax' })],
      }),
    );
    const before = tf.memory().numTensors;
    const cases: [number[][], number, number, string][] = [
      [
        [
          [0.1, 0.2, 0.3, 0.4],
          [0.9, NaN, 0.2, 0.5],
        ],
        1,
        1,
        'NaN',
      ],
      [
        [
          [0.1, 0.2, 0.3, 0.4],
          [0.1, 0.2, 0.3, 0.4],
          [0.1, 0.2, 0.3, -Infinity],
        ],
        2,
        3,
        '-Infinity',
      ],
      [[[Infinity, 0.1, 0.2, 0.5]], 0, 0, 'Infinity'],
    ];
    for (const [rows, row, column, value] of cases) {
      const x = tf.tensor2d(rows);
      let error: unknown;
      try {
        predictBatched(model, x, { batchSize: 1 });
      } catch (e) {
        error = e;
      }
      expect(AppliedMLError.hasCode(error, 'E_INPUT_INVALID'), String(error)).toBe(true);
      expect((error as AppliedMLError).message).toBe(
        `predictBatched x contains NaN or Infinity (row ${row}, column ${column} is ${value}); clean or impute it before predicting.`,
      );
      expect((error as AppliedMLError).details).toEqual({ input: 0, row, column, value });
      x.dispose();
    }
    // A clean input still predicts, and nothing is left behind either way.
    const clean = tf.tensor2d([[0.1, 0.2, 0.3, 0.4]]);
    expect(predictBatched(model, clean).shape).toEqual([1, 3]);
    clean.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('warmUp', () => {
  it('refuses a batch size that is not an integer in [1, 4096], or a batch too large to allocate, before allocating', () => {
    const model = mlp();
    const wide = tf.sequential({ layers: [tf.layers.dense({ inputShape: [200_000], units: 1 })] });
    const before = tf.memory().numTensors;
    for (const b of [0, -1, 1.5, NaN, '2', null, Infinity, 1e9]) {
      let error: unknown;
      try {
        warmUp(model, b as never);
      } catch (e) {
        error = e;
      }
      expect(AppliedMLError.hasCode(error, 'E_INPUT_INVALID'), `${String(b)}: ${String(error)}`).toBe(true);
    }
    expect(() => warmUp(wide, 4096)).toThrow(expect.objectContaining({ code: 'E_INPUT_TOO_LARGE' }));
    expect(() => warmUp(null as never)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    warmUp(model, 4);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    wide.dispose();
  });
});
