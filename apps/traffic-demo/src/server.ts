import { createService, readErrorResponses, type DemoServiceOptions, type Service } from '@appliedml/demo-kit';
import { AppliedMLError } from '@appliedml/engine';
import {
  forecastChartSpec,
  IncidentMonitor,
  renderChartSvg,
  type Forecast,
  type IncidentAlert,
  type IncidentEvent,
  type TrafficForecaster,
} from '@appliedml/traffic';
import type { DemoData } from './data';
import { clockLabel, fileClock, titleTimeAxis, utcClockSentence } from './page-clock';
import { wallTime } from './render';
import { MONITOR_LEAD } from './report';

/** Events kept for the page (older ones are dropped). */
const MAX_EVENTS = 200;
/** Observations kept for the chart (6 hours of 5-minute steps). */
const MAX_HISTORY = 72;
/** Requests here are GETs with a query string; no body is expected. */
export const MAX_BODY_BYTES = 16 * 1024;

/** The replay of the data as a live feed: one observation per tick, a forecast, the incident monitor. */
export interface LiveFeed {
  /** Feed the next observation of the replayed data (the timer calls this). */
  advance(): Promise<void>;
  /** Stop the timer and wait for a tick in progress, so the model is free to dispose (idempotent). */
  stop(): Promise<void>;
  readonly sensors: readonly string[];
  /** The clock the page shows times on: the data's `timeZone` (the model's, checked at load), else UTC. */
  readonly timeZone: string | undefined;
  /** The data has a clock (timestamps or --start); without one, times are null and the chart shows steps. */
  readonly clocked: boolean;
  /** Times are a file's own clock read as UTC fields (a file read without --time-zone), not known to be UTC. */
  readonly fileClock: boolean;
  forecastFor(sensor: number): ForecastAnswer;
  alerts(): AlertsAnswer;
  chartSvg(sensor: number): Promise<string>;
  /** A forecast exists (the forecaster has seen its input window). */
  readonly hasForecast: boolean;
  /** Ticks that failed (their error is logged by `onTickError`); the next tick tries again. */
  readonly failedTicks: number;
}

export interface ForecastAnswer {
  sensor: string;
  /** `time` is null for data without a clock (it was a time of 3 January 1970). */
  history: { time: string | null; value: number | null }[];
  forecast: { time: string | null; minutes: number; value: number | null }[];
}

/**
 * An alert as the API gives it: the monitor's alert, with the series steps it started and was raised at
 * (the steps on the chart's axis and in the report; the alert's own `startStep` and `raisedStep` are the
 * monitor's count of its observations, which runs on across passes of the replay) and its times as the
 * page and the report show them (`wallTime`: on the data's clock, with the UTC offset; null without a clock).
 */
export type FeedAlert = IncidentAlert & {
  startedAtStep: number;
  raisedAtStep: number;
  startedAtText: string | null;
  raisedAtText: string | null;
};

/**
 * An event with the series step it happened at and its alert's series steps and shown times (see
 * `FeedAlert`); `startedAtStep` is the alert's, kept beside it for clients written before it was there.
 */
export type FeedEvent = Omit<IncidentEvent, 'alert'> & {
  alert: FeedAlert;
  seriesStep: number;
  startedAtStep: number;
  /** The event's time as the page and the report show it (null without a clock). */
  timeText: string | null;
};

export interface AlertsAnswer {
  active: FeedAlert[];
  recent: FeedEvent[];
}

export interface LiveFeedOptions {
  /** Time between observations (default 1 s). */
  tickMs?: number;
  /** Start the timer (default true; tests call `advance()` themselves). */
  autoStart?: boolean;
  /** Told when a tick fails (default: ignored; the service passes its logger). */
  onTickError?: (error: unknown) => void;
}

/** JSON has no NaN: a missing reading is null. */
const finite = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

/**
 * Replays the data from `fromStep` as a live feed: each tick feeds one observation to the
 * forecaster (`update`), checks it against the forecast issued MONITOR_LEAD steps earlier with the
 * incident monitor, and forecasts again. The replay loops at the end of the data.
 */
