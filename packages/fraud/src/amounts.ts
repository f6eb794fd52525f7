import { parseNumberCell } from '@appliedml/engine';

// How amounts written as text are read, the same wherever they come in: a record's numeric cell
// (tabular.ts) and a streamed transaction's amount (stream.ts, `readTransaction`).

/** A number written with thousands separators as Excel and finance exports write them: 1,234 · -12,000 · 1,234,567.89. */
const GROUPED_NUMBER = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;

/**
 * A numeric cell's value: decimal or scientific notation (Number() would read '0x10' as 16), or a
 * number grouped in thousands by commas in groups of exactly three digits ('1,234.50', '-12,000'); else
 * undefined. The same reading at training and at scoring. '1.234,50' (a decimal comma), '1 234' and
 * '$12.00' are not numbers here: see `amountLike`.
 */
export function numberCell(text: string): number | undefined {
  const plain = parseNumberCell(text);
  if (plain !== undefined) return plain;
  const t = text.trim();
  if (!GROUPED_NUMBER.test(t)) return undefined;
  const n = Number(t.replace(/,/g, ''));
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The number an amount written as text stands for, read as the SDK reads amounts everywhere (a record's
 * numeric cell, a transaction's `amount` given to `TransactionScorer` or `TransactionFeatures`): decimal
 * or scientific notation (`'1234.5'`, `'1.5e2'`, spaces around it ignored), or commas between groups of
 * exactly three digits as spreadsheets export amounts (`'1,234.50'`, `'-12,000'`). Anything else is
 * `undefined`, not guessed: a currency sign or code (`'$12.00'`, `'12 EUR'`), a decimal comma
 * (`'1.234,50'`), digits grouped by spaces (`'1 234'`), `'(1,234.50)'`, hex, `''`, or a value that is not
 * text. It reads; it does not check: a negative or an amount over 1e9 is returned as the number it is
 * (the scorer refuses it). For an app that needs the number before the SDK sees it (to show it, or to
 * refuse a file's cell in its own words).
 */
export function parseAmount(text: string): number | undefined {
  return typeof text === 'string' ? numberCell(text) : undefined;
}

/** Currency signs and common ISO 4217 codes that may stand before or after an amount. */
const CURRENCY = String.raw`(?:[$€£¥₹₽₩]|(?:USD|EUR|GBP|JPY|CHF|CAD|AUD|NZD|INR|CNY|BRL|MXN|SEK|NOK|DKK|PLN|ZAR|SGD|HKD)\b)`;
const AMOUNT_BODY = String.raw`[+-]?\d[\d.,' \u00a0\u202f]*`;
/** Text an amount in another form: a currency sign or code with a number, a decimal comma ('1.234,50', '12,50'), digits grouped by spaces or apostrophes, a negative in parentheses. */
const OTHER_AMOUNT = [
  new RegExp(String.raw`^\(?[+-]?${CURRENCY}\s?${AMOUNT_BODY}\)?$`, 'u'),
  new RegExp(String.raw`^\(?${AMOUNT_BODY}\s?${CURRENCY}\)?$`, 'u'),
  /^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$/,
  /^[+-]?\d+,\d{1,2}$/,
  /^[+-]?\d{1,3}(?:[ \u00a0\u202f']\d{3})+(?:[.,]\d+)?$/,
  // An accountant's negative: (1,234.50).
  /^\(\d[\d.,' ]*\)$/,
];

/** Whether a text cell (not a number as `numberCell` reads it) is an amount written in another form. */
export function amountLike(text: string): boolean {
  const t = text.trim();
  return /\d/.test(t) && OTHER_AMOUNT.some((re) => re.test(t));
}

/** The hint for an amount written in another form: which forms are not read and which are. */
const OTHER_FORM_HINT =
  'an amount with a currency sign or code, a decimal comma, digits grouped by spaces or apostrophes, or in parentheses is not read as a number (write 1234.5, or 1,234.50 with commas between thousands)';

/**
 * Why text that `parseAmount` does not read is no amount, when it is one written in another form: a
 * currency sign or code (`'$12.00'`, `'12 EUR'`), a decimal comma (`'1.234,50'`, `'12,50'`), digits
 * grouped by spaces or apostrophes (`'1 234'`), a negative in parentheses (`'(1,234.50)'`). Then it is
 * the sentence the SDK's own refusals add (records, the scorer): such forms are not read, and which are
 * (`'an amount with a currency sign or code, … is not read as a number (write 1234.5, or 1,234.50 with
 * commas between thousands)'`), for an app refusing a cell in its own words to say the same. Else
 * (text that is no amount at all, `'ten'`, or that `parseAmount` reads) `undefined`. It never quotes the
 * text.
 */
export function amountFormHint(text: string): string | undefined {
  return typeof text === 'string' && parseAmount(text) === undefined && amountLike(text) ? OTHER_FORM_HINT : undefined;
}

/**
 * What to say of text that is not an amount (after "is not a finite number" or the like): for one
 * written in another form, that such forms are not read and which are (`amountFormHint`); else nothing.
 */
export function amountHint(text: string): string {
  return amountLike(text) ? `: ${OTHER_FORM_HINT}` : '';
}
