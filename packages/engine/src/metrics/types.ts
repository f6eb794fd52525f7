/**
 * Shared input types for the metric functions. Any indexable numeric sequence works: plain
 * `number[]` or typed arrays (`Float64Array`, `Float32Array`, `Int32Array`, `Uint8Array`, …).
 * Inputs are never mutated.
 */
export type NumericArray = ArrayLike<number>;

/** Inclusion mask: entry `i` counts only when `mask[i]` is truthy (non-zero, not NaN, `true`). */
export type MaskArray = ArrayLike<number | boolean>;
