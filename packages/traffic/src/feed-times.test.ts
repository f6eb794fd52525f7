import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrafficForecaster } from './forecaster';
import { IncidentMonitor } from './incident-monitor';
import { readSeriesCsv } from './read-csv';
import { createSeries } from './series';
import { expectCode } from './test-helpers';

// Found by a user-perspective review of the streaming side: the monitor and the forecaster read the same
// feed differently (the repeated hour at fall-back, a resent time), numbers in Unix seconds were taken as
// 1970, an alert's run spanned hours without readings, and a few messages misled.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'traffic-feed-times-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const START = Date.UTC(2024, 0, 1);
const STEP = 300_000;

async function trained(model: 'last-value' | 'historical-average', timeZone?: string): Promise<TrafficForecaster> {
  const rows = Array.from({ length: 3 * 288 }, (_, t) => [50 + (t % 7), 40 + (t % 5)]);
  const series = createSeries({ values: rows, sensors: ['a', 'b'], intervalMinutes: 5, start: START, ...(timeZone ? { timeZone } : {}) });
  const m = TrafficForecaster.create({ model });
  await m.train(series);
  return m;
}

describe('IncidentMonitor reads the hour repeated when clocks go back as the forecaster does', () => {
  it("zone-less 01:50, 01:55, then 01:00, 01:05 (PST) are accepted in order (they were 'timestamps-out-of-order' for an hour)", async () => {
    const zone = 'America/Los_Angeles';
    const monitor = new IncidentMonitor({ sensors: ['a'], timeZone: zone, minHistory: 3 });
    const forecaster = await trained('last-value', zone);
    const seen: string[] = [];
    for (const time of ['2012-11-04T01:50:00', '2012-11-04T01:55:00', '2012-11-04T01:00:00', '2012-11-04T01:05:00']) {
      forecaster.update({ values: [50, 40], time });
      const events = monitor.observe({ observed: [50], expected: [50], time });
      expect(events).toEqual([]);
      seen.push(time);
    }
    expect(seen).toHaveLength(4);
    // The instants are those update reads: 08:50Z, 08:55Z (PDT), then 09:00Z, 09:05Z (PST); a real step back is still refused.
    const back = await expectCode(
      () => monitor.observe({ observed: [50], expected: [50], time: '2012-11-04T00:30:00' }),
      'E_INPUT_INVALID',
    );
    expect(back.details.reason).toBe('timestamps-out-of-order');
    // The alert's times are the PST instants.
    const raised = new IncidentMonitor({ sensors: ['a'], timeZone: zone, minHistory: 3, persistence: 2 });
    for (const [k, time] of ['00:40', '00:45', '00:50', '00:55', '01:50', '01:55'].entries())
      raised.observe({ observed: [50 + (k % 2)], expected: [50], time: `2012-11-04T${time}:00` });
    raised.observe({ observed: [10], expected: [50], time: '2012-11-04T01:00:00' });
    const events = raised.observe({ observed: [10], expected: [50], time: '2012-11-04T01:05:00' });
    expect(events.map((e) => [e.type, e.alert.startedAt, e.alert.raisedAt])).toEqual([
      ['raised', '2012-11-04T09:00:00.000Z', '2012-11-04T09:05:00.000Z'],
    ]);
  });
});

