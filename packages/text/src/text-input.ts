import { AppliedMLError, checkIntegerOption, checkKnownKeys, describeKind, describeValue } from '@appliedml/engine';

/** Longest text accepted by default, in UTF-16 code units (1 MiB of characters). Longer → E_INPUT_TOO_LARGE. */
export const DEFAULT_MAX_TEXT_CHARS = 1_048_576;

export interface TextCheckOptions {
  /** Longest text accepted (default DEFAULT_MAX_TEXT_CHARS); a positive integer. */
  maxChars?: number;
  /**
   * Where the text came from, added to the error details; `{ file, line }` also puts `file:line:` in
   * front of the message (it said only "A text is empty or only whitespace.").
   */
  where?: Record<string, unknown>;
  /** What the message calls the text, e.g. 'training data[7].text' (default 'A text'). */
  name?: string;
}

/** Whitespace, invisible format characters (\p{Cf}) and variation selectors only (or nothing). */
const ONLY_BLANK = /^[\s\p{Cf}\uFE00-\uFE0F]*$/u;

const CHECK_KEYS = Object.keys({ maxChars: 1, where: 1, name: 1 } satisfies Record<keyof TextCheckOptions, 1>);

/**
 * The one gate every text passes: a string, not empty or only whitespace (or zero-width characters), not over the cap, and
 * free of U+FFFD replacement characters (the mark a wrong decoding leaves) and lone surrogates.
 */
export function checkText(text: unknown, options: TextCheckOptions = {}): string {
  checkKnownKeys('checkText options', options, CHECK_KEYS);
  const details = options.where ?? {};
  checkIntegerOption('maxChars', options.maxChars, 1, Number.MAX_SAFE_INTEGER); // NaN would turn the cap off
  const maxChars = options.maxChars ?? DEFAULT_MAX_TEXT_CHARS;
  // Where the message says it is: a file's line in front, or the text's name (its index in the data).
  const at = typeof details.file === 'string' && typeof details.line === 'number' ? `${details.file}:${details.line}: ` : '';
  const subject = `${at}${options.name ?? 'A text'}`;
  if (typeof text !== 'string') {
    throw new AppliedMLError('E_INPUT_INVALID', `${subject} must be a string; got ${describeKind(text)}.`, { details });
  }
  if (text.length > maxChars) {
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `${subject} of ${text.length} characters is over the limit of ${maxChars}; split it or raise maxTextChars.`,
      {
        details: { ...details, length: text.length, maxChars },
      },
    );
  }
  // Invisible format characters (zero-width space U+200B, word joiner U+2060, ZWJ, bidi marks, soft
  // hyphen) and variation selectors count as whitespace here: a text of only those has no word to read.
  if (ONLY_BLANK.test(text)) throw new AppliedMLError('E_INPUT_INVALID', `${subject} is empty or only whitespace.`, { details });
  if (text.includes('\uFFFD')) {
    throw new AppliedMLError('E_INPUT_INVALID', `${subject} holds U+FFFD replacement characters: it was decoded with the wrong encoding.`, {
      details,
    });
  }
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text))
    throw new AppliedMLError('E_INPUT_INVALID', `${subject} holds lone UTF-16 surrogates (not valid Unicode).`, { details });
  return text;
}

/**
 * Internal (not exported from the package): `value` is a string, else E_INPUT_INVALID naming the argument
 * (a helper given null or a number failed with a TypeError, or read a number's missing characters).
 */
export function checkStringArgument(field: string, value: unknown): void {
  if (typeof value !== 'string')
    throw new AppliedMLError('E_INPUT_INVALID', `${field} must be a string (got ${describeValue(value)}).`, { details: { field } });
}

/**
 * Internal: `value` is a list of strings (tokens or terms), else E_INPUT_INVALID naming the argument and,
 * for a bad entry, its index. A string is refused too: its characters would be read as the tokens.
 */
