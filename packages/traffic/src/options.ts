import { AppliedMLError } from '@appliedml/engine';

/**
 * Refuses an options argument that is not an object (`null` from a JSON body, a number, a list) with
 * E_INPUT_INVALID naming it, instead of a TypeError on the first option read. Undefined means the defaults.
 */
export function checkOptionsObject(field: string, value: unknown): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${field} must be an object of options (got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}).`,
      { details: { field } },
    );
}