describe('a time given as a number between 1e9 and 1e10 (Unix seconds) is refused, as readSeriesCsv refuses such a column', () => {
  const seconds = Math.floor((START + 700 * STEP) / 1000);

  it('predict({ end }), update({ time }) and observe({ time }): E_INPUT_INVALID timestamps-look-like-seconds, saying to multiply by 1000', async () => {
    const m = await trained('historical-average');
    const window = Array.from({ length: 12 }, () => [50, 40]);
    const predict = await expectCode(() => m.predict({ values: window, end: seconds }), 'E_INPUT_INVALID');
    expect(predict.message).toBe(
      `end ${seconds} is a number between 1e9 and 1e10: as epoch milliseconds that is January to April 1970. If it is Unix seconds, pass it times 1000 (epoch milliseconds, as Date.getTime() gives); a Date or an ISO 8601 string is read as given.`,
    );
    expect(predict.details).toMatchObject({ field: 'end', value: seconds, reason: 'timestamps-look-like-seconds' });
    const update = await expectCode(() => m.update({ values: [50, 40], time: seconds }), 'E_INPUT_INVALID');
    expect(update.details).toMatchObject({ field: 'time', reason: 'timestamps-look-like-seconds' });
    expect(m.bufferedSteps).toBe(0);
    const monitor = new IncidentMonitor({ sensors: ['a', 'b'] });
    const observe = await expectCode(() => monitor.observe({ observed: [50, 40], expected: [50, 40], time: seconds }), 'E_INPUT_INVALID');
    expect(observe.details).toMatchObject({ field: 'time', reason: 'timestamps-look-like-seconds' });
    // The same instant in milliseconds, as a Date or as ISO text is read; so is a Date in early 1970, given as one.
    const ms = seconds * 1000;
    expect((await m.predict({ values: window, end: ms })).from).toBe(new Date(ms).toISOString());
    m.update({ values: [50, 40], time: ms });
    m.update({ values: [50, 40], time: new Date(ms + STEP) });
    m.update({ values: [50, 40], time: new Date(ms + 2 * STEP).toISOString() });
    expect(m.bufferedSteps).toBe(3);
    expect(monitor.observe({ observed: [50, 40], expected: [50, 40], time: new Date(2e9) })).toEqual([]);
  });
});

describe('the same time again is timestamps-duplicated in update, as in observe and readSeriesCsv', () => {
  it("update at the previous time exactly (it said 'timestamps-out-of-order', 'is not after the previous one')", async () => {
    const m = await trained('last-value');
    const t0 = START + 900 * STEP;
    m.update({ values: [50, 40], time: t0 });
    const again = await expectCode(() => m.update({ values: [50, 40], time: t0 }), 'E_INPUT_INVALID');
    expect(again.details.reason).toBe('timestamps-duplicated');
    expect(again.message).toBe(
      `Observation time ${new Date(t0).toISOString()} is the same as the previous one; a stream takes one reading per 5-min slot (aggregate readings to one per interval first).`,
    );
    const monitor = new IncidentMonitor({ sensors: ['a', 'b'] });
    monitor.observe({ observed: [50, 40], expected: [50, 40], time: t0 });
    const seen = await expectCode(() => monitor.observe({ observed: [50, 40], expected: [50, 40], time: t0 }), 'E_INPUT_INVALID');
    expect(seen.details.reason).toBe(again.details.reason);
    // Earlier is still out of order, a minute later the same slot.
    expect((await expectCode(() => m.update({ values: [50, 40], time: t0 - STEP }), 'E_INPUT_INVALID')).details.reason).toBe(
      'timestamps-out-of-order',
    );
    expect((await expectCode(() => m.update({ values: [50, 40], time: t0 + 60_000 }), 'E_INPUT_INVALID')).details.reason).toBe(
      'timestamps-duplicated',
    );
    expect(m.bufferedSteps).toBe(1);
  });
});

