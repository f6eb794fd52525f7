import { describe, expect, it } from 'vitest';
import { checkIntegerOption, checkNumberOption } from './option-checks';

const invalid = expect.objectContaining({ code: 'E_INPUT_INVALID', details: { field: 'x' } });

describe('option checks', () => {
  it('integers: in range passes, undefined passes unless required, anything else names the option', () => {
    expect(() => checkIntegerOption('x', 3, 1, 5)).not.toThrow();
    expect(() => checkIntegerOption('x', undefined, 1, 5)).not.toThrow();
    for (const bad of [0, 6, 2.5, Number.NaN, '3']) expect(() => checkIntegerOption('x', bad, 1, 5)).toThrow(invalid);
    expect(() => checkIntegerOption('x', null, 1, 5)).not.toThrow(); // JSON's way of leaving it unset
    expect(() => checkIntegerOption('x', undefined, 1, 5, false)).toThrow(invalid);
  });

  it('numbers: closed or open ends, never NaN or infinite', () => {
    expect(() => checkNumberOption('x', 0, 0, 1)).not.toThrow();
    expect(() => checkNumberOption('x', 0, 0, 1, { open: 'min' })).toThrow(invalid);
    expect(() => checkNumberOption('x', 1, 0, 1, { open: 'max' })).toThrow(invalid);
    expect(() => checkNumberOption('x', 0.5, 0, 1, { open: 'both' })).not.toThrow();
    for (const bad of [Number.NaN, Infinity, -1, '0.5']) expect(() => checkNumberOption('x', bad, 0, 1)).toThrow(invalid);
    expect(() => checkNumberOption('x', undefined, 0, 1, { optional: false })).toThrow(invalid);
  });
});
