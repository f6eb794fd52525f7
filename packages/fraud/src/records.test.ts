import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FraudDetector } from './detector';
import { readRecords } from './records';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fraud-records-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readRecords', () => {
  it('reads CSV and JSONL into records a detector trains on', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => ({
      amount: 10 + (i % 7),
      channel: i % 2 ? 'web' : 'pos',
      when: `2026-01-0${1 + (i % 9)}T1${i % 10}:00:00Z`,
    }));
    await writeFile(join(dir, 'a.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n\n');
    await writeFile(join(dir, 'a.csv'), 'amount,channel,when\n' + lines.map((l) => `${l.amount},${l.channel},${l.when}`).join('\n'));
    const j = await readRecords(join(dir, 'a.jsonl'));
    const c = await readRecords(join(dir, 'a.csv'));
    expect(j).toHaveLength(50);
    expect(c).toHaveLength(50);
    const model = FraudDetector.create({ detector: 'ecod' });
    await model.train(c);
    expect(model.featureNames).toEqual(['amount', 'channel=pos', 'channel=web', 'when:hour_rarity', 'when:weekday_rarity']);
    expect(Array.from(model.scores(j))).toEqual(Array.from(model.scores(c)));
    model.dispose();
  });

  it('a JSONL file with a byte-order mark and upper-case extensions read', async () => {
    const jsonl = join(dir, 'BOM.JSONL');
    await writeFile(jsonl, '\uFEFF{"amount":5}\n{"amount":6}\n');
    expect(await readRecords(jsonl)).toEqual([{ amount: 5 }, { amount: 6 }]);
    const csv = join(dir, 'UPPER.CSV');
    await writeFile(csv, 'amount\n5\n');
    expect(await readRecords(csv)).toHaveLength(1);
  });

  it('bad files are typed errors', async () => {
    await writeFile(join(dir, 'bad.jsonl'), '{"a":1}\n{oops\n');
    await writeFile(join(dir, 'arr.jsonl'), '[1,2]\n');
    await writeFile(join(dir, 'empty.jsonl'), '\n');
    await writeFile(join(dir, 'x.parquet'), 'PAR1');
    await expect(readRecords(join(dir, 'bad.jsonl'))).rejects.toMatchObject({ code: 'E_INPUT_INVALID', details: { line: 2 } });
    await expect(readRecords(join(dir, 'arr.jsonl'))).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(readRecords(join(dir, 'empty.jsonl'))).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(readRecords(join(dir, 'x.parquet'))).rejects.toMatchObject({ code: 'E_FORMAT_UNSUPPORTED' });
    await expect(readRecords(join(dir, 'missing.csv'))).rejects.toMatchObject({ code: 'E_IO' });
    await expect(readRecords(join(dir, 'bad.jsonl'), { maxBytes: 4 })).rejects.toMatchObject({ code: 'E_INPUT_TOO_LARGE' });
  });
});

