import { describe, expect, it } from 'vitest';
import { charNgrams } from './char-ngrams';
import { extractFeatures, resolveFeatureConfig, tokenize } from './features';
import { fnv1a } from './hash';
import { hashedNgrams } from './hashed-ngrams';
import { readSmsSpam, readTrec } from './loaders';
import { SentimentScorer } from './sentiment';
import { codeOf } from './test-helpers';
import { decodeText } from './text-input';
import { TfidfVectorizer } from './tfidf';
import { Vocabulary } from './vocabulary';
import { TextClassifier } from './text-classifier';

const TOKENS = ['win', 'a', 'prize', 'hello', 'world', 'x', 'y'];

describe('hashedNgrams sizes', () => {
  it('refuses buckets above 2^31 (ids wrapped to negative Int32) and a maxN above 16', async () => {
    for (const buckets of [2 ** 31 + 10, 2 ** 32, 1e20, 1, 2.5, Number.NaN, '8'])
      expect(await codeOf(() => hashedNgrams(TOKENS, { buckets: buckets as number }))).toBe('E_INPUT_INVALID');
    for (const maxN of [17, 1e7, 0, 1.5, Number.NaN])
      expect(await codeOf(() => hashedNgrams(TOKENS, { maxN: maxN as number }))).toBe('E_INPUT_INVALID');
    const top = hashedNgrams(TOKENS, { buckets: 2 ** 31, maxN: 16 });
    expect(top.length).toBe(7 + 6 + 5 + 4 + 3 + 2 + 1); // every n-gram of 7 tokens
    expect(top.every((id) => id >= 1 && id < 2 ** 31)).toBe(true);
    expect(hashedNgrams(TOKENS, { buckets: undefined, maxN: undefined })).toEqual(hashedNgrams(TOKENS));
  });
});

describe('helper arguments of the wrong type', () => {
  it('null, a number or a string where a text or a token list belongs is E_INPUT_INVALID (TypeErrors or silent reads before)', async () => {
    const config = resolveFeatureConfig({});
    const invalid = async (fn: () => unknown): Promise<void> => expect(await codeOf(fn)).toBe('E_INPUT_INVALID');
    for (const bad of [null, undefined, 5, 'a b', ['a', 5], ['a', null], { length: 1 }]) await invalid(() => hashedNgrams(bad as never));
    for (const bad of [null, undefined, 5, ['ab']]) {
      await invalid(() => charNgrams(bad as never));
      await invalid(() => fnv1a(bad as never));
      await invalid(() => tokenize(bad as never, config));
      await invalid(() => extractFeatures(bad as never, config));
    }
    for (const seed of [Number.NaN, 1.5, 2 ** 32, null, '1']) await invalid(() => fnv1a('a', seed as never));
    for (const bad of [null, undefined, 5, 'abc']) {
      await invalid(() => tokenize('Hello world', bad as never));
      await invalid(() => extractFeatures('Hello world', bad as never));
    }
    // undefined still means the default seed; the old results are unchanged.
    expect(fnv1a('a', undefined)).toBe(fnv1a('a'));
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('a', -1)).toBe(fnv1a('a', 2 ** 32 - 1));
  });

  it('TF-IDF and Vocabulary refuse a non-list, a string or non-string terms (a string was vectorised by its characters)', async () => {
    const invalid = async (fn: () => unknown): Promise<void> => expect(await codeOf(fn)).toBe('E_INPUT_INVALID');
    for (const bad of [null, undefined, 'ab', [['a'], 'b'], [['a', 2]], [[1, 2], [1]]]) {
      await invalid(() => TfidfVectorizer.fit(bad as never));
      await invalid(() => TfidfVectorizer.fitTransform(bad as never));
      await invalid(() => Vocabulary.fit(bad as never));
    }
    const tfidf = TfidfVectorizer.fit([
      ['a', 'b'],
      ['b', 'c'],
    ]);
    for (const bad of [null, undefined, 'ab', [5, 'a'], ['a', null]]) await invalid(() => tfidf.transform(bad as never));
    expect(tfidf.transform(['a', 'b']).indices.length).toBe(2);
    // What Vocabulary.fit keeps, its saved JSON loads again.
    const { vocabulary } = Vocabulary.fit([['x', 'y'], ['x']]);
    expect(Vocabulary.fromJSON(vocabulary.toJSON()).terms).toEqual(['x', 'y']);
  });
});

