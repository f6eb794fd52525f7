/**
 * One error type for every appliedml package. `code` is stable and machine-readable; the message
 * says what to do. `AppliedMLError.isInstance(e)` works across duplicate installs of the engine
 * (it checks a global symbol marker, not the prototype chain).
 */
const MARKER = Symbol.for('appliedml.error');

export const ERROR_CODES = [
  'E_INPUT_INVALID',
  'E_INPUT_TOO_LARGE',
  'E_SHAPE_MISMATCH',
  'E_FORMAT_UNSUPPORTED',
  'E_BUNDLE_CORRUPT',
  'E_BUNDLE_MISSING',
  'E_BUNDLE_INCOMPATIBLE',
  'E_DATASET_MISSING',
  'E_DATASET_CHECKSUM',
  'E_DEVICE_UNAVAILABLE',
  'E_DEVICE_INVALID',
  'E_MODEL_NOT_TRAINED',
  'E_MODEL_DISPOSED',
  'E_TRAINING_FAILED',
  'E_IO',
  'E_BUSY',
  'E_ABORTED',
  'E_NOT_FOUND',
  'E_INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface AppliedMLErrorOptions {
  cause?: unknown;
  /** Extra, non-sensitive context (file, line, field, sensor …) shown to users and logs. */
  details?: Record<string, unknown>;
}

export class AppliedMLError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  private readonly [MARKER] = true;

  constructor(code: ErrorCode, message: string, options: AppliedMLErrorOptions | null = {}) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppliedMLError';
    this.code = code;
    this.details = options?.details ?? {};
  }

  /** True for any appliedml error, even one thrown by another copy of the engine. */
  static isInstance(error: unknown): error is AppliedMLError {
    try {
      return (
        typeof error === 'object' &&
        error !== null &&
        (error as Record<symbol, unknown>)[MARKER] === true &&
        typeof (error as { code?: unknown }).code === 'string'
      );
    } catch {
      // A revoked Proxy, or one whose traps throw, is no appliedml error.
      return false;
    }
  }

  /** True when `error` is an appliedml error with this code. */
  static hasCode(error: unknown, code: ErrorCode): error is AppliedMLError {
    return AppliedMLError.isInstance(error) && error.code === code;
  }

  /** JSON-safe even when `details` hold a BigInt or a cycle (JSON.stringify threw on those). */
  toJSON(): { name: string; code: ErrorCode; message: string; details: Record<string, unknown> } {
    let details = this.details;
    try {
      JSON.stringify(details);
    } catch {
      details = Object.fromEntries(
        Object.keys(details).map((k) => {
          const v = (details as Record<string, unknown>)[k];
          try {
            return [k, JSON.parse(JSON.stringify(v, bigintText) ?? 'null') as unknown];
          } catch {
            return [k, describeValue(v)];
          }
        }),
      );
    }
    return { name: this.name, code: this.code, message: this.message, details };
  }
}

/** HTTP status for an error code: the one mapping every demo service uses. */
export function httpStatusForCode(code: ErrorCode): number {
  switch (code) {
    case 'E_INPUT_INVALID':
    case 'E_SHAPE_MISMATCH':
      return 400;
    case 'E_NOT_FOUND':
      return 404;
    case 'E_INPUT_TOO_LARGE':
      return 413;
    case 'E_FORMAT_UNSUPPORTED':
      return 415;
    case 'E_MODEL_NOT_TRAINED':
    case 'E_MODEL_DISPOSED':
    case 'E_DEVICE_UNAVAILABLE':
    case 'E_DATASET_MISSING':
    case 'E_BUSY':
    case 'E_ABORTED':
      return 503;
    default:
      return 500;
  }
}

/** Throws E_INPUT_INVALID unless `condition` holds. */
export function assertInput(condition: unknown, message: string, details?: Record<string, unknown>): asserts condition {
  if (!condition) throw new AppliedMLError('E_INPUT_INVALID', message, details ? { details } : {});
}

function bigintText(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}

/** Thrown by `BoundedText.add` once the text is longer than it may be shown: the rest is never built. */
const ENOUGH = Symbol('enough');

/** Text built in pieces that stops (throws ENOUGH) once it is longer than `limit`. */
class BoundedText {
  private readonly parts: string[] = [];
  length = 0;
  constructor(readonly limit: number) {}
  add(piece: string): void {
    this.parts.push(piece);
    this.length += piece.length;
    if (this.length > this.limit) throw ENOUGH;
  }
  /** A string as JSON, built from no more of it than can still be shown. */
  addString(value: string): void {
    // One character past what is left: the text then runs past `limit`, and a pair cut apart by the slice
    // (its high half written as an escape) lies past the cut.
    const left = this.limit - this.length + 1;
    this.add(JSON.stringify(value.length > left ? value.slice(0, left) : value));
  }
  toString(): string {
    return this.parts.join('');
  }
}

