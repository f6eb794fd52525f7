import { writeOutputFile } from '@appliedml/demo-kit';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  errorByHorizonSpec,
  forecastChartSpec,
  IncidentMonitor,
  renderChartSvg,
  type IncidentEvent,
  type TrafficForecaster,
} from '@appliedml/traffic';
import type { DemoData } from './data';
import type { ModelResult } from './experiment';
import { clockLabel, fileClock, titleTimeAxis, utcClockSentence } from './page-clock';
import { modelLabel, wallTime } from './render';

/** The monitor compares readings with the forecast made this many steps earlier (30 min at 5-min steps). */
export const MONITOR_LEAD = 6;

export interface ReplayResult {
  /** How far ahead the charts' forecast is, in minutes (`stepsAhead` steps of the series' interval). */
  minutesAhead: number;
  /**
   * Per chosen sensor: times (ISO; the series' step numbers for data without a clock), actual and the
   * forecast `stepsAhead` ahead, and the times (or steps) of its raised alerts.
   */
  charts: { sensor: string; times: (string | number)[]; actual: number[]; forecast: number[]; alerts: (string | number)[] }[];
  events: IncidentEvent[];
  /** The series step at which each of `events` happened. */
  eventSteps: number[];
}

/**
 * Replays the test part through a trained forecaster: the `stepsAhead` forecast for each time, and
 * the incident monitor fed with the forecast issued MONITOR_LEAD steps earlier.
 */
