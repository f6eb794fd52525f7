import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readAdjacencyCsv } from './adjacency';
import { loadLosLoop } from './los-loop';
import { errorByHorizonSpec, forecastChartSpec } from './plots';
import { readSeriesCsv, resampleToGrid } from './read-csv';
import { createSeries, selectSensors, sliceSeries, splitSeries } from './series';
import { generateTrafficNetwork } from './synthetic';
import { expectCode } from './test-helpers';

const { series } = generateTrafficNetwork({ sensors: 4, corridorLength: 2, days: 1, incidents: 0, seed: 3 });
const csv = (text: string): Readable => Readable.from([text]);

describe('helper option names and argument types (SDK fuzz S3, S7, S12)', () => {
  it('a misspelt option name is refused with the valid names, as the model classes do', async () => {
    const e1 = await expectCode(() => createSeries({ values: [[1, 2]], intervalMinutes: 5, bogus: 1 } as never), 'E_INPUT_INVALID');
    expect(e1.message).toMatch(/createSeries input has no option 'bogus'; valid: values, /);
    await expectCode(() => createSeries({ values: [[1, 2]], intervalMinute: 5 } as never), 'E_INPUT_INVALID');
    const e2 = await expectCode(() => readAdjacencyCsv(csv('a,b\n0,1\n1,0\n'), { headr: true } as never), 'E_INPUT_INVALID');
    expect(e2.message).toMatch(/readAdjacencyCsv options has no option 'headr'; valid: header/);
    await expectCode(() => readAdjacencyCsv(csv('a,b\n0,1\n1,0\n'), { header: 'yes' } as never), 'E_INPUT_INVALID');
    const input = { sensor: 'a', times: [0, 1], actual: [50, 51], forecast: [49, 52] };
    await expectCode(() => forecastChartSpec({ ...input, widht: 300 } as never), 'E_INPUT_INVALID');
    await expectCode(() => errorByHorizonSpec([], { widht: 300 } as never), 'E_INPUT_INVALID');
    await expectCode(() => loadLosLoop({ sensorindices: [0] } as never), 'E_INPUT_INVALID');
    // Left out or undefined: the defaults.
    expect((await readAdjacencyCsv(csv('0,1\n1,0\n'), undefined)).size).toBe(2);
    expect((await readAdjacencyCsv(csv('a,b\n0,1\n1,0\n'), { header: true })).size).toBe(2);
    expect(createSeries({ values: [[1, 2]], intervalMinutes: 5, start: undefined, timeZone: undefined }).start).toBeNull();
    expect(errorByHorizonSpec([], undefined)).toBeTypeOf('object');
  });

  it('null or wrong-type arguments of the series helpers are E_INPUT_INVALID, not a TypeError', async () => {
    await expectCode(() => sliceSeries(null as never, 0), 'E_INPUT_INVALID');
    await expectCode(() => sliceSeries({ ...series, values: new Float64Array(3) }, 0, 10), 'E_SHAPE_MISMATCH');
    await expectCode(() => selectSensors(null as never, [0]), 'E_INPUT_INVALID');
    await expectCode(() => selectSensors(series, null as never), 'E_INPUT_INVALID');
    await expectCode(() => selectSensors(series, 'S001' as never), 'E_INPUT_INVALID');
    await expectCode(() => splitSeries(null as never), 'E_INPUT_INVALID');
    await expectCode(() => splitSeries(series, '0.5' as never), 'E_INPUT_INVALID');
    expect(sliceSeries(series, 2, undefined).steps).toBe(series.steps - 2);
    expect(splitSeries(series, undefined).testStart).toBe(Math.floor(series.steps * 0.8));
  });

  it('selectSensors refuses a sensor named twice (by id or by index): duplicate ids', async () => {
    const e = await expectCode(() => selectSensors(series, ['S001', 'S001']), 'E_INPUT_INVALID');
    expect(e.message).toMatch(/'S001' twice/);
    await expectCode(() => selectSensors(series, [1, 'S001']), 'E_INPUT_INVALID');
    expect(selectSensors(series, ['S002', 0]).sensors).toEqual(['S002', 'S000']);
  });

  it('resampleToGrid, readSeriesCsv and errorByHorizonSpec refuse null or malformed arguments', async () => {
    await expectCode(() => resampleToGrid(null as never, new Float64Array(1), ['a'], 1), 'E_INPUT_INVALID');
    await expectCode(() => resampleToGrid(new Float64Array([0]), null as never, ['a'], 1), 'E_INPUT_INVALID');
    await expectCode(() => resampleToGrid(new Float64Array([0]), ['1'] as never, ['a'], 1), 'E_INPUT_INVALID');
    await expectCode(() => resampleToGrid(new Float64Array([0]), new Float64Array(1), null as never, 1), 'E_INPUT_INVALID');
    expect(resampleToGrid([0, 60_000] as never, [1, 2] as never, ['a'], 1).steps).toBe(2);
    const e = await expectCode(() => readSeriesCsv(csv('a,b\n1,2\n'), undefined as never), 'E_INPUT_INVALID');
    expect(e.message).toMatch(/intervalMinutes/);
    await expectCode(() => errorByHorizonSpec(null as never), 'E_INPUT_INVALID');
    await expectCode(() => errorByHorizonSpec([{ model: 'a' }] as never), 'E_INPUT_INVALID');
    await expectCode(() => errorByHorizonSpec([{ model: 'a', horizons: [null] }] as never), 'E_INPUT_INVALID');
    const input = { sensor: 'a', times: [0, 1], actual: [50, 51], forecast: [49, 52] };
    await expectCode(() => forecastChartSpec({ ...input, alerts: 'x' } as never), 'E_INPUT_INVALID');
    const spec = errorByHorizonSpec([{ model: 'ridge', horizons: [{ minutes: 15, rmse: 4, mae: 3 }] }]);
    expect((spec.data as { values: unknown[] }).values).toHaveLength(2);
  });
});