// Review R3 (f3-records, f15): spreadsheet exports, old line endings, bytes that are not UTF-8.
describe('readRecords: what spreadsheets and other tools write', () => {
  async function refusal(name: string, content: string | Uint8Array): Promise<unknown> {
    await writeFile(join(dir, name), content);
    return readRecords(join(dir, name)).then(
      () => 'read',
      (e: unknown) => e,
    );
  }

  it('drops unnamed columns at the end of the header whose cells are all empty (a comma at the end of every line)', async () => {
    const plain = join(dir, 'plain.csv');
    await writeFile(plain, 'amount,note\r\n1,a\r\n2,b\r\n');
    for (const [name, text] of [
      ['one-comma.csv', 'amount,note,\r\n1,a,\r\n2,b,\r\n'],
      ['three-commas.csv', 'amount,note,,,\n1,a,,,\n2,b,,NA,\n'],
      ['blank-name.csv', 'amount,note, \n1,a,\n2,b,\n'],
    ] as const) {
      await writeFile(join(dir, name), text);
      const rows = await readRecords(join(dir, name));
      // Exactly what the file without the trailing commas gives: no field named '' (it trained as constant features).
      expect(rows, name).toEqual(await readRecords(plain));
      expect(Object.keys(rows[0]!), name).toEqual(['amount', 'note']);
    }
  });

  it('refuses an unnamed column that holds a value, or one before a named column, naming its position', async () => {
    for (const [name, text, column, line] of [
      ['value.csv', 'amount,\n1,2\n', 2, 2],
      ['late-value.csv', 'amount,note,,\n1,a,,\n2,b,,5\n', 4, 3],
      ['middle.csv', 'amount,,note\n1,,a\n', 2, undefined],
      ['first.csv', ',amount\n1,2\n', 1, 2],
    ] as const) {
      const error = await refusal(name, text);
      expect(AppliedMLError.isInstance(error), `${name}: ${String(error)}`).toBe(true);
      expect(error, name).toMatchObject({ code: 'E_INPUT_INVALID', details: { column, reason: 'column-unnamed' } });
      expect((error as AppliedMLError).details.line, name).toBe(line);
      expect((error as Error).message, name).toContain(`column ${column}`);
    }
  });

  it('reads a JSONL file whose lines end with CR alone, as CSV reads one', async () => {
    await writeFile(join(dir, 'cr.jsonl'), '{"amount":1}\r{"amount":2}\r\r{"amount":3}\r');
    expect(await readRecords(join(dir, 'cr.jsonl'))).toEqual([{ amount: 1 }, { amount: 2 }, { amount: 3 }]);
    await writeFile(join(dir, 'cr.csv'), 'amount\r1\r2\r3\r');
    expect((await readRecords(join(dir, 'cr.csv'))).map((r) => Number(r.amount))).toEqual([1, 2, 3]);
  });

  it('refuses bytes that are not UTF-8 naming the offset and line (they became U+FFFD)', async () => {
    const latin1 = Buffer.concat([Buffer.from('amount,merchant\n1,Caf'), Buffer.from([0xe9]), Buffer.from('\n2,Bar\n')]);
    for (const [name, bytes, offset, line] of [
      ['latin1.csv', latin1, 21, 2],
      ['latin1.jsonl', Buffer.concat([Buffer.from('{"a":1}\n{"m":"Caf'), Buffer.from([0xe8]), Buffer.from('"}\n')]), 17, 2],
      ['ff.jsonl', Buffer.concat([Buffer.from('{"amount":1,"c":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]), 17, 1],
      ['surrogate.jsonl', Buffer.concat([Buffer.from('{"c":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}\n')]), 6, 1],
      ['cr-lines.jsonl', Buffer.concat([Buffer.from('{"a":1}\r{"m":"'), Buffer.from([0xc3]), Buffer.from('"}\r')]), 14, 2],
    ] as const) {
      const error = await refusal(name, bytes);
      expect(AppliedMLError.isInstance(error), `${name}: ${String(error)}`).toBe(true);
      expect(error, name).toMatchObject({ code: 'E_INPUT_INVALID', details: { offset, line, reason: 'not-utf8' } });
      expect((error as Error).message, name).toContain('is not UTF-8');
    }
    // Well-formed multi-byte text is read as before (BOM dropped).
    await writeFile(join(dir, 'utf8.csv'), '\uFEFFamount,merchant\n1,Café 𝄞\n');
    expect(await readRecords(join(dir, 'utf8.csv'))).toEqual([{ amount: '1', merchant: 'Café 𝄞' }]);
  });
});

// Review R4: 29f8d36's UTF-8 check refused UTF-16LE CSV with its byte-order mark, which the engine's reader
// reads (and read before); pandas' to_csv() writes its index as an unnamed first column.
describe('readRecords: UTF-16 files and a pandas index', () => {
  const LE_BOM = Buffer.from([0xff, 0xfe]);
  const le = (text: string): Buffer => Buffer.from(text, 'utf16le');
  const CSV = 'amount,merchant\r\n1,Café 𝄞\r\n2,"Bar\nNord"\r\n';
  async function failure(name: string, content: string | Uint8Array): Promise<AppliedMLError> {
    await writeFile(join(dir, name), content);
    const error = await readRecords(join(dir, name)).then(
      () => 'read',
      (e: unknown) => e,
    );
    if (!AppliedMLError.isInstance(error)) throw new Error(`${name}: expected an AppliedMLError, got ${String(error)}`);
    return error;
  }

  it('reads a UTF-16LE CSV with its byte-order mark as the same records as the UTF-8 file', async () => {
    await writeFile(join(dir, 'u8.csv'), CSV);
    await writeFile(join(dir, 'u16.csv'), Buffer.concat([LE_BOM, le(CSV)]));
    const utf8 = await readRecords(join(dir, 'u8.csv'));
    expect(utf8).toEqual([
      { amount: '1', merchant: 'Café 𝄞' },
      { amount: '2', merchant: 'Bar\nNord' },
    ]);
    expect(await readRecords(join(dir, 'u16.csv'))).toEqual(utf8);
  });

  it('reads a UTF-16LE JSONL file with its byte-order mark; a cut one, UTF-16BE and mark-less UTF-16 refused', async () => {
    await writeFile(join(dir, 'u16.jsonl'), Buffer.concat([LE_BOM, le('{"amount":1,"m":"Café 𝄞"}\r\n{"amount":2}\n')]));
    expect(await readRecords(join(dir, 'u16.jsonl'))).toEqual([{ amount: 1, m: 'Café 𝄞' }, { amount: 2 }]);
    const cut = await failure('cut16.jsonl', Buffer.concat([LE_BOM, le('{"amount":1}\n')]).subarray(0, 9));
    expect(cut.message).toContain('not valid UTF-16');
    expect(cut.details).toMatchObject({ encoding: 'utf-16le', byteOrderMark: true });
    const be = await failure('be16.jsonl', Buffer.concat([Buffer.from([0xfe, 0xff]), le('{"amount":1}\n').swap16()]));
    expect(be.message).toContain('iconv -f UTF-16BE -t UTF-8');
    expect(be.details).toMatchObject({ encoding: 'utf-16be', byteOrderMark: true });
    // Without a mark the bytes are valid UTF-8 (0 bytes): it said 'line 1 is not JSON'.
    const bare = await failure('bare16.jsonl', le('{"amount":1}\n'));
    expect(bare.message).toContain('UTF-16 little-endian text without a byte-order mark');
    expect(bare.details).toMatchObject({ encoding: 'utf-16le', byteOrderMark: false });
    // UTF-32 (FF FE 00 00, not UTF-16LE's mark) is still refused as not UTF-8.
    const utf32 = await failure('u32.csv', Buffer.from([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0]));
    expect(utf32.details).toMatchObject({ offset: 0, reason: 'not-utf8' });
    expect(utf32.message).toContain('UTF-32 byte-order mark');
    // UTF-16BE CSV is refused by the engine's reader in its words, not read as garbage.
    const beCsv = await failure('be16.csv', Buffer.concat([Buffer.from([0xfe, 0xff]), le(CSV).swap16()]));
    expect(beCsv.message).toContain('iconv -f UTF-16BE -t UTF-8');
  });

  it("drops an unnamed first column holding the row numbers 0..n-1 (pandas' to_csv index); refuses other values there", async () => {
    await writeFile(join(dir, 'pandas.csv'), ',amount,merchant\n0,1,Café\n1,2,\n2,3,Bar\n');
    await writeFile(join(dir, 'no-index.csv'), 'amount,merchant\n1,Café\n2,\n3,Bar\n');
    const rows = await readRecords(join(dir, 'pandas.csv'));
    expect(rows).toEqual(await readRecords(join(dir, 'no-index.csv')));
    expect(Object.keys(rows[0]!)).toEqual(['amount', 'merchant']);
    // With trailing empty columns too.
    await writeFile(join(dir, 'pandas-trailing.csv'), ',amount,merchant,\n0,1,Café,\n1,2,,\n2,3,Bar,\n');
    expect(await readRecords(join(dir, 'pandas-trailing.csv'))).toEqual(rows);
    // A filtered frame's index (0, 2, …) or any other values: refused, naming the line and pandas' option.
    for (const [name, text, line] of [
      ['filtered.csv', ',amount\n0,1\n2,2\n', 3],
      ['ids.csv', ',amount\n17,1\n18,2\n', 2],
      ['empty-index.csv', ',amount\n0,1\n,2\n', 3],
      ['two-unnamed.csv', ',,amount\n0,0,1\n', undefined],
    ] as const) {
      const error = await failure(name, text);
      expect(error, name).toMatchObject({ code: 'E_INPUT_INVALID', details: { reason: 'column-unnamed' } });
      expect(error.details.column, name).toBe(1);
      expect(error.details.line, name).toBe(line);
      if (line !== undefined) expect(error.message, name).toContain('index=False');
    }
  });
});