export async function replayTest(
  model: TrafficForecaster,
  data: DemoData,
  testStart: number,
  sensors: number[],
  stepsAhead = 3,
): Promise<ReplayResult> {
  const { series } = data;
  const n = series.sensors.length;
  const T = model.config.inputSteps;
  const starts: number[] = [];
  for (let s = testStart - T; s + T < series.steps; s++) starts.push(s);
  const pred = await model.forecastSeries(series, starts);
  const P = model.outputSteps;
  const monitor = new IncidentMonitor({ sensors: series.sensors, minHistory: 24 });
  const events: IncidentEvent[] = [];
  const eventSteps: number[] = [];
  // Data without a clock (no timestamps, no --start) has steps, not times: they were drawn and listed as
  // times of 3 January 1970.
  const { start } = series;
  const timeAt = (t: number): string | number => (start === null ? t : new Date(start + t * series.intervalMinutes * 60_000).toISOString());
  // Expected = the forecast issued `lead` steps earlier, so a sudden drop stays visible for a while
  // instead of being absorbed by the newest window.
  const lead = Math.min(MONITOR_LEAD, P);
  starts.forEach((s0, w) => {
    const issued = w - lead + 1;
    if (issued < 0) return;
    const t = s0 + T;
    const observed = series.values.subarray(t * n, (t + 1) * n);
    const expected = Array.from(pred.subarray((issued * P + lead - 1) * n, (issued * P + lead) * n));
    for (const e of monitor.observe({ observed, expected, ...(start !== null ? { time: timeAt(t) as string } : {}) })) {
      events.push(e);
      eventSteps.push(t);
    }
  });
  const charts = sensors.map((s) => {
    const times: (string | number)[] = [];
    const actual: number[] = [];
    const forecast: number[] = [];
    starts.forEach((s0, w) => {
      const t = s0 + T + stepsAhead - 1;
      if (t >= series.steps) return;
      times.push(timeAt(t));
      actual.push(series.values[t * n + s] as number);
      forecast.push(pred[(w * P + stepsAhead - 1) * n + s] as number);
    });
    const alerts = events.flatMap((e, k) => (e.type === 'raised' && e.alert.sensorIndex === s ? [timeAt(eventSteps[k]!)] : []));
    return { sensor: series.sensors[s] as string, times, actual, forecast, alerts };
  });
  return { minutesAhead: Number((stepsAhead * series.intervalMinutes).toFixed(9)), charts, events, eventSteps };
}

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Writes report.html with the error-by-horizon chart and forecast-vs-actual charts (SVG inline, PNG beside it). */
export async function writeReport(
  dir: string,
  input: { data: DemoData; results: ModelResult[]; replay: ReplayResult; replayModel: string; tableText: string },
): Promise<string> {
  const charts: { name: string; title: string; svg: string }[] = [];
  // Times on the data's clock (its --time-zone), else UTC, and the zone named: the charts' axis was drawn
  // on the clock of the machine that wrote the report, and the alerts' times were bare ISO instants.
  const { timeZone } = input.data.series;
  // A file read without --time-zone: its own clock, read as UTC fields (it was called UTC).
  const fromFile = fileClock(input.data);
  const zone = clockLabel(timeZone, fromFile);
  const errors = errorByHorizonSpec(input.results.map((r) => ({ model: modelLabel(r), horizons: r.horizons })));
  charts.push({ name: 'error-by-horizon', title: 'Error by horizon (test part)', svg: await renderChartSvg(errors) });
  for (const c of input.replay.charts) {
    const spec = titleTimeAxis(
      forecastChartSpec({
        sensor: c.sensor,
        times: c.times,
        actual: c.actual,
        forecast: c.forecast,
        label: `${input.replayModel}, ${input.replay.minutesAhead} min ahead`,
        alerts: c.alerts,
        ...(timeZone !== undefined ? { timeZone } : {}),
      }),
      zone,
    );
    charts.push({ name: `forecast-${c.sensor}`, title: `Sensor ${c.sensor}`, svg: await renderChartSvg(spec) });
  }
  for (const c of charts) {
    await writeOutputFile(join(dir, `${c.name}.svg`), c.svg);
    await writeOutputFile(join(dir, `${c.name}.png`), await sharp(Buffer.from(c.svg)).png().toBuffer());
  }
  // The series steps an alert started and was raised at, for data without a clock (the monitor counts its own steps).
  const clocked = input.data.series.start !== null;
  const raised = input.replay.events.flatMap((e, k) => {
    if (e.type !== 'raised') return [];
    const at = input.replay.eventSteps[k]!;
    return [{ ...e, raisedAt: at, startedAt: at - (e.alert.raisedStep - e.alert.startStep) }];
  });
  const when = (iso: string | null, step: number): string => (clocked ? wallTime(iso, timeZone) : String(step));
  const heading = clocked ? zone : 'step';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>appliedml traffic report</title>
<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:12px}
.synthetic{background:#fff3cd;border:1px solid #e0c060;padding:.6em 1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;font-size:13px}</style></head>
<body><h1>Traffic forecasting report</h1>
<p class="${input.data.name === 'synthetic' ? 'synthetic' : ''}">${escape(input.data.note)}</p>
<h2>Per-horizon errors (T-GCN protocol: 80/20 chronological split, 12 input steps, steps 1..h pooled)</h2>
<pre>${escape(input.tableText)}</pre>
${charts.map((c) => `<h2>${escape(c.title)}</h2>\n${c.svg}`).join('\n')}
<h2>Incident alerts on the test part (${raised.length})</h2>
<p>${clocked ? (timeZone !== undefined ? `Times are ${escape(timeZone)} time (the data's clock, with its UTC offset).` : escape(utcClockSentence(fromFile))) : "The data has no clock (no timestamps, no --start): times are the series' step numbers."}</p>
<table><tr><th>sensor</th><th>started (${escape(heading)})</th><th>raised (${escape(heading)})</th><th>robust z</th><th>observed</th><th>expected</th></tr>
${raised
  .slice(0, 50)
  .map(
    (e) =>
      `<tr><td>${escape(e.alert.sensor)}</td><td>${when(e.alert.startedAt, e.startedAt)}</td><td>${when(e.alert.raisedAt, e.raisedAt)}</td><td>${e.alert.z.toFixed(1)}</td><td>${e.alert.observed.toFixed(1)}</td><td>${e.alert.expected.toFixed(1)}</td></tr>`,
  )
  .join('\n')}
</table>
${input.data.incidents.length > 0 ? `<p>Injected incidents (synthetic ground truth): ${input.data.incidents.map((i) => `${i.sensor} at step ${i.startStep}`).join(', ')}</p>` : ''}
</body></html>
`;
  const file = join(dir, 'report.html');
  await writeOutputFile(file, html);
  return file;
}
