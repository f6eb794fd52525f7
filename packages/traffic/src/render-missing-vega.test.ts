import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it, vi } from 'vitest';

// vega and vega-lite are imported when a chart is rendered. A service bundled as CommonJS keeps them
// external (vega-canvas has a top-level await, which a CommonJS bundle cannot hold); without them
// installed beside the bundle the render used to reject with a bare ERR_MODULE_NOT_FOUND. Here the
// import of vega fails.
vi.doMock('vega', () => {
  throw Object.assign(new Error("Cannot find package 'vega'"), { code: 'ERR_MODULE_NOT_FOUND' });
});
const { forecastChartSpec, renderChartSvg } = await import('./plots');

describe('renderChartSvg without vega', () => {
  it('is a typed error naming vega, vega-lite and the fix', async () => {
    const spec = forecastChartSpec({ sensor: 's1', times: [0, 1, 2], actual: [1, 2, 3], forecast: [1, 2, 2] });
    const error = await renderChartSvg(spec).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(AppliedMLError.isInstance(error)).toBe(true);
    const typed = error as AppliedMLError;
    expect(typed.code).toBe('E_INTERNAL');
    expect(typed.details).toEqual({ modules: ['vega', 'vega-lite'] });
    expect(typed.message).toContain('esbuild --external:vega --external:vega-lite');
    expect(typed.message).toContain('npm install vega vega-lite');
  });
});
