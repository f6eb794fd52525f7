import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTransactions, toTransaction } from './data';

// Transaction files as a user hands them to `train` / `evaluate` / `serve --data`: each bad row is refused
// where it is read, naming the file, its physical line (1-based, blank lines counted) and the field.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fraud-demo-input-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const T0 = 1767225600000; // 2026-01-01T00:00:00Z
const row = (i: number, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ card: `c${i % 3}`, amount: 10 + i, timestamp: T0 + i * 60_000, label: i === 2 ? 1 : 0, ...extra });

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('transaction files: every refusal names the file and the physical line', () => {
  it('a JSONL line that is `null`, an array or a number is refused as not a transaction (no TypeError)', async () => {
    for (const [name, value] of [
      ['null', 'null'],
      ['array', '[1,2]'],
      ['number', '5'],
    ]) {
      const path = await file(`${name}.jsonl`, `${row(0)}\n\n${value}\n${row(1)}\n`);
      await expect(loadTransactions(path)).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
        message: expect.stringMatching(new RegExp(`^${path.replace(/[.\\/]/g, '\\$&')}: line 3 is not a transaction: give an object`)),
      });
    }
    const onlyNull = await file('only-null.jsonl', 'null\n');
    await expect(loadTransactions(onlyNull)).rejects.toMatchObject({
      message: `${onlyNull}: line 1 is not a transaction: give an object with card, amount and timestamp (got null).`,
    });
  });

  it('line numbers are physical lines: blank lines and quoted line breaks are counted', async () => {
    const jsonl = await file('blank.jsonl', `${row(0)}\n\n\n${row(1)}\r\n\n${row(2)}\n{"card":"c1",\n`);
    await expect(loadTransactions(jsonl)).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: expect.stringMatching(/blank\.jsonl: line 7 is not JSON/),
      details: { file: jsonl, line: 7 },
    });
    const csv = await file(
      'blank.csv',
      `card,amount,timestamp,merchant\n\nc1,10,${T0},m1\n\nc2,11,${T0 + 1000},"two\nlines"\n\nc3,-5,${T0 + 2000},m3\n`,
    );
    await expect(loadTransactions(csv)).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: `${csv}: line 8: Transaction field amount must be a finite number in [0, 1000000000] (got -5).`,
      details: { file: csv, line: 8, field: 'amount' },
    });
    // A byte-order mark, CRLF line ends and a quoted CRLF count as a reader of the file would count them.
    const crlf = await file('crlf.csv', `\uFEFFcard,amount,timestamp,merchant\r\n\r\nc1,10,${T0},"x\r\ny"\r\nc2,-5,${T0 + 1000},m2\r\n`);
    await expect(loadTransactions(crlf)).rejects.toMatchObject({ details: { file: crlf, line: 5, field: 'amount' } });
    // The same file saved as UTF-16LE (as some spreadsheet exports are).
    const utf16 = await file('utf16.csv', '');
    await writeFile(
      utf16,
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from((await readFile(crlf, 'utf8')).replace(/^\uFEFF/, ''), 'utf16le')]),
    );
    await expect(loadTransactions(utf16)).rejects.toMatchObject({ details: { file: utf16, line: 5, field: 'amount' } });
  });

  it('digit-only timestamps outside a plausible epoch range (2026 as a year, YYYYMMDDhhmmss, seconds read as ms) are refused', async () => {
    for (const [value, line] of [
      ['2026', 3],
      ['20260101000000', 3],
      ['1767225600', 3],
      ['-1', 3],
    ] as const) {
      const csv = await file('ts.csv', `card,amount,timestamp\nc1,10,${T0}\nc1,11,${value}\n`);
      const error = await loadTransactions(csv).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'E_INPUT_INVALID',
        message: expect.stringContaining(`${csv}: line ${line}, field 'timestamp': "${value}" is not a plausible epoch-milliseconds time;`),
        details: { file: csv, line, field: 'timestamp', reason: 'timestamp-out-of-range' },
      });
      expect((error as Error).message).toMatch(/ISO 8601.*epoch milliseconds.*--time-unit s/);
    }
    // A JSON number the same way, and the seconds range under --time-unit s.
    const jsonl = await file('ts.jsonl', `${row(0, { timestamp: 20260101120000 })}\n`);
    await expect(loadTransactions(jsonl)).rejects.toMatchObject({
      details: { line: 1, field: 'timestamp', reason: 'timestamp-out-of-range' },
    });
    const seconds = await file('s.csv', `card,amount,timestamp\nc1,10,1767225600\nc1,11,1767225660\n`);
    expect((await loadTransactions(seconds, 7, 's')).txs.map((t) => t.timestamp)).toEqual([1767225600, 1767225660]);
    await expect(loadTransactions(seconds)).rejects.toMatchObject({ details: { line: 2, field: 'timestamp' } });
    const ms = await file('ms.csv', `card,amount,timestamp\nc1,10,${T0}\n`);
    await expect(loadTransactions(ms, 7, 's')).rejects.toMatchObject({
      message: expect.stringMatching(/line 2, field 'timestamp': "1767225600000" is not a plausible Unix-seconds time/),
    });
    // ISO 8601 text is read as given; other text is refused with the accepted forms.
    const iso = await file('iso.csv', `card,amount,timestamp\nc1,10,2026-01-01T00:00:00Z\nc1,11,01/02/2026\n`);
    await expect(loadTransactions(iso)).rejects.toMatchObject({
      message: expect.stringMatching(/iso\.csv: line 3, field 'timestamp': "01\/02\/2026" is not a time; give an ISO 8601 time/),
    });
    // Epoch ms in scientific notation (a spreadsheet's 13 digits) is a number; an hours-only offset is told what to add.
    const sci = await file('sci.csv', `card,amount,timestamp\nc1,10,1.79e12\nc1,11,1.79E+12\n`);
    expect((await loadTransactions(sci)).txs.map((t) => t.timestamp)).toEqual([1.79e12, 1.79e12]);
    const pg = await file('pg.csv', `card,amount,timestamp\nc1,10,2026-10-01 01:00:00+00\n`);
    await expect(loadTransactions(pg)).rejects.toMatchObject({
      message: expect.stringMatching(
        /line 2, field 'timestamp': "2026-10-01 01:00:00\+00" is not a time; .* \(an offset needs its minutes: 2026-10-01 01:00:00\+00:00\)\.$/,
      ),
    });
  });

  it('an object, array or boolean card / merchant / country is refused, not scored as "[object Object]" or "true"; numbers are identifiers', async () => {
    for (const [field, value] of [
      ['card', { a: 1 }],
      ['card', true],
      ['card', [1]],
      ['merchant', { x: 1 }],
      ['country', false],
    ] as const) {
      const path = await file('ids.jsonl', `${row(0)}\n${row(1, { [field]: value })}\n`);
      await expect(loadTransactions(path)).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
        message: expect.stringMatching(
          new RegExp(`ids\\.jsonl: line 2, field '${field}': .* is not an identifier; give text \\(or a number\\)\\.$`),
        ),
        details: { file: path, line: 2, field },
      });
    }
    const numbers = await file('num.jsonl', `${row(0, { card: 4111, merchant: 5411, country: 250 })}\n`);
    expect((await loadTransactions(numbers)).txs[0]).toMatchObject({ card: '4111', merchant: '5411', country: '250' });
    expect(() => toTransaction({ card: 'c', amount: 1, timestamp: T0, country: { a: 1 } }, 'ms', '--tx')).toThrow(
      "--tx, field 'country': an object is not an identifier; give text (or a number).",
    );
  });

  it("a CSV's NA, NaN and null cells are text as in JSONL (country NA is Namibia, card NA a card); only a blank cell is missing", async () => {
    const csv = await file(
      'na.csv',
      `card,amount,timestamp,merchant,country\nc1,10.00,${T0},m1,US\nc1,12.00,${T0 + 1000},NaN,NA\nNA,5.00,${T0 + 2000},null, \n`,
    );
    const jsonl = await file(
      'na.jsonl',
      [
        row(0, { card: 'c1', amount: 10, merchant: 'm1', country: 'US', label: undefined }),
        row(1, { card: 'c1', amount: 12, timestamp: T0 + 1000, merchant: 'NaN', country: 'NA', label: undefined }),
        row(2, { card: 'NA', amount: 5, timestamp: T0 + 2000, merchant: 'null', country: '', label: undefined }),
      ].join('\n'),
    );
    const fromCsv = (await loadTransactions(csv)).txs;
    expect(fromCsv).toEqual([
      { card: 'c1', amount: 10, timestamp: T0, merchant: 'm1', country: 'US' },
      { card: 'c1', amount: 12, timestamp: T0 + 1000, merchant: 'NaN', country: 'NA' },
      { card: 'NA', amount: 5, timestamp: T0 + 2000, merchant: 'null' },
    ]);
    expect(fromCsv).toEqual((await loadTransactions(jsonl)).txs);
    // A label among labels written NA is a gap, refused where it is.
    const label = await file('na-label.csv', `card,amount,timestamp,label\nc1,10,${T0},0\nc1,11,${T0 + 1000},NA\n`);
    await expect(loadTransactions(label)).rejects.toMatchObject({
      message: expect.stringMatching(
        /na-label\.csv: line 3, field 'label': "NA" is not a label; .* a file with labels needs one on every transaction/,
      ),
    });
  });

  it("in amount and label a CSV's NA, NaN and null are missing, as an empty cell (R's write.csv writes NA): a label column of them is an unlabelled file", async () => {
    const rows = (labels: readonly string[]): string =>
      `card,amount,timestamp,merchant,country,label\n${labels.map((l, i) => `c${i},${10 + i},${T0 + i * 1000},m${i},DE,${l}`).join('\n')}\n`;
    const blank = await loadTransactions(await file('blank-label.csv', rows(['', '', ''])));
    expect(blank.labels).toBeUndefined();
    for (const word of ['NA', 'NaN', 'null']) {
      // An unlabelled file, read as the same file with empty label cells is (it was refused: '"NA" is not a label').
      const read = await loadTransactions(await file('na-label-all.csv', rows([word, ` ${word}`, word])));
      expect(read.labels).toBeUndefined();
      expect(read.txs).toEqual(blank.txs);
      // Labelled rows with a gap written so are refused as a gap (an empty cell is too).
      await expect(loadTransactions(await file('na-label-gap.csv', rows(['0', word, '1'])))).rejects.toMatchObject({
        message: expect.stringMatching(/line 3, field 'label': .* a file with labels needs one on every transaction/),
        details: { line: 3, field: 'label' },
      });
      // An amount written so is a missing amount, refused as an empty one (not "not a valid number").
      const amount = await file('na-amount.csv', `card,amount,timestamp\nc1,10,${T0}\nc1,${word},${T0 + 1000}\n`);
      const empty = await file('na-amount.csv', `card,amount,timestamp\nc1,10,${T0}\nc1,,${T0 + 1000}\n`);
      const refusal = async (path: string): Promise<string> => {
        try {
          await loadTransactions(path);
        } catch (error) {
          return (error as Error).message;
        }
        return 'read';
      };
      expect(await refusal(amount)).toMatch(/na-amount\.csv: line 3: Transaction field amount must be a finite number/);
      expect(await refusal(amount)).toBe(await refusal(empty));
    }
    // Other text in amount is still refused naming the cell; a number in scientific notation is read.
    await expect(loadTransactions(await file('bad-amount.csv', `card,amount,timestamp\nc1,ten,${T0}\n`))).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: expect.stringMatching(/bad-amount\.csv: line 2, column 'amount': 'ten' is not a valid number\.$/),
      details: { line: 2, column: 'amount', value: 'ten' },
    });
    expect((await loadTransactions(await file('sci-amount.csv', `card,amount,timestamp\nc1,1.5e2,${T0}\n`))).txs[0]!.amount).toBe(150);
    // Thousands separators as spreadsheets write them are read, as the SDK reads them in records; a decimal comma is not.
    const grouped = await file('grouped-amount.csv', `card,amount,timestamp\nc1,"1,234.50",${T0}\nc1,"999,999",${T0 + 1000}\n`);
    expect((await loadTransactions(grouped)).txs.map((t) => t.amount)).toEqual([1234.5, 999999]);
    expect(toTransaction({ card: 'c', amount: '1,234.50', timestamp: T0 }, 'ms', '--tx').amount).toBe(1234.5);
    await expect(loadTransactions(await file('comma-amount.csv', `card,amount,timestamp\nc1,"1.234,50",${T0}\n`))).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      details: { line: 2, column: 'amount', value: '1.234,50' },
    });
  });

  it('a CSV header (or a JSONL line) without card, amount or timestamp is refused as such, naming what is missing and what was found', async () => {
    const cases = [
      ['card_id,amount,timestamp', `no 'card' column (its columns: 'card_id', 'amount', 'timestamp')`, "(rename 'card_id' to 'card'?)"],
      ['card,amount,created_at', `no 'timestamp' column (its columns: 'card', 'amount', 'created_at')`, ''],
      ['card,value,timestamp', `no 'amount' column (its columns: 'card', 'value', 'timestamp')`, ''],
      ['Card,Amount,timestamp', `no 'card' or 'amount' column`, "(rename 'Card' to 'card'? rename 'Amount' to 'amount'?)"],
      ['card;amount;timestamp', `no 'card' or 'amount' or 'timestamp' column`, '(the header is one column holding ";"'],
    ] as const;
    for (const [header, what, hint] of cases) {
      const path = await file('header-names.csv', `${header}\nc1,10.00,${T0}\n`);
      const error = (await loadTransactions(path).catch((e: unknown) => e)) as Error & { code: string; details: unknown };
      expect(error).toMatchObject({ code: 'E_INPUT_INVALID', details: { file: path, line: 1, reason: 'header-missing-columns' } });
      expect(error.message).toContain(`${path}: the header has ${what}`);
      expect(error.message).toContain(hint);
      expect(error.message).not.toMatch(/line 2|typed column/);
    }
    // A JSONL line without a required field is told which one and what it has.
    const jsonl = await file('fields.jsonl', `${row(0)}\n${JSON.stringify({ card_id: 'c1', amount: 5, timestamp: T0 })}\n`);
    await expect(loadTransactions(jsonl)).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: `${jsonl}: line 2, field 'card': the transaction has no 'card' field (its fields: 'card_id', 'amount', 'timestamp'); give card, amount and timestamp (rename 'card_id' to 'card'?).`,
      details: { file: jsonl, line: 2, field: 'card', reason: 'field-missing' },
    });
    // A key equal to the field but for case and spaces is the near name before one merely holding it.
    const both = await file('both.jsonl', `${JSON.stringify({ card_id: 'c1', ' Card ': 'c1', amount: 5, timestamp: T0 })}\n`);
    await expect(loadTransactions(both)).rejects.toMatchObject({ message: expect.stringContaining("(rename ' Card ' to 'card'?)") });
    const noTime = await file('no-time.jsonl', `${JSON.stringify({ card: 'c1', amount: 5, created_at: T0 })}\n`);
    await expect(loadTransactions(noTime)).rejects.toMatchObject({
      message: expect.stringContaining(
        "line 1, field 'timestamp': the transaction has no 'timestamp' field (its fields: 'card', 'amount', 'created_at')",
      ),
    });
  });

  it('a file with no transactions says so; an empty CSV and an unreadable path name the file and why', async () => {
    for (const [name, text] of [
      ['header.csv', 'card,amount,timestamp,label\n'],
      ['blank.jsonl', '\n  \n'],
      ['empty.jsonl', ''],
    ] as const) {
      const path = await file(`none-${name}`, text);
      await expect(loadTransactions(path)).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
        message: expect.stringMatching(new RegExp(`none-${name.replace('.', '\\.')} holds no transactions`)),
      });
    }
    const empty = await file('empty.csv', '');
    await expect(loadTransactions(empty)).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: expect.stringMatching(/^\S+empty\.csv: (t|T)he CSV is empty/),
    });
    const missing = join(dir, 'nope.jsonl');
    await expect(loadTransactions(missing)).rejects.toMatchObject({
      code: 'E_IO',
      message: `Cannot read transactions file ${missing}: no such file.`,
    });
    const folder = join(dir, 'folder.jsonl');
    await mkdir(folder);
    await expect(loadTransactions(folder)).rejects.toMatchObject({
      code: 'E_IO',
      message: `Cannot read transactions file ${folder}: it is a directory, not a regular file.`,
    });
  });

  it.skipIf(process.platform === 'win32')('a FIFO is refused before it is opened (it used to block for ever)', async () => {
    for (const name of ['pipe.csv', 'pipe.jsonl']) {
      const fifo = join(dir, name);
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      await expect(loadTransactions(fifo)).rejects.toMatchObject({
        code: 'E_IO',
        message: `Cannot read transactions file ${fifo}: it is a FIFO (named pipe), not a regular file.`,
      });
    }
  });
});
