import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adbenchSplit, stratifiedSplit } from './adbench-split';
import { LegacyRandomState } from './numpy-random';

// Reference draws from numpy 1.24 / scikit-learn 1.2 (tools/fixtures/make-numpy-split-fixtures.py).
interface Fixture {
  draws: Array<{ seed: number; randomSample: number[]; permutation10: number[]; permutation1000Digest: string; choice20of5: number[] }>;
  splits: Array<{ name: string; labels: number[]; seed: number; train: number[]; test: number[] }>;
  generated: Array<{
    name: string;
    rows: number;
    anomalyEvery: number;
    seed: number;
    trainDigest: string;
    testDigest: string;
    trainFirst: number[];
    testFirst: number[];
  }>;
}
const fixture = JSON.parse(readFileSync(join(__dirname, '__fixtures__', 'numpy-splits.json'), 'utf8')) as Fixture;
const digest = (rows: number[]): string => createHash('sha256').update(rows.join(',')).digest('hex');

describe("numpy's legacy RandomState", () => {
  for (const c of fixture.draws) {
    it(`seed ${c.seed}: random_sample, permutation and choice match numpy's to the bit`, () => {
      const rs = new LegacyRandomState(c.seed);
      expect(c.randomSample.map(() => rs.randomSample())).toEqual(c.randomSample);
      expect(new LegacyRandomState(c.seed).permutation(10)).toEqual(c.permutation10);
      expect(digest(new LegacyRandomState(c.seed).permutation(1000))).toBe(c.permutation1000Digest);
      expect(new LegacyRandomState(c.seed).choiceWithoutReplacement(20, 5)).toEqual(c.choice20of5);
    });
  }

  it('refuses seeds numpy refuses and impossible draws, with a typed error', () => {
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) {
      expect(() => new LegacyRandomState(bad)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    }
    const invalid = expect.objectContaining({ code: 'E_INPUT_INVALID' });
    expect(() => new LegacyRandomState(0).choiceWithoutReplacement(3, 4)).toThrow(invalid);
    expect(() => new LegacyRandomState(0).choiceWithReplacement(0, 4)).toThrow(invalid);
    for (const bad of [-1, Number.NaN, 1.5]) {
      expect(() => new LegacyRandomState(0).interval(bad)).toThrow(invalid);
      expect(() => new LegacyRandomState(0).permutation(bad)).toThrow(invalid);
    }
  });
});

describe("scikit-learn's stratified train_test_split", () => {
  for (const c of fixture.splits) {
    it(`${c.name}, random_state=${c.seed}: the same rows in the same order`, () => {
      const split = stratifiedSplit(c.labels, 0.3, new LegacyRandomState(c.seed));
      expect(split.train).toEqual(c.train);
      expect(split.test).toEqual(c.test);
    });
  }

  for (const c of fixture.generated) {
    it(`ADBench's generator on a ${c.name} made-up set (${c.rows} rows), seed ${c.seed}: the same rows`, () => {
      const labels = Array.from({ length: c.rows }, (_, i) => (i % c.anomalyEvery === 0 ? 1 : 0));
      const split = adbenchSplit(labels, c.seed);
      expect(split.train.slice(0, 5)).toEqual(c.trainFirst);
      expect(split.test.slice(0, 5)).toEqual(c.testFirst);
      expect(digest(split.train)).toBe(c.trainDigest);
      expect(digest(split.test)).toBe(c.testDigest);
    });
  }

  it('refuses a class with one row, too few rows, an empty part, more classes than test rows, NaN labels, a bad seed or test share, with a typed error', () => {
    const invalid = expect.objectContaining({ code: 'E_INPUT_INVALID' });
    expect(() => stratifiedSplit([0, 0, 0, 1], 0.3, new LegacyRandomState(1))).toThrow(invalid);
    expect(() => adbenchSplit([1], 1)).toThrow(invalid);
    expect(() => stratifiedSplit([0, 1, 0, 1], 0, new LegacyRandomState(1))).toThrow(invalid);
    expect(() => stratifiedSplit([0, 0, 1, 1, 2, 2, 3, 3, 4, 4], 0.3, new LegacyRandomState(1))).toThrow(invalid); // 3 test rows, 5 classes
    expect(() => adbenchSplit([0, 1, Number.NaN, 0, 1], 1)).toThrow(/Label 2 is NaN/);
    expect(() => adbenchSplit([0, 1, 0, 1], -1)).toThrow(invalid);
    for (const share of [Number.NaN, 1, -0.1])
      expect(() => stratifiedSplit([0, 1, 0, 1], share, new LegacyRandomState(1))).toThrow(invalid);
  });

  it('keeps the class shares and uses every row once', () => {
    const labels = Array.from({ length: 1000 }, (_, i) => (i % 25 === 0 ? 1 : 0));
    const { train, test } = adbenchSplit(labels, 2);
    expect(test).toHaveLength(300);
    expect(new Set([...train, ...test]).size).toBe(1000);
    expect(test.filter((r) => labels[r] === 1)).toHaveLength(12); // 40 anomalies: 28 train, 12 test
  });
});

describe('stratifiedSplit of many rows', () => {
  // Each class's rows went into the lists with push(...), one argument per row: past ~120,000 rows in a
  // class, 'Maximum call stack size exceeded'. (adbenchSplit draws at most ADBENCH_MAX_ROWS first.)
  it('splits 300,000 rows, every row once, each class 70 / 30', () => {
    const labels = Uint8Array.from({ length: 300_000 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const { train, test } = stratifiedSplit(labels, 0.3, new LegacyRandomState(0));
    expect(train).toHaveLength(210_000);
    expect(test).toHaveLength(90_000);
    expect(new Set([...train, ...test]).size).toBe(300_000);
    expect(test.filter((i) => labels[i] === 1)).toHaveLength(9_000);
  });
});