describe('missing readings break an alert’s run of abnormal steps', () => {
  function warmed(persistence = 3): { monitor: IncidentMonitor; at: () => Date } {
    const monitor = new IncidentMonitor({ sensors: ['a'], persistence });
    let t = 0;
    const at = (): Date => new Date(START + t++ * STEP);
    for (let k = 0; k < 100; k++) monitor.observe({ observed: [60 + (k % 3) - 1], expected: [60], time: at() });
    return { monitor, at };
  }

  it('1 abnormal reading, 3 hours dark, 2 abnormal: no alert (one was raised at 11:30, started 08:20); a third in a row raises it, started after the gap', () => {
    const { monitor, at } = warmed();
    expect(monitor.observe({ observed: [20], expected: [60], time: at() })).toEqual([]);
    for (let k = 0; k < 36; k++) expect(monitor.observe({ observed: [NaN], expected: [60], time: at() })).toEqual([]);
    const first = at();
    expect(monitor.observe({ observed: [20], expected: [60], time: first })).toEqual([]);
    expect(monitor.observe({ observed: [20], expected: [60], time: at() })).toEqual([]);
    const third = at();
    const events = monitor.observe({ observed: [20], expected: [60], time: third });
    expect(events.map((e) => [e.type, e.alert.startedAt, e.alert.raisedAt, e.alert.raisedStep - e.alert.startStep])).toEqual([
      ['raised', first.toISOString(), third.toISOString(), 2],
    ]);
  });

  it('a single missing reading (null, a missing forecast, or missingValue) breaks it too; an open alert stays open through one', () => {
    for (const gap of [
      { observed: [null], expected: [60] },
      { observed: [20], expected: [null] },
    ]) {
      const { monitor, at } = warmed();
      monitor.observe({ observed: [20], expected: [60], time: at() });
      monitor.observe({ observed: [20], expected: [60], time: at() });
      expect(monitor.observe({ ...gap, time: at() })).toEqual([]);
      expect(monitor.observe({ observed: [20], expected: [60], time: at() })).toEqual([]);
      expect(monitor.observe({ observed: [20], expected: [60], time: at() })).toEqual([]);
      expect(monitor.observe({ observed: [20], expected: [60], time: at() }).map((e) => e.type)).toEqual(['raised']);
      expect(monitor.observe({ ...gap, time: at() })).toEqual([]);
      expect(monitor.active).toHaveLength(1);
      expect(monitor.observe({ observed: [20], expected: [60], time: at() })).toEqual([]);
      expect(monitor.observe({ observed: [60], expected: [60], time: at() }).map((e) => e.type)).toEqual(['cleared']);
    }
    const marked = new IncidentMonitor({ sensors: ['a'], persistence: 2, missingValue: 0, minHistory: 3 });
    for (let k = 0; k < 10; k++) marked.observe({ observed: [60 + (k % 3) - 1], expected: [60] });
    marked.observe({ observed: [20], expected: [60] });
    marked.observe({ observed: [0], expected: [60] });
    expect(marked.observe({ observed: [20], expected: [60] })).toEqual([]);
    expect(marked.observe({ observed: [20], expected: [60] }).map((e) => e.type)).toEqual(['raised']);
  });
});

describe('messages', () => {
  it("a reading sent as the string '55' is quoted (\"55\" is not a reading; it read '55 is not a reading')", async () => {
    const m = await trained('last-value');
    const update = await expectCode(() => m.update({ values: ['55', 40] as unknown as number[] }), 'E_INPUT_INVALID');
    expect(update.message).toBe(`Sensor 0 ('a'): "55" is not a reading (finite, at most 1000000000000 in size; NaN or null for missing).`);
    const rows = Array.from({ length: 12 }, () => ['55', 40] as unknown as number[]);
    const predict = await expectCode(() => m.predict({ values: rows, end: START }), 'E_INPUT_INVALID');
    expect(predict.message).toBe(
      `Row 0, sensor 0 ('a'): "55" is not a reading (finite, at most 1000000000000 in size; NaN or null for missing).`,
    );
    const monitor = new IncidentMonitor({ sensors: ['a', 'b'] });
    const observe = await expectCode(
      () => monitor.observe({ observed: ['55', 40] as unknown as number[], expected: [50, 40] }),
      'E_INPUT_INVALID',
    );
    expect(observe.message).toBe(
      `observed[0] (sensor 'a') is "55"; a reading is a number at most 1000000000000 in size (NaN or null for missing).`,
    );
  });

  it("a ';'- or tab-separated file read with commas says to pass its delimiter (it said only \"No timestamp column 'time' (columns: time;a;b…)\")", async () => {
    const semi = join(dir, 'semi.csv');
    await writeFile(semi, 'time;a;b\n2024-01-01T00:00:00;50;40\n2024-01-01T00:05:00;51;41\n');
    const wide = await expectCode(() => readSeriesCsv(semi, { intervalMinutes: 5, timestampColumn: 'time' }), 'E_INPUT_INVALID');
    expect(wide.message).toBe(
      "No timestamp column 'time' (columns: time;a;b). The header is one column holding ';': if the file is separated by ';', pass delimiter: ';'.",
    );
    const tab = join(dir, 'tab.csv');
    await writeFile(tab, 'time\ta\n2024-01-01T00:00:00\t50\n');
    expect(
      (await expectCode(() => readSeriesCsv(tab, { intervalMinutes: 5, timestampColumn: 'time' }), 'E_INPUT_INVALID')).message,
    ).toMatch(/pass delimiter: '\\t'\.$/);
    const long = join(dir, 'long.csv');
    await writeFile(long, 'time;station;speed\n2024-01-01T00:00:00;a;50\n');
    const opts = { intervalMinutes: 5, timestampColumn: 'time', sensorColumn: 'station', valueColumn: 'speed' };
    expect((await expectCode(() => readSeriesCsv(long, opts), 'E_INPUT_INVALID')).message).toMatch(/pass delimiter: ';'\.$/);
    expect((await readSeriesCsv(semi, { intervalMinutes: 5, timestampColumn: 'time', delimiter: ';' })).sensors).toEqual(['a', 'b']);
    // Columns that are simply not there: no hint, and '…' only when more were left out.
    const other = join(dir, 'other.csv');
    await writeFile(other, 'when,a,b\n2024-01-01T00:00:00,50,40\n');
    expect((await expectCode(() => readSeriesCsv(other, { intervalMinutes: 5, timestampColumn: 'time' }), 'E_INPUT_INVALID')).message).toBe(
      "No timestamp column 'time' (columns: when, a, b).",
    );
  });
});

