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
      "Line 2: timestamp '01/05/2026 00:00:00' is not an ISO 8601 date or an epoch number. For MM/DD/YYYY HH:mm[:ss] times, pass timeFormat: 'mdy'.",
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
