import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TrafficForecaster } from './forecaster';
import { readSeriesCsv } from './read-csv';
import { createSeries, selectSensors, sliceSeries, splitSeries } from './series';
import { generateTrafficNetwork } from './synthetic';
import { expectCode } from './test-helpers';

describe('createSeries', () => {
  it('reads rows, marks missingValue readings as NaN and keeps the clock', () => {
    const s = createSeries({
      values: [
        [50, 0],
        [51, 40],
        [NaN, 41],
      ],
      sensors: ['a', 'b'],
      intervalMinutes: 5,
      start: '2026-01-05T00:00:00Z',
      missingValue: 0,
    });
    expect(s.steps).toBe(3);
    expect(Number.isNaN(s.values[1]!)).toBe(true);
    expect(Number.isNaN(s.values[4]!)).toBe(true);
    expect(s.values[3]).toBe(40);
    expect(s.start).toBe(Date.parse('2026-01-05T00:00:00Z'));
  });

  it('rejects ragged rows, infinities, all-missing sensors and bad ids with typed errors', async () => {
    await expectCode(() => createSeries({ values: [[1, 2], [3]], intervalMinutes: 5 }), 'E_INPUT_INVALID');
    await expectCode(() => createSeries({ values: [[1, Infinity]], intervalMinutes: 5 }), 'E_INPUT_INVALID');
    const e = await expectCode(
      () =>
        createSeries({
          values: [
            [1, NaN],
            [2, NaN],
          ],
          sensors: ['a', 'dead'],
          intervalMinutes: 5,
        }),
      'E_INPUT_INVALID',
    );
    expect(e.details.sensors).toEqual(['dead']);
    await expectCode(() => createSeries({ values: [[1, 2]], sensors: ['a'], intervalMinutes: 5 }), 'E_SHAPE_MISMATCH');
    await expectCode(() => createSeries({ values: [[1, 2]], sensors: ['a', 'a'], intervalMinutes: 5 }), 'E_INPUT_INVALID');
    await expectCode(() => createSeries({ values: [[1]], intervalMinutes: 0 }), 'E_INPUT_INVALID');
    await expectCode(() => createSeries({ values: [], intervalMinutes: 5 }), 'E_INPUT_INVALID');
    await expectCode(() => createSeries({ values: new Float64Array(5), sensors: 2, intervalMinutes: 5 }), 'E_SHAPE_MISMATCH');
  });

  it('slices, selects and splits chronologically (80/20 of 2016 steps is 1612 / 404)', () => {
    const values = new Float64Array(2016 * 2).map((_, i) => i);
    const s = createSeries({ values, sensors: ['a', 'b'], intervalMinutes: 5, start: 0 });
    const { train, test, testStart } = splitSeries(s, 0.8);
    expect([train.steps, test.steps, testStart]).toEqual([1612, 404, 1612]);
    expect(test.start).toBe(1612 * 5 * 60_000);
    expect(test.values[0]).toBe(1612 * 2);
    const b = selectSensors(sliceSeries(s, 10, 12), ['b']);
    expect(Array.from(b.values)).toEqual([21, 23]);
  });

  it('splitSeries and train check the series (a scan of every reading) once, not again for each slice', async () => {
    // Each check asks the ids `every` once; the slices share the ids array.
    let checks = 0;
    const ids = ['a', 'b'];
    Object.defineProperty(ids, 'every', {
      value: (predicate: (id: string, i: number, all: string[]) => unknown) => {
        checks++;
        return Array.prototype.every.call(ids, predicate);
      },
    });
    const values = new Float64Array(200 * 2).map((_, i) => 50 + (i % 13));
    const s = { ...createSeries({ values, sensors: ['a', 'b'], intervalMinutes: 5, start: 0 }), sensors: ids };
    const { train, test } = splitSeries(s, 0.5);
    expect([train.steps, test.steps, train.values[0], test.values[0]]).toEqual([100, 100, 50, 50 + (200 % 13)]);
    expect(checks).toBe(1);
    checks = 0;
    const model = TrafficForecaster.create({ model: 'last-value', inputSteps: 4, horizons: [1] });
    await model.train(s);
    model.dispose();
    expect(checks).toBe(1);
    // The public slice still checks.
    checks = 0;
    sliceSeries(s, 0, 10);
    expect(checks).toBe(1);
  });
});

