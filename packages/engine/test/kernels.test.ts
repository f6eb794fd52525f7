import * as tf from '#tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../src/device/engine';
import { LOSSES } from '../src/train/losses';
import { createRng, withSeededRandom } from '../src/random';
import { LAYER_CASES } from './layer-cases';
import { caseInput, relativeError, seededTensor } from './grad-helpers';

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

function dot(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.sum(tf.mul(a, b)).dataSync()[0] as number);
}

describe('resize gradients are the adjoints of the forward resize (JS and wasm)', () => {
  // For a linear map R, <R x, dy> = <x, Rᵀ dy> exactly: a float64-checkable reference that needs
  // no trusted backend. tfjs-backend-cpu 4.22 fails both at batch > 1 and H ≠ W.
  const cases = [
    { op: 'nearest', size: [7, 10] as [number, number], align: false, half: false },
    { op: 'nearest', size: [8, 12] as [number, number], align: false, half: true },
    { op: 'bilinear', size: [9, 11] as [number, number], align: false, half: false },
    { op: 'bilinear', size: [6, 13] as [number, number], align: true, half: false },
    { op: 'bilinear', size: [8, 10] as [number, number], align: false, half: true },
  ];
  for (const backend of ['cpu', 'wasm']) {
    for (const c of cases) {
      it(`${backend} ${c.op} → ${c.size.join('×')} align=${c.align} half=${c.half}`, async () => {
        await tf.setBackend(backend);
        const x = seededTensor([3, 4, 5, 2], 1);
        const dy = seededTensor([3, c.size[0], c.size[1], 2], 2);
        const forward = (t: tf.Tensor4D): tf.Tensor4D =>
          c.op === 'nearest'
            ? tf.image.resizeNearestNeighbor(t, c.size, c.align, c.half)
            : tf.image.resizeBilinear(t, c.size, c.align, c.half);
        const gradient = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(forward(t as tf.Tensor4D), dy)))(x);
        expect(gradient.shape).toEqual(x.shape);
        const y = forward(x as tf.Tensor4D);
        const lhs = dot(y, dy);
        const rhs = dot(x, gradient);
        expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * Math.max(1, Math.abs(lhs)));
        tf.dispose([x, dy, gradient, y]);
        await tf.setBackend('wasm');
      });
    }
  }
});

/** TensorFlow's MaxPoolGrad semantics in float64: the first maximum of each window gets dy. */
function referenceMaxPoolGrad(x: Float32Array, shape: number[], dy: Float32Array, pool: number, stride: number): Float64Array {
  const [b, h, w, c] = shape as [number, number, number, number];
  const oh = Math.floor((h - pool) / stride) + 1;
  const ow = Math.floor((w - pool) / stride) + 1;
  const dx = new Float64Array(x.length);
  for (let n = 0; n < b; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let di = 0; di < pool; di++)
            for (let dj = 0; dj < pool; dj++) {
              const k = ((n * h + i * stride + di) * w + j * stride + dj) * c + ch;
              if ((x[k] as number) > best) {
                best = x[k] as number;
                at = k;
              }
            }
          dx[at] = (dx[at] as number) + (dy[((n * oh + i) * ow + j) * c + ch] as number);
        }
  return dx;
}

describe('MaxPoolGrad on wasm', () => {
  it('routes the gradient like TensorFlow when every value of a window is negative', () => {
    const shape = [2, 6, 6, 3];
    const x = tf.sub(seededTensor(shape, 5), 1.5); // all values in [-2.5, -0.5]
    const dy = seededTensor([2, 3, 3, 3], 6);
    const got = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), dy)))(x);
    const want = referenceMaxPoolGrad(x.dataSync() as Float32Array, shape, dy.dataSync() as Float32Array, 2, 2);
    expect(relativeError(got.dataSync() as Float32Array, Float32Array.from(want))).toBeLessThan(1e-6);
    tf.dispose([x, dy, got]);
  });
});

