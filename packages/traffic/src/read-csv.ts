import {
  AppliedMLError,
  checkKnownKeys,
  csvRowLine,
  describeValue,
  missingColumns,
  parseNumberCell,
  readCsv,
  readCsvAll,
  readNumericMatrix,
  statRegularFile,
  type CsvSource,
  type MissingColumns,
} from '@appliedml/engine';
import {
  checkInterval,
  checkMissingValue,
  createSeries,
  isLocalTimeText,
  MAX_EPOCH_MS,
  MAX_READING,
  parseTimeText,
  toEpochMs,
  type TrafficSeries,
} from './series';
import { checkTimeZone, secondPassHint } from './time-zone';

export interface ReadSeriesOptions {
  /** Minutes between steps, in [1/60, 1440] (one second to one day). Irregular timestamps are resampled onto this grid. */
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
   * Without `timestampColumn` it is E_INPUT_INVALID (no times to read).
   */
  timeUnit?: 'ms' | 's';
  /**
   * IANA time zone of the local clock the traffic follows (e.g. 'America/Los_Angeles'): timestamps
   * without an offset are local times there (the repeated hour when clocks go back is read in file
   * order; a time the clocks skip is E_INPUT_INVALID), and the series' time features use its local time.
   */
  timeZone?: string;
  /**
   * Time of the first row for a file without timestamps. Beside `timestampColumn` (the file's own
   * times) it is E_INPUT_INVALID.
   */
  start?: Date | number | string;
  /** A reading equal to this value is missing (e.g. 0). Empty, NA, NaN and null cells always are. */
  missingValue?: number;
  /**
   * Whether the first row holds the column names (default true; los_speed.csv has a numeric header).
   * Without one the columns are named '0', '1', … (the sensor ids; `timestampColumn: '0'` for times in
   * the first column: column options are names, and a number such as `0` is E_INPUT_INVALID).
   */
  header?: boolean;
  delimiter?: string;
  /** Safety limit on rows (E_INPUT_TOO_LARGE). */
  maxRows?: number;
  /**
   * Long ("tidy") files, one reading per row: the column holding the sensor id. Needs
   * `timestampColumn` and `valueColumn`; every other column is ignored. Rows may come in any order
   * (by time, or sensor by sensor).
   */
  sensorColumn?: string;
  /** Long files: the column holding the reading (e.g. 'speed'). */
  valueColumn?: string;
  /**
   * How timestamp texts are written: 'iso' (default, ISO 8601) or 'mdy' (`MM/DD/YYYY HH:mm[:ss]`, as
   * PeMS clearinghouse files and many US exports write them; wall-clock time, read like an ISO time
   * without an offset: in UTC fields, or in `timeZone`). Day-first times (DD/MM/YYYY) are not read: with
   * 'mdy', a first field over 12, or dates that all read both ways and lie closer day-first, are
   * E_INPUT_INVALID (`details.reason` 'timestamps-day-first'), never a misread series. Dates whose second
   * field is always 01 (01/01, 02/01, 03/01) cannot tell the two readings apart (the 1st of each month, or
   * 1 to 12 January day-first): with 'mdy' they are E_INPUT_INVALID (`details.reason`
   * 'timestamps-ambiguous'), naming both readings; write such times as ISO 8601.
   * Without `timestampColumn` it is E_INPUT_INVALID (no times to read).
   */
  timeFormat?: 'iso' | 'mdy';
  /**
   * The sensors to keep, in this order (ids as the file writes them, surrounding spaces aside; a listed
   * sensor with no reading is E_INPUT_INVALID). A wide file: the sensor columns to read (other columns
   * are skipped unread, e.g. one left empty or holding text; a file without `timestampColumn` is still
   * read whole, every column a number), default every column in the file's order; a listed column the
   * header lacks is E_INPUT_INVALID. A long file: rows of other sensors are skipped; default every
   * sensor, in the order each first appears in the file.
   */
  sensors?: readonly string[];
}

/**
 * Reads a time × sensors CSV. Ragged rows, non-numeric cells and empty files → E_INPUT_INVALID with
 * the line; a sensor with no reading → E_INPUT_INVALID. With a timestamp column: timestamps out of
 * order or duplicated → E_INPUT_INVALID (`details.reason` 'timestamps-out-of-order' /
 * 'timestamps-duplicated'); irregular timestamps are put on the `intervalMinutes` grid from the first
 * timestamp: each reading goes to the nearest slot, slots with several readings take their mean, and
 * slots with none are missing (masked), never invented. A path that is missing or not a regular file (a
 * folder, a FIFO, a device) → E_IO before it is opened, in the engine's `statRegularFile` words ("Cannot
 * read series CSV file <path>: it is a FIFO (named pipe), not a regular file.", `details.path`,
 * `details.reason`).
 */
const READ_SERIES_KEYS = Object.keys({
  intervalMinutes: 1,
  timestampColumn: 1,
  timeUnit: 1,
  timeZone: 1,
  start: 1,
  missingValue: 1,
  header: 1,
  delimiter: 1,
  maxRows: 1,
  sensorColumn: 1,
  valueColumn: 1,
  sensors: 1,
  timeFormat: 1,
} satisfies Record<keyof ReadSeriesOptions, 1>);

