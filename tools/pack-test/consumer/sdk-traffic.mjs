// Runs inside the scratch consumer project with plain `node`: the packed @appliedml/traffic SDK used the
// way its README quick start shows, on its own generated (seeded) road network. Checks: the import
// resolves to dist/index.mjs; the graph ridge trains, beats a persistence and a mean baseline computed
// here on the held-out day, and predicts; a tiny GRU goes through the same lifecycle; both save to a
// temp dir and load back to identical forecasts; streaming forecasts feed an IncidentMonitor that must
// alert on an incident injected here; a forecast chart renders to SVG; bad input is refused with a typed
// AppliedMLError; after dispose, no tensor is left behind.
import { AppliedMLError, initEngine, tf } from '@appliedml/engine';
import {
  IncidentMonitor,
  TrafficForecaster,
  forecastChartSpec,
  generateTrafficNetwork,
  renderChartSvg,
  splitSeries,
} from '@appliedml/traffic';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

let tempDir;
const fail = (message) => {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  process.stderr.write(`sdk-traffic: ${message}\n`);
  process.exit(1);
};
const round = (x, digits = 3) => Number(x.toFixed(digits));

/** Runs `fn`, which must throw an AppliedMLError; returns its code. */
async function codeOf(what, fn) {
  try {
    await fn();
  } catch (error) {
    if (!AppliedMLError.isInstance(error) || !(error instanceof AppliedMLError))
      fail(`${what}: expected an AppliedMLError, got ${error?.stack ?? error}`);
    return error.code;
  }
  return fail(`${what}: no error was thrown`);
}

