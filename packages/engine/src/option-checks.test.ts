import { describe, expect, it } from 'vitest';
import { createProgress } from './train/progress';
import {
  checkIntegerOption,
  checkKnownKeys,
  checkNumberOption,
  checkOptionsObject,
  checkProgressOption,
  keepKnownKeys,
} from './option-checks';

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
    // Values that cannot be compared with a number (the comparison threw a TypeError, or the value's own error).
    const throwing = {
      toString(): string {
        throw new Error('no text');
      },
    };
    for (const bad of [Symbol('s'), throwing, Object.create(null) as object, 10n])
      for (const open of [undefined, 'min', 'max', 'both'] as const)
        expect(() => checkNumberOption('x', bad, 0, 1, { open })).toThrow(invalid);
  });
  it('known keys: a misspelt option is refused with the valid names; undefined passes; a non-object is refused', () => {
    expect(() => checkKnownKeys('x', { trees: 3 }, ['trees', 'depth'])).not.toThrow();
    expect(() => checkKnownKeys('x', undefined, ['trees'])).not.toThrow();
    expect(() => checkKnownKeys('x', { tress: 3, depth: 1, lr: 2 }, ['trees', 'depth'])).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID', message: "x has no options 'tress', 'lr'; valid: trees, depth." }),
    );
    for (const bad of [null, 3, 'trees', [1]]) expect(() => checkKnownKeys('x', bad, ['trees'])).toThrow(invalid);
    expect(keepKnownKeys({ trees: 3, savedBy: '0.1.0' }, ['trees', 'depth'])).toEqual({ trees: 3 });
  });
});

describe('checkOptionsObject', () => {
  it('says what kind of value came instead of options, with its article', () => {
    for (const [bad, kind] of [
      [null, 'null'],
      [5, 'a number'],
      ['wasm', 'a string'],
      [true, 'a boolean'],
      [[], 'an array'],
      [() => 1, 'a function'],
    ] as const) {
      expect(() => checkOptionsObject('vocabulary options', bad)).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', message: `vocabulary options must be an object of options (got ${kind}).` }),
      );
    }
    expect(() => checkOptionsObject('vocabulary options', undefined)).not.toThrow();
    expect(() => checkOptionsObject('vocabulary options', { minCount: 2 })).not.toThrow();
  });
});

describe('checkProgressOption', () => {
  it("takes true, false, 'auto' or nothing; anything else is refused by name (it was read by its truthiness)", () => {
    for (const ok of [true, false, 'auto', undefined]) expect(() => checkProgressOption('train options.progress', ok)).not.toThrow();
    for (const [bad, shown] of [
      ['false', '"false"'],
      ['true', '"true"'],
      [1, '1'],
      [0, '0'],
      [null, 'null'],
    ] as const)
      expect(() => checkProgressOption('train options.progress', bad)).toThrow(
        expect.objectContaining({
          code: 'E_INPUT_INVALID',
          message: `train options.progress must be true, false or 'auto' (got ${shown}).`,
          details: { field: 'train options.progress', valid: [true, false, 'auto'] },
        }),
      );
    for (const bad of [() => false, {}, [], 'yes'])
      expect(() => checkProgressOption('progress', bad)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
  });

  it('createProgress refuses the same values (a bar was drawn for the text "false")', () => {
    for (const bad of ['false', 1, () => false, {}])
      expect(() => createProgress(bad as never)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => createProgress(false).stop()).not.toThrow();
  });
});
