import { AppliedMLError, checkKnownKeys, chronologicalSplit, describeValue, parseDateCell } from '@appliedml/engine';
import { checkNoHoles } from './option-lists';
import { checkTimeZone, instantOfWall } from './time-zone';

/**
 * A sensor matrix: `steps` time steps × `sensors` columns at a fixed interval, row-major
 * (value of sensor s at step t is `values[t * sensors.length + s]`). Missing readings are NaN; they
 * are masked out of the loss and the metrics.
 */
export interface TrafficSeries {
  /** Sensor ids, one per column. */
  sensors: string[];
  steps: number;
  /** Minutes between two steps (5 for Los-loop), in [1/60, 1440]. */
  intervalMinutes: number;
  /** Epoch milliseconds (UTC) of step 0, or null when the series has no clock (time features are then off). */
  start: number | null;
  values: Float64Array;
  /** True for generated data (the demo's offline default), so reports can say so. */
  synthetic?: boolean;
  /**
   * IANA time zone whose local clock the traffic follows (e.g. 'America/Los_Angeles'): time-of-day and
   * weekend features are read on it, across daylight-saving changes. Absent: the clock is `start`'s UTC
   * fields (give local wall-clock times as if UTC).
   */
  timeZone?: string;
  /**
   * The reading that marked a missing value in the source (already NaN in `values`). A forecaster
   * trained on the series keeps it and treats it as missing in `update` and `predict` too.
   */
  missingValue?: number;
}

export interface CreateSeriesInput {
  /**
   * steps × sensors, as rows or row-major. NaN (and `missingValue`) mark missing readings; so does null
   * in rows (JSON has no NaN).
   */
  values: ArrayLike<ArrayLike<number | null>> | Float64Array;
  /**
   * Sensor ids (strings: a number is E_INPUT_INVALID, give numeric ids as text) or, with a flat
   * `values`, the sensor count; required with a flat `values`, otherwise ids s0, s1, … by default.
   */
  sensors?: string[] | number;
  /** Minutes between two steps, in [1/60, 1440]: one second to one day. */
  intervalMinutes: number;
  /** Time of step 0 (Date, epoch ms or ISO string); omit for a series without clock. */
  start?: Date | number | string | null;
  /** A reading equal to this value is missing (e.g. 0 for loop detectors that report 0 when broken). */
  missingValue?: number;
  /** IANA zone of the local clock (see TrafficSeries.timeZone); a `start` without an offset is read in it. */
  timeZone?: string;
  synthetic?: boolean;
}

const CREATE_SERIES_KEYS = Object.keys({
  values: 1,
  sensors: 1,
  intervalMinutes: 1,
  start: 1,
  missingValue: 1,
  timeZone: 1,
  synthetic: 1,
} satisfies Record<keyof CreateSeriesInput, 1>);

function invalid(message: string, details: Record<string, unknown> = {}): never {
  throw new AppliedMLError('E_INPUT_INVALID', message, { details });
}

/**
 * Largest reading accepted: beyond it, squares in the scaler and the models overflow. `load` holds a
 * bundle's scaler (means and standard deviations) and historical-average cells to the same bound, so
 * every series `train` takes (through createSeries, the readers or built by hand) makes a bundle that loads.
 */
export const MAX_READING = 1e12;

/**
 * E_INPUT_INVALID naming the row, the sensor and the value when a reading of `values` (row-major over
 * `sensors`) is larger than MAX_READING in size or ±Infinity; NaN is a missing reading. `what` prefixes
 * the message (createSeries gives none).
 */
function checkReadings(values: Float64Array, sensors: readonly string[], what?: string): void {
  const n = sensors.length;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!(Math.abs(v) > MAX_READING)) continue;
    const row = Math.floor(i / n);
    const sensor = sensors[i % n] as string;
    invalid(
      `${what === undefined ? 'Row' : `${what}: row`} ${row}, sensor '${sensor}' is ${v}; readings must be finite, at most ${MAX_READING} in size (NaN for missing).`,
      { row, sensor, value: v },
    );
  }
}

/** Latest (and, negated, earliest) time accepted: ten days inside what a Date can hold. */
export const MAX_EPOCH_MS = 8.64e15 - 10 * 86_400_000;

/**
 * Epoch ms of an ISO 8601 date or date-time (the engine's `parseDateCell`): one without an offset is
 * wall-clock time read in UTC fields, the series' clock convention, the same on every server (plain
 * `Date.parse` would read it in the server's time zone). Anything else is NaN.
 */