export function createLiveFeed(model: TrafficForecaster, data: DemoData, fromStep: number, options: LiveFeedOptions = {}): LiveFeed {
  const { series } = data;
  const n = series.sensors.length;
  const monitor = new IncidentMonitor({ sensors: series.sensors });
  let step = fromStep;
  let forecast: Forecast | null = null;
  const issued: Forecast[] = [];
  const history: { time: string | null; step: number; values: number[] }[] = [];
  const events: IncidentEvent[] = [];
  // The series step of each event, for the chart of data without a clock (the monitor counts its own steps).
  const eventSteps = new WeakMap<IncidentEvent, number>();
  // The series steps each alert started and was raised at, by its sensor, from its raise to its clear: the
  // monitor's own steps count on across the replay's passes, so the series steps are taken when it is raised.
  const alertSteps = new Map<number, { startedAtStep: number; raisedAtStep: number }>();
  const stepsOfEvent = new WeakMap<IncidentEvent, { startedAtStep: number; raisedAtStep: number }>();
  const charts = new Map<number, Promise<string>>();
  let failedTicks = 0;
  let ticking: Promise<void> | undefined;
  const timeAt = (t: number): number => (series.start ?? 0) + t * series.intervalMinutes * 60_000;

  async function tick(): Promise<void> {
    if (step >= series.steps) {
      // The replay loops back to earlier times: a new stream for the forecaster and the monitor (they
      // refuse readings older than their last one), no forecasts carried over to the monitor, a fresh chart. The last
      // forecast stays on show until the next one, so the service stays ready.
      step = fromStep;
      model.resetStream();
      monitor.resetStream();
      issued.length = 0;
      history.length = 0;
    }
    const t = step++;
    const values = Array.from(series.values.subarray(t * n, (t + 1) * n));
    const iso = series.start === null ? null : new Date(timeAt(t)).toISOString();
    const lead = Math.min(MONITOR_LEAD, model.outputSteps);
    const oldest = issued.length >= lead ? issued[issued.length - lead] : undefined;
    if (oldest)
      for (const e of monitor.observe({
        observed: values,
        expected: oldest.steps[lead - 1]!.values,
        ...(iso !== null ? { time: iso } : {}),
      })) {
        events.push(e);
        eventSteps.set(e, t);
        const { sensorIndex } = e.alert;
        const steps = (e.type === 'cleared' ? alertSteps.get(sensorIndex) : undefined) ?? {
          startedAtStep: t - (e.step - e.alert.startStep),
          raisedAtStep: t - (e.step - e.alert.raisedStep),
        };
        stepsOfEvent.set(e, steps);
        if (e.type === 'raised') alertSteps.set(sensorIndex, steps);
        else alertSteps.delete(sensorIndex);
      }
    if (events.length > MAX_EVENTS) events.splice(0, events.length - MAX_EVENTS);
    model.update({ values, ...(series.start !== null ? { time: timeAt(t) } : {}) });
    history.push({ time: iso, step: t, values });
    if (history.length > MAX_HISTORY) history.shift();
    if (model.bufferedSteps >= model.config.inputSteps) {
      forecast = await model.forecast();
      issued.push(forecast);
      if (issued.length > lead) issued.shift();
    }
    charts.clear();
  }

  // One tick at a time: a slow forecast delays the next tick instead of overlapping it.
  const advance = (): Promise<void> => {
    const run = (ticking ?? Promise.resolve()).then(tick);
    ticking = run.catch(() => undefined);
    return run;
  };

  let busy = false;
  const timer =
    options.autoStart === false
      ? undefined
      : setInterval(() => {
          if (busy) return;
          busy = true;
          advance()
            .catch((error: unknown) => {
              failedTicks += 1;
              options.onTickError?.(error);
            })
            .finally(() => (busy = false));
        }, options.tickMs ?? 1000);
  timer?.unref();

  return {
    advance,
    stop: async () => {
      clearInterval(timer);
      await ticking;
    },
    sensors: series.sensors,
    timeZone: series.timeZone,
    clocked: series.start !== null,
    fileClock: fileClock(data),
    get failedTicks() {
      return failedTicks;
    },
    get hasForecast() {
      return forecast !== null;
    },
    forecastFor(s) {
      return {
        sensor: series.sensors[s]!,
        history: history.map((h) => ({ time: h.time, value: finite(h.values[s]) })),
        forecast: forecast ? forecast.steps.map((p) => ({ time: p.time, minutes: p.minutes, value: finite(p.values[s]) })) : [],
      };
    },
    alerts: () => {
      const text = (iso: string | null): string | null => (iso === null ? null : wallTime(iso, series.timeZone));
      const shown = (alert: IncidentAlert, steps: { startedAtStep: number; raisedAtStep: number }): FeedAlert => ({
        ...alert,
        ...steps,
        startedAtText: text(alert.startedAt),
        raisedAtText: text(alert.raisedAt),
      });
      return {
        active: monitor.active.map((a) => shown(a, alertSteps.get(a.sensorIndex)!)),
        recent: events
          .slice(-30)
          .reverse()
          .map((e) => {
            const steps = stepsOfEvent.get(e)!;
            return {
              ...e,
              alert: shown(e.alert, steps),
              seriesStep: eventSteps.get(e)!,
              startedAtStep: steps.startedAtStep,
              timeText: text(e.time),
            };
          }),
      };
    },
    chartSvg(s) {
      // Drawn once per sensor and step: the chart changes only when the feed advances.
      let svg = charts.get(s);
      if (!svg) {
        const steps = forecast?.steps ?? [];
        // Without a clock, the series' steps (the forecast's follow the last reading's).
        const last = history[history.length - 1]?.step ?? 0;
        const times: (string | number)[] =
          series.start === null
            ? [...history.map((h) => h.step), ...steps.map((p) => last + p.stepsAhead)]
            : [...history.map((h) => h.time ?? ''), ...steps.map((p) => p.time ?? '')];
        const actual = [...history.map((h) => h.values[s] ?? NaN), ...steps.map(() => NaN)];
        const predicted = [...history.map(() => NaN), ...steps.map((p) => p.values[s] ?? NaN)];
        const alerts = events
          .filter((e) => e.type === 'raised' && e.alert.sensorIndex === s)
          .map((e) => (series.start === null ? (eventSteps.get(e) ?? NaN) : (e.time ?? '')));
        svg = renderChartSvg(
          titleTimeAxis(
            forecastChartSpec({
              sensor: series.sensors[s]!,
              times,
              actual,
              forecast: predicted,
              label: 'forecast',
              alerts,
              // On the data's clock (or UTC), named on the axis: it was the server's local time, unnamed.
              ...(series.timeZone !== undefined ? { timeZone: series.timeZone } : {}),
              width: 640,
              height: 220,
            }),
            clockLabel(series.timeZone, fileClock(data)),
          ),
        );
        charts.set(s, svg);
        svg.catch(() => charts.delete(s));
      }
      return svg;
    },
  };
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(
  sensors: readonly string[],
  syntheticNote: string,
  timeZone: string | undefined,
  clocked: boolean,
  fromFile: boolean,
): string {
  const options = sensors.map((s) => `<option value="${esc(s)}">${esc(s)}</option>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>appliedml traffic</title>
<style>body{font-family:system-ui,sans-serif;max-width:900px;margin:1.5em auto;padding:0 1em}#alerts li{margin:.2em 0}.note{background:#fff3cd;padding:.5em}#chart{min-height:220px}</style></head>
<body><h1>Live traffic forecast</h1>${syntheticNote ? `<p class="note">${esc(syntheticNote)}</p>` : ''}
<label>Sensor <select id="sensor">${options}</select></label>
<p id="clock"><small>${clocked ? (timeZone !== undefined ? `Times are ${esc(timeZone)} time (the clock the model was trained on), with the UTC offset.` : esc(utcClockSentence(fromFile))) : "The data has no clock (no timestamps, no --start): the chart shows the series' steps, and each alert the step it started at."}</small></p>
<div><img id="chart" alt="forecast chart" width="640" height="220"></div><h2>Alerts</h2><ul id="alerts"></ul>
<p><small>The API: <a id="api" href="/docs">OpenAPI page</a> (GET /api/forecast?sensor=ID, /api/alerts, /api/chart.svg?sensor=ID).</small></p>
<script>
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
const num = (v) => (typeof v === 'number' ? v.toFixed(1) : '–');
// The times come formatted from the server (startedAtText: the report's wallTime, on the data's clock with
// its UTC offset), never on the clock of the browser, which may be anywhere; 'step N' without a clock.
const when = (alert) => (alert.startedAtText ?? 'step ' + alert.startedAtStep);
// An event at its own time (a clear at the time it cleared, not the time its alert began), 'step N' without a clock.
const at = (e) => (e.timeText ?? 'step ' + e.seriesStep);
const stats = (alert) => 'z ' + num(alert.z) + ', ' + num(alert.observed) + ' vs ' + num(alert.expected) + ' expected';
const sel = document.getElementById('sensor');
const chart = document.getElementById('chart');
let shown = '';
async function refresh() {
  const s = encodeURIComponent(sel.value);
  const res = await fetch('/api/chart.svg?sensor=' + s);
  if (res.ok) {
    const url = URL.createObjectURL(await res.blob());
    chart.onload = () => { if (shown) URL.revokeObjectURL(shown); shown = url; chart.dataset.sensor = sel.value; };
    chart.src = url;
  }
  const a = await (await fetch('/api/alerts')).json();
  // The alerts still open first, then the latest events, newest first.
  const open = a.active.map((x) => '<li class="alert active">active: sensor ' + esc(x.sensor) + ' since ' + esc(when(x)) + ' (' + stats(x) + ')</li>');
  const events = a.recent.map((e) => '<li class="alert">' + esc(e.type) + ' at ' + esc(at(e)) + ': sensor ' + esc(e.alert.sensor) + ' (began ' + esc(when(e.alert)) + '; ' + stats(e.alert) + ')</li>');
  document.getElementById('alerts').innerHTML = [...open, ...events].join('') || '<li>none</li>';
}
sel.onchange = refresh; refresh(); setInterval(refresh, 2000);
</script></body></html>`;
}

const sensorQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    sensor: { type: 'string', minLength: 1, maxLength: 128, description: 'A sensor id from GET /api/sensors (default: the first).' },
  },
} as const;

