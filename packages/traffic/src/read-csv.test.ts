import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('readSeriesCsv, long files (one reading per row)', () => {
  const wide = 'time,b7,a3\n2026-01-05T00:00Z,60,50\n2026-01-05T00:05Z,61,\n2026-01-05T00:10Z,62,52\n';
  const long = (rows: string[]): Uint8Array => bytes(`station,time,speed,lanes\n${rows.join('\n')}\n`);
  const opts = { intervalMinutes: 5, timestampColumn: 'time', sensorColumn: 'station', valueColumn: 'speed' } as const;

  it('gives the same series as the wide file, whether rows come by time or sensor by sensor', async () => {
    const expected = await readSeriesCsv(bytes(wide), { intervalMinutes: 5, timestampColumn: 'time' });
    const byTime = long([
      'b7,2026-01-05T00:00Z,60,4',
      'a3,2026-01-05T00:00Z,50,3',
      'b7,2026-01-05T00:05Z,61,4',
      'b7,2026-01-05T00:10Z,62,4',
      'a3,2026-01-05T00:10Z,52,3',
    ]);
    const bySensor = long([
      'b7,2026-01-05T00:10Z,62,4',
      'b7,2026-01-05T00:00Z,60,4',
      'b7,2026-01-05T00:05Z,61,4',
      'a3,2026-01-05T00:10Z,52,3',
      'a3,2026-01-05T00:00Z,50,3',
    ]);
    for (const source of [byTime, bySensor]) {
      const s = await readSeriesCsv(source, opts);
      expect(s.sensors).toEqual(['b7', 'a3']); // order of first appearance
      expect(s.start).toBe(expected.start);
      expect(s.steps).toBe(3);
      expect(Array.from(s.values)).toEqual(Array.from(expected.values)); // a3 at 00:05 missing in both
    }
  });

  it('keeps the listed sensors in their order, averages readings sharing a slot, honours missingValue', async () => {
    const source = long([
      '716331,2026-01-05T00:00Z,0,2',
      '400001,2026-01-05T00:01Z,70,3',
      '400001,2026-01-05T00:04Z,66,3',
      '716331,2026-01-05T00:05Z,55,2',
      '999999,2026-01-05T00:05Z,10,1',
    ]);
    const s = await readSeriesCsv(source, { ...opts, sensors: ['400001', '716331'], missingValue: 0 });
    expect(s.sensors).toEqual(['400001', '716331']);
    expect(s.steps).toBe(2); // the grid starts at the earliest time, 00:00
    expect(s.values[0]).toBe(70); // 00:01 → slot 00:00
    expect(Number.isNaN(s.values[1]!)).toBe(true); // 0 = missing
    expect(s.values[2]).toBe(66); // 00:04 → slot 00:05
    expect(s.values[3]).toBe(55);
  });

  it('reads a local-time long export across the autumn clock change per sensor', async () => {
    const LA = 'America/Los_Angeles';
    const times = [
      '2026-11-01T00:30:00',
      '2026-11-01T01:00:00',
      '2026-11-01T01:30:00',
      '2026-11-01T01:00:00',
      '2026-11-01T01:30:00',
      '2026-11-01T02:00:00',
    ];
    // Sensor by sensor; y starts inside the repeated hour, right after x's last row (02:00 PST).
    const rows = [...times.map((t, i) => `x,${t},${i},1`), ...times.slice(1).map((t, i) => `y,${t},${11 + i},1`)];
    const s = await readSeriesCsv(long(rows), { ...opts, intervalMinutes: 30, timeZone: LA });
    expect(s.steps).toBe(6); // 00:30 PDT … 02:00 PST: 2.5 hours of real time
    expect(Array.from(s.values)).toEqual([0, NaN, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15]);
  });

  it('reads a PeMS-style station file: no header, MM/DD/YYYY times, a varying number of lane fields per row', async () => {
    // Timestamp, Station, District, Freeway, Direction, Lane Type, Length, Samples, % Observed, Total Flow,
    // Avg Occupancy, Avg Speed, then five fields per lane (stations differ in lanes).
    const lanes = (n: number): string => Array.from({ length: n }, () => '10,50,0.05,64,1').join(',');
    const pems = [
      `01/05/2026 00:00:00,400001,4,101,N,ML,0.4,20,100,200,0.05,65.2,${lanes(3)}`,
      `01/05/2026 00:00:00,400002,4,101,N,ML,0.4,20,100,150,0.04,60.1,${lanes(2)}`,
      `01/05/2026 00:05:00,400001,4,101,N,ML,0.4,20,100,210,0.05,64.8,${lanes(3)}`,
      `01/05/2026 00:05:00,400002,4,101,N,ML,0.4,20,100,140,0.04,,${lanes(2)}`,
    ].join('\n');
    const s = await readSeriesCsv(bytes(`${pems}\n`), {
      intervalMinutes: 5,
      header: false,
      timestampColumn: '0',
      sensorColumn: '1',
      valueColumn: '11',
      timeFormat: 'mdy',
      timeZone: 'America/Los_Angeles',
    });
    expect(s.sensors).toEqual(['400001', '400002']);
    expect(s.start).toBe(Date.UTC(2026, 0, 5, 8)); // midnight in Los Angeles
    expect(Array.from(s.values)).toEqual([65.2, 60.1, 64.8, NaN]);
    const bad = await expectCode(
      () =>
        readSeriesCsv(bytes('t,s,v\n2026-01-05 00:00,a,1\n'), {
          ...opts,
          timestampColumn: 't',
          sensorColumn: 's',
          valueColumn: 'v',
          timeFormat: 'mdy',
        }),
      'E_INPUT_INVALID',
    );
    expect(bad.message).toMatch(/MM\/DD\/YYYY/);
    await expectCode(
      () => readSeriesCsv(bytes('t,a\n01/05/2026 00:00,1\n'), { intervalMinutes: 5, timestampColumn: 't', timeFormat: 'dmy' as never }),
      'E_INPUT_INVALID',
    );
    // The wide form reads MM/DD/YYYY too.
    const wide = await readSeriesCsv(bytes('t,a\n01/05/2026 00:00,1\n01/05/2026 00:05,2\n'), {
      intervalMinutes: 5,
      timestampColumn: 't',
      timeFormat: 'mdy',
    });
    expect(wide.start).toBe(Date.UTC(2026, 0, 5));
  });

  it('refuses what it cannot read with typed errors', async () => {
    const one = ['a,2026-01-05T00:00Z,50,1'];
    const noValue = await expectCode(
      () => readSeriesCsv(long(one), { intervalMinutes: 5, timestampColumn: 'time', sensorColumn: 'station' }),
      'E_INPUT_INVALID',
    );
    expect(noValue.details.field).toBe('valueColumn');
    const absent = await expectCode(() => readSeriesCsv(long(one), { ...opts, valueColumn: 'flow' }), 'E_INPUT_INVALID');
    expect(absent.details.missingColumns).toEqual(['flow']);
    await expectCode(() => readSeriesCsv(long(one), { ...opts, sensorColumn: 'time' }), 'E_INPUT_INVALID');
    const dup = await expectCode(
      () => readSeriesCsv(long(['a,2026-01-05T00:00Z,50,1', 'b,2026-01-05T00:00Z,51,1', 'a,2026-01-05T00:00:00Z,52,1']), opts),
      'E_INPUT_INVALID',
    );
    expect(dup.details).toMatchObject({ reason: 'timestamps-duplicated', sensor: 'a' });
    const noId = await expectCode(
      () => readSeriesCsv(long(['a,2026-01-05T00:00Z,50,1', ',2026-01-05T00:05Z,51,1']), opts),
      'E_INPUT_INVALID',
    );
    expect(noId.details.line).toBe(3);
    const word = await expectCode(() => readSeriesCsv(long(['a,2026-01-05T00:00Z,fast,1']), opts), 'E_INPUT_INVALID');
    expect(word.details).toMatchObject({ line: 2, column: 'speed' });
    await expectCode(() => readSeriesCsv(long(['a,yesterday,50,1']), opts), 'E_INPUT_INVALID');
    await expectCode(() => readSeriesCsv(long([]), opts), 'E_INPUT_INVALID');
    await expectCode(() => readSeriesCsv(long(one), { ...opts, sensors: ['zz'] }), 'E_INPUT_INVALID');
    await expectCode(() => readSeriesCsv(long(one), { ...opts, sensors: ['a', 'a'] }), 'E_INPUT_INVALID');
    // A listed sensor without a reading, as in a wide file.
    await expectCode(() => readSeriesCsv(long(['a,2026-01-05T00:00Z,50,1', 'b,2026-01-05T00:00Z,,1']), opts), 'E_INPUT_INVALID');
    const seconds = await expectCode(() => readSeriesCsv(long(['a,1767571200,50,1', 'a,1767571500,51,1']), opts), 'E_INPUT_INVALID');
    expect(seconds.details.reason).toBe('timestamps-look-like-seconds');
    // Also when a sensors list skips some rows (their times are never read).
    const subset = await expectCode(
      () => readSeriesCsv(long(['b,1767571200,40,1', 'a,1767571200,50,1', 'a,1767571500,51,1']), { ...opts, sensors: ['a'] }),
      'E_INPUT_INVALID',
    );
    expect(subset.details.reason).toBe('timestamps-look-like-seconds');
    const s = await readSeriesCsv(long(['a,1767571200,50,1', 'a,1767571500,51,1']), { ...opts, timeUnit: 's' });
    expect(s.start).toBe(Date.UTC(2026, 0, 5));
    await expectCode(
      () => readSeriesCsv(long(['a,2026-01-05T00:00Z,50,1', 'a,2026-01-05T00:05Z,51,1']), { ...opts, maxRows: 1 }),
      'E_INPUT_TOO_LARGE',
    );
  });
});

