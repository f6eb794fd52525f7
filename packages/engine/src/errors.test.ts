import { describe, expect, it } from 'vitest';
import { AppliedMLError, ERROR_CODES, assertInput, describeValue, httpStatusForCode } from './errors';
import { checkIntegerOption, checkKnownKeys } from './option-checks';

describe('AppliedMLError', () => {
  it('is recognised by its marker, not its prototype (a duplicate install is still an AppliedMLError)', () => {
    const e = new AppliedMLError('E_INPUT_INVALID', 'bad', { details: { field: 'x' } });
    expect(AppliedMLError.isInstance(e)).toBe(true);
    const copy = Object.assign(Object.create(Error.prototype) as object, { code: 'E_IO', message: 'm' });
    (copy as Record<symbol, unknown>)[Symbol.for('appliedml.error')] = true;
    expect(AppliedMLError.isInstance(copy)).toBe(true);
    expect(AppliedMLError.isInstance(new Error('plain'))).toBe(false);
    expect(AppliedMLError.isInstance(null)).toBe(false);
    expect(AppliedMLError.hasCode(e, 'E_INPUT_INVALID')).toBe(true);
    expect(e.toJSON()).toMatchObject({ code: 'E_INPUT_INVALID', details: { field: 'x' } });
    expect(() => assertInput(false, 'no')).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
  });

  it('maps every code to one HTTP status: client errors 4xx, unavailable or busy 503, the rest 500', () => {
    const status = Object.fromEntries(ERROR_CODES.map((c) => [c, httpStatusForCode(c)]));
    expect(status).toMatchObject({
      E_INPUT_INVALID: 400,
      E_SHAPE_MISMATCH: 400,
      E_NOT_FOUND: 404,
      E_INPUT_TOO_LARGE: 413,
      E_FORMAT_UNSUPPORTED: 415,
      E_MODEL_NOT_TRAINED: 503,
      E_BUSY: 503,
      E_DEVICE_UNAVAILABLE: 503,
      E_INTERNAL: 500,
      E_IO: 500,
    });
    for (const s of Object.values(status)) expect([400, 404, 413, 415, 500, 503]).toContain(s);
  });
});

describe('describeValue', () => {
  it('never throws, whatever the value; long texts are cut', () => {
    expect(describeValue(10n)).toBe('10n');
    expect(describeValue({ a: 1n })).toBe('{"a":"1n"}');
    expect(describeValue(Symbol('s'))).toBe('Symbol(s)');
    expect(describeValue(undefined)).toBe('undefined');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(describeValue(cyclic)).toBe('[object Object]');
    expect(describeValue('x'.repeat(200))).toHaveLength(81);
  });

  it('option checks name a BigInt or a symbol instead of failing to print it', () => {
    expect(() => checkIntegerOption('epochs', 10n, 1, 100)).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringContaining('got 10n') }),
    );
    expect(() => checkKnownKeys('config', 10n, ['a'])).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => checkKnownKeys('config', Symbol('x'), ['a'])).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
  });
});
