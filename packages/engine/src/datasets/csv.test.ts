import { createReadStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { csvRowLine, readCsv, readCsvAll, readNumericMatrix } from './csv';
import { parseBooleanCell, parseDateCell, parseNumberCell } from './csv-cells';
import { expectCode, realDataset, tempDir } from './test-helpers';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('cell parsers', () => {
  it('numbers are strict decimals', () => {
    expect(parseNumberCell('1.5')).toBe(1.5);
    expect(parseNumberCell(' -2e3 ')).toBe(-2000);
    expect(parseNumberCell('.5')).toBe(0.5);
    expect(parseNumberCell('7.')).toBe(7);
    for (const bad of ['', ' ', '0x10', '1,000', 'Infinity', 'NaN', '1e', 'abc', '1.2.3', '--1', '1e999']) {
      expect(parseNumberCell(bad), bad).toBeUndefined();
    }
  });

  it('booleans', () => {
    expect(['true', 'T', 'yes', 'Y', '1'].map(parseBooleanCell)).toEqual([true, true, true, true, true]);
    expect(['false', 'F', 'no', 'n', '0'].map(parseBooleanCell)).toEqual([false, false, false, false, false]);
    expect(parseBooleanCell('maybe')).toBeUndefined();
  });

  it('dates are ISO-8601, zone-less times are UTC, impossible dates rejected', () => {
    expect(parseDateCell('2012-03-01')?.toISOString()).toBe('2012-03-01T00:00:00.000Z');
    expect(parseDateCell('2012-03-01 00:05')?.toISOString()).toBe('2012-03-01T00:05:00.000Z');
    expect(parseDateCell('2012-03-01T10:05:07.25Z')?.toISOString()).toBe('2012-03-01T10:05:07.250Z');
    expect(parseDateCell('2012-03-01T10:05:00+02:00')?.toISOString()).toBe('2012-03-01T08:05:00.000Z');
    expect(parseDateCell('2012-03-01T10:05:00-0130')?.toISOString()).toBe('2012-03-01T11:35:00.000Z');
    for (const bad of ['2012-02-30', '2012-13-01', '1', '2012', 'March 1 2012', '2012-03-01T25:00', '03/01/2012']) {
      expect(parseDateCell(bad), bad).toBeUndefined();
    }
  });
});

describe('readCsv', () => {
  const csv = 'id,amount,when,fraud,note\n1,12.5,2024-01-02,true,ok\n2,NA,2024-01-03T10:00:00Z,0,\n3,-3e2,,no,"quoted, with comma"\n';
  const columns = { id: 'number', amount: 'number', when: 'date', fraud: 'boolean' } as const;

  it('yields typed rows, with missing cells as null and untyped columns as strings', async () => {
    const rows = await readCsvAll(text(csv), { columns });
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual({ id: 1, amount: 12.5, when: new Date('2024-01-02T00:00:00Z'), fraud: true, note: 'ok' });
    expect(rows[1]).toMatchObject({ id: 2, amount: null, fraud: false, note: null });
    expect(rows[2]).toMatchObject({ id: 3, amount: -300, when: null, fraud: false, note: 'quoted, with comma' });
    // The row type carries the column types.
    const amount: number | null = rows[0]!.amount;
    expect(amount).toBe(12.5);
  });

  it("keeps columns named like Object's own properties, '__proto__' included, as plain keys of plain rows", async () => {
    const source = 'a,__proto__,constructor,toString,b\n1,2,x,y,3\n4,,,,6\n';
    const rows = await readCsvAll(text(source), {
      // A computed key: `__proto__: 'number'` in a literal would set the object's prototype instead.
      columns: { a: 'number', ['__proto__']: 'number', b: 'number' } as const,
    });
    const streamed: unknown[] = [];
    for await (const row of readCsv(text(source))) streamed.push(row);
    for (const row of [...rows, ...(streamed as typeof rows)]) {
      expect(Object.keys(row)).toEqual(['a', '__proto__', 'constructor', 'toString', 'b']);
      expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
      expect(Object.hasOwn(row, '__proto__')).toBe(true);
    }
    expect(rows.map((r) => r['__proto__'])).toEqual([2, null]);
    expect(rows.map((r) => [r['constructor'], r['toString']])).toEqual([
      ['x', 'y'],
      [null, null],
    ]);
    expect(JSON.parse(JSON.stringify(rows[0]))).toEqual(JSON.parse('{"a":1,"__proto__":2,"constructor":"x","toString":"y","b":3}'));
    expect((streamed[1] as Record<string, unknown>)['__proto__']).toBeNull();
  });

  it('reads from a path and from a stream, with a custom delimiter and missing list', async () => {
    const dir = tempDir();
    const path = join(dir, 'a.tsv');
    writeFileSync(path, 'a\tb\n1\t-\n2\t3\n');
    const fromPath = await readCsvAll(path, { delimiter: '\t', columns: { a: 'number', b: 'number' }, missing: ['-'] });
    expect(fromPath).toEqual([
      { a: 1, b: null },
      { a: 2, b: 3 },
    ]);
    const fromStream = await readCsvAll(createReadStream(path), { delimiter: '\t' });
    expect(fromStream).toEqual([
      { a: '1', b: '-' },
      { a: '2', b: '3' },
    ]);
    const fromIterable = await readCsvAll(Readable.from(['x,y\n', '1,', '2\n']), { columns: { x: 'number', y: 'number' } });
    expect(fromIterable).toEqual([{ x: 1, y: 2 }]);
  });

  it('headerless files use names (or indices)', async () => {
    const data = text('ham\thello\nspam\t"free" prize\n');
    const named = await readCsvAll(data, { header: false, names: ['label', 'text'], delimiter: '\t', quote: false });
    expect(named).toEqual([
      { label: 'ham', text: 'hello' },
      { label: 'spam', text: '"free" prize' },
    ]);
    const indexed = await readCsvAll(text('1,2\n3,4\n'), { header: false, columns: { '1': 'number' } });
    expect(indexed).toEqual([
      { '0': '1', '1': 2 },
      { '0': '3', '1': 4 },
    ]);
  });

  it("onHeader gets the columns in the file's order (a row object puts numeric names first)", async () => {
    const seen: string[][] = [];
    const rows = await readCsvAll(text('time,773869,716331\nt0,1,2\n'), { onHeader: (c) => seen.push([...c]) });
    expect(seen).toEqual([['time', '773869', '716331']]);
    expect(Object.keys(rows[0] as object)).toEqual(['716331', '773869', 'time']);
    const none: string[][] = [];
    await readCsvAll(text('a\tb\n'), { delimiter: '\t', onHeader: (c) => none.push([...c]) });
    expect(none).toEqual([['a', 'b']]);
  });

  it('a bad cell → E_INPUT_INVALID with line and column', async () => {
    const error = await expectCode(() => readCsvAll(text('a,b\n1,2\n3,x7\n'), { columns: { b: 'number' } }), 'E_INPUT_INVALID');
    expect(error.details).toMatchObject({ line: 3, column: 'b', columnIndex: 1, value: 'x7' });
    expect(error.message).toContain("line 3, column 'b'");
    const date = await expectCode(() => readCsvAll(text('d\n2024-02-31\n'), { columns: { d: 'date' } }), 'E_INPUT_INVALID');
    expect(date.details).toMatchObject({ line: 2, column: 'd' });
    // NaN is only accepted where it is declared missing.
    await expectCode(() => readCsvAll(text('a\nNaN\n'), { columns: { a: 'number' }, missing: [] }), 'E_INPUT_INVALID');
  });

  it('ragged rows → E_INPUT_INVALID with the line', async () => {
    const error = await expectCode(() => readCsvAll(text('a,b\n1,2\n\n3,4,5\n')), 'E_INPUT_INVALID');
    expect(error.details).toMatchObject({ line: 4, expected: 2, actual: 3 });
    const short = await expectCode(() => readCsvAll(text('a,b\n1\n')), 'E_INPUT_INVALID');
    expect(short.details).toMatchObject({ line: 2, expected: 2, actual: 1 }); // raggedRows: 'pad' reads them: missing trailing fields null, extra ones dropped.
    const padded = await readCsvAll(text('a,b,c\n1,2,3\n4\n5,6,7,8\n'), { raggedRows: 'pad', columns: { a: 'number' } });
    expect(padded).toEqual([
      { a: 1, b: '2', c: '3' },
      { a: 4, b: null, c: null },
      { a: 5, b: '6', c: '7' },
    ]);
    await expectCode(() => readCsvAll(text('a\n1\n'), { raggedRows: 'skip' as never }), 'E_INPUT_INVALID');
  });

  it('malformed quoting → E_INPUT_INVALID with the line', async () => {
    const error = await expectCode(() => readCsvAll(text('a,b\n1,2\n3,"unterminated\n')), 'E_INPUT_INVALID');
    expect(error.message).toMatch(/malformed CSV/);
    expect(error.details.line).toBeGreaterThanOrEqual(3);
    await expectCode(() => readCsvAll(text(`a\n"${'x'.repeat(5000)}`), { maxRecordChars: 1000 }), 'E_INPUT_INVALID');
  });

  it('header problems: unknown typed column, duplicate names, empty input', async () => {
    const unknown = await expectCode(() => readCsvAll(text('a,b\n1,2\n'), { columns: { c: 'number' } }), 'E_INPUT_INVALID');
    expect(unknown.message).toContain("'c'");
    expect(unknown.message).toContain('a, b');
    await expectCode(() => readCsvAll(text('a,a\n1,2\n')), 'E_INPUT_INVALID');
    await expectCode(() => readCsvAll(text('')), 'E_INPUT_INVALID');
    expect(await readCsvAll(text('a,b\n'))).toEqual([]);
    await expectCode(() => readCsvAll(text('a\n1\n'), { columns: { a: 'float' as never } }), 'E_INPUT_INVALID');
  });

  it('maxRows guards, limit stops early, and a missing file is E_IO', async () => {
    const many = text('a\n' + Array.from({ length: 50 }, (_, i) => `${i}`).join('\n'));
    await expectCode(() => readCsvAll(many, { maxRows: 10 }), 'E_INPUT_TOO_LARGE');
    expect(await readCsvAll(many, { limit: 3, columns: { a: 'number' } })).toEqual([{ a: 0 }, { a: 1 }, { a: 2 }]);
    const error = await expectCode(() => readCsvAll(join(tempDir(), 'nope.csv')), 'E_IO');
    expect(error.message).toContain('nope.csv');
  });

  it('breaking out of the loop closes the source', async () => {
    const dir = tempDir();
    const path = join(dir, 'big.csv');
    writeFileSync(path, 'a\n' + Array.from({ length: 100_000 }, (_, i) => `${i}`).join('\n'));
    const stream = createReadStream(path);
    let seen = 0;
    for await (const row of readCsv(stream, { columns: { a: 'number' } })) {
      seen++;
      if (row.a === 4) break;
    }
    expect(seen).toBe(5);
    expect(stream.destroyed).toBe(true);
    const fromPath = readCsv(path);
    const first = await fromPath.next();
    expect(first.value).toEqual({ a: '0' });
    await fromPath.return(undefined);
  });
});

describe('csvRowLine', () => {
  it("gives each row's physical line (blank lines and quoted line breaks counted); an empty file's error names it", async () => {
    const rows = await readCsvAll(Buffer.from('a,b\n1,x\n\n\n2,"two\nlines"\n3,z\n'));
    expect(rows.map((r) => csvRowLine(r))).toEqual([2, 6, 7]);
    expect(csvRowLine({})).toBeUndefined();
    const dir = tempDir();
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    const error = await expectCode(() => readCsvAll(empty), 'E_INPUT_INVALID');
    expect(error.message).toBe(`${empty}: the CSV is empty: no header row was found.`);
  });

  it('counts a CRLF inside a quoted field as one line break, also when a chunk ends between its CR and LF', async () => {
    const text = '\uFEFFa,b\r\n\r\n1,"x\r\ny"\r\n2,"p\rq"\r\n3,"m\n\nn"\r\n4,z';
    const expected = [4, 6, 9, 10];
    expect((await readCsvAll(Buffer.from(text))).map((r) => csvRowLine(r))).toEqual(expected);
    // One byte per chunk: every CRLF is split across two chunks.
    const bytes = Buffer.from(text);
    const oneByOne = Readable.from(Array.from(bytes, (b) => Buffer.from([b])));
    expect((await readCsvAll(oneByOne)).map((r) => csvRowLine(r))).toEqual(expected);
    // Text chunks (a string stream) are counted in the same bytes the parser reads.
    const asText = Readable.from(['\uFEFFa,b\r\n\r\n1,"é\r', '\ny"\r\n2,"p\rq"\r\n3,"m\n\nn"\r\n4,z']);
    expect((await readCsvAll(asText)).map((r) => csvRowLine(r))).toEqual(expected);
    // Errors name the same lines: the reader's own, and the parser's (csv-parse's count is not used).
    const ragged = await expectCode(() => readCsvAll(Buffer.from('a,b\r\n1,"x\r\ny"\r\n2,3,4\r\n')), 'E_INPUT_INVALID');
    expect(ragged.details).toMatchObject({ line: 4 });
    const badQuote = await expectCode(() => readCsvAll(Buffer.from('a,b\r\n1,"x\r\ny"\r\n2,"bad"x\r\n')), 'E_INPUT_INVALID');
    expect(badQuote.details).toMatchObject({ line: 4, csvCode: 'CSV_INVALID_CLOSING_QUOTE' });
    expect(badQuote.message).toMatch(/^CSV input: malformed CSV at line 4: /);
    expect(badQuote.message.match(/line \d+/g)).toEqual(['line 4']);
    const unclosed = await expectCode(() => readCsvAll(Buffer.from('a,b\r\n1,"x\r\ny"\r\n2,z\r\n"open\r\nmore')), 'E_INPUT_INVALID');
    expect(unclosed.details).toMatchObject({ line: 5, csvCode: 'CSV_QUOTE_NOT_CLOSED' });
  });

  it('keeps every line right past the counter’s clean-ups (20,000 rows, some with quoted line breaks), from bytes and from a file', async () => {
    const parts = ['n,t\r\n'];
    const expected: number[] = [];
    let line = 1;
    for (let i = 0; i < 20_000; i++) {
      const quoted = i % 997 === 0;
      parts.push(quoted ? `${i},"a\r\nb"\r\n` : `${i},x\r\n`);
      line += quoted ? 2 : 1;
      expected.push(line);
      if (i % 1500 === 0) {
        parts.push('\r\n'); // a blank line
        line += 1;
      }
    }
    const text = parts.join('');
    expect((await readCsvAll(Buffer.from(text))).map((r) => csvRowLine(r))).toEqual(expected);
    const file = join(tempDir(), 'long.csv');
    writeFileSync(file, text);
    expect((await readCsvAll(file)).map((r) => csvRowLine(r))).toEqual(expected);
    // A parser error after blank lines names the line its unclosed quote starts on.
    const unclosed = await expectCode(() => readCsvAll(Buffer.from('a,b\n1,2\n\n\n"open\n')), 'E_INPUT_INVALID');
    expect(unclosed.details).toMatchObject({ line: 5, csvCode: 'CSV_QUOTE_NOT_CLOSED' });
  });

  it('counts lines of a UTF-16LE file (byte-order mark FF FE) in 2-byte code units', async () => {
    const utf16 = (text: string): Buffer => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect((await readCsvAll(utf16('a,b\n1,x\n2,y\n'))).map((r) => csvRowLine(r))).toEqual([2, 3]);
    const text = 'a,b\r\n\r\n1,"x\r\ny"\r\n2,z\r\n';
    expect((await readCsvAll(utf16(text))).map((r) => csvRowLine(r))).toEqual([4, 5]);
    const oneByOne = Readable.from(Array.from(utf16(text), (b) => Buffer.from([b])));
    expect((await readCsvAll(oneByOne)).map((r) => csvRowLine(r))).toEqual([4, 5]);
    const ragged = await expectCode(() => readCsvAll(utf16('a,b\r\n1,2\r\n1,2,3\r\n')), 'E_INPUT_INVALID');
    expect(ragged.details).toMatchObject({ line: 3 });
  });
});

describe('readNumericMatrix', () => {
  it('headerless and headered numeric tables', async () => {
    const plain = await readNumericMatrix(text('1,0,0.5\n0,1,0\n'));
    expect(plain).toMatchObject({ columns: null, rows: 2, cols: 3 });
    expect(Array.from(plain.data)).toEqual([1, 0, 0.5, 0, 1, 0]);
    const named = await readNumericMatrix(text('s1,s2\n60.5,61\n62,63.25\n'));
    expect(named.columns).toEqual(['s1', 's2']);
    expect(Array.from(named.data)).toEqual([60.5, 61, 62, 63.25]);
    // A header of numeric ids must be declared.
    const ids = await readNumericMatrix(text('101,102\n1,2\n'), { header: true });
    expect(ids).toMatchObject({ columns: ['101', '102'], rows: 1, cols: 2 });
    const forced = await readNumericMatrix(text('1,2\n3,4\n'), { header: false });
    expect(forced.rows).toBe(2);
  });

  it("a ';'- or tab-separated file read with commas says to pass its delimiter (it said only that the row is not a number)", async () => {
    const semi = await expectCode(() => readNumericMatrix(text('a;b\n1;2\n')), 'E_INPUT_INVALID');
    expect(semi.message).toBe(
      "CSV input: line 2, column 'a;b': '1;2' is not a number. The rows are one field holding ';': if the file is separated by ';', pass delimiter: ';'.",
    );
    const tab = await expectCode(() => readNumericMatrix(text('1\t2\n3\t4\n')), 'E_INPUT_INVALID');
    expect(tab.message).toMatch(/pass delimiter: '\\t'\.$/);
    expect(Array.from((await readNumericMatrix(text('a;b\n1;2\n'), { delimiter: ';' })).data)).toEqual([1, 2]);
    // Several fields, or one without another delimiter in it: no hint.
    expect((await expectCode(() => readNumericMatrix(text('a,b\n1,x;y\n')), 'E_INPUT_INVALID')).message).toBe(
      "CSV input: line 2, column 'b': 'x;y' is not a number.",
    );
    expect((await expectCode(() => readNumericMatrix(text('a\nx\n')), 'E_INPUT_INVALID')).message).toBe(
      "CSV input: line 2, column 'a': 'x' is not a number.",
    );
  });

  it('grows past its initial buffer', async () => {
    const lines = Array.from({ length: 3000 }, (_, r) => `${r},${r * 2}`).join('\n');
    const m = await readNumericMatrix(text(lines));
    expect(m.rows).toBe(3000);
    expect(m.data.length).toBe(6000);
    expect(m.data[5999]).toBe(5998);
  });

  it('missing cells are an error unless allowMissing', async () => {
    const error = await expectCode(() => readNumericMatrix(text('a,b\n1,2\n3,NA\n')), 'E_INPUT_INVALID');
    expect(error.details).toMatchObject({ line: 3, column: 'b' });
    expect(error.message).toContain('allowMissing');
    const m = await readNumericMatrix(text('a,b\n1,2\n3,NA\n'), { allowMissing: true });
    expect(Number.isNaN(m.data[3])).toBe(true);
  });

  it('rowLines: the line each row ends on (header, blank lines and quoted line breaks counted), on request', async () => {
    const input = 'a,b\n1,2\n\n3,"4\n"\n5,6\n';
    const m = await readNumericMatrix(text(input), { rowLines: true });
    expect(Array.from(m.rowLines!)).toEqual([2, 5, 6]);
    const rows = await readCsvAll(text(input));
    expect(rows.map((row) => csvRowLine(row))).toEqual([2, 5, 6]);
    expect(Array.from((await readNumericMatrix(text('1\n2\n'), { rowLines: true })).rowLines!)).toEqual([1, 2]);
    const many = await readNumericMatrix(text(Array.from({ length: 700 }, (_, r) => String(r)).join('\n')), { rowLines: true });
    expect(many.rowLines!.length).toBe(700);
    expect(many.rowLines![699]).toBe(700);
    expect((await readNumericMatrix(text('1\n'))).rowLines).toBeUndefined();
    const bad = await expectCode(() => readNumericMatrix(text('1\n'), { rowLines: 'yes' as never }), 'E_INPUT_INVALID');
    expect(bad.message).toBe('rowLines must be true or false (got "yes").');
  });

  it('bad cells, ragged rows, empty input and limits → typed errors', async () => {
    const bad = await expectCode(() => readNumericMatrix(text('1,2\n3,four\n')), 'E_INPUT_INVALID');
    expect(bad.details).toMatchObject({ line: 2, column: '1', value: 'four' });
    const ragged = await expectCode(() => readNumericMatrix(text('1,2\n3,4,5\n')), 'E_INPUT_INVALID');
    expect(ragged.details).toMatchObject({ line: 2, expected: 2, actual: 3 });
    await expectCode(() => readNumericMatrix(text('')), 'E_INPUT_INVALID');
    await expectCode(() => readNumericMatrix(text('a,b\n')), 'E_INPUT_INVALID');
    await expectCode(() => readNumericMatrix(text('1\n2\n3\n'), { maxRows: 2 }), 'E_INPUT_TOO_LARGE');
    await expectCode(() => readNumericMatrix(text('1,2\n3,4\n'), { maxCells: 3 }), 'E_INPUT_TOO_LARGE');
  });
});

// Real files from $APPLIEDML_DATA_DIR. Expected values were read once with numpy 1.24 and hard-coded.
describe('real datasets from APPLIEDML_DATA_DIR', () => {
  const losLoop = {
    name: 'los-loop',
    howToGet: 'T-GCN Los-loop data, https://github.com/lehaifeng/T-GCN data/los_speed.csv and data/los_adj.csv (research use)',
    files: [
      { path: 'los_speed.csv', sha256: '7b732d86ae32b2930595becba28aff39dacbfb2197e250fc0332e1744ce2cbf4' },
      { path: 'los_adj.csv', sha256: '7a6eb41e10677992b5af50f5ab187c6c05c5c3a92cb973950cfddbf857361e76' },
    ],
  };

  it('los_speed.csv: 2016 time steps x 207 sensors with a header of sensor ids', async () => {
    const ds = await realDataset(losLoop);
    const speed = await readNumericMatrix(ds.files['los_speed.csv'] as string, { header: true });
    expect(speed.rows).toBe(2016);
    expect(speed.cols).toBe(207);
    expect(speed.columns?.slice(0, 3)).toEqual(['773869', '767541', '767542']);
    expect(Array.from(speed.data.subarray(0, 3))).toEqual([64.375, 67.625, 67.125]);
    expect(Array.from(speed.data.subarray(speed.data.length - 3))).toEqual([58.75, 68.25, 58.875]);
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of speed.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    expect([min, max]).toEqual([1, 70]);
    expect(sum).toBeCloseTo(24576105.65634952, 4);
  });

  it('los_adj.csv: 207 x 207 headerless weighted adjacency', async () => {
    const ds = await realDataset(losLoop);
    const adj = await readNumericMatrix(ds.files['los_adj.csv'] as string);
    expect(adj).toMatchObject({ columns: null, rows: 207, cols: 207 });
    expect(Array.from(adj.data.subarray(0, 5))).toEqual([1, 0, 0, 0, 0]);
    expect(adj.data[13]).toBe(0.260935932);
    expect(adj.data.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0)).toBe(2833);
    expect(adj.data.reduce((s, v) => s + v, 0)).toBeCloseTo(1307.158488468, 6);
  });

  it('streams typed rows from los_speed.csv and stops early', async () => {
    const ds = await realDataset(losLoop);
    const rows = [];
    for await (const row of readCsv(ds.files['los_speed.csv'] as string, { columns: { '773869': 'number', '767541': 'number' } })) {
      rows.push(row);
      if (rows.length === 2) break;
    }
    expect(rows[0]?.['773869']).toBe(64.375);
    expect(rows[0]?.['767541']).toBe(67.625);
  });

  it('SMS Spam Collection: headerless TSV with quotes as text, 4827 ham / 747 spam', async () => {
    const ds = await realDataset({
      name: 'sms-spam',
      howToGet: 'UCI SMS Spam Collection v.1 (Almeida et al. 2011), file SMSSpamCollection renamed to .tsv',
      files: [{ path: 'SMSSpamCollection.tsv', sha256: '7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d' }],
    });
    const rows = await readCsvAll(ds.files['SMSSpamCollection.tsv'] as string, {
      header: false,
      names: ['label', 'text'],
      delimiter: '\t',
      quote: false,
      missing: [],
    });
    expect(rows).toHaveLength(5574);
    expect(rows.filter((r) => r.label === 'ham')).toHaveLength(4827);
    expect(rows.filter((r) => r.label === 'spam')).toHaveLength(747);
    expect(rows[rows.length - 1]).toEqual({ label: 'ham', text: 'Rofl. Its true to its name' });
  });
});

