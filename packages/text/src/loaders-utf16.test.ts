import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { readSmsSpam, readTextCsv, readTextJsonl } from './loaders';
import { decodeText } from './text-input';

// A UTF-16 file given to the text loaders was told "not valid UTF-8; if it is Windows-1252 or Latin-1 …
// pass { encoding: 'windows-1252' }", advice that reads it as garbage (a 0 byte beside every letter), and
// BOM-less UTF-16 JSONL was "not valid JSON". UTF-16 little-endian with its mark FF FE (Excel's "Unicode
// Text") is now read, as the engine's CSV reader reads it (9a48dbc); UTF-16 big-endian and UTF-16 without
// a mark are refused saying what the file is and how to convert it.

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appliedml-text-utf16-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LE_BOM = Buffer.from([0xff, 0xfe]);
const BE_BOM = Buffer.from([0xfe, 0xff]);
const le = (text: string): Buffer => Buffer.from(text, 'utf16le');
const be = (text: string): Buffer => le(text).swap16();

async function file(name: string, ...parts: Buffer[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, Buffer.concat(parts));
  return path;
}
async function failure(run: () => Promise<unknown>): Promise<AppliedMLError> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!AppliedMLError.isInstance(error)) throw new Error(`expected an AppliedMLError, got ${String(error)}`);
  return error;
}

const CSV = 'text,label\n"café 😀 naïve\nline two",a\n\nΣίσυφος,b\r\n';

describe('UTF-16 text files', () => {
  it('readTextCsv reads UTF-16LE with its byte-order mark: the text, and the lines of a bad row', async () => {
    const path = await file('le-bom.csv', LE_BOM, le(CSV));
    expect(await readTextCsv(path)).toEqual([
      { text: 'café 😀 naïve\nline two', label: 'a' },
      { text: 'Σίσυφος', label: 'b' },
    ]);
    const bad = await file('le-bom-bad.csv', LE_BOM, le(`${CSV}x,\n`));
    const error = await failure(() => readTextCsv(bad));
    expect(error.message).toBe(`${bad}:6: the label is empty.`);
  });

  it('readTextJsonl and readSmsSpam read UTF-16LE with its byte-order mark', async () => {
    const jsonl = await file('le-bom.jsonl', LE_BOM, le('{"text":"größer €5","label":"a"}\n'));
    expect(await readTextJsonl(jsonl)).toEqual([{ text: 'größer €5', label: 'a' }]);
    const sms = await file('le-bom.tsv', LE_BOM, le('ham\tçava 😀\n'));
    expect(await readSmsSpam(sms)).toEqual([{ text: 'çava 😀', label: 'ham' }]);
  });

  it('UTF-16BE with its byte-order mark is refused naming it and iconv, not windows-1252', async () => {
    const path = await file('be-bom.csv', BE_BOM, be(CSV));
    for (const read of [readTextCsv, readTextJsonl]) {
      const error = await failure(() => read(path));
      expect(error.code).toBe('E_INPUT_INVALID');
      expect(error.message).toContain(`${path} is UTF-16 big-endian text (it starts with the byte-order mark FE FF)`);
      expect(error.message).toContain('iconv -f UTF-16BE -t UTF-8');
      expect(error.message).not.toContain('windows-1252');
      expect(error.details).toEqual({ file: path, encoding: 'utf-16be', byteOrderMark: true });
    }
  });

  it('UTF-16 without a byte-order mark is refused saying which order (JSONL was "not valid JSON")', async () => {
    const lePath = await file('le.jsonl', le('{"text":"hello","label":"a"}\n'));
    const leError = await failure(() => readTextJsonl(lePath));
    expect(leError.message).toContain('looks like UTF-16 little-endian text without a byte-order mark');
    expect(leError.message).toContain('iconv -f UTF-16LE -t UTF-8');
    expect(leError.details).toEqual({ file: lePath, encoding: 'utf-16le', byteOrderMark: false });
    const bePath = await file('be.csv', be('text,label\nhello,a\n'));
    const beError = await failure(() => readTextCsv(bePath));
    expect(beError.details).toEqual({ file: bePath, encoding: 'utf-16be', byteOrderMark: false });
    expect(beError.message).not.toContain('windows-1252');
  });

  it('decodeText: UTF-16LE with its mark decoded, a cut one refused, FE FF refused without the windows-1252 advice', () => {
    expect(decodeText(Buffer.concat([LE_BOM, le('naïve 😀')]))).toBe('naïve 😀');
    expect(() => decodeText(Buffer.concat([LE_BOM, le('ab')]).subarray(0, 5))).toThrow(/not valid UTF-16/);
    expect(() => decodeText(Buffer.concat([BE_BOM, be('ab')]))).toThrow(/^The input is UTF-16 big-endian text.*iconv -f UTF-16BE/);
    // UTF-8 text is read as before, a BOM dropped; invalid UTF-8 still gets the windows-1252 advice.
    expect(decodeText(Buffer.from('\uFEFFnaïve', 'utf8'))).toBe('naïve');
    expect(() => decodeText(Buffer.from([0x93, 0xe9]))).toThrow(/not valid UTF-8.*windows-1252/);
  });
});
