import { AppliedMLError } from '@appliedml/engine';

/**
 * Refuses a list option with an empty slot (a sparse array: `[, 86400]`, `new Array(2)`, an element
 * deleted) with E_INPUT_INVALID naming the option and the index. `some` / `every` / `forEach` skip such
 * slots, so a window was dropped without a word, a layer width reached tfjs as undefined, and an
 * ensemble member was refused only at train with another error's words. Anything but an array passes
 * (the option's own check refuses it in its words).
 */
export function checkNoHoles(field: string, list: unknown): void {
  if (!Array.isArray(list)) return;
  for (let i = 0; i < list.length; i++)
    if (!(i in list))
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `${field} has an empty slot at index ${i} (a sparse list: [, 4], new Array(n) or a deleted element); give a value at every index.`,
        { details: { field, index: i, reason: 'empty-slot' } },
      );
}
