import type { Transaction } from './stream';

/**
 * A card transaction as `TransactionScorer` takes it (`score`, `scoreAll`, `train`, `evaluate`,
 * `calibrate`): a `Transaction` whose amount may also be text, as a CSV or JSON feed carries it. Every
 * `Transaction` is one.
 */
export interface TransactionInput extends Omit<Transaction, 'amount'> {
  /**
   * A number from 0 to 1e9, or text the SDK reads as one (`parseAmount`): `'1234.5'`, `'1.5e2'`, or
   * commas between thousands, `'1,234.50'`. A currency sign or code, a decimal comma, spaced digit groups
   * or `'(1,234.50)'` are refused (E_INPUT_INVALID), not guessed.
   */
  amount: number | string;
}