const shownTime = {
  type: ['string', 'null'],
  description:
    "As the page and the report show it: on the data's clock with its UTC offset ('2026-11-01 01:30:00 UTC-08:00'), in UTC fields for data without --time-zone; null for data without a clock.",
} as const;

const alertSchema = {
  type: 'object',
  required: [
    'sensor',
    'sensorIndex',
    'startStep',
    'raisedStep',
    'startedAtStep',
    'raisedAtStep',
    'startedAtText',
    'raisedAtText',
    'z',
    'observed',
    'expected',
  ],
  properties: {
    sensor: { type: 'string' },
    sensorIndex: { type: 'integer' },
    startStep: {
      type: 'integer',
      description: "The monitor's own count of its observations (it runs on across passes of the replay); see startedAtStep.",
    },
    startedAt: { type: ['string', 'null'], description: 'The instant of the first abnormal reading (ISO, UTC); null without a clock.' },
    startedAtStep: { type: 'integer', description: "The series step of the first abnormal reading (the chart's and the report's steps)." },
    startedAtText: shownTime,
    raisedStep: { type: 'integer', description: "The monitor's own count of its observations; see raisedAtStep." },
    raisedAt: { type: ['string', 'null'], description: 'The instant the alert was raised (ISO, UTC); null without a clock.' },
    raisedAtStep: { type: 'integer', description: 'The series step the alert was raised at.' },
    raisedAtText: shownTime,
    z: {
      type: 'number',
      description: 'Robust z-score of the latest abnormal reading (the severity: further below 0, slower than forecast).',
    },
    observed: { type: 'number' },
    expected: { type: 'number' },
  },
} as const;

