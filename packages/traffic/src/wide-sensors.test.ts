import { describe, expect, it } from 'vitest';
import { readSeriesCsv } from './read-csv';
import { expectCode } from './test-helpers';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const timed = { intervalMinutes: 5, timestampColumn: 'time' };
// Sensor 'c' has no reading at all: read whole, the file is refused ('drop them or supply data').
const withEmpty = bytes('time,a,b,c\n2024-01-01T00:00:00Z,50,40,\n2024-01-01T00:05:00Z,51,,\n2024-01-01T00:10:00Z,52,42,\n');

describe("readSeriesCsv's sensors option on a wide file", () => {
  it('reads the listed sensor columns in the order listed, leaving out an empty one the file is otherwise refused for', async () => {
    const whole = await expectCode(() => readSeriesCsv(withEmpty, timed), 'E_INPUT_INVALID');
    expect(whole.message).toMatch(/sensor\(s\) with no reading at all \(c\); drop them or supply data\./);
    const s = await readSeriesCsv(withEmpty, { ...timed, sensors: ['b', 'a'] });
    expect(s.sensors).toEqual(['b', 'a']);
    expect(s.steps).toBe(3);
    expect(Array.from(s.values)).toEqual([40, 50, NaN, 51, 42, 52]);
    // Ids are matched as the header is read: without surrounding spaces.
    expect((await readSeriesCsv(withEmpty, { ...timed, sensors: [' a '] })).sensors).toEqual(['a']);
    // A listed sensor with no reading is still refused.
    expect((await expectCode(() => readSeriesCsv(withEmpty, { ...timed, sensors: ['a', 'c'] }), 'E_INPUT_INVALID')).details).toEqual({
      sensors: ['c'],
    });
  });

  it('does not read the columns left out: text, an unnamed trailing column, a reading out of range', async () => {
    const file = bytes('time,note,a,b,\n2024-01-01T00:00:00Z,roadworks,50,1e300,\n2024-01-01T00:05:00Z,,51,2,\n');
    await expectCode(() => readSeriesCsv(file, timed), 'E_INPUT_INVALID');
    const s = await readSeriesCsv(file, { ...timed, sensors: ['a'] });
    expect(s.sensors).toEqual(['a']);
    expect(Array.from(s.values)).toEqual([50, 51]);
  });

  it('picks columns of a file without timestamps too, by header name, or by position as s0, s1, … without a header', async () => {
    const named = await readSeriesCsv(bytes('773869,767541,716331\n60,,1\n61,,2\n'), { intervalMinutes: 5, sensors: ['716331', '773869'] });
    expect(named.sensors).toEqual(['716331', '773869']);
    expect(Array.from(named.values)).toEqual([1, 60, 2, 61]);
    const bare = await readSeriesCsv(bytes('1,,5\n2,,6\n'), { intervalMinutes: 5, header: false, sensors: ['s2'] });
    expect(bare.sensors).toEqual(['s2']);
    expect(Array.from(bare.values)).toEqual([5, 6]);
    // A reading out of range in a listed column is refused with its line and sensor; in another it is not read.
    const big = bytes('a,b\n1,1e300\n2,3\n');
    expect((await readSeriesCsv(big, { intervalMinutes: 5, sensors: ['a'] })).values).toEqual(Float64Array.from([1, 2]));
    const error = await expectCode(() => readSeriesCsv(big, { intervalMinutes: 5, sensors: ['b'] }), 'E_INPUT_INVALID');
    expect(error.details).toMatchObject({ line: 2, row: 0, sensor: 'b' });
  });

  it('refuses a listed sensor the header lacks, naming it, a column named nearly so, or another delimiter', async () => {
    const missing = await expectCode(() => readSeriesCsv(withEmpty, { ...timed, sensors: ['a', 'B', 'zz'] }), 'E_INPUT_INVALID');
    expect(missing.message).toBe(
      "sensors lists 2 sensors with no column in the header: 'B', 'zz' (columns: time, a, b, c). 'b' is there for 'B' (ids are matched exactly).",
    );
    expect(missing.details).toEqual({ field: 'sensors', missingColumns: ['B', 'zz'], columns: ['time', 'a', 'b', 'c'] });
    // A header split at the wrong delimiter is refused before: its cells are not numbers (with the hint).
    const semi = bytes('a;b\n1;2\n');
    expect((await expectCode(() => readSeriesCsv(semi, { intervalMinutes: 5, sensors: ['b'] }), 'E_INPUT_INVALID')).message).toMatch(
      /pass delimiter: ';'\.$/,
    );
    expect((await readSeriesCsv(semi, { intervalMinutes: 5, sensors: ['b'], delimiter: ';' })).sensors).toEqual(['b']);
    // None listed is a column: perhaps a long file read without sensorColumn and valueColumn.
    const tidy = bytes('time,station,speed\n2024-01-01T00:00:00Z,400001,50\n');
    expect((await expectCode(() => readSeriesCsv(tidy, { ...timed, sensors: ['400001'] }), 'E_INPUT_INVALID')).message).toBe(
      "sensors lists a sensor with no column in the header: '400001' (columns: time, station, speed). For a long file (one reading per row), pass sensorColumn and valueColumn too.",
    );
  });

  it('refuses the timestamp column, an empty list, ids that are not strings and an id twice (also once with spaces)', async () => {
    expect((await expectCode(() => readSeriesCsv(withEmpty, { ...timed, sensors: ['a', 'time'] }), 'E_INPUT_INVALID')).message).toBe(
      "sensors lists 'time', the timestamp column; list the sensor columns only.",
    );
    for (const sensors of [[], [''], [1], 'a'] as unknown as string[][])
      expect((await expectCode(() => readSeriesCsv(withEmpty, { ...timed, sensors }), 'E_INPUT_INVALID')).details).toEqual({
        field: 'sensors',
      });
    expect((await expectCode(() => readSeriesCsv(withEmpty, { ...timed, sensors: ['a', ' a'] }), 'E_INPUT_INVALID')).message).toBe(
      "sensors lists 'a' twice.",
    );
  });
});