async function main() {
  const started = performance.now();
  const resolved = import.meta.resolve('@appliedml/traffic');
  if (!resolved.endsWith('/dist/index.mjs')) fail(`import resolved to ${resolved}, expected dist/index.mjs`);

  const info = await initEngine();
  const tensorsBefore = tf.memory().numTensors;

  // A small network: 8 sensors on two corridors, 4 weekdays of 5-minute steps; the last day held out.
  const sensorCount = 8;
  const { series, adjacency, incidents } = generateTrafficNetwork({
    sensors: sensorCount,
    corridorLength: 4,
    days: 4,
    incidents: 2,
    seed: 21,
  });
  const n = series.sensors.length;
  const step = series.intervalMinutes * 60_000;
  if (n !== sensorCount || series.steps !== 4 * 288) fail(`generated ${n} sensors × ${series.steps} steps, expected 8 × 1152`);
  const { train, testStart } = splitSeries(series, 0.75);
  const T = 12;
  const horizons = [3, 6, 12];
  const rowsOf = (values, from, to) =>
    Array.from({ length: to - from }, (_, k) => Array.from(values.subarray((from + k) * n, (from + k + 1) * n)));
  const timeOf = (t) => series.start + t * step;

  // Baselines over the same windows as evaluate (T-GCN protocol: steps 1..h pooled, missing readings
  // skipped): persistence (the last reading of the window) and each sensor's mean over the training part.
  const trainMean = new Float64Array(n);
  const trainCount = new Float64Array(n);
  for (let t = 0; t < testStart; t++) {
    for (let s = 0; s < n; s++) {
      const v = series.values[t * n + s];
      if (Number.isNaN(v)) continue;
      trainMean[s] += v;
      trainCount[s]++;
    }
  }
  for (let s = 0; s < n; s++) trainMean[s] /= trainCount[s];
  const baselineRmse = (h, kind) => {
    let sum = 0;
    let count = 0;
    for (let start = testStart; start < series.steps - T - h; start++) {
      for (let s = 0; s < n; s++) {
        let last = trainMean[s];
        for (let t = start; t < start + T; t++) if (!Number.isNaN(series.values[t * n + s])) last = series.values[t * n + s];
        const guess = kind === 'persistence' ? last : trainMean[s];
        for (let p = 0; p < h; p++) {
          const truth = series.values[(start + T + p) * n + s];
          if (Number.isNaN(truth)) continue;
          sum += (truth - guess) ** 2;
          count++;
        }
      }
    }
    return Math.sqrt(sum / count);
  };
  const persistenceRmse15 = baselineRmse(3, 'persistence');
  const meanRmse15 = baselineRmse(3, 'mean');

  // 1. The graph ridge, as in the README quick start.
  const ridge = TrafficForecaster.create({ model: 'ridge', inputSteps: T, horizons, seed: 1 });
  const ridgeReport = await ridge.train(train, { adjacency });
  if (!(ridgeReport.trainWindows > 500)) fail(`ridge trained on ${ridgeReport.trainWindows} windows`);
  const ridgeEval = await ridge.evaluate(series, { fromStep: testStart });
  const minutes = ridgeEval.horizons.map((h) => h.minutes).join(',');
  if (minutes !== '15,30,60') fail(`ridge evaluation horizons are ${minutes} min, expected 15,30,60`);
  const ridge15 = ridgeEval.horizons[0];
  const expectedWindows = series.steps - testStart - T - 3;
  if (ridge15.windows !== expectedWindows) fail(`ridge 15 min scored ${ridge15.windows} windows, expected ${expectedWindows}`);
  for (const h of ridgeEval.horizons)
    if (!(Number.isFinite(h.rmse) && h.rmse > 0 && Number.isFinite(h.mae)))
      fail(`ridge ${h.minutes} min metrics are not finite: ${JSON.stringify(h)}`);
  // Quality floor: clearly better than persistence and the mean, and within a wide absolute bound (mph).
  if (!(ridge15.rmse < 0.95 * persistenceRmse15))
    fail(`ridge 15 min RMSE ${ridge15.rmse} is not below 0.95 × persistence ${persistenceRmse15}`);
  if (!(ridge15.rmse < 0.5 * meanRmse15)) fail(`ridge 15 min RMSE ${ridge15.rmse} is not below half the mean baseline ${meanRmse15}`);
  if (!(ridge15.rmse < 6)) fail(`ridge 15 min RMSE ${ridge15.rmse} mph is above 6`);

  const input = { values: rowsOf(series.values, testStart, testStart + T), end: timeOf(testStart + T - 1) };
  const ridgeForecast = await ridge.predict(input);
  if (ridgeForecast.steps.length !== 12 || ridgeForecast.steps[2].minutes !== 15)
    fail(`ridge forecast has ${ridgeForecast.steps.length} steps, step 3 at ${ridgeForecast.steps[2]?.minutes} min`);
  if (ridgeForecast.steps[0].time !== new Date(timeOf(testStart + T)).toISOString())
    fail(`ridge forecast step 1 is at ${ridgeForecast.steps[0].time}`);
  for (const s of ridgeForecast.steps)
    if (s.values.length !== n || !s.values.every((v) => Number.isFinite(v) && v > 0 && v < 100))
      fail(`ridge forecast ${s.stepsAhead} steps ahead is not a row of plausible speeds: ${s.values}`);

  // 2. A tiny GRU through the same lifecycle.
  const gru = TrafficForecaster.create({ model: 'gru', inputSteps: T, horizons, hiddenUnits: 8, seed: 3 });
  const gruReport = await gru.train(train, { epochs: 1, batchSize: 64 });
  if (gruReport.epochsRun !== 1 || !Number.isFinite(gruReport.history[0]?.loss))
    fail(`gru training report: ${JSON.stringify({ epochsRun: gruReport.epochsRun, history: gruReport.history })}`);
  const gru15 = (await gru.evaluate(series, { fromStep: testStart })).horizons[0];
  // It forecasts the change from the last reading: after one epoch it must still beat the mean.
  if (!(Number.isFinite(gru15.rmse) && gru15.rmse < meanRmse15))
    fail(`gru 15 min RMSE ${gru15.rmse} is not below the mean baseline ${meanRmse15}`);
  const gruForecast = await gru.predict(input);
  if (!gruForecast.steps.every((s) => s.values.length === n && s.values.every(Number.isFinite))) fail('gru forecast has non-finite values');

  // 3. Save, load, same forecasts.
  tempDir = await mkdtemp(join(tmpdir(), 'sdk-traffic-'));
  await ridge.save(join(tempDir, 'ridge'));
  await gru.save(join(tempDir, 'gru'));
  const ridgeLoaded = await TrafficForecaster.load(join(tempDir, 'ridge'));
  const gruLoaded = await TrafficForecaster.load(join(tempDir, 'gru'));
  if (!isDeepStrictEqual(await ridgeLoaded.predict(input), ridgeForecast)) fail('the loaded ridge forecasts differently');
  if (!isDeepStrictEqual(await gruLoaded.predict(input), gruForecast)) fail('the loaded gru forecasts differently');
  if (!isDeepStrictEqual(ridgeLoaded.sensors, series.sensors)) fail(`the loaded ridge has sensors ${ridgeLoaded.sensors}`);

  // 4. Streaming 15-min-ahead forecasts of the loaded ridge into an IncidentMonitor, on the held-out
  // day with a slow-down injected here: sensor 2 drops 45% for an hour from 12:00.
  const observed = series.values.slice();
  const incidentSensor = 2;
  const incidentStart = testStart + 144;
  const incidentEnd = incidentStart + 12;
  for (let t = incidentStart; t < incidentEnd; t++) observed[t * n + incidentSensor] *= 0.55;
  const monitor = new IncidentMonitor({ sensors: series.sensors });
  const expectedAt = new Map();
  const raised = [];
  const chart = { times: [], actual: [], forecast: [] };
  for (let t = testStart - T; t < series.steps; t++) {
    const row = Array.from(observed.subarray(t * n, (t + 1) * n));
    const expected = expectedAt.get(t);
    if (expected) {
      expectedAt.delete(t);
      for (const event of monitor.observe({ observed: row, expected, time: timeOf(t) }))
        if (event.type === 'raised') raised.push({ sensor: event.alert.sensorIndex, step: t, time: event.time });
      if (t >= incidentStart - 36 && t < incidentEnd + 24) {
        chart.times.push(new Date(timeOf(t)).toISOString());
        chart.actual.push(row[incidentSensor]);
        chart.forecast.push(expected[incidentSensor]);
      }
    }
    ridgeLoaded.update({ values: row, time: timeOf(t) });
    if (ridgeLoaded.bufferedSteps === T) {
      const f = await ridgeLoaded.forecast();
      expectedAt.set(t + 3, f.steps[2].values);
    }
  }
  if (ridgeLoaded.bufferedSteps !== T) fail(`the streaming buffer holds ${ridgeLoaded.bufferedSteps} rows, expected ${T}`);
  const hit = raised.find((r) => r.sensor === incidentSensor && r.step >= incidentStart && r.step < incidentEnd);
  if (!hit) fail(`no alert on sensor ${incidentSensor} during the injected incident; alerts: ${JSON.stringify(raised)}`);
  // Few alerts elsewhere: those near the generator's own incidents (or their upstream sensors) are fine.
  const falseAlerts = raised.filter(
    (r) =>
      !(r.sensor === incidentSensor && r.step >= incidentStart && r.step < incidentEnd + 3) &&
      !incidents.some((i) => Math.abs(i.sensorIndex - r.sensor) <= 2 && r.step >= i.startStep - 2 && r.step <= i.endStep + 8),
  );
  if (falseAlerts.length > 2) fail(`${falseAlerts.length} alerts match no incident: ${JSON.stringify(falseAlerts)}`);

  // 5. A forecast chart rendered to SVG (vega and vega-lite from the installed package).
  const svg = await renderChartSvg(
    forecastChartSpec({
      sensor: series.sensors[incidentSensor],
      ...chart,
      label: 'ridge, 15 min ahead',
      alerts: [hit.time],
      width: 360,
      height: 160,
    }),
  );
  if (typeof svg !== 'string' || !svg.startsWith('<svg') || !svg.trimEnd().endsWith('</svg>') || !svg.includes('<path'))
    fail(`renderChartSvg returned no SVG: ${String(svg).slice(0, 120)}`);

  // 6. Bad input is refused with typed errors: rows of the wrong width, an unknown model.
  const errorCode = await codeOf('predict with 7 NaN readings per row for 8 sensors', () =>
    ridge.predict({ values: Array.from({ length: T }, () => new Array(n - 1).fill(NaN)), end: timeOf(testStart) }),
  );
  if (errorCode !== 'E_SHAPE_MISMATCH') fail(`rows of the wrong width gave ${errorCode}, expected E_SHAPE_MISMATCH`);
  const optionCode = await codeOf("model 'arima'", () => TrafficForecaster.create({ model: 'arima' }));
  if (optionCode !== 'E_INPUT_INVALID') fail(`an unknown model gave ${optionCode}, expected E_INPUT_INVALID`);

  // 7. Dispose everything: a disposed model refuses work, and no tensor is left.
  for (const model of [ridge, gru, ridgeLoaded, gruLoaded]) model.dispose();
  const disposedCode = await codeOf('predict after dispose', () => gruLoaded.predict(input));
  if (disposedCode !== 'E_MODEL_DISPOSED') fail(`predict after dispose gave ${disposedCode}, expected E_MODEL_DISPOSED`);
  const leakedTensors = tf.memory().numTensors - tensorsBefore;

  rmSync(tempDir, { recursive: true, force: true });
  tempDir = undefined;
  return {
    check: 'sdk-traffic',
    ok: true,
    resolved,
    leakedTensors,
    errorCode,
    device: info.device,
    sensors: n,
    testSteps: series.steps - testStart,
    ridgeRmse15: round(ridge15.rmse),
    ridgeMae15: round(ridge15.mae),
    ridgeRmse60: round(ridgeEval.horizons[2].rmse),
    persistenceRmse15: round(persistenceRmse15),
    meanRmse15: round(meanRmse15),
    gruRmse15: round(gru15.rmse),
    ridgeTrainSeconds: round(ridgeReport.seconds, 2),
    gruTrainSeconds: round(gruReport.seconds, 2),
    alerts: raised.length,
    falseAlerts: falseAlerts.length,
    alertAfterMinutes: ((hit.step - incidentStart) * step) / 60_000,
    svgBytes: svg.length,
    seconds: round((performance.now() - started) / 1000, 1),
  };
}

let result;
try {
  result = await main();
} catch (error) {
  fail(`unexpected error: ${error?.stack ?? error}`);
}
if (result.leakedTensors !== 0) fail(`${result.leakedTensors} tensors left after dispose`);
process.stdout.write(`${JSON.stringify(result)}\n`);
