import { AppliedMLError, parseNumberCell, readCsvAll, readNumericMatrix, type CsvSource } from '@appliedml/engine';
import { checkInterval, createSeries, parseTimeText, toEpochMs, type TrafficSeries } from './series';
import { checkTimeZone } from './time-zone';

export interface ReadSeriesOptions {
  /** Minutes between steps. Irregular timestamps are resampled onto this grid. */
  intervalMinutes: number;
  /**
   * Name of a timestamp column: ISO 8601 (one without an offset is wall-clock time, read in UTC
   * fields on every server) or epoch numbers (see `timeUnit`). Without it the file is a plain matrix
   * (one row per step, every column a sensor) and `start` gives the clock.
   */
  timestampColumn?: string;
  /**
   * What numeric timestamps count: `'ms'` (default) or `'s'` (Unix seconds). Numbers that are all
   * between 1e9 and 1e10 under `'ms'` (early 1970 in milliseconds, 2001–2286 in seconds) are refused.
   */
  timeUnit?: 'ms' | 's';
  /**
   * IANA time zone of the local clock the traffic follows (e.g. 'America/Los_Angeles'): timestamps
   * without an offset are local times there (the repeated hour when clocks go back is read in file
   * order; a time the clocks skip is E_INPUT_INVALID), and the series' time features use its local time.
   */
  timeZone?: string;
  /** Time of the first row for a file without timestamps. */
  start?: Date | number | string;
  /** A reading equal to this value is missing (e.g. 0). Empty, NA, NaN and null cells always are. */
  missingValue?: number;
  /** Whether the first row holds sensor ids (default true; los_speed.csv has a numeric header). */
  header?: boolean;
  delimiter?: string;
  /** Safety limit on rows (E_INPUT_TOO_LARGE). */
  maxRows?: number;
}

/**
 * Reads a time × sensors CSV. Ragged rows, non-numeric cells and empty files → E_INPUT_INVALID with
 * the line; a sensor with no reading → E_INPUT_INVALID. With a timestamp column: timestamps out of
 * order or duplicated → E_INPUT_INVALID (`details.reason` 'timestamps-out-of-order' /
 * 'timestamps-duplicated'); irregular timestamps are put on the `intervalMinutes` grid from the first
 * timestamp: each reading goes to the nearest slot, slots with several readings take their mean, and
 * slots with none are missing (masked), never invented.
 */
