/**
 * A tiny parser for the Python literals found in a .npy header, e.g.
 * `{'descr': '<f8', 'fortran_order': False, 'shape': (1831, 21), }`.
 * It understands dicts, tuples, lists, quoted strings, integers (with Python 2's `L` suffix),
 * True, False and None, and nothing else: no names, calls or expressions, so it cannot execute
 * anything. Errors are thrown as `PythonLiteralError` with the offset of the problem.
 */
import { AppliedMLError } from '../errors';

export type PythonLiteral = string | number | boolean | null | PythonLiteral[] | { [key: string]: PythonLiteral };

/** A malformed literal: `E_INPUT_INVALID`, with the offset of the problem. */
export class PythonLiteralError extends AppliedMLError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super('E_INPUT_INVALID', message, { details: { offset } });
    this.name = 'PythonLiteralError';
  }
}

const MAX_DEPTH = 16;

export function parsePythonLiteral(text: string): PythonLiteral {
  let pos = 0;

  const fail = (message: string): never => {
    throw new PythonLiteralError(`${message} at offset ${pos}`, pos);
  };

  const skipSpace = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else break;
    }
  };

  const parseString = (): string => {
    const quote = text[pos];
    pos++;
    let out = '';
    while (pos < text.length) {
      const ch = text[pos] as string;
      if (ch === quote) {
        pos++;
        return out;
      }
      if (ch === '\n') fail('unterminated string');
      if (ch === '\\') {
        const esc = text[pos + 1];
        if (esc === undefined) fail('unterminated escape');
        pos += 2;
        switch (esc) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case 'r':
            out += '\r';
            break;
          case '0':
            out += '\0';
            break;
          case 'x': {
            const hex = text.slice(pos, pos + 2);
            if (!/^[0-9a-fA-F]{2}$/.test(hex)) fail('bad \\x escape');
            out += String.fromCharCode(parseInt(hex, 16));
            pos += 2;
            break;
          }
          case 'u': {
            const hex = text.slice(pos, pos + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
            out += String.fromCharCode(parseInt(hex, 16));
            pos += 4;
            break;
          }
          default:
            out += esc as string;
        }
        continue;
      }
      out += ch;
      pos++;
    }
    return fail('unterminated string');
  };

  const parseInteger = (): number => {
    const start = pos;
    if (text[pos] === '-' || text[pos] === '+') pos++;
    const digitsStart = pos;
    while (pos < text.length && /[0-9]/.test(text[pos] as string)) pos++;
    if (pos === digitsStart) fail('expected a number');
    if (text[pos] === '.' || text[pos] === 'e' || text[pos] === 'E') fail('only integers are allowed');
    const value = Number(text.slice(start, pos));
    if (text[pos] === 'L' || text[pos] === 'l') pos++; // Python 2 long
    if (!Number.isSafeInteger(value)) fail('integer out of range');
    return value;
  };

  const parseWord = (): boolean | null => {
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(pos, pos + 32));
    const word = match ? match[0] : '';
    if (word === 'True' || word === 'False' || word === 'None') {
      pos += word.length;
      return word === 'True' ? true : word === 'False' ? false : null;
    }
    return fail(`unexpected name '${word || (text[pos] ?? '')}' (only literals are allowed)`);
  };

  /** Items up to `close`, allowing a trailing comma. Returns the items and whether any comma was seen. */
  const parseSequence = (close: string, depth: number): { items: PythonLiteral[]; comma: boolean } => {
    const items: PythonLiteral[] = [];
    let comma = false;
    pos++;
    skipSpace();
    while (text[pos] !== close) {
      if (pos >= text.length) fail(`expected '${close}'`);
      items.push(parseValue(depth + 1));
      skipSpace();
      if (text[pos] === ',') {
        comma = true;
        pos++;
        skipSpace();
      } else if (text[pos] !== close) {
        fail(`expected ',' or '${close}'`);
      }
    }
    pos++;
    return { items, comma };
  };

  const parseDict = (depth: number): { [key: string]: PythonLiteral } => {
    const out: { [key: string]: PythonLiteral } = Object.create(null) as { [key: string]: PythonLiteral };
    pos++;
    skipSpace();
    while (text[pos] !== '}') {
      if (pos >= text.length) fail("expected '}'");
      if (text[pos] !== "'" && text[pos] !== '"') fail('dict keys must be strings');
      const key = parseString();
      skipSpace();
      if (text[pos] !== ':') fail("expected ':'");
      pos++;
      skipSpace();
      if (Object.prototype.hasOwnProperty.call(out, key)) fail(`duplicate key '${key}'`);
      out[key] = parseValue(depth + 1);
      skipSpace();
      if (text[pos] === ',') {
        pos++;
        skipSpace();
      } else if (text[pos] !== '}') {
        fail("expected ',' or '}'");
      }
    }
    pos++;
    return out;
  };

  const parseValue = (depth: number): PythonLiteral => {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    skipSpace();
    const ch = text[pos];
    if (ch === undefined) return fail('unexpected end of text');
    if (ch === '{') return parseDict(depth);
    if (ch === '[') return parseSequence(']', depth).items;
    if (ch === '(') {
      const { items, comma } = parseSequence(')', depth);
      // `(5)` is just 5 in Python; `(5,)` is a tuple.
      if (items.length === 1 && !comma) return items[0] as PythonLiteral;
      return items;
    }
    if (ch === "'" || ch === '"') return parseString();
    if (ch === '-' || ch === '+' || (ch >= '0' && ch <= '9')) return parseInteger();
    return parseWord();
  };

  const value = parseValue(0);
  skipSpace();
  if (pos !== text.length) fail('unexpected text after the literal');
  return value;
}
