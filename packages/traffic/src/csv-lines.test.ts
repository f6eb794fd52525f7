import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSeriesCsv } from './read-csv';
import { expectCode } from './test-helpers';

// The readers' range errors name the line of the CSV file to fix, 1-based with the header as line 1
// (as an editor counts; blank lines and quoted line breaks included), besides the row of the series or
// the reading's time they named before. They named only those: a reading past 1e12 was "Row 1, sensor
// 'b'" (row 1 of the series was line 4 of a file with a blank line) or "Sensor 'b' at <time>"; a
// timestamp past what a series holds was "time is not a valid date: 8639999999999999." (and, after the
// first row, not refused at all); a long file's duplicate and a span too long to resample named no line.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'traffic-csv-lines-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const long = { intervalMinutes: 5, timestampColumn: 't', sensorColumn: 'id', valueColumn: 'v' } as const;

describe('a reading past 1e12 names the line of the file', () => {
  it('a wide file without timestamps: the line (blank lines counted) and the row of the series', async () => {
    const path = await file('matrix.csv', 'a,b\n1,2\n\n3,1e13\n');
    const e = await expectCode(() => readSeriesCsv(path, { intervalMinutes: 5 }), 'E_INPUT_INVALID');
    expect(e.message).toBe(
      `${path}: line 4 (row 1), sensor 'b' is 10000000000000; readings must be finite, at most 1000000000000 in size (NaN for missing).`,
    );
    expect(e.details).toEqual({ line: 4, row: 1, sensor: 'b', value: 1e13 });
    const headerless = await expectCode(
      () => readSeriesCsv(new TextEncoder().encode('1,2\n3,-2e12\n'), { intervalMinutes: 5, header: false }),
      'E_INPUT_INVALID',
    );
    expect(headerless.message).toMatch(/^Line 2 \(row 1\), sensor 's1' is -2000000000000;/);
    // A missing-value marker past the bound is no reading.
    const marked = await readSeriesCsv(path, { intervalMinutes: 5, missingValue: 1e13 });
    expect(Number.isNaN(marked.values[3])).toBe(true);
  });

  it('a wide file with timestamps: the line (a quoted line break counted), the sensor and the time', async () => {
    const path = await file('wide.csv', 't,a,b\n2024-01-01T00:00Z,"1\n",2\n2024-01-01T00:05Z,3,1e13\n');
    const e = await expectCode(() => readSeriesCsv(path, { intervalMinutes: 5, timestampColumn: 't' }), 'E_INPUT_INVALID');
    expect(e.message).toBe(
      `${path}: line 4, sensor 'b' at 2024-01-01T00:05:00.000Z is 10000000000000; readings must be finite, at most 1000000000000 in size (NaN for missing).`,
    );
    expect(e.details).toEqual({ line: 4, sensor: 'b', time: '2024-01-01T00:05:00.000Z', value: 1e13 });
  });

  it('a long file: the line, the sensor and the time', async () => {
    const path = await file('long.csv', 't,id,v\n2024-01-01T00:00Z,a,1\n\n2024-01-01T00:05Z,a,-1e13\n');
    const e = await expectCode(() => readSeriesCsv(path, long), 'E_INPUT_INVALID');
    expect(e.message).toMatch(new RegExp(`^${path}: line 4, sensor 'a' at 2024-01-01T00:05:00.000Z is -10000000000000;`));
    expect(e.details).toEqual({ line: 4, sensor: 'a', time: '2024-01-01T00:05:00.000Z', value: -1e13 });
  });
});

describe('a timestamp past the times a series holds names its line', () => {
  it('in a wide file, first or later row, epoch milliseconds or seconds', async () => {
    for (const [text, line] of [
      ['t,a\n8639999999999999,1\n', 2],
      ['t,a\n8639990000000000,1\n8639999999999999,1\n', 3],
      ['t,a\n-8639999999999999,1\n', 2],
    ] as const) {
      const path = await file(`far-${line}.csv`, text);
      const e = await expectCode(() => readSeriesCsv(path, { intervalMinutes: 1440, timestampColumn: 't' }), 'E_INPUT_INVALID');
      expect(e.message).toMatch(
        new RegExp(
          `^${path}: line ${line}: timestamp '-?8639999999999999' is outside the times a series can hold \\(-271821-04-30T00:00:00.000Z to \\+275760-09-03T00:00:00.000Z, read as epoch milliseconds\\)\\.$`,
        ),
      );
      expect(e.details).toMatchObject({ line, column: 't', reason: 'time-out-of-range' });
    }
    const seconds = await file('seconds.csv', 't,a\n1700000000,1\n8639999999999,2\n');
    const e = await expectCode(
      () => readSeriesCsv(seconds, { intervalMinutes: 5, timestampColumn: 't', timeUnit: 's' }),
      'E_INPUT_INVALID',
    );
    expect(e.message).toContain(`${seconds}: line 3: timestamp '8639999999999' is outside`);
    expect(e.message).toContain('read as epoch seconds');
  });

  it('in a long file', async () => {
    const path = await file('far-long.csv', 't,id,v\n0,a,1\n8639999999999999,b,2\n');
    const e = await expectCode(() => readSeriesCsv(path, long), 'E_INPUT_INVALID');
    expect(e.details).toMatchObject({ line: 3, reason: 'time-out-of-range' });
  });
});

