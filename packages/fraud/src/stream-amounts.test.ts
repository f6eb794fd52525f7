import { AppliedMLError } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransactionScorer } from './scorer';
import { TransactionFeatures, readTransaction, type Transaction } from './stream';
import { generateTransactions } from './synthetic';
import { Preprocessor } from './tabular';

// The streaming scorer refused a text amount ("Transaction field amount must be a finite number … (got
// "1,234.50")") where a FraudDetector trained on records and the demo's CLI read it as 1234.5. It reads
// text amounts as a record's numeric cell is read now (the same helper), and refuses the same forms:
// a currency sign or code, a decimal comma, spaced digit groups, an accountant's (1,234.50).

let scorer: TransactionScorer;
let txs: Transaction[];
beforeAll(async () => {
  scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
  txs = generateTransactions({ cards: 30, days: 3, seed: 4 });
  await scorer.train(txs);
});
afterAll(() => scorer.dispose());

async function refusal(p: Promise<unknown>): Promise<AppliedMLError> {
  const caught = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AppliedMLError.isInstance(caught), String(caught)).toBe(true);
  return caught as AppliedMLError;
}

const READ: Array<[string, number]> = [
  ['1,234.50', 1234.5],
  ['1234.5', 1234.5],
  [' 12 ', 12],
  ['1.2345e3', 1234.5],
  ['12,000', 12000],
];
const REFUSED = ['$1,234.50', '1,234.50 EUR', '1.234,50', '12,50', '1 234,50', "1'234.50", '(1,234.50)'];

describe('TransactionScorer: amounts given as text', () => {
  it.each(READ)('scores %s as the number %d, as the tabular path reads it', async (text, value) => {
    const last = txs.at(-1)!;
    const tx = { ...last, timestamp: Number(last.timestamp) + 60_000 };
    const asText = await scorer.score({ ...tx, amount: text as unknown as number }, { remember: false });
    const asNumber = await scorer.score({ ...tx, amount: value }, { remember: false });
    expect(asText.score).toBe(asNumber.score);
    expect(asText.features.amount).toBe(value);
    // The records path reads the same cell as the same number.
    const pre = Preprocessor.fit([{ amount: '5' }, { amount: text }]);
    expect(pre.rawNumeric([{ amount: text }], 0, 'amount')).toBe(value);
  });

  it.each(REFUSED)('refuses %s (E_INPUT_INVALID, field amount), as the tabular path does, saying which forms are read', async (text) => {
    const last = txs.at(-1)!;
    const error = await refusal(scorer.score({ ...last, amount: text as unknown as number }, { remember: false }));
    expect(error.code).toBe('E_INPUT_INVALID');
    expect(error.details.field).toBe('amount');
    expect(error.message).toContain(`(got ${JSON.stringify(text)}: an amount with a currency sign or code, a decimal comma`);
    expect(error.message).toContain('write 1234.5, or 1,234.50 with commas between thousands');
    const pre = Preprocessor.fit([{ amount: '5' }, { amount: '7' }]);
    expect(() => pre.transform([{ amount: text }])).toThrow(
      expect.objectContaining({
        code: 'E_INPUT_INVALID',
        message: expect.stringContaining('is not a finite number: an amount with a currency sign'),
      }),
    );
  });

  it('reads text amounts in scoreAll, train and TransactionFeatures too; other text and negatives stay refused', async () => {
    const batch = txs.slice(0, 50).map((t) => ({ ...t, amount: t.amount.toLocaleString('en-US') as unknown as number }));
    const fromText = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await fromText.train(batch);
    expect(readTransaction({ card: 'a', amount: '2,500', timestamp: 1.7e12 }).amount).toBe(2500);
    const f = new TransactionFeatures();
    expect(f.update({ card: 'a', amount: '2,500' as unknown as number, timestamp: 1.7e12 }).amount).toBe(2500);
    for (const bad of ['', 'N/A', '-5', '0x10'])
      expect(() => readTransaction({ card: 'a', amount: bad, timestamp: 1.7e12 })).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', details: expect.objectContaining({ field: 'amount' }) }),
      );
    fromText.dispose();
  });
});