describe('CSV options are checked before a file is opened', () => {
  it('bad options on a missing file are E_INPUT_INVALID, and no stray stream error ends the process afterwards', async () => {
    const missing = join(tempDir(), 'missing.csv');
    const errors: unknown[] = [];
    const onStray = (e: unknown): void => {
      errors.push(e);
    };
    process.on('uncaughtException', onStray);
    try {
      await expectCode(() => readCsvAll(missing, { delimiter: '' }), 'E_INPUT_INVALID');
      await expectCode(() => readCsvAll(missing, { maxRecordChars: -5 }), 'E_INPUT_INVALID');
      await expectCode(() => readNumericMatrix(missing, { maxRecordChars: -1 } as never), 'E_INPUT_INVALID');
      const present = join(tempDir(), 'present.csv');
      writeFileSync(present, 'a,b\n1,2\n');
      await expectCode(() => readCsvAll(present, { maxRecordChars: -5 }), 'E_INPUT_INVALID');
      await new Promise((resolve) => setTimeout(resolve, 50)); // a stray 'error' event would land here
    } finally {
      process.off('uncaughtException', onStray);
    }
    expect(errors).toEqual([]);
  });
});

describe('option types and early dates (API fuzz F19)', () => {
  it('refuses missing / names that are not lists of strings and an onHeader that is not a function', async () => {
    const csv = Buffer.from('a,b\n1,NA\n');
    for (const missing of ['NA', 5, [1]])
      expect((await expectCode(() => readCsvAll(csv, { missing: missing as never }), 'E_INPUT_INVALID')).message).toMatch(
        /missing must be a list of strings/,
      );
    await expectCode(() => readNumericMatrix(csv, { missing: 'NA' as never }), 'E_INPUT_INVALID');
    await expectCode(() => readCsvAll(csv, { header: false, names: 5 as never }), 'E_INPUT_INVALID');
    await expectCode(() => readCsvAll(csv, { onHeader: 5 as never }), 'E_INPUT_INVALID');
    expect(await readCsvAll(csv, { missing: ['NA'] })).toEqual([{ a: '1', b: null }]);
  });

  it('reads ISO dates in the years 0000 to 0099 (Date.UTC took them for 1900 to 1999)', () => {
    expect(parseDateCell('0050-06-15')?.toISOString()).toBe('0050-06-15T00:00:00.000Z');
    expect(parseDateCell('0000-01-01T12:30:00Z')?.getUTCFullYear()).toBe(0);
    expect(parseDateCell('0099-12-31 23:59')?.toISOString()).toBe('0099-12-31T23:59:00.000Z');
    expect(parseDateCell('0004-02-29')?.getUTCDate()).toBe(29);
    expect(parseDateCell('0003-02-29')).toBeUndefined();
  });
});