describe('Slice on wasm reads the heap in place', () => {
  it('matches the JS backend on 120 random slices of rank 1 to 5', async () => {
    const rng = createRng(42);
    for (let t = 0; t < 120; t++) {
      const rank = 1 + (t % 5);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(rng.next() * 5));
      const begin = shape.map((s) => Math.floor(rng.next() * s));
      const size = shape.map((s, i) => (rng.next() < 0.2 ? -1 : 1 + Math.floor(rng.next() * (s - (begin[i] as number)))));
      const x = seededTensor(shape, t);
      await tf.setBackend('wasm');
      const onWasm = tf.slice(x, begin, size);
      const a = onWasm.dataSync().slice();
      await tf.setBackend('cpu');
      const onJs = tf.slice(x, begin, size);
      expect(onWasm.shape).toEqual(onJs.shape);
      expect(Array.from(a)).toEqual(Array.from(onJs.dataSync()));
      tf.dispose([x, onWasm, onJs]);
    }
    await tf.setBackend('wasm');
  });
});

describe('Tile on wasm copies blocks', () => {
  const onBoth = async (x: tf.Tensor, reps: number[], broadcast?: number[]): Promise<void> => {
    const run = (): tf.Tensor => (broadcast ? tf.broadcastTo(x, broadcast) : tf.tile(x, reps));
    try {
      await tf.setBackend('wasm');
      const onWasm = run();
      const a = onWasm.dataSync().slice();
      await tf.setBackend('cpu');
      const onJs = run();
      expect(onWasm.shape).toEqual(onJs.shape);
      expect(onWasm.dtype).toBe(x.dtype);
      expect(Array.from(a)).toEqual(Array.from(onJs.dataSync()));
      tf.dispose([onWasm, onJs]);
    } finally {
      await tf.setBackend('wasm');
    }
  };

  it('matches the JS backend on 120 random tilings of rank 1 to 5 (float32, int32, bool)', async () => {
    const rng = createRng(7);
    for (let t = 0; t < 120; t++) {
      const rank = 1 + (t % 5);
      const shape = Array.from({ length: rank }, () => (rng.next() < 0.1 ? 0 : 1 + Math.floor(rng.next() * 4)));
      const reps = shape.map(() => (rng.next() < 0.1 ? 0 : 1 + Math.floor(rng.next() * 3)));
      const dtype = (['float32', 'int32', 'bool'] as const)[t % 3]!;
      const x = tf.tidy(() => tf.cast(tf.mul(seededTensor(shape, t), 3), dtype));
      await onBoth(x, reps);
      x.dispose();
    }
  });

  it('matches it for a scalar, broadcastTo, rows of one element and untouched trailing axes', async () => {
    const x = seededTensor([3, 1], 5);
    await onBoth(tf.scalar(3), []);
    await onBoth(x, [1, 1], [2, 3, 4]);
    await onBoth(x, [4, 64]);
    await onBoth(seededTensor([2, 3, 4], 6), [3, 1, 1]);
    await onBoth(seededTensor([2, 3, 4], 6), [1, 1, 1]);
    x.dispose();
  });

  it('stays right when the output grows the wasm heap', () => {
    // 1,024 values tiled to 16 Mi floats (64 MiB): the heap must grow for the output, after which
    // only views taken later are valid.
    const x = tf.range(0, 1024, 1, 'float32').reshape([1, 1024]);
    const y = tf.tile(x, [16384, 1]);
    const v = y.dataSync();
    for (const i of [0, 1023, 1024, 5 * 1024 + 17, v.length - 1]) expect(v[i]).toBe(i % 1024);
    tf.dispose([x, y]);
  });

  it('tiles per-channel statistics to an activation shape at memory speed', () => {
    const stats = tf.ones([1, 1, 1, 64]);
    const batch = (): number => {
      const t0 = performance.now();
      for (let i = 0; i < 10; i++) tf.tile(stats, [1, 32, 99, 1]).dispose();
      return (performance.now() - t0) / 10;
    };
    // 202,752 floats: the stock kernel took ~8 ms a call here; block copies ~0.15 ms. The fastest of
    // five batches, so that a busy machine's stalls do not count.
    const fastest = Math.min(...Array.from({ length: 5 }, batch));
    expect(fastest).toBeLessThan(2);
    stats.dispose();
  });
});

