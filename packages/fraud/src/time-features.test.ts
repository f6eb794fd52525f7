import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppliedMLError, createRng } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { FraudDetector } from './detector';
import { Preprocessor, type PreprocessorState } from './tabular';

const BASE = Date.UTC(2026, 8, 1);
const HOUR = 3_600_000;

/** Records with a lognormal amount, a 3-level channel and a time from `at` (uniform over 30 days by default). */
function records(n: number, seed: number, at?: (rng: { next(): number }) => number): Array<Record<string, unknown>> {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(rng.next() + 1e-12)) * Math.cos(2 * Math.PI * rng.next());
    return {
      amount: Math.round(Math.exp(3.5 + 0.8 * z) * 100) / 100,
      channel: ['web', 'pos', 'app'][rng.nextInt(3)],
      timestamp: new Date(at ? at(rng) : BASE + Math.floor(rng.next() * 30 * 86_400) * 1000).toISOString(),
    };
  });
}

/** Minutes from the nearest of 00:00, 06:00, 12:00, 18:00 UTC: the ends of an hour's sine and cosine. */
function nearQuarterDay(iso: unknown): boolean {
  const d = new Date(iso as string);
  const r = (d.getUTCHours() * 60 + d.getUTCMinutes()) % 360;
  return Math.min(r, 360 - r) <= 15;
}

async function caught(p: Promise<unknown> | (() => unknown)): Promise<AppliedMLError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (AppliedMLError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a typed error');
}

