import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clockAt } from './features';
import { IncidentMonitor } from './incident-monitor';
import { TrafficForecaster } from './forecaster';
import { readSeriesCsv } from './read-csv';
import { createSeries, splitSeries } from './series';
import { expectCode } from './test-helpers';
import { checkTimeZone, instantOfWall, localWallMs } from './time-zone';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const LA = 'America/Los_Angeles';
const pad = (v: number): string => String(v).padStart(2, '0');
const wallText = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:00`;
};

/** Speeds with a morning dip at 08:00 on the local clock (weekdays), every 15 min, over `days` from local midnight `startWall`. */
function localExport(startWall: number, days: number, withOffset: boolean): string {
  let t = instantOfWall(LA, startWall)!;
  const end = t + days * 86_400_000;
  const rows: string[] = ['time,a'];
  for (; t < end; t += 900_000) {
    const wall = localWallMs(LA, t);
    const hour = (wall % 86_400_000) / 3_600_000;
    const weekday = new Date(wall).getUTCDay();
    const dip = weekday === 0 || weekday === 6 ? 0 : 35 * Math.exp(-((hour - 8) ** 2) / 0.3);
    const offset = (wall - t) / 3_600_000;
    const text = withOffset ? `${wallText(wall)}-${pad(-offset)}:00` : wallText(wall);
    rows.push(`${text},${(62 - dip).toFixed(2)}`);
  }
  return `${rows.join('\n')}\n`;
}

describe('time zones', () => {
  it('reads a local-time export across the autumn clock change (the repeated hour in file order) onto a regular grid', async () => {
    const csv = localExport(Date.UTC(2026, 9, 31), 2, false); // 31 Oct and 1 Nov 2026: 01:00–01:59 happens twice on 1 Nov
    expect(csv.match(/2026-11-01T01:30:00/g)).toHaveLength(2);
    await expectCode(() => readSeriesCsv(bytes(csv), { intervalMinutes: 15, timestampColumn: 'time' }), 'E_INPUT_INVALID');
    const s = await readSeriesCsv(bytes(csv), { intervalMinutes: 15, timestampColumn: 'time', timeZone: LA });
    expect(s.timeZone).toBe(LA);
    expect(s.steps).toBe(2 * 96); // 48 hours of real time, steps of 15 min, none doubled or lost
    expect(Array.from(s.values).every(Number.isFinite)).toBe(true);
    // The step at 08:00 local on 1 Nov reads 08:00 on the series' clock.
    const eight = (instantOfWall(LA, Date.UTC(2026, 10, 1, 8))! - s.start!) / 900_000;
    expect(clockAt(s.start, 15, eight, s.timeZone)!.dayFraction).toBeCloseTo(8 / 24, 9);
    expect(clockAt(s.start, 15, eight)!.dayFraction).toBeCloseTo(16 / 24, 9); // UTC fields: 16:00
  });

  it('a time the clocks skip, an unknown zone and a series read on another clock are typed errors', async () => {
    const skipped = await expectCode(
      () =>
        readSeriesCsv(bytes('time,a\n2026-03-08T01:45:00,1\n2026-03-08T02:30:00,2\n'), {
          intervalMinutes: 15,
          timestampColumn: 'time',
          timeZone: LA,
        }),
      'E_INPUT_INVALID',
    );
    expect(skipped.details.reason).toBe('time-skipped-by-clock-change');
    await expectCode(
      () =>
        readSeriesCsv(bytes('time,a\n2026-03-08T01:45:00,1\n'), { intervalMinutes: 15, timestampColumn: 'time', timeZone: 'Mars/Olympus' }),
      'E_INPUT_INVALID',
    );
    expect(checkTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(() => createSeries({ values: [[1]], intervalMinutes: 5, start: '2026-01-01T00:00', timeZone: '' })).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID' }),
    );
    // A start without an offset is local time in the series' zone; one with an offset (date-only too) is that instant.
    const startOf = (start: string): number | null => createSeries({ values: [[1]], intervalMinutes: 5, start, timeZone: LA }).start;
    expect(startOf('2026-01-01T00:00')).toBe(Date.UTC(2026, 0, 1, 8));
    expect(startOf('2026-01-01')).toBe(Date.UTC(2026, 0, 1, 8));
    expect(startOf('2026-01-01Z')).toBe(Date.UTC(2026, 0, 1));
    expect(startOf('2026-01-01+01:00')).toBe(Date.UTC(2025, 11, 31, 23));
    expect(startOf('2026-01-01T00:00-05:00')).toBe(Date.UTC(2026, 0, 1, 5));
    // St John's changed its clocks at 00:01 local (03:31 UTC) in 2008: the minutes after the change exist.
    const stJohns = await readSeriesCsv(bytes('time,a\n2008-03-09T00:00:00,1\n2008-03-09T01:05:00,2\n2008-03-09T01:10:00,3\n'), {
      intervalMinutes: 5,
      timestampColumn: 'time',
      timeZone: 'America/St_Johns',
    });
    expect(stJohns.steps).toBe(3); // 00:00 NST, then 01:05 NDT is 00:05 NST: one step on
    expect(stJohns.start).toBe(Date.UTC(2008, 2, 9, 3, 30));
  });

  it('on the local clock the historical average keeps rush hour at 08:00 after the change; on UTC fields it is an hour off', async () => {
    const start = Date.UTC(2026, 9, 19); // three weeks from Monday 19 Oct: the change (Sunday 1 Nov) starts the test week
    const local = await readSeriesCsv(bytes(localExport(start, 21, false)), { intervalMinutes: 15, timestampColumn: 'time', timeZone: LA });
    const utc = await readSeriesCsv(bytes(localExport(start, 21, true)), { intervalMinutes: 15, timestampColumn: 'time' });
    expect(utc.steps).toBe(local.steps);
    const rmse = async (series: typeof local): Promise<number> => {
      const { train } = splitSeries(series, 0.66);
      const model = TrafficForecaster.create({ model: 'historical-average', inputSteps: 4, horizons: [4] });
      await model.train(train);
      const { horizons } = await model.evaluate(series, { fromStep: train.steps });
      model.dispose();
      return horizons[0]!.rmse;
    };
    const [onLocal, onUtc] = [await rmse(local), await rmse(utc)];
    expect(onLocal).toBeLessThan(0.5);
    expect(onUtc).toBeGreaterThan(3 * onLocal + 1);
    // The model keeps its clock: a series on another clock is refused, the zone survives save → load in the bundle.
    const model = TrafficForecaster.create({ model: 'historical-average', inputSteps: 4, horizons: [4] });
    await model.train(local);
    expect(model.timeZone).toBe(LA);
    await expectCode(() => model.evaluate(utc), 'E_INPUT_INVALID');
    const dir = await mkdtemp(join(tmpdir(), 'traffic-tz-'));
    try {
      await model.save(join(dir, 'm'));
      const loaded = await TrafficForecaster.load(join(dir, 'm'));
      expect(loaded.timeZone).toBe(LA);
      expect((await loaded.evaluate(local, { fromStep: 1000 })).horizons).toEqual(
        (await model.evaluate(local, { fromStep: 1000 })).horizons,
      );
      loaded.dispose();
      const file = join(dir, 'm', 'manifest.json');
      const manifest = JSON.parse(await readFile(file, 'utf8'));
      delete manifest.manifestSha256;
      manifest.preprocessing.timeZone = 'Mars/Olympus';
      await writeFile(file, JSON.stringify(manifest));
      await expectCode(() => TrafficForecaster.load(join(dir, 'm')), 'E_BUNDLE_CORRUPT');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    model.dispose();
  });
});

describe('the incident monitor on the local clock', () => {
  it('reads a time without an offset in its timeZone, as the forecaster does', () => {
    const monitor = new IncidentMonitor({ sensors: ['a'], timeZone: LA, minHistory: 3, persistence: 1 });
    for (let i = 0; i < 5; i++) monitor.observe({ observed: [60 + (i % 2)], expected: [60], time: `2026-07-01T07:${pad(i)}:00` });
    const [raised] = monitor.observe({ observed: [10], expected: [60], time: '2026-07-01T08:00:00' });
    expect(raised?.alert.startedAt).toBe('2026-07-01T15:00:00.000Z');
    expect(() => new IncidentMonitor({ sensors: ['a'], timeZone: 'Nowhere/Land' })).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID' }),
    );
  });
});
