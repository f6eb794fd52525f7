import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { unicodeTokens } from './languages';
import { SentimentScorer } from './sentiment';

describe('SentimentScorer (natural AFINN)', () => {
  const scorer = new SentimentScorer();
  it('scores positive, negative and neutral texts', () => {
    expect(scorer.score('I love this phone, it is excellent').label).toBe('positive');
    expect(scorer.score('This is a terrible, awful experience').label).toBe('negative');
    expect(scorer.score('The train leaves at nine').label).toBe('neutral');
  });
  it('handles negation', () => {
    expect(scorer.score('not good').score).toBeLessThan(0);
  });
  it('supports Spanish AFINN and refuses unknown vocabularies', () => {
    expect(new SentimentScorer({ language: 'es' }).score('excelente').score).toBeGreaterThan(0);
    expect(() => new SentimentScorer({ language: 'xx' })).toThrow(/No 'afinn'/);
  });
  it('refuses bad input with a typed error', () => {
    expect(() => scorer.score('')).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
  });
  it('refuses a maxTextChars that is NaN, not positive or not an integer at construction (NaN turned the cap off)', () => {
    for (const bad of [Number.NaN, 0, -5, 1.5])
      expect(() => new SentimentScorer({ maxTextChars: bad })).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringContaining('maxTextChars') }),
      );
    expect(() => new SentimentScorer({ maxTextChars: 10 }).score('good '.repeat(5))).toThrow(
      expect.objectContaining({ code: 'E_INPUT_TOO_LARGE' }),
    );
  });
});

// natural's English negators are only not, no, never and neither, and the tokenizer keeps "don't" whole:
// "I don't like it" scored +0.5 (positive), "This isn't good" +1, though the docs promise negation handling.
describe('SentimentScorer: English contractions negate as "not" does', () => {
  const negated: [string, string][] = [
    ["I don't like it", 'I do not like it'],
    ['I don’t like it', 'I do not like it'],
    ["It doesn't help", 'It does not help'],
    ["It didn't help", 'It did not help'],
    ["This isn't good", 'This is not good'],
    ["They aren't good", 'They are not good'],
    ["It wasn't good", 'It was not good'],
    ["I can't recommend it", 'I can not recommend it'],
    ['I cannot recommend it', 'I can not recommend it'],
    ['I CANNOT recommend it', 'I can not recommend it'],
    ["I won't recommend it", 'I will not recommend it'],
    ["I wouldn't recommend it", 'I would not recommend it'],
    ["You shouldn't expect it to be great", 'You should not expect it to be great'],
    ["It ain't good", 'It is not good'],
    ['I dont like it', 'I do not like it'],
    ['it doesnt help', 'it does not help'],
  ];
  for (const vocabulary of ['afinn', 'senticon', 'pattern'] as const) {
    const scorer = new SentimentScorer({ vocabulary });
    it(`${vocabulary}: each form scores negative, as its "not" spelling does`, () => {
      let checked = 0;
      for (const [text, spelt] of negated) {
        const expanded = scorer.score(spelt);
        if (expanded.label !== 'negative') continue; // this vocabulary has no valence for the words
        const r = scorer.score(text);
        expect(r.label, `${vocabulary}: ${text} ${JSON.stringify(r)}`).toBe('negative');
        expect(Math.sign(r.score), text).toBe(Math.sign(expanded.score));
        checked++;
      }
      expect(checked).toBeGreaterThan(3);
    });
  }
  const scorer = new SentimentScorer();
  it('afinn: every listed form is negative (each was positive before)', () => {
    for (const [text] of negated) expect(scorer.score(text).label, text).toBe('negative');
  });
  it('positives stay positive; words that only look like contractions are not negators', () => {
    for (const text of [
      'I like it',
      'I recommend it',
      'I can recommend it',
      'This is good',
      'It is not bad',
      'I want it, great',
      'The cant of a wall is fine, good',
    ])
      expect(scorer.score(text).label, text).toBe('positive');
    // "wont" (habit) and "cant" are English words, not negators.
    expect(scorer.score('as is his wont, good work').label).toBe('positive');
  });
  it('another language keeps its own negators only (the contraction rule is English)', () => {
    const es = new SentimentScorer({ language: 'es' });
    expect(es.score("don't excelente").score).toBeGreaterThan(0);
    expect(es.score('no excelente').score).toBeLessThan(0);
  });
});

