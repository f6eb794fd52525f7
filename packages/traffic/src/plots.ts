import { AppliedMLError, checkOptionsObject } from '@appliedml/engine';
import type { HorizonMetrics } from './horizon-metrics';

/** A Vega-Lite specification (plain JSON). */
export type ChartSpec = Record<string, unknown>;

export interface ForecastChartInput {
  sensor: string;
  /** ISO times (or step numbers) of the points. */
  times: (string | number)[];
  actual: number[];
  /** Forecasts for the same times, e.g. the 15-min-ahead forecast issued 15 min earlier. */
  forecast: number[];
  /** Label of the forecast line, e.g. 'T-GCN, 15 min ahead'. */
  label?: string;
  /** Alerts to mark on the chart (times). */
  alerts?: (string | number)[];
  width?: number;
  height?: number;
}

/** Forecast against actual for one sensor (a Vega-Lite spec; render it with `renderChartSvg`). */
export function forecastChartSpec(input: ForecastChartInput): ChartSpec {
  checkOptionsObject('forecastChartSpec input', input);
  for (const key of ['times', 'actual', 'forecast'] as const)
    if (!Array.isArray(input[key]))
      throw new AppliedMLError('E_INPUT_INVALID', `forecastChartSpec needs ${key} as an array.`, { details: { field: key } });
  const label = input.label ?? 'forecast';
  const temporal = typeof input.times[0] === 'string';
  const rows: Record<string, unknown>[] = [];
  input.times.forEach((t, i) => {
    const a = input.actual[i];
    const f = input.forecast[i];
    if (a !== undefined && Number.isFinite(a)) rows.push({ time: t, series: 'actual', speed: a });
    if (f !== undefined && Number.isFinite(f)) rows.push({ time: t, series: label, speed: f });
  });
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'time', type: temporal ? 'temporal' : 'quantitative', title: temporal ? 'time' : 'step' },
        y: { field: 'speed', type: 'quantitative', title: 'speed', scale: { zero: false } },
        color: { field: 'series', type: 'nominal', title: null },
        strokeDash: { field: 'series', type: 'nominal', legend: null },
      },
    },
  ];
  if (input.alerts && input.alerts.length > 0) {
    layers.push({
      data: { values: input.alerts.map((t) => ({ time: t })) },
      mark: { type: 'rule', color: '#d62728', strokeWidth: 1, opacity: 0.7 },
      encoding: { x: { field: 'time', type: temporal ? 'temporal' : 'quantitative' } },
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
  checkOptionsObject('errorByHorizonSpec options', options);
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
 * For PNG, feed the SVG to an image library such as sharp.
 */
export async function renderChartSvg(spec: ChartSpec): Promise<string> {
  const vegaLite = await import('vega-lite');
  const vega = await import('vega');
  const compiled = vegaLite.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
