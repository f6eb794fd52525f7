import { AppliedMLError, checkKnownKeys, checkNumberOption, describeValue } from '@appliedml/engine';
import type { HorizonMetrics } from './horizon-metrics';
import { parseTimeText } from './series';
import { checkTimeZone, dayStart, localWallMs, offsetChangeAt, wallInstants, zoneOffsetMs } from './time-zone';

/** A Vega-Lite specification (plain JSON). */
export type ChartSpec = Record<string, unknown>;

/** Largest chart width or height (and step) in pixels: a 1e7-wide chart made a 69 MB SVG. */
export const MAX_CHART_PIXELS = 8192;

function checkChartSize(field: string, value: unknown): void {
  checkNumberOption(field, value, 1, MAX_CHART_PIXELS);
}

/**
 * Numeric `width`, `height` and `{ step }` sizes of a spec and the views it composes (facet `spec`,
 * `layer`, `concat`s), each in [1, MAX_CHART_PIXELS]; strings such as 'container' are vega-lite's to read.
 */
function checkSpecSizes(spec: unknown, path: string, depth = 0): void {
  if (spec === null || typeof spec !== 'object' || depth > 32) return;
  const view = spec as Record<string, unknown>;
  for (const key of ['width', 'height'] as const) {
    const size = view[key];
    if (typeof size === 'number') checkChartSize(`${path}${key}`, size);
    else if (size !== null && typeof size === 'object') checkChartSize(`${path}${key}.step`, (size as { step?: unknown }).step);
  }
  checkSpecSizes(view.spec, `${path}spec.`, depth + 1);
  for (const key of ['layer', 'concat', 'hconcat', 'vconcat'] as const) {
    const list = view[key];
    if (Array.isArray(list)) list.forEach((child, i) => checkSpecSizes(child, `${path}${key}[${i}].`, depth + 1));
  }
}

export interface ForecastChartInput {
  sensor: string;
  /**
   * Times of the points: ISO 8601 texts (epoch ms numbers allowed beside them), or, all numbers, series
   * steps. Points are drawn at their instants and the ticks labelled on the clock of `timeZone`, or in
   * UTC: never in the local time of the machine that renders the chart; the hour repeated when clocks go
   * back is drawn once per pass, both labelled with its wall time. A time without an offset is wall-clock
   * time (UTC fields, or in `timeZone`), as everywhere in the SDK. An empty text is no point; a text that
   * is no ISO time is E_INPUT_INVALID (`details.field` 'times[3]').
   */
  times: (string | number)[];
  actual: number[];
  /** Forecasts for the same times, e.g. the 15-min-ahead forecast issued 15 min earlier. */
  forecast: number[];
  /** Label of the forecast line, e.g. 'T-GCN, 15 min ahead'. */
  label?: string;
  /** Alerts to mark on the chart: times read as `times` are (an empty text marks nothing). */
  alerts?: (string | number)[];
  /**
   * IANA zone whose wall clock the time axis shows (a model's or series' `timeZone`), named in the axis
   * title: 'time (America/Los_Angeles)'. Default UTC: 'time (UTC)'.
   */
  timeZone?: string;
  width?: number;
  height?: number;
}

const CHART_INPUT_KEYS = Object.keys({
  sensor: 1,
  times: 1,
  actual: 1,
  forecast: 1,
  label: 1,
  alerts: 1,
  timeZone: 1,
  width: 1,
  height: 1,
} satisfies Record<keyof ForecastChartInput, 1>);

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A vega expression labelling a UTC-scale tick (`datum.value`) with the wall-clock time in `zone`: the
 * zone's offset, piecewise over the instants drawn (each change found to the minute), added before
 * formatting in UTC fields, in vega's multi-format but on a 24-hour clock ('06:00', '06:05', '18:00', 'Jan 05'): vega's
 * '06 PM' beside '06:05' (12-hour, no AM or PM) read as morning.
 */
