import { describe, expect, it } from 'vitest';
import { AppliedMLError, ERROR_CODES, assertInput, checkPathArgument, describeKind, describeValue, httpStatusForCode } from './errors';
import { checkIntegerOption, checkKnownKeys, checkNumberOption } from './option-checks';

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

// Three "a/an <kind>" formatters were written separately: the engine's saveBundle ("got an ArrayBuffer",
// "a Map"), fraud's timestamp and cell refusals ("an object", "an array", "a function", it once said
// "a object"), the fraud demo's values ("an array", "an object"). One here.
describe('describeKind', () => {
  it('names a primitive by its type, with its article', () => {
    expect(describeKind('x')).toBe('a string');
    expect(describeKind(7)).toBe('a number');
    expect(describeKind(NaN)).toBe('a number');
    expect(describeKind(true)).toBe('a boolean');
    expect(describeKind(10n)).toBe('a bigint');
    expect(describeKind(Symbol('s'))).toBe('a symbol');
    expect(describeKind(() => 1)).toBe('a function');
    expect(describeKind(class Point {})).toBe('a function');
  });

  it('says null and undefined bare', () => {
    expect(describeKind(null)).toBe('null');
    expect(describeKind(undefined)).toBe('undefined');
  });

  it('names lists and plain objects "an array" and "an object" (never "a object")', () => {
    expect(describeKind([])).toBe('an array');
    expect(describeKind([1, [2]])).toBe('an array');
    expect(describeKind({ a: 1 })).toBe('an object');
    expect(describeKind(JSON.parse('{"card": "c1"}'))).toBe('an object');
    expect(describeKind(Object.create(null))).toBe('an object');
    expect(describeKind(Object.create({}))).toBe('an object');
  });

  it('names an instance by its class, "an" before a vowel sound and "a" before a "you"', () => {
    expect(describeKind(new Map())).toBe('a Map');
    expect(describeKind(new Date(NaN))).toBe('a Date');
    expect(describeKind(new ArrayBuffer(1))).toBe('an ArrayBuffer');
    expect(describeKind(new Int32Array(1))).toBe('an Int32Array');
    expect(describeKind(new Error('x'))).toBe('an Error');
    expect(describeKind(new Uint8Array(1))).toBe('a Uint8Array');
    expect(describeKind(new URL('https://example.com'))).toBe('a URL');
    expect(describeKind(Buffer.from('x'))).toBe('a Buffer');
    class Union {}
    class Unknown {}
    class Event {}
    expect([new Union(), new Unknown(), new Event()].map(describeKind)).toEqual(['a Union', 'an Unknown', 'an Event']);
    class UUID {}
    class UsbDevice {}
    class Utf8Decoder {}
    class EuroAmount {}
    class OneHotEncoder {}
    class Order {}
    expect([new UUID(), new UsbDevice(), new Utf8Decoder(), new EuroAmount(), new OneHotEncoder(), new Order()].map(describeKind)).toEqual([
      'a UUID',
      'a UsbDevice',
      'a Utf8Decoder',
      'a EuroAmount',
      'a OneHotEncoder',
      'an Order',
    ]);
  });

  it('never throws: a revoked Proxy, a throwing prototype trap or a strange constructor is "an object"', () => {
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    expect(describeKind(revocable.proxy)).toBe('an object');
    const trap = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error('no');
        },
      },
    );
    expect(describeKind(trap)).toBe('an object');
    expect(describeKind(Object.create({ constructor: { name: 42 } }))).toBe('an object');
    expect(describeKind(new (class {})())).toBe('an object');
  });
});