describe('in the hour repeated when clocks go back, a resent zone-less time is the same reading, not the second pass an hour on (review R4-4)', () => {
  const zone = 'America/Los_Angeles';
  const at = (hm: string): string => `2012-11-04T${hm}:00`;

  it('5-minute feed 01:00, 01:05, 01:05: update and observe say timestamps-duplicated (both read the second 01:05 as 09:05Z, 55 minutes on); the feed goes on at 01:10', async () => {
    const forecaster = await trained('last-value', zone);
    const monitor = new IncidentMonitor({ sensors: ['a'], timeZone: zone, minHistory: 3 });
    for (const hm of ['00:55', '01:00', '01:05']) {
      forecaster.update({ values: [50, 40], time: at(hm) });
      monitor.observe({ observed: [50], expected: [50], time: at(hm) });
    }
    const update = await expectCode(() => forecaster.update({ values: [50, 40], time: at('01:05') }), 'E_INPUT_INVALID');
    expect(update.details.reason).toBe('timestamps-duplicated');
    const observe = await expectCode(() => monitor.observe({ observed: [50], expected: [50], time: at('01:05') }), 'E_INPUT_INVALID');
    expect(observe.details.reason).toBe('timestamps-duplicated');
    expect(observe.message).toContain('2012-11-04T08:05:00.000Z'); // 01:05 PDT
    // The next slot is read in the first pass (08:10Z), and the feed crosses into the second pass as before.
    for (const hm of ['01:10', '01:15', '01:20', '01:25', '01:30', '01:35', '01:40', '01:45', '01:50', '01:55', '01:00', '01:05']) {
      forecaster.update({ values: [50, 40], time: at(hm) });
      expect(monitor.observe({ observed: [50], expected: [50], time: at(hm) })).toEqual([]);
    }
    // Reaching 01:05 of the second pass (09:05Z) the monitor refuses 00:59 of the first pass as a step back.
    expect(
      (await expectCode(() => monitor.observe({ observed: [50], expected: [50], time: at('00:59') }), 'E_INPUT_INVALID')).details.reason,
    ).toBe('timestamps-out-of-order');
  });

  it("hourly data's 00:00, 01:00, 01:00, 02:00 is still the two passes in the monitor and in readSeriesCsv", async () => {
    const monitor = new IncidentMonitor({ sensors: ['a'], timeZone: zone, minHistory: 3, persistence: 1 });
    for (const hm of ['23:00', '00:00', '01:00'].map((t, k) => (k === 0 ? `2012-11-03T${t}:00` : at(t))))
      monitor.observe({ observed: [50], expected: [50], time: hm });
    expect(monitor.observe({ observed: [50], expected: [50], time: at('01:00') })).toEqual([]);
    const events = monitor.observe({ observed: [5], expected: [50], time: at('02:00') });
    expect(events[0]?.alert.startedAt).toBe('2012-11-04T10:00:00.000Z'); // 02:00 PST, after 01:00 PDT and 01:00 PST
    const file = join(dir, 'hourly-fall-back.csv');
    await writeFile(file, `time,a\n${['00:00', '01:00', '01:00', '02:00'].map((hm, k) => `${at(hm)},${50 + k}`).join('\n')}\n`);
    const hourly = await readSeriesCsv(file, { intervalMinutes: 60, timestampColumn: 'time', timeZone: zone });
    expect(hourly.steps).toBe(4);
    expect(Array.from(hourly.values)).toEqual([50, 51, 52, 53]);
  });

  it('readSeriesCsv: a 5-minute export with 01:05 written twice says timestamps-duplicated naming the line (it read a 55-minute gap of missing readings)', async () => {
    const file = join(dir, 'resent.csv');
    const rows = ['00:55', '01:00', '01:05', '01:05', '01:10'].map((hm, k) => `${at(hm)},${50 + k}`);
    await writeFile(file, `time,a\n${rows.join('\n')}\n`);
    const error = await expectCode(
      () => readSeriesCsv(file, { intervalMinutes: 5, timestampColumn: 'time', timeZone: zone }),
      'E_INPUT_INVALID',
    );
    expect(error.details).toMatchObject({ line: 5, reason: 'timestamps-duplicated' });
    // Long format, per sensor: the same.
    const long = join(dir, 'resent-long.csv');
    await writeFile(
      long,
      `time,station,speed\n${['00:55', '01:00', '01:05', '01:05'].map((hm, k) => `${at(hm)},a,${50 + k}`).join('\n')}\n`,
    );
    const opts = { intervalMinutes: 5, timestampColumn: 'time', sensorColumn: 'station', valueColumn: 'speed', timeZone: zone };
    expect((await expectCode(() => readSeriesCsv(long, opts), 'E_INPUT_INVALID')).details.reason).toBe('timestamps-duplicated');
  });
});

