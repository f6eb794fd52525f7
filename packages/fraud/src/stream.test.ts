import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it, vi } from 'vitest';
import { readCardFiles } from './card-files';
import { TransactionScorer, describe as describeReasons } from './scorer';
import { MAX_ID_CHARS, checkTransaction } from './index';
import { TransactionFeatures } from './stream';
import { generateTransactions } from './synthetic';

const T0 = Date.UTC(2026, 0, 1);

describe('TransactionFeatures', () => {
  it('a card whose median amount is 0 (zero-amount verifications) reads a large charge as large, not as typical', () => {
    const f = new TransactionFeatures();
    for (let i = 0; i < 4; i++) f.update({ card: 'z', amount: 0, timestamp: T0 + i * 60e3 });
    expect(f.peek({ card: 'z', amount: 900, timestamp: T0 + 300e3 }).amount_vs_card_median).toBe(90_000);
    expect(f.peek({ card: 'z', amount: 0, timestamp: T0 + 300e3 }).amount_vs_card_median).toBe(1);
    for (let i = 0; i < 4; i++) f.update({ card: 'c', amount: 0.01, timestamp: T0 + i * 60e3 });
    expect(f.peek({ card: 'c', amount: 900, timestamp: T0 + 300e3 }).amount_vs_card_median).toBeCloseTo(90_000, 6);
  });

  it('velocity, amount vs card median, time since last, new merchant / country', () => {
    const f = new TransactionFeatures({ windowsSeconds: [3600, 86400] });
    for (let i = 0; i < 5; i++) f.update({ card: 'a', amount: 10, timestamp: T0 + i * 7200e3, merchant: 'm1', country: 'US' });
    const row = f.peek({ card: 'a', amount: 140, timestamp: T0 + 4 * 7200e3 + 1800e3, merchant: 'm9', country: 'FR' });
    expect(row.count_1h).toBe(1);
    expect(row.sum_1h).toBe(10);
    expect(row.count_1d).toBe(5);
    expect(row.amount_vs_card_median).toBe(14);
    expect(row.log_seconds_since_last).toBeCloseTo(Math.log1p(1800), 9);
    expect(row.new_merchant).toBe(1);
    expect(row.new_country).toBe(1);
    expect(f.peek({ card: 'b', amount: 1, timestamp: T0 }).card_history).toBe(0);
  });

  it('a late transaction sees only the history up to its own time', () => {
    const f = new TransactionFeatures({ windowsSeconds: [3600, 86400] });
    f.update({ card: 'a', amount: 10, timestamp: T0 });
    f.update({ card: 'a', amount: 20, timestamp: T0 + 1800e3 });
    f.update({ card: 'a', amount: 5000, timestamp: T0 + 7200e3 });
    // Arrives after the 5,000 one, dated before it: the 5,000 is in its future.
    const late = f.peek({ card: 'a', amount: 30, timestamp: T0 + 3600e3 });
    expect(late).toMatchObject({ count_1h: 2, sum_1h: 30, count_1d: 2, sum_1d: 30, amount_vs_card_median: 2, card_history: 2 });
    expect(late.log_seconds_since_last).toBeCloseTo(Math.log1p(1800), 9);
    // Older than everything stored: no history at all.
    expect(f.peek({ card: 'a', amount: 1, timestamp: T0 - 60e3 })).toMatchObject({
      count_1d: 0,
      card_history: 0,
      amount_vs_card_median: 1,
    });
    // In time order nothing changes: the next transaction sees all three.
    expect(f.update({ card: 'a', amount: 40, timestamp: T0 + 7200e3 + 60e3 })).toMatchObject({ count_1h: 1, count_1d: 3, card_history: 3 });
    // Once stored, the late one takes its place in time for the transactions after it.
    f.update({ card: 'a', amount: 30, timestamp: T0 + 3600e3 });
    expect(f.peek({ card: 'a', amount: 1, timestamp: T0 + 3600e3 + 1 })).toMatchObject({ count_1h: 2, card_history: 3 });
  });

  it("a late transaction's new-merchant / new-country flags use what the card had shown by its time", () => {
    const f = new TransactionFeatures();
    f.update({ card: 'a', amount: 10, timestamp: T0, merchant: 'm1', country: 'US' });
    f.update({ card: 'a', amount: 10, timestamp: T0 + 7200e3, merchant: 'm2', country: 'FR' });
    // Dated between the two: FR and m2 were not yet seen at its time, US and m1 were.
    expect(f.peek({ card: 'a', amount: 10, timestamp: T0 + 3600e3, merchant: 'm2', country: 'FR' })).toMatchObject({
      new_merchant: 1,
      new_country: 1,
    });
    expect(f.peek({ card: 'a', amount: 10, timestamp: T0 + 3600e3, merchant: 'm1', country: 'US' })).toMatchObject({
      new_merchant: 0,
      new_country: 0,
    });
    // Once the late one is stored, FR counts as seen from its time on, for what comes after it.
    f.update({ card: 'a', amount: 10, timestamp: T0 + 3600e3, merchant: 'm3', country: 'FR' });
    expect(f.peek({ card: 'a', amount: 10, timestamp: T0 + 5400e3, country: 'FR' }).new_country).toBe(0);
    expect(f.peek({ card: 'a', amount: 10, timestamp: T0 + 1800e3, country: 'FR' }).new_country).toBe(1);
    // A state saved before first-seen times were kept loads; its merchants count as seen before everything.
    const old = { options: f.options, entities: [['b', { times: [T0], amounts: [5], merchants: ['m9'], countries: ['DE'] }]] };
    const g = TransactionFeatures.fromState(old as never);
    expect(g.peek({ card: 'b', amount: 5, timestamp: T0 + 60e3, merchant: 'm9', country: 'DE' })).toMatchObject({
      new_merchant: 0,
      new_country: 0,
    });
    g.update({ card: 'b', amount: 5, timestamp: T0 + 120e3, merchant: 'm8', country: 'DE' });
    expect(g.toState().entities[0]?.[1]).toMatchObject({
      merchants: ['m9', 'm8'],
      merchantFirstSeen: [
        ['m9', -8.64e15],
        ['m8', T0 + 120e3],
      ],
    });
  });

  it('keeps the earliest sighting, stays aligned through eviction, and matches first-seen times by name on load', () => {
    const f = new TransactionFeatures({ maxSeenPerEntity: 2 });
    f.update({ card: 'a', amount: 1, timestamp: T0, country: 'US' });
    f.update({ card: 'a', amount: 1, timestamp: T0 + 100e3, country: 'FR' });
    f.update({ card: 'a', amount: 1, timestamp: T0 + 50e3, country: 'FR' }); // late: FR was first seen at +50 s
    f.update({ card: 'a', amount: 1, timestamp: T0 + 200e3, country: 'FR' }); // seen again later: still +50 s
    expect(f.peek({ card: 'a', amount: 1, timestamp: T0 + 60e3, country: 'FR' }).new_country).toBe(0);
    expect(f.peek({ card: 'a', amount: 1, timestamp: T0 + 40e3, country: 'FR' }).new_country).toBe(1);
    f.update({ card: 'a', amount: 1, timestamp: T0 + 300e3, country: 'DE' }); // evicts US (least recently used)
    expect(f.toState().entities[0]?.[1].countryFirstSeen).toEqual([
      ['FR', T0 + 50e3],
      ['DE', T0 + 300e3],
    ]);
    expect(f.peek({ card: 'a', amount: 1, timestamp: T0 + 400e3, country: 'US' }).new_country).toBe(1);
    // Older than everything stored: like the card's first transaction, no flag either way.
    expect(f.peek({ card: 'a', amount: 1, timestamp: T0 - 1, country: 'JP', merchant: 'x' })).toMatchObject({
      new_country: 0,
      new_merchant: 0,
    });
    // A list changed by a version that kept no times (a name added, one gone) still lines up by name.
    const saved = f.toState();
    const entity = saved.entities[0]![1];
    entity.countries = ['DE', 'IT'];
    const g = TransactionFeatures.fromState(JSON.parse(JSON.stringify(saved)) as never);
    expect(g.toState().entities[0]?.[1].countryFirstSeen).toEqual([
      ['DE', T0 + 300e3],
      ['IT', -8.64e15],
    ]);
  });

  it('card_history stops at historyCap (default 10); card state saved before the option counts up to historySize', () => {
    const f = new TransactionFeatures();
    const rows = Array.from({ length: 14 }, (_, i) => f.update({ card: 'a', amount: 5, timestamp: T0 + i * 60e3 }));
    expect(rows.map((r) => r.card_history)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10]);
    const small = new TransactionFeatures({ historyCap: 3 });
    for (let i = 0; i < 5; i++) small.update({ card: 'a', amount: 5, timestamp: T0 + i * 60e3 });
    expect(small.peek({ card: 'a', amount: 5, timestamp: T0 + 600e3 }).card_history).toBe(3);
    expect(() => new TransactionFeatures({ historyCap: 0 })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    // An older save has no historyCap in its options: it keeps counting as it did, up to historySize.
    const old = f.toState();
    const { historyCap: _dropped, ...oldOptions } = old.options;
    const restored = TransactionFeatures.fromState({ ...old, options: oldOptions } as typeof old);
    expect(restored.options.historyCap).toBe(64);
    expect(restored.peek({ card: 'a', amount: 5, timestamp: T0 + 3600e3 }).card_history).toBe(14);
    expect(TransactionFeatures.fromState(old).peek({ card: 'a', amount: 5, timestamp: T0 + 3600e3 }).card_history).toBe(10);
  });

  it("timeUnit 's' reads numeric timestamps as Unix seconds (Dates and ISO strings as always); other units are refused", () => {
    const inMs = new TransactionFeatures();
    const inS = new TransactionFeatures({ timeUnit: 's' });
    const at = [0, 600, 1800, 5400, 90_000];
    const rowsMs = at.map((dt, i) => inMs.update({ card: 'a', amount: 10 + i, timestamp: T0 + dt * 1000 }));
    // Seconds as numbers, one as a Date and one as an ISO string: all on the same clock.
    const asGiven = (dt: number, i: number): number | Date | string =>
      i === 1 ? new Date(T0 + dt * 1000) : i === 3 ? new Date(T0 + dt * 1000).toISOString() : ((T0 / 1000 + dt) as number);
    const rowsS = at.map((dt, i) => inS.update({ card: 'a', amount: 10 + i, timestamp: asGiven(dt, i) }));
    expect(rowsS).toEqual(rowsMs);
    expect(rowsS[2]).toMatchObject({ count_1h: 2, count_1d: 2 });
    expect(rowsS[4]).toMatchObject({ count_1h: 0, count_1d: 1 });
    // The unit is part of the saved state.
    expect(TransactionFeatures.fromState(inS.toState()).options.timeUnit).toBe('s');
    // 8.64e15 s is far past what a Date holds.
    expect(() => inS.update({ card: 'a', amount: 1, timestamp: 8.64e13 })).toThrow(/epoch seconds/);
    expect(() => new TransactionFeatures({ timeUnit: 'us' as never })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
  });

  it('a window listed twice is refused at create; card state saved with one (as earlier versions allowed) loads with it once', async () => {
    expect(() => new TransactionFeatures({ windowsSeconds: [3600, 86400, 3600] })).toThrow(/lists a window twice/);
    expect(() => TransactionScorer.create({ features: { windowsSeconds: [60, 60] } })).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID' }),
    );
    const f = new TransactionFeatures();
    f.update({ card: 'a', amount: 5, timestamp: T0 });
    const state = f.toState();
    const old = TransactionFeatures.fromState({ ...state, options: { ...state.options, windowsSeconds: [3600, 86400, 3600] } });
    expect(old.options.windowsSeconds).toEqual([3600, 86400]);
    expect(old.peek({ card: 'a', amount: 5, timestamp: T0 + 60e3 })).toEqual(f.peek({ card: 'a', amount: 5, timestamp: T0 + 60e3 }));
    // A whole scorer whose stream.json was written with a repeated window (config and state) still loads.
    const dir = await mkdtemp(join(tmpdir(), 'fraud-dup-windows-'));
    try {
      const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
      const txs = generateTransactions({ cards: 20, days: 3, seed: 2 });
      await scorer.train(txs);
      await scorer.save(dir);
      const file = join(dir, 'stream.json');
      const saved = JSON.parse(await readFile(file, 'utf8'));
      saved.config.features = { windowsSeconds: [3600, 86400, 86400] };
      saved.state.options.windowsSeconds = [3600, 86400, 86400];
      // As earlier versions wrote it: the cards in stream.json, no checksum.
      saved.state.entities = (await readCardFiles(dir, saved.cards, dir)).map(([card, e]) => [
        card,
        {
          times: e.times,
          amounts: e.amounts,
          merchants: e.merchants,
          countries: e.countries,
          merchantFirstSeen: e.merchants.map((m, i) => [m, e.merchantSince[i]]),
          countryFirstSeen: e.countries.map((c, i) => [c, e.countrySince[i]]),
        },
      ]);
      delete saved.cards;
      delete saved.sha256;
      delete saved.clock;
      await writeFile(file, JSON.stringify(saved));
      const loaded = await TransactionScorer.load(dir);
      expect(loaded.featureNames.filter((n) => n === 'count_1d')).toHaveLength(1);
      const later = { ...txs[0]!, timestamp: txs.at(-1)!.timestamp + 60_000 };
      expect((await loaded.score(later)).score).toBe((await scorer.score(later)).score);
      scorer.dispose();
      loaded.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps bounded memory: history per card and number of cards', () => {
    const f = new TransactionFeatures({ historySize: 8, maxEntities: 100 });
    for (let i = 0; i < 5000; i++) f.update({ card: `c${i % 300}`, amount: 1, timestamp: T0 + i * 1000 });
    expect(f.size).toBe(100);
    // A card not seen for a while (c250) was forgotten.
    expect(f.peek({ card: 'c250', amount: 1, timestamp: T0 + 5000e3 }).card_history).toBe(0);
    for (let i = 0; i < 20; i++) f.update({ card: 'hot', amount: 1, timestamp: T0 + 6000e3 + i });
    expect(f.peek({ card: 'hot', amount: 1, timestamp: T0 + 7000e3 }).card_history).toBe(8);
    expect(f.size).toBe(100);
  });

  it('bad transactions are E_INPUT_INVALID naming the field', () => {
    const f = new TransactionFeatures();
    const bad = [
      { card: '', amount: 1, timestamp: T0 },
      { card: 'a', amount: NaN, timestamp: T0 },
      { card: 'a', amount: -5, timestamp: T0 },
      { card: 'a', amount: 1e12, timestamp: T0 },
      { card: 'a', amount: '$12', timestamp: T0 }, // text amounts are read ('12' is 12), not with a currency sign
      { card: 'a', amount: 1, timestamp: 'yesterday' },
      { card: 'a', amount: 1, timestamp: T0, merchant: 7 },
    ];
    for (const tx of bad) {
      try {
        f.update(tx as never);
        throw new Error('accepted');
      } catch (e) {
        expect(AppliedMLError.hasCode(e, 'E_INPUT_INVALID')).toBe(true);
      }
    }
    // The message shows the number as JavaScript does (JSON would print null).
    expect(() => f.update({ card: 'a', amount: NaN, timestamp: T0 })).toThrow(/\(got NaN\)/);
    expect(() => f.update({ card: 'a', amount: Infinity, timestamp: T0 })).toThrow(/\(got Infinity\)/);
  });
});

describe('TransactionScorer on the synthetic stream (flagged synthetic)', () => {
  it('catches injected fraud without labels, explains it, and restores state from disk', async () => {
    const txs = generateTransactions({ cards: 300, days: 20, seed: 3 });
    const cut = Math.floor(txs.length * 0.7);
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(txs.slice(0, cut));
    const rest = txs.slice(cut);
    const dir = await mkdtemp(join(tmpdir(), 'fraud-scorer-'));
    try {
      await scorer.save(dir);
      const loaded = await TransactionScorer.load(dir);
      const ev = await scorer.evaluate(
        rest,
        rest.map((t) => t.label),
      );
      expect(ev.aucroc).toBeGreaterThan(0.95);
      const spike = rest.find((t) => t.pattern === 'amount-spike') ?? rest.find((t) => t.label === 1);
      expect(spike).toBeDefined();
      // The loaded scorer has the same card state as the trained one had at save time.
      const before = rest.slice(0, rest.indexOf(spike as never));
      await loaded.scoreAll(before);
      const s = await loaded.score(spike as never);
      expect(s.isFraud).toBe(true);
      expect(s.reasons.length).toBeGreaterThan(0);
      expect(s.reasons.map((r) => r.text).join(' ')).toMatch(/median|transactions|merchant|country|since/);
      loaded.dispose();
    } finally {
      scorer.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reason texts: a first transaction says so; gaps in s / min / h / days; history as a count', () => {
    const reason = (feature: string, share: number) => ({ feature, share, text: feature });
    const p = { score: 1, isFraud: true, reasons: [reason('log_seconds_since_last', 0.5), reason('card_history', 0.25)] };
    // On a first transaction both features say the same: one reason carrying both shares, ranked by it.
    const withAmount = { ...p, reasons: [reason('amount', 0.6), ...p.reasons] };
    const first = describeReasons(withAmount, { card_history: 0, log_seconds_since_last: Math.log1p(30 * 86400), amount: 5 }, {});
    expect(first.reasons.map((r) => [r.feature, r.share])).toEqual([
      ['log_seconds_since_last', 0.75],
      ['amount', 0.6],
    ]);
    expect(first.reasons[0]!.text).toBe('first transaction seen on this card (75% of the evidence)');
    const texts = (seconds: number, history: number): string[] =>
      describeReasons(p, { card_history: history, log_seconds_since_last: Math.log1p(seconds) }, {}).reasons.map((r) => r.text);
    expect(texts(42, 1)).toEqual([
      "42 s since this card's last transaction (50% of the evidence)",
      '1 earlier transaction on this card (25% of the evidence)',
    ]);
    expect(texts(7 * 60, 3)[0]).toMatch(/^7 min since/);
    expect(texts(7200, 3)[0]).toMatch(/^2\.0 h since/);
    expect(texts(3 * 86400, 10)).toEqual([
      "3.0 days since this card's last transaction (50% of the evidence)",
      '10 earlier transactions on this card (25% of the evidence)',
    ]);
  });

  it('calibrate picks the threshold on a later stretch by a rule and leaves the card state as it was', async () => {
    const txs = generateTransactions({ cards: 120, days: 12, seed: 9 });
    const cut = Math.floor(txs.length * 0.6);
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(txs.slice(0, cut));
    const held = txs.slice(cut);
    const stateBefore = JSON.stringify((scorer as unknown as { features: TransactionFeatures }).features.toState());
    const choice = await scorer.calibrate(
      held,
      { targetPrecision: 0.8 },
      held.map((t) => t.label),
    );
    expect(choice.precision).toBeGreaterThanOrEqual(0.8);
    expect(choice.recall).toBeGreaterThan(0.3);
    expect(scorer.threshold).toBe(choice.threshold);
    expect(JSON.stringify((scorer as unknown as { features: TransactionFeatures }).features.toState())).toBe(stateBefore);
    // The same stretch scored afterwards alerts exactly as the choice said.
    const scored = await scorer.scoreAll(held);
    expect(scored.filter((s) => s.isFraud).length).toBe(choice.alerts);
    // A budget needs no labels; a label rule without labels, or a bad transaction, is refused and changes nothing.
    expect((await scorer.calibrate(held, { topK: 20 })).alerts).toBeLessThanOrEqual(20);
    await expect(scorer.calibrate(held, { targetRecall: 0.5 })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(scorer.calibrate([{ ...held[0]!, amount: -1 }], { topK: 1 })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    scorer.dispose();
  });

  it("says, through the logger, when every timestamp looks like Unix seconds read as milliseconds; timeUnit: 's' scores them right", async () => {
    const txs = generateTransactions({ cards: 40, days: 5, seed: 8 });
    const inSeconds = txs.map((t) => ({ ...t, timestamp: Math.floor(new Date(t.timestamp).getTime() / 1000) }));
    const warn = vi.fn();
    const logger = { debug: () => {}, info: () => {}, warn };
    const asMs = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await asMs.train(inSeconds, { logger });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("timeUnit: 's'"), { field: 'timestamp' });
    warn.mockClear();
    await asMs.train(txs, { logger });
    expect(warn).not.toHaveBeenCalled();
    const asS = TransactionScorer.create({ detector: { detector: 'ecod' }, features: { timeUnit: 's' } });
    await asS.train(inSeconds, { logger });
    expect(warn).not.toHaveBeenCalled();
    // Read as seconds, the card features are the millisecond stream's (to the second the times were cut to).
    const reference = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await reference.train(txs.map((t) => ({ ...t, timestamp: Math.floor(new Date(t.timestamp).getTime() / 1000) * 1000 })));
    const next = { card: txs[0]!.card, amount: 50, timestamp: Math.floor(new Date(txs.at(-1)!.timestamp).getTime() / 1000) + 60 };
    const [a, b] = [await asS.score(next), await reference.score({ ...next, timestamp: next.timestamp * 1000 })];
    expect(a.features).toEqual(b.features);
    // Read as milliseconds, the same seconds put a day's transactions within 90 s: the windows differ.
    const asMsOnSeconds = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await asMsOnSeconds.train(inSeconds);
    expect((await asMsOnSeconds.score(next)).features).not.toEqual(b.features);
    asMsOnSeconds.dispose();
    // A scorer that learnt 2026 in milliseconds refuses those seconds (1970) rather than score them.
    await expect(asMs.score(next)).rejects.toMatchObject({ code: 'E_INPUT_INVALID', details: { reason: 'timestamp-off-clock' } });
    // And a seconds scorer refuses milliseconds (after the year 5000 as seconds).
    await expect(asS.score({ ...next, timestamp: next.timestamp * 1000 })).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      details: { reason: 'timestamp-off-clock' },
    });
    for (const s of [asMs, asS, reference]) s.dispose();
  });

  it('calls made without waiting are scored in call order, each seeing the ones before (a burst over Promise.all)', async () => {
    const txs = generateTransactions({ cards: 40, days: 5, seed: 8 });
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(txs);
    const t0 = Math.max(...txs.map((t) => new Date(t.timestamp).getTime())) + 86_400e3;
    const burst = Array.from({ length: 5 }, (_, i) => ({ card: 'burst-card', amount: 1, timestamp: t0 + i * 1000 }));
    const scored = await Promise.all(burst.map((tx) => scorer.score(tx)));
    expect(scored.map((s) => s.features.count_1h)).toEqual([0, 1, 2, 3, 4]);
    // A call that fails in between leaves the state as it was and does not block the next one.
    const bad = scorer.score({ card: 'burst-card', amount: NaN, timestamp: t0 + 5000 });
    const next = scorer.score({ card: 'burst-card', amount: 1, timestamp: t0 + 6000 });
    await expect(bad).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    expect((await next).features.count_1h).toBe(5);
    scorer.dispose();
  });

  it('saves detector and card state as one unit: a save that fails part-way leaves the previous one whole; a foreign directory is refused', async () => {
    const txs = generateTransactions({ cards: 60, days: 10, seed: 4 });
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(txs);
    const root = await mkdtemp(join(tmpdir(), 'fraud-scorer-atomic-'));
    const dir = join(root, 'scorer');
    const stringify = JSON.stringify.bind(JSON);
    const spy = vi.spyOn(JSON, 'stringify');
    try {
      await scorer.save(dir);
      const saved = scorer.threshold;
      scorer.setThreshold(saved + 1);
      // The detector bundle is written, then the card state fails to serialise.
      spy.mockImplementation((value: unknown, ...rest: unknown[]) => {
        if (value && typeof value === 'object' && 'state' in value && 'config' in value) throw new Error('disk full');
        return stringify(value, ...(rest as [never, never]));
      });
      await expect(scorer.save(dir)).rejects.toMatchObject({ code: 'E_IO' });
      spy.mockRestore();
      // A directory holding something else is refused, not replaced.
      const other = join(root, 'models');
      await mkdir(join(other, 'cards-v1'), { recursive: true });
      await writeFile(join(other, 'notes.txt'), 'keep');
      await expect(scorer.save(other)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
      expect((await readdir(other)).sort()).toEqual(['cards-v1', 'notes.txt']);
      const loaded = await TransactionScorer.load(dir);
      expect(loaded.threshold).toBe(saved); // the previous detector, beside its own card state
      loaded.dispose();
      expect((await readdir(root)).filter((name) => name.startsWith('.'))).toEqual([]); // no staging left
    } finally {
      spy.mockRestore();
      scorer.dispose();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('card state saved before the zero-median floor', () => {
  it('keeps the ratio of 1 its detector learnt for a card whose median is 0; a new state takes it against one cent', () => {
    const f = new TransactionFeatures();
    for (let i = 0; i < 4; i++) f.update({ card: 'z', amount: 0, timestamp: T0 + i * 60e3 });
    const state = f.toState();
    expect(state.version).toBe(2);
    const { version: _v, ...old } = state;
    const legacy = TransactionFeatures.fromState(old);
    expect(legacy.peek({ card: 'z', amount: 900, timestamp: T0 + 300e3 }).amount_vs_card_median).toBe(1);
    expect(legacy.toState().version).toBe(1); // saved again, it stays as it was learnt
    expect(TransactionFeatures.fromState(state).peek({ card: 'z', amount: 900, timestamp: T0 + 300e3 }).amount_vs_card_median).toBe(90_000);
    expect(() => TransactionFeatures.fromState({ ...state, version: 7 })).toThrow(expect.objectContaining({ code: 'E_BUNDLE_CORRUPT' }));
  });

  it('merchant and country are bounded like the card (≤ 256 characters: 32 of each are kept per card, and saved)', () => {
    const f = new TransactionFeatures();
    const tx = { card: 'c', amount: 5, timestamp: Date.UTC(2026, 0, 1) };
    for (const field of ['merchant', 'country'] as const) {
      expect(() => f.update({ ...tx, [field]: 'm'.repeat(256) })).not.toThrow();
      let caught: unknown;
      try {
        f.update({ ...tx, [field]: 'm'.repeat(257) });
      } catch (e) {
        caught = e;
      }
      expect(AppliedMLError.isInstance(caught) && caught.code).toBe('E_INPUT_INVALID');
      expect((caught as AppliedMLError).message).toBe(`Transaction field ${field} must be a string (≤ 256 chars); got 257 chars.`);
      expect((caught as AppliedMLError).details).toMatchObject({ field });
    }
  });

  it('the bound is exported from the package as MAX_ID_CHARS (a service bounds its schema by it) and is what checkTransaction holds card, merchant and country to', () => {
    expect(MAX_ID_CHARS).toBe(256);
    const tx = { card: 'c', amount: 5, timestamp: T0 };
    for (const field of ['card', 'merchant', 'country'] as const) {
      expect(() => checkTransaction({ ...tx, [field]: 'x'.repeat(MAX_ID_CHARS) })).not.toThrow();
      expect(() => checkTransaction({ ...tx, [field]: 'x'.repeat(MAX_ID_CHARS + 1) })).toThrow(
        expect.objectContaining({
          code: 'E_INPUT_INVALID',
          message: expect.stringContaining(`(≤ ${MAX_ID_CHARS} chars)`),
          details: { field },
        }),
      );
    }
  });

  it('the new-merchant / new-country flags at 0 are worded as flags, and as bought-before only when the card had history and the transaction named one', async () => {
    const flagged = (shares: Record<string, number>) => ({
      score: 1,
      isFraud: true,
      reasons: Object.entries(shares).map(([feature, share]) => ({
        feature,
        share,
        text: `${feature} = 0.00 (training median 0.00; ${share * 100}% of the evidence)`,
      })),
    });
    const p = flagged({ new_merchant: 0.3, new_country: 0.2 });
    const texts = (
      prediction: typeof p,
      row: Record<string, number>,
      tx: { card?: string; merchant?: string; country?: string },
    ): string[] => describeReasons(prediction, row, tx).reasons.map((r) => r.text);
    // Real rows: the flags are 0 in all three cases below.
    const f = new TransactionFeatures();
    const first = { card: 'c1', amount: 20, timestamp: T0, merchant: 'm-new', country: 'FR' };
    const firstRow = f.update(first);
    f.update({ card: 'c2', amount: 20, timestamp: T0, merchant: 'm1', country: 'FR' });
    const bare = { card: 'c2', amount: 25, timestamp: T0 + 3_600_000 };
    const bareRow = f.update(bare);
    const again = { card: 'c2', amount: 30, timestamp: T0 + 7_200_000, merchant: 'm1', country: 'FR' };
    const againRow = f.update(again);
    for (const row of [firstRow, bareRow, againRow]) expect([row.new_merchant, row.new_country]).toEqual([0, 0]);
    // The card had history and the transaction named a merchant and a country it had bought from.
    expect(texts(p, againRow, again)).toEqual([
      'a merchant this card has bought from before (30% of the evidence)',
      'a country this card has bought from before (20% of the evidence)',
    ]);
    // A card's first transaction, at a merchant and from a country never seen: nothing is known of the card
    // (one reason, as time-since-last and history are on a first transaction).
    expect(texts(p, firstRow, first)).toEqual(['first transaction seen on this card (50% of the evidence)']);
    expect(texts(flagged({ new_country: 0.4 }), firstRow, first)).toEqual(['first transaction seen on this card (40% of the evidence)']);
    expect(texts(flagged({ new_merchant: 0.3, card_history: 0.25, amount: 0.1 }), firstRow, first)).toEqual([
      'first transaction seen on this card (55% of the evidence)',
      'amount = 0.00 (training median 0.00; 10% of the evidence)',
    ]);
    // A transaction that gave no merchant / country.
    expect(texts(p, bareRow, bare)).toEqual(['no merchant given (30% of the evidence)', 'no country given (20% of the evidence)']);
    expect(texts(p, bareRow, { merchant: 'm1' })).toEqual([
      'a merchant this card has bought from before (30% of the evidence)',
      'no country given (20% of the evidence)',
    ]);

    // The scorer words them from the transaction it scored, one at a time and in a batch.
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    try {
      await scorer.train(generateTransactions({ cards: 10, days: 2, seed: 3 }));
      // Its detector answers these reasons, whatever the row (the wording is what is tested here).
      const detector = (scorer as unknown as { detector: { predict: () => unknown; predictBatch: (rows: unknown[]) => unknown } }).detector;
      vi.spyOn(detector, 'predict').mockResolvedValue(p);
      vi.spyOn(detector, 'predictBatch').mockImplementation(async (rows) => rows.map(() => p));
      const t = Date.UTC(2026, 10, 1);
      const card = { card: 'fresh', amount: 20, timestamp: t, merchant: 'm-new', country: 'FR' };
      expect((await scorer.score(card, { remember: false })).reasons.map((r) => r.text)).toEqual([
        'first transaction seen on this card (50% of the evidence)',
      ]);
      const batch = await scorer.scoreAll([
        card,
        { card: 'fresh', amount: 25, timestamp: t + 60_000 },
        { card: 'fresh', amount: 30, timestamp: t + 120_000, merchant: 'm-new', country: 'FR' },
      ]);
      expect(batch.map((s) => s.reasons.map((r) => r.text))).toEqual([
        ['first transaction seen on this card (50% of the evidence)'],
        ['no merchant given (30% of the evidence)', 'no country given (20% of the evidence)'],
        [
          'a merchant this card has bought from before (30% of the evidence)',
          'a country this card has bought from before (20% of the evidence)',
        ],
      ]);
    } finally {
      scorer.dispose();
    }
  });
});