export async function readSeriesCsv(source: CsvSource, options: ReadSeriesOptions): Promise<TrafficSeries> {
  if (options === undefined)
    throw new AppliedMLError('E_INPUT_INVALID', 'readSeriesCsv needs options with at least intervalMinutes.', {
      details: { field: 'options' },
    });
  checkKnownKeys('readSeriesCsv options', options, READ_SERIES_KEYS);
  const intervalMinutes = checkInterval(options.intervalMinutes);
  const missingValue = checkMissingValue(options.missingValue);
  for (const field of ['timestampColumn', 'sensorColumn', 'valueColumn'] as const) checkColumnName(field, options[field]);
  // `start` is the first row's time of a file without timestamps: beside a timestamp column it read
  // nothing (the series began at the file's own first time) and was dropped without a word.
  if (options.start !== undefined && options.timestampColumn !== undefined)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `start is the time of the first row of a file without timestamps, and timestampColumn ('${options.timestampColumn}') gives the file's own times: leave start out (or timestampColumn, to read one row per step from start).`,
      { details: { field: 'start' } },
    );
  // And how the times of that column are written means nothing without one (the file is read one row per step).
  for (const field of ['timeUnit', 'timeFormat'] as const)
    if (options[field] !== undefined && options.timestampColumn === undefined)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `${field} says how the times of timestampColumn are written, and no timestampColumn was given (a file without one is read one row per step, from start): give timestampColumn or leave ${field} out.`,
        { details: { field } },
      );
  // A path is looked at before it is opened, as every SDK's readers do: a FIFO blocked the read for ever,
  // and a folder or a missing file gave the system's words (EISDIR, ENOENT).
  if (typeof source === 'string') await statRegularFile(source, 'series CSV file');
  if (options.sensorColumn !== undefined || options.valueColumn !== undefined) return readLongCsv(source, options, intervalMinutes);
  const wanted = checkSensorList(options.sensors);
  if (options.timestampColumn === undefined) {
    const m = await readNumericMatrix(source, {
      header: options.header ?? true,
      allowMissing: true,
      ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}),
      ...(options.maxRows !== undefined ? { maxRows: options.maxRows } : {}),
      rowLines: true,
    });
    // Without a header the sensors are named by position, as createSeries names them.
    const names = m.columns ?? Array.from({ length: m.cols }, (_, c) => `s${c}`);
    if (m.columns && !wanted) checkHeaderNames(m.columns, source);
    const picked = wanted ? sensorColumnsOf(names, wanted) : names.map((_, c) => c);
    const rowCount = m.data.length / m.cols;
    const values = wanted ? new Float64Array(rowCount * picked.length) : m.data;
    // Here, not in createSeries, to name the line of the file besides the row of the series.
    const at = lineLabel(source);
    for (let row = 0; row < rowCount; row++) {
      picked.forEach((c, s) => {
        const v = m.data[row * m.cols + c] as number;
        values[row * picked.length + s] = v;
        if (!outOfRange(v, missingValue)) return;
        const line = m.rowLines![row] as number;
        const sensor = names[c] as string;
        throw readingOutOfRange(`${at(line)} (row ${row}), sensor '${sensor}'`, v, { line, row, sensor });
      });
    }
    return createSeries({
      values,
      sensors: picked.map((c) => names[c] as string),
      intervalMinutes,
      ...(options.start !== undefined ? { start: options.start } : {}),
      ...(options.missingValue !== undefined ? { missingValue: options.missingValue } : {}),
      ...(options.timeZone !== undefined ? { timeZone: options.timeZone } : {}),
    });
  }
  const tsColumn = options.timestampColumn;
  const at = lineLabel(source);
  const clock = timestampReader(tsColumn, options, at);
  // The file's column order (a row's keys put numeric ids like '716331' first, ascending).
  let columns: readonly string[] = [];
  const header = options.header ?? true;
  const rows = await readCsvAll(source, {
    // Without a header the columns are named '0', '1', … (it was read as a header regardless: the first
    // row's readings became the sensor ids, or the timestamp column was not found).
    header,
    onHeader: (names) => {
      columns = names;
    },
    ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}),
    ...(options.maxRows !== undefined ? { maxRows: options.maxRows } : {}),
  });
  if (rows.length === 0) throw noDataRows(source);
  const noTimestamp = missingColumns(columns, [tsColumn], { delimiter: options.delimiter });
  if (noTimestamp !== undefined) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `No timestamp column '${tsColumn}' (columns: ${columns.slice(0, 8).join(', ')}${columns.length > 8 ? ', …' : ''}).${delimiterHint(noTimestamp)}`,
      { details: { column: tsColumn } },
    );
  }
  if (header && !wanted) checkHeaderNames(columns, source);
  if (wanted) sensorColumnsOf(columns, wanted, tsColumn); // refuses a listed sensor the header lacks
  const sensors = wanted ?? columns.filter((c) => c !== tsColumn);
  if (sensors.length === 0) throw new AppliedMLError('E_INPUT_INVALID', 'The CSV has a timestamp column but no sensor columns.');
  const times = new Float64Array(rows.length);
  const readings = new Float64Array(rows.length * sensors.length);
  rows.forEach((row, r) => {
    // The physical line (blank lines and quoted line breaks counted).
    const line = csvRowLine(row) ?? r + (header ? 2 : 1);
    const text = cellText(row[tsColumn]);
    const ms = clock.read(
      text,
      line,
      r > 0 ? (times[r - 1] as number) : undefined,
      r > 1 ? (times[r - 1] as number) - (times[r - 2] as number) : undefined,
    );
    if (r > 0) {
      const prev = times[r - 1] as number;
      if (ms === prev)
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `${at(line)}: timestamp ${text} is duplicated.${localTimeHint(text, clock.timeZone, ms) || clock.noZoneHint()}`,
          {
            details: { line, reason: 'timestamps-duplicated', value: text },
          },
        );
      if (ms < prev)
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `${at(line)}: timestamp ${text} is earlier than the row before (rows must be in time order).${clock.noZoneHint() || ' A local-time export repeats an hour when clocks go back: give times with their UTC offset or in UTC.'}`,
          { details: { line, reason: 'timestamps-out-of-order', value: text } },
        );
    }
    times[r] = ms;
    sensors.forEach((name, s) => {
      const v = readingOf(cellText(row[name]), line, name, at);
      if (outOfRange(v, missingValue)) {
        const time = new Date(ms).toISOString();
        throw readingOutOfRange(`${at(line)}, sensor '${name}' at ${time}`, v, { line, sensor: name, time });
      }
      readings[r * sensors.length + s] = v;
    });
  });
  clock.finish(rows.length, times);
  const span = { at, first: csvRowLine(rows[0]!) ?? 1, last: csvRowLine(rows[rows.length - 1]!) ?? rows.length };
  return gridOf(times, readings, sensors, intervalMinutes, missingValue, clock.timeZone, span);
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
  for (const [name, list] of [
    ['times', times as unknown],
    ['readings', readings as unknown],
  ] as const)
    if (!(list instanceof Float64Array) && !(Array.isArray(list) && list.every((v) => typeof v === 'number')))
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `resampleToGrid needs ${name} as a Float64Array of numbers; got ${describeValue(list)}.`,
        {
          details: { field: name },
        },
      );
  if (!Array.isArray(sensors))
    throw new AppliedMLError('E_INPUT_INVALID', `resampleToGrid needs sensors as a list of ids; got ${describeValue(sensors)}.`, {
      details: { field: 'sensors' },
    });
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
  return gridOf(times, readings, sensors, intervalMinutes, missingValue, timeZone);
}

