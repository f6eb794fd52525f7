import { describe, expect, it } from 'vitest';
import { TransactionScorer, amountFormHint, generateTransactions, parseAmount } from './index';

// `parseAmount` is the SDK's reading of an amount written as text, exported so an app that needs the
// number before the SDK sees it (the fraud demo shows amounts and refuses a file's cell in its own
// words) reads it as the SDK does instead of keeping its own copy of the rule.

describe('parseAmount (public)', () => {
  it('reads decimal and scientific notation, and commas between groups of exactly three digits', () => {
    const read: Array<[string, number]> = [
      ['1234.5', 1234.5],
      [' 12 ', 12],
      ['0.5', 0.5],
      ['1.5e2', 150],
      ['1,234.50', 1234.5],
      ['999,999', 999999],
      ['1,234,567.89', 1234567.89],
      ['-12,000', -12000],
      ['-5', -5],
      ['2e9', 2e9],
    ];
    for (const [text, value] of read) expect(parseAmount(text), text).toBe(value);
  });

  it('does not guess other forms: currency, decimal comma, spaced or odd groups, parentheses, hex, empty', () => {
    const refused = [
      '$12.00',
      '12.00 USD',
      'EUR 12',
      '1.234,50',
      '12,50',
      '1 234',
      "1'234.50",
      '(1,234.50)',
      '1,23,456',
      '0x10',
      '',
      ' ',
      'ten',
      'Infinity',
      'NaN',
    ];
    for (const text of refused) expect(parseAmount(text), text).toBeUndefined();
    // A value that is not text (a JavaScript caller) is not read either.
    expect(parseAmount(12 as unknown as string)).toBeUndefined();
    expect(parseAmount(null as unknown as string)).toBeUndefined();
    // A grouped number too long for a double is no amount (not Infinity).
    expect(parseAmount(`1${',000'.repeat(110)}`)).toBeUndefined();
  });

  it('is the reading the scorer applies to a text amount', async () => {
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    try {
      const txs = generateTransactions({ cards: 20, days: 2, seed: 3 });
      await scorer.train(txs);
      const last = txs[txs.length - 1]!;
      for (const text of ['1,234.50', '12', '1.5e2']) {
        const asText = await scorer.score({ card: last.card, amount: text, timestamp: last.timestamp }, { remember: false });
        const asNumber = await scorer.score(
          { card: last.card, amount: parseAmount(text)!, timestamp: last.timestamp },
          { remember: false },
        );
        expect(asText.features, text).toEqual(asNumber.features);
        expect(asText.score, text).toBe(asNumber.score);
      }
    } finally {
      scorer.dispose();
    }
  });
});

// `amountFormHint` is the sentence the SDK's own refusals add for an amount written in another form,
// exported so an app refusing a file's cell in its own words (the fraud demo) says which forms are read
// as the SDK does; the demo's CSV message said only "is not a valid number".
describe('amountFormHint (public)', () => {
  it('says which forms are read for an amount written in another form, and never quotes the text', () => {
    for (const text of ['$12.00', '12.00 USD', 'EUR 12', '1.234,50', '12,50', '1 234', "1'234.50", '(1,234.50)']) {
      const hint = amountFormHint(text);
      expect(hint, text).toMatch(/^an amount with a currency sign or code, .* is not read as a number \(write 1234\.5, or 1,234\.50 /);
      expect(hint, text).not.toContain(text.trim());
    }
  });

  it('is undefined for text that is no amount at all, for text parseAmount reads, and for a value that is not text', () => {
    for (const text of ['ten', '', ' ', '0x10', 'NaN', '12', '1,234.50', '1.234', '-5']) expect(amountFormHint(text), text).toBeUndefined();
    expect(amountFormHint(12 as unknown as string)).toBeUndefined();
    expect(amountFormHint(null as unknown as string)).toBeUndefined();
  });

  it("is the hint the scorer's own refusal of the same text gives", async () => {
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    try {
      const txs = generateTransactions({ cards: 20, days: 2, seed: 3 });
      await scorer.train(txs);
      const last = txs[txs.length - 1]!;
      for (const text of ['$12.00', '1.234,50']) {
        const refusal = await scorer.score({ card: last.card, amount: text, timestamp: last.timestamp }, { remember: false }).then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        expect(refusal?.message, text).toContain(amountFormHint(text));
      }
    } finally {
      scorer.dispose();
    }
  });
});
