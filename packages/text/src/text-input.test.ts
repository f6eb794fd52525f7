import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { checkText, decodeText } from './text-input';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return AppliedMLError.isInstance(e) ? e.code : 'not-appliedml';
  }
  return undefined;
}

describe('checkText', () => {
  it('accepts ordinary text in any script', () => {
    expect(checkText('Où est la gare ? 東京 £10')).toBe('Où est la gare ? 東京 £10');
  });
  it('refuses empty, whitespace and non-strings', () => {
    expect(code(() => checkText(''))).toBe('E_INPUT_INVALID');
    expect(code(() => checkText(' \n\t '))).toBe('E_INPUT_INVALID');
    expect(code(() => checkText(42))).toBe('E_INPUT_INVALID');
    expect(code(() => checkText(null))).toBe('E_INPUT_INVALID');
    expect(code(() => checkText(undefined))).toBe('E_INPUT_INVALID');
  });
  it('refuses a text of only zero-width / invisible format characters as it refuses whitespace', () => {
    for (const blank of ['\u200b', '\u2060', ' \u200b\u200d \ufeff', '\u200e\u200f\u00ad', '\ufe0f', '\u200c\n\u2060'])
      expect(
        code(() => checkText(blank)),
        JSON.stringify(blank),
      ).toBe('E_INPUT_INVALID');
    // A visible character among them is a text.
    expect(checkText('\u200bhi\u200b')).toBe('\u200bhi\u200b');
    expect(checkText('❤\ufe0f')).toBe('❤\ufe0f');
  });
  it('refuses texts over the cap with E_INPUT_TOO_LARGE', () => {
    expect(code(() => checkText('a'.repeat(2_000_000)))).toBe('E_INPUT_TOO_LARGE');
    expect(code(() => checkText('abcdef', { maxChars: 5 }))).toBe('E_INPUT_TOO_LARGE');
  });
  it('refuses a maxChars that is NaN, not positive or not an integer (NaN turned the cap off)', () => {
    for (const bad of [Number.NaN, 0, -1, 2.5, Number.POSITIVE_INFINITY, '5'])
      expect(code(() => checkText('a'.repeat(1000), { maxChars: bad as number }))).toBe('E_INPUT_INVALID');
    expect(checkText('abc', { maxChars: undefined })).toBe('abc');
  });
  it('refuses mis-decoded text and lone surrogates', () => {
    expect(code(() => checkText('caf\uFFFD'))).toBe('E_INPUT_INVALID');
    expect(code(() => checkText('a\uD800b'))).toBe('E_INPUT_INVALID');
    expect(checkText('emoji 😀 ok')).toBe('emoji 😀 ok');
  });
});

describe('decodeText', () => {
  it('decodes UTF-8 strictly and Latin-1 always', () => {
    expect(decodeText(Buffer.from('café', 'utf8'))).toBe('café');
    expect(code(() => decodeText(Uint8Array.from([0x63, 0x61, 0x66, 0xe9])))).toBe('E_INPUT_INVALID');
    expect(decodeText(Uint8Array.from([0x63, 0x61, 0x66, 0xe9]), 'latin1')).toBe('café');
  });
});

