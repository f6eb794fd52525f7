import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TransactionScorer } from './scorer';
import { TransactionFeatures } from './stream';
import { generateTransactions } from './synthetic';

const txs = generateTransactions({ cards: 30, days: 3, seed: 4 });
const after = Math.max(...txs.map((t) => new Date(t.timestamp).getTime())) + 3_600_000;

async function trained(): Promise<TransactionScorer> {
  const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
  await scorer.train(txs);
  return scorer;
}

describe('TransactionScorer: calls keep their call order', () => {
  it('a save right after an un-awaited score includes that transaction', async () => {
    const scorer = await trained();
    const dir = await mkdtemp(join(tmpdir(), 'fraud-order-'));
    try {
      const before = scorer.entities;
      void scorer.score({ card: 'brand-new-card', amount: 12, timestamp: after });
      await scorer.save(dir);
      const saved = JSON.parse(await readFile(join(dir, 'stream.json'), 'utf8')) as { cards: { count: number } };
      expect(saved.cards.count).toBe(before + 1);
    } finally {
      scorer.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a threshold set after an un-awaited score does not judge it; resetState waits for the scores before it', async () => {
    const scorer = await trained();
    const tx = { card: txs[0]!.card, amount: 20, timestamp: after };
    const threshold = scorer.threshold;
    const pending = scorer.score(tx);
    scorer.setThreshold(-1e9);
    const scored = await pending;
    expect(scored.score).toBeGreaterThan(-1e9);
    expect(scored.isFraud).toBe(scored.score >= threshold); // judged at the threshold in force when it was called
    expect(scored.isFraud).toBe(false);
    expect((await scorer.score({ ...tx, timestamp: after + 1000 })).isFraud).toBe(true); // the new threshold from here on
    void scorer.score({ card: 'another-card', amount: 5, timestamp: after + 2000 });
    await scorer.resetState();
    expect(scorer.entities).toBe(0);
    scorer.dispose();
  });

  it('after dispose, resetState and train refuse before touching the card state', async () => {
    const scorer = await trained();
    scorer.dispose();
    expect(() => scorer.resetState()).toThrow(expect.objectContaining({ code: 'E_MODEL_DISPOSED' }));
    await expect(scorer.train(txs)).rejects.toMatchObject({ code: 'E_MODEL_DISPOSED' });
    // The card state stays empty (read past the guarded getter): nothing was replayed into it.
    expect((scorer as unknown as { features: { size: number } }).features.size).toBe(0);
    await expect(scorer.score(txs[0]!)).rejects.toMatchObject({ code: 'E_MODEL_DISPOSED' });
    await expect(scorer.save(join(tmpdir(), 'never-written'))).rejects.toMatchObject({ code: 'E_MODEL_DISPOSED' });
  });

  it('ISO times without an offset are UTC fields on every server; text that is not ISO 8601 is refused', () => {
    const f = new TransactionFeatures();
    f.update({ card: 'a', amount: 5, timestamp: '2026-01-05T10:00:00Z' });
    const naive = f.peek({ card: 'a', amount: 5, timestamp: '2026-01-05 10:30:00' });
    expect(naive.log_seconds_since_last).toBeCloseTo(Math.log1p(1800), 9);
    for (const text of ['2026', '12', '10/17/2026 10:00', 'Sat Oct 17 2026'])
      expect(() => f.peek({ card: 'a', amount: 5, timestamp: text }), text).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
  });
});

describe('TransactionScorer after dispose', () => {
  it('property reads are E_MODEL_DISPOSED; isTrained is false; evaluate says disposed before checking its labels', async () => {
    const scorer = await trained();
    scorer.dispose();
    expect(scorer.isTrained).toBe(false);
    for (const read of [() => scorer.featureNames, () => scorer.entities, () => scorer.timeUnit, () => scorer.threshold])
      expect(read).toThrow(expect.objectContaining({ code: 'E_MODEL_DISPOSED' }));
    await expect(scorer.evaluate(txs, [1])).rejects.toMatchObject({ code: 'E_MODEL_DISPOSED' });
    await expect(scorer.scoreAll(txs)).rejects.toMatchObject({ code: 'E_MODEL_DISPOSED' });
  });
});

describe('TransactionScorer.load of another bundle', () => {
  it('a FraudDetector bundle given to TransactionScorer.load is E_BUNDLE_INCOMPATIBLE, not missing', async () => {
    const scorer = await trained();
    const dir = await mkdtemp(join(tmpdir(), 'fraud-other-'));
    try {
      await scorer.save(dir);
      await expect(TransactionScorer.load(join(dir, 'detector'))).rejects.toMatchObject({ code: 'E_BUNDLE_INCOMPATIBLE' });
      await expect(TransactionScorer.load(join(dir, 'nothing-here'))).rejects.toMatchObject({ code: 'E_BUNDLE_MISSING' });
    } finally {
      scorer.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('TransactionScorer.score with remember: false', () => {
  it('scores against the card state without adding to it (a declined authorisation)', async () => {
    const scorer = await trained();
    const tx = { card: 'what-if-card', amount: 30, timestamp: after };
    const before = scorer.entities;
    const a = await scorer.score(tx, { remember: false });
    expect(scorer.entities).toBe(before);
    const b = await scorer.score(tx);
    expect(b.score).toBe(a.score); // the same state both times
    expect(scorer.entities).toBe(before + 1);
    await expect(scorer.score(tx, { remember: 'no' } as never)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    scorer.dispose();
  });
});

describe('TransactionScorer: train, calibrate and setThreshold keep call order too', () => {
  it('a save right after an un-awaited retrain writes the new card state with the new detector', async () => {
    const scorer = await trained();
    const other = generateTransactions({ cards: 12, days: 2, seed: 9 });
    const dir = await mkdtemp(join(tmpdir(), 'fraud-retrain-'));
    try {
      const retrain = scorer.train(other);
      await scorer.save(dir);
      const report = await retrain;
      const loaded = await TransactionScorer.load(dir);
      expect(loaded.threshold).toBe(report.threshold);
      expect(loaded.entities).toBe(12);
      loaded.dispose();
    } finally {
      scorer.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a score called after an un-awaited calibrate is judged at the calibrated threshold', async () => {
    const scorer = await trained();
    const later = txs.map((t) => ({ ...t, timestamp: t.timestamp + 4 * 86_400_000 }));
    const calibrated = scorer.calibrate(later, { topK: 1 });
    const scored = scorer.score({ card: txs[0]!.card, amount: 20, timestamp: after + 10 * 86_400_000 });
    const choice = await calibrated;
    const s = await scored;
    expect(s.isFraud).toBe(s.score >= choice.threshold);
    expect(scorer.threshold).toBe(choice.threshold);
    await expect(scorer.setThreshold(Number.NaN)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    scorer.dispose();
  });
});

describe('TransactionScorer clock', () => {
  it('a far-off ISO time is scored but does not stretch the clock; the refusal quotes neither the value nor the scorer dates', async () => {
    const scorer = await trained();
    await scorer.score({ card: 'far', amount: 10, timestamp: '9999-12-31T00:00:00Z' });
    const err = await scorer.score({ card: 'far', amount: 10, timestamp: 8.64e15 }).catch((e: unknown) => e as Error);
    expect(err).toMatchObject({ code: 'E_INPUT_INVALID', details: { reason: 'timestamp-off-clock' } });
    expect((err as Error).message).not.toMatch(/\d{4}-\d{2}/);
    scorer.dispose();
  });
});
