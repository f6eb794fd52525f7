import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it, vi } from 'vitest';
import { TransactionScorer } from './scorer';
import { TransactionFeatures, type Transaction } from './stream';
import { generateTransactions } from './synthetic';

// The per-call cell limit, lowered in a test to make a real E_INPUT_TOO_LARGE inside the detector's
// scoring, after the batch's features were computed (a real one takes 200 M cells).
const limit = vi.hoisted(() => ({ cells: 200_000_000 }));
vi.mock('./matrix', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./matrix')>();
  return {
    ...actual,
    get MAX_CELLS(): number {
      return limit.cells;
    },
  };
});

const stateOf = (s: TransactionScorer): unknown => (s as unknown as { features: TransactionFeatures }).features.toState();

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return AppliedMLError.isInstance(e) ? e.code : 'untyped';
  }
  return undefined;
}

describe('a batch that fails while being scored leaves the card state as it was', () => {
  it('scoreAll and evaluate: E_INPUT_TOO_LARGE from the detector puts back every card the batch changed, added or forgot', async () => {
    const txs = generateTransactions({ cards: 40, days: 4, seed: 3 });
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' }, features: { maxEntities: 30 } });
    await scorer.train(txs);
    const last = txs.at(-1)!.timestamp as number;
    // Known cards, new cards (each forgetting the least recently seen one), a card twice.
    const batch: Transaction[] = [
      { card: txs[0]!.card, amount: 12, timestamp: last + 1000 },
      ...Array.from({ length: 8 }, (_, i) => ({ card: `new-${i}`, amount: 30 + i, timestamp: last + 2000 + i })),
      { card: txs[0]!.card, amount: 900, timestamp: last + 9000, merchant: 'm-new', country: 'XX' },
    ];
    const labels = batch.map((_, i) => (i === batch.length - 1 ? 1 : 0));
    const before = JSON.stringify(stateOf(scorer));
    limit.cells = 10;
    try {
      expect(await codeOf(scorer.scoreAll(batch))).toBe('E_INPUT_TOO_LARGE');
      expect(JSON.stringify(stateOf(scorer))).toBe(before);
      expect(await codeOf(scorer.evaluate(batch, labels))).toBe('E_INPUT_TOO_LARGE');
      expect(JSON.stringify(stateOf(scorer))).toBe(before);
    } finally {
      limit.cells = 200_000_000;
    }
    // The same batch then scores as if the failures never happened.
    const twin = TransactionFeatures.fromState(JSON.parse(before));
    const scored = await scorer.scoreAll(batch);
    expect(scored.map((s) => s.features)).toEqual(batch.map((tx) => twin.update(tx)));
    expect(JSON.stringify(stateOf(scorer))).toBe(JSON.stringify(twin.toState()));
    scorer.dispose();
  });

  it('TransactionFeatures.batch: a rejected batch restores contents and the least-recently-seen order', async () => {
    const f = new TransactionFeatures({ maxEntities: 3 });
    for (const [i, card] of ['a', 'b', 'c'].entries()) f.update({ card, amount: 10 + i, timestamp: 1e12 + i, merchant: 'm' });
    const before = JSON.stringify(f.toState());
    await expect(
      f.batch(async () => {
        f.update({ card: 'd', amount: 5, timestamp: 1e12 + 10 }); // forgets a
        f.update({ card: 'b', amount: 7, timestamp: 1e12 + 11, merchant: 'n' });
        f.update({ card: 'a', amount: 8, timestamp: 1e12 + 12 }); // a again (new), forgets c
        throw new AppliedMLError('E_INPUT_INVALID', 'fails');
      }),
    ).rejects.toThrow('fails');
    expect(JSON.stringify(f.toState())).toBe(before);
    // The order is the old one: the next new card forgets a, then b.
    f.update({ card: 'x', amount: 1, timestamp: 1e12 + 20 });
    expect(f.toState().entities.map(([card]) => card)).toEqual(['b', 'c', 'x']);
    f.update({ card: 'y', amount: 1, timestamp: 1e12 + 21 });
    expect(f.toState().entities.map(([card]) => card)).toEqual(['c', 'x', 'y']);
    // A batch that succeeds keeps its changes.
    await f.batch(async () => f.update({ card: 'c', amount: 2, timestamp: 1e12 + 22 }));
    expect(f.toState().entities.map(([card]) => card)).toEqual(['x', 'y', 'c']);
  });
});