it('a local time the clocks skip has its line in details too (the message named it already)', async () => {
  const text = 't,id,v\n2012-03-11 01:55:00,a,1\n\n2012-03-11 02:00:00,a,2\n';
  const e = await expectCode(
    () => readSeriesCsv(new TextEncoder().encode(text), { ...long, timeZone: 'America/Los_Angeles' }),
    'E_INPUT_INVALID',
  );
  expect(e.message).toBe(
    'Line 4: timestamp 2012-03-11 02:00:00 does not exist in America/Los_Angeles (the clocks skip it when they go forward).',
  );
  expect(e.details).toEqual({ line: 4, column: 't', value: '2012-03-11 02:00:00', reason: 'time-skipped-by-clock-change' });
});

describe('errors about two timestamps name both lines', () => {
  it('a long file: the same sensor twice at one time', async () => {
    const path = await file('dup.csv', 't,id,v\n2024-01-01T00:00Z,a,1\n2024-01-01T00:05Z,a,1\n2024-01-01T00:00Z,a,2\n');
    const e = await expectCode(() => readSeriesCsv(path, long), 'E_INPUT_INVALID');
    expect(e.message).toBe(`Sensor 'a' has two rows at 2024-01-01T00:00:00.000Z (${path}: line 2 and line 4).`);
    expect(e.details).toEqual({ reason: 'timestamps-duplicated', sensor: 'a', time: '2024-01-01T00:00:00.000Z', lines: [2, 4] });
  });

  it('a span too long to resample: the lines of the earliest and the latest time', async () => {
    const text = 't,id,v\n2524-01-01T00:05Z,a,1\n2024-01-01T00:00Z,b,1\n';
    const e = await expectCode(
      () => readSeriesCsv(new TextEncoder().encode(text), { ...long, intervalMinutes: 1 / 60 }),
      'E_INPUT_TOO_LARGE',
    );
    expect(e.message).toBe(
      'Resampling spans 15778454701 steps of 0.016666666666666666 min, from 2024-01-01T00:00:00.000Z (Line 3) to 2524-01-01T00:05:00.000Z (line 2); check the interval and timestamps.',
    );
    expect(e.details).toEqual({ steps: 15778454701, firstLine: 3, lastLine: 2 });
    const wide = await expectCode(
      () =>
        readSeriesCsv(new TextEncoder().encode('t,a\n2024-01-01T00:00Z,1\n\n2524-01-01T00:05Z,1\n'), {
          intervalMinutes: 1 / 60,
          timestampColumn: 't',
        }),
      'E_INPUT_TOO_LARGE',
    );
    expect(wide.details).toEqual({ steps: 15778454701, firstLine: 2, lastLine: 4 });
  });
});

it('a missing-value marker that is no finite number is refused before the file is read', async () => {
  const e = await expectCode(
    () => readSeriesCsv(join(dir, 'absent.csv'), { intervalMinutes: 5, missingValue: 'x' as never }),
    'E_INPUT_INVALID',
  );
  expect(e.message).toBe('missingValue must be a finite number; got "x".');
  expect(e.details).toEqual({ field: 'missingValue' });
});

it("a wide file with timestamps and header: false: columns '0', '1', … and every row read (the first was taken for a header)", async () => {
  const text = '2012-03-01 00:00:00,64.375,67.625\n2012-03-01 00:05:00,1e13,68.5\n';
  const e = await expectCode(
    () => readSeriesCsv(new TextEncoder().encode(text), { intervalMinutes: 5, timestampColumn: '0', header: false }),
    'E_INPUT_INVALID',
  );
  expect(e.details).toEqual({ line: 2, sensor: '1', time: '2012-03-01T00:05:00.000Z', value: 1e13 });
  const s = await readSeriesCsv(new TextEncoder().encode(text.replace('1e13', '64.5')), {
    intervalMinutes: 5,
    timestampColumn: '0',
    header: false,
  });
  expect(s.sensors).toEqual(['1', '2']);
  expect(s.steps).toBe(2);
  expect(Array.from(s.values)).toEqual([64.375, 67.625, 64.5, 68.5]);
  expect(s.start).toBe(Date.UTC(2012, 2, 1));
});