describe('a 5-minute feed back from a gap inside the repeated hour: the duplicate refusal says how to give the second pass (review R4, session 22)', () => {
  const zone = 'America/Los_Angeles';
  const hint = ` It falls in the hour repeated when clocks go back in ${zone}, read there as the same reading sent again; if it is the second pass, after a gap in the feed, give it with its UTC offset (2026-11-01T01:05:00-08:00).`;

  it('readSeriesCsv, update and observe name the offset to give; with it the second pass is read', async () => {
    const file = join(dir, 'gap-fall-back.csv');
    const rows = ['00:55', '01:00', '01:05', '01:05', '01:10'].map((hm, k) => `2026-11-01T${hm}:00,${50 + k}`);
    await writeFile(file, `time,a\n${rows.join('\n')}\n`);
    const read = await expectCode(
      () => readSeriesCsv(file, { intervalMinutes: 5, timestampColumn: 'time', timeZone: zone }),
      'E_INPUT_INVALID',
    );
    expect(read.message).toBe(`${file}: line 5: timestamp 2026-11-01T01:05:00 is duplicated.${hint}`);
    await writeFile(file, `time,a\n${rows.map((r, k) => (k === 3 ? r.replace(',', '-08:00,') : r)).join('\n')}\n`);
    expect((await readSeriesCsv(file, { intervalMinutes: 5, timestampColumn: 'time', timeZone: zone })).steps).toBe(16);

    const forecaster = await trained('last-value', zone);
    const monitor = new IncidentMonitor({ sensors: ['a'], timeZone: zone });
    for (const hm of ['01:00', '01:05']) {
      forecaster.update({ values: [50, 40], time: `2026-11-01T${hm}:00` });
      monitor.observe({ observed: [50], expected: [50], time: `2026-11-01T${hm}:00` });
    }
    const update = await expectCode(() => forecaster.update({ values: [50, 40], time: '2026-11-01T01:05:00' }), 'E_INPUT_INVALID');
    expect(update.message.endsWith(hint)).toBe(true);
    const observe = await expectCode(
      () => monitor.observe({ observed: [50], expected: [50], time: '2026-11-01T01:05:00' }),
      'E_INPUT_INVALID',
    );
    expect(observe.message.endsWith(hint)).toBe(true);
    // Given as the hint says, it is the second pass; a duplicate given with its offset gets no hint.
    monitor.observe({ observed: [50], expected: [50], time: '2026-11-01T01:05:00-08:00' });
    const again = await expectCode(
      () => monitor.observe({ observed: [50], expected: [50], time: '2026-11-01T01:05:00-08:00' }),
      'E_INPUT_INVALID',
    );
    expect(again.message).not.toContain('repeated');
  });
});
