import { describe, expect, it } from 'vitest';
import { readSeriesCsv } from './read-csv';
import { expectCode } from './test-helpers';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const long = { intervalMinutes: 5, timestampColumn: 'time', sensorColumn: 'station', valueColumn: 'speed' };

// The header checks use the engine's missingColumns; these pin the wording readers see.
describe("readSeriesCsv's refusal of a header without the columns asked for", () => {
  it('a long file names every absent column, in the order of the options, and the columns there', async () => {
    const error = await expectCode(() => readSeriesCsv(bytes('when,station,kmh\n2024-01-01T00:00:00,a,50\n'), long), 'E_INPUT_INVALID');
    expect(error.message).toBe("No column 'time', 'speed' (columns: when, station, kmh).");
    expect(error.details).toEqual({ missingColumns: ['time', 'speed'], columns: ['when', 'station', 'kmh'] });
  });

  it("a long file's header of one column holding '|' says to pass it; one read with '|' is not told to", async () => {
    const piped = bytes('time|station|speed\n2024-01-01T00:00:00|a|50\n');
    const error = await expectCode(() => readSeriesCsv(piped, long), 'E_INPUT_INVALID');
    expect(error.message).toBe(
      "No column 'time', 'station', 'speed' (columns: time|station|speed). The header is one column holding '|': if the file is separated by '|', pass delimiter: '|'.",
    );
    expect((await readSeriesCsv(piped, { ...long, delimiter: '|' })).sensors).toEqual(['a']);
    const semi = bytes('time;station\n2024-01-01T00:00:00;a\n');
    expect((await expectCode(() => readSeriesCsv(semi, { ...long, delimiter: ';' }), 'E_INPUT_INVALID')).message).toBe(
      "No column 'speed' (columns: time, station).",
    );
  });

  it('a wide file whose timestamp column differs only in case gets no delimiter hint, and details name the column', async () => {
    const error = await expectCode(
      () => readSeriesCsv(bytes('Time,a\n2024-01-01T00:00:00,50\n'), { intervalMinutes: 5, timestampColumn: 'time' }),
      'E_INPUT_INVALID',
    );
    expect(error.message).toBe("No timestamp column 'time' (columns: Time, a).");
    expect(error.details).toEqual({ column: 'time' });
  });
});