/** resampleToGrid's work, on checked arguments; `span` gives the file lines of the first and last time. */
function gridOf(
  times: Float64Array,
  readings: Float64Array,
  sensors: string[],
  intervalMinutes: number,
  missingValue: number | undefined,
  timeZone: string | undefined,
  span?: Span,
): TrafficSeries {
  const n = sensors.length;
  return accumulateOnGrid(
    times[0] as number,
    times[times.length - 1] as number,
    sensors,
    intervalMinutes,
    missingValue,
    timeZone,
    (add) => {
      for (let r = 0; r < times.length; r++) for (let s = 0; s < n; s++) add(times[r] as number, s, readings[r * n + s] as number);
    },
    span,
  );
}

/** The file lines of a reader's earliest and latest timestamps, for the message of a span too long to resample. */
interface Span {
  at: (line: number) => string;
  first: number;
  last: number;
}

/** Whether a parsed reading is past MAX_READING in size (a missing-value marker past it is no reading). */
function outOfRange(v: number, missingValue: number | undefined): boolean {
  return Math.abs(v) > MAX_READING && v !== missingValue;
}

/** E_INPUT_INVALID for a reading past MAX_READING in size; `where` names the line, sensor and row or time. */
function readingOutOfRange(where: string, v: number, details: Record<string, unknown>): AppliedMLError {
  return new AppliedMLError(
    'E_INPUT_INVALID',
    `${where} is ${v}; readings must be finite, at most ${MAX_READING} in size (NaN for missing).`,
    { details: { ...details, value: v } },
  );
}

/**
 * The grid from `first` to `last` (nearest slots): `fill` hands every reading to `add`; missing ones
 * (NaN, `missingValue`) are skipped, a slot's readings averaged, empty slots NaN. A reading larger than
 * MAX_READING in size is E_INPUT_INVALID naming the sensor, time and value (averaged with others, it
 * could have passed createSeries' check).
 */
function accumulateOnGrid(
  first: number,
  last: number,
  sensors: string[],
  intervalMinutes: number,
  missingValue: number | undefined,
  timeZone: string | undefined,
  fill: (add: (time: number, sensor: number, value: number) => void) => void,
  span?: Span,
): TrafficSeries {
  const n = sensors.length;
  const stepMs = intervalMinutes * 60_000;
  const steps = Math.round((last - first) / stepMs) + 1;
  if (steps > 50_000_000 / n)
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `Resampling spans ${steps} steps of ${intervalMinutes} min${
        span
          ? `, from ${new Date(first).toISOString()} (${span.at(span.first)}) to ${new Date(last).toISOString()} (line ${span.last})`
          : ''
      }; check the interval and timestamps.`,
      { details: { steps, ...(span ? { firstLine: span.first, lastLine: span.last } : {}) } },
    );
  const sum = new Float64Array(steps * n);
  const count = new Uint32Array(steps * n);
  fill((time, s, v) => {
    if (Number.isNaN(v) || (missingValue !== undefined && v === missingValue)) return;
    if (!(Math.abs(v) <= MAX_READING)) {
      const when = Math.abs(time) <= 8.64e15 ? new Date(time).toISOString() : String(time);
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `Sensor '${sensors[s]}' at ${when} is ${v}; readings must be finite, at most ${MAX_READING} in size (NaN for missing).`,
        { details: { sensor: sensors[s], time: when, value: v } },
      );
    }
    const at = Math.round((time - first) / stepMs) * n + s;
    sum[at] = (sum[at] as number) + v;
    count[at] = (count[at] as number) + 1;
  });
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

