import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSmsSpam, readTextCsv, readTextJsonl, readTrec } from './loaders';
import { codeOf } from './test-helpers';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appliedml-text-loaders-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
async function file(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe('loaders', () => {
  it('reads TREC label files as Latin-1, coarse or fine', async () => {
    const path = await file(
      't.label',
      Buffer.concat([
        Buffer.from('LOC:other What is the sister'),
        Buffer.from([0xf0]),
        Buffer.from('city of X ?\nNUM:dist How far is it ?\n'),
      ]),
    );
    const coarse = await readTrec(path);
    expect(coarse).toEqual([
      { text: 'What is the sisterðcity of X ?', label: 'LOC' },
      { text: 'How far is it ?', label: 'NUM' },
    ]);
    expect((await readTrec(path, { granularity: 'fine' }))[1]?.label).toBe('NUM:dist');
    expect(await codeOf(async () => readTrec(await file('bad.label', 'no label here\n')))).toBe('E_INPUT_INVALID');
  });

  it('reads the SMS Spam TSV, de-duplicating by default', async () => {
    const path = await file('sms.tsv', 'ham\tSee you at 5\nspam\tWIN £100 now!!\nham\tSee you at 5\n');
    expect(await readSmsSpam(path)).toHaveLength(2);
    expect(await readSmsSpam(path, { dedupe: false })).toHaveLength(3);
    expect(await codeOf(async () => readSmsSpam(await file('sms-bad.tsv', 'maybe\thello\n')))).toBe('E_INPUT_INVALID');
    expect(
      await codeOf(async () => readSmsSpam(await file('sms-latin1.tsv', Buffer.from([0x68, 0x61, 0x6d, 0x09, 0x63, 0x61, 0x66, 0xe9])))),
    ).toBe('E_INPUT_INVALID');
    expect(await codeOf(async () => readSmsSpam(await file('sms-empty.tsv', '')))).toBe('E_INPUT_INVALID');
    expect(await codeOf(async () => readSmsSpam(await file('sms-blank.tsv', 'ham\t   \n')))).toBe('E_INPUT_INVALID');
  });

  it('reads CSV and JSONL (multi-label arrays too)', async () => {
    const csv = await file('a.csv', 'id,text,label\n1,"Hello, world",greet\n2,Bye now,leave\n');
    expect(await readTextCsv(csv)).toEqual([
      { text: 'Hello, world', label: 'greet' },
      { text: 'Bye now', label: 'leave' },
    ]);
    expect(await codeOf(async () => readTextCsv(await file('b.csv', 'body,tag\nhi,x\n')))).toBe('E_INPUT_INVALID');
    expect(await codeOf(async () => readTextCsv(await file('c.csv', 'text,label\nhi,\n')))).toBe('E_INPUT_INVALID');
    const jsonl = await file('a.jsonl', '{"text":"late and broken","label":["delivery","damage"]}\n\n{"text":"ok","label":"fine"}\n');
    expect(await readTextJsonl(jsonl)).toEqual([
      { text: 'late and broken', label: ['delivery', 'damage'] },
      { text: 'ok', label: 'fine' },
    ]);
    expect(await codeOf(async () => readTextJsonl(await file('b.jsonl', '{"text": "x", "label": 3}\n')))).toBe('E_INPUT_INVALID');
    expect(await codeOf(async () => readTextJsonl(await file('c.jsonl', '{oops\n')))).toBe('E_INPUT_INVALID');
  });

  it('refuses missing and oversized files', async () => {
    expect(await codeOf(() => readTextCsv(join(dir, 'nope.csv')))).toBe('E_IO');
    const big = await file('big.jsonl', `{"text":"${'a'.repeat(5000)}","label":"x"}\n`);
    expect(await codeOf(() => readTextJsonl(big, { maxBytes: 1000 }))).toBe('E_INPUT_TOO_LARGE');
    expect(await codeOf(() => readTextJsonl(big, { maxTextChars: 100 }))).toBe('E_INPUT_TOO_LARGE');
  });

  it('refuses a device or a directory up front (E_IO), where /dev/zero used to be read forever', async () => {
    if (existsSync('/dev/zero')) expect(await codeOf(() => readTextJsonl('/dev/zero'))).toBe('E_IO');
    await mkdir(join(dir, 'folder.jsonl'));
    expect(await codeOf(() => readTextJsonl(join(dir, 'folder.jsonl')))).toBe('E_IO');
  }, 5000);

  it('refuses a NaN, zero, negative or fractional maxBytes / maxTextChars (NaN turned the limit off)', async () => {
    const big = await file('limits.jsonl', `{"text":"${'a'.repeat(5000)}","label":"x"}\n`);
    for (const bad of [Number.NaN, 0, -1, 2.5, Number.POSITIVE_INFINITY, '1000']) {
      expect(await codeOf(() => readTextJsonl(big, { maxBytes: bad as number }))).toBe('E_INPUT_INVALID');
      expect(await codeOf(() => readTextCsv(big, { maxTextChars: bad as number }))).toBe('E_INPUT_INVALID');
      expect(await codeOf(() => readSmsSpam(big, { maxTextChars: bad as number }))).toBe('E_INPUT_INVALID');
    }
    expect(await readTextJsonl(big, { maxBytes: undefined, maxTextChars: undefined })).toHaveLength(1);
  });
});

// readTextCsv's `file:N:` counted records, not the file's lines: after a three-line quoted text the row on
// line 6 was called line 4, blank lines were not counted, and a bad text's details said `row` where a bad
// label's said `line`.
describe('readTextCsv names the physical line a bad row ends on', () => {
  async function refusal(path: string): Promise<{ message: string; details: Record<string, unknown> }> {
    const e = (await readTextCsv(path).then(
      () => undefined,
      (error: unknown) => error,
    )) as { code?: string; message: string; details: Record<string, unknown> };
    expect(e?.code).toBe('E_INPUT_INVALID');
    return e;
  }
  it('after a quoted text holding line breaks', async () => {
    const path = await file('ml-label.csv', 'text,label\n"line one\nline two\nline three",a\nbye,b\nhello,\n');
    const e = await refusal(path);
    expect(e.message).toContain(`${path}:6:`);
    expect(e.details).toMatchObject({ file: path, line: 6 });
  });
  it('after blank lines (CRLF too)', async () => {
    const path = await file('blank-lines.csv', 'text,label\r\nhello,a\r\n\r\n\r\nbye,\r\n');
    const e = await refusal(path);
    expect(e.message).toContain(`${path}:5:`);
    expect(e.details).toMatchObject({ file: path, line: 5 });
  });
  it('a bad text is named by `line` in details as a bad label is (it was `row`, counting records)', async () => {
    const path = await file('ml-text.csv', 'text,label\n"line one\nline two\nline three",a\nbye,b\n   ,c\n');
    const e = await refusal(path);
    expect(e.details).toMatchObject({ file: path, line: 6 });
    expect(e.details).not.toHaveProperty('row');
  });
});

// A JSONL label written as a number was 'the label is missing or not a string', though the field was
// there (and a CSV reads the same 1 as the text "1"): each refusal says what the label is.
describe('a bad label says what it is', () => {
  it('readTextJsonl: a number, true/false, missing, empty, an object, a bad entry of a list', async () => {
    const cases: [string, string][] = [
      ['{"text":"yo","label":1}', 'the label is the number 1, not a string: write it as "1" (labels are text).'],
      ['{"text":"yo","label":true}', 'the label is the boolean true, not a string: write it as "true" (labels are text).'],
      ['{"text":"yo"}', "the label is missing (no 'label' field)."],
      ['{"text":"yo","label":"  "}', 'the label is empty.'],
      ['{"text":"yo","label":null}', 'the label must be a string (got null).'],
      ['{"text":"yo","label":{"name":"a"}}', 'the label must be a string (got {"name":"a"}).'],
      ['{"text":"yo","label":["a",2]}', 'the label[1] is the number 2, not a string: write it as "2" (labels are text).'],
    ];
    for (const [i, [row, why]] of cases.entries()) {
      const path = await file(`label-${i}.jsonl`, `{"text":"hi","label":"a"}\n${row}\n`);
      await expect(readTextJsonl(path), row).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
        message: `${path}:2: ${why}`,
        details: { file: path, line: 2, field: 'label' },
      });
    }
    const tagged = await file('label-tag.jsonl', '{"text":"yo","tag":5}\n');
    await expect(readTextJsonl(tagged, { labelField: 'tag' })).rejects.toMatchObject({
      message: expect.stringContaining('the number 5'),
      details: { field: 'tag' },
    });
  });
  it('readTextCsv: an empty label is called empty (a CSV cell is always text: 1 is the label "1")', async () => {
    const path = await file('label-empty.csv', 'text,label\nhi,1\nyo,\n');
    await expect(readTextCsv(path)).rejects.toMatchObject({
      message: `${path}:3: the label is empty.`,
      details: { line: 3, field: 'label' },
    });
    expect(await readTextCsv(await file('label-one.csv', 'text,label\nhi,1\nyo,2\n'))).toEqual([
      { text: 'hi', label: '1' },
      { text: 'yo', label: '2' },
    ]);
  });
});

