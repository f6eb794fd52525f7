import { describe, expect, it } from 'vitest';
import { TrafficForecaster } from './forecaster';
import { createSeries } from './series';
import {
  findImplausibleRidgeWeight,
  fitGraphRidge,
  MAX_SCALED_RIDGE_WEIGHT,
  predictGraphRidge,
  RIDGE_DEFAULTS,
  strongestNeighbours,
  type RidgeWork,
} from './ridge';
import { fitScaler, type SensorScaler } from './scaler';
import { generateTrafficNetwork } from './synthetic';
import { expectCode } from './test-helpers';
import { buildInputs, buildTargets, windowStarts } from './windows';

const net = generateTrafficNetwork({ sensors: 4, corridorLength: 2, days: 2, incidents: 0, seed: 5 });
const T = 6;
const P = 3;
const shape = { inputSteps: T, outputSteps: P, sensors: 4, stepFeatures: 5 };

function fit(scaler: SensorScaler) {
  const starts = windowStarts(0, net.series.steps, T, P);
  const inputs = buildInputs(net.series, starts, T, scaler);
  const targets = buildTargets(net.series, starts, T, P, scaler, inputs.last);
  const neighbours = strongestNeighbours(net.adjacency, 4, 6);
  return fitGraphRidge(
    inputs,
    null,
    targets,
    shape,
    scaler,
    neighbours,
    { ...RIDGE_DEFAULTS, historicalAverage: false, neighbourLags: T },
    0.2,
    net.series.sensors,
  );
}

describe('graph ridge weights on the series scale (T3)', () => {
  it('fitted weights are far inside the bound', () => {
    const scaler = fitScaler(net.series);
    const model = fit(scaler);
    expect(findImplausibleRidgeWeight(model, scaler, T, T, P, false)).toBeUndefined();
    // The fitted weights are below 1 on the series' scale: 1e11 times them still passes; past the bound,
    // the first weight that is (or that is not finite) is named.
    const tight = { ...model, weights: model.weights.map((w) => w * (MAX_SCALED_RIDGE_WEIGHT / 10)) };
    expect(findImplausibleRidgeWeight(tight, scaler, T, T, P, false)).toBeUndefined();
    const wild = { ...model, weights: model.weights.map((w, i) => (i === 7 ? 1e300 : w)) };
    expect(findImplausibleRidgeWeight(wild, scaler, T, T, P, false)).toMatchObject({ index: 7, weight: 1e300 });
    const nan = { ...model, weights: model.weights.map((w, i) => (i === 9 ? NaN : w)) };
    expect(findImplausibleRidgeWeight(nan, scaler, T, T, P, false)?.index).toBe(9);
  });

  it('a fit whose weights pass the bound is E_TRAINING_FAILED, not a model that would not load', async () => {
    // A standard deviation of 1e-13 for sensor 0 (the scaler's floor is 1e-6): its constant's weight,
    // in sensor units, is then past 1e12 of its standard deviations.
    const scaler = fitScaler(net.series);
    const tiny = { mean: scaler.mean, std: scaler.std.map((s, i) => (i === 0 ? 1e-13 : s)) };
    const error = await expectCode(() => fit(tiny), 'E_TRAINING_FAILED');
    expect(error.message).toMatch(/sensor 'S000' .*past 1000000000000.*Use larger ridge\.lambdas/);
    expect(error.details).toMatchObject({ sensor: 'S000' });
  });
});

