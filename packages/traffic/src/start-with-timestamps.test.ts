import { describe, expect, it } from 'vitest';
import { readSeriesCsv } from './read-csv';
import { expectCode } from './test-helpers';

// Found in session 25: `start` (the first row's time of a file without timestamps) was dropped without a
// word beside `timestampColumn`: the series began at the file's first time whatever `start` said. Only
// the traffic demo refused --start beside --timestamp-column. timeUnit and timeFormat (how that column's
// times are written) were dropped the same way when no timestamp column was given.

const wide = Buffer.from('time,A,B\n2026-01-05T00:00Z,50,60\n2026-01-05T00:05Z,51,61\n2026-01-05T00:10Z,52,62\n');
const long = Buffer.from('time,station,speed\n2026-01-05T00:00Z,A,50\n2026-01-05T00:05Z,A,51\n2026-01-05T00:00Z,B,60\n');

describe('readSeriesCsv refuses timeUnit and timeFormat without timestampColumn (no times to read)', () => {
  it.each([
    ['timeUnit', { timeUnit: 's' }],
    ['timeFormat', { timeFormat: 'mdy' }],
  ] as const)('%s', async (field, more) => {
    const error = await expectCode(
      () => readSeriesCsv(Buffer.from('A,B\n50,60\n51,61\n'), { intervalMinutes: 5, start: '2030-01-01T00:00Z', ...more }),
      'E_INPUT_INVALID',
    );
    expect(error.message).toMatch(new RegExp(`^${field} says how the times of timestampColumn are written`));
    expect(error.details).toMatchObject({ field });
  });
});

describe('readSeriesCsv refuses start beside timestampColumn (it read nothing there)', () => {
  it.each([
    ['a wide file', wide, {}],
    ['a long file', long, { sensorColumn: 'station', valueColumn: 'speed' }],
  ])('%s', async (_label, source, more) => {
    for (const start of ['2030-01-01T00:00Z', Date.UTC(2030, 0, 1), new Date(Date.UTC(2030, 0, 1))]) {
      const error = await expectCode(
        () => readSeriesCsv(source, { intervalMinutes: 5, timestampColumn: 'time', start, ...more }),
        'E_INPUT_INVALID',
      );
      expect(error.message).toMatch(/\bstart\b/);
      expect(error.message).toMatch(/\btimestampColumn\b/);
      expect(error.details).toMatchObject({ field: 'start' });
    }
  });

  it('each alone reads as before: the times from the column, or one row per step from start', async () => {
    const timed = await readSeriesCsv(wide, { intervalMinutes: 5, timestampColumn: 'time' });
    expect(timed.start).toBe(Date.UTC(2026, 0, 5));
    expect(timed.steps).toBe(3);
    const plain = await readSeriesCsv(Buffer.from('A,B\n50,60\n51,61\n'), { intervalMinutes: 5, start: '2030-01-01T00:00Z' });
    expect(plain.start).toBe(Date.UTC(2030, 0, 1));
    expect(plain.steps).toBe(2);
    // Left out (undefined) is no start.
    const unset = await readSeriesCsv(wide, { intervalMinutes: 5, timestampColumn: 'time', start: undefined });
    expect(unset.start).toBe(Date.UTC(2026, 0, 5));
  });
});
