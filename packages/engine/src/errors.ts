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

/** Marks NaN and ±Infinity inside JSON (which writes them as null), to be put back bare. */
const NON_FINITE = /"\\u0000(NaN|-?Infinity)\\u0000"/g;

function describeReplacer(key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return `\u0000${v}\u0000`;
  return bigintText(key, v);
}

/**
 * A short text for a value in an error message that never throws (not even for a revoked Proxy): JSON
 * where it can, with NaN and Infinity as such (JSON writes null), BigInt as `10n`, symbols and
 * functions by name, an invalid Date as 'Invalid Date'; cut to `max` characters, never inside a
 * surrogate pair.
 */
export function describeValue(value: unknown, max = 80): string {
  let text: string;
  try {
    if (typeof value === 'bigint') text = `${value}n`;
    else if (typeof value === 'number') text = String(value);
    else if (typeof value === 'symbol' || typeof value === 'function') text = String(value);
    else if (value instanceof Date && Number.isNaN(value.getTime())) text = 'Invalid Date';
    else text = (JSON.stringify(value, describeReplacer) ?? String(value)).replace(NON_FINITE, '$1');
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

/** `path` names a file or folder (a non-empty string); anything else is E_INPUT_INVALID naming `what`. */
export function checkPathArgument(path: unknown, what: string): asserts path is string {
  if (typeof path !== 'string' || path.trim() === '')
    throw new AppliedMLError('E_INPUT_INVALID', `${what} must be a folder path (a non-empty string); got ${describeValue(path)}.`, {
      details: { field: what },
    });
}