/**
 * For a header read as one column that holds another usual delimiter (a ';'-separated export, as
 * spreadsheets in many locales write, or tabs; `missingColumns` finds it), the hint to pass it; otherwise ''.
 */
function delimiterHint({ otherDelimiter: found }: MissingColumns): string {
  if (found === undefined) return '';
  const shown = found === '\t' ? "'\\t'" : `'${found}'`;
  return ` The header is one column holding ${shown}: if the file is separated by ${shown}, pass delimiter: ${shown}.`;
}

/**
 * The `sensors` option: undefined, or a non-empty list of distinct ids, trimmed (a file's header names and
 * sensor ids are read trimmed); anything else is E_INPUT_INVALID.
 */
function checkSensorList(wanted: unknown): string[] | undefined {
  if (wanted === undefined) return undefined;
  if (!Array.isArray(wanted) || wanted.length === 0 || wanted.some((id) => typeof id !== 'string' || id.trim() === ''))
    throw new AppliedMLError('E_INPUT_INVALID', 'sensors must be a non-empty list of sensor ids (strings).', {
      details: { field: 'sensors' },
    });
  const ids = (wanted as string[]).map((id) => id.trim());
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined)
    throw new AppliedMLError('E_INPUT_INVALID', `sensors lists '${dup}' twice.`, { details: { field: 'sensors', sensor: dup } });
  return ids;
}

/**
 * A wide file's columns for the listed sensors (positions in `columns`, in the list's order). A listed id
 * that is the timestamp column, or that the header lacks, is E_INPUT_INVALID: the message names the ids
 * and any column named nearly so, or, when no listed id is a column, says a long file needs sensorColumn
 * and valueColumn. (A header split at the wrong delimiter is refused earlier: its timestamp column is not
 * found, or its cells are not numbers.)
 */
function sensorColumnsOf(columns: readonly string[], wanted: readonly string[], tsColumn?: string): number[] {
  if (tsColumn !== undefined && wanted.includes(tsColumn))
    throw new AppliedMLError('E_INPUT_INVALID', `sensors lists '${tsColumn}', the timestamp column; list the sensor columns only.`, {
      details: { field: 'sensors', sensor: tsColumn },
    });
  const gap = missingColumns(columns, wanted);
  if (gap === undefined) return wanted.map((id) => columns.indexOf(id));
  const { missing } = gap;
  const ids = `${missing
    .slice(0, 8)
    .map((id) => `'${id}'`)
    .join(', ')}${missing.length > 8 ? ', …' : ''}`;
  const shown = `${columns.slice(0, 12).join(', ')}${columns.length > 12 ? ', …' : ''}`;
  const near = [...gap.near].map(([id, column]) => ` '${column}' is there for '${id}' (ids are matched exactly).`).join('');
  const long = missing.length === wanted.length ? ' For a long file (one reading per row), pass sensorColumn and valueColumn too.' : '';
  throw new AppliedMLError(
    'E_INPUT_INVALID',
    `sensors lists ${missing.length === 1 ? 'a sensor' : `${missing.length} sensors`} with no column in the header: ${ids} (columns: ${shown}).${near}${long}`,
    { details: { field: 'sensors', missingColumns: missing.slice(0, 200), columns: columns.slice(0, 200) } },
  );
}

const MISSING_CELLS = new Set(['', 'NA', 'NaN', 'nan', 'null']);

function cellText(cell: unknown): string {
  return cell === null || cell === undefined ? '' : String(cell).trim();
}

/** A reading cell: NaN when missing; decimal or scientific notation only (Number() reads '0x10' as 16). */
function readingOf(text: string, line: number, column: string, at: (line: number) => string): number {
  if (MISSING_CELLS.has(text)) return NaN;
  const v = parseNumberCell(text) ?? NaN;
  if (!Number.isFinite(v))
    throw new AppliedMLError('E_INPUT_INVALID', `${at(line)}, column '${column}': '${text.slice(0, 40)}' is not a number.`, {
      details: { line, column, value: text.slice(0, 40) },
    });
  return v;
}

/** "file.csv: line 12" (or "Line 12" for a buffer or stream): where a message points. */
function lineLabel(source: CsvSource): (line: number) => string {
  return typeof source === 'string' ? (line) => `${source}: line ${line}` : (line) => `Line ${line}`;
}

/**
 * A wide file's header cell with no name would make a sensor with the id '' (long files refuse an empty
 * id): E_INPUT_INVALID naming its column. A comma at the end of every line, as spreadsheets export, makes
 * an empty last column; that one is said so.
 */
