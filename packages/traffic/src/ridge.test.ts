import { describe, expect, it } from 'vitest';
import { findImplausibleRidgeWeight, fitGraphRidge, MAX_SCALED_RIDGE_WEIGHT, RIDGE_DEFAULTS, strongestNeighbours } from './ridge';
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
    expect(error.message).toMatch(/sensor 0 .*past 1000000000000.*use larger ridge\.lambdas/);
  });
});