/** A value JSON leaves out of an object (and writes as null in a list). */
const OMIT = Symbol('omit');

/** Node's Buffer, whose toJSON copies every byte into an array: written from the bytes instead. */
function isNodeBuffer(value: object): value is Uint8Array {
  const buffer = (globalThis as { Buffer?: { isBuffer(v: unknown): boolean; prototype: { toJSON: unknown } } }).Buffer;
  return buffer !== undefined && buffer.isBuffer(value) && (value as { toJSON?: unknown }).toJSON === buffer.prototype.toJSON;
}

/** A Buffer standing for the `{ type: 'Buffer', data: [...] }` its toJSON gives. */
class BufferJson {
  constructor(readonly bytes: Uint8Array) {}
}

/**
 * What JSON.stringify writes for the property `key` holding `value`, before writing it: toJSON called,
 * BigInt as its text ('10n'), boxed primitives unboxed; OMIT for undefined, functions and symbols.
 * Non-finite numbers stay numbers (written bare, where JSON writes null).
 */
function prepare(key: string, value: unknown): unknown {
  if ((typeof value === 'object' && value !== null) || typeof value === 'bigint') {
    if (typeof value === 'object' && isNodeBuffer(value)) return new BufferJson(value);
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') value = (toJSON as (key: string) => unknown).call(value, key);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'object' && value !== null) {
    // Boxed primitives, told by their internal slot as JSON does (valueOf throws for any other object).
    const unboxed = unbox(value);
    if (unboxed !== OMIT) return unboxed;
  }
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return OMIT;
  return value;
}

function unbox(value: object): unknown {
  const tries: [(v: object) => unknown, (v: object) => unknown][] = [
    [(v) => Number.prototype.valueOf.call(v), (v) => Number(v)],
    [(v) => String.prototype.valueOf.call(v), (v) => String(v)],
    [(v) => Boolean.prototype.valueOf.call(v), (v) => Boolean.prototype.valueOf.call(v)],
  ];
  for (const [test, convert] of tries) {
    try {
      test(value);
    } catch {
      continue;
    }
    const primitive = convert(value);
    // JSON writes a boxed NaN as null (the replacer, which marks NaN, saw the box).
    return typeof primitive === 'number' && !Number.isFinite(primitive) ? null : primitive;
  }
  try {
    BigInt.prototype.valueOf.call(value);
  } catch {
    return OMIT;
  }
  throw new TypeError('Do not know how to serialize a BigInt');
}

/** Writes a prepared value as JSON.stringify would (NaN and ±Infinity bare), stopping once `out` is full. */
function writeJson(out: BoundedText, value: unknown, stack: object[]): void {
  if (value === null) return out.add('null');
  if (typeof value === 'boolean') return out.add(String(value));
  if (typeof value === 'number') return out.add(String(value));
  if (typeof value === 'string') return out.addString(value);
  const object = value as object;
  if (stack.includes(object)) throw new TypeError('Converting circular structure to JSON');
  stack.push(object);
  if (object instanceof BufferJson) {
    out.add('{"type":"Buffer","data":[');
    writeItems(out, object.bytes, object.bytes.length, stack);
    out.add(']}');
  } else if (Array.isArray(object)) {
    out.add('[');
    writeItems(out, object, object.length, stack);
    out.add(']');
  } else {
    out.add('{');
    let first = true;
    const member = (key: string, item: unknown): void => {
      const prepared = prepare(key, item);
      if (prepared === OMIT) return;
      if (!first) out.add(',');
      first = false;
      out.addString(key);
      out.add(':');
      writeJson(out, prepared, stack);
    };
    // A typed array's keys are its indices (then any own names): read by index, never listed all at once.
    // Other objects' keys are listed whole (Object.keys: no lazy way to take the first few).
    const indexed = ArrayBuffer.isView(object) && !(object instanceof DataView) ? (object as unknown as ArrayLike<unknown>) : undefined;
    const count = indexed ? indexed.length : 0;
    for (let i = 0; i < count; i++) member(String(i), (indexed as ArrayLike<unknown>)[i]);
    const keys = Object.keys(object);
    for (let k = count; k < keys.length; k++) member(keys[k] as string, (object as Record<string, unknown>)[keys[k] as string]);
    out.add('}');
  }
  stack.pop();
}