describe('time of day for the unsupervised detectors: how rare the hour was, not where it sits on the clock', () => {
  it('uniform hours: no alert near 00/06/12/18 UTC more than elsewhere, none blamed on the time', async () => {
    const train = records(6000, 1);
    const test = records(6000, 2);
    for (const detector of ['ecod', 'ensemble'] as const) {
      const m = FraudDetector.create({ detector, contamination: 0.02 });
      await m.train(train);
      expect(m.featureNames).toEqual([
        'amount',
        'channel=app',
        'channel=pos',
        'channel=web',
        'timestamp:hour_rarity',
        'timestamp:weekday_rarity',
      ]);
      const preds = await m.predictBatch(test);
      let near = 0;
      let nearAlerts = 0;
      let alerts = 0;
      test.forEach((t, i) => {
        const p = preds[i]!;
        if (p.isFraud) alerts++;
        if (nearQuarterDay(t.timestamp)) {
          near++;
          if (p.isFraud) nearAlerts++;
        }
        expect(p.reasons.some((r) => r.feature === 'timestamp')).toBe(false);
      });
      // With sin / cos, ECOD flagged 13 % of these rows (0.9 % elsewhere).
      expect(nearAlerts / near).toBeLessThan(Math.max(0.04, (2 * alerts) / test.length));
    }
  });

  it('a rare hour is evidence, and the reason says how rare', async () => {
    // Training: 08:00–20:00 UTC only, every day.
    const daytime = (rng: { next(): number }): number =>
      BASE + Math.floor(rng.next() * 30) * 86_400_000 + Math.floor((8 + 12 * rng.next()) * HOUR);
    const m = FraudDetector.create({ detector: 'ecod', contamination: 0.02 });
    await m.train(records(3000, 3, daytime));
    const [night, day] = await m.predictBatch([
      { amount: 33, channel: 'web', timestamp: '2026-10-07T03:10:00Z' },
      { amount: 33, channel: 'web', timestamp: '2026-10-07T13:10:00Z' },
    ]);
    expect(night!.score).toBeGreaterThan(day!.score);
    expect(night!.reasons[0]!.feature).toBe('timestamp');
    expect(night!.reasons[0]!.text).toMatch(
      /^timestamp at 03:10 UTC on a Wednesday: 0% of training transactions in that hour \(\d+% of the evidence\)$/,
    );
    expect(day!.reasons.some((r) => r.feature === 'timestamp')).toBe(false);
  });

  it('a rare weekday at a common hour: the reason names the weekday only', async () => {
    // Training: any hour, Monday to Friday (2026-09-07 is a Monday).
    const weekdays = (rng: { next(): number }): number =>
      Date.UTC(2026, 8, 7) +
      (Math.floor(rng.next() * 4) * 7 + Math.floor(rng.next() * 5)) * 86_400_000 +
      Math.floor(rng.next() * 24 * HOUR);
    const m = FraudDetector.create({ detector: 'ecod', contamination: 0.02 });
    await m.train(records(3000, 7, weekdays));
    const [sunday] = await m.predictBatch([{ amount: 33, channel: 'web', timestamp: '2026-10-04T13:00:00Z' }]);
    expect(sunday!.reasons[0]!.text).toMatch(
      /^timestamp at 13:00 UTC on a Sunday: 0% of training transactions on Sundays \(\d+% of the evidence\)$/,
    );
  });

  it('train on one day, score the next: about the contamination in alerts, not all of them, and one warning', async () => {
    // 2026-09-01 is a Tuesday. Before, every Wednesday row was an alert: 'on Wednesdays: 0%'.
    const tuesday = Date.UTC(2026, 8, 1);
    const train = records(3000, 8, (rng) => tuesday + Math.floor(rng.next() * 86_400_000));
    const next = records(3000, 9, (rng) => tuesday + 86_400_000 + Math.floor(rng.next() * 86_400_000));
    for (const detector of ['ecod', 'ensemble'] as const) {
      const warnings: string[] = [];
      const logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (m: string) => void warnings.push(m) };
      const m = FraudDetector.create({ detector, contamination: 0.02 });
      await m.train(train, { logger });
      expect(warnings.filter((w) => w.startsWith("Field 'timestamp'"))).toEqual([
        expect.stringMatching(
          /^Field 'timestamp': the training times fall on 1 UTC day and in 24 UTC clock hours \(first to last 2\d\.\d hours; the middle 98 % touch 1 day, 2\d clock hours\), so neither the hour nor the weekday is used as evidence: /,
        ),
      ]);
      const preds = await m.predictBatch(next);
      const alerts = preds.filter((p) => p.isFraud).length / preds.length;
      expect(alerts).toBeLessThan(0.05);
      expect(preds.some((p) => p.reasons.some((r) => r.feature === 'timestamp'))).toBe(false);
    }
  });

  it('the hour counts from 48 distinct UTC clock hours of training times, the weekday from 14 distinct UTC days (a stray old record adds one)', () => {
    const day = 86_400_000;
    const over = (days: number) => (rng: { next(): number }) => BASE + Math.floor(rng.next() * days * day);
    const flags = (rows: Array<Record<string, unknown>>): unknown => {
      const c = Preprocessor.fit(rows, {}, 'rarity').state.columns.find((x) => x.kind === 'timestamp');
      return c && c.kind === 'timestamp' ? [c.hourRarity, c.weekdayRarity] : undefined;
    };
    expect(flags(records(2000, 10, over(3)))).toEqual([true, false]);
    expect(flags(records(2000, 11, over(14)))).toEqual([true, true]);
    expect(flags(records(2000, 12, over(1)))).toEqual([false, false]);
    // One day of times and one record a month earlier: still one day.
    const stray = records(2000, 13, over(1));
    stray[0]!.timestamp = new Date(BASE - 30 * day).toISOString();
    expect(flags(stray)).toEqual([false, false]);
    // A weekday training never saw over 3 weeks (closed on Sundays) is still evidence.
    const closedSundays = records(3000, 14, over(21)).filter((r) => new Date(r.timestamp as string).getUTCDay() !== 0);
    const pre = Preprocessor.fit(closedSundays, {}, 'rarity');
    const [sunday] = Array.from(pre.transform([{ amount: 33, channel: 'web', timestamp: '2026-09-27T13:00:00Z' }]).data).slice(-1);
    expect(sunday).toBeGreaterThan(1);
  });

  it('a stray old record in a small training set adds one day, not its distance: both rarities stay off, one warning', async () => {
    // 39522fd measured first to last of the middle 98 %; under ~100 rows that trim dropped nothing, so one
    // record 60 days back made one day look like 60: both on, and the next day was ~98 % alerts ('on Wednesdays: 0%').
    const day = 86_400_000;
    const oneDay = (rng: { next(): number }): number => BASE + Math.floor(rng.next() * day);
    const next = records(1000, 9, (rng) => BASE + day + Math.floor(rng.next() * day));
    for (const n of [20, 60]) {
      const train = records(n, 8, oneDay);
      train[0]!.timestamp = new Date(BASE - 60 * day).toISOString();
      const warnings: string[] = [];
      const logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (m: string) => void warnings.push(m) };
      const m = FraudDetector.create({ detector: 'ecod', contamination: 0.02 });
      const report = await m.train(train, { logger });
      const preds = await m.predictBatch(next);
      expect(preds.filter((p) => p.reasons[0]?.feature === 'timestamp')).toEqual([]);
      // Before: ~98 % (60 rows). 20 training rows give a rough threshold (~10 %), not the time.
      expect(preds.filter((p) => p.isFraud).length / preds.length).toBeLessThan(0.2);
      expect(warnings.filter((w) => w.startsWith("Field 'timestamp'"))).toEqual([
        expect.stringMatching(
          /^Field 'timestamp': the training times fall on 2 UTC days and in \d+ UTC clock hours \(first to last 6\d\.\d days; the middle 98 % touch 1 day, \d+ clock hours\), so neither the hour nor the weekday is used as evidence: /,
        ),
      ]);
      expect(report.timeFeatures).toEqual([
        { field: 'timestamp', hourRarity: false, weekdayRarity: false, days: 2, clockHours: expect.any(Number) },
      ]);
      expect(report.timeFeatures?.[0]?.clockHours).toBeLessThanOrEqual(25);
    }
  });

  it('a few back-dated records on 13 earlier days beside one day of times: rarities off (distinct days alone were 14: 100 % alerts)', async () => {
    const day = 86_400_000;
    const next = records(1000, 9, (rng) => BASE + day + Math.floor(rng.next() * day));
    const train = records(3000, 8, (rng) => BASE + Math.floor(rng.next() * day));
    // Late-posted records, one from each of the 13 days before (0.43 % of the rows).
    for (let k = 1; k <= 13; k++) train[k]!.timestamp = new Date(BASE - k * day + 12 * 3_600_000).toISOString();
    const warnings: string[] = [];
    const logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (m: string) => void warnings.push(m) };
    const m = FraudDetector.create({ detector: 'ecod', contamination: 0.02 });
    const report = await m.train(train, { logger });
    expect(report.timeFeatures).toEqual([
      { field: 'timestamp', hourRarity: false, weekdayRarity: false, days: 14, clockHours: expect.any(Number) },
    ]);
    const preds = await m.predictBatch(next);
    expect(preds.filter((p) => p.reasons[0]?.feature === 'timestamp')).toEqual([]);
    expect(preds.filter((p) => p.isFraud).length / preds.length).toBeLessThan(0.1);
    expect(warnings.filter((w) => w.startsWith("Field 'timestamp'"))).toHaveLength(1);
    m.dispose();
  });

  it('2-13 days of training times: the warning says the hour is used and the weekday is not; the report says so too', async () => {
    const day = 86_400_000;
    const warnings: string[] = [];
    const logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (m: string) => void warnings.push(m) };
    const m = FraudDetector.create({ detector: 'ecod' });
    const report = await m.train(
      records(2000, 3, (rng) => BASE + Math.floor(rng.next() * 10 * day)),
      { logger },
    );
    expect(report.timeFeatures).toEqual([{ field: 'timestamp', hourRarity: true, weekdayRarity: false, days: 10, clockHours: 240 }]);
    expect(warnings.filter((w) => w.startsWith("Field 'timestamp'"))).toEqual([
      "Field 'timestamp': the training times fall on 10 UTC days and in 240 UTC clock hours (first to last 10.0 days; the middle 98 % touch 10 days, 236 clock hours), so the hour is used as evidence but the weekday is not: " +
        'a weekday needs training times on 14 distinct days with the middle 98 % of them touching 14 days, and an hour the same with 48 clock hours, or every later time on a weekday (an hour) training never covered would be an alert. ' +
        'Train on a longer history to use them.',
    ]);
  });

  it("the training report's timeFeatures: a retrain on a longer history shows the weekday switched on; none for gbt", async () => {
    const day = 86_400_000;
    const over = (days: number) => (rng: { next(): number }) => BASE + Math.floor(rng.next() * days * day);
    const m = FraudDetector.create({ detector: 'ensemble', preprocess: { schema: { at: 'timestamp', timestamp: 'timestamp' } } });
    const rows = (days: number): Array<Record<string, unknown>> =>
      records(1500, days, over(days)).map((r, i) => ({ ...r, at: new Date(BASE + i * 60_000).toISOString() }));
    const first = await m.train(rows(10));
    expect(first.timeFeatures?.map((t) => [t.field, t.hourRarity, t.weekdayRarity])).toEqual([
      ['timestamp', true, false],
      ['at', false, false],
    ]);
    const again = await m.train(rows(21));
    expect(again.timeFeatures?.map((t) => [t.field, t.hourRarity, t.weekdayRarity, t.days])).toEqual([
      ['timestamp', true, true, 21],
      ['at', false, false, 2],
    ]);
    // Without a timestamp: an empty list; supervised detectors keep the sin / cos: no timeFeatures.
    const plain = await FraudDetector.create({ detector: 'ecod' }).train(records(200, 5).map(({ timestamp: _t, ...r }) => r));
    expect(plain.timeFeatures).toEqual([]);
    const train = records(400, 4);
    const gbt = await FraudDetector.create({ detector: 'gbt' }).train(train, { labels: train.map((_, i) => (i % 10 === 0 ? 1 : 0)) });
    expect(gbt.timeFeatures).toBeUndefined();
  });

  it("a bundle saved under 39522fd's span rule scores exactly as saved (its hourRarity / weekdayRarity are not decided again)", async () => {
    // Made by .scratch/s20/fraud-writer-4/make-span-fixture.mts on the code of e574cf7: ECOD on 60 rows of one
    // day plus one record 60 days back, which that rule saved with both rarities on.
    const fixtures = join(__dirname, '__fixtures__');
    const expected = JSON.parse(await readFile(join(fixtures, 'ecod-rarity-stray-span.expected.json'), 'utf8')) as {
      records: Array<Record<string, unknown>>;
      scores: number[];
      isFraud: boolean[];
      reasons: string[][];
    };
    const m = await FraudDetector.load(join(fixtures, 'ecod-rarity-stray-span'));
    const preds = await m.predictBatch(expected.records);
    expect(preds.map((p) => p.score)).toEqual(expected.scores);
    expect(preds.map((p) => p.isFraud)).toEqual(expected.isFraud);
    expect(preds.map((p) => p.reasons.map((r) => r.text))).toEqual(expected.reasons);
  });

  it('a rarity bundle saved before the 2 / 14-day rule (no hourRarity / weekdayRarity) scores exactly as it did', async () => {
    // Made by .scratch/s20/fraud-writer-2/make-rarity-fixture.mts on the code of a49f09c: ECOD on one day.
    const fixtures = join(__dirname, '__fixtures__');
    const expected = JSON.parse(await readFile(join(fixtures, 'ecod-rarity-one-day.expected.json'), 'utf8')) as {
      records: Array<Record<string, unknown>>;
      scores: number[];
      isFraud: boolean[];
      reasons: string[][];
    };
    const m = await FraudDetector.load(join(fixtures, 'ecod-rarity-one-day'));
    const preds = await m.predictBatch(expected.records);
    expect(preds.map((p) => p.score)).toEqual(expected.scores);
    expect(preds.map((p) => p.isFraud)).toEqual(expected.isFraud);
    expect(preds.map((p) => p.reasons.map((r) => r.text))).toEqual(expected.reasons);
  });

  it('supervised detectors keep the hour sine / cosine and weekend flag', async () => {
    const train = records(400, 4);
    const labels = train.map((_, i) => (i % 10 === 0 ? 1 : 0));
    const m = FraudDetector.create({ detector: 'gbt' });
    await m.train(train, { labels });
    expect(m.featureNames.slice(-3)).toEqual(['timestamp:hour_sin', 'timestamp:hour_cos', 'timestamp:weekend']);
  });

  it('a bundle saved before the encoding was stored loads and scores exactly as it did (sin / cos)', async () => {
    const fixtures = join(__dirname, '__fixtures__');
    const expected = JSON.parse(await readFile(join(fixtures, 'ecod-timestamp-v1.expected.json'), 'utf8')) as {
      records: Array<Record<string, unknown>>;
      scores: number[];
      reasons: string[][];
    };
    const m = await FraudDetector.load(join(fixtures, 'ecod-timestamp-v1'));
    expect(m.featureNames.slice(-3)).toEqual(['timestamp:hour_sin', 'timestamp:hour_cos', 'timestamp:weekend']);
    const preds = await m.predictBatch(expected.records);
    expect(preds.map((p) => p.score)).toEqual(expected.scores);
    expect(preds.map((p) => p.reasons.map((r) => r.text))).toEqual(expected.reasons);
  });

  it('a saved rarity encoding round-trips, and malformed counts are E_BUNDLE_CORRUPT', () => {
    const pre = Preprocessor.fit(records(200, 5), {}, 'rarity');
    const state = JSON.parse(JSON.stringify(pre.state)) as PreprocessorState;
    const again = Preprocessor.fromState(state);
    const probe = records(20, 6);
    expect(Array.from(again.transform(probe).data)).toEqual(Array.from(pre.transform(probe).data));
    const col = (s: PreprocessorState): Record<string, unknown> =>
      s.columns.find((c) => c.kind === 'timestamp') as unknown as Record<string, unknown>;
    for (const edit of [
      (c: Record<string, unknown>) => (c.encoding = 'spiral'),
      (c: Record<string, unknown>) => (c.hourCounts = (c.hourCounts as number[]).slice(1)),
      (c: Record<string, unknown>) => (c.weekdayCounts = [1, 2, 3, 4, 5, 6, -7]),
      (c: Record<string, unknown>) => delete c.hourCounts,
      (c: Record<string, unknown>) => (c.weekdayRarity = 'yes'),
    ]) {
      const bad = JSON.parse(JSON.stringify(pre.state)) as PreprocessorState;
      edit(col(bad));
      let code: string | undefined;
      try {
        Preprocessor.fromState(bad);
      } catch (e) {
        code = AppliedMLError.isInstance(e) ? e.code : 'untyped';
      }
      expect(code).toBe('E_BUNDLE_CORRUPT');
    }
  });
});

