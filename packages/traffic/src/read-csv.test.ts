import { describe, expect, it } from 'vitest';
import { createAdjacency, normalizedAdjacency, readAdjacencyCsv } from './adjacency';
import { readSeriesCsv } from './read-csv';
import { expectCode } from './test-helpers';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('readSeriesCsv', () => {
  it('reads a matrix with a numeric header and empty cells as missing', async () => {
    const s = await readSeriesCsv(bytes('773869,767541\n60,61\n,62\n59,NaN\n'), { intervalMinutes: 5, start: '2012-03-01T00:00:00Z' });
    expect(s.sensors).toEqual(['773869', '767541']);
    expect(s.steps).toBe(3);
    expect(Number.isNaN(s.values[2]!)).toBe(true);
    expect(Number.isNaN(s.values[5]!)).toBe(true);
  });

  it('treats 0 as missing when asked', async () => {
    const s = await readSeriesCsv(bytes('a,b\n0,61\n50,62\n'), { intervalMinutes: 5, missingValue: 0 });
    expect(Number.isNaN(s.values[0]!)).toBe(true);
  });

  it('rejects ragged rows, non-numeric cells, empty files and all-missing sensors', async () => {
    const ragged = await expectCode(() => readSeriesCsv(bytes('a,b\n1,2\n3\n'), { intervalMinutes: 5 }), 'E_INPUT_INVALID');
    expect(ragged.details.line).toBe(3);
    const word = await expectCode(() => readSeriesCsv(bytes('a,b\n1,fast\n'), { intervalMinutes: 5 }), 'E_INPUT_INVALID');
    expect(word.details.column).toBe('b');
    // Decimal only: Number() reads '0x10' as 16.
    const hex = await expectCode(() => readSeriesCsv(bytes('a,b\n1,0x10\n'), { intervalMinutes: 5 }), 'E_INPUT_INVALID');
    expect(hex.details.column).toBe('b');
    expect((await readSeriesCsv(bytes('a\n+1.5e1\n.5\n'), { intervalMinutes: 5 })).values).toEqual(Float64Array.from([15, 0.5]));
    await expectCode(() => readSeriesCsv(bytes(''), { intervalMinutes: 5 }), 'E_INPUT_INVALID');
    await expectCode(() => readSeriesCsv(bytes('a,b\n1,\n2,\n'), { intervalMinutes: 5 }), 'E_INPUT_INVALID');
  });

  it('refuses inputs over the row limit with E_INPUT_TOO_LARGE', async () => {
    await expectCode(() => readSeriesCsv(bytes('a\n1\n2\n3\n'), { intervalMinutes: 5, maxRows: 2 }), 'E_INPUT_TOO_LARGE');
    await expectCode(
      () =>
        readSeriesCsv(bytes('t,a\n2026-01-05T00:00Z,1\n2026-01-05T00:05Z,2\n2026-01-05T00:10Z,3\n'), {
          intervalMinutes: 5,
          timestampColumn: 't',
          maxRows: 2,
        }),
      'E_INPUT_TOO_LARGE',
    );
  });

  it('resamples irregular timestamps onto the interval grid; gaps stay missing', async () => {
    const csv = 'time,a\n2026-01-05T00:00:00Z,50\n2026-01-05T00:04:40Z,52\n2026-01-05T00:05:20Z,54\n2026-01-05T00:20:00Z,40\n';
    const s = await readSeriesCsv(bytes(csv), { intervalMinutes: 5, timestampColumn: 'time' });
    expect(s.steps).toBe(5);
    expect(s.values[0]).toBe(50);
    expect(s.values[1]).toBe(53); // two readings nearest 00:05 → their mean
    expect(Number.isNaN(s.values[2]!) && Number.isNaN(s.values[3]!)).toBe(true);
    expect(s.values[4]).toBe(40);
    expect(s.start).toBe(Date.parse('2026-01-05T00:00:00Z'));
  });

  it("keeps the file's column order for numeric sensor ids beside a timestamp column", async () => {
    const s = await readSeriesCsv(bytes('time,773869,767541,716331\n2012-03-01T00:00Z,60,61,62\n2012-03-01T00:05Z,59,60,63\n'), {
      intervalMinutes: 5,
      timestampColumn: 'time',
    });
    expect(s.sensors).toEqual(['773869', '767541', '716331']);
    expect(Array.from(s.values.slice(0, 3))).toEqual([60, 61, 62]);
  });

  it('reads ISO times without an offset as UTC fields on any server, with one as that instant; Unix seconds only when told', async () => {
    const read = (times: string[], extra: object = {}) =>
      readSeriesCsv(bytes(`t,a\n${times.map((t, i) => `${t},${50 + i}`).join('\n')}\n`), {
        intervalMinutes: 5,
        timestampColumn: 't',
        ...extra,
      });
    const tz = process.env.TZ;
    try {
      process.env.TZ = 'America/Los_Angeles';
      for (const naive of [
        ['2026-01-05T08:00:00', '2026-01-05T08:05:00'],
        ['2026-01-05 08:00', '2026-01-05 08:05'],
      ])
        expect((await read(naive)).start).toBe(Date.UTC(2026, 0, 5, 8));
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
    expect((await read(['2026-01-05T00:00:00-08:00', '2026-01-05T00:05:00-08:00'])).start).toBe(Date.UTC(2026, 0, 5, 8));
    expect((await read(['2026-01-05T09:00+0100', '2026-01-05T09:05+0100'])).start).toBe(Date.UTC(2026, 0, 5, 8));
    const seconds = [String(Date.UTC(2026, 0, 5, 8) / 1000), String(Date.UTC(2026, 0, 5, 8, 5) / 1000)];
    const refused = await expectCode(() => read(seconds), 'E_INPUT_INVALID');
    expect(refused.details.reason).toBe('timestamps-look-like-seconds');
    expect(refused.message).toMatch(/timeUnit: 's'/);
    const s = await read(seconds, { timeUnit: 's' });
    expect([s.start, s.steps]).toEqual([Date.UTC(2026, 0, 5, 8), 2]);
    expect((await read([String(Date.UTC(2026, 0, 5, 8)), String(Date.UTC(2026, 0, 5, 8, 5))])).start).toBe(Date.UTC(2026, 0, 5, 8));
    for (const bad of ['2026-02-31T00:00', '05/01/2026 08:00', 'Jan 5 2026 08:00 GMT', '2026-01-05T25:00'])
      expect((await expectCode(() => read([bad]), 'E_INPUT_INVALID')).message).toMatch(/not an ISO 8601 date/);
    await expectCode(() => read(seconds, { timeUnit: 'us' }), 'E_INPUT_INVALID');
  });

  it('rejects timestamps out of order or duplicated', async () => {
    const dup = await expectCode(
      () => readSeriesCsv(bytes('t,a\n2026-01-05T00:00Z,1\n2026-01-05T00:00Z,2\n'), { intervalMinutes: 5, timestampColumn: 't' }),
      'E_INPUT_INVALID',
    );
    expect(dup.details.reason).toBe('timestamps-duplicated');
    const back = await expectCode(
      () => readSeriesCsv(bytes('t,a\n2026-01-05T00:10Z,1\n2026-01-05T00:05Z,2\n'), { intervalMinutes: 5, timestampColumn: 't' }),
      'E_INPUT_INVALID',
    );
    expect(back.details.reason).toBe('timestamps-out-of-order');
    await expectCode(() => readSeriesCsv(bytes('t,a\nyesterday,1\n'), { intervalMinutes: 5, timestampColumn: 't' }), 'E_INPUT_INVALID');
    await expectCode(
      () => readSeriesCsv(bytes('t,a\n2026-01-05T00:10Z,1\n'), { intervalMinutes: 5, timestampColumn: 'time' }),
      'E_INPUT_INVALID',
    );
  });
});

describe('adjacency', () => {
  it('reads a square matrix and normalises it symmetrically with self-loops', async () => {
    const a = await readAdjacencyCsv(bytes('1,0.5,0\n0.5,1,0\n0,0,1\n'));
    expect(a.size).toBe(3);
    const norm = normalizedAdjacency(a);
    expect(norm[1]).toBeCloseTo(0.5 / 1.5, 6);
    expect(norm[1]).toBeCloseTo(norm[3]!, 6);
    expect(norm[8]).toBeCloseTo(1, 6);
  });

  it('rejects non-square, negative and non-numeric matrices', async () => {
    await expectCode(() => readAdjacencyCsv(bytes('1,0\n0,1\n1,1\n')), 'E_SHAPE_MISMATCH');
    await expectCode(
      () =>
        createAdjacency([
          [1, -1],
          [0, 1],
        ]),
      'E_INPUT_INVALID',
    );
    await expectCode(
      () =>
        createAdjacency([
          [1, 0, 0],
          [0, 1],
        ]),
      'E_SHAPE_MISMATCH',
    );
    await expectCode(() => readAdjacencyCsv(bytes('1,x\n0,1\n')), 'E_INPUT_INVALID');
  });
});