function checkHeaderNames(columns: readonly string[], source: CsvSource): void {
  const i = columns.findIndex((c) => c.trim() === '');
  if (i < 0) return;
  const where = typeof source === 'string' ? `${source}: the header` : 'The header';
  const place = i === 0 ? 'the first column' : `the column after '${columns[i - 1]}'`;
  const fix =
    i === columns.length - 1 && i > 0
      ? 'an empty last column, as a comma at the end of every line makes (spreadsheets export them): remove the trailing commas, or name the column'
      : 'each column of a wide file is a sensor and needs an id: name it, or remove the column';
  throw new AppliedMLError('E_INPUT_INVALID', `${where}'s column ${i + 1} (${place}) has no name: ${fix}.`, {
    details: { column: i + 1, reason: 'column-unnamed', ...(typeof source === 'string' ? { source } : {}) },
  });
}

function noDataRows(source: CsvSource): AppliedMLError {
  return new AppliedMLError('E_INPUT_INVALID', `${typeof source === 'string' ? `${source}: the` : 'The'} CSV has no data rows.`, {
    details: typeof source === 'string' ? { source } : {},
  });
}

interface TimestampReader {
  readonly timeZone: string | undefined;
  /**
   * Epoch ms of a timestamp cell; `after` (the previous row's time) and `stepMs` (the step before it)
   * pick the repeated local hour (see parseTimeText).
   */
  read(text: string, line: number, after: number | undefined, stepMs?: number): number;
  /**
   * After `rows` reads: refuses numbers that all look like Unix seconds under 'ms', and epoch numbers
   * whose times (`times`, of the sensors `sensorOf` in a long file) are packed closer than a second per
   * sensor: compact dates such as 202601010000 read as epoch milliseconds.
   */
  finish(rows: number, times: Float64Array, sorted?: { order: readonly number[]; group: Float64Array }): void;
  /**
   * Times read as local clock times without a `timeZone`: the hint for a time that goes back or comes
   * twice (the hour repeated when clocks go back), naming the option that reads it; '' otherwise.
   */
  noZoneHint(): string;
}

/** `secondPassHint` for a timestamp cell written as local time (not an epoch number, not with an offset). */
function localTimeHint(text: string, timeZone: string | undefined, ms: number): string {
  return isLocalTimeText(text) ? secondPassHint(timeZone, ms) : '';
}

/**
 * Median gap between neighbouring distinct times of one sensor, in ms (Infinity with none). A wide
 * file's times are ascending already (one row per time); a long file passes its rows `sorted` by
 * sensor, then time, with each row's sensor in `group` (the order its duplicate check uses too).
 */
function medianGap(times: Float64Array, sorted?: { order: readonly number[]; group: Float64Array }): number {
  const gaps: number[] = [];
  for (let k = 1; k < times.length; k++) {
    const a = sorted ? (sorted.order[k - 1] as number) : k - 1;
    const b = sorted ? (sorted.order[k] as number) : k;
    if (sorted && sorted.group[a] !== sorted.group[b]) continue;
    if (times[b] !== times[a]) gaps.push((times[b] as number) - (times[a] as number));
  }
  if (gaps.length === 0) return Infinity;
  gaps.sort((x, y) => x - y);
  return gaps[Math.floor(gaps.length / 2)] as number;
}