describe('every kernel a training step needs exists on wasm', () => {
  it('lists none missing across all layer cases and losses', async () => {
    const needed = new Set<string>();
    await tf.setBackend('cpu');
    for (const [i, c] of LAYER_CASES.entries()) {
      const model = withSeededRandom(createRng(i), () => c.build());
      const x = caseInput(c, i);
      const y = seededTensor([c.inputShape[0] as number, 3], i);
      const optimizer = tf.train.adam(1e-3);
      const profile = await tf.profile(() => {
        optimizer.minimize(() => tf.mean(LOSSES.huber(y, model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar);
      });
      profile.kernelNames.forEach((k) => needed.add(k));
      optimizer.dispose();
      tf.dispose([x, y]);
      model.dispose();
    }
    await tf.setBackend('wasm');
    const missing = [...needed].filter((k) => !k.endsWith('__op') && tf.getKernel(k, 'wasm') == null).sort();
    expect(needed.size).toBeGreaterThan(40);
    expect(missing, `kernels a training step needs that wasm lacks: ${missing.join(', ')}`).toEqual([]);
  });
});

describe('OneHot on wasm', () => {
  it('honours a float32 dtype', () => {
    const t = tf.oneHot(tf.tensor1d([2, 0], 'int32'), 3, 1, 0, 'float32');
    expect(t.dtype).toBe('float32');
    expect(t.arraySync()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
    ]);
    t.dispose();
  });
});

describe('GatherV2 and transposed BatchMatMul on wasm', () => {
  it('gather along axis 0 matches the JS backend (repeats, 2-D indices, int32 data) and rejects bad indices', async () => {
    const rng = createRng(8);
    for (const shape of [[50], [40, 3], [30, 4, 5], [20, 2, 3, 4]]) {
      const x = seededTensor(shape, 9);
      const xi = tf.cast(tf.mul(x, 100), 'int32');
      const idx = tf.tensor2d(
        Array.from({ length: 12 }, () => Math.floor(rng.next() * (shape[0] as number))),
        [3, 4],
        'int32',
      );
      const idx1 = tf.tensor1d([1, 0, 1], 'int32'); // for the axis-1 gather, which the JS fallback serves
      await tf.setBackend('wasm');
      const a = [tf.gather(x, idx), tf.gather(xi, idx), tf.gather(x, idx1, shape.length > 1 ? 1 : 0)];
      const aVals = a.map((t) => Array.from(t.dataSync()));
      await tf.setBackend('cpu');
      const b = [tf.gather(x, idx), tf.gather(xi, idx), tf.gather(x, idx1, shape.length > 1 ? 1 : 0)];
      b.forEach((t, k) => {
        expect(a[k]!.shape).toEqual(t.shape);
        expect(aVals[k]).toEqual(Array.from(t.dataSync()));
      });
      tf.dispose([x, xi, idx, idx1, ...a, ...b]);
    }
    await tf.setBackend('wasm');
    const x = tf.ones([5, 2]);
    const bad = tf.tensor1d([0, 5], 'int32');
    expect(() => tf.gather(x, bad)).toThrow(/not in \[0, 4\]/);
    tf.dispose([x, bad]);
  });

  it('matMul with transposed operands matches the JS backend, batched and not', async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[7, 5], [7, 3], true, false],
      [[5, 7], [3, 7], false, true],
      [[7, 5], [3, 7], true, true],
      [[4, 7, 5], [4, 7, 3], true, false],
      [[4, 5, 7], [4, 3, 7], false, true],
    ];
    for (const [sa, sb, ta, tb] of cases) {
      const a = seededTensor(sa, 1);
      const b = seededTensor(sb, 2);
      await tf.setBackend('wasm');
      const onWasm = tf.matMul(a, b, ta, tb);
      const w = onWasm.dataSync().slice() as Float32Array;
      await tf.setBackend('cpu');
      const onJs = tf.matMul(a, b, ta, tb);
      expect(onWasm.shape).toEqual(onJs.shape);
      expect(relativeError(w, onJs.dataSync() as Float32Array)).toBeLessThan(1e-5);
      tf.dispose([a, b, onWasm, onJs]);
    }
    await tf.setBackend('wasm');
  });
});