describe('error texts and JSON (API fuzz F14)', () => {
  it('describeValue writes NaN, Infinity and invalid Dates as such (JSON wrote null)', () => {
    expect(describeValue(NaN)).toBe('NaN');
    expect(describeValue(-Infinity)).toBe('-Infinity');
    expect(describeValue({ rate: NaN, list: [1, Infinity] })).toBe('{"rate":NaN,"list":[1,Infinity]}');
    expect(describeValue(new Date(NaN))).toBe('Invalid Date');
    expect(describeValue(null)).toBe('null');
    expect(() => checkNumberOption('learningRate', NaN, 0, 1)).toThrow(/\(got NaN\)/);
  });

  it('describeValue, isInstance and checkPathArgument never throw on a revoked or throwing Proxy', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const throwing = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        getPrototypeOf() {
          throw new Error('trap');
        },
      },
    );
    for (const p of [proxy, throwing]) {
      expect(typeof describeValue(p)).toBe('string');
      expect(AppliedMLError.isInstance(p)).toBe(false);
      expect(() => checkPathArgument(p, 'dir')).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    }
  });

  it('describeValue cuts on a code-point boundary', () => {
    const text = describeValue(`${'x'.repeat(78)}😀😀`, 80);
    expect(text).toBe(`"${'x'.repeat(78)}…`);
    expect(describeValue(`${'x'.repeat(77)}😀😀`, 80)).toBe(`"${'x'.repeat(77)}😀…`);
  });

  // It JSON-stringified the whole value before cutting to 80 characters: 1.7 s for a 4-million-element
  // list, 24 s for a 50-million-element one, 80 s for a 50-million-byte Uint8Array (built past the
  // longest string, then '[object Uint8Array]'), paid by every check that built its message eagerly.
  it('describeValue does work bounded by max: 4- and 50-million-element lists and typed arrays take well under 50 ms', () => {
    const image = { width: 2048, height: 2048, data: new Float32Array(2048 * 2048).fill(0.25) };
    const values: [unknown, string][] = [
      [new Array(4_000_000).fill(0.5), `[${'0.5,'.repeat(20)}`.slice(0, 80)],
      [image, `{"width":2048,"height":2048,"data":{"0":0.25,"1":0.25,"2":0.25,"3":0.25,"4":0.25,"5":0.`],
      [new Array(50_000_000), `[${'null,'.repeat(16)}`.slice(0, 80)],
      [new Uint8Array(50_000_000).fill(7), `{"0":7,"1":7,"2":7,"3":7,"4":7,"5":7,"6":7,"7":7,"8":7,"9":7,"10":7,"11":7,"12":`],
      [[new Float64Array(50_000_000 / 8)], '[{"0":0,"1":0,"2":0,"3":0,"4":0,"5":0,"6":0,"7":0,"8":0,"9":0,"10":0,"11":0,"12"'],
    ];
    for (const [value, shown] of values) {
      const start = performance.now();
      const text = describeValue(value);
      const ms = performance.now() - start;
      expect(text).toBe(`${shown.slice(0, 80)}…`);
      expect(ms).toBeLessThan(50);
    }
    // A long string is read only as far as it is shown, a long key too.
    const long = 'y'.repeat(30_000_000);
    expect(describeValue(long, 10)).toBe(`"${'y'.repeat(9)}…`);
    expect(describeValue({ [long]: 1 }, 10)).toBe(`{"${'y'.repeat(8)}…`);
  });

  it('describeValue writes what JSON writes, up to the cut (Buffers, typed arrays with names, boxed values, toJSON)', () => {
    expect(describeValue(Buffer.from([1, 2]))).toBe('{"type":"Buffer","data":[1,2]}');
    expect(describeValue(Object.assign(new Uint8Array(2), { extra: 'x' }))).toBe('{"0":0,"1":0,"extra":"x"}');
    expect(describeValue([undefined, () => 1, Symbol('s'), new Number(NaN), new String('s'), new Boolean(false)])).toBe(
      '[null,null,null,null,"s",false]',
    );
    expect(describeValue({ a: undefined, b: NaN, c: [10n], d: new Date(0), e: { toJSON: (key: string) => `at ${key}` } })).toBe(
      '{"b":NaN,"c":["10n"],"d":"1970-01-01T00:00:00.000Z","e":"at e"}',
    );
    expect(describeValue(new BigInt64Array(2))).toBe('{"0":"0n","1":"0n"}');
    expect(describeValue(new Map([[1, 2]]))).toBe('{}');
    expect(describeValue({ toJSON: () => undefined })).toBe('[object Object]');
    expect(describeValue([1, 2, 3], 4)).toBe('[1,2…');
    expect(describeValue([1, 2, 3], 7)).toBe('[1,2,3]');
    // A cycle JSON refuses is still named by its kind, as before; one past the cut is never reached.
    const cyclic: unknown[] = [1];
    cyclic.push(cyclic);
    expect(describeValue(cyclic)).toBe('[object Array]');
    const far: unknown[] = new Array(100).fill(0);
    far.push(far);
    expect(describeValue(far, 10)).toBe('[0,0,0,0,0…');
  });

  it('JSON.stringify of an error with BigInt or cyclic details works (it threw)', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const error = new AppliedMLError('E_INPUT_INVALID', 'bad', { details: { n: 10n, nested: { k: 2n }, cyclic, ok: 1 } });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'AppliedMLError',
      code: 'E_INPUT_INVALID',
      message: 'bad',
      details: { n: '10n', nested: { k: '2n' }, cyclic: '[object Object]', ok: 1 },
    });
    expect(new AppliedMLError('E_IO', 'x', null).details).toEqual({});
  });
});
