import { describe, expect, it } from 'vitest';
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
    ["You shouldn't buy it, it's great", 'You should not buy it, it is great'],
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