describe('a ridge fit that breaks down (review finding 7)', () => {
  // Sensor 1 repeats sensor 0 (a duplicated feed) in units 1e10 times larger than the defaults suit:
  // their Gram matrix is about 1e24 on its diagonal, and a strength of 1000 is lost to rounding.
  const n = net.series.sensors.length;
  const values = net.series.values.map((v) => v * 1e10);
  for (let t = 0; t < net.series.steps; t++) values[t * n + 1] = values[t * n] as number;
  const series = createSeries({ values, sensors: net.series.sensors, intervalMinutes: 5, start: net.series.start! });

  it('says the weight is not a finite number, names the sensor id and the cause (strengths too small for the units)', async () => {
    const model = TrafficForecaster.create({ model: 'ridge', inputSteps: 6, horizons: [1, 3] });
    const error = await expectCode(() => model.train(series, { adjacency: net.adjacency }), 'E_TRAINING_FAILED');
    expect(error.message).toMatch(/^The graph ridge broke down for sensor 'S00[01]': a weight it fitted is not a finite number \(NaN\)\./);
    expect(error.message).not.toMatch(/NaN on the series' scale|past 1000000000000|sensor \d/);
    expect(error.message).toMatch(
      /The ridge strength used \(\d+; of 10, 100, 1000, 10000, 100000 tried\) is too small next to its inputs: this sensor's Gram matrix/,
    );
    expect(error.message).toMatch(/readings k times larger need lambdas k² times larger/);
    const { gramDiagonal, sensor } = error.details as { gramDiagonal: number; sensor: string };
    expect(['S000', 'S001']).toContain(sensor);
    expect(gramDiagonal).toBeGreaterThan(1e22);
    const range = /Use larger ridge\.lambdas \(about (\S+) to (\S+) here\)/.exec(error.message);
    expect(range).not.toBeNull();
    expect(Number(range![2])).toBeCloseTo(gramDiagonal, -Math.floor(Math.log10(gramDiagonal)) + 1);
    expect(model.isTrained).toBe(false);
    model.dispose();
    // The range it names trains, and forecasts as well as the defaults do on the data in its own units.
    const low = Number(range![1]);
    const suggested = TrafficForecaster.create({
      model: 'ridge',
      inputSteps: 6,
      horizons: [1, 3],
      ridge: { lambdas: [low, low * 10, low * 100, low * 1000] },
    });
    await suggested.train(series, { adjacency: net.adjacency });
    const small = series.values.map((v) => v / 1e10);
    const plain = TrafficForecaster.create({ model: 'ridge', inputSteps: 6, horizons: [1, 3] });
    await plain.train(createSeries({ values: small, sensors: series.sensors, intervalMinutes: 5, start: series.start! }), {
      adjacency: net.adjacency,
    });
    const mae = (await suggested.evaluate(series)).horizons[0]!.mae / 1e10;
    const plainMae = (
      await plain.evaluate(createSeries({ values: small, sensors: series.sensors, intervalMinutes: 5, start: series.start! }))
    ).horizons[0]!.mae;
    expect(mae).toBeLessThan(plainMae * 1.05);
    suggested.dispose();
    plain.dispose();
  });
});

describe('missing targets are masked per step ahead (review R3-3)', () => {
  // Sensor 3 reports every 10 min on the 5-min grid: every window misses a step ahead, so when a
  // window counted only if every step ahead was observed, it had no window, zero weights, and its
  // forecast was its last reading (persistence) with nothing said.
  const n = net.series.sensors.length;
  const values = Float64Array.from(net.series.values);
  for (let t = 1; t < net.series.steps; t += 2) values[t * n + 3] = NaN;
  const gappy = createSeries({ values, sensors: net.series.sensors, intervalMinutes: 5, start: net.series.start! });
  const config = { ...RIDGE_DEFAULTS, historicalAverage: false, neighbourLags: T, lambdas: [100] };
  // The generated network has a few missing readings: complete, each repeats the one before.
  const filled = Float64Array.from(net.series.values);
  for (let i = 0; i < filled.length; i++) if (Number.isNaN(filled[i])) filled[i] = i >= n ? (filled[i - n] as number) : 50;
  const complete = createSeries({ values: filled, sensors: net.series.sensors, intervalMinutes: 5, start: net.series.start! });

  function fitOn(series: typeof gappy, outputSteps: number, pick?: number, work?: RidgeWork) {
    const scaler = fitScaler(series);
    const starts = windowStarts(0, series.steps, T, P);
    const inputs = buildInputs(series, starts, T, scaler);
    let targets = buildTargets(series, starts, T, P, scaler, inputs.last);
    if (pick !== undefined) {
      // Only step ahead `pick` as the target (a one-output fit on the same windows).
      const one = new Float32Array(starts.length * n * 2);
      for (let b = 0; b < starts.length; b++)
        for (let s = 0; s < n; s++)
          for (let k = 0; k < 2; k++) one[(b * n + s) * 2 + k] = targets[((b * P + pick) * n + s) * 2 + k] as number;
      targets = one;
    }
    const shapeHere = { ...shape, outputSteps };
    return fitGraphRidge(
      inputs,
      null,
      targets,
      shapeHere,
      scaler,
      strongestNeighbours(net.adjacency, n, 6),
      config,
      0,
      series.sensors,
      work,
    );
  }

  function withGaps(missing: (t: number, s: number) => boolean) {
    const v = Float64Array.from(filled);
    for (let t = 0; t < net.series.steps; t++) for (let s = 0; s < n; s++) if (missing(t, s)) v[t * n + s] = NaN;
    return createSeries({ values: v, sensors: net.series.sensors, intervalMinutes: 5, start: net.series.start! });
  }

  it('each window is summed once however many steps ahead it observed (review R6-1: gaps made the fit 4-6x slower)', () => {
    // Every sensor reports every other step: every window misses a step ahead. Adding each window to every
    // step ahead it observed formed its outer product up to P times; steps ahead with the same windows
    // were factorised once each.
    const everyOther = withGaps((t) => t % 2 === 1);
    const windows = windowStarts(0, everyOther.steps, T, P).length;
    const work: RidgeWork = { outerProducts: 0, factorisations: 0 };
    const model = fitOn(everyOther, P, undefined, work);
    expect(work.outerProducts).toBeGreaterThan(0);
    expect(work.outerProducts).toBeLessThanOrEqual(n * windows);
    // Two patterns of observed steps ahead (odd, even): two factorisations per sensor.
    expect(work.factorisations).toBeLessThanOrEqual(2 * n);
    // Still each step ahead's own fit.
    const D = model.features;
    for (let c = 0; c < P; c++) {
      const alone = fitOn(everyOther, 1, c);
      for (let s = 0; s < n; s++)
        for (let i = 0; i < D; i++) {
          const w = model.weights[s * D * P + i * P + c] as number;
          expect(Math.abs(w - (alone.weights[s * D + i] as number))).toBeLessThan(1e-9 * (1 + Math.abs(w)));
        }
    }
  });

  it('with random gaps each step ahead is still the fit on the windows that observed it', () => {
    let seed = 11;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const gaps = withGaps(() => random() < 0.1);
    const work: RidgeWork = { outerProducts: 0, factorisations: 0 };
    const model = fitOn(gaps, P, undefined, work);
    expect(work.outerProducts).toBeLessThanOrEqual(n * windowStarts(0, gaps.steps, T, P).length);
    const D = model.features;
    for (let c = 0; c < P; c++) {
      const alone = fitOn(gaps, 1, c);
      for (let s = 0; s < n; s++)
        for (let i = 0; i < D; i++) {
          const w = model.weights[s * D * P + i * P + c] as number;
          expect(Math.abs(w - (alone.weights[s * D + i] as number))).toBeLessThan(1e-9 * (1 + Math.abs(w)));
        }
    }
  });

  it('a sensor with regular gaps gets weights for every step ahead: each fitted on the windows that observed that step', () => {
    const model = fitOn(gappy, P);
    const D = model.features;
    for (let c = 0; c < P; c++) {
      const column = Array.from({ length: D }, (_, i) => model.weights[3 * D * P + i * P + c] as number);
      expect(column.some((w) => w !== 0)).toBe(true);
      // The same weights as a fit of that step ahead alone (whose windows count when that step was observed).
      const alone = fitOn(gappy, 1, c);
      for (let i = 0; i < D; i++)
        expect(Math.abs((column[i] as number) - (alone.weights[3 * D + i] as number))).toBeLessThan(
          1e-9 * (1 + Math.abs(column[i] as number)),
        );
    }
  });

  it('on complete data each step ahead is the one-output fit, to the bit', () => {
    const model = fitOn(complete, P);
    const D = model.features;
    for (let c = 0; c < P; c++) {
      const alone = fitOn(complete, 1, c);
      for (let s = 0; s < n; s++) for (let i = 0; i < D; i++) expect(model.weights[s * D * P + i * P + c]).toBe(alone.weights[s * D + i]);
    }
  });

  it('the trained forecaster forecasts the gappy sensor instead of repeating its last reading', async () => {
    const model = TrafficForecaster.create({ model: 'ridge', inputSteps: T, horizons: [1, 2, 3] });
    await model.train(gappy, { adjacency: net.adjacency });
    const end = 200; // a window ending on a reading of sensor 3
    const rows = Array.from({ length: T }, (_, k) =>
      Array.from(values.subarray((end - T + 1 + k) * n, (end - T + 2 + k) * n), (v) => (Number.isNaN(v) ? null : v)),
    );
    const f = await model.predict({ values: rows, end: gappy.start! + end * 300_000 });
    const last = values[end * n + 3] as number;
    expect(f.steps.some((step) => step.values[3] !== last)).toBe(true);
    model.dispose();
  });
});

describe('a step ahead no training window observed is said (review R6-5)', () => {
  it('the logger and report.unfittedSteps name the sensor and the steps ahead that forecast its last reading', async () => {
    const n = net.series.sensors.length;
    const values = Float64Array.from(net.series.values);
    // Sensor 3 reads at steps 0..5 and 7 only: step 7 is 2 ahead of the window 0..5 and 1 ahead of 1..6; no window observes 3 ahead.
    for (let t = 6; t < net.series.steps; t++) if (t !== 7) values[t * n + 3] = NaN;
    const series = createSeries({ values, sensors: net.series.sensors, intervalMinutes: 5, start: net.series.start! });
    const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (message: string, fields?: Record<string, unknown>) => warnings.push({ message, fields }),
    };
    const model = TrafficForecaster.create({ model: 'ridge', inputSteps: T, horizons: [1, 2, 3] });
    const report = await model.train(series, { logger });
    const sensor = net.series.sensors[3]!;
    expect(report.unfittedSteps).toEqual([{ sensor, stepsAhead: [3] }]);
    const said = warnings.find((w) => /no training window/.test(w.message));
    expect(said?.message).toMatch(new RegExp(`'${sensor}' at 15 min \\(`));
    // On complete data nothing is said.
    const quiet: string[] = [];
    const full = TrafficForecaster.create({ model: 'ridge', inputSteps: T, horizons: [1, 2, 3] });
    const fullReport = await full.train(net.series, { logger: { ...logger, warn: (m: string) => quiet.push(m) } });
    expect(fullReport.unfittedSteps).toBeUndefined();
    expect(quiet.filter((m) => /no training window/.test(m))).toEqual([]);
    model.dispose();
    full.dispose();
  });
});

