import { describe, expect, it } from 'vitest';
import { FraudDetector } from './detector';
import { Preprocessor, fieldOf, schemaKind, type PreprocessOptions, type TabularRecord } from './tabular';

/**
 * Field names that are members of Object.prototype: a record lacking one (or a schema not naming it)
 * must read as lacking it, exactly as for any other name, not find the inherited function or object.
 */
const INHERITED = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];

/** `recs` with field `from` renamed `to` (as own, enumerable properties, '__proto__' too). */
function renamed(recs: TabularRecord[], from: string, to: string): TabularRecord[] {
  return recs.map((rec) => {
    const out: TabularRecord = {};
    for (const [k, v] of Object.entries(rec))
      Object.defineProperty(out, k === from ? to : k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  });
}

/** 60 records: amount everywhere, `note` numeric on every third record only (sparse), `shop` text on every other. */
function sparse(): TabularRecord[] {
  return Array.from({ length: 60 }, (_, i) => {
    const rec: TabularRecord = { amount: 10 + ((i * 37) % 90) };
    if (i % 3 === 0) rec.note = i % 5;
    if (i % 2 === 0) rec.shop = `shop${i % 4}`;
    return rec;
  });
}

/** Fits on `recs`: the feature names and `score` transformed. */
function fitAndTransform(recs: TabularRecord[], score: TabularRecord[], options: PreprocessOptions = {}) {
  const pre = Preprocessor.fit(recs, options);
  return { features: pre.features.map((f) => f.name), x: Array.from(pre.transform(score).data) };
}

describe('record fields named like Object.prototype members', () => {
  it('fieldOf and schemaKind read own entries only', () => {
    for (const name of INHERITED) {
      expect(fieldOf({}, name)).toBeUndefined();
      expect(schemaKind({ amount: 'numeric' }, name)).toBeUndefined();
    }
    expect(fieldOf(JSON.parse('{"__proto__": 3}') as object, '__proto__')).toBe(3);
    expect(fieldOf({ constructor: 'web' }, 'constructor')).toBe('web');
    expect(schemaKind(JSON.parse('{"valueOf": "categorical"}') as Record<string, 'categorical'>, 'valueOf')).toBe('categorical');
    expect(schemaKind(undefined, 'amount')).toBeUndefined();
  });

  it('records whose fields are getters on a prototype (class instances, ORM rows, Object.create, a Proxy) score as plain records', () => {
    const recs = sparse();
    const pre = Preprocessor.fit(recs);
    const plain = { amount: 1000, note: 3, shop: 'shop2' };
    class Row {
      get amount(): number {
        return 1000;
      }
      get note(): number {
        return 3;
      }
      get shop(): string {
        return 'shop2';
      }
    }
    const inherited = Object.create({ amount: 1000, note: 3 }) as TabularRecord;
    inherited.shop = 'shop2';
    const proxy = new Proxy({}, { get: (_t, key) => (plain as Record<string | symbol, unknown>)[key] });
    const want = Array.from(pre.transform([plain]).data);
    expect(want.some((v) => v !== 0)).toBe(true);
    for (const rec of [new Row(), inherited, proxy]) expect(Array.from(pre.transform([rec as TabularRecord]).data)).toEqual(want);
    // A prototype's member named like Object.prototype's is still not read as a field.
    expect(fieldOf(new Row(), 'constructor')).toBeUndefined();
  });

  it('a sparse field so named trains and scores exactly as the same field under another name', () => {
    const recs = sparse();
    // Scored: training rows, a record lacking the field, one holding null, and an empty record.
    const score = [...recs.slice(0, 6), { amount: 50 }, { amount: 50, note: null }, {}];
    const want = fitAndTransform(recs, score);
    expect(want.features).toEqual(['amount', 'note', 'note:missing', 'shop=shop0', 'shop=shop2']);
    for (const name of INHERITED) {
      const got = fitAndTransform(renamed(recs, 'note', name), renamed(score, 'note', name));
      expect(got.features).toEqual(want.features.map((f) => f.replace(/^note/, name)));
      expect(got.x).toEqual(want.x);
      // Categorical too (a text field missing on every other record).
      const cat = fitAndTransform(renamed(recs, 'shop', name), renamed(score, 'shop', name));
      expect(cat.features).toEqual(want.features.map((f) => f.replace(/^shop/, name)));
      expect(cat.x).toEqual(want.x);
    }
  });

  it('with a schema given for another field, such a field is inferred (numeric, categorical), not a timestamp', () => {
    const recs = Array.from({ length: 40 }, (_, i) => ({ amount: 10 + i, items: i % 5, shop: `shop${i % 3}` }));
    const options: PreprocessOptions = { schema: { amount: 'numeric' } };
    const want = fitAndTransform(recs, recs, options);
    expect(want.features).toEqual(['amount', 'items', 'shop=shop0', 'shop=shop1', 'shop=shop2']);
    for (const name of INHERITED) {
      const numeric = fitAndTransform(renamed(recs, 'items', name), renamed(recs, 'items', name), options);
      expect(numeric.features).toEqual(want.features.map((f) => (f === 'items' ? name : f)));
      expect(numeric.x).toEqual(want.x);
      const categorical = fitAndTransform(renamed(recs, 'shop', name), renamed(recs, 'shop', name), options);
      expect(categorical.features).toEqual(want.features.map((f) => f.replace(/^shop/, name)));
      expect(categorical.x).toEqual(want.x);
    }
  });

  it('a required field so named is refused when a record lacks it, at training and at scoring', () => {
    const recs = Array.from({ length: 20 }, (_, i) => ({ amount: 10 + i }));
    for (const name of INHERITED) {
      expect(() => Preprocessor.fit(recs, { required: [name] })).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', details: { row: 0, field: name, reason: 'required-field-missing' } }),
      );
      const withIt = renamed(
        recs.map((r) => ({ ...r, note: 'x' })),
        'note',
        name,
      );
      const pre = Preprocessor.fit(withIt, { required: [name] });
      expect(() => pre.transform([{ amount: 5 }])).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', details: { row: 0, field: name, reason: 'required-field-missing' } }),
      );
    }
  });

  it('FraudDetector: scores and reasons match the same data with the field named otherwise', async () => {
    const recs = sparse();
    const train = async (rows: TabularRecord[], schema?: PreprocessOptions['schema']) => {
      const m = FraudDetector.create({ detector: 'iforest', seed: 0, ...(schema ? { preprocess: { schema } } : {}) });
      await m.train(rows);
      return m;
    };
    const score = [{ amount: 500 }, { amount: 20, note: 4 }, {}, { amount: 500, note: 40, shop: 'zzz' }];
    const base = await train(recs, { amount: 'numeric' });
    const want = await base.predictBatch(score);
    // The reasons read the field's value (4, 40) for the records holding it.
    expect(want[1]!.reasons.find((r) => r.feature === 'note')?.value).toBe(4);
    expect(want[3]!.reasons.find((r) => r.feature === 'note')?.value).toBe(40);
    for (const name of ['constructor', 'valueOf']) {
      const m = await train(renamed(recs, 'note', name), { amount: 'numeric' });
      expect(m.featureNames).toEqual(base.featureNames.map((f) => f.replace(/^note/, name)));
      const got = await m.predictBatch(renamed(score, 'note', name));
      expect(got.map((p) => p.score)).toEqual(want.map((p) => p.score));
      const back = got.map((p) =>
        p.reasons.map((r) => ({ ...r, feature: r.feature.replace(name, 'note'), text: r.text.replace(name, 'note') })),
      );
      expect(back).toEqual(want.map((p) => p.reasons));
    }
  });
});
