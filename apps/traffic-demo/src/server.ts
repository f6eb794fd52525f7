import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AppliedMLError, httpStatusForCode } from '@appliedml/engine';
import {
  forecastChartSpec,
  IncidentMonitor,
  renderChartSvg,
  type Forecast,
  type IncidentEvent,
  type TrafficForecaster,
} from '@appliedml/traffic';
import type { DemoData } from './data';
import { MONITOR_LEAD } from './report';

export interface LiveFeed {
  server: Server;
  /** Feed the next observation of the replayed data (the timer calls this). */
  advance(): Promise<void>;
  stop(): void;
}

interface State {
  step: number;
  forecast: Forecast | null;
  /** The last MONITOR_LEAD forecasts, oldest first: the oldest one's step MONITOR_LEAD is the expectation for now. */
  issued: Forecast[];
  history: { time: string; values: number[] }[];
  events: IncidentEvent[];
}

/**
 * A small service that replays the test part of the data as a live feed: each tick feeds one
 * observation to the forecaster (`update`), checks it against the previous one-step forecast with
 * the incident monitor, and forecasts again. A web page shows the chart for a chosen sensor and the
 * live alerts.
 */
export function createLiveFeed(model: TrafficForecaster, data: DemoData, fromStep: number, options: { tickMs?: number } = {}): LiveFeed {
  const { series } = data;
  const n = series.sensors.length;
  const monitor = new IncidentMonitor({ sensors: series.sensors });
  const state: State = { step: fromStep, forecast: null, issued: [], history: [], events: [] };
  const timeAt = (t: number): number => (series.start ?? 0) + t * series.intervalMinutes * 60_000;

  async function advance(): Promise<void> {
    if (state.step >= series.steps) state.step = fromStep; // loop the replay
    const t = state.step++;
    const values = Array.from(series.values.subarray(t * n, (t + 1) * n));
    const iso = new Date(timeAt(t)).toISOString();
    const lead = Math.min(MONITOR_LEAD, model.outputSteps);
    const oldest = state.issued.length >= lead ? state.issued[state.issued.length - lead] : undefined;
    if (oldest) state.events.push(...monitor.observe({ observed: values, expected: oldest.steps[lead - 1]!.values, time: iso }));
    if (state.events.length > 200) state.events.splice(0, state.events.length - 200);
    model.update({ values, ...(series.start !== null ? { time: timeAt(t) } : {}) });
    state.history.push({ time: iso, values });
    if (state.history.length > 72) state.history.shift();
    if (model.bufferedSteps >= model.config.inputSteps) {
      state.forecast = await model.forecast();
      state.issued.push(state.forecast);
      if (state.issued.length > lead) state.issued.shift();
    }
  }

  const sensorIndex = (url: URL): number => {
    const id = url.searchParams.get('sensor') ?? series.sensors[0]!;
    const i = series.sensors.indexOf(id);
    if (i < 0) throw new AppliedMLError('E_INPUT_INVALID', `Unknown sensor '${id}'.`, { details: { sensor: id } });
    return i;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const json = (body: unknown, status = 200): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method !== 'GET') return json({ error: 'method not allowed' }, 405);
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page(series.sensors, data.name === 'synthetic' ? data.note : ''));
        return;
      }
      if (url.pathname === '/api/sensors') return json({ sensors: series.sensors, synthetic: data.name === 'synthetic' });
      if (url.pathname === '/api/forecast') {
        const s = sensorIndex(url);
        return json({
          sensor: series.sensors[s],
          history: state.history.map((h) => ({ time: h.time, value: h.values[s] })),
          forecast: state.forecast ? state.forecast.steps.map((p) => ({ time: p.time, minutes: p.minutes, value: p.values[s] })) : [],
        });
      }
      if (url.pathname === '/api/alerts') return json({ active: monitor.active, recent: state.events.slice(-30).reverse() });
      if (url.pathname === '/api/chart.svg') {
        const s = sensorIndex(url);
        const times = [...state.history.map((h) => h.time), ...(state.forecast?.steps.map((p) => p.time ?? '') ?? [])];
        const actual = [...state.history.map((h) => h.values[s] ?? NaN), ...(state.forecast?.steps.map(() => NaN) ?? [])];
        const forecast = [...state.history.map(() => NaN), ...(state.forecast?.steps.map((p) => p.values[s] ?? NaN) ?? [])];
        const alerts = state.events.filter((e) => e.type === 'raised' && e.alert.sensorIndex === s).map((e) => e.time ?? '');
        const svg = await renderChartSvg(
          forecastChartSpec({ sensor: series.sensors[s]!, times, actual, forecast, label: 'forecast', alerts, width: 640, height: 220 }),
        );
        res.writeHead(200, { 'content-type': 'image/svg+xml' });
        res.end(svg);
        return;
      }
      json({ error: 'not found' }, 404);
    } catch (error) {
      if (AppliedMLError.isInstance(error)) return json(error.toJSON(), httpStatusForCode(error.code));
      json({ error: 'internal error' }, 500);
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  const timer = setInterval(() => void advance(), options.tickMs ?? 1000);
  timer.unref();
  return {
    server,
    advance,
    stop: () => {
      clearInterval(timer);
      server.close();
    },
  };
}

function page(sensors: string[], syntheticNote: string): string {
  const options = sensors.map((s) => `<option>${s}</option>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>appliedml traffic</title>
<style>body{font-family:system-ui,sans-serif;max-width:900px;margin:1.5em auto;padding:0 1em}#alerts li{margin:.2em 0}.note{background:#fff3cd;padding:.5em}</style></head>
<body><h1>Live traffic forecast</h1>${syntheticNote ? `<p class="note">${syntheticNote}</p>` : ''}
<label>Sensor <select id="sensor">${options}</select></label>
<div id="chart"></div><h2>Alerts</h2><ul id="alerts"></ul>
<script>
const sel = document.getElementById('sensor');
async function refresh() {
  const s = encodeURIComponent(sel.value);
  document.getElementById('chart').innerHTML = await (await fetch('/api/chart.svg?sensor=' + s)).text();
  const a = await (await fetch('/api/alerts')).json();
  document.getElementById('alerts').innerHTML = a.recent.map(e => '<li>' + e.type + ': sensor ' + e.alert.sensor + ' since ' + (e.alert.startedAt || '') + ' (z ' + e.alert.z.toFixed(1) + ', ' + e.alert.observed.toFixed(1) + ' vs ' + e.alert.expected.toFixed(1) + ' expected)</li>').join('') || '<li>none</li>';
}
sel.onchange = refresh; refresh(); setInterval(refresh, 2000);
</script></body></html>`;
}
