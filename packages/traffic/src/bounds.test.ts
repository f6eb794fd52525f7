import { describe, expect, it } from 'vitest';
import { IncidentMonitor, MAX_HISTORY_VALUES } from './incident-monitor';
import { errorByHorizonSpec, forecastChartSpec, renderChartSvg } from './plots';
import { expectCode } from './test-helpers';

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `s${i}`);

describe('allocation and size bounds (SDK fuzz S8)', () => {
  it('IncidentMonitor refuses sensors × historySize above 2^25 with E_INPUT_TOO_LARGE before allocating', async () => {
    // 200 sensors × 100,000 steps allocated 152 MiB; 100,000 × 100,000 was killed by the OOM killer.
    // (The smaller case first: on code without the bound it allocates 305 MiB and fails the test there.)
    await expectCode(() => new IncidentMonitor({ sensors: ids(400), historySize: 100_000 }), 'E_INPUT_TOO_LARGE');
    const error = await expectCode(() => new IncidentMonitor({ sensors: ids(100_000), historySize: 100_000 }), 'E_INPUT_TOO_LARGE');
    expect(error.message).toMatch(/100000 sensors × 100000 residuals/);
    expect(MAX_HISTORY_VALUES).toBe(2 ** 25);
    // A large network at the default history is fine.
    expect(new IncidentMonitor({ sensors: ids(10_000) }).active).toEqual([]);
  });

  it('chart width and height are numbers in 1..8192 in the spec builders and in renderChartSvg', async () => {
    const input = { sensor: 'a', times: [0, 1], actual: [50, 51], forecast: [49, 52] };
    for (const width of [NaN, -5, 0, 1e7, '300'])
      await expectCode(() => forecastChartSpec({ ...input, width: width as number }), 'E_INPUT_INVALID');
    await expectCode(() => forecastChartSpec({ ...input, height: Infinity }), 'E_INPUT_INVALID');
    await expectCode(() => errorByHorizonSpec([], { width: -5 }), 'E_INPUT_INVALID');
    await expectCode(() => errorByHorizonSpec([], { height: NaN }), 'E_INPUT_INVALID');
    const spec = forecastChartSpec(input);
    await expectCode(() => renderChartSvg({ ...spec, width: 1e7 }), 'E_INPUT_INVALID');
    await expectCode(() => renderChartSvg({ ...spec, height: NaN }), 'E_INPUT_INVALID');
    await expectCode(() => renderChartSvg({ ...spec, width: { step: 1e6 } }), 'E_INPUT_INVALID');
    const facet = errorByHorizonSpec([]);
    await expectCode(() => renderChartSvg({ ...facet, spec: { ...(facet.spec as object), width: 1e7 } }), 'E_INPUT_INVALID');
    // Not a spec, or one vega-lite cannot compile: typed, not vega's TypeError / Error.
    await expectCode(() => renderChartSvg(null as never), 'E_INPUT_INVALID');
    await expectCode(() => renderChartSvg({}), 'E_INPUT_INVALID');
    expect(await renderChartSvg(spec)).toMatch(/^<svg/);
  });
});