describe('a time field with a few values of another kind is refused, naming the row', () => {
  const base = Date.UTC(2026, 9, 5);
  const ms = Array.from({ length: 2000 }, (_, i) => ({ amount: 20 + (i % 50), timestamp: base + i * 300_000 }));
  const poisoned = (value: unknown, field = 'timestamp'): Array<Record<string, unknown>> =>
    ms.map((r, i) => {
      const { timestamp, ...rest } = r;
      return { ...rest, [field]: i === 17 ? value : timestamp };
    });

  it.each([
    ['0', 0],
    ['-1', -1],
    ['Unix seconds among milliseconds', Math.floor(base / 1000)],
    ['the text "0"', '0'],
  ])('epoch milliseconds with one %s', async (_, value) => {
    const e = await caught(FraudDetector.create({ detector: 'ecod' }).train(poisoned(value)));
    expect(e.code).toBe('E_INPUT_INVALID');
    expect(e.message).toContain("field 'timestamp' holds epoch milliseconds in 1999 of 2000 rows, but row 17 holds");
    expect(e.details).toMatchObject({ row: 17, field: 'timestamp' });
  });

  it('the same in a createdAt field, and a declared schema still wins', () => {
    const e = (() => {
      try {
        Preprocessor.fit(poisoned(-1, 'createdAt'));
      } catch (err) {
        return err as AppliedMLError;
      }
      return undefined;
    })();
    expect(e?.details).toMatchObject({ row: 17, field: 'createdAt' });
    expect(Preprocessor.fit(poisoned(-1), { schema: { timestamp: 'numeric' } }).state.columns[1]?.kind).toBe('numeric');
  });

  it('ISO times with one "N/A", or ISO with one stray number, are refused; ISO beside epoch milliseconds is one timestamp field', async () => {
    const iso = ms.map((r) => ({ ...r, timestamp: new Date(r.timestamp).toISOString() }));
    const na = iso.map((r, i) => (i === 5 ? { ...r, timestamp: 'N/A' } : r));
    const e = await caught(() => Preprocessor.fit(na));
    expect(e.message).toContain(`field 'timestamp' holds dates in 1999 of 2000 rows, but row 5 holds "N/A"`);
    expect(e.details).toMatchObject({ row: 5, field: 'timestamp' });
    expect(e.message).toContain(`schema: { 'timestamp': 'categorical' } } if it is not a time.`);
    const stray = iso.map((r, i) => (i === 9 ? { ...r, timestamp: 0 } : r));
    expect((await caught(() => Preprocessor.fit(stray))).details).toMatchObject({ row: 9, field: 'timestamp' });
    // Two exporters: half ISO, half epoch ms. The same times, the same features.
    const mixed = iso.map((r, i) => (i % 2 ? { ...r, timestamp: ms[i]!.timestamp } : r));
    const pre = Preprocessor.fit(mixed);
    expect(pre.state.columns[1]).toMatchObject({ kind: 'timestamp', unit: 'ms' });
    expect(Array.from(pre.transform(mixed).data)).toEqual(Array.from(Preprocessor.fit(iso).transform(iso).data));
  });
});

