import { describe, expect, it } from 'vitest';
import { createAdjacency } from './adjacency';
import { TrafficForecaster } from './forecaster';
import { IncidentMonitor } from './incident-monitor';
import { resampleToGrid } from './read-csv';
import { createSeries, splitSeries } from './series';
import { generateTrafficNetwork } from './synthetic';
import { expectCode } from './test-helpers';

const net = generateTrafficNetwork({ sensors: 4, corridorLength: 2, days: 2, incidents: 1, seed: 7 });

describe('traffic bad input found by an audit: typed errors, no RangeError, no NaN forecasts', () => {
  it('times beyond what a Date holds, huge readings and null arguments are refused', async () => {
    const model = TrafficForecaster.create({ model: 'gru', hiddenUnits: 4 });
    const { train } = splitSeries(net.series, 0.8);
    await model.train(train);
    const rows = Array.from({ length: 12 }, () => [60, 61, 59, 62]);
    await expectCode(() => model.predict({ values: rows, end: 1e20 }), 'E_INPUT_INVALID');
    await expectCode(() => model.predict({ values: rows, end: -1e16 }), 'E_INPUT_INVALID');
    const huge = rows.map((r) => r.slice());
    huge[5]![1] = 1e300;
    await expectCode(() => model.predict({ values: huge, end: net.series.start! }), 'E_INPUT_INVALID');
    await expectCode(() => model.update({ values: [60, 61, 59, 62], time: 1e20 }), 'E_INPUT_INVALID');
    await expectCode(() => model.train(null as never), 'E_INPUT_INVALID');
    await expectCode(() => model.train(train, { epochs: -1 }), 'E_INPUT_INVALID');
    await expectCode(() => model.train(train, { learningRate: -1 }), 'E_INPUT_INVALID');
    await expectCode(() => model.train(train, { patience: -1 }), 'E_INPUT_INVALID');
    await expectCode(() => model.evaluate(net.series, { pooling: 'bogus' as never }), 'E_INPUT_INVALID');
    await expectCode(() => createSeries({ values: [[1, 2]], intervalMinutes: 5, start: 1e20 } as never), 'E_INPUT_INVALID');
    await expectCode(() => createSeries({ values: [[1e300, 2]], intervalMinutes: 5 } as never), 'E_INPUT_INVALID');
    // A reading JSON cannot print (a BigInt) is named in the message, not a TypeError while building it.
    await expectCode(() => createSeries({ values: [[1n, 2]], intervalMinutes: 5 } as never), 'E_INPUT_INVALID');
    await expectCode(() => createSeries(null as never), 'E_INPUT_INVALID');
    await expectCode(() => createSeries({ values: null, intervalMinutes: 5 } as never), 'E_INPUT_INVALID');
    await expectCode(() => createSeries({ values: [[1, 2], null], intervalMinutes: 5 } as never), 'E_INPUT_INVALID');
    await expectCode(() => createAdjacency(null as never), 'E_INPUT_INVALID');
    await expectCode(() => resampleToGrid(Float64Array.from([3e5, 0]), Float64Array.from([1, 2]), ['a'], 5), 'E_INPUT_INVALID');
    model.dispose();
  });

  it('the incident monitor refuses an unbounded history, duplicate sensors and impossible times', async () => {
    await expectCode(() => new IncidentMonitor({ sensors: ['a', 'b'], historySize: 1e9 }), 'E_INPUT_INVALID');
    await expectCode(() => new IncidentMonitor({ sensors: ['a', 'a'] }), 'E_INPUT_INVALID');
    const monitor = new IncidentMonitor({ sensors: ['a', 'b'] });
    await expectCode(() => monitor.observe({ observed: [1, 2], expected: [1, 2], time: 1e20 }), 'E_INPUT_INVALID');
    // Times go forward, as the forecaster's updates must: a repeated or earlier time is refused, state kept.
    const t0 = Date.UTC(2026, 0, 5, 8);
    expect(monitor.observe({ observed: [1, 2], expected: [1, 2], time: t0 })).toEqual([]);
    for (const [time, reason] of [
      [t0, 'timestamps-duplicated'],
      [t0 - 300_000, 'timestamps-out-of-order'],
    ] as const)
      expect(() => monitor.observe({ observed: [1, 2], expected: [1, 2], time })).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', details: expect.objectContaining({ reason }) }),
      );
    expect(monitor.observe({ observed: [1, 2], expected: [1, 2], time: t0 + 300_000 })).toEqual([]);
    // A new stream (a replay looping back): an earlier time is taken again after resetStream.
    monitor.resetStream();
    expect(monitor.observe({ observed: [1, 2], expected: [1, 2], time: t0 - 600_000 })).toEqual([]);
    // A value answering one thing to the check and another to the use is read once.
    let reads = 0;
    const sly = new Proxy([1, 2], {
      get: (target, key) => (key === '0' ? (++reads <= 1 ? 1 : Number.POSITIVE_INFINITY) : Reflect.get(target, key)),
    });
    expect(monitor.observe({ observed: sly, expected: [1, 2], time: t0 + 900_000 })).toEqual([]);
    expect(reads).toBe(1);
  });
});