function parseIsoTime(text: string): number {
  return parseDateCell(text)?.getTime() ?? NaN;
}

/**
 * An ISO 8601 text as epoch ms (NaN when it is none). Without an offset it is wall-clock time: in
 * `timeZone` when given (in the hour repeated when clocks go back, the instant `instantOfWall` picks from
 * the previous reading's instant `after` and the feed's step `stepMs`; a time the clocks skip is
 * E_INPUT_INVALID), else in UTC fields.
 */
export function parseTimeText(text: string, what = 'time', timeZone?: string, after?: number, stepMs?: number): number {
  const ms = parseIsoTime(text);
  if (timeZone === undefined || !Number.isFinite(ms) || hasOffset(text)) return ms;
  const instant = instantOfWall(timeZone, ms, after, stepMs);
  if (instant === undefined)
    invalid(`${what} ${text.trim().slice(0, 40)} does not exist in ${timeZone} (the clocks skip it when they go forward).`, {
      value: text.trim().slice(0, 40),
      reason: 'time-skipped-by-clock-change',
    });
  return instant;
}

/** Whether `value` is an ISO 8601 text without an offset: a local time, read in a series' time zone. */
export function isLocalTimeText(value: unknown): boolean {
  return typeof value === 'string' && Number.isFinite(parseIsoTime(value)) && !hasOffset(value);
}

/**
 * Whether an ISO 8601 text (one `parseDateCell` reads) carries its own zone (Z, +01:00, -0800): then
 * another 'Z' after it is no date. The engine's grammar decides, so date-only forms count too.
 */
function hasOffset(text: string): boolean {
  return parseDateCell(`${text.trim()}Z`) === undefined;
}

/**
 * Epoch ms of a time. A string is ISO 8601; one without an offset is wall-clock time, read in `timeZone`
 * when given (in the hour repeated when clocks go back, as `parseTimeText` picks it from `after` and
 * `stepMs`), else in UTC fields.
 */
export function toEpochMs(value: Date | number | string, what = 'time', timeZone?: string, after?: number, stepMs?: number): number {
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'number'
        ? value
        : typeof value === 'string'
          ? parseTimeText(value, what, timeZone, after, stepMs)
          : NaN;
  // A Date spans ±8.64e15 ms; a margin of ten days keeps every forecast step after it a valid date too.
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_EPOCH_MS)
    invalid(`${what} is not a valid date: ${String(value)}.`, { value: String(value) });
  return ms;
}

/**
 * A feed's time (`predict`'s `end`, `update`'s and the incident monitor's `time`) as epoch ms, as
 * `toEpochMs`; a number from 1e9 to 1e10 is refused: as epoch milliseconds it is 12 January to 26 April
 * 1970, as Unix seconds 2001 to 2286, so it is almost surely seconds (read as milliseconds it forecast
 * from 1970 on the wrong time of day, or refused the next step as the same slot). `readSeriesCsv`
 * refuses such a column the same way (`details.reason` 'timestamps-look-like-seconds'). A Date or an
 * ISO string is taken as given.
 */
export function toFeedTimeMs(value: Date | number | string, what: string, timeZone?: string, after?: number, stepMs?: number): number {
  if (typeof value === 'number' && value >= 1e9 && value < 1e10)
    invalid(
      `${what} ${value} is a number between 1e9 and 1e10: as epoch milliseconds that is January to April 1970. If it is Unix seconds, pass it times 1000 (epoch milliseconds, as Date.getTime() gives); a Date or an ISO 8601 string is read as given.`,
      { field: what, value, reason: 'timestamps-look-like-seconds' },
    );
  return toEpochMs(value, what, timeZone, after, stepMs);
}

/**
 * Shortest and longest step a series may have, in minutes: one second (loop detectors report every
 * 20 or 30 s at the finest, PeMS' raw feed) to one day (the models' time-of-day features and the
 * historical average's slots need at least one step a day). METR-LA, PEMS-BAY and Los-loop are 5 min.
 * Below a second, a day is more than 86,400 steps (1e-9 min asked for 1.44e12 slots and crashed).
 */
export const MIN_INTERVAL_MINUTES = 1 / 60;
export const MAX_INTERVAL_MINUTES = 24 * 60;

