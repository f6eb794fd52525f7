import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError, type Logger } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FraudDetector } from './detector';
import { readRecords } from './records';
import { Preprocessor, type TabularRecord } from './tabular';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fraud-number-formats-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function recording(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const none = (): void => {};
  return { logger: { debug: none, info: none, warn: (m: string) => warnings.push(m), error: none } as Logger, warnings };
}

/** Amounts 1,000.50 … 5,999.50 as an en-US spreadsheet exports them, beside a channel. */
function groupedRows(n: number): { amount: string; channel: string }[] {
  return Array.from({ length: n }, (_, i) => {
    const a = 1000 + ((i * 7919) % 5000) + 0.5;
    return { amount: a.toLocaleString('en-US', { minimumFractionDigits: 2 }), channel: ['web', 'pos'][i % 2] as string };
  });
}

function caught(fn: () => unknown): AppliedMLError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppliedMLError);
    return e as AppliedMLError;
  }
  throw new Error('expected a throw');
}

describe('numbers with thousands separators', () => {
  it('a CSV amount written "1,234.50" is a number at training and at scoring: a $999,999.00 charge alerts', async () => {
    const rows = groupedRows(1000);
    const path = join(dir, 'amounts.csv');
    await writeFile(path, 'amount,channel\n' + rows.map((r) => `"${r.amount}",${r.channel}`).join('\n'));
    const records = await readRecords(path);
    expect(records[0]?.amount).toContain(',');
    const model = FraudDetector.create({ detector: 'ecod' });
    const { logger, warnings } = recording();
    await model.train(records, { logger });
    // One numeric amount, not 16 hash buckets.
    expect(model.featureNames).toEqual(['amount', 'channel=pos', 'channel=web']);
    expect(warnings).toEqual([]);
    const [big, usual] = await model.predictBatch([
      { amount: '999,999.00', channel: 'web' },
      { amount: '2,000.50', channel: 'web' },
    ]);
    expect(big?.isFraud).toBe(true);
    expect(big?.reasons[0]?.feature).toBe('amount');
    expect(usual?.isFraud).toBe(false);
    // The same value written plainly scores the same.
    expect(Array.from(model.scores([{ amount: '999,999.00', channel: 'web' }]))).toEqual(
      Array.from(model.scores([{ amount: 999999, channel: 'web' }])),
    );
    model.dispose();
  });

  it('reads "-12,000", "1,234,567.89" and "12,000" as numbers, and groups other than three digits not', () => {
    const pre = Preprocessor.fit([{ x: '-12,000' }, { x: '1,234,567.89' }, { x: '12,000' }, { x: '5' }]);
    expect(pre.state.columns[0]?.kind).toBe('numeric');
    expect(pre.rawNumeric([{ x: '1,234,567.89' }], 0, 'x')).toBe(1234567.89);
    expect(pre.rawNumeric([{ x: '-12,000' }], 0, 'x')).toBe(-12000);
    for (const bad of ['1,23', '12,34,567', '1,2345.6', ',123'])
      expect(caught(() => pre.transform([{ x: bad }])).code).toBe('E_INPUT_INVALID');
  });

  it('refuses amounts with a currency sign, a decimal comma or spaced groups, naming the field, the row and the fix', () => {
    for (const [cell, why] of [
      ['$1,234.50', 'currency sign'],
      ['1.234,50', 'decimal comma'],
      ['12,50', 'decimal comma'],
      ['1 234.50', 'spaced groups'],
      ['EUR 12.00', 'currency code'],
      ['(1,234.50)', 'negative in parentheses'],
    ] as const) {
      const records: TabularRecord[] = Array.from({ length: 40 }, (_, i) => ({ amount: i === 3 ? cell : String(10 + i) }));
      // Also when every cell is in that form.
      const all: TabularRecord[] = Array.from({ length: 40 }, () => ({ amount: cell }));
      for (const data of [records, all]) {
        const e = caught(() => Preprocessor.fit(data));
        expect(e.code, why).toBe('E_INPUT_INVALID');
        expect(e.details, why).toMatchObject({ field: 'amount', reason: 'number-format' });
        expect(e.message).toContain(`'amount'`);
        expect(e.message).toContain(cell);
        expect(e.message).toContain(`schema: { 'amount': 'categorical' }`);
      }
    }
    // Declared a category, the same cells train as codes.
    const declared = Preprocessor.fit(
      Array.from({ length: 40 }, () => ({ amount: '$1,234.50' })),
      { schema: { amount: 'categorical' } },
    );
    expect(declared.state.columns[0]?.kind).toBe('categorical');
  });

  it('a field mostly of numbers read as categories tells the logger; codes, IP addresses and declared fields do not', async () => {
    const mixed = Array.from({ length: 60 }, (_, i) => ({ code: i % 3 === 0 ? `A${i}` : String(100 + i), amount: 5 + (i % 9) }));
    const { logger, warnings } = recording();
    const model = FraudDetector.create({ detector: 'ecod' });
    await model.train(mixed, { logger });
    expect(warnings.filter((w) => w.includes(`'code'`))).toHaveLength(1);
    expect(warnings.find((w) => w.includes(`'code'`))).toContain('67 % of its values are numbers');
    model.dispose();

    const quiet = recording();
    const plain = FraudDetector.create({ detector: 'ecod', preprocess: { schema: { code: 'categorical' } } });
    await plain.train(mixed, { logger: quiet.logger });
    const ips = FraudDetector.create({ detector: 'ecod' });
    await ips.train(
      Array.from({ length: 60 }, (_, i) => ({ ip: `10.0.${i % 7}.${i}`, sku: `SKU${i}`, amount: 5 + (i % 9) })),
      { logger: quiet.logger },
    );
    expect(quiet.warnings).toEqual([]);
    plain.dispose();
    ips.dispose();
  });
});
