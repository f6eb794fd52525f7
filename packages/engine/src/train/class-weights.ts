import { AppliedMLError, describeValue } from '../errors';

/**
 * A class-weight option as the SDKs take it from their users: `'balanced'` (each label weighs
 * n / (labels × its count), scikit-learn's `class_weight='balanced'`) or a weight per label by name (a
 * label the map leaves out weighs 1).
 */
export type ClassWeightOption = 'balanced' | Readonly<Record<string, number>>;

/** How `resolveClassWeights` treats what it is given beyond the option itself. */
export interface ResolveClassWeightsOptions {
  /**
   * The `'balanced'` weight of a label with no training example (count 0): `'asOne'` (default) counts it
   * as one example, n / labels; `'zero'` gives it 0 (a label known from a config but absent from the
   * data then adds nothing to the loss).
   */
  unseen?: 'asOne' | 'zero';
}

/**
 * `option`, an SDK's class-weight option, as one loss weight per label in the order of `labels`, ready for
 * `fitModel`'s `classWeight` (a label's index there is its index in `labels`); undefined when `option` is.
 * `counts[i]` is how many training examples `labels[i]` has; n, for `'balanced'`, is their sum (for
 * multi-label data, the label occurrences). A map names labels of `labels` only, and a label it leaves out
 * weighs 1. Refused with `E_INPUT_INVALID` (`details.field` `'classWeight'`, or `'classWeight.<label>'`):
 * anything but `'balanced'` or a plain object; a map naming another label (`details.unknown` lists them);
 * a weight that is not a non-negative finite number; every weight 0 (nothing would be learnt); `counts`
 * of another length than `labels`.
 *
 * `resolveClassWeights('balanced', ['ham', 'spam'], [90, 10])` is `[100 / 180, 100 / 20]`;
 * `resolveClassWeights({ spam: 3 }, ['ham', 'spam'], [90, 10])` is `[1, 3]`.
 */
export function resolveClassWeights(
  option: unknown,
  labels: readonly string[],
  counts: readonly number[],
  options: ResolveClassWeightsOptions = {},
): number[] | undefined {
  if (option === undefined) return undefined;
  if (!Array.isArray(labels) || !Array.isArray(counts) || counts.length !== labels.length)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `classWeight: counts must give one count per label (${describeValue(labels?.length)} labels, ${describeValue(counts?.length)} counts).`,
      { details: { field: 'counts' } },
    );
  if (option === 'balanced') {
    const n = counts.reduce((a, b) => a + b, 0);
    const zero = options.unseen === 'zero';
    return counts.map((c) => (zero && c === 0 ? 0 : n / (labels.length * Math.max(c, 1))));
  }
  if (option === null || typeof option !== 'object' || Array.isArray(option))
    throw new AppliedMLError('E_INPUT_INVALID', `classWeight must be 'balanced' or a weight per label (got ${describeValue(option)}).`, {
      details: { field: 'classWeight' },
    });
  const map = option as Record<string, unknown>;
  const unknown = Object.keys(map).filter((l) => !labels.includes(l));
  if (unknown.length > 0)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `classWeight names ${unknown.map((l) => `'${l}'`).join(', ')}, not among the training labels (${labels.join(', ')}).`,
      { details: { field: 'classWeight', unknown } },
    );
  const weights = labels.map((l) => {
    const w = Object.hasOwn(map, l) ? map[l] : 1;
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0)
      throw new AppliedMLError('E_INPUT_INVALID', `classWeight for '${l}' must be a non-negative number (got ${describeValue(w)}).`, {
        details: { field: `classWeight.${l}` },
      });
    return w;
  });
  // With every weight 0 no example counts: nothing could be learnt.
  if (weights.every((w) => w === 0))
    throw new AppliedMLError('E_INPUT_INVALID', 'classWeight gives every label weight 0: at least one must be positive.', {
      details: { field: 'classWeight' },
    });
  return weights;
}
