import { describe, expect, it } from 'vitest';
import { createRng, permutation, withSeededRandom } from '../random';
import { chronologicalSplit, kFold, shuffleIndices, trainTestSplit } from './split';
import { expectCode } from './test-helpers';

const sorted = (a: number[]): number[] => [...a].sort((x, y) => x - y);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('createRng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(sa);
    expect(createRng('fraud').next()).toBe(createRng('fraud').next());
    expect(createRng('fraud').next()).not.toBe(createRng('fraud2').next());
    expect(createRng(-1).next()).not.toBe(createRng(1).next());
    expect(createRng(2 ** 40).next()).not.toBe(createRng(0).next());
  });

  it('pins the sequence so splits stay reproducible across releases', () => {
    const rng = createRng(12345);
    const first = [rng.nextUint32(), rng.nextUint32(), rng.nextUint32()];
    // If this changes, every seeded split in every SDK changes: do not change it casually.
    expect(first).toEqual([2967644150, 3285158194, 102214278]);
    expect(shuffleIndices(10, 42)).toEqual([7, 8, 2, 1, 6, 3, 0, 4, 9, 5]);
  });

  it('next() is in [0, 1) and roughly uniform; nextInt is unbiased and in range', () => {
    const rng = createRng(7);
    const buckets = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = rng.next();
      if (!(x >= 0 && x < 1)) outside++;
      else {
        const k = Math.floor(x * 10);
        buckets[k] = (buckets[k] ?? 0) + 1;
      }
    }
    expect(outside).toBe(0);
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500);
    const counts = new Array<number>(3).fill(0);
    for (let i = 0; i < 30_000; i++) {
      const k = rng.nextInt(3);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });

  it('rejects bad seeds and bounds', async () => {
    await expectCode(() => createRng(1.5), 'E_INPUT_INVALID');
    await expectCode(() => createRng(NaN), 'E_INPUT_INVALID');
    await expectCode(() => createRng(0).nextInt(0), 'E_INPUT_INVALID');
  });
});

describe('shuffleIndices', () => {
  it('is a seeded permutation', () => {
    const p = shuffleIndices(100, 3);
    expect(sorted(p)).toEqual(range(100));
    expect(shuffleIndices(100, 3)).toEqual(p);
    expect(shuffleIndices(100, 4)).not.toEqual(p);
    expect(p).not.toEqual(range(100));
    expect(shuffleIndices(0)).toEqual([]);
  });
});

describe('trainTestSplit', () => {
  it('partitions the indices, deterministically for a seed', () => {
    const s = trainTestSplit(100, { testFraction: 0.2, seed: 1 });
    expect(s.test).toHaveLength(20);
    expect(s.train).toHaveLength(80);
    expect(sorted([...s.train, ...s.test])).toEqual(range(100));
    expect(s.train).toEqual(sorted(s.train));
    expect(trainTestSplit(100, { testFraction: 0.2, seed: 1 })).toEqual(s);
    expect(trainTestSplit(100, { testFraction: 0.2, seed: 2 })).not.toEqual(s);
  });

  it('keeps at least one example on each side', () => {
    expect(trainTestSplit(2, { testFraction: 0.01 }).test).toHaveLength(1);
    expect(trainTestSplit(2, { testFraction: 0.99 }).train).toHaveLength(1);
  });

  it('stratified: class proportions are kept (rare anomalies included)', () => {
    // 1000 examples, 23 anomalies: like an ADBench fraud set.
    const labels = Array.from({ length: 1000 }, (_, i) => (i % 43 === 0 ? 1 : 0));
    const positives = labels.filter((l) => l === 1).length;
    expect(positives).toBe(24);
    const s = trainTestSplit(1000, { testFraction: 0.25, seed: 9, stratify: labels });
    expect(s.test).toHaveLength(250);
    expect(s.test.filter((i) => labels[i] === 1)).toHaveLength(6);
    expect(s.train.filter((i) => labels[i] === 1)).toHaveLength(18);
    expect(sorted([...s.train, ...s.test])).toEqual(range(1000));
    expect(trainTestSplit(1000, { testFraction: 0.25, seed: 9, stratify: labels })).toEqual(s);
  });

  it('stratified with string labels and three classes', () => {
    const labels = [...Array<string>(50).fill('a'), ...Array<string>(30).fill('b'), ...Array<string>(20).fill('c')];
    const s = trainTestSplit(100, { testFraction: 0.3, seed: 5, stratify: labels });
    const count = (idx: number[], c: string): number => idx.filter((i) => labels[i] === c).length;
    expect([count(s.test, 'a'), count(s.test, 'b'), count(s.test, 'c')]).toEqual([15, 9, 6]);
  });

  it('validates its arguments', async () => {
    await expectCode(() => trainTestSplit(10, { testFraction: 0 }), 'E_INPUT_INVALID');
    await expectCode(() => trainTestSplit(10, { testFraction: 1 }), 'E_INPUT_INVALID');
    await expectCode(() => trainTestSplit(10, { testFraction: NaN }), 'E_INPUT_INVALID');
    await expectCode(() => trainTestSplit(1, { testFraction: 0.5 }), 'E_INPUT_INVALID');
    await expectCode(() => trainTestSplit(2.5, { testFraction: 0.5 }), 'E_INPUT_INVALID');
    await expectCode(() => trainTestSplit(3, { testFraction: 0.5, stratify: [0, 1] }), 'E_SHAPE_MISMATCH');
    await expectCode(() => trainTestSplit(3, { testFraction: 0.5, stratify: [0, NaN, 1] }), 'E_INPUT_INVALID');
  });
});