function zoneLabelExpr(zone: string, instants: number[]): string {
  const sorted = [...new Set(instants)].sort((a, b) => a - b);
  const t = 'time(datum.value)';
  let offset = String(sorted.length > 0 ? zoneOffsetMs(zone, sorted[0]!) : 0);
  const changes: [number, number][] = [];
  for (let i = 1; i < sorted.length; i++) {
    const lo = sorted[i - 1]!;
    const hi = sorted[i]!;
    const before = zoneOffsetMs(zone, lo);
    const after = zoneOffsetMs(zone, hi);
    if (before === after) continue;
    changes.push([offsetChangeAt(zone, lo, hi), after]);
  }
  for (const [from, next] of changes) offset = `${t} >= ${from} ? ${next} : (${offset})`;
  // A day whose midnight the clocks skip (00:00 -> 01:00) starts at a change, or at the first instant drawn:
  // that instant is labelled as the day ('Sep 06', not '01 AM'), as vega labels a local day's first instant.
  for (const at of [...(sorted.length > 0 ? [sorted[0]!] : []), ...changes.map(([from]) => from)]) {
    const wall = localWallMs(zone, at);
    const midnight = Math.floor(wall / DAY) * DAY;
    if (wall !== midnight && dayStart(zone, midnight) === at) offset = `${t} === ${at} ? ${midnight - at} : (${offset})`;
  }
  return clockLabelExpr(`(${t} + (${offset}))`);
}

/**
 * A vega expression labelling the instant `w` (an expression, in UTC fields) as vega's multi-format does, but on
 * a 24-hour clock: ':05' seconds, '06:05' and '18:00' hours and minutes, 'Jan 05' days, 'January' months, '2026'.
 */
function clockLabelExpr(w: string): string {
  return `utcFormat(${w}, utcseconds(${w}) ? ':%S' : utcminutes(${w}) || utchours(${w}) ? '%H:%M' : utcdate(${w}) !== 1 ? '%b %d' : utcmonth(${w}) ? '%B' : '%Y')`;
}

/** Vega's (d3's) time tick intervals: [unit, step, rough length]; months and years by the calendar. */
const TICK_INTERVALS: ['ms' | 'day' | 'week' | 'month' | 'year', number, number][] = [
  ...[1, 5, 15, 30].map((k) => ['ms', k * SECOND, k * SECOND] as ['ms', number, number]),
  ...[1, 5, 15, 30].map((k) => ['ms', k * MINUTE, k * MINUTE] as ['ms', number, number]),
  ...[1, 3, 6, 12].map((k) => ['ms', k * HOUR, k * HOUR] as ['ms', number, number]),
  ['day', 1, DAY],
  ['day', 2, 2 * DAY],
  ['week', 1, 7 * DAY],
  ['month', 1, 30 * DAY],
  ['month', 3, 90 * DAY],
  ['year', 1, 365 * DAY],
];

/** d3's tickStep for years: 1, 2, 5 or 10 times a power of ten. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const error = raw / power;
  return Math.max(1, (error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.sqrt(2) ? 2 : 1) * power);
}

/**
 * Tick instants at round times of the zone's clock (whole hours, local midnights, the 1st of a month),
 * spaced as vega spaces UTC ticks (the interval nearest the span over `count`): vega's own ticks fall on
 * round UTC times, which the labels put at '11:30' in India or '04 AM' for a Los Angeles midnight. Each
 * wall time is taken at every instant that reads it (twice in the hour repeated when clocks go back, never
 * in a skipped one), so a day tick is a local midnight on a 23- or 25-hour day too; a midnight the clocks
 * skip (00:00 -> 01:00) is taken at that day's first instant. Undefined below a second, or with no span:
 * vega's own ticks then.
 */