describe('epoch numbers of real times before 2001 (accounts opened in 1999)', () => {
  const base = Date.UTC(2026, 9, 5);
  // 5 % of the accounts opened in 1999 (930000000 s is 1999-06-21), the rest from 2026.
  const accounts = (unit: 's' | 'ms'): Array<Record<string, unknown>> =>
    Array.from({ length: 2000 }, (_, i) => {
      const t = i % 20 === 0 ? 930_000_000_000 + i * 3_600_000 : base + i * 300_000;
      return { amount: 20 + (i % 50), account_created_at: unit === 's' ? t / 1000 : t };
    });

  it.each([
    ['seconds', 's', '930000000', ` (its numbers are then read as seconds, back to 1973; timeUnit: 's' says so for every timestamp field)`],
    ['milliseconds', 'ms', '930000000000', ''],
  ] as const)(
    'in epoch %s: refused saying they are early times and which declaration reads them; declared, they train',
    async (name, unit, held, hint) => {
      const rows = accounts(unit);
      const e = await caught(FraudDetector.create({ detector: 'ecod' }).train(rows));
      expect(e.code).toBe('E_INPUT_INVALID');
      expect(e.message).toBe(
        `training data: field 'account_created_at' holds epoch ${name} in 1900 of 2000 rows and earlier times in the others: row 0 holds ${held}, 1999-06-21 in epoch ${name}, before the 2001–2286 range read without a declaration. ` +
          `If these are times, declare the field with preprocess: { schema: { 'account_created_at': 'timestamp' } }${hint}; if not, declare it 'numeric'.`,
      );
      expect(e.details).toMatchObject({ row: 0, field: 'account_created_at', reason: 'time-field-early' });
      // The declaration the message gives, and nothing else, reads them as the times they are.
      const pre = Preprocessor.fit(rows, { schema: { account_created_at: 'timestamp' } }, 'rarity');
      expect(pre.state.columns[1]).toMatchObject({ kind: 'timestamp', unit, range: [930_000_000_000, base + 1999 * 300_000] });
      const m = FraudDetector.create({ detector: 'ecod', preprocess: { schema: { account_created_at: 'timestamp' } } });
      await m.train(rows);
      const [p] = await m.predictBatch([rows[40]!]);
      expect(Number.isFinite(p!.score)).toBe(true);
    },
  );

  it('an early time beside a 0 still names the 0', async () => {
    const rows = accounts('s').map((r, i) => (i === 33 ? { ...r, account_created_at: 0 } : r));
    const e = await caught(() => Preprocessor.fit(rows));
    expect(e.details).toMatchObject({ row: 33, reason: 'time-field-mixed' });
    expect(e.message).toContain('but row 33 holds 0.');
  });
});