export function checkInterval(intervalMinutes: unknown): number {
  if (
    typeof intervalMinutes !== 'number' ||
    !Number.isFinite(intervalMinutes) ||
    intervalMinutes < MIN_INTERVAL_MINUTES ||
    intervalMinutes > MAX_INTERVAL_MINUTES
  ) {
    invalid(`intervalMinutes must be a number of minutes in [1/60, 1440] (one second to one day); got ${describeValue(intervalMinutes)}.`, {
      field: 'intervalMinutes',
      intervalMinutes,
    });
  }
  return intervalMinutes;
}

/**
 * A series built by hand (not by createSeries) checked for the shape every method relies on: distinct
 * string sensor ids, a whole number of steps, steps × sensors values, a valid interval and start, and
 * readings (NaN or at most MAX_READING in size) as createSeries takes them.
 */
export function checkSeriesShape(series: TrafficSeries, what = 'The series'): void {
  if (series === null || typeof series !== 'object' || !(series.values instanceof Float64Array))
    invalid(`${what} must come from createSeries (or readTrafficCsv / loadLosLoop).`);
  const { sensors, steps } = series;
  if (
    !Array.isArray(sensors) ||
    sensors.length === 0 ||
    !sensors.every((id) => typeof id === 'string') ||
    new Set(sensors).size !== sensors.length
  )
    invalid(`${what}: sensors must be distinct string ids.`);
  if (!Number.isInteger(steps) || steps < 0) invalid(`${what}: steps must be a whole number; got ${String(steps)}.`);
  if (series.values.length !== steps * sensors.length)
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `${what} holds ${series.values.length} values; ${steps} steps × ${sensors.length} sensors need ${steps * sensors.length}.`,
      { details: { values: series.values.length, steps, sensors: sensors.length } },
    );
  checkInterval(series.intervalMinutes);
  if (series.start !== null && !(typeof series.start === 'number' && Number.isFinite(series.start) && Math.abs(series.start) <= 8.64e15))
    invalid(`${what}: start must be epoch milliseconds or null; got ${String(series.start)}.`);
  checkSeriesEnd(series.start, steps, series.intervalMinutes, what);
  if (series.timeZone !== undefined) checkTimeZone(series.timeZone);
  if (series.missingValue !== undefined && !(typeof series.missingValue === 'number' && Number.isFinite(series.missingValue)))
    invalid(`${what}: missingValue must be a finite number; got ${String(series.missingValue)}.`);
  checkReadings(series.values, sensors, what);
}

/**
 * Builds a validated series. Ragged rows → E_INPUT_INVALID; non-finite readings other than NaN
 * (±Infinity) → E_INPUT_INVALID; a sensor with no reading at all → E_INPUT_INVALID naming it.
 */
