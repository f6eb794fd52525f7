import { describe, expect, it } from 'vitest';
import { TransactionScorer, generateTransactions, parseAmount } from './index';

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