describe('record fields that are not strings, numbers, booleans or Dates', () => {
  const train = Array.from({ length: 60 }, (_, i) => ({ amount: 10 + i, channel: ['web', 'pos', 'app'][i % 3] }));

  it.each([
    ['an array', ['web'], 'an array (["web"])'],
    ['an object', { a: 1 }, 'an object ({"a":1})'],
    ['a function', () => 1, 'a function'],
  ])('%s is refused at training and at scoring, naming the row and field', async (_, value, shownAs) => {
    const bad = train.map((r, i) => (i === 4 ? { ...r, channel: value } : r));
    const e = await caught(FraudDetector.create({ detector: 'ecod' }).train(bad));
    expect(e.code).toBe('E_INPUT_INVALID');
    expect(e.message).toContain(`training data: row 4, field 'channel' holds ${shownAs}`);
    expect(e.details).toMatchObject({ row: 4, field: 'channel' });
    const m = FraudDetector.create({ detector: 'ecod', preprocess: { unknownCategory: 'error' } });
    await m.train(train);
    const s = await caught(m.predictBatch([train[0]!, { amount: 12, channel: value }]));
    expect(s.code).toBe('E_INPUT_INVALID');
    expect(s.message).toContain(`input: row 1, field 'channel' holds ${shownAs}`);
    const n = await caught(m.predictBatch([{ amount: value, channel: 'web' }]));
    expect(n.details).toMatchObject({ row: 0, field: 'amount' });
  });

  it('strings, numbers, booleans, Dates and missing values still pass', async () => {
    const m = FraudDetector.create({ detector: 'ecod' });
    await m.train(train.map((r, i) => ({ ...r, flag: i % 2 === 0, note: i % 5 === 0 ? null : 'x' })));
    const [p] = await m.predictBatch([{ amount: 12, channel: 'web', flag: true, note: undefined }]);
    expect(Number.isFinite(p!.score)).toBe(true);
  });

  it('a field named like a time that is not read as one is told to the logger (unless the schema declared it)', async () => {
    const warnings: string[] = [];
    const logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (m: string) => void warnings.push(m) };
    const rows = Array.from({ length: 300 }, (_, i) => ({
      amount: 10 + (i % 37),
      ts: i * 60, // seconds since the start of a session, not an epoch
      created_at: ['today', 'yesterday', 'last week'][i % 3],
      timestamp: Date.UTC(2026, 0, 5) + i * 600_000,
    }));
    await FraudDetector.create({ detector: 'ecod' }).train(rows, { logger });
    expect(warnings.filter((w) => w.includes('named like a time'))).toEqual([
      expect.stringMatching(/^Field 'ts' is named like a time but is read as a number: .*schema: \{ 'ts': 'timestamp' \}/),
      expect.stringMatching(/^Field 'created_at' is named like a time but is read as categories/),
    ]);
    warnings.length = 0;
    await FraudDetector.create({ detector: 'ecod', preprocess: { schema: { ts: 'numeric', created_at: 'categorical' } } }).train(rows, {
      logger,
    });
    expect(warnings.filter((w) => w.includes('named like a time'))).toEqual([]);
  });
});
