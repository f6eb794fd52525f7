import { describe, expect, it } from 'vitest';
import { forecastChartSpec } from './plots';
import { expectCode } from './test-helpers';

// Found by review s28 R3: forecastChartSpec took times, actual and forecast of different lengths; a short
// list was drawn as missing points past its end and a long one lost its tail, without a word.
const times = ['2026-01-05T00:00Z', '2026-01-05T00:05Z', '2026-01-05T00:10Z'];

describe('forecastChartSpec list lengths', () => {
  const cases: [string, number[], number[], 'actual' | 'forecast', number][] = [
    ['actual shorter', [1, 2], [1, 2, 3], 'actual', 2],
    ['actual longer', [1, 2, 3, 4], [1, 2, 3], 'actual', 4],
    ['forecast shorter', [1, 2, 3], [], 'forecast', 0],
    ['forecast longer', [1, 2, 3], [1, 2, 3, 4, 5], 'forecast', 5],
  ];
  for (const [name, actual, forecast, field, length] of cases) {
    it(`${name}: E_SHAPE_MISMATCH naming the list and both lengths`, async () => {
      const error = await expectCode(() => forecastChartSpec({ sensor: 's', times, actual, forecast }), 'E_SHAPE_MISMATCH');
      expect(error.message).toContain(`has 3 times but ${length} ${field} values`);
      expect(error.details).toMatchObject({ field, times: 3, [field]: length });
    });
  }

  it('equal lengths draw as before (a NaN is no point)', () => {
    const spec = forecastChartSpec({ sensor: 's', times, actual: [1, NaN, 3], forecast: [4, 5, 6] }) as { data: { values: unknown[] } };
    expect(spec.data.values).toHaveLength(5);
  });
});
