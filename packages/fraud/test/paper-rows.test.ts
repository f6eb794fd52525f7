import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAdbench } from '../src/adbench';
import { ADBENCH_SEEDS, adbenchSplit } from '../src/adbench-split';

// The ADBench paper's own rows: ADBench's generator as numpy and scikit-learn ran it (fixture from
// tools/fixtures/make-numpy-split-fixtures.py; row numbers only). No skipping: without
// $APPLIEDML_DATA_DIR/adbench loadAdbench fails with E_DATASET_MISSING and where to get the files.
interface Case {
  seed: number;
  trainDigest: string;
  testDigest: string;
  trainFirst: number[];
  testFirst: number[];
}
const fixture = JSON.parse(readFileSync(join(__dirname, '../src/__fixtures__/numpy-splits.json'), 'utf8')) as {
  adbench: Record<string, Case[]>;
};
const digest = (rows: number[]): string => createHash('sha256').update(rows.join(',')).digest('hex');

describe("the ADBench paper's rows", () => {
  it('the fixture covers all 8 sets and the paper seeds', () => {
    expect(Object.keys(fixture.adbench)).toHaveLength(8);
    for (const cases of Object.values(fixture.adbench)) expect(cases.map((c) => c.seed)).toEqual([...ADBENCH_SEEDS]);
  });

  for (const [name, cases] of Object.entries(fixture.adbench)) {
    it(`${name}: the generator's subsample and split, seeds 1–3, row for row`, async () => {
      const data = await loadAdbench(name);
      for (const c of cases) {
        const split = adbenchSplit(data.y, c.seed);
        expect(split.train.slice(0, 5)).toEqual(c.trainFirst);
        expect(split.test.slice(0, 5)).toEqual(c.testFirst);
        expect(digest(split.train)).toBe(c.trainDigest);
        expect(digest(split.test)).toBe(c.testDigest);
      }
    });
  }
});
