import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAmount } from '@appliedml/fraud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTransactions, readTransactionRow, toTransaction } from './data';

// The demo kept its own copy of the SDK's amount rule (readAmountCell). It reads amounts with the SDK's
// parseAmount now: the same number for every text, in a CSV cell and in --tx / stdin JSON. Its copy had
// drifted at one edge: a grouped number too long for a double it read as Infinity, and the refusal said
// "got Infinity", a value the user never wrote.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fraud-demo-amounts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const T0 = 1767225600000; // 2026-01-01T00:00:00Z
const TEXTS = [
  '12',
  ' 12.50 ',
  '1.5e2',
  '1,234.50',
  '999,999',
  '1,234,567.89',
  '0',
  '-5',
  '1.234,50',
  '$12.00',
  '12 EUR',
  '1 234',
  '(1,234.50)',
  '0x10',
  'ten',
];
const LONG = `1${',000'.repeat(110)}`; // 1e330 written with commas: no double holds it

describe('fraud demo: amounts are read by the SDK', () => {
  it('a --tx / JSON amount given as text becomes what parseAmount reads, else stays text for the SDK to refuse', () => {
    for (const text of [...TEXTS, LONG]) {
      const amount = toTransaction({ card: 'c1', amount: text, timestamp: T0 }).amount;
      expect(amount, text).toBe(parseAmount(text) ?? text);
    }
  });

  it("a CSV's amount cell is the number parseAmount reads, or refused naming the line and cell", async () => {
    for (const text of TEXTS) {
      const path = join(dir, 'one.csv');
      await writeFile(path, `card,amount,timestamp\nc1,"${text}",${T0}\n`);
      const read = await loadTransactions(path).then(
        (r) => r.txs[0]!.amount,
        (e: unknown) => e,
      );
      const n = parseAmount(text);
      if (n !== undefined && n >= 0) expect(read, text).toBe(n);
      else expect(read, text).toMatchObject({ code: 'E_INPUT_INVALID', details: { line: 2 } });
    }
  });

  it('a grouped number too long for a double is not a valid number (it was read as Infinity: "got Infinity")', async () => {
    const path = join(dir, 'long.csv');
    await writeFile(path, `card,amount,timestamp\nc1,"${LONG}",${T0}\n`);
    const refusal = await loadTransactions(path).then(
      () => undefined,
      (e: unknown) => e as Error & { details?: Record<string, unknown> },
    );
    expect(refusal?.message).toBe(`${path}: line 2, column 'amount': '${LONG.slice(0, 40)}…' is not a valid number.`);
    expect(refusal?.details).toMatchObject({ line: 2, column: 'amount', expected: 'number' });
    // In --tx JSON the text reaches the SDK, which names what was given, not Infinity.
    expect(() => readTransactionRow({ card: 'c1', amount: LONG, timestamp: T0 }, 'ms', '--tx')).toThrow(
      /^--tx: Transaction field amount must be a finite number in \[0, 1000000000\] \(got "1,000,000/,
    );
  });

  it("an amount in another form ('$12.00', '1.234,50') is told which forms are read, as the SDK tells it", async () => {
    const hint =
      'an amount with a currency sign or code, a decimal comma, digits grouped by spaces or apostrophes, or in parentheses is not read as a number (write 1234.5, or 1,234.50 with commas between thousands)';
    for (const text of ['$12.00', '1.234,50', '12 EUR', '(1,234.50)']) {
      const path = join(dir, 'other-form.csv');
      await writeFile(path, `card,amount,timestamp\nc1,"${text}",${T0}\n`);
      const refusal = await loadTransactions(path).then(
        () => undefined,
        (e: unknown) => e as Error & { details?: Record<string, unknown> },
      );
      // The demo's framing (line and column) is kept; the hint is the one the SDK's refusal gives (--tx).
      expect(refusal?.message, text).toBe(`${path}: line 2, column 'amount': '${text}' is not a valid number: ${hint}.`);
      expect(refusal?.details, text).toMatchObject({ line: 2, column: 'amount', value: text, expected: 'number' });
      expect(() => readTransactionRow({ card: 'c1', amount: text, timestamp: T0 }, 'ms', '--tx'), text).toThrow(hint);
    }
    // Text that is no amount at all gets no hint.
    const path = join(dir, 'word.csv');
    await writeFile(path, `card,amount,timestamp\nc1,ten,${T0}\n`);
    await expect(loadTransactions(path)).rejects.toThrow(/^.*line 2, column 'amount': 'ten' is not a valid number\.$/);
  });
});
