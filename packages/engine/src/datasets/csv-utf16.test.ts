import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readCsvAll, readNumericMatrix } from './csv';
import { expectCode, tempDir } from './test-helpers';

const TEXT = 'a,b\n1,2\n3,4\n';
const le = (text: string): Buffer => Buffer.from(text, 'utf16le');
const be = (text: string): Buffer => le(text).swap16();
const withMark = (mark: number[], body: Buffer): Buffer => Buffer.concat([Buffer.from(mark), body]);

describe('CSV readers on UTF-16 text (review s28 R1-3)', () => {
  it('UTF-16 big-endian with its byte-order mark is refused saying what it is and how to convert it (it read as columns of NULs)', async () => {
    const error = await expectCode(() => readCsvAll(withMark([0xfe, 0xff], be(TEXT)), { columns: { a: 'number' } }), 'E_INPUT_INVALID');
    expect(error.message).toBe(
      'CSV input: the CSV is UTF-16 big-endian text (it starts with the byte-order mark FE FF); the CSV readers take UTF-8, or UTF-16 ' +
        'little-endian starting with the byte-order mark FF FE. Convert it to UTF-8 first, e.g. iconv -f UTF-16BE -t UTF-8 in.csv > out.csv ' +
        '(or save it from the spreadsheet as "CSV UTF-8").',
    );
    expect(error.details).toEqual({ source: 'CSV input', encoding: 'utf-16be', byteOrderMark: true });
    const matrix = await expectCode(() => readNumericMatrix(withMark([0xfe, 0xff], be(TEXT))), 'E_INPUT_INVALID');
    expect(matrix.details).toMatchObject({ encoding: 'utf-16be', byteOrderMark: true });
  });

  it('UTF-16 without a byte-order mark, either order, is refused naming the order (a file path names itself)', async () => {
    const dir = tempDir();
    const file = join(dir, 'export.csv');
    writeFileSync(file, le(TEXT));
    const error = await expectCode(() => readCsvAll(file), 'E_INPUT_INVALID');
    expect(error.message).toMatch(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the CSV looks like UTF-16 little-endian text without a byte-order mark \\(a 0 byte after each of its first characters\\); .* iconv -f UTF-16LE -t UTF-8 `,
      ),
    );
    expect(error.details).toEqual({ source: file, encoding: 'utf-16le', byteOrderMark: false });
    const big = await expectCode(() => readNumericMatrix(be(TEXT)), 'E_INPUT_INVALID');
    expect(big.message).toMatch(/^CSV input: the CSV looks like UTF-16 big-endian text without a byte-order mark \(a 0 byte before each/);
    expect(big.details).toMatchObject({ encoding: 'utf-16be', byteOrderMark: false });
  });

  it('a stream giving one byte at a time is judged on its first bytes too; UTF-8 and UTF-16LE with FF FE still read, lines right', async () => {
    const oneByOne = (bytes: Buffer): Readable => Readable.from([...bytes].map((b) => Buffer.from([b])));
    await expectCode(() => readCsvAll(oneByOne(withMark([0xfe, 0xff], be(TEXT)))), 'E_INPUT_INVALID');
    expect(await readCsvAll(oneByOne(Buffer.from(TEXT)), { columns: { a: 'number' } })).toEqual([
      { a: 1, b: '2' },
      { a: 3, b: '4' },
    ]);
    expect(await readCsvAll(oneByOne(withMark([0xff, 0xfe], le(TEXT))), { columns: { a: 'number' } })).toEqual([
      { a: 1, b: '2' },
      { a: 3, b: '4' },
    ]);
    const bad = await expectCode(() => readNumericMatrix(withMark([0xff, 0xfe], le('a,b\n1,2\n\n3,é\n'))), 'E_INPUT_INVALID');
    expect(bad.message).toBe("CSV input: line 4, column 'b': 'é' is not a number.");
    // Inputs shorter than the bytes looked at are read as before.
    expect(await readCsvAll(Buffer.from('a\n'), { header: false })).toEqual([{ '0': 'a' }]);
    expect((await readNumericMatrix(Buffer.from('7'))).data).toEqual(new Float64Array([7]));
    expect(await readCsvAll(Buffer.from('é\n1\n'))).toEqual([{ é: '1' }]);
  });
});

describe('the source option names bytes or a stream in messages (review s28 R1-3)', () => {
  it('readCsv / readCsvAll and readNumericMatrix say the name given instead of CSV input / CSV stream', async () => {
    const rows = await expectCode(() => readCsvAll(Buffer.from('a,b\n1\n'), { source: 'upload.csv' }), 'E_INPUT_INVALID');
    expect(rows.message).toBe('upload.csv: line 2 has 1 fields but the header has 2.');
    const stream = await expectCode(() => readCsvAll(Readable.from(['a,b\n', '"1,2\n']), { source: 'request body' }), 'E_INPUT_INVALID');
    expect(stream.message).toMatch(/^request body: malformed CSV at line 2: /);
    expect(stream.details).toMatchObject({ source: 'request body' });
    const utf16 = await expectCode(() => readCsvAll(be(TEXT), { source: 'data/x.csv' }), 'E_INPUT_INVALID');
    expect(utf16.message).toMatch(/^data\/x\.csv: the CSV looks like UTF-16 big-endian/);
    expect(utf16.details).toMatchObject({ source: 'data/x.csv' });
    const empty = await expectCode(() => readCsvAll(Buffer.from(''), { source: 'empty.csv' }), 'E_INPUT_INVALID');
    expect(empty.message).toBe('empty.csv: the CSV is empty: no header row was found.');
    expect(empty.details).toEqual({ source: 'empty.csv' });
    // Without the option, as before.
    expect((await expectCode(() => readCsvAll(Buffer.from('')), 'E_INPUT_INVALID')).message).toBe(
      'The CSV is empty: no header row was found.',
    );
    const matrix = await expectCode(() => readNumericMatrix(Buffer.from('a,b\n1,x\n'), { source: 'm.csv' }), 'E_INPUT_INVALID');
    expect(matrix.message).toBe("m.csv: line 2, column 'b': 'x' is not a number.");
    const emptyMatrix = await expectCode(() => readNumericMatrix(Buffer.from(''), { source: 'm.csv' }), 'E_INPUT_INVALID');
    expect(emptyMatrix.message).toBe('m.csv: the CSV is empty.');
    expect(emptyMatrix.details).toEqual({ source: 'm.csv' });
  });

  it('a source that is not a non-empty string is refused (E_INPUT_INVALID, details.field)', async () => {
    for (const bad of ['', '  ', 7, null]) {
      const a = await expectCode(() => readCsvAll(Buffer.from('a\n1\n'), { source: bad as never }), 'E_INPUT_INVALID');
      expect(a.details).toEqual({ field: 'source' });
      await expectCode(() => readNumericMatrix(Buffer.from('1\n'), { source: bad as never }), 'E_INPUT_INVALID');
    }
  });
});
