import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { TransactionScorer, generateTransactions, type SyntheticTransaction, type Transaction, type TransactionInput } from './index';

// The scorer reads an amount given as text ('1,234.50') since 8d0a63f, but its methods still declared
// `amount: number`, so a TypeScript caller passing a feed's text needed a cast. They take a
// `TransactionInput` now (amount `number | string`). The calls below are the test: the repo's
// typecheck (tsc over the test files) refuses this file when a method declares a number amount.

let scorer: TransactionScorer;
let history: SyntheticTransaction[];
beforeAll(async () => {
  scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
  history = generateTransactions({ cards: 20, days: 2, seed: 5 });
});
afterAll(() => scorer.dispose());

describe('TransactionScorer: an amount given as text type-checks without a cast', () => {
  it('every method takes amount: number | string, and a Transaction is still accepted', async () => {
    expectTypeOf<TransactionInput['amount']>().toEqualTypeOf<number | string>();
    expectTypeOf<Transaction>().toMatchTypeOf<TransactionInput>();
    expectTypeOf<Parameters<TransactionScorer['score']>[0]>().toEqualTypeOf<TransactionInput>();
    expectTypeOf<Parameters<TransactionScorer['scoreAll']>[0]>().toEqualTypeOf<readonly TransactionInput[]>();
    expectTypeOf<Parameters<TransactionScorer['train']>[0]>().toEqualTypeOf<readonly TransactionInput[]>();
    expectTypeOf<Parameters<TransactionScorer['evaluate']>[0]>().toEqualTypeOf<readonly TransactionInput[]>();
    expectTypeOf<Parameters<TransactionScorer['calibrate']>[0]>().toEqualTypeOf<readonly TransactionInput[]>();

    // Text amounts, as a CSV or JSON feed gives them, typed as such (no `as number`).
    const asText = history.map((t) => ({ ...t, amount: t.amount.toFixed(2) }));
    await scorer.train(asText);
    const last = history[history.length - 1]!;
    const one = await scorer.score({ card: last.card, amount: '1,234.50', timestamp: last.timestamp }, { remember: false });
    expect(one.features.amount).toBe(1234.5);
    const week = asText.slice(-40);
    const labels = history.slice(-40).map((t) => t.label);
    expect((await scorer.scoreAll(week)).length).toBe(40);
    if (labels.includes(0) && labels.includes(1)) await scorer.evaluate(week, labels);
    expect((await scorer.calibrate(week, { topK: 2 })).threshold).toEqual(expect.any(Number));

    // Still not anything: a boolean amount is a type error (and refused at run time).
    // @ts-expect-error amount is a number or text
    await expect(scorer.score({ card: last.card, amount: true, timestamp: last.timestamp })).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
    });
  });
});