export async function readSeriesCsv(source: CsvSource, options: ReadSeriesOptions): Promise<TrafficSeries> {
  const intervalMinutes = checkInterval(options.intervalMinutes);
  if (options.timestampColumn === undefined) {
    const m = await readNumericMatrix(source, {
      header: options.header ?? true,
      allowMissing: true,
      ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}),
      ...(options.maxRows !== undefined ? { maxRows: options.maxRows } : {}),
    });
    return createSeries({
      values: m.data,
      sensors: m.columns ?? m.cols,
      intervalMinutes,
      ...(options.start !== undefined ? { start: options.start } : {}),
      ...(options.missingValue !== undefined ? { missingValue: options.missingValue } : {}),
      ...(options.timeZone !== undefined ? { timeZone: options.timeZone } : {}),
    });
  }
  const tsColumn = options.timestampColumn;
  const timeUnit = options.timeUnit ?? 'ms';
  const timeZone = options.timeZone === undefined ? undefined : checkTimeZone(options.timeZone);
  if (timeUnit !== 'ms' && timeUnit !== 's')
    throw new AppliedMLError('E_INPUT_INVALID', `timeUnit must be 'ms' or 's' (got ${String(timeUnit)}).`, {
      details: { field: 'timeUnit' },
    });
  // The file's column order (a row's keys put numeric ids like '716331' first, ascending).
  let columns: readonly string[] = [];
  const rows = await readCsvAll(source, {
    header: true,
    onHeader: (names) => {
      columns = names;
    },
    ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}),
    ...(options.maxRows !== undefined ? { maxRows: options.maxRows } : {}),
  });
  if (rows.length === 0) throw new AppliedMLError('E_INPUT_INVALID', 'The CSV has no data rows.');
  if (!columns.includes(tsColumn)) {
    throw new AppliedMLError('E_INPUT_INVALID', `No timestamp column '${tsColumn}' (columns: ${columns.slice(0, 8).join(', ')}…).`, {
      details: { column: tsColumn },
    });
  }
  const sensors = columns.filter((c) => c !== tsColumn);
  if (sensors.length === 0) throw new AppliedMLError('E_INPUT_INVALID', 'The CSV has a timestamp column but no sensor columns.');
  const times = new Float64Array(rows.length);
  const readings = new Float64Array(rows.length * sensors.length);
  const missingCells = new Set(['', 'NA', 'NaN', 'nan', 'null']);
  let secondsLike = 0;
  rows.forEach((row, r) => {
    const line = r + 2;
    const raw = row[tsColumn];
    const text = typeof raw === 'string' ? raw.trim() : String(raw);
    const numeric = /^-?\d+(\.\d+)?$/.test(text);
    const ms = numeric
      ? Number(text) * (timeUnit === 's' ? 1000 : 1)
      : parseTimeText(text, `Line ${line}: timestamp`, timeZone, r > 0 ? (times[r - 1] as number) : undefined);
    if (!Number.isFinite(ms))
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `Line ${line}: timestamp '${text.slice(0, 40)}' is not an ISO 8601 date or an epoch number.`,
        {
          details: { line, column: tsColumn, value: text.slice(0, 40) },
        },
      );
    if (numeric && timeUnit === 'ms' && ms >= 1e9 && ms < 1e10) secondsLike++;
    if (r > 0) {
      const prev = times[r - 1] as number;
      if (ms === prev)
        throw new AppliedMLError('E_INPUT_INVALID', `Line ${line}: timestamp ${text} is duplicated.`, {
          details: { line, reason: 'timestamps-duplicated', value: text },
        });
      if (ms < prev)
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `Line ${line}: timestamp ${text} is earlier than the row before (rows must be in time order; a local-time export repeats an hour when clocks go back: give times with their UTC offset or in UTC).`,
          { details: { line, reason: 'timestamps-out-of-order', value: text } },
        );
    }
    times[r] = ms;
    sensors.forEach((name, s) => {
      const cell = row[name];
      const str = cell === null || cell === undefined ? '' : String(cell).trim();
      let v: number;
      if (missingCells.has(str)) v = NaN;
      else {
        // Decimal or scientific notation only: Number() would read '0x10' as 16.
        v = parseNumberCell(str) ?? NaN;
        if (!Number.isFinite(v))
          throw new AppliedMLError('E_INPUT_INVALID', `Line ${line}, column '${name}': '${str.slice(0, 40)}' is not a number.`, {
            details: { line, column: name, value: str.slice(0, 40) },
          });
      }
      readings[r * sensors.length + s] = v;
    });
  });
  if (secondsLike === rows.length)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `Every timestamp in '${tsColumn}' is a number between 1e9 and 1e10: as epoch milliseconds that is January to April 1970, and every reading would fall into a few steps. If they are Unix seconds, pass timeUnit: 's'.`,
      { details: { column: tsColumn, reason: 'timestamps-look-like-seconds' } },
    );
  return resampleToGrid(times, readings, sensors, intervalMinutes, options.missingValue, timeZone);
}

/** Nearest-slot resampling onto a regular grid from the first timestamp (see readSeriesCsv). */
export function resampleToGrid(
  times: Float64Array,
  readings: Float64Array,
  sensors: string[],
  intervalMinutes: number,
  missingValue?: number,
  timeZone?: string,
): TrafficSeries {
  const n = sensors.length;
  checkInterval(intervalMinutes);
  if (times.length === 0 || n === 0 || readings.length !== times.length * n)
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `${times.length} times × ${n} sensors need ${times.length * n} readings; got ${readings.length}.`,
    );
  for (let r = 0; r < times.length; r++) {
    const t = times[r] as number;
    if (!Number.isFinite(t) || (r > 0 && t < (times[r - 1] as number)))
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `Time ${r} (${t}) is not a finite time in increasing order; sort the readings by time first.`,
        {
          details: { row: r },
        },
      );
  }
  const first = times[0] as number;
  const stepMs = intervalMinutes * 60_000;
  const last = times[times.length - 1] as number;
  const steps = Math.round((last - first) / stepMs) + 1;
  if (steps > 50_000_000 / n)
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `Resampling spans ${steps} steps of ${intervalMinutes} min; check the interval and timestamps.`,
      { details: { steps } },
    );
  const sum = new Float64Array(steps * n);
  const count = new Uint32Array(steps * n);
  for (let r = 0; r < times.length; r++) {
    const slot = Math.round(((times[r] as number) - first) / stepMs);
    for (let s = 0; s < n; s++) {
      const v = readings[r * n + s] as number;
      if (Number.isNaN(v) || (missingValue !== undefined && v === missingValue)) continue;
      sum[slot * n + s] = (sum[slot * n + s] as number) + v;
      count[slot * n + s] = (count[slot * n + s] as number) + 1;
    }
  }
  const values = new Float64Array(steps * n);
  for (let i = 0; i < values.length; i++) values[i] = (count[i] as number) > 0 ? (sum[i] as number) / (count[i] as number) : NaN;
  return createSeries({
    values,
    sensors,
    intervalMinutes,
    start: toEpochMs(first),
    ...(missingValue !== undefined ? { missingValue } : {}),
    ...(timeZone !== undefined ? { timeZone } : {}),
  });
}