function timestampReader(column: string, options: ReadSeriesOptions, at: (line: number) => string): TimestampReader {
  const timeUnit = options.timeUnit ?? 'ms';
  const timeZone = options.timeZone === undefined ? undefined : checkTimeZone(options.timeZone);
  if (timeUnit !== 'ms' && timeUnit !== 's')
    throw new AppliedMLError('E_INPUT_INVALID', `timeUnit must be 'ms' or 's' (got ${String(timeUnit)}).`, {
      details: { field: 'timeUnit' },
    });
  const format = options.timeFormat ?? 'iso';
  if (format !== 'iso' && format !== 'mdy')
    throw new AppliedMLError('E_INPUT_INVALID', `timeFormat must be 'iso' or 'mdy' (got ${String(format)}).`, {
      details: { field: 'timeFormat' },
    });
  let secondsLike = 0;
  let numbers = 0;
  let example = '';
  let localWithoutZone = false;
  // 'mdy' reads: whether a second field over 12 showed the times month-first, and the span of the times
  // read month-first and day-first (a DD/MM file whose days are all 12 or less reads as valid MM/DD).
  let monthFirstShown = false;
  // Whether every date's second field is 01: month-first the 1st of each month, day-first days of January,
  // and the dates cannot tell the two apart (01/01, 02/01, 03/01: 1 Jan, 1 Feb, 1 Mar, or 1 to 3 Jan).
  let onlyFirsts = true;
  const spans = { mdy: [Infinity, -Infinity], dmy: [Infinity, -Infinity] };
  return {
    timeZone,
    noZoneHint: () =>
      localWithoutZone
        ? " The times have no UTC offset: if they are local clock times, the hour repeated when clocks go back comes twice; pass timeZone (the clock's IANA zone, e.g. 'America/Los_Angeles') to read them, or give times with their UTC offset or in UTC."
        : '',
    read(text, line, after, stepMs) {
      const numeric = /^-?\d+(\.\d+)?$/.test(text);
      const slash = numeric ? undefined : slashDate(text);
      if (format === 'mdy' && slash !== undefined) {
        if (dayFirst(slash))
          throw new AppliedMLError(
            'E_INPUT_INVALID',
            `${at(line)}: timestamp '${text.slice(0, 40)}' has no month ${slash.first}: the times look day-first (DD/MM/YYYY), which is not read (ISO 8601 and MM/DD/YYYY are).${dayFirstFix(slash)}`,
            { details: { line, column, value: text.slice(0, 40), reason: 'timestamps-day-first' } },
          );
        if (slash.second > 12) monthFirstShown = true;
        if (slash.second !== 1) onlyFirsts = false;
        widen(spans.mdy, slashTime(slash, 'mdy'));
        widen(spans.dmy, slashTime(slash, 'dmy'));
      }
      const iso = format === 'mdy' && !numeric ? mdyToIso(text) : text;
      let ms: number;
      try {
        ms = numeric ? Number(text) * (timeUnit === 's' ? 1000 : 1) : parseTimeText(iso, `${at(line)}: timestamp`, timeZone, after, stepMs);
      } catch (error) {
        // A local time the clocks skip: its message names the line; so do its details, as every error here.
        if (AppliedMLError.isInstance(error))
          throw new AppliedMLError(error.code, error.message, { cause: error, details: { line, column, ...error.details } });
        throw error;
      }
      if (!Number.isFinite(ms))
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `${at(line)}: timestamp '${text.slice(0, 40)}' is not ${format === 'mdy' ? 'MM/DD/YYYY HH:mm[:ss]' : 'an ISO 8601 date'} or an epoch number.` +
            // US-style times (PeMS) have their own reading: say so rather than leave the user to re-write the file.
            (format === 'iso' && slash !== undefined ? slashHint(slash) : ''),
          { details: { line, column, value: text.slice(0, 40) } },
        );
      // Past it, the series' times or its forecasts' would not be dates (toEpochMs refused the first one, naming no line).
      if (Math.abs(ms) > MAX_EPOCH_MS)
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `${at(line)}: timestamp '${text.slice(0, 40)}' is outside the times a series can hold (${new Date(-MAX_EPOCH_MS).toISOString()} to ${new Date(MAX_EPOCH_MS).toISOString()}${numeric ? `, read as epoch ${timeUnit === 's' ? 'seconds' : 'milliseconds'}` : ''}).`,
          { details: { line, column, value: text.slice(0, 40), reason: 'time-out-of-range' } },
        );
      if (timeZone === undefined && !numeric && isLocalTimeText(iso)) localWithoutZone = true;
      if (numeric && timeUnit === 'ms' && ms >= 1e9 && ms < 1e10) secondsLike++;
      if (numeric) {
        numbers++;
        example ||= text;
      }
      return ms;
    },
    finish(rows, times, sorted) {
      // Every date reads both ways (no field over 12), and read day-first they lie closer together: a
      // DD/MM file for 1–3 Feb read as MM/DD ran from 2 Jan to 3 Mar, a month's jump at each midnight,
      // 17,280 steps for 864 rows, without a word. Month-first dates that all read day-first too lie
      // within the 1st to the 12th of one month, which read day-first spread over months. Dates whose
      // second field is always 01 do not tell: the 1st of each month (a monthly sample) or a week of
      // January written day-first (far more common: read month-first it became 52,416 steps, 96 % missing,
      // without a word). Refused, naming both readings (session 25 read them month-first for a while).
      const [mdyFirst, mdyLast] = spans.mdy as [number, number];
      const [dmyFirst, dmyLast] = spans.dmy as [number, number];
      if (format === 'mdy' && !monthFirstShown && mdyLast > mdyFirst && dmyLast - dmyFirst < mdyLast - mdyFirst) {
        const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
        if (onlyFirsts)
          throw new AppliedMLError(
            'E_INPUT_INVALID',
            `The dates in '${column}' read two ways and nothing in the file tells which: every one has 01 as its second field, so month-first they are the 1st of each month from ${day(mdyFirst)} to ${day(mdyLast)}, and day-first they run from ${day(dmyFirst)} to ${day(dmyLast)} (DD/MM/YYYY, which is not read). Write the times as ISO 8601 (YYYY-MM-DD HH:mm), which reads either.`,
            { details: { column, reason: 'timestamps-ambiguous' } },
          );
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `The times in '${column}' look day-first (DD/MM/YYYY), which is not read (ISO 8601 and MM/DD/YYYY are): read month-first they run from ${day(mdyFirst)} to ${day(mdyLast)}, a month further at each new day, and read day-first from ${day(dmyFirst)} to ${day(dmyLast)} (no date in the file has a field over 12 to tell). Write the times as ISO 8601 (YYYY-MM-DD HH:mm); ISO 8601 reads month-first dates too.`,
          { details: { column, reason: 'timestamps-day-first' } },
        );
      }
      if (rows > 0 && secondsLike === rows)
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `Every timestamp in '${column}' is a number between 1e9 and 1e10: as epoch milliseconds that is January to April 1970, and every reading would fall into a few steps. If they are Unix seconds, pass timeUnit: 's'.`,
          { details: { column, reason: 'timestamps-look-like-seconds' } },
        );
      // Sensors report every 20 s to 15 min: epoch numbers under a second apart are another kind of number
      // (a compact date like 202601010000 read as milliseconds put a year of hourly rows into 39 steps).
      const gap = numbers === rows && rows > 1 ? medianGap(times, sorted) : Infinity;
      if (gap < 1000)
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `The timestamps in '${column}' are numbers (e.g. ${example.slice(0, 20)}) that, read as epoch ${timeUnit === 's' ? 'seconds' : 'milliseconds'}, lie a median ${gap * (timeUnit === 's' ? 0.001 : 1)} ${timeUnit === 's' ? 's' : 'ms'} apart: they are not epoch times (a compact date like 202601010000 is not read as a date). Write ISO 8601 times (2026-01-01T00:00Z) or epoch ${timeUnit === 's' ? 'seconds' : 'milliseconds'}.`,
          { details: { column, reason: 'timestamps-not-epoch', medianGapMs: gap } },
        );
    },
  };
}

