import { describe, expect, it } from 'vitest';
import { readSeriesCsv } from './read-csv';
import { expectCode } from './test-helpers';

// Two timestamp errors named no option that reads the file: MM/DD/YYYY times (PeMS) were "not an ISO
// 8601 date" (timeFormat 'mdy' reads them), and the hour repeated when clocks go back, in local times
// read without a time zone, was "give times with their UTC offset or in UTC" (timeZone reads them).

const bytes = (text: string) => new TextEncoder().encode(text);
const wide = { intervalMinutes: 5, timestampColumn: 't' } as const;
const long = { ...wide, sensorColumn: 'id', valueColumn: 'v' } as const;

/** Los Angeles wall-clock times every 5 min across the night the clocks go back (1 Nov 2026, 01:00–01:55 twice). */
function fallBack(): string[] {
  const times: string[] = [];
  const first = Date.UTC(2026, 10, 1, 7, 0); // 00:00 PDT
  for (let k = 0; k < 48; k++) {
    const utc = first + k * 300_000;
    const offset = utc < Date.UTC(2026, 10, 1, 9, 0) ? 7 : 8;
    times.push(new Date(utc - offset * 3_600_000).toISOString().slice(0, 16).replace('T', ' '));
  }
  return times;
}

describe('timestamp errors name the option that reads the file', () => {
  it("MM/DD/YYYY times read as ISO: timeFormat 'mdy' is named; other bad times are not given it", async () => {
    const e = await expectCode(
      () => readSeriesCsv(bytes('t,a\n01/05/2026 00:00:00,50\n01/05/2026 00:05:00,51\n'), wide),
      'E_INPUT_INVALID',
    );
    expect(e.message).toBe(
      "Line 2: timestamp '01/05/2026 00:00:00' is not an ISO 8601 date or an epoch number. If they are day-first (DD/MM/YYYY), they are not read: write the times as ISO 8601 (YYYY-MM-DD HH:mm, here 2026-05-01 00:00:00). For MM/DD/YYYY HH:mm[:ss] times, pass timeFormat: 'mdy'.",
    );
    // A second field over 12 can only be month-first: the hint alone.
    const us = await expectCode(() => readSeriesCsv(bytes('t,a\n12/25/2026 08:00,50\n'), wide), 'E_INPUT_INVALID');
    expect(us.message).toMatch(
      /is not an ISO 8601 date or an epoch number\. For MM\/DD\/YYYY HH:mm\[:ss\] times, pass timeFormat: 'mdy'\.$/,
    );
    const read = await readSeriesCsv(bytes('t,a\n01/05/2026 00:00:00,50\n01/05/2026 00:05:00,51\n'), { ...wide, timeFormat: 'mdy' });
    expect(read.steps).toBe(2);
    const other = await expectCode(() => readSeriesCsv(bytes('t,a\nyesterday,50\n'), wide), 'E_INPUT_INVALID');
    expect(other.message).not.toMatch(/timeFormat/);
  });

  it('a wide local-time export across the clocks going back, read without a zone: timeZone is named', async () => {
    const text = `t,a\n${fallBack()
      .map((t, k) => `${t},${50 + (k % 5)}`)
      .join('\n')}\n`;
    const e = await expectCode(() => readSeriesCsv(bytes(text), wide), 'E_INPUT_INVALID');
    expect(e.message).toMatch(/^Line 26: timestamp 2026-11-01 01:00 is earlier than the row before \(rows must be in time order\)\. /);
    expect(e.message).toMatch(/pass timeZone \(the clock's IANA zone, e\.g\. 'America\/Los_Angeles'\) to read them/);
    expect(e.details).toMatchObject({ reason: 'timestamps-out-of-order' });
    const read = await readSeriesCsv(bytes(text), { ...wide, timeZone: 'America/Los_Angeles' });
    expect(read.steps).toBe(48);
    // Times with a UTC offset are not local: no time zone to name.
    const utc = await expectCode(() => readSeriesCsv(bytes('t,a\n2026-01-05T00:05Z,1\n2026-01-05T00:00Z,2\n'), wide), 'E_INPUT_INVALID');
    expect(utc.message).not.toMatch(/pass timeZone/);
  });

  it('a long file: the repeated hour is "two rows at" one time; timeZone is named', async () => {
    const text = `t,id,v\n${fallBack()
      .map((t, k) => `${t},s1,${50 + (k % 5)}`)
      .join('\n')}\n`;
    const e = await expectCode(() => readSeriesCsv(bytes(text), long), 'E_INPUT_INVALID');
    expect(e.message).toMatch(
      /^Sensor 's1' has two rows at 2026-11-01T01:00:00\.000Z \([Ll]ine 14 and line 26\)\. The times have no UTC offset/,
    );
    expect(e.message).toMatch(/pass timeZone/);
    const read = await readSeriesCsv(bytes(text), { ...long, timeZone: 'America/Los_Angeles' });
    expect(read.steps).toBe(48);
  });
});

/** A day-first (DD/MM/YYYY) export every 5 min over days `from`..`to` of February 2026, as `t,a` rows. */
function dayFirstRows(from: number, to: number, sensor?: string): string {
  const rows = [sensor === undefined ? 't,a' : 't,id,v'];
  const two = (n: number) => String(n).padStart(2, '0');
  for (let d = from; d <= to; d++)
    for (let m = 0; m < 1440; m += 5)
      rows.push(`${two(d)}/02/2026 ${two(Math.floor(m / 60))}:${two(m % 60)},${sensor === undefined ? '' : `${sensor},`}${50 + (m % 7)}`);
  return `${rows.join('\n')}\n`;
}

describe("day-first (DD/MM/YYYY) times: no timeFormat 'mdy' hint that misreads them (review s24 R5-4)", () => {
  it("a first field over 12 read as ISO: said day-first, with its ISO 8601 form, not 'pass timeFormat: mdy'", async () => {
    const text = 't,a\n25/12/2026 08:00,50\n25/12/2026 08:05,51\n';
    const e = await expectCode(() => readSeriesCsv(bytes(text), wide), 'E_INPUT_INVALID');
    expect(e.message).toBe(
      "Line 2: timestamp '25/12/2026 08:00' is not an ISO 8601 date or an epoch number. It looks day-first (DD/MM/YYYY: no month 25), which is not read (ISO 8601 and MM/DD/YYYY are). Write the times as ISO 8601 (YYYY-MM-DD HH:mm, here 2026-12-25 08:00).",
    );
    // Read with 'mdy' anyway: the same, not "is not MM/DD/YYYY".
    const mdy = await expectCode(() => readSeriesCsv(bytes(text), { ...wide, timeFormat: 'mdy' }), 'E_INPUT_INVALID');
    expect(mdy.message).toBe(
      "Line 2: timestamp '25/12/2026 08:00' has no month 25: the times look day-first (DD/MM/YYYY), which is not read (ISO 8601 and MM/DD/YYYY are). Write the times as ISO 8601 (YYYY-MM-DD HH:mm, here 2026-12-25 08:00).",
    );
    expect(mdy.details).toMatchObject({ line: 2, reason: 'timestamps-day-first' });
  });

  it("a DD/MM file for 1–3 Feb read with 'mdy' is refused, not read as 2 Jan to 3 Mar (17,280 steps)", async () => {
    for (const [text, options] of [
      [dayFirstRows(1, 3), { ...wide, timeFormat: 'mdy' }],
      [dayFirstRows(1, 3, 's1'), { ...long, timeFormat: 'mdy' }],
    ] as const) {
      const e = await expectCode(() => readSeriesCsv(bytes(text), options), 'E_INPUT_INVALID');
      expect(e.message).toBe(
        "The times in 't' look day-first (DD/MM/YYYY), which is not read (ISO 8601 and MM/DD/YYYY are): read month-first they run from 2026-01-02 to 2026-03-02, a month further at each new day, and read day-first from 2026-02-01 to 2026-02-03 (no date in the file has a field over 12 to tell). Write the times as ISO 8601 (YYYY-MM-DD HH:mm); ISO 8601 reads month-first dates too.",
      );
      expect(e.details).toMatchObject({ column: 't', reason: 'timestamps-day-first' });
    }
    // Past the 12th, the file's first field over 12 refuses it at that line.
    const later = await expectCode(() => readSeriesCsv(bytes(dayFirstRows(11, 13)), { ...wide, timeFormat: 'mdy' }), 'E_INPUT_INVALID');
    expect(later.message).toMatch(/^Line 578: timestamp '13\/02\/2026 00:00' has no month 13: the times look day-first/);
  });

  it('month-first files still read: within the 1st to the 12th of a month, and past the 12th', async () => {
    const mdy = (days: number[]) =>
      `t,a\n${days.flatMap((d) => Array.from({ length: 288 }, (_, k) => `01/${String(d).padStart(2, '0')}/2026 ${String(Math.floor(k / 12)).padStart(2, '0')}:${String((k % 12) * 5).padStart(2, '0')},${50 + (k % 7)}`)).join('\n')}\n`;
    const early = await readSeriesCsv(bytes(mdy([1, 2, 3])), { ...wide, timeFormat: 'mdy' });
    expect([early.steps, new Date(early.start!).toISOString()]).toEqual([864, '2026-01-01T00:00:00.000Z']);
    const late = await readSeriesCsv(bytes(mdy([12, 13, 14])), { ...wide, timeFormat: 'mdy' });
    expect([late.steps, new Date(late.start!).toISOString()]).toEqual([864, '2026-01-12T00:00:00.000Z']);
  });
});

/** A month-first export sampled on the 1st of each month (every 5 min that day), months `from`..`to` of 2026. */
function firstOfMonthRows(from: number, to: number, sensor?: string): string {
  const rows = [sensor === undefined ? 't,a' : 't,id,v'];
  const two = (n: number) => String(n).padStart(2, '0');
  for (let month = from; month <= to; month++)
    for (let m = 0; m < 1440; m += 5)
      rows.push(`${two(month)}/01/2026 ${two(Math.floor(m / 60))}:${two(m % 60)},${sensor === undefined ? '' : `${sensor},`}${month * 10}`);
  return `${rows.join('\n')}\n`;
}

describe('dates whose second field is always 01: the dates cannot tell, so they are refused naming both readings (session 25)', () => {
  it("read as ISO they ask for timeFormat 'mdy', without calling them day-first", async () => {
    const e = await expectCode(() => readSeriesCsv(bytes(firstOfMonthRows(1, 4)), wide), 'E_INPUT_INVALID');
    expect(e.message).toMatch(/For MM\/DD\/YYYY HH:mm\[:ss\] times, pass timeFormat: 'mdy'\.$/);
    expect(e.message).not.toMatch(/look(s)? day-first/);
  });

  it("read with 'mdy' they are refused naming both readings: a week of January written day-first looks the same", async () => {
    for (const [text, options] of [
      [firstOfMonthRows(1, 4), { ...wide, timeFormat: 'mdy' }],
      [firstOfMonthRows(1, 4, 's1'), { ...long, timeFormat: 'mdy' }],
    ] as const) {
      const e = await expectCode(() => readSeriesCsv(bytes(text), options), 'E_INPUT_INVALID');
      expect(e.details).toMatchObject({ reason: 'timestamps-ambiguous', column: 't' });
      expect(e.message).toContain('month-first they are the 1st of each month from 2026-01-01 to 2026-04-01');
      expect(e.message).toContain('day-first they run from 2026-01-01 to 2026-01-04');
      expect(e.message).toMatch(/ISO 8601/);
    }
  });

  it('a day field past 01 still tells: the DD/MM file for 1–3 February stays refused as day-first', async () => {
    const e = await expectCode(() => readSeriesCsv(bytes(dayFirstRows(1, 3)), { ...wide, timeFormat: 'mdy' }), 'E_INPUT_INVALID');
    expect(e.details).toMatchObject({ reason: 'timestamps-day-first' });
  });
});