describe('intervals and sensor ids (T1, T2)', () => {
  it('intervalMinutes is one second to one day, wherever a series is made', async () => {
    for (const intervalMinutes of [1e-9, 0.5 / 60, 0.01, 1441, 7 * 24 * 60, 0, -5, NaN, Infinity, '5']) {
      const error = await expectCode(
        () => createSeries({ values: [[1, 2]], intervalMinutes: intervalMinutes as number }),
        'E_INPUT_INVALID',
      );
      expect(error.message).toMatch(/^intervalMinutes must be a number of minutes in \[1\/60, 1440\] \(one second to one day\); got /);
      expect(error.details.field).toBe('intervalMinutes');
    }
    await expectCode(() => generateTrafficNetwork({ sensors: 2, days: 1, intervalMinutes: 1e-9 }), 'E_INPUT_INVALID');
    await expectCode(() => readSeriesCsv(new TextEncoder().encode('a,b\n1,2\n'), { intervalMinutes: 1e-9 }), 'E_INPUT_INVALID');
    for (const intervalMinutes of [1 / 60, 0.5, 5, 1440])
      expect(createSeries({ values: [[1, 2]], intervalMinutes }).intervalMinutes).toBe(intervalMinutes);
  });

  it('a bundle whose interval is outside that range is E_BUNDLE_CORRUPT at load', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'traffic-interval-'));
    try {
      const series = createSeries({ values: Array.from({ length: 40 }, (_, t) => [50 + (t % 7), 60 - (t % 5)]), intervalMinutes: 5 });
      const model = TrafficForecaster.create({ model: 'last-value', inputSteps: 4, horizons: [1] });
      await model.train(series);
      for (const bad of [1e-9, 2 * 24 * 60]) {
        const path = join(dir, String(bad));
        await model.save(path);
        const file = join(path, 'manifest.json');
        const manifest = JSON.parse(await readFile(file, 'utf8')) as {
          manifestSha256?: string;
          preprocessing: { intervalMinutes: number };
        };
        delete manifest.manifestSha256;
        manifest.preprocessing.intervalMinutes = bad;
        await writeFile(file, JSON.stringify(manifest));
        const error = await expectCode(() => TrafficForecaster.load(path), 'E_BUNDLE_CORRUPT');
        expect(error.message).toMatch(/is not a number of minutes in \[1\/60, 1440\]/);
      }
      model.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('sensor ids are strings: a number is refused (selectSensors reads numbers as positions), string ids round-trip', async () => {
    const error = await expectCode(
      () => createSeries({ values: [[1, 2, 3]], sensors: [773869, 767541, 767542] as never, intervalMinutes: 5 }),
      'E_INPUT_INVALID',
    );
    expect(error.message).toMatch(/^sensors\[0\] is 773869; sensor ids are strings/);
    expect(error.details).toMatchObject({ field: 'sensors', index: 0 });
    await expectCode(
      () => createSeries({ values: new Float64Array(3), sensors: ['a', 2, 'c'] as never, intervalMinutes: 5 }),
      'E_INPUT_INVALID',
    );
    const ids = [773869, 767541, 767542].map(String);
    const s = createSeries({ values: [[1, 2, 3]], sensors: ids, intervalMinutes: 5 });
    expect(s.sensors).toEqual(['773869', '767541', '767542']);
    expect(selectSensors(s, ['767541']).sensors).toEqual(['767541']);
    // Los-loop's numeric header is read as text ids, as before.
    const wide = await readSeriesCsv(new TextEncoder().encode('773869,767541\n60,61\n62,63\n'), { intervalMinutes: 5 });
    expect(wide.sensors).toEqual(['773869', '767541']);
  });
});