describe('minutes ahead without float noise (review R6-7)', () => {
  it('3 steps of 0.1 min are 0.3 in evaluate and predict', async () => {
    const n = net.series.sensors.length;
    const series = createSeries({ values: net.series.values, sensors: net.series.sensors, intervalMinutes: 0.1, start: net.series.start! });
    const model = TrafficForecaster.create({ model: 'last-value', inputSteps: T, horizons: [1, 3] });
    await model.train(series);
    expect((await model.evaluate(series)).horizons.map((h) => h.minutes)).toEqual([0.1, 0.3]);
    const rows = Array.from({ length: T }, (_, k) => Array.from(net.series.values.subarray(k * n, (k + 1) * n)));
    const f = await model.predict({ values: rows, end: series.start! + (T - 1) * 6000 });
    expect(f.steps.map((s) => s.minutes)).toEqual([0.1, 0.2, 0.3]);
    model.dispose();
  });
});

describe('the ridge strength per step ahead with gaps (review R6-6)', () => {
  const n = 6;
  const T6 = 6;
  const P4 = 4;
  const gnet = generateTrafficNetwork({ sensors: n, corridorLength: 3, days: 4, incidents: 0, seed: 11 });
  const values = Float64Array.from(gnet.series.values);
  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let t = 1; t < gnet.series.steps; t += 2) values[t * n + 3] = NaN; // every 10 min
  for (let t = 0; t < gnet.series.steps; t++) if (random() < 0.3) values[t * n + 1] = NaN; // 30 % at random
  for (let t = 0; t < gnet.series.steps; t++) if (t % 3 !== 0) values[t * n + 5] = NaN; // every 15 min
  const series = createSeries({ values, sensors: gnet.series.sensors, intervalMinutes: 5, start: gnet.series.start! });
  const scaler = fitScaler(series);
  const starts = windowStarts(0, series.steps, T6, P4);
  const inputs = buildInputs(series, starts, T6, scaler);
  const targets = buildTargets(series, starts, T6, P4, scaler, inputs.last);
  const shapeHere = { inputSteps: T6, outputSteps: P4, sensors: n, stepFeatures: 5 };
  const neighbours = strongestNeighbours(gnet.adjacency, n, 6);
  const lambdas = [0.01, 1, 100, 1e4, 1e6];
  const config = { ...RIDGE_DEFAULTS, historicalAverage: false, neighbourLags: T6, lambdas };
  const F = 5;
  const count = starts.length;
  const cut = Math.max(1, Math.floor(count * 0.8));
  const part = (from: number, to: number, t: Float32Array = targets) => ({
    inputs: { count: to - from, x: inputs.x.subarray(from * T6 * n * F, to * T6 * n * F), last: inputs.last.subarray(from * n, to * n) },
    targets: t.subarray(from * P4 * n * 2, to * P4 * n * 2),
  });

  it('each step ahead keeps the strength with the lowest squared error where that step was observed in validation', () => {
    const model = fitGraphRidge(inputs, null, targets, shapeHere, scaler, neighbours, config, 0.2, series.sensors);
    // Independently: fit on the windows before validation (targets kept apart) with each strength alone, score
    // each step ahead on the validation windows that observed it.
    const fit = part(0, Math.max(1, cut - P4 + 1));
    const val = part(cut, count);
    const errors = lambdas.map((l) => {
      const m = fitGraphRidge(
        fit.inputs as never,
        null,
        fit.targets,
        shapeHere,
        scaler,
        neighbours,
        { ...config, lambdas: [l] },
        0,
        series.sensors,
      );
      const pred = predictGraphRidge(m, val.inputs as never, null, shapeHere, scaler, T6);
      const e = new Float64Array(P4);
      for (let s = 0; s < n; s++)
        for (let b = 0; b < val.inputs.count; b++)
          for (let c = 0; c < P4; c++) {
            const at = ((b * P4 + c) * n + s) * 2;
            if (val.targets[at + 1] !== 1) continue;
            const std = scaler.std[s] as number;
            e[c] = (e[c] as number) + ((pred[(b * P4 + c) * n + s] as number) * std - (val.targets[at] as number) * std) ** 2;
          }
      return e;
    });
    const reference = Array.from({ length: P4 }, (_, c) => {
      let k = 0;
      for (let j = 1; j < lambdas.length; j++) if ((errors[j]![c] as number) < (errors[k]![c] as number)) k = j;
      return lambdas[k];
    });
    expect(model.lambdas).toEqual(reference);
  });

  it('a step ahead never observed in the validation windows keeps the fallback (the middle strength)', () => {
    // Step 2 ahead hidden in every validation window.
    const hidden = Float32Array.from(targets);
    for (let b = cut; b < count; b++) for (let s = 0; s < n; s++) hidden[((b * P4 + 1) * n + s) * 2 + 1] = 0;
    const model = fitGraphRidge(inputs, null, hidden, shapeHere, scaler, neighbours, config, 0.2, series.sensors);
    expect(model.lambdas[1]).toBe(lambdas[Math.floor(lambdas.length / 2)]);
    // The other steps ahead were chosen on validation (the same choice as with step 2 visible).
    const visible = fitGraphRidge(inputs, null, targets, shapeHere, scaler, neighbours, config, 0.2, series.sensors);
    for (const c of [0, 2, 3]) expect(model.lambdas[c]).toBe(visible.lambdas[c]);
    // Not the fallback by chance: with step 2 visible, another strength wins there.
    expect(visible.lambdas[1]).not.toBe(lambdas[2]);
  });
});

