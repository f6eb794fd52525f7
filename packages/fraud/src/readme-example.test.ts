import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TransactionScorer, generateTransactions } from './index';

// The package README's streaming example quotes the reasons it prints: they drifted once unnoticed
// (42 % / 50 % of the evidence quoted against 39 % / 54 % given). This runs that example and checks the
// README still quotes what it gives.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe("the README's streaming example", () => {
  it('gives the reasons the README quotes, for a known card and an unseen one', async () => {
    const history = generateTransactions({ cards: 500, days: 30, seed: 7 });
    const scorer = TransactionScorer.create({});
    try {
      await scorer.train(history);
      const tx = { amount: 912.5, timestamp: Date.UTC(2026, 9, 31, 12), merchant: 'm-7', country: 'FR' };
      const known = await scorer.score({ card: 'card-00001', ...tx });
      const unseen = await scorer.score({ card: 'c1', ...tx });
      const knownTexts = known.reasons.map((r) => r.text);
      const unseenTexts = unseen.reasons.map((r) => r.text);
      expect(knownTexts.length).toBeGreaterThan(0);
      expect(unseenTexts.length).toBeGreaterThan(0);
      for (const text of [...knownTexts, ...unseenTexts]) expect(readme).toContain(text);
    } finally {
      scorer.dispose();
    }
  }, 60_000);
});
