import { AppliedMLError } from '@appliedml/engine';

/**
 * E_INPUT_INVALID naming `field` and the index when `list` (an array) has an empty slot: `[3, , 12]`,
 * `new Array(2)`, a deleted element. `forEach`, `every`, `map` and `new Set` pass over such a slot or
 * read it as undefined, so a hole got past the checks and failed later in other words (a horizon of
 * null, a bare TypeError at predict, a bundle `load` refused). Anything but an array passes: the
 * caller's own check refuses it in its words.
 */
export function checkNoHoles(field: string, list: unknown): void {
  if (!Array.isArray(list)) return;
  for (let i = 0; i < list.length; i++) {
    if (i in list) continue;
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${field} has an empty slot at index ${i} (a sparse list such as [3, , 12] or new Array(n)); give a value at every index.`,
      { details: { field, index: i, reason: 'empty-slot' } },
    );
  }
}
