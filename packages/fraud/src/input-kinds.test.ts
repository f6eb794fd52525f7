import { AppliedMLError } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FraudDetector } from './detector';
import { toMatrix } from './matrix';
import { TransactionFeatures } from './stream';

// The input checks said what was given without an article ("got string", "row 2 is number"): they use
// the engine's describeKind now ("got a string", "row 2 is a number", "holds a Map").

async function message(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(AppliedMLError.isInstance(e), String(e)).toBe(true);
    return (e as AppliedMLError).message;
  }
  throw new Error('accepted');
}

let model: FraudDetector;
beforeAll(async () => {
  model = FraudDetector.create({ detector: 'ecod' });
  await model.train(Array.from({ length: 50 }, (_, i) => [i % 7, (i * 3) % 11]));
});
afterAll(() => model.dispose());

describe('input kinds named with their article', () => {
  it('training data and scoring input that are not rows', async () => {
    const fresh = FraudDetector.create({ detector: 'ecod' });
    expect(await message(fresh.train('rows' as never))).toBe('training data: expected records, rows of numbers or a matrix; got a string.');
    expect(await message(model.predictBatch(5 as never))).toBe('input: expected records, rows of numbers or a matrix; got a number.');
    expect(await message(model.predictBatch(true as never))).toBe('input: expected records, rows of numbers or a matrix; got a boolean.');
    fresh.dispose();
  });

  it('a row of numeric rows that is not an array', async () => {
    expect(await message(() => toMatrix([[1, 2], 7] as never, undefined, 'rows'))).toBe(
      'rows: row 1 is a number; expected an array of numbers.',
    );
    expect(await message(() => toMatrix([[1, 2], 'ab'] as never, undefined, 'rows'))).toMatch(/^rows: row 1 is a string; /);
    expect(await message(() => toMatrix(42 as never, undefined, 'rows'))).toBe(
      'rows: expected rows of numbers, records or a matrix; got a number.',
    );
  });

  it('a record field holding a Map names its class, an array is an array', async () => {
    const records = FraudDetector.create({ detector: 'ecod' });
    const rows = Array.from({ length: 20 }, (_, i) => ({ amount: i, channel: i % 2 ? 'web' : 'pos' }));
    await records.train(rows);
    expect(await message(records.predictBatch([{ amount: 1, channel: new Map() as never }]))).toContain("field 'channel' holds a Map (");
    expect(await message(records.predictBatch([{ amount: 1, channel: ['web'] as never }]))).toContain("field 'channel' holds an array (");
    records.dispose();
  });

  it('a stored card entry whose card is not a string', () => {
    expect(() =>
      TransactionFeatures.fromState({ options: new TransactionFeatures().options, entities: [[5 as never, {} as never]] }),
    ).toThrow('The stored card state holds a malformed card entry (a number).');
  });
});