function zoneTickInstants(zone: string, instants: readonly number[], count: number): number[] | undefined {
  if (instants.length === 0) return undefined;
  let start = Infinity;
  let stop = -Infinity;
  let lowOffset = Infinity;
  let highOffset = -Infinity;
  for (const t of instants) {
    start = Math.min(start, t);
    stop = Math.max(stop, t);
    const offset = zoneOffsetMs(zone, t);
    lowOffset = Math.min(lowOffset, offset);
    highOffset = Math.max(highOffset, offset);
  }
  const target = (stop - start) / Math.max(1, count);
  if (!(target >= SECOND) || !Number.isFinite(target)) return undefined;
  const i = TICK_INTERVALS.findIndex(([, , length]) => length > target);
  const [unit, step] =
    i === -1
      ? (['year', niceStep((stop - start) / (365 * DAY), count)] as const)
      : TICK_INTERVALS[i - 1 >= 0 && target / TICK_INTERVALS[i - 1]![2] < TICK_INTERVALS[i]![2] / target ? i - 1 : i]!;
  // Every wall time read in the span lies between these (the offsets of the instants drawn bound the zone's there).
  const lo = start + lowOffset;
  const hi = stop + highOffset;
  const walls: number[] = [];
  if (unit === 'ms') {
    for (let w = Math.ceil(lo / step) * step; w <= hi && walls.length <= 10_000; w += step) walls.push(w);
  } else {
    const first = new Date(Math.floor(lo / DAY) * DAY);
    if (unit === 'month' || unit === 'year') first.setUTCDate(1);
    if (unit === 'year') first.setUTCMonth(0);
    for (const d = first; d.getTime() <= hi && walls.length <= 10_000;) {
      const w = d.getTime();
      if (unit === 'day') {
        if (Math.round(w / DAY) % step === 0) walls.push(w);
        d.setUTCDate(d.getUTCDate() + 1);
      } else if (unit === 'week') {
        if (d.getUTCDay() === 0) walls.push(w);
        d.setUTCDate(d.getUTCDate() + 1);
      } else if (unit === 'month') {
        if (d.getUTCMonth() % step === 0) walls.push(w);
        d.setUTCMonth(d.getUTCMonth() + 1);
      } else {
        if (d.getUTCFullYear() % step === 0) walls.push(w);
        d.setUTCFullYear(d.getUTCFullYear() + 1);
      }
    }
  }
  if (walls.length > 10_000) return undefined;
  const ticks = new Set<number>();
  for (const w of walls) {
    const at = wallInstants(zone, w);
    // A midnight the clocks skip (00:00 -> 01:00): that day is ticked at its first instant, as d3's days are.
    const first = at.length === 0 && w % DAY === 0 ? dayStart(zone, w) : undefined;
    for (const t of first === undefined ? at : [first]) if (t >= start && t <= stop) ticks.add(t);
  }
  return [...ticks].sort((a, b) => a - b);
}

/**
 * The time axis on the zone's clock: labels in its wall time, and ticks at its round times (as many as
 * vega-lite's default, one per 40 pixels of width).
 */
function zoneAxis(zone: string, instants: number[], width: number): Record<string, unknown> {
  const values = zoneTickInstants(zone, instants, Math.ceil(width / 40));
  return { labelExpr: zoneLabelExpr(zone, instants), ...(values === undefined ? {} : { values }) };
}