describe('data coming less often than intervalMinutes is said at train (review R6-8)', () => {
  it('15-minute readings trained as 5-minute steps: a logger warning to read them with intervalMinutes 15 and train again, report.readingStride', async () => {
    const n = net.series.sensors.length;
    const values = Float64Array.from(net.series.values);
    for (let t = 0; t < net.series.steps; t++) if (t % 3 !== 0) for (let s = 0; s < n; s++) values[t * n + s] = NaN;
    const sparse = createSeries({ values, sensors: net.series.sensors, intervalMinutes: 5, start: net.series.start! });
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (m: string) => warnings.push(m) };
    const model = TrafficForecaster.create({ model: 'last-value', inputSteps: T, horizons: [1, 3] });
    const report = await model.train(sparse, { logger });
    expect(report.readingStride).toBe(3);
    expect(warnings.join('\n')).toMatch(/once every 3 steps: every 15 min, not every 5 .*intervalMinutes 15 and train again/);
    // Readings on every step (gaps here and there aside): nothing said.
    const quiet: string[] = [];
    const fine = await model.train(net.series, { logger: { ...logger, warn: (m: string) => quiet.push(m) } });
    expect(fine.readingStride).toBeUndefined();
    expect(quiet.filter((m) => /once every/.test(m))).toEqual([]);
    model.dispose();
  });
});
