import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { checkTransaction, parseAmount } from './index';
import { readTransaction } from './stream';

// The exported checkTransaction, which services run on each feed row before calling score, still
// asserted a number while score and update read a text amount ('1,234.50'): such a row was refused
// ("must be a finite number … (got "1,234.50")", no hint) though score took it. It reads the amount as
// they do now (the same helper), without changing the caller's object, and refuses what they refuse.

function refusal(fn: () => void): AppliedMLError {
  try {
    fn();
  } catch (error) {
    expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
    return error as AppliedMLError;
  }
  throw new Error('expected a refusal');
}

describe('checkTransaction reads a text amount as score and update do', () => {
  it('passes every text amount readTransaction reads, leaving the transaction as it was', () => {
    for (const text of ['1,234.50', '1234.5', ' 42 ', '1.5e2', '-0', '1,000,000,000']) {
      const tx = { card: 'c1', amount: text, timestamp: 1_700_000_000_000 };
      expect(() => checkTransaction(tx), text).not.toThrow();
      expect(tx.amount).toBe(text);
      expect(readTransaction(tx).amount).toBe(parseAmount(text));
    }
  });

  it('refuses the text readTransaction refuses, with the same message (and the hint for another form), and a read amount out of range', () => {
    for (const text of ['$12.00', '1.234,50', '12,50', '1 234', '(1,234.50)', 'ten', '']) {
      const tx = { card: 'c1', amount: text, timestamp: 1_700_000_000_000 };
      const checked = refusal(() => checkTransaction(tx));
      const read = refusal(() => readTransaction(tx));
      expect(checked.code, text).toBe('E_INPUT_INVALID');
      expect(checked.details?.field).toBe('amount');
      expect(checked.message, text).toBe(read.message);
    }
    // Text read as a number out of range: refused too, quoting what was given.
    for (const text of ['-5', '1,000,000,001'])
      expect(refusal(() => checkTransaction({ card: 'c1', amount: text, timestamp: 0 })).message).toBe(
        `Transaction field amount must be a finite number in [0, 1000000000] (got "${text}").`,
      );
    expect(refusal(() => checkTransaction({ card: 'c1', amount: '$12.00', timestamp: 0 })).message).toMatch(
      /not read as a number \(write 1234\.5, or 1,234\.50 with commas between thousands\)/,
    );
  });
});