// natural reverses every valence after a negator to the end of the words it is given, and the scorer gave
// it the whole text: "Don't worry, it's great" was neutral (AFINN) or negative (Pattern), and in "I did not
// like the start. The ending was wonderful and moving." "wonderful" counted reversed. A negation ends at
// its clause now: at , ; : . ! ? … ¡ ¿ or a line break, and (English) before "but".
describe('SentimentScorer: a negation ends at its clause', () => {
  const vocabularies = ['afinn', 'senticon', 'pattern'] as const;
  const loadNatural = createRequire(import.meta.url);
  const Analyzer = loadNatural('natural/lib/natural/sentiment/SentimentAnalyzer.js') as new (
    language: string,
    stemmer: null,
    vocabulary: string,
  ) => { getSentiment(words: string[]): number };
  /** natural's own score of the text's words, all in one list, as the scorer computed it before. */
  const analyzers = new Map(vocabularies.map((v) => [v as string, new Analyzer('English', null, v)]));
  const naturalWhole = (vocabulary: string, text: string): number =>
    analyzers.get(vocabulary)!.getSentiment(unicodeTokens(text.toLowerCase()).filter((w) => /[\p{L}\p{N}]/u.test(w)));

  for (const vocabulary of vocabularies) {
    const scorer = new SentimentScorer({ vocabulary });
    it(`${vocabulary}: a negation does not reach past its clause`, () => {
      // "worry" has no Pattern valence, so "Don't worry" is neutral there; the rest is "great".
      expect(scorer.score("Don't worry, it's great").label).toBe('positive');
      const story = scorer.score('I did not like the start. The ending was wonderful and moving.');
      expect(story.label).toBe('positive');
      // The second sentence alone outweighs the negated first one: its score is the two clauses' word-weighted mean.
      const first = scorer.score('I did not like the start');
      const second = scorer.score('The ending was wonderful and moving');
      expect(story.score).toBeCloseTo((first.score * first.tokens + second.score * second.tokens) / story.tokens, 12);
      // Each clause mark, a line break and "but" end the negation: the text scores as its clauses do, each
      // by itself, weighted by their words; negation running on would have reversed "great" too.
      for (const [text, clauses] of [
        ['It is not good, but the food is great', ['It is not good', 'but the food is great']],
        ['It is not good but the food is great', ['It is not good', 'but the food is great']],
        ['It was not good\nThe food is great', ['It was not good', 'The food is great']],
        ['Not good; great food: great staff!', ['Not good', 'great food', 'great staff']],
        ['No good… great food? Great!', ['No good', 'great food', 'Great']],
      ] as const) {
        const r = scorer.score(text);
        const parts = clauses.map((c) => scorer.score(c));
        const mean = parts.reduce((sum, p) => sum + p.score * p.tokens, 0) / r.tokens;
        expect(r.score, `${vocabulary}: ${text}`).toBeCloseTo(mean, 12);
        expect(r.score, `${vocabulary}: ${text}`).toBeGreaterThan(naturalWhole(vocabulary, text));
      }
    });
    it(`${vocabulary}: inside its clause a negation still reverses`, () => {
      expect(scorer.score('not good').label).toBe('negative');
      expect(scorer.score('It is not a good or great phone').label).toBe('negative');
      expect(scorer.score('This is good. It is not great').score).toBeLessThan(scorer.score('This is good. It is great').score);
      // A number's comma, point or colon does not end a clause: "great" is still reversed.
      expect(scorer.score('Not 3.5 great stars').label).toBe('negative');
      expect(scorer.score('Not at 10:30 a great time').label).toBe('negative');
    });
    it(`${vocabulary}: a text with no negator, or none before its last clause, scores bit for bit as before`, () => {
      for (const text of [
        'I love this phone, it is excellent',
        'This is a terrible, awful experience. Great battery though!',
        'Good food; bad service: slow.\nGreat view, but the noise is awful…',
        'Wonderful! Terrible? Fine, good, bad, great',
        'The price went from 3.5 to 1,000 dollars at 10:30, sad but true',
        'A great start. The ending was not good',
        'happy happy joy, but sad and not happy',
      ]) {
        const r = scorer.score(text);
        expect(Object.is(r.score, naturalWhole(vocabulary, text)), `${vocabulary}: ${text} ${r.score}`).toBe(true);
      }
    });
  }
  const afinn = new SentimentScorer();
  it('afinn: the examples score as a reader expects', () => {
    expect(afinn.score("Don't worry, it's great").score).toBe(3 / 2); // (+3 reversed "worry" + 3 "great") / 4 words
    expect(afinn.score('not bad, not great').score).toBe(0); // +3 and −3
    expect(afinn.score('not bad, great').label).toBe('positive');
    expect(afinn.score('not good, bad').label).toBe('negative');
    // No negator in sight: "but" changes nothing.
    expect(afinn.score('good but bad').score).toBe(0);
  });
  it('a full stop after a title or inside a dotted abbreviation ends no clause in English (review R6-2: "I don\'t like Mr. Smith\'s wonderful film" scored positive)', () => {
    for (const text of [
      "I don't like Mr. Smith's wonderful film",
      "I don't like Dr. Who's wonderful show",
      "I don't think the U.S. version is wonderful",
      'I did not find the U.K. release wonderful',
    ])
      expect(afinn.score(text).label, text).toBe('negative');
  });
  it('a sentence ending in a short word still ends the negation (review R8-1: "No." and "plan A." carried it on)', () => {
    for (const text of [
      "I don't like it. Wonderful film",
      'Was it bad? No. It was wonderful.',
      'I did not like plan A. The ending was wonderful.',
      "I didn't watch the sequels etc. The original is wonderful.",
      'There was no vitamin C. Otherwise the food was great.',
    ])
      expect(afinn.score(text).label, text).toBe('positive');
  });
  it('"but" ends a clause in English only; other languages end negations at punctuation', () => {
    const es = new SentimentScorer({ language: 'es' });
    expect(es.score('no excelente. excelente excelente').score).toBeGreaterThan(0);
    expect(es.score('no excelente but excelente excelente').score).toBeLessThan(0);
  });
});