describe('yes/no options and named choices', () => {
  it("a flag that is not a boolean or a choice not in the list is refused ('no' was truthy, 'bogus' fell back to a default)", async () => {
    const invalid = async (fn: () => unknown): Promise<void> => expect(await codeOf(fn)).toBe('E_INPUT_INVALID');
    await invalid(() => charNgrams('ab cd', { scope: 'bogus' as never }));
    await invalid(() => readTrec('/nonexistent/t.label', { granularity: 'x' as never }));
    await invalid(() => readSmsSpam('/nonexistent/s.tsv', { dedupe: 'no' as never }));
    await invalid(() => new SentimentScorer({ stem: 'yes' as never }));
    await invalid(() => Vocabulary.fit([['a']], { reserveSpecial: 1 as never }));
    await invalid(() => TfidfVectorizer.fit([['a']], { sublinearTf: 'false' as never }));
    await invalid(() => TfidfVectorizer.fitTransform([['a']], { normalize: 0 as never }));
    await invalid(() => decodeText(new Uint8Array([104, 0]), 'utf-16' as never));
    await invalid(() => decodeText(null as never));
    await invalid(() => decodeText('abc' as never));
    // A stored flag that is not a boolean is a corrupt bundle, not read as true.
    const json = TfidfVectorizer.fit([['a', 'b']]).toJSON();
    expect(await codeOf(() => TfidfVectorizer.fromJSON({ ...json, sublinearTf: 'false' as never }))).toBe('E_BUNDLE_CORRUPT');
    expect(TfidfVectorizer.fromJSON({ ...json, normalize: false }).normalize).toBe(false);
    // Left out (undefined) still means the default.
    expect(charNgrams('ab', { scope: undefined, min: 2, max: 2 })).toEqual([' a', 'ab', 'b ']);
    expect(decodeText(Buffer.from('café'), undefined)).toBe('café');
    expect(TfidfVectorizer.fit([['a']], { sublinearTf: undefined, normalize: undefined }).sublinearTf).toBe(true);
  });
});

describe('feature configs changed after resolveFeatureConfig', () => {
  it('a spread or hand-built config is checked again (out-of-range n-grams, misspelt settings); a valid one reads as its resolved twin', async () => {
    const resolved = resolveFeatureConfig({});
    // Values the functions used as given before (a fractional or negative n-gram size, a string flag).
    for (const changed of [{ wordNgrams: 2.5 }, { wordNgrams: -3 }, { lowercase: 'yes' }, { removeStopWords: 1 }, { wordNgram: 3 }]) {
      expect(await codeOf(() => extractFeatures('Refund my order', { ...resolved, ...changed } as never)), JSON.stringify(changed)).toBe(
        'E_INPUT_INVALID',
      );
      expect(await codeOf(() => tokenize('Refund my order', { ...resolved, ...changed } as never)), JSON.stringify(changed)).toBe(
        'E_INPUT_INVALID',
      );
    }
    expect(await codeOf(() => extractFeatures('refund my order', { ...resolved, charNgrams: { min: 5, max: 2 } }))).toBe('E_INPUT_INVALID');
    const changed = { ...resolved, wordNgrams: 1, charNgrams: false as const };
    expect(extractFeatures('Refund my order', changed)).toEqual(
      extractFeatures('Refund my order', resolveFeatureConfig({ wordNgrams: 1, charNgrams: false })),
    );
  });
});