export function createSeries(input: CreateSeriesInput): TrafficSeries {
  if (input === null || typeof input !== 'object') invalid('createSeries needs { values, sensors?, intervalMinutes, start? }.');
  checkKnownKeys('createSeries input', input, CREATE_SERIES_KEYS);
  const intervalMinutes = checkInterval(input.intervalMinutes);
  let values: Float64Array;
  let sensorCount: number;
  if (input.values instanceof Float64Array) {
    const s = input.sensors;
    sensorCount = typeof s === 'number' ? s : Array.isArray(s) ? s.length : invalid('sensors is required with a flat values array.');
    if (!Number.isInteger(sensorCount) || sensorCount < 1) invalid(`sensors must be at least 1; got ${sensorCount}.`);
    if (input.values.length % sensorCount !== 0) {
      throw new AppliedMLError('E_SHAPE_MISMATCH', `values has ${input.values.length} entries, not a multiple of ${sensorCount} sensors.`, {
        details: { length: input.values.length, sensors: sensorCount },
      });
    }
    values = Float64Array.from(input.values);
  } else {
    const rows = input.values;
    if (!Array.isArray(rows)) invalid('values must be rows of readings (an array of arrays) or a flat Float64Array.');
    if (rows.length === 0) invalid('The series has no rows.');
    sensorCount = rows[0]?.length ?? 0;
    if (sensorCount === 0) invalid('The series has no sensors (the first row is empty).');
    values = new Float64Array(rows.length * sensorCount);
    for (let t = 0; t < rows.length; t++) {
      const row = rows[t] as ArrayLike<number | null>;
      if (row === null || typeof row !== 'object') invalid(`Row ${t} is not an array of readings.`, { row: t });
      if (row.length !== sensorCount)
        invalid(`Row ${t} has ${row.length} values but row 0 has ${sensorCount} (ragged rows).`, {
          row: t,
          expected: sensorCount,
          actual: row.length,
        });
      for (let s = 0; s < sensorCount; s++) {
        const v = row[s];
        if (v === null) {
          values[t * sensorCount + s] = NaN;
          continue;
        }
        if (typeof v !== 'number') invalid(`Row ${t}, sensor ${s}: ${describeValue(v)} is not a number.`, { row: t, sensor: s });
        values[t * sensorCount + s] = v;
      }
    }
  }
  const steps = values.length / sensorCount;
  if (steps === 0) invalid('The series has no rows.');
  // Ids are strings everywhere (CSV headers, long files, the incident monitor, model.sensors); a number
  // in selectSensors is a position, so numeric ids turned into text would not match where they are used.
  if (Array.isArray(input.sensors)) {
    const notText = input.sensors.findIndex((id) => typeof id !== 'string');
    if (notText >= 0)
      invalid(
        `sensors[${notText}] is ${describeValue(input.sensors[notText])}; sensor ids are strings (numeric ids such as METR-LA's as text: ids.map(String)).`,
        { field: 'sensors', index: notText },
      );
  }
  const sensors = Array.isArray(input.sensors) ? [...input.sensors] : Array.from({ length: sensorCount }, (_, i) => `s${i}`);
  if (sensors.length !== sensorCount) {
    throw new AppliedMLError('E_SHAPE_MISMATCH', `${sensors.length} sensor ids for ${sensorCount} columns.`, {
      details: { ids: sensors.length, columns: sensorCount },
    });
  }
  if (new Set(sensors).size !== sensors.length) invalid('Sensor ids must be unique.', { sensors: sensors.length });
  const timeZone = input.timeZone === undefined ? undefined : checkTimeZone(input.timeZone);
  const missing = checkMissingValue(input.missingValue);
  if (missing !== undefined) for (let i = 0; i < values.length; i++) if (values[i] === missing) values[i] = NaN;
  checkReadings(values, sensors);
  const series: TrafficSeries = {
    sensors,
    steps,
    intervalMinutes,
    start: input.start === undefined || input.start === null ? null : toEpochMs(input.start, 'start', timeZone),
    values,
    ...(input.synthetic ? { synthetic: true } : {}),
    ...(timeZone !== undefined ? { timeZone } : {}),
    ...(missing !== undefined ? { missingValue: missing } : {}),
  };
  checkSeriesEnd(series.start, steps, intervalMinutes, 'The series');
  assertEverySensorObserved(series);
  return series;
}

/**
 * A series' last step is a time too, held to the bound of its start: past it a slice's start was no
 * date (a typed error only later, at train) and the steps' time features were computed from no date.
 */
function checkSeriesEnd(start: number | null, steps: number, intervalMinutes: number, what: string): void {
  if (start === null || steps === 0) return;
  const end = start + (steps - 1) * intervalMinutes * 60_000;
  if (end > MAX_EPOCH_MS)
    invalid(
      `${what} ends past the latest time a series can hold (${new Date(MAX_EPOCH_MS).toISOString()}): ${steps} steps of ${intervalMinutes} min from ${new Date(start).toISOString()}; check start and intervalMinutes.`,
      { field: 'start', start, steps, intervalMinutes },
    );
}

/** A missing-value marker (e.g. 0) is a finite number, or undefined for none. */
export function checkMissingValue(missing: unknown): number | undefined {
  if (missing !== undefined && (typeof missing !== 'number' || !Number.isFinite(missing)))
    invalid(`missingValue must be a finite number; got ${describeValue(missing)}.`, { field: 'missingValue' });
  return missing as number | undefined;
}

/** A sensor with no reading at all cannot be scaled or forecast: E_INPUT_INVALID naming the sensors. */
export function assertEverySensorObserved(series: TrafficSeries, what = 'The series'): void {
  const n = series.sensors.length;
  const seen = new Uint8Array(n);
  for (let i = 0; i < series.values.length; i++) if (!Number.isNaN(series.values[i] as number)) seen[i % n] = 1;
  const empty = series.sensors.filter((_, s) => seen[s] === 0);
  if (empty.length > 0) {
    invalid(
      `${what} has ${empty.length} sensor(s) with no reading at all (${empty.slice(0, 5).join(', ')}${empty.length > 5 ? ', …' : ''}); drop them or supply data.`,
      {
        sensors: empty,
      },
    );
  }
}

