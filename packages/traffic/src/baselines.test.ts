import { describe, expect, it } from 'vitest';
import { TrafficForecaster } from './forecaster';
import { scoreHorizon } from './horizon-metrics';
import { createSeries, sliceSeries } from './series';
import { generateTrafficNetwork } from './synthetic';

// Two sensors at 60-min steps over 4 days (a Monday start): sensor a follows the hour of the day,
// sensor b is a ramp.
const hours = 24 * 4;
const rows = Array.from({ length: hours }, (_, t) => [40 + (t % 24), 50 + t * 0.1]);
const series = createSeries({ values: rows, sensors: ['a', 'b'], intervalMinutes: 60, start: '2026-01-05T00:00:00Z' });
const window = (end: number, length: number): number[][] => rows.slice(end - length + 1, end + 1);
const endTime = (step: number): number => series.start! + step * 3_600_000;

describe('baselines', () => {
  it('last value and window mean', async () => {
    const last = TrafficForecaster.create({ model: 'last-value', inputSteps: 3, horizons: [1, 2] });
    await last.train(series);
    const f = await last.predict({ values: window(30, 3), end: endTime(30) });
    expect(f.steps.map((s) => s.values)).toEqual([rows[30], rows[30]]);
    const mean = TrafficForecaster.create({ model: 'window-mean', inputSteps: 3, horizons: [1] });
    await mean.train(series);
    const g = await mean.predict({ values: window(30, 3), end: endTime(30) });
    expect(g.steps[0]!.values[0]).toBeCloseTo((rows[28]![0]! + rows[29]![0]! + rows[30]![0]!) / 3, 10);
  });

  it('historical average by hour of the day and seasonal naive are exact on a daily pattern', async () => {
    const ha = TrafficForecaster.create({ model: 'historical-average', inputSteps: 2, horizons: [1, 3] });
    await ha.train(series);
    const f = await ha.predict({ values: window(50, 2), end: endTime(50) });
    // Target hours 51..53 → hours of day 3, 4, 5.
    expect(f.steps.map((s) => s.values[0])).toEqual([43, 44, 45]);
    const sn = TrafficForecaster.create({ model: 'seasonal-naive', inputSteps: 2, horizons: [2] });
    await sn.train(series);
    expect(sn.streamCapacity).toBe(26);
    const g = await sn.predict({ values: window(60, 26), end: endTime(60) });
    expect(g.steps.map((s) => s.values[1])).toEqual([rows[37]![1], rows[38]![1]]);
  });

  it('skips evaluation of steps without ground truth and masks missing truth', async () => {
    const values = rows.map((r, t) => (t === 40 ? [NaN, r[1]!] : r));
    const s = createSeries({ values, sensors: ['a', 'b'], intervalMinutes: 60, start: '2026-01-05T00:00:00Z' });
    const last = TrafficForecaster.create({ model: 'last-value', inputSteps: 3, horizons: [1, 2] });
    await last.train(s);
    const ev = await last.evaluate(s, { fromStep: 72 });
    // T-GCN's loop bound: L − inputSteps − h windows.
    expect(ev.horizons.map((h) => h.windows)).toEqual([24 - 3 - 1, 24 - 3 - 2]);
    expect(ev.horizons[0]!.count).toBe(20 * 2);
    const masked = await last.evaluate(s, { fromStep: 30 });
    expect(masked.horizons[0]!.count).toBe((hours - 30 - 3 - 1) * 2 - 1);
  });
});

describe('scoreHorizon', () => {
  it('pools steps 1..h (cumulative) or scores step h alone', () => {
    // One sensor; truth 10, 20, 30, 40 at steps 0..3; one window whose targets start at step 1.
    const truth = new Float64Array([10, 20, 30, 40]);
    const pred = new Float64Array([21, 33]); // [windows=1, outputSteps=2, sensors=1]
    const pooled = scoreHorizon(pred, truth, 1, 2, [1], 2, 1, 5, 'cumulative');
    expect(pooled.mae).toBeCloseTo(2, 12);
    expect(pooled.rmse).toBeCloseTo(Math.sqrt(5), 12);
    expect(pooled.accuracy).toBeCloseTo(1 - Math.sqrt(10) / Math.sqrt(1300), 12);
    const step = scoreHorizon(pred, truth, 1, 2, [1], 2, 1, 5, 'step');
    expect(step.mae).toBe(3);
    expect(step.minutes).toBe(10);
  });

  it('readings that are all 0 score MAE, RMSE and R²; MAPE and accuracy are NaN (the horizon was an error)', async () => {
    const pooled = scoreHorizon(new Float64Array([1, 2]), new Float64Array([0, 0, 0, Number.NaN]), 1, 2, [1], 2, 1, 5, 'cumulative');
    expect(pooled.mae).toBe(1.5);
    expect(pooled.r2).toBe(0);
    expect(pooled.mape).toBeNaN();
    expect(pooled.accuracy).toBeNaN();
    // Through evaluate: detectors reporting 0 throughout.
    const net = generateTrafficNetwork({ sensors: 3, corridorLength: 3, days: 1, incidents: 0, seed: 5 });
    const part = sliceSeries(net.series, 0, 60);
    const zeros = { ...part, values: new Float64Array(part.values.length) };
    const model = TrafficForecaster.create({ model: 'last-value', horizons: [1, 3] });
    await model.train(net.series);
    const r = await model.evaluate(zeros);
    expect(r.horizons.map((h) => [h.mae, h.mape, h.accuracy, h.r2])).toEqual([
      [0, NaN, NaN, 1],
      [0, NaN, NaN, 1],
    ]);
    model.dispose();
  });
});