describe('readSeriesCsv points at the file and its physical line, and refuses numbers that are not epoch times', () => {
  it('names the file and the physical line (blank lines counted) in wide and long files, and an empty file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'traffic-lines-'));
    try {
      const wide = join(dir, 'wide.csv');
      await writeFile(wide, 'time,s0\n2026-01-01T00:00Z,1\n\n\n2026-01-01T00:05Z,abc\n');
      const e1 = await expectCode(() => readSeriesCsv(wide, { intervalMinutes: 5, timestampColumn: 'time' }), 'E_INPUT_INVALID');
      expect(e1.message).toBe(`${wide}: line 5, column 's0': 'abc' is not a number.`);
      expect(e1.details).toMatchObject({ line: 5 });
      const long = join(dir, 'long.csv');
      await writeFile(long, 'time,station,speed\n2026-01-01T00:00Z,a,1\n\n2026-01-01T00:00Z,b,bad\n');
      const e2 = await expectCode(
        () => readSeriesCsv(long, { intervalMinutes: 5, timestampColumn: 'time', sensorColumn: 'station', valueColumn: 'speed' }),
        'E_INPUT_INVALID',
      );
      expect(e2.message).toContain(`${long}: line 4, column 'speed'`);
      const empty = join(dir, 'empty.csv');
      await writeFile(empty, 'time,s0\n');
      const e3 = await expectCode(() => readSeriesCsv(empty, { intervalMinutes: 5, timestampColumn: 'time' }), 'E_INPUT_INVALID');
      expect(e3.message).toContain(empty);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses compact dates (202601010000) read as epoch milliseconds: a year of hourly rows fell into 39 steps', async () => {
    const lines = ['time,s0'];
    for (let h = 0; h < 48; h++)
      lines.push(`202601${String(1 + Math.floor(h / 24)).padStart(2, '0')}${String(h % 24).padStart(2, '0')}00,${h}`);
    const e = await expectCode(
      () => readSeriesCsv(Buffer.from(lines.join('\n')), { intervalMinutes: 60, timestampColumn: 'time' }),
      'E_INPUT_INVALID',
    );
    expect(e.details).toMatchObject({ reason: 'timestamps-not-epoch' });
    // Epoch milliseconds 5 min apart read; so do many sensors of a long file reporting every 30 s at their own offsets.
    const epoch = ['time,s0', ...Array.from({ length: 24 }, (_, k) => `${1767225600000 + k * 300_000},${k}`)];
    expect((await readSeriesCsv(Buffer.from(epoch.join('\n')), { intervalMinutes: 5, timestampColumn: 'time' })).steps).toBe(24);
    const long = ['time,station,speed'];
    for (let k = 0; k < 20; k++) for (let st = 0; st < 50; st++) long.push(`${1767225600000 + k * 30_000 + st * 7},${st},${k}`);
    const series = await readSeriesCsv(Buffer.from(long.join('\n')), {
      intervalMinutes: 5,
      timestampColumn: 'time',
      sensorColumn: 'station',
      valueColumn: 'speed',
    });
    expect(series.sensors).toHaveLength(50);
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

describe('readSeriesCsv options', () => {
  it('a misspelt option is refused with the valid names', async () => {
    const err = await expectCode(
      () =>
        readSeriesCsv(bytes('time,a\n2026-01-05T00:00Z,1\n'), { intervalMinutes: 5, timestampColumn: 'time', sensorColum: 'id' } as never),
      'E_INPUT_INVALID',
    );
    expect(err.message).toMatch(/readSeriesCsv options has no option 'sensorColum'; valid: .*sensorColumn/);
  });
});

describe('readSeriesCsv column options are column names', () => {
  const headerless = '2026-01-05T00:00:00Z,50,40\n2026-01-05T00:05:00Z,51,41\n';

  it("a number is refused saying to pass the name ('0'), not 'No timestamp column '0' (columns: 0, 1, 2…)'", async () => {
    const error = await expectCode(
      () => readSeriesCsv(bytes(headerless), { intervalMinutes: 5, header: false, timestampColumn: 0 as unknown as string }),
      'E_INPUT_INVALID',
    );
    expect(error.message).toBe(
      "readSeriesCsv timestampColumn must be a column name, a non-empty string (got 0). Column options name columns; without a header the columns are named '0', '1', …: pass '0'.",
    );
    expect(error.details).toEqual({ field: 'timestampColumn' });
    // The name reads the file.
    const series = await readSeriesCsv(bytes(headerless), { intervalMinutes: 5, header: false, timestampColumn: '0' });
    expect(series.sensors).toEqual(['1', '2']);
    // The long-file columns alike; other values are refused without the hint.
    const long = 'time,station,speed\n2026-01-05T00:00:00Z,a,1\n';
    const e2 = await expectCode(
      () =>
        readSeriesCsv(bytes(long), {
          intervalMinutes: 5,
          timestampColumn: 'time',
          sensorColumn: 1 as unknown as string,
          valueColumn: 'speed',
        }),
      'E_INPUT_INVALID',
    );
    expect(e2.message).toContain(
      "readSeriesCsv sensorColumn must be a column name, a non-empty string (got 1). Column options name columns; without a header the columns are named '0', '1', …: pass '1'.",
    );
    for (const bad of [null, '', -1, 1.5, ['time']]) {
      const e = await expectCode(
        () => readSeriesCsv(bytes(headerless), { intervalMinutes: 5, header: false, timestampColumn: bad as unknown as string }),
        'E_INPUT_INVALID',
      );
      expect(e.message).not.toContain('pass');
      expect(e.message).toMatch(/^readSeriesCsv timestampColumn must be a column name, a non-empty string \(got /);
    }
  });
});

describe('a wide file with a header cell of no name (review R3-7)', () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

  it('a trailing comma on every line (Excel) is said so, naming the empty column, not "1 sensor(s) with no reading at all ()"', async () => {
    for (const [text, options] of [
      ['time,a,b,\n2026-01-05T00:00Z,1,2,\n2026-01-05T00:05Z,3,4,\n', { intervalMinutes: 5, timestampColumn: 'time' }],
      ['a,b,\n1,2,\n3,4,\n', { intervalMinutes: 5 }],
    ] as const) {
      const error = await expectCode(() => readSeriesCsv(bytes(text), options), 'E_INPUT_INVALID');
      expect(error.message).toMatch(
        /^The header's column \d \(the column after 'b'\) has no name: an empty last column, as a comma at the end of every line makes/,
      );
      expect(error.details).toMatchObject({ reason: 'column-unnamed' });
    }
  });

  it("an unnamed column between others is refused too, as a long file's empty sensor id is (it was read as sensor '')", async () => {
    const error = await expectCode(
      () =>
        readSeriesCsv(bytes('time,a,,b\n2026-01-05T00:00Z,1,5,2\n2026-01-05T00:05Z,3,6,4\n'), {
          intervalMinutes: 5,
          timestampColumn: 'time',
        }),
      'E_INPUT_INVALID',
    );
    expect(error.message).toMatch(
      /^The header's column 3 \(the column after 'a'\) has no name: each column of a wide file is a sensor and needs an id/,
    );
    expect(error.details).toMatchObject({ column: 3 });
    // Without a header the sensors are named by position: nothing to refuse.
    const s = await readSeriesCsv(bytes('1,5,2\n3,6,4\n'), { intervalMinutes: 5, header: false });
    expect(s.sensors).toEqual(['s0', 's1', 's2']);
  });
});