export function checkStringList(field: string, value: unknown): void {
  if (!Array.isArray(value))
    throw new AppliedMLError('E_INPUT_INVALID', `${field} must be a list of strings (got ${describeValue(value)}).`, {
      details: { field },
    });
  for (let i = 0; i < value.length; i++)
    if (typeof value[i] !== 'string')
      throw new AppliedMLError('E_INPUT_INVALID', `${field}[${i}] must be a string (got ${describeValue(value[i])}).`, {
        details: { field, index: i },
      });
}

/** Internal: a yes/no option is true, false or left out (undefined); 'no' or 1 were read by truthiness. */
export function checkFlag(field: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean')
    throw new AppliedMLError('E_INPUT_INVALID', `${field} must be true or false (got ${describeValue(value)}).`, { details: { field } });
}

/** Internal: a named choice is one of `choices` or left out (undefined); another name fell back to a default. */
export function checkChoice(field: string, value: unknown, choices: readonly string[]): void {
  if (value !== undefined && !choices.includes(value as string))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${field} must be one of ${choices.map((c) => `'${c}'`).join(', ')} (got ${describeValue(value)}).`,
      {
        details: { field },
      },
    );
}

/**
 * Windows-1252's characters for the bytes 0x80–0x9F (the rest is Latin-1); its five unassigned bytes keep
 * their Latin-1 code points, as the WHATWG decoder does. Node's TextDecoder('windows-1252') decodes these
 * bytes as Latin-1 (C1 controls), so the table is applied here.
 */
const WINDOWS_1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019,
  0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
].map((c) => String.fromCharCode(c));

/** The encodings `decodeText` and the CSV / JSONL loaders read. */
export type TextEncoding = 'utf-8' | 'latin1' | 'windows-1252';
/** Internal: the `TextEncoding` names. */
export const TEXT_ENCODINGS: readonly TextEncoding[] = ['utf-8', 'latin1', 'windows-1252'];

/**
 * Decode bytes strictly: UTF-8 (default) fails on invalid sequences with E_INPUT_INVALID; 'latin1'
 * (ISO-8859-1: every byte its code point) and 'windows-1252' (Latin-1 with 0x80–0x9F as € ‚ “ ” – — …, as
 * Windows and Excel write Western European text) never fail. With the default, UTF-16 little-endian
 * starting with its byte-order mark FF FE (Excel's "Unicode Text") is read too, as the engine's CSV
 * reader reads it; UTF-16 big-endian (FE FF) and UTF-16 without a mark (a 0 byte beside most ASCII
 * characters) are E_INPUT_INVALID saying which it is and how to convert it (`details.encoding`,
 * `details.byteOrderMark`): neither is UTF-8, and Windows-1252 would read them as garbage.
 */
export function decodeText(bytes: Uint8Array, encoding: TextEncoding = 'utf-8', file?: string): string {
  return decodeTextWith(bytes, encoding, file, "decode its bytes with decodeText(bytes, 'windows-1252') or 'latin1'");
}

/** Internal: `decodeText`, its UTF-8 refusal ending with `hint` (what the caller can pass instead). */
export function decodeTextWith(bytes: Uint8Array, encoding: TextEncoding, file: string | undefined, hint: string): string {
  if (!(bytes instanceof Uint8Array))
    throw new AppliedMLError('E_INPUT_INVALID', `decodeText takes bytes (a Uint8Array or Buffer); got ${describeValue(bytes)}.`, {
      details: { field: 'bytes' },
    });
  checkChoice('decodeText encoding', encoding, TEXT_ENCODINGS); // 'utf-16' was decoded as UTF-8
  if (encoding === 'latin1') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (encoding === 'windows-1252')
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      .toString('latin1')
      .replace(/[\x80-\x9f]/g, (c) => WINDOWS_1252_HIGH[c.charCodeAt(0) - 0x80] as string);
  const utf16 = utf16Kind(bytes);
  if (utf16?.encoding === 'utf-16le' && utf16.byteOrderMark) return decodeUtf16Le(bytes, file);
  if (utf16) throw utf16Refusal(utf16, file);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${file ?? 'The input'} is not valid UTF-8; if it is Windows-1252 or Latin-1 (a Western European file from Windows or Excel), convert it to UTF-8 first (or ${hint}).`,
      {
        cause,
        details: file ? { file } : {},
      },
    );
  }
}

