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
