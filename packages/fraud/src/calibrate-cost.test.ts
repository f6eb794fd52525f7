import { describe, expect, it } from 'vitest';
import { TransactionScorer } from './scorer';
import { TransactionFeatures, type Transaction } from './stream';
import { generateTransactions } from './synthetic';

const T0 = Date.UTC(2026, 0, 1);
type Internals = { entities: Map<string, object> };
const entitiesOf = (f: TransactionFeatures): Map<string, object> => (f as unknown as Internals).entities;
const featuresOf = (s: TransactionScorer): TransactionFeatures => (s as unknown as { features: TransactionFeatures }).features;

/** The rows `update` gives on a full copy of `f` (what calibrate did), one transaction after another. */
function onCopy(f: TransactionFeatures, txs: readonly Transaction[]): unknown[] {
  const copy = TransactionFeatures.fromState(f.toState());
  return txs.map((tx) => copy.update(tx));
}

describe('replay: the features update would give, without changing the state', () => {
  it('equals update on a full copy, with cards forgotten on the way, forgotten cards seen again and late transactions', () => {
    const f = new TransactionFeatures({ maxEntities: 5, historySize: 4, maxSeenPerEntity: 2 });
    const cards = ['a', 'b', 'c', 'd', 'e'];
    let t = T0;
    for (let i = 0; i < 23; i++)
      f.update({
        card: cards[(i * 3) % 5] as string,
        amount: 5 + i,
        timestamp: (t += 60e3),
        merchant: `m${i % 3}`,
        country: i % 4 ? 'US' : 'FR',
      });
    const before = JSON.stringify(f.toState());
    const objects = new Map(entitiesOf(f));
    const txs: Transaction[] = [
      { card: 'b', amount: 400, timestamp: t + 1e3, merchant: 'm9', country: 'DE' },
      { card: 'new1', amount: 3, timestamp: t + 2e3 },
      { card: 'new2', amount: 4, timestamp: t + 3e3 },
      // forgotten in the view by now (the two least recently seen before b), seen again: its first transaction
      { card: [...objects.keys()][0] as string, amount: 9, timestamp: t + 4e3 },
      { card: 'b', amount: 7, timestamp: t - 90e3, merchant: 'm0' }, // late
      ...Array.from({ length: 6 }, (_, i) => ({ card: `x${i}`, amount: 1 + i, timestamp: t + 5e3 + i })),
      { card: 'new1', amount: 30, timestamp: t + 20e3 },
      { card: 'b', amount: 8, timestamp: t + 21e3 },
    ];
    expect(f.replay(txs)).toEqual(onCopy(f, txs));
    // The state, its least-recently-seen order and every card's own object are as they were.
    expect(JSON.stringify(f.toState())).toBe(before);
    expect([...entitiesOf(f)]).toEqual([...objects]);
    for (const [card, e] of entitiesOf(f)) expect(e).toBe(objects.get(card));
    // And the next real updates forget the same cards as before the replay.
    const next: Transaction[] = [
      { card: 'y1', amount: 1, timestamp: t + 30e3 },
      { card: 'y2', amount: 1, timestamp: t + 31e3 },
    ];
    const expected = TransactionFeatures.fromState(f.toState());
    for (const tx of next) {
      f.update(tx);
      expected.update(tx);
    }
    expect(f.toState()).toEqual(expected.toState());
  });

  it('equals update on a full copy over a generated stream, under and at maxEntities', () => {
    const txs = generateTransactions({ cards: 60, days: 6, seed: 4 }).map(({ card, amount, timestamp, merchant, country }) => ({
      card,
      amount,
      timestamp,
      merchant,
      country,
    }));
    for (const maxEntities of [1000, 40]) {
      const f = new TransactionFeatures({ maxEntities });
      const cut = Math.floor(txs.length / 2);
      for (const tx of txs.slice(0, cut)) f.update(tx);
      const before = JSON.stringify(f.toState());
      expect(f.replay(txs.slice(cut))).toEqual(onCopy(f, txs.slice(cut)));
      expect(JSON.stringify(f.toState())).toBe(before);
    }
  });
});

describe('TransactionScorer.calibrate', () => {
  it('leaves the card state as it was and copies only the cards its transactions touch', async () => {
    const history = generateTransactions({ cards: 50, days: 6, seed: 2 });
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod', seed: 0 } });
    await scorer.train(history);
    const features = featuresOf(scorer);
    // 20,000 cards of 8 transactions each: calibrate copied and re-checked every one of them per call.
    let t = (history.at(-1)!.timestamp as number) + 1000;
    for (let rep = 0; rep < 8; rep++)
      for (let c = 0; c < 20_000; c++)
        features.update({ card: `card-${c}`, amount: (c % 500) + rep, timestamp: (t += 1), merchant: `m${c % 97}`, country: 'FR' });
    const before = JSON.stringify(features.toState());
    const objects = new Map(entitiesOf(features));
    const txs: Transaction[] = [
      { card: 'card-1', amount: 5, timestamp: t + 1000 },
      { card: 'card-2', amount: 900, timestamp: t + 2000 },
    ];
    const choice = await scorer.calibrate(txs, { topK: 1 });
    expect(choice.alerts).toBe(1);
    // The same state object, every card's own state object (none copied back), nothing moved.
    expect(featuresOf(scorer)).toBe(features);
    let same = 0;
    for (const [card, e] of entitiesOf(features)) if (e === objects.get(card)) same++;
    expect(same).toBe(objects.size);
    expect(JSON.stringify(features.toState())).toBe(before);
    // The threshold it chose flags, among the same transactions scored for real, the one it counted.
    const scored = await scorer.scoreAll(txs);
    expect(scored.filter((s) => s.isFraud).map((s) => s.features.amount)).toEqual([900]);
    scorer.dispose();
  }, 60_000);
});