/** Steps [from, to) of a series as a new series (start time moved accordingly). */
export function sliceSeries(series: TrafficSeries, from: number, to?: number): TrafficSeries {
  checkSeriesShape(series, 'sliceSeries: the series');
  to ??= series.steps;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > series.steps || from >= to) {
    invalid(`sliceSeries(${from}, ${to}) is outside 0..${series.steps}.`, { from, to, steps: series.steps });
  }
  return sliceUnchecked(series, from, to);
}

/**
 * sliceSeries without its checks, for callers that have just checked the series (a check scans every
 * reading, up to 50 million) and the range (0 <= from < to <= steps).
 */
export function sliceUnchecked(series: TrafficSeries, from: number, to: number): TrafficSeries {
  const n = series.sensors.length;
  return {
    ...series,
    steps: to - from,
    start: series.start === null ? null : series.start + from * series.intervalMinutes * 60_000,
    values: series.values.slice(from * n, to * n),
  };
}

/** Keep only some sensors (by id or index), in the order given; each at most once. */
export function selectSensors(series: TrafficSeries, sensors: readonly (string | number)[]): TrafficSeries {
  checkSeriesShape(series, 'selectSensors: the series');
  if (!Array.isArray(sensors))
    invalid(`selectSensors needs a list of sensor ids or indices; got ${describeValue(sensors)}.`, { field: 'sensors' });
  // `map` below passes over an empty slot: new Array(2) selected two sensors with no id.
  checkNoHoles('selectSensors sensors', sensors);
  const n = series.sensors.length;
  const seen = new Set<number>();
  const idx = sensors.map((s) => {
    const i = typeof s === 'number' ? s : series.sensors.indexOf(s);
    if (!Number.isInteger(i) || i < 0 || i >= n) invalid(`Unknown sensor ${describeValue(s)}.`, { sensor: s });
    // A sensor twice would make duplicate ids, which createSeries and every model refuse.
    if (seen.has(i)) invalid(`selectSensors names sensor '${series.sensors[i]}' twice; each sensor once.`, { sensor: series.sensors[i] });
    seen.add(i);
    return i;
  });
  const m = idx.length;
  if (m === 0) invalid('selectSensors needs at least one sensor.');
  const values = new Float64Array(series.steps * m);
  for (let t = 0; t < series.steps; t++)
    for (let j = 0; j < m; j++) values[t * m + j] = series.values[t * n + (idx[j] as number)] as number;
  return { ...series, sensors: idx.map((i) => series.sensors[i] as string), values };
}

/** Chronological split by fraction: the first floor(steps * trainFraction) steps, then the rest. */
export function splitSeries(series: TrafficSeries, trainFraction = 0.8): { train: TrafficSeries; test: TrafficSeries; testStart: number } {
  checkSeriesShape(series, 'splitSeries: the series');
  if (!(typeof trainFraction === 'number' && trainFraction > 0 && trainFraction < 1))
    invalid(`trainFraction must be a number in (0, 1); got ${describeValue(trainFraction)}.`);
  const cut = chronologicalSplit(series.steps, { trainFraction }).train.length;
  if (cut < 1 || cut >= series.steps) invalid(`A ${trainFraction} split of ${series.steps} steps leaves one side empty.`);
  return { train: sliceUnchecked(series, 0, cut), test: sliceUnchecked(series, cut, series.steps), testStart: cut };
}

/**
 * The number of steps between readings when every sensor reads only on every k-th step (k > 1: the data
 * comes less often than `intervalMinutes` says, e.g. 15-minute readings on a 5-minute grid: 3), else 1.
 * `TrafficForecaster.train` warns and reports it (`readingStride`); a tool reading files can say it first.
 */
export function readingStride(series: TrafficSeries): number {
  const n = series.sensors.length;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let stride = 0;
  for (let s = 0; s < n; s++) {
    let previous = -1;
    for (let t = 0; t < series.steps; t++) {
      if (!Number.isFinite(series.values[t * n + s])) continue;
      if (previous >= 0) stride = gcd(t - previous, stride);
      if (stride === 1) return 1;
      previous = t;
    }
  }
  return Math.max(stride, 1);
}