/** What `utf16Kind` found: the byte order, and whether the bytes start with its byte-order mark. */
interface Utf16Kind {
  encoding: 'utf-16le' | 'utf-16be';
  byteOrderMark: boolean;
}

/** Bytes looked at for the 0 bytes of UTF-16 without a byte-order mark. */
const UTF16_SAMPLE_BYTES = 4096;

/**
 * Internal: whether `bytes` are UTF-16 text rather than UTF-8: a byte-order mark (FF FE little-endian,
 * FE FF big-endian; FF FE 00 00 is UTF-32, left to the UTF-8 check), or, without one, 0 bytes in the
 * first 4 KiB (UTF-8 text holds none) nearly all on one side of each byte pair, as UTF-16 puts them beside
 * every ASCII character: on the odd side little-endian, the even side big-endian.
 */
export function utf16Kind(bytes: Uint8Array): Utf16Kind | undefined {
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', byteOrderMark: true };
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    if (bytes.length >= 4 && bytes[2] === 0 && bytes[3] === 0) return undefined;
    return { encoding: 'utf-16le', byteOrderMark: true };
  }
  let even = 0;
  let odd = 0;
  const end = Math.min(bytes.length, UTF16_SAMPLE_BYTES) & ~1;
  for (let i = 0; i < end; i += 2) {
    if (bytes[i] === 0) even++;
    if (bytes[i + 1] === 0) odd++;
  }
  if (odd >= 2 && even * 4 <= odd) return { encoding: 'utf-16le', byteOrderMark: false };
  if (even >= 2 && odd * 4 <= even) return { encoding: 'utf-16be', byteOrderMark: false };
  return undefined;
}

/** UTF-16 little-endian after its byte-order mark, strictly (an odd byte count or a lone surrogate refused). */
function decodeUtf16Le(bytes: Uint8Array, file: string | undefined): string {
  try {
    return new TextDecoder('utf-16le', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${file ?? 'The input'} starts with the UTF-16 little-endian byte-order mark FF FE but is not valid UTF-16 (an odd number of bytes, or a lone surrogate).`,
      { cause, details: { ...(file ? { file } : {}), encoding: 'utf-16le', byteOrderMark: true } },
    );
  }
}

/** UTF-16 this reader does not take (big-endian, or no byte-order mark): what it is and how to convert it. */
function utf16Refusal(kind: Utf16Kind, file: string | undefined): AppliedMLError {
  const order = kind.encoding === 'utf-16be' ? 'big-endian' : 'little-endian';
  const name = kind.encoding === 'utf-16be' ? 'UTF-16BE' : 'UTF-16LE';
  const what = kind.byteOrderMark
    ? `is UTF-16 ${order} text (it starts with the byte-order mark FE FF)`
    : `looks like UTF-16 ${order} text without a byte-order mark (a 0 byte ${kind.encoding === 'utf-16be' ? 'before' : 'after'} each ASCII character)`;
  return new AppliedMLError(
    'E_INPUT_INVALID',
    `${file ?? 'The input'} ${what}; text is read as UTF-8, or as UTF-16 little-endian starting with the byte-order mark FF FE. ` +
      `Convert it to UTF-8 first, e.g. iconv -f ${name} -t UTF-8 in.csv > out.csv (or save it from the spreadsheet as "CSV UTF-8").`,
    { details: { ...(file ? { file } : {}), encoding: kind.encoding, byteOrderMark: kind.byteOrderMark } },
  );
}