const forecastSchema = {
  type: 'object',
  required: ['sensor', 'history', 'forecast'],
  properties: {
    sensor: { type: 'string' },
    history: {
      type: 'array',
      items: {
        type: 'object',
        required: ['time', 'value'],
        properties: { time: { type: ['string', 'null'] }, value: { type: ['number', 'null'] } },
      },
    },
    forecast: {
      type: 'array',
      items: {
        type: 'object',
        required: ['time', 'minutes', 'value'],
        properties: { time: { type: ['string', 'null'] }, minutes: { type: 'number' }, value: { type: ['number', 'null'] } },
      },
    },
  },
} as const;

/** Logs, limits, and `onClose`, which runs after the feed stopped, when the service closes (e.g. dispose the model). */
export type TrafficServiceOptions = DemoServiceOptions;

/**
 * The traffic demo on the demo kit: GET / (the page: the forecast chart of a chosen sensor and the
 * live alerts), GET /api/sensors, GET /api/forecast?sensor=ID, GET /api/alerts,
 * GET /api/chart.svg?sensor=ID; GET /healthz, GET /readyz (ready once a forecast exists), the
 * OpenAPI page at /docs. Closing the service stops the feed's timer.
 */
export function createTrafficService(
  feed: LiveFeed,
  data: Pick<DemoData, 'name' | 'note'>,
  options: TrafficServiceOptions = {},
): Promise<Service> {
  const index = (sensor: string | undefined): number => {
    if (sensor === undefined) return 0;
    const i = feed.sensors.indexOf(sensor);
    // The id is not quoted: answers never echo the request.
    if (i < 0) throw new AppliedMLError('E_INPUT_INVALID', 'No sensor with that id; GET /api/sensors lists them.');
    return i;
  };
  const synthetic = data.name === 'synthetic';
  return createService({
    name: 'appliedml traffic demo',
    description: 'Multi-horizon traffic forecasts with the @appliedml/traffic SDK, replaying data as a live feed, with incident alerts.',
    logger: options.logger ?? false,
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    limits: { bodyLimit: MAX_BODY_BYTES, ...options.limits },
    isReady: () => feed.hasForecast,
    onClose: async () => {
      await feed.stop();
      await options.onClose?.();
    },
    routes(app) {
      const html = { summary: 'The web page.', tags: ['page'], produces: ['text/html'], response: { 200: { type: 'string' } } } as const;
      for (const url of ['/', '/index.html'])
        app.get(url, { schema: html }, async (_request, reply) =>
          reply
            .type('text/html; charset=utf-8')
            .send(page(feed.sensors, synthetic ? data.note : '', feed.timeZone, feed.clocked, feed.fileClock)),
        );
      app.get(
        '/api/sensors',
        {
          schema: {
            summary: 'The sensor ids, and whether the data is synthetic.',
            tags: ['traffic'],
            response: {
              200: {
                type: 'object',
                required: ['sensors', 'synthetic'],
                properties: { sensors: { type: 'array', items: { type: 'string' } }, synthetic: { type: 'boolean' } },
              },
            },
          },
        },
        async () => ({ sensors: feed.sensors, synthetic }),
      );
      app.get<{ Querystring: { sensor?: string } }>(
        '/api/forecast',
        {
          schema: {
            summary: 'Recent readings and the latest multi-step forecast of one sensor.',
            tags: ['traffic'],
            querystring: sensorQuery,
            response: { 200: forecastSchema, ...readErrorResponses },
          },
        },
        async (request) => feed.forecastFor(index(request.query.sensor)),
      );
      app.get(
        '/api/alerts',
        {
          schema: {
            summary: 'Active incident alerts and the latest raised/cleared events, newest first.',
            tags: ['traffic'],
            response: {
              200: {
                type: 'object',
                required: ['active', 'recent'],
                properties: {
                  active: { type: 'array', items: alertSchema },
                  recent: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['type', 'alert', 'step', 'time', 'timeText', 'seriesStep', 'startedAtStep'],
                      properties: {
                        type: { type: 'string', enum: ['raised', 'cleared'] },
                        alert: alertSchema,
                        step: { type: 'integer', description: "The monitor's step (counted from its first observation of this pass)." },
                        seriesStep: { type: 'integer', description: "The series step of this event (the chart's and the report's steps)." },
                        startedAtStep: { type: 'integer', description: 'The series step the alert started at (as alert.startedAtStep).' },
                        time: { type: ['string', 'null'], description: 'The instant of this event (ISO, UTC); null without a clock.' },
                        timeText: shownTime,
                      },
                    },
                  },
                },
              },
            },
          },
        },
        async () => feed.alerts(),
      );
      app.get<{ Querystring: { sensor?: string } }>(
        '/api/chart.svg',
        {
          schema: {
            summary: 'The forecast chart of one sensor (SVG): readings, forecast and raised alerts.',
            tags: ['traffic'],
            produces: ['image/svg+xml'],
            querystring: sensorQuery,
            response: { 200: { type: 'string' }, ...readErrorResponses },
          },
        },
        async (request, reply) => {
          const svg = await feed.chartSvg(index(request.query.sensor));
          return reply.type('image/svg+xml').header('cache-control', 'no-store').send(svg);
        },
      );
    },
  });
}
