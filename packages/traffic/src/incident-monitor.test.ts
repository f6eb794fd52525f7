import { describe, expect, it } from 'vitest';
import { TrafficForecaster } from './forecaster';
import { IncidentMonitor } from './incident-monitor';
import { splitSeries } from './series';
import { generateTrafficNetwork } from './synthetic';
import { expectCode } from './test-helpers';

describe('IncidentMonitor', () => {
  it('finds injected incidents against a historical-average forecast, with few false alerts', async () => {
    const net = generateTrafficNetwork({ sensors: 16, corridorLength: 8, days: 12, incidents: 24, seed: 11 });
    const n = 16;
    const { train, testStart } = splitSeries(net.series, 0.7);
    const model = TrafficForecaster.create({ model: 'historical-average', inputSteps: 1, horizons: [1] });
    await model.train(train);
    const monitor = new IncidentMonitor({ sensors: net.series.sensors, threshold: 4, persistence: 3 });
    const raised: { sensor: number; step: number }[] = [];
    for (let t = testStart; t < net.series.steps; t++) {
      const prev = Array.from(net.series.values.subarray((t - 1) * n, t * n));
      const f = await model.predict({ values: [prev], end: net.series.start! + (t - 1) * 300_000 });
      const events = monitor.observe({
        observed: net.series.values.subarray(t * n, (t + 1) * n),
        expected: f.steps[0]!.values,
        time: net.series.start! + t * 300_000,
      });
      for (const e of events) if (e.type === 'raised') raised.push({ sensor: e.alert.sensorIndex, step: t });
    }
    const inTest = net.incidents.filter((i) => i.startStep > testStart + 30);
    expect(inTest.length).toBeGreaterThan(2);
    const found = inTest.filter((i) => raised.some((r) => r.sensor === i.sensorIndex && r.step >= i.startStep && r.step <= i.endStep + 2));
    expect(found.length).toBe(inTest.length);
    // Alerts that match no incident (on the incident's sensor or its upstream neighbours).
    const falseAlerts = raised.filter(
      (r) => !net.incidents.some((i) => Math.abs(i.sensorIndex - r.sensor) <= 2 && r.step >= i.startStep - 2 && r.step <= i.endStep + 8),
    );
    expect(falseAlerts, JSON.stringify({ falseAlerts, incidents: net.incidents, testStart })).toHaveLength(0);
    model.dispose();
  });

  it('needs persistence: one abnormal step raises nothing; a run raises then clears', () => {
    const m = new IncidentMonitor({ sensors: ['a'], persistence: 3, minHistory: 10 });
    const noise = (k: number): number => ((k * 7919) % 13) / 13 - 0.5;
    for (let k = 0; k < 50; k++) expect(m.observe({ observed: [60 + noise(k)], expected: [60] })).toEqual([]);
    expect(m.observe({ observed: [30], expected: [60] })).toEqual([]);
    expect(m.observe({ observed: [60], expected: [60] })).toEqual([]);
    expect(m.observe({ observed: [30], expected: [60] })).toEqual([]);
    expect(m.observe({ observed: [31], expected: [60] })).toEqual([]);
    const raised = m.observe({ observed: [29], expected: [60], time: '2026-01-05T08:00:00Z' });
    expect(raised).toHaveLength(1);
    expect(raised[0]!.type).toBe('raised');
    expect(raised[0]!.alert.sensor).toBe('a');
    expect(raised[0]!.alert.startStep).toBe(52);
    expect(m.active).toHaveLength(1);
    expect(m.observe({ observed: [60], expected: [60] })[0]!.type).toBe('cleared');
    expect(m.active).toHaveLength(0);
  });

  it('validates its inputs', async () => {
    await expectCode(() => new IncidentMonitor({ sensors: [] }), 'E_INPUT_INVALID');
    await expectCode(() => new IncidentMonitor({ sensors: ['a'], persistence: 0 }), 'E_INPUT_INVALID');
    const m = new IncidentMonitor({ sensors: ['a', 'b'] });
    await expectCode(() => m.observe({ observed: [1], expected: [1, 2] }), 'E_SHAPE_MISMATCH');
  });
});

describe('IncidentMonitor sensor ids (SDK fuzz S12)', () => {
  it('numeric or missing sensor ids are refused: alerts name sensors by string id', async () => {
    const error = await expectCode(() => new IncidentMonitor({ sensors: [1, 2] as never }), 'E_INPUT_INVALID');
    expect(error.message).toMatch(/sensors\[0\] is not/);
    await expectCode(() => new IncidentMonitor({ sensors: ['a', null] as never }), 'E_INPUT_INVALID');
    expect(new IncidentMonitor({ sensors: ['a', 'b'] }).active).toEqual([]);
  });
});

describe('minHistory past historySize (review R3-8)', () => {
  it('is refused as the other options are, not lowered to historySize without a word', async () => {
    const error = await expectCode(() => new IncidentMonitor({ sensors: ['a'], historySize: 10, minHistory: 50 }), 'E_INPUT_INVALID');
    expect(error.message).toMatch(/^minHistory \(50\) must be at most historySize \(10\)/);
    expect(error.details).toMatchObject({ minHistory: 50, historySize: 10 });
    // The default (24) still follows a smaller history, and minHistory equal to it is fine.
    expect(() => new IncidentMonitor({ sensors: ['a'], historySize: 10 })).not.toThrow();
    expect(() => new IncidentMonitor({ sensors: ['a'], historySize: 10, minHistory: 10 })).not.toThrow();
  });
});
