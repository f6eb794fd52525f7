import { describe, expect, it } from 'vitest';
import { charNgrams } from './char-ngrams';
import { extractFeatures, resolveFeatureConfig } from './features';
import { TfidfVectorizer } from './tfidf';
import { Vocabulary } from './vocabulary';

const texts = [
  'WIN a £1000 prize NOW!! Call 09061701461 or visit www.win.com',
  'Ok lar... Joking wif u oni... 😀 see you later',
  'Where is the café? The café is closed, call me later',
  '   leading  and   trailing   spaces   ',
  '',
];

describe('cached character n-gram features', () => {
  it('gives the same features as charNgrams, on first and repeated calls', () => {
    const config = resolveFeatureConfig({ shapeFeatures: true });
    for (let round = 0; round < 2; round++) {
      for (const text of texts) {
        const { features } = extractFeatures(text, config);
        const chars = features.filter((f) => f.startsWith('c:'));
        expect(chars).toEqual(charNgrams(text.toLowerCase(), { min: 2, max: 5 }).map((g) => 'c:' + g));
      }
    }
  });
  it('still rejects invalid n-gram sizes', () => {
    expect(() => extractFeatures('abc', resolveFeatureConfig({ charNgrams: { min: 3, max: 2 } }))).toThrow(/n-gram sizes/);
  });
});

describe('TF-IDF over extracted features', () => {
  const config = resolveFeatureConfig({ shapeFeatures: true });
  const train = texts.slice(0, 3).map((t) => extractFeatures(t, config).features);
  const a = TfidfVectorizer.fit(train);
  const b = TfidfVectorizer.fit(train.slice(1), { sublinearTf: false });

  it('maps cached word groups to the same row as plain term lists, for alternating vectorizers', () => {
    for (let round = 0; round < 3; round++) {
      for (const v of [a, b]) {
        for (const text of [...texts, 'unseen words zzz qqq']) {
          const features = extractFeatures(text, config).features;
          expect(v.transform(features)).toEqual(v.transform([...features]));
        }
      }
    }
  });
  it('notices a features array changed after extraction', () => {
    const features = extractFeatures(texts[0] as string, config).features;
    const edited = [...features];
    features.splice(10, 5, 'w:win');
    edited.splice(10, 5, 'w:win');
    expect(a.transform(features)).toEqual(a.transform(edited));
    features.push('c:wi', 'w:prize');
    edited.push('c:wi', 'w:prize');
    expect(a.transform(features)).toEqual(a.transform(edited));
  });
});

describe('vocabulary lookup table', () => {
  it('finds every term of a large vocabulary and nothing else', () => {
    const terms = Array.from({ length: 5000 }, (_, i) => `t${i.toString(36)}`);
    const vocabulary = Vocabulary.fromJSON({ terms, offset: 0 });
    terms.forEach((t, i) => expect(vocabulary.get(t)).toBe(i));
    for (let i = 5000; i < 6000; i++) expect(vocabulary.get(`t${i.toString(36)}`)).toBeUndefined();
    expect(vocabulary.get('')).toBeUndefined();
    const special = Vocabulary.fromJSON({ terms: ['', 'é', '😀'], offset: 2 });
    expect([special.get(''), special.get('é'), special.get('😀'), special.get('x')]).toEqual([2, 3, 4, 1]);
  });
  it('maps a repeated term (hand-edited bundle) to its last index, as before', () => {
    expect(Vocabulary.fromJSON({ terms: ['a', 'b', 'a'], offset: 0 }).get('a')).toBe(2);
  });
});