/** Forecast against actual for one sensor (a Vega-Lite spec; render it with `renderChartSvg`). */
export function forecastChartSpec(input: ForecastChartInput): ChartSpec {
  checkKnownKeys('forecastChartSpec input', input, CHART_INPUT_KEYS);
  for (const key of ['times', 'actual', 'forecast'] as const)
    if (!Array.isArray(input[key]))
      throw new AppliedMLError('E_INPUT_INVALID', `forecastChartSpec needs ${key} as an array.`, { details: { field: key } });
  // One actual and one forecast per time: shorter lists were read as missing points past their end, and
  // longer ones lost their tail, without a word.
  for (const key of ['actual', 'forecast'] as const)
    if (input[key].length !== input.times.length)
      throw new AppliedMLError(
        'E_SHAPE_MISMATCH',
        `forecastChartSpec has ${input.times.length} times but ${input[key].length} ${key} values; give one per time (NaN where there is none).`,
        { details: { field: key, times: input.times.length, [key]: input[key].length } },
      );
  if (input.alerts !== undefined && !Array.isArray(input.alerts))
    throw new AppliedMLError('E_INPUT_INVALID', 'forecastChartSpec needs alerts as an array of times.', { details: { field: 'alerts' } });
  checkChartSize('width', input.width);
  checkChartSize('height', input.height);
  const label = input.label ?? 'forecast';
  // Times are texts (ISO 8601) or epoch ms beside them; plain numbers alone are series steps.
  const temporal = input.times.some((t) => typeof t === 'string');
  const zone = input.timeZone === undefined ? undefined : checkTimeZone(input.timeZone);
  // Each point is drawn at its instant, on a UTC scale, so a rising series rises across the hour repeated
  // when clocks go back (drawn at wall-clock times, its two passes shared their x and made a sawtooth).
  // With a zone, only the tick labels are on its clock: vega draws times in UTC or in the renderer's local
  // time, and the renderer's (a Tokyo server put 06:00 UTC at '03 PM') is never the one meant.
  const at = (t: unknown, field: string): number | undefined => {
    if (!temporal) {
      if (typeof t === 'number') return Number.isFinite(t) ? t : undefined;
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `forecastChartSpec ${field} is ${describeValue(t)}, but times are series steps (numbers): give steps here too, or ISO 8601 times in both.`,
        { details: { field } },
      );
    }
    if (typeof t === 'number') return Number.isFinite(t) ? t : undefined; // epoch ms
    if (typeof t !== 'string')
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `forecastChartSpec ${field} must be an ISO 8601 time or epoch ms; got ${describeValue(t)}.`,
        {
          details: { field },
        },
      );
    if (t.trim() === '') return undefined; // no time: no point
    const ms = parseTimeText(t, field, zone);
    if (!Number.isFinite(ms))
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `forecastChartSpec ${field} '${t.trim().slice(0, 40)}' is no time the chart can place: give ISO 8601 (e.g. '2026-01-05T06:00:00Z', or '2026-01-05T06:00' on the clock of timeZone) or epoch ms.`,
        { details: { field, value: t.trim().slice(0, 40) } },
      );
    return ms;
  };
  const rows: Record<string, unknown>[] = [];
  input.times.forEach((t, i) => {
    const a = input.actual[i];
    const f = input.forecast[i];
    const time = at(t, `times[${i}]`);
    if (time === undefined) return;
    if (a !== undefined && Number.isFinite(a)) rows.push({ time, series: 'actual', speed: a });
    if (f !== undefined && Number.isFinite(f)) rows.push({ time, series: label, speed: f });
  });
  const alerts = (input.alerts ?? []).map((t, i) => at(t, `alerts[${i}]`)).filter((t) => t !== undefined);
  const x = temporal
    ? {
        field: 'time',
        type: 'temporal',
        scale: { type: 'utc' },
        title: `time (${zone ?? 'UTC'})`,
        axis:
          zone === undefined
            ? { labelExpr: clockLabelExpr('time(datum.value)') }
            : zoneAxis(zone, [...rows.map((r) => r.time as number), ...alerts], input.width ?? 720),
      }
    : { field: 'time', type: 'quantitative', title: 'step' };
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        x,
        y: { field: 'speed', type: 'quantitative', title: 'speed', scale: { zero: false } },
        color: { field: 'series', type: 'nominal', title: null },
        strokeDash: { field: 'series', type: 'nominal', legend: null },
      },
    },
  ];
  if (alerts.length > 0) {
    layers.push({
      data: { values: alerts.map((time) => ({ time })) },
      mark: { type: 'rule', color: '#d62728', strokeWidth: 1, opacity: 0.7 },
      encoding: { x },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Sensor ${input.sensor}: ${label} vs actual`,
    width: input.width ?? 720,
    height: input.height ?? 240,
    data: { values: rows },
    layer: layers,
  };
}

/** Error by horizon for several models (RMSE and MAE panels). */
export function errorByHorizonSpec(
  results: { model: string; horizons: Pick<HorizonMetrics, 'minutes' | 'rmse' | 'mae'>[] }[],
  options: { width?: number; height?: number } = {},
): ChartSpec {
  checkKnownKeys('errorByHorizonSpec options', options, ['width', 'height']);
  if (!Array.isArray(results))
    throw new AppliedMLError('E_INPUT_INVALID', `errorByHorizonSpec needs a list of { model, horizons }; got ${describeValue(results)}.`, {
      details: { field: 'results' },
    });
  results.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || typeof r.model !== 'string' || !Array.isArray(r.horizons))
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `errorByHorizonSpec results[${i}] must be { model: string, horizons: [...] } (e.g. from evaluate); got ${describeValue(r)}.`,
        { details: { index: i } },
      );
    r.horizons.forEach((h, j) => {
      if (h === null || typeof h !== 'object')
        throw new AppliedMLError('E_INPUT_INVALID', `errorByHorizonSpec results[${i}].horizons[${j}] must be { minutes, rmse, mae }.`, {
          details: { index: i, horizon: j },
        });
    });
  });
  checkChartSize('width', options.width);
  checkChartSize('height', options.height);
  const rows = results.flatMap((r) =>
    r.horizons.flatMap((h) => [
      { model: r.model, minutes: h.minutes, metric: 'RMSE', value: h.rmse },
      { model: r.model, minutes: h.minutes, metric: 'MAE', value: h.mae },
    ]),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Error by horizon',
    data: { values: rows },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: options.width ?? 320,
      height: options.height ?? 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'minutes', type: 'quantitative', title: 'minutes ahead' },
        y: { field: 'value', type: 'quantitative', title: 'error', scale: { zero: false } },
        color: { field: 'model', type: 'nominal', legend: { labelLimit: 360 } },
      },
    },
  };
}

/**
 * Renders a Vega-Lite spec to an SVG string in Node (vega-lite compiles, vega renders headless).
 * For PNG, feed the SVG to an image library such as sharp. A spec that is not an object or that
 * vega-lite cannot compile, and a numeric width / height / step outside 1..8192 → E_INPUT_INVALID.
 */
export async function renderChartSvg(spec: ChartSpec): Promise<string> {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec))
    throw new AppliedMLError('E_INPUT_INVALID', 'renderChartSvg needs a Vega-Lite spec (an object, e.g. from forecastChartSpec).');
  checkSpecSizes(spec, '');
  let vegaLite: typeof import('vega-lite');
  let vega: typeof import('vega');
  try {
    vegaLite = await import('vega-lite');
    vega = await import('vega');
  } catch (cause) {
    // vega and vega-lite are dependencies; a service bundled as CommonJS keeps them external
    // (vega-canvas has a top-level await), so they must then be installed beside the bundle.
    throw new AppliedMLError(
      'E_INTERNAL',
      `renderChartSvg needs the 'vega' and 'vega-lite' packages, which cannot be loaded here (${String((cause as Error)?.message ?? cause).split('\n')[0]}). ` +
        'A service bundled into one file as CommonJS keeps them external (esbuild --external:vega --external:vega-lite) and installed beside the bundle (npm install vega vega-lite).',
      { cause, details: { modules: ['vega', 'vega-lite'] } },
    );
  }
  let runtime: ReturnType<typeof vega.parse>;
  try {
    runtime = vega.parse(vegaLite.compile(spec as never).spec);
  } catch (error) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `renderChartSvg: not a valid Vega-Lite spec (${String((error as Error)?.message ?? error).slice(0, 200)}).`,
      {
        cause: error,
      },
    );
  }
  const view = new vega.View(runtime, { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
