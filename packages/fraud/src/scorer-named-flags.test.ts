import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi, type Mock } from 'vitest';
import { TransactionScorer } from './scorer';
import { generateTransactions } from './synthetic';
import type { Transaction } from './stream';

const all = generateTransactions({ cards: 60, days: 10, seed: 5 });
const cut = Math.min(...all.map((t) => t.timestamp)) + 7 * 86_400_000;
/** Without merchant and country (the training stream of the finding: a file that names neither). */
const bare = (t: Transaction): Transaction => ({ card: t.card, amount: t.amount, timestamp: t.timestamp });
const history = all.filter((t) => t.timestamp < cut);
const live = all
  .filter((t) => t.timestamp >= cut)
  .map(({ card, amount, timestamp, merchant, country }) => ({ card, amount, timestamp, merchant, country }));

function logger(): { warn: Mock<(message: string) => void>; info: () => void; debug: () => void } {
  return { warn: vi.fn<(message: string) => void>(), info: () => {}, debug: () => {} };
}

describe('TransactionScorer: merchant / country flags of a training stream that names neither', () => {
  it('says what the constant flags mean and what to do; a live feed naming them is scored as training saw it, also after a save', async () => {
    const log = logger();
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(history.map(bare), { logger: log });
    const warnings = log.warn.mock.calls.map((c) => String(c[0]));
    // Not the detector's generic advice to drop fields the user never gave.
    expect(warnings.join('\n')).not.toMatch(/Drop such fields/);
    const said = warnings.find((w) => w.startsWith('No training transaction names a merchant or a country'));
    expect(said).toMatch(/new_merchant and new_country are 0 on every one/);
    expect(said).toMatch(/held at 0 when scoring too: a live feed that names merchants and countries is scored on the other features/);
    expect(said).toMatch(/train on transactions that carry merchant and country/);
    expect(scorer.frozenFeatures).toEqual(['new_merchant', 'new_country']);

    const dir = await mkdtemp(join(tmpdir(), 'fraud-named-flags-'));
    try {
      await scorer.save(dir);
      const again = await TransactionScorer.load(dir);
      const named = await scorer.scoreAll(live);
      const unnamed = await again.scoreAll(live.map(bare));
      // Held at 0: the same scores as the feed without names (read unfrozen, every first purchase at a
      // merchant was a value never seen in training and the alerts doubled).
      expect(named.map((p) => p.score)).toEqual(unnamed.map((p) => p.score));
      expect(named.every((p) => p.features.new_merchant === 0 && p.features.new_country === 0)).toBe(true);
      expect(again.frozenFeatures).toEqual(['new_merchant', 'new_country']);
      again.dispose();
      const stream = JSON.parse(await readFile(join(dir, 'stream.json'), 'utf8')) as Record<string, unknown>;
      expect(stream.frozen).toEqual(['new_merchant', 'new_country']);
    } finally {
      scorer.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a stream that names merchants and countries freezes nothing and warns of nothing about them', async () => {
    const log = logger();
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(history, { logger: log });
    expect(scorer.frozenFeatures).toEqual([]);
    expect(log.warn.mock.calls.map((c) => String(c[0])).join('\n')).not.toMatch(/new_merchant|new_country/);
    const [p] = await scorer.scoreAll([{ ...live[0]!, merchant: 'somewhere-new' }]);
    expect(p!.features.new_merchant).toBe(1);
    scorer.dispose();
  });

  it("named but never new on a card: warned in the scorer's terms (no freeze: a new merchant is then something unseen)", async () => {
    const log = logger();
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    // Every card always at one merchant in one country.
    await scorer.train(
      history.map((t) => ({ ...bare(t), merchant: `m-${t.card}`, country: 'DE' })),
      { logger: log },
    );
    const warnings = log.warn.mock.calls.map((c) => String(c[0])).join('\n');
    expect(warnings).not.toMatch(/Drop such fields/);
    expect(warnings).toMatch(/new_merchant was 0 on every training transaction \(no card bought at a second merchant/);
    expect(warnings).toMatch(/new_country was 0 on every training transaction/);
    expect(scorer.frozenFeatures).toEqual([]);
    scorer.dispose();
  });

  it('a stream.json whose frozen list is malformed is E_BUNDLE_CORRUPT', async () => {
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(history.map(bare));
    const dir = await mkdtemp(join(tmpdir(), 'fraud-named-flags-'));
    try {
      await scorer.save(dir);
      const path = join(dir, 'stream.json');
      const { sha256, ...body } = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
      expect(typeof sha256).toBe('string');
      // Re-sealed as a save would, so the list itself is what is refused.
      const edited = { ...body, frozen: ['amount'] };
      await writeFile(path, JSON.stringify({ ...edited, sha256: createHash('sha256').update(JSON.stringify(edited)).digest('hex') }));
      await expect(TransactionScorer.load(dir)).rejects.toMatchObject({
        code: 'E_BUNDLE_CORRUPT',
        message: expect.stringMatching(/frozen features are malformed/),
      });
    } finally {
      scorer.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a save holding frozen flags says format 3, so a version reading up to 2 refuses it as newer; one without stays 2; both load here', async () => {
    // The version before `frozen` refuses a format past 2 with E_BUNDLE_INCOMPATIBLE; with format 2 it
    // loaded such a save, ignored `frozen` and scored the flags live (39 alerts became 129 on the review's feed).
    const frozen = TransactionScorer.create({ detector: { detector: 'ecod' } });
    const plain = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await frozen.train(history.map(bare));
    await plain.train(history);
    const dir = await mkdtemp(join(tmpdir(), 'fraud-named-flags-'));
    try {
      for (const [scorer, name, format, held] of [
        [frozen, 'frozen', 3, ['new_merchant', 'new_country']],
        [plain, 'plain', 2, []],
      ] as const) {
        const to = join(dir, name);
        await scorer.save(to);
        const stream = JSON.parse(await readFile(join(to, 'stream.json'), 'utf8')) as Record<string, unknown>;
        expect(stream.format).toBe(format);
        expect('frozen' in stream).toBe(held.length > 0);
        const again = await TransactionScorer.load(to);
        expect(again.frozenFeatures).toEqual(held);
        expect((await again.scoreAll(live)).map((p) => p.score)).toEqual((await scorer.scoreAll(live)).map((p) => p.score));
        again.dispose();
      }
    } finally {
      frozen.dispose();
      plain.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