// A bad text's message never said where it was ("A text is empty or only whitespace."), its position only
// in details, while a bad label's said file:3:. The message says where now: a file's line in front, or
// the text's place in the data given to train / evaluate / predictBatch.
describe('a bad text says where it is', () => {
  it('a loader puts file:line: in front of every text refusal', async () => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { readTextCsv, readTextJsonl, readSmsSpam, readTrec } = await import('./loaders');
    const dir = await mkdtemp(join(tmpdir(), 'text-where-'));
    try {
      const cases: [string, string, (f: string) => Promise<unknown>, number, RegExp][] = [
        ['a.csv', 'text,label\nhello,a\n   ,b\n', (f) => readTextCsv(f), 3, /is empty or only whitespace/],
        ['b.jsonl', '{"text":"hi","label":"a"}\n{"text":null,"label":"b"}\n', (f) => readTextJsonl(f), 2, /must be a string; got null/],
        ['c.jsonl', '{"text":"hi","label":"a"}\n\n{"text":"caf\\ufffd","label":"b"}\n', (f) => readTextJsonl(f), 3, /U\+FFFD/],
        ['d.tsv', 'ham\thello\nspam\t \n', (f) => readSmsSpam(f), 2, /is empty or only whitespace/],
        ['e.label', 'NUM:dist How far ?\nLOC:city    \n', (f) => readTrec(f), 2, /is empty or only whitespace/],
      ];
      for (const [name, content, read, line, reason] of cases) {
        const path = join(dir, name);
        await writeFile(path, content);
        const e = (await read(path).then(
          () => undefined,
          (error: unknown) => error,
        )) as AppliedMLError;
        expect(e?.code, name).toBe('E_INPUT_INVALID');
        expect(e.message.startsWith(`${path}:${line}: A text `), e.message).toBe(true);
        expect(e.message).toMatch(reason);
        expect(e.details).toMatchObject({ file: path, line });
      }
      const long = join(dir, 'f.jsonl');
      await writeFile(long, `{"text":"hi","label":"a"}\n{"text":"${'a'.repeat(50)}","label":"b"}\n`);
      await expect(readTextJsonl(long, { maxTextChars: 10 })).rejects.toMatchObject({
        code: 'E_INPUT_TOO_LARGE',
        message: expect.stringMatching(new RegExp(`^${long.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: A text of 50 characters`)),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('train, evaluate and predictBatch name the text by its place in the data', async () => {
    const { TextClassifier } = await import('./text-classifier');
    const data = [
      { text: 'refund my invoice', label: 'billing' },
      { text: 'the app crashes', label: 'bug' },
      { text: 'charged twice', label: 'billing' },
      { text: 'crash on start', label: 'bug' },
    ];
    const model = TextClassifier.create({ model: 'naive-bayes' });
    await expect(model.train(data.map((d, i) => (i === 2 ? { ...d, text: ' ' } : d)))).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: 'training data[2].text is empty or only whitespace.',
      details: { index: 2 },
    });
    await expect(model.train(data.map((d, i) => (i === 1 ? { ...d, text: null as never } : d)))).rejects.toMatchObject({
      message: 'training data[1].text must be a string; got null.',
    });
    await expect(model.train(data, { validation: [{ text: '\u200b', label: 'bug' }] })).rejects.toMatchObject({
      message: 'validation data[0].text is empty or only whitespace.',
    });
    await model.train(data);
    await expect(model.evaluate([data[0]!, { text: '', label: 'bug' }])).rejects.toMatchObject({
      message: 'evaluation data[1].text is empty or only whitespace.',
    });
    await expect(model.predictBatch(['ok', '  '])).rejects.toMatchObject({
      message: 'texts[1] is empty or only whitespace.',
      details: { index: 1 },
    });
    // One text (predict): nothing to point at.
    await expect(model.predict('  ')).rejects.toMatchObject({ message: 'A text is empty or only whitespace.' });
    model.dispose();
  });
});

describe("decodeText 'windows-1252'", () => {
  it('maps 0x80–0x9F to Windows-1252 characters (Node’s own decoder gives C1 controls), the rest as Latin-1', () => {
    expect(decodeText(Buffer.from([0x80, 0x93, 0x94, 0x96, 0x99, 0x9f, 0x81, 0xe9, 0x41]), 'windows-1252')).toBe('€“”–™Ÿ\u0081éA');
    expect(decodeText(Buffer.from([0x93, 0xe9]), 'latin1')).toBe('\u0093é');
    expect(() => decodeText(Buffer.from([0x93, 0xe9]))).toThrow(/not valid UTF-8.*decodeText\(bytes, 'windows-1252'\)/);
  });
});