function writeItems(out: BoundedText, list: ArrayLike<unknown>, length: number, stack: object[]): void {
  for (let i = 0; i < length; i++) {
    if (i > 0) out.add(',');
    const prepared = prepare(String(i), list[i]);
    if (prepared === OMIT) out.add('null');
    else writeJson(out, prepared, stack);
  }
}

/**
 * A short text for a value in an error message that never throws (not even for a revoked Proxy): JSON
 * where it can, with NaN and Infinity as such (JSON writes null), BigInt as `10n`, symbols and
 * functions by name, an invalid Date as 'Invalid Date'; cut to `max` characters, never inside a
 * surrogate pair. Its work is bounded by `max` too: a list, typed array, string or object's values are
 * written only as far as is shown (a 50-million-element array costs what its first elements do). A plain
 * object's keys are listed whole first (JavaScript has no lazy way; about 0.5 s a million keys, less than
 * building such an object took).
 */
export function describeValue(value: unknown, max = 80): string {
  let text: string;
  try {
    if (typeof value === 'bigint') text = `${value}n`;
    else if (typeof value === 'number') text = String(value);
    else if (typeof value === 'symbol' || typeof value === 'function') text = String(value);
    else if (value instanceof Date && Number.isNaN(value.getTime())) text = 'Invalid Date';
    else text = boundedJson(value, max) ?? String(value);
  } catch {
    try {
      text = Object.prototype.toString.call(value);
    } catch {
      text = `[${typeof value}]`;
    }
  }
  if (text.length <= max) return text;
  const high = text.charCodeAt(max - 1);
  const cut = high >= 0xd800 && high <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, cut)}…`;
}

/**
 * "a" or "an" before `word` by how it is said: "an" before a vowel ('an object', 'an ArrayBuffer', 'an
 * Error'), "a" before a consonant and before a "u" said "you" ('a Uint8Array', 'a URL', 'a Union').
 */
export function withArticle(word: string): string {
  // A vowel letter read as a consonant takes "a": "a Uint8Array", "a URL", "a UUID", "a UsbDevice",
  // "a Utf8Decoder", "a Union", "a User", "a EuroAmount", "a OneHotEncoder" ("an Unknown", "an Event").
  const consonantSound = /^(?:u(?:int|rl|uid|sb|tf|ni(?!n)|s[aeiu])|eu|one)/i.test(word);
  return `${!consonantSound && /^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}

/**
 * What kind of value `value` is, with its article, for a message that says what was given instead
 * ("must be bytes (got a string)"): 'null', 'undefined', 'a string', 'a number', 'a boolean', 'a bigint',
 * 'a symbol', 'a function', 'an array', 'an object' (a plain object, or one without a prototype), else its
 * class ('a Map', 'a Date', 'an ArrayBuffer', 'a Uint8Array'). Never throws (a Proxy whose traps throw is
 * 'an object'). The value itself is `describeValue`'s.
 */
export function describeKind(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return withArticle(typeof value);
  let name: unknown;
  try {
    if (Array.isArray(value)) return 'an array';
    name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  } catch {
    name = undefined;
  }
  return typeof name === 'string' && name !== '' && name !== 'Object' ? withArticle(name) : 'an object';
}

/**
 * `JSON.stringify(value)` with NaN and ±Infinity bare and BigInt as '10n', or undefined where JSON gives
 * undefined; once longer than `max` characters, its beginning (a little past `max`), the rest unbuilt.
 */
function boundedJson(value: unknown, max: number): string | undefined {
  const out = new BoundedText(max >= 0 ? Math.floor(max) : 0);
  try {
    const prepared = prepare('', value);
    if (prepared === OMIT) return undefined;
    writeJson(out, prepared, []);
  } catch (stop) {
    if (stop !== ENOUGH) throw stop;
  }
  return out.toString();
}

/**
 * `path` names a file or folder (a non-empty string without a NUL character); anything else is
 * E_INPUT_INVALID naming `what`. A NUL is refused here (details.reason 'nul-character') because no file
 * system takes one: passed on, Node's own refusal came out of the callers as E_IO or an untyped error.
 */
export function checkPathArgument(path: unknown, what: string): asserts path is string {
  if (typeof path !== 'string' || path.trim() === '')
    throw new AppliedMLError('E_INPUT_INVALID', `${what} must be a folder path (a non-empty string); got ${describeValue(path)}.`, {
      details: { field: what },
    });
  if (path.includes('\0'))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${what} holds a NUL character (\\0), which no file system takes: ${describeValue(path)}.`,
      {
        details: { field: what, reason: 'nul-character' },
      },
    );
}