describe('a resolved feature config changed in place (X1)', () => {
  const text = 'Refund my order';
  // Each kind of field: a number, a boolean, a string, the charNgrams object (replaced, or one of its
  // values changed), and a key added.
  const changes: [string, (c: Record<string, any>) => void][] = [
    ['wordNgrams = 2.5', (c) => (c.wordNgrams = 2.5)],
    ['wordNgrams = -3', (c) => (c.wordNgrams = -3)],
    ["lowercase = 'yes'", (c) => (c.lowercase = 'yes')],
    ['removeStopWords = 1', (c) => (c.removeStopWords = 1)],
    ["tokenizer = 'nope'", (c) => (c.tokenizer = 'nope')],
    ['wordnet = true without questionFeatures', (c) => (c.wordnet = true)],
    ['charNgrams.min = 0', (c) => (c.charNgrams.min = 0)],
    ["charNgrams.scope = 'line'", (c) => (c.charNgrams.scope = 'line')],
    ['charNgrams.mx = 3 (misspelt, added)', (c) => (c.charNgrams.mx = 3)],
    ['charNgrams = { min: 5, max: 2 }', (c) => (c.charNgrams = { min: 5, max: 2 })],
    ['wordngram = 3 (misspelt, added)', (c) => (c.wordngram = 3)],
  ];
  for (const [name, change] of changes) {
    it(`${name}: E_INPUT_INVALID from extractFeatures and tokenize, even after the config was used`, async () => {
      const config = resolveFeatureConfig({});
      extractFeatures(text, config);
      tokenize(text, config);
      change(config as Record<string, any>);
      expect(Object.isFrozen(config)).toBe(false);
      expect(await codeOf(() => extractFeatures(text, config))).toBe('E_INPUT_INVALID');
      expect(await codeOf(() => tokenize(text, config))).toBe('E_INPUT_INVALID');
    });
  }

  it('a valid change in place is used (string, boolean, number, charNgrams), and the options object given is not frozen', () => {
    const options = { charNgrams: { min: 2, max: 3 } };
    const config = resolveFeatureConfig(options);
    expect(Object.isFrozen(config) || Object.isFrozen(options) || Object.isFrozen(options.charNgrams)).toBe(false);
    expect(extractFeatures(text, config).features.some((f) => f.startsWith('c:'))).toBe(true);
    config.lowercase = false;
    expect(tokenize(text, config)).toEqual(['Refund', 'my', 'order']);
    config.wordNgrams = 1;
    config.charNgrams = false;
    expect(extractFeatures(text, config)).toEqual(
      extractFeatures(text, resolveFeatureConfig({ lowercase: false, wordNgrams: 1, charNgrams: false })),
    );
    // The charNgrams object given to resolveFeatureConfig is copied: changing it later leaves the config
    // (and a model trained with it) as resolved, valid or not.
    const copied = resolveFeatureConfig(options);
    const before = extractFeatures(text, copied).features;
    options.charNgrams.min = 9;
    expect(extractFeatures(text, copied).features).toEqual(before);
    options.charNgrams.min = 3;
    expect(extractFeatures(text, copied).features).toEqual(before);
    expect(copied.charNgrams).toEqual({ min: 2, max: 3 });
    // The config's own charNgrams, changed in place, is checked again.
    (copied.charNgrams as { min: number }).min = 9;
    expect(() => extractFeatures(text, copied)).toThrow(/n-gram sizes/);
    config.language = 'fr';
    config.stem = true;
    expect(tokenize('les chanteuses', config)).toEqual(
      tokenize('les chanteuses', resolveFeatureConfig({ language: 'fr', stem: true, lowercase: false })),
    );
  });
});

describe('charNgrams given as any object', () => {
  it('inherited values and getters count (read once), and the config keeps a plain copy', () => {
    class Sizes {
      get min(): number {
        return 2;
      }
      get max(): number {
        return 3;
      }
    }
    const plain = extractFeatures('hello', resolveFeatureConfig({ charNgrams: { min: 2, max: 3 }, wordNgrams: 1 })).features;
    for (const given of [new Sizes(), Object.create({ min: 2, max: 3 }) as { min: number; max: number }]) {
      const config = resolveFeatureConfig({ charNgrams: given, wordNgrams: 1 });
      expect(config.charNgrams).toEqual({ min: 2, max: 3 });
      expect(extractFeatures('hello', config).features).toEqual(plain);
    }
    let reads = 0;
    const changing = {
      get min(): number {
        return ++reads > 1 ? 0 : 2;
      },
      max: 3,
    };
    expect(resolveFeatureConfig({ charNgrams: changing, wordNgrams: 1 }).charNgrams).toEqual({ min: 2, max: 3 });
  });
});

describe('a trained classifier and the options it was created with', () => {
  it('a later change to the options object (reused for another classifier) leaves the trained model as it was', async () => {
    const data = [
      ...Array.from({ length: 30 }, (_, i) => ({ text: `win a free prize now ${i} claim cash`, label: 'spam' })),
      ...Array.from({ length: 30 }, (_, i) => ({ text: `see you at lunch tomorrow ${i} ok`, label: 'ham' })),
    ];
    const options = { model: 'linear' as const, features: { charNgrams: { min: 2, max: 3 } } };
    const model = TextClassifier.create(options);
    try {
      await model.train(data);
      const before = await model.predict('free cash prize');
      options.features.charNgrams.max = 5;
      expect(await model.predict('free cash prize')).toEqual(before);
      options.features.charNgrams.min = 0; // invalid, but no longer the model's business
      expect(await model.predict('free cash prize')).toEqual(before);
    } finally {
      model.dispose();
    }
  });
});