/** `MM/DD/YYYY HH:mm[:ss]` as an ISO text without an offset; anything else (ISO included) as '', which is refused. */
function mdyToIso(text: string): string {
  const m = SLASH_DATE.exec(text);
  return m ? `${m[3]}-${m[1]}-${m[2]}T${m[4]}:${m[5]}:${m[6] ?? '00'}` : '';
}

const SLASH_DATE = /^(\d{2})\/(\d{2})\/(\d{4})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;

/** The fields of an `NN/NN/YYYY HH:mm[:ss]` text, month-first or day-first. */
interface SlashDate {
  first: number;
  second: number;
  year: string;
  time: string;
}

function slashDate(text: string): SlashDate | undefined {
  const m = SLASH_DATE.exec(text);
  if (!m) return undefined;
  return { first: Number(m[1]), second: Number(m[2]), year: m[3] as string, time: `${m[4]}:${m[5]}${m[6] ? `:${m[6]}` : ''}` };
}

/** A first field that is no month (13 to 31) before one that is (1 to 12): a day-first date. */
function dayFirst(d: SlashDate): boolean {
  return d.first > 12 && d.first <= 31 && d.second >= 1 && d.second <= 12;
}

/** The way to read a day-first date: ISO 8601, shown for this one. */
function dayFirstFix(d: SlashDate): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return ` Write the times as ISO 8601 (YYYY-MM-DD HH:mm, here ${d.year}-${two(d.second)}-${two(d.first)} ${d.time}).`;
}

/**
 * For a slash date read as ISO 8601: timeFormat 'mdy' when it can be month-first; when it can only be
 * day-first, that it is not read and how to write it; when it can be either, both. No option is named
 * but 'mdy''s: the demo CLI passes these words on, rewriting only that one into its flag.
 */
function slashHint(d: SlashDate): string {
  if (dayFirst(d))
    return ` It looks day-first (DD/MM/YYYY: no month ${d.first}), which is not read (ISO 8601 and MM/DD/YYYY are).${dayFirstFix(d)}`;
  if (d.first < 1 || d.first > 12 || d.second < 1 || d.second > 31) return '';
  const mdy = " For MM/DD/YYYY HH:mm[:ss] times, pass timeFormat: 'mdy'.";
  // The month-first advice last: the demo rewrites it into its flag, and a user of MM/DD files reads it first.
  return d.second > 12 ? mdy : ` If they are day-first (DD/MM/YYYY), they are not read:${dayFirstFix(d).replace(/^ W/, ' w')}${mdy}`;
}

/** Epoch ms of a slash date's fields read month-first or day-first (UTC fields), to compare the two. */
function slashTime(d: SlashDate, order: 'mdy' | 'dmy'): number {
  const [month, day] = order === 'mdy' ? [d.first, d.second] : [d.second, d.first];
  const [h, m, s] = d.time.split(':').map(Number) as [number, number, number | undefined];
  return Date.UTC(Number(d.year), month - 1, day, h, m, s ?? 0);
}

function widen(span: number[], ms: number): void {
  if (!Number.isFinite(ms)) return;
  if (ms < (span[0] as number)) span[0] = ms;
  if (ms > (span[1] as number)) span[1] = ms;
}