// A ';'-separated CSV or one whose header says Text,Label was told only "the header needs 'text' and
// 'label' columns" (the columns it found in details); a Windows-1252 CSV was told to decode its bytes with
// decodeText(bytes, 'latin1'), though readTextCsv takes a path and had no encoding option.
describe('readTextCsv header and encoding', () => {
  const refused = async (p: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> }> =>
    (await p.then(
      () => {
        throw new Error('read');
      },
      (e: unknown) => e,
    )) as never;
  it('a header in another delimiter says which and how to pass it; names differing in case name the field options', async () => {
    const semi = await file('semi.csv', 'text;label\nhello, world;a\nbye;b\n');
    const e = await refused(readTextCsv(semi));
    expect(e.code).toBe('E_INPUT_INVALID');
    expect(e.message).toBe(
      `${semi}: the header needs 'text' and 'label' columns; 'text' and 'label' are missing (the header has 'text;label'); it looks ';'-separated: pass { delimiter: ';' }.`,
    );
    expect(e.details).toMatchObject({ columns: ['text;label'], missing: ['text', 'label'], delimiter: ';' });
    expect(await readTextCsv(semi, { delimiter: ';' })).toEqual([
      { text: 'hello, world', label: 'a' },
      { text: 'bye', label: 'b' },
    ]);
    const tab = await file('tab.csv', 'text\tlabel\nx\ty\n');
    expect((await refused(readTextCsv(tab))).message).toContain("it looks tab-separated: pass { delimiter: '\\t' }");
    const upper = await file('upper.csv', 'id,Text,LABEL\n1,hello,a\n');
    const u = await refused(readTextCsv(upper));
    expect(u.message).toBe(
      `${upper}: the header needs 'text' and 'label' columns; 'text' and 'label' are missing (the header has 'id', 'Text', 'LABEL'); column names are matched exactly (case and spaces): pass { textField: 'Text', labelField: 'LABEL' }.`,
    );
    expect(await readTextCsv(upper, { textField: 'Text', labelField: 'LABEL' })).toEqual([{ text: 'hello', label: 'a' }]);
    // One column missing, no near name; a header-only file is refused for its header, not as empty.
    const one = await file('one.csv', 'text,tag\n');
    expect((await refused(readTextCsv(one))).message).toBe(
      `${one}: the header needs 'text' and 'label' columns; 'label' is missing (the header has 'text', 'tag').`,
    );
  });

  it("the delimiter the file was read with is never the hint (it said pass { delimiter: ';' } to a read given it)", async () => {
    // Read with ';', a quoted one-column header holding ';' is no ';' file read wrongly.
    const quoted = await file('quoted-semi.csv', '"text;label"\nhello\n');
    const e = await refused(readTextCsv(quoted, { delimiter: ';' }));
    expect(e.message).toBe(
      `${quoted}: the header needs 'text' and 'label' columns; 'text' and 'label' are missing (the header has 'text;label').`,
    );
    expect(e.details).not.toHaveProperty('delimiter');
    // Another of the usual delimiters is still named.
    const pipe = await file('pipe.csv', 'text|label\nhello|a\n');
    expect((await refused(readTextCsv(pipe, { delimiter: ';' }))).message).toContain("it looks '|'-separated: pass { delimiter: '|' }");
    // A name with spaces around it (in the file or in the option) is near.
    const spaced = await file('spaced.csv', 'text,label\nhello,a\n');
    expect((await refused(readTextCsv(spaced, { labelField: ' Label ' }))).message).toContain("pass { labelField: 'label' }");
  });

  it("a Windows-1252 CSV or JSONL is read with { encoding: 'windows-1252' } (or 'latin1'), and the UTF-8 refusal says so", async () => {
    const row = Buffer.from([0x93, 0x63, 0x61, 0x66, 0xe9, 0x94, 0x20, 0x80, 0x35]); // “café” €5 in Windows-1252
    const csv = await file('cp1252.csv', Buffer.concat([Buffer.from('text,label\n'), row, Buffer.from(',a\n')]));
    const e = await refused(readTextCsv(csv));
    expect(e.code).toBe('E_INPUT_INVALID');
    expect(e.message).toContain("pass readTextCsv(file, { encoding: 'windows-1252' }), or 'latin1'");
    expect(await readTextCsv(csv, { encoding: 'windows-1252' })).toEqual([{ text: '\u201ccafé\u201d \u20ac5', label: 'a' }]);
    expect(await readTextCsv(csv, { encoding: 'latin1' })).toEqual([{ text: '\u0093café\u0094 \u00805', label: 'a' }]);
    const jsonl = await file('cp1252.jsonl', Buffer.concat([Buffer.from('{"text":"'), row, Buffer.from('","label":"a"}\n')]));
    expect((await refused(readTextJsonl(jsonl))).message).toContain("pass readTextJsonl(file, { encoding: 'windows-1252' })");
    expect(await readTextJsonl(jsonl, { encoding: 'windows-1252' })).toEqual([{ text: '\u201ccafé\u201d \u20ac5', label: 'a' }]);
    // UTF-8 stays the default, its BOM dropped; another name is refused with the valid ones.
    const bom = await file('bom8.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('text,label\ncafé,a\n')]));
    expect(await readTextCsv(bom, { encoding: 'utf-8' })).toEqual([{ text: 'café', label: 'a' }]);
    expect((await refused(readTextCsv(bom, { encoding: 'utf-16' as never }))).message).toBe(
      `readTextCsv encoding must be one of 'utf-8', 'latin1', 'windows-1252' (got "utf-16").`,
    );
  });
});

// The CSV reader's own refusals (a row with more fields than the header, a malformed quote) said
// 'CSV input: line 3 has 3 fields …', not which file: readTextCsv reads the file's bytes.
describe("readTextCsv names the file in the CSV reader's refusals", () => {
  it('a ragged row and a malformed quote', async () => {
    const ragged = await file('ragged.csv', 'text,label\nhello world,a\nbye world,b,extra\n');
    await expect(readTextCsv(ragged)).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: `${ragged}: line 3 has 3 fields but the header has 2.`,
      details: { file: ragged, line: 3 },
    });
    const quote = await file('quote.csv', 'text,label\n"hello "world" x,a\n');
    const e = (await readTextCsv(quote).then(
      () => undefined,
      (error: unknown) => error,
    )) as { code: string; message: string; details: Record<string, unknown> };
    expect(e.code).toBe('E_INPUT_INVALID');
    expect(e.message.startsWith(`${quote}: `), e.message).toBe(true);
    expect(e.message).not.toContain('CSV input');
    expect(e.details).toMatchObject({ file: quote });
  });
});
