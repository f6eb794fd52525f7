import { describe, expect, it } from 'vitest';
import { createAdjacency, subAdjacency } from './adjacency';
import { TrafficForecaster, type TrafficForecasterConfig } from './forecaster';
import { createSeries, selectSensors } from './series';
import { expectCode } from './test-helpers';

// Found by review s28 R3: option lists with an empty slot passed create(). `horizons: [3, , 12]` became
// [3, 12, null] (the ridge's predict threw a bare TypeError, save wrote a folder load refused);
// `ridge.lambdas` with a hole passed `every` and fitted with undefined.
function holed<T>(list: T[], index: number): T[] {
  const copy = list.slice();
  delete copy[index];
  return copy;
}

describe('create() refuses option lists with an empty slot, naming the option and the index', () => {
  const cases: [string, TrafficForecasterConfig, string, number][] = [
    ['horizons [3, <hole>, 12]', { horizons: holed([3, 6, 12], 1) }, 'horizons', 1],
    ['horizons new Array(2)', { horizons: new Array<number>(2) }, 'horizons', 0],
    ['horizons [3, 6, <hole>]', { horizons: holed([3, 6, 12], 2) }, 'horizons', 2],
    ['ridge.lambdas [<hole>, 100]', { ridge: { lambdas: holed([10, 100], 0) } }, 'ridge.lambdas', 0],
    ['ridge.lambdas [10, <hole>, 1000]', { model: 'ridge', ridge: { lambdas: holed([10, 100, 1000], 1) } }, 'ridge.lambdas', 1],
  ];
  for (const [name, config, field, index] of cases) {
    it(name, async () => {
      const error = await expectCode(() => TrafficForecaster.create(config), 'E_INPUT_INVALID');
      expect(error.message).toContain(`${field} has an empty slot at index ${index}`);
      expect(error.details).toMatchObject({ field, index, reason: 'empty-slot' });
    });
  }

  it('a lambda that is not a positive number is named by its index', async () => {
    const error = await expectCode(() => TrafficForecaster.create({ ridge: { lambdas: [10, -1] } }), 'E_INPUT_INVALID');
    expect(error.message).toMatch(/ridge\.lambdas .*index 1 is -1/);
    expect(error.details).toMatchObject({ field: 'ridge.lambdas', index: 1 });
  });

  it('dense lists are taken as before (sorted, duplicates dropped)', () => {
    const model = TrafficForecaster.create({ horizons: [12, 3, 3], ridge: { lambdas: [100, 10] } });
    expect(model.config.horizons).toEqual([3, 12]);
    expect(model.config.ridge.lambdas).toEqual([100, 10]);
    model.dispose();
  });
});

describe('selectSensors and subAdjacency refuse index lists with an empty slot', () => {
  const series = createSeries({
    values: [
      [1, 2, 3],
      [4, 5, 6],
    ],
    sensors: ['a', 'b', 'c'],
    intervalMinutes: 5,
  });
  const adjacency = createAdjacency([
    [0, 1, 0],
    [1, 0, 2],
    [0, 2, 0],
  ]);

  it('selectSensors: new Array(2) and [2, <hole>, 0] (were two sensors with no id, and a NaN column)', async () => {
    let error = await expectCode(() => selectSensors(series, new Array<number>(2)), 'E_INPUT_INVALID');
    expect(error.details).toMatchObject({ field: 'selectSensors sensors', index: 0, reason: 'empty-slot' });
    error = await expectCode(() => selectSensors(series, holed<string | number>([2, 1, 'a'], 1)), 'E_INPUT_INVALID');
    expect(error.message).toContain('selectSensors sensors has an empty slot at index 1');
  });

  it('subAdjacency: new Array(2) and [2, <hole>, 0] (were graphs of NaN weights)', async () => {
    let error = await expectCode(() => subAdjacency(adjacency, new Array<number>(2)), 'E_INPUT_INVALID');
    expect(error.details).toMatchObject({ field: 'subAdjacency indices', index: 0, reason: 'empty-slot' });
    error = await expectCode(() => subAdjacency(adjacency, holed([2, 1, 0], 1)), 'E_INPUT_INVALID');
    expect(error.message).toContain('subAdjacency indices has an empty slot at index 1');
  });

  it('dense lists select as before', () => {
    expect(Array.from(selectSensors(series, [2, 'a']).values)).toEqual([3, 1, 6, 4]);
    expect(Array.from(subAdjacency(adjacency, [2, 1]).weights)).toEqual([0, 2, 2, 0]);
  });
});