/** A growable Float64Array. */
class Float64Buffer {
  data = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/**
 * A column option is a column's name, a non-empty string. A number is refused, not read as an index: a
 * headerless file's columns are named '0', '1', …, and `0` gave "No timestamp column '0' (columns: 0, 1…)".
 */
function checkColumnName(field: string, value: unknown): void {
  if (value === undefined || (typeof value === 'string' && value.length > 0)) return;
  const hint =
    typeof value === 'number' && Number.isInteger(value) && value >= 0
      ? ` Column options name columns; without a header the columns are named '0', '1', …: pass '${value}'.`
      : '';
  throw new AppliedMLError(
    'E_INPUT_INVALID',
    `readSeriesCsv ${field} must be a column name, a non-empty string (got ${describeValue(value)}).${hint}`,
    { details: { field } },
  );
}

/**
 * A long file (time, sensor, reading per row) into a series: the grid starts at the earliest
 * timestamp; each reading goes to its nearest slot, several in a slot are averaged, empty slots are
 * missing. The same sensor twice at the same time is E_INPUT_INVALID ('timestamps-duplicated').
 */
async function readLongCsv(source: CsvSource, options: ReadSeriesOptions, intervalMinutes: number): Promise<TrafficSeries> {
  const { timestampColumn: tsColumn, sensorColumn, valueColumn } = options;
  const need = (field: string, value: unknown): string => {
    if (typeof value === 'string' && value.length > 0) return value;
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `A long file (one reading per row) needs timestampColumn, sensorColumn and valueColumn; ${field} is ${value === undefined ? 'missing' : 'not a column name'}.`,
      { details: { field } },
    );
  };
  const ts = need('timestampColumn', tsColumn);
  const sensorCol = need('sensorColumn', sensorColumn);
  const valueCol = need('valueColumn', valueColumn);
  if (new Set([ts, sensorCol, valueCol]).size < 3)
    throw new AppliedMLError('E_INPUT_INVALID', 'timestampColumn, sensorColumn and valueColumn must be three different columns.', {
      details: { timestampColumn: ts, sensorColumn: sensorCol, valueColumn: valueCol },
    });
  const wanted = checkSensorList(options.sensors);
  const missingValue = options.missingValue; // checked by readSeriesCsv
  const at = lineLabel(source);
  const clock = timestampReader(ts, options, at);
  const index = new Map<string, number>((wanted ?? []).map((id, i) => [id, i]));
  const sensors: string[] = wanted ? [...wanted] : [];
  const times = new Float64Buffer();
  const which = new Float64Buffer();
  const values = new Float64Buffer();
  const lines = new Float64Buffer();
  const lastTime: (number | undefined)[] = [];
  const lastStep: (number | undefined)[] = [];
  let rows = 0;
  let line = (options.header ?? true) ? 1 : 0;
  for await (const row of readCsv(source, {
    // Without a header the columns are named '0', '1', …; rows may carry a varying tail (PeMS: one group
    // of fields per lane), and only the three named columns are read.
    header: options.header ?? true,
    raggedRows: 'pad',
    onHeader: (names) => {
      const absent = missingColumns(names, [ts, sensorCol, valueCol], { delimiter: options.delimiter });
      if (absent !== undefined)
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `No column ${absent.missing.map((c) => `'${c}'`).join(', ')} (columns: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}).${delimiterHint(absent)}`,
          {
            details: { missingColumns: absent.missing, columns: names.slice(0, 200) },
          },
        );
    },
    ...(options.delimiter !== undefined ? { delimiter: options.delimiter } : {}),
    ...(options.maxRows !== undefined ? { maxRows: options.maxRows } : {}),
  })) {
    // The physical line (blank lines and quoted line breaks counted).
    line = csvRowLine(row) ?? line + 1;
    rows++;
    const id = cellText(row[sensorCol]);
    if (id === '')
      throw new AppliedMLError('E_INPUT_INVALID', `${at(line)}: no sensor id in '${sensorCol}'.`, {
        details: { line, column: sensorCol },
      });
    let s = index.get(id);
    if (s === undefined) {
      if (wanted) continue;
      s = sensors.length;
      sensors.push(id);
      index.set(id, s);
    }
    const ms = clock.read(cellText(row[ts]), line, lastTime[s], lastStep[s]);
    const v = readingOf(cellText(row[valueCol]), line, valueCol, at);
    if (outOfRange(v, missingValue)) {
      const time = new Date(ms).toISOString();
      throw readingOutOfRange(`${at(line)}, sensor '${id}' at ${time}`, v, { line, sensor: id, time });
    }
    if (lastTime[s] !== undefined) lastStep[s] = ms - (lastTime[s] as number);
    lastTime[s] = ms;
    times.push(ms);
    which.push(s);
    values.push(v);
    lines.push(line);
  }
  if (rows === 0) throw noDataRows(source);
  const t = times.view();
  const sensorOf = which.view();
  const lineOf = lines.view();
  // Rows by sensor, then time: for the clock's spacing check and the duplicate check below.
  const order = Array.from({ length: t.length }, (_, i) => i).sort(
    (a, b) => (sensorOf[a] as number) - (sensorOf[b] as number) || (t[a] as number) - (t[b] as number),
  );
  clock.finish(times.length, t, { order, group: sensorOf }); // the rows read: those of sensors left out never had their time read
  if (times.length === 0)
    throw new AppliedMLError('E_INPUT_INVALID', `None of the ${sensors.length} listed sensors has a row in the file.`, {
      details: { sensors: sensors.slice(0, 20) },
    });
  // The same sensor twice at one time: a duplicated export, not two readings to average.
  for (let k = 1; k < order.length; k++) {
    const a = order[k - 1] as number;
    const b = order[k] as number;
    if (sensorOf[a] === sensorOf[b] && t[a] === t[b]) {
      const sensor = sensors[sensorOf[b] as number] as string;
      const [one, two] = [lineOf[a] as number, lineOf[b] as number].sort((x, y) => x - y) as [number, number];
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `Sensor '${sensor}' has two rows at ${new Date(t[b] as number).toISOString()} (${at(one)} and line ${two}).${clock.noZoneHint()}`,
        { details: { reason: 'timestamps-duplicated', sensor, time: new Date(t[b] as number).toISOString(), lines: [one, two] } },
      );
    }
  }
  let first = 0;
  let last = 0;
  for (let i = 1; i < t.length; i++) {
    if ((t[i] as number) < (t[first] as number)) first = i;
    if ((t[i] as number) > (t[last] as number)) last = i;
  }
  const span = { at, first: lineOf[first] as number, last: lineOf[last] as number };
  return accumulateOnGrid(
    t[first] as number,
    t[last] as number,
    sensors,
    intervalMinutes,
    missingValue,
    clock.timeZone,
    (add) => {
      const v = values.view();
      for (let i = 0; i < t.length; i++) add(t[i] as number, sensorOf[i] as number, v[i] as number);
    },
    span,
  );
}
