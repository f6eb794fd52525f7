// Checks for numeric options, shared by every SDK: each failure is E_INPUT_INVALID naming the option,
// so a NaN, a negative size or a huge count never reaches tfjs or an allocation.
import { AppliedMLError, describeKind, describeValue } from './errors';

function refuse(field: string, value: unknown, rule: string): never {
  throw new AppliedMLError('E_INPUT_INVALID', `${field} must be ${rule} (got ${describeValue(value)}).`, {
    details: { field },
  });
}

/** `value` is an integer in [min, max]; undefined (or null, as JSON configs write it) passes when `optional`. */
export function checkIntegerOption(field: string, value: unknown, min: number, max: number, optional = true): void {
  if ((value === undefined || value === null) && optional) return;
  if (!(Number.isInteger(value) && (value as number) >= min && (value as number) <= max))
    refuse(field, value, `an integer in [${min}, ${max}]`);
}

/**
 * `value` is a finite number between `min` and `max`; `open` excludes the named ends (e.g. 'min' for a
 * rate that must be above 0). Undefined passes when `optional`.
 */
export function checkNumberOption(
  field: string,
  value: unknown,
  min: number,
  max: number,
  options: { open?: 'min' | 'max' | 'both'; optional?: boolean } = {},
): void {
  if ((value === undefined || value === null) && (options.optional ?? true)) return;
  const open = options.open;
  // Compared only once it is a number: comparing a symbol, or an object whose toString throws (or that
  // has none), throws a TypeError of its own.
  const isNumber = typeof value === 'number' && Number.isFinite(value);
  const lowOk = isNumber && (open === 'min' || open === 'both' ? value > min : value >= min);
  const highOk = isNumber && (open === 'max' || open === 'both' ? value < max : value <= max);
  if (!(isNumber && lowOk && highOk)) {
    const lo = open === 'min' || open === 'both' ? '(' : '[';
    const hi = open === 'max' || open === 'both' ? ')' : ']';
    refuse(field, value, `a number in ${lo}${min}, ${max}${hi}`);
  }
}

/** The values a `progress` option takes: a bar always, never, or only on an interactive terminal outside CI. */
export const PROGRESS_VALUES: readonly (boolean | 'auto')[] = [true, false, 'auto'];

/**
 * `value` is a `progress` option: true, false or 'auto' (undefined passes: the caller's default). Any
 * other value (the text 'false', 1, a function, an object) is E_INPUT_INVALID naming `field`: it was
 * taken as true or false by its truthiness, so `progress: 'false'` drew a bar.
 */
export function checkProgressOption(field: string, value: unknown): asserts value is boolean | 'auto' | undefined {
  if (value === undefined || value === true || value === false || value === 'auto') return;
  throw new AppliedMLError('E_INPUT_INVALID', `${field} must be true, false or 'auto' (got ${describeValue(value)}).`, {
    details: { field, valid: [...PROGRESS_VALUES] },
  });
}

/**
 * Refuses an options argument that is not an object (`null` from a JSON body, a number, a list) with
 * E_INPUT_INVALID naming it, instead of a TypeError on the first option read. Undefined means the
 * defaults. Unlike `checkKnownKeys` it does not check the names.
 */
export function checkOptionsObject(field: string, value: unknown): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new AppliedMLError('E_INPUT_INVALID', `${field} must be an object of options (got ${describeKind(value)}).`, {
      details: { field },
    });
}

/**
 * `value` (an options object) names only `known` keys: a misspelt option (`learningrate`) would
 * otherwise be ignored without a word. Undefined passes; a non-object is refused too. The message
 * lists the valid names.
 */
export function checkKnownKeys(field: string, value: unknown, known: readonly string[]): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) refuse(field, value, 'an object of options');
  const unknown = Object.keys(value as object).filter((k) => !known.includes(k));
  if (unknown.length)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${field} has no option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; valid: ${known.join(', ')}.`,
      { details: { field, unknown } },
    );
}

/**
 * `value` with only the `known` keys: for a config read back from a saved bundle, where a field an
 * earlier version wrote beside the options should be ignored rather than refused.
 */
export function keepKnownKeys<T extends object>(value: T, known: readonly string[]): T {
  return Object.fromEntries(Object.entries(value).filter(([k]) => known.includes(k))) as T;
}