describe('UnsortedSegmentSum (the embedding gradient) on wasm and JS', () => {
  for (const backend of ['wasm', 'cpu']) {
    it(`${backend}: equals a hand sum, skips negative ids, and is fast for a 4,096-row table`, async () => {
      await tf.setBackend(backend);
      const rng = createRng(31);
      const n = 200;
      const width = 6;
      const segments = 17;
      const ids = Array.from({ length: n }, () => Math.floor(rng.next() * (segments + 3)) - 3); // some negative
      const x = seededTensor([n, width], 32);
      const xs = x.dataSync();
      const want = new Float64Array(segments * width);
      ids.forEach((id, i) => {
        if (id >= 0)
          for (let k = 0; k < width; k++) want[id * width + k] = (want[id * width + k] as number) + (xs[i * width + k] as number);
      });
      const idsT = tf.tensor1d(ids, 'int32');
      const got = tf.unsortedSegmentSum(x, idsT, segments);
      expect(got.shape).toEqual([segments, width]);
      expect(relativeError(got.dataSync() as Float32Array, Float32Array.from(want))).toBeLessThan(1e-6);
      // The gradient of a 4,096 × 32 embedding lookup over a batch of 64 × 20 tokens.
      const table = tf.variable(tf.randomNormal([4096, 32], 0, 1, 'float32', 1));
      const tokens = tf.tensor2d(
        Array.from({ length: 64 * 20 }, () => Math.floor(rng.next() * 4096)),
        [64, 20],
        'int32',
      );
      const t0 = performance.now();
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, tokens)))(table);
      g.dataSync();
      expect(performance.now() - t0).toBeLessThan(500);
      tf.dispose([x, idsT, got, table, tokens, g]);
      await tf.setBackend('wasm');
    });
  }
});

describe('SplitV and Unpack on wasm', () => {
  it('match the JS backend and do not copy the whole source per piece', async () => {
    const x = seededTensor([4, 30, 6], 40);
    await tf.setBackend('wasm');
    const a = [...tf.split(x, [1, 2, 3], 2), ...tf.split(x, 3, 1), ...tf.unstack(x, 1), ...tf.unstack(x, 0)];
    const aVals = a.map((t) => ({ shape: t.shape, data: Array.from(t.dataSync()) }));
    await tf.setBackend('cpu');
    const b = [...tf.split(x, [1, 2, 3], 2), ...tf.split(x, 3, 1), ...tf.unstack(x, 1), ...tf.unstack(x, 0)];
    expect(aVals).toEqual(b.map((t) => ({ shape: t.shape, data: Array.from(t.dataSync()) })));
    tf.dispose([x, ...a, ...b]);
    await tf.setBackend('wasm');
    // 2,000 pieces of a 2,000 × 500 tensor: linear with the heap-view slice, ~4 GB of copies without.
    const big = tf.zeros([2000, 500]);
    const t0 = performance.now();
    const rows = tf.unstack(big);
    expect(performance.now() - t0).toBeLessThan(500); // ~12 ms here; the stock kernels took ~2.5 s
    tf.dispose([big, ...rows]);
  });
});
