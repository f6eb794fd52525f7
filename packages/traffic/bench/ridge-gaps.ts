/**
 * The graph ridge's fit on Los-loop with gaps (review R6-1): `npx tsx --conditions=@appliedml/source
 * packages/traffic/bench/ridge-gaps.ts` with APPLIEDML_DATA_DIR set. All 207 sensors, the first 80 % of
 * the steps, the default ridge without the historical average (the counts do not depend on it); gaps:
 * none, 5 % of readings at random, every other step. Prints the fit's outer products and Cholesky
 * factorisations (counted) beside what the per-step sums of 7b20f9e took (derived from the same targets:
 * a window missing some step ahead added once per step ahead it observed, one factorisation per step
 * ahead per strength for a sensor with such a window), and the fit's time.
 */
import { resolve } from 'node:path';
import { fitGraphRidge, RIDGE_DEFAULTS, strongestNeighbours, type RidgeWork } from '../src/ridge';
import { loadLosLoop } from '../src/los-loop';
import { fitScaler } from '../src/scaler';
import { createSeries, splitSeries } from '../src/series';
import { buildInputs, buildTargets, windowStarts } from '../src/windows';

const T = 12;
const P = 12;
const dataDir = resolve(process.env.APPLIEDML_DATA_DIR ?? '../shared/datasets');

async function main(): Promise<void> {
  for (const mode of ['none', 'random', 'every-other']) {
    const los = await loadLosLoop({ dataDir });
    const n = los.series.sensors.length;
    const values = Float64Array.from(los.series.values);
    let seed = 3;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let t = 0; t < los.series.steps; t++)
      for (let s = 0; s < n; s++) {
        if (mode === 'every-other' && t % 2 === 1) values[t * n + s] = NaN;
        if (mode === 'random' && random() < 0.05) values[t * n + s] = NaN;
      }
    const series = createSeries({ values, sensors: los.series.sensors, intervalMinutes: 5, start: los.series.start! });
    const { train } = splitSeries(series, 0.8);
    const scaler = fitScaler(train);
    const starts = windowStarts(0, train.steps, T, P);
    const inputs = buildInputs(train, starts, T, scaler);
    const targets = buildTargets(train, starts, T, P, scaler, inputs.last);
    const config = { ...RIDGE_DEFAULTS, historicalAverage: false };
    const work: RidgeWork = { outerProducts: 0, factorisations: 0 };
    const started = performance.now();
    const shape = { inputSteps: T, outputSteps: P, sensors: n, stepFeatures: 5 };
    fitGraphRidge(inputs, null, targets, shape, scaler, strongestNeighbours(los.adjacency, n, 6), config, 0.2, train.sensors, work);
    const seconds = (performance.now() - started) / 1000;
    const count = starts.length;
    const cut = Math.max(1, Math.floor(count * 0.8));
    let outer = 0;
    let factorisations = 0;
    for (let s = 0; s < n; s++)
      for (const to of [Math.max(1, cut - P + 1), count]) {
        let partial = false;
        for (let b = 0; b < to; b++) {
          let seen = 0;
          for (let p = 0; p < P; p++) if (targets[((b * P + p) * n + s) * 2 + 1] === 1) seen++;
          outer += seen === P ? 1 : seen;
          if (seen > 0 && seen < P) partial = true;
        }
        factorisations += config.lambdas.length * (partial ? P : 1);
      }
    console.log(
      `${mode}: ${count} windows; outer products ${work.outerProducts} (7b20f9e: ${outer}); ` +
        `factorisations ${work.factorisations} (7b20f9e: ${factorisations}); fit ${seconds.toFixed(1)} s`,
    );
  }
}

void main();
