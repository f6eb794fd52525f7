import { AppliedMLError, checkKnownKeys, checkNumberOption, describeValue } from '@appliedml/engine';
import type { HorizonMetrics } from './horizon-metrics';
import { parseTimeText } from './series';
import { checkTimeZone, localWallMs } from './time-zone';

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
   * ISO times (or step numbers) of the points. Drawn on the clock of `timeZone`, or in UTC: never in the
   * local time of the machine that renders the chart. A time without an offset is wall-clock time (UTC
   * fields, or in `timeZone`), as everywhere in the SDK; a text that is no time is left out.
   */
  times: (string | number)[];
  actual: number[];
  /** Forecasts for the same times, e.g. the 15-min-ahead forecast issued 15 min earlier. */
  forecast: number[];
  /** Label of the forecast line, e.g. 'T-GCN, 15 min ahead'. */
  label?: string;
  /** Alerts to mark on the chart (times). */
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

/** Forecast against actual for one sensor (a Vega-Lite spec; render it with `renderChartSvg`). */
export function forecastChartSpec(input: ForecastChartInput): ChartSpec {
  checkKnownKeys('forecastChartSpec input', input, CHART_INPUT_KEYS);
  for (const key of ['times', 'actual', 'forecast'] as const)
    if (!Array.isArray(input[key]))
      throw new AppliedMLError('E_INPUT_INVALID', `forecastChartSpec needs ${key} as an array.`, { details: { field: key } });
  if (input.alerts !== undefined && !Array.isArray(input.alerts))
    throw new AppliedMLError('E_INPUT_INVALID', 'forecastChartSpec needs alerts as an array of times.', { details: { field: 'alerts' } });
  checkChartSize('width', input.width);
  checkChartSize('height', input.height);
  const label = input.label ?? 'forecast';
  const temporal = typeof input.times[0] === 'string';
  const zone = input.timeZone === undefined ? undefined : checkTimeZone(input.timeZone);
  // Vega draws times in UTC or in the renderer's local time: an ISO text was drawn on the server's clock
  // (a Tokyo server put 06:00 UTC at '03 PM'), under an axis titled 'time'. The wall-clock time on the
  // chosen clock, as UTC fields, on a UTC scale, shows that clock wherever the chart is drawn.
  const at = (t: string | number): string | number | undefined => {
    if (!temporal) return t;
    const ms = typeof t === 'string' ? parseTimeText(t, 'time', zone) : NaN;
    if (!Number.isFinite(ms)) return undefined;
    return zone === undefined ? ms : localWallMs(zone, ms);
  };
  const rows: Record<string, unknown>[] = [];
  input.times.forEach((t, i) => {
    const a = input.actual[i];
    const f = input.forecast[i];
    const time = at(t);
    if (time === undefined) return;
    if (a !== undefined && Number.isFinite(a)) rows.push({ time, series: 'actual', speed: a });
    if (f !== undefined && Number.isFinite(f)) rows.push({ time, series: label, speed: f });
  });
  const x = temporal
    ? { field: 'time', type: 'temporal', scale: { type: 'utc' }, title: `time (${zone ?? 'UTC'})` }
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
  const alerts = (input.alerts ?? []).map(at).filter((t) => t !== undefined);
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
  const vegaLite = await import('vega-lite');
  const vega = await import('vega');
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
