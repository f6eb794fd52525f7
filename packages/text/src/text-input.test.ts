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