describe('kFold', () => {
  it('test folds partition the data; sizes differ by at most one', () => {
    const folds = kFold(103, { k: 5, seed: 11 });
    expect(folds).toHaveLength(5);
    expect(folds.map((f) => f.test.length)).toEqual([21, 21, 21, 20, 20]);
    expect(sorted(folds.flatMap((f) => f.test))).toEqual(range(103));
    for (const f of folds) {
      expect(sorted([...f.train, ...f.test])).toEqual(range(103));
      expect(f.train.length + f.test.length).toBe(103);
    }
    expect(kFold(103, { k: 5, seed: 11 })).toEqual(folds);
  });

  it('without shuffle, folds are contiguous blocks', () => {
    const folds = kFold(10, { k: 3, shuffle: false });
    expect(folds.map((f) => f.test)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
  });

  it('stratified folds share the class mix', () => {
    const labels = Array.from({ length: 100 }, (_, i) => (i < 20 ? 'pos' : 'neg'));
    const folds = kFold(100, { k: 4, seed: 2, stratify: labels });
    for (const f of folds) {
      expect(f.test).toHaveLength(25);
      expect(f.test.filter((i) => labels[i] === 'pos')).toHaveLength(5);
    }
    expect(sorted(folds.flatMap((f) => f.test))).toEqual(range(100));
  });

  it('validates k', async () => {
    await expectCode(() => kFold(10, { k: 1 }), 'E_INPUT_INVALID');
    await expectCode(() => kFold(10, { k: 11 }), 'E_INPUT_INVALID');
    await expectCode(() => kFold(10, { k: 2.5 }), 'E_INPUT_INVALID');
  });
});

describe('chronologicalSplit', () => {
  it("matches T-GCN's Los-loop split: int(0.8 * 2016) = 1612 train, 404 test", () => {
    const s = chronologicalSplit(2016, { trainFraction: 0.8 });
    expect(s.train).toHaveLength(1612);
    expect(s.val).toHaveLength(0);
    expect(s.test).toHaveLength(404);
    expect(s.train[1611]).toBe(1611);
    expect(s.test[0]).toBe(1612);
    // SZ-taxi: 2976 steps → 2380 / 596.
    expect(chronologicalSplit(2976, { trainFraction: 0.8 }).test).toHaveLength(596);
  });

  it('train / val / test are contiguous and ordered', () => {
    const s = chronologicalSplit(100, { trainFraction: 0.7, valFraction: 0.1 });
    expect([s.train.length, s.val.length, s.test.length]).toEqual([70, 10, 20]);
    expect([...s.train, ...s.val, ...s.test]).toEqual(range(100));
    // 0.29 * 100 is 28.999… in binary; the split must still be 29.
    expect(chronologicalSplit(100, { trainFraction: 0.29 }).train).toHaveLength(29);
  });

  it('validates fractions', async () => {
    await expectCode(() => chronologicalSplit(10, { trainFraction: 0 }), 'E_INPUT_INVALID');
    await expectCode(() => chronologicalSplit(10, { trainFraction: 0.8, valFraction: 0.3 }), 'E_INPUT_INVALID');
    await expectCode(() => chronologicalSplit(10, { trainFraction: 0.05 }), 'E_INPUT_INVALID');
    await expectCode(() => chronologicalSplit(0, { trainFraction: 0.5 }), 'E_INPUT_INVALID');
  });
});

describe('RNG helpers and kFold sizes (API fuzz F17, F18)', () => {
  it('permutation refuses sizes that are not integers ≥ 0, and sizes over 2^28, before allocating', async () => {
    const rng = createRng(1);
    for (const n of [-1, NaN, null, Infinity, 1.5, '3', undefined])
      expect((await expectCode(() => permutation(n as never, rng), 'E_INPUT_INVALID')).message).toMatch(/permutation needs a length/);
    await expectCode(() => permutation(2 ** 32, rng), 'E_INPUT_TOO_LARGE');
    for (const bad of [undefined, null, {}]) await expectCode(() => permutation(3, bad as never), 'E_INPUT_INVALID');
    expect(Array.from(permutation(0, rng))).toEqual([]);
    expect([...permutation(5, rng)].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('withSeededRandom refuses a missing generator or function; createRng never throws untyped on odd seeds', async () => {
    await expectCode(() => withSeededRandom(null as never, () => 1), 'E_INPUT_INVALID');
    await expectCode(() => withSeededRandom(createRng(1), 5 as never), 'E_INPUT_INVALID');
    const throwing = {
      toString(): string {
        throw new Error('no text');
      },
    };
    for (const seed of [throwing, Object.create(null), Symbol('s')]) await expectCode(() => createRng(seed as never), 'E_INPUT_INVALID');
  });

  it('kFold refuses n · k over 2^26 indices (leave-one-out on 25k rows ended the process out of heap)', async () => {
    const error = await expectCode(() => kFold(10_000, { k: 10_000 }), 'E_INPUT_TOO_LARGE');
    expect(error.message).toMatch(/fewer folds/);
    expect(kFold(3000, { k: 3000 })).toHaveLength(3000);
  });
});

describe('split errors with BigInt arguments (API fuzz F14)', () => {
  it('name the BigInt as such, and the error serialises to JSON', async () => {
    const error = await expectCode(() => trainTestSplit(10n as never, { testFraction: 0.5 }), 'E_INPUT_INVALID');
    expect(error.message).toMatch(/got 10n\./);
    expect(() => JSON.stringify(error)).not.toThrow();
    const fraction = await expectCode(() => trainTestSplit(10, { testFraction: 1n as never }), 'E_INPUT_INVALID');
    expect(JSON.parse(JSON.stringify(fraction)).details).toEqual({ testFraction: '1n' });
  });
});

describe('split errors for rows passed instead of their count', () => {
  it('carry a description of the value in details.n, not the array itself', async () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => [i, i + 1]);
    for (const call of [
      () => trainTestSplit(rows as never, { testFraction: 0.3 }),
      () => kFold(rows as never, { k: 5 }),
      () => chronologicalSplit(rows as never, { trainFraction: 0.8, valFraction: 0.1 }),
    ]) {
      const error = await expectCode(call, 'E_INPUT_INVALID');
      const n = (error.details as { n: unknown }).n;
      expect(typeof n).toBe('string');
      expect(JSON.stringify(error.details).length).toBeLessThan(200);
    }
    const counted = await expectCode(() => trainTestSplit(1, { testFraction: 0.3 }), 'E_INPUT_INVALID');
    expect((counted.details as { n: unknown }).n).toBe(1);
  });
});
