import { TextClassifier } from '@appliedml/text';
import { describe, expect, it } from 'vitest';
import { MAX_EXPLAINED_CHARS, TOP_WORDS, answerFor, explainedPart } from './answer';

const DATA = [
  ['win a free prize now call', 'spam'],
  ['claim your cash reward today', 'spam'],
  ['urgent you won a holiday call now', 'spam'],
  ['see you at dinner tonight', 'ham'],
  ['can you pick up the kids', 'ham'],
  ['meeting moved to monday morning', 'ham'],
].map(([text, label]) => ({ text: text as string, label: label as string }));

describe('POST /predict answers: a long text is predicted whole and explained up to MAX_EXPLAINED_CHARS', () => {
  it('a short text: the explanation of the whole text, as before', async () => {
    const model = TextClassifier.create();
    await model.train(DATA);
    const text = 'call now to claim your free prize';
    const answer = await answerFor(model, text);
    const full = await model.explain(text, { top: TOP_WORDS });
    expect(answer).toEqual({
      label: full.label,
      labels: full.labels,
      scores: full.scores,
      explanation: { method: full.method, tokens: full.tokens, features: full.features },
    });
  });

  it('a 1 MB text: scores of the whole text, explanation of its first 20,000 characters, in bounded time', async () => {
    const model = TextClassifier.create();
    await model.train(DATA);
    const words = DATA.flatMap((d) => d.text.split(' '));
    const text = Array.from({ length: 200_000 }, (_, i) => words[(i * 13) % words.length]).join(' ');
    expect(text.length).toBeGreaterThan(1_000_000);
    const answer = await answerFor(model, text);
    const whole = await model.predict(text);
    expect({ label: answer.label, labels: answer.labels, scores: answer.scores }).toEqual(whole);
    const head = explainedPart(text);
    expect(head.length).toBeLessThanOrEqual(MAX_EXPLAINED_CHARS);
    expect(head.length).toBeGreaterThan(MAX_EXPLAINED_CHARS - 20);
    expect(text.startsWith(head)).toBe(true);
    expect(answer.explanation.explainedChars).toBe(head.length);
    const local = await model.explain(head, { label: whole.label, top: TOP_WORDS });
    expect(answer.explanation.tokens).toEqual(local.tokens);
    expect(answer.explanation.features).toEqual(local.features);
  });

  it('cuts at a space, and never inside a surrogate pair', () => {
    const emoji = '😀'.repeat(MAX_EXPLAINED_CHARS);
    const cut = explainedPart(emoji);
    expect(cut.length).toBe(MAX_EXPLAINED_CHARS);
    expect(cut.at(-1)).toBe('\uDE00');
    const shifted = explainedPart('a' + emoji);
    expect(shifted.length).toBe(MAX_EXPLAINED_CHARS - 1);
    expect(explainedPart(`${'x'.repeat(MAX_EXPLAINED_CHARS - 5)} abcdefghij`)).toBe('x'.repeat(MAX_EXPLAINED_CHARS - 5));
  });
});
