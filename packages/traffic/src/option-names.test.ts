import { describe, expect, it } from 'vitest';
import { TrafficForecaster } from './forecaster';

describe('TrafficForecaster option names', () => {
  it('a misspelt option is refused at create with the valid names, not ignored', () => {
    expect(() => TrafficForecaster.create({ hiddenunits: 8 } as never)).toThrow(
      expect.objectContaining({
        code: 'E_INPUT_INVALID',
        message: expect.stringMatching(/TrafficForecaster config has no option 'hiddenunits'; valid: /),
      }),
    );
    TrafficForecaster.create({ model: 'ridge', seed: 1 }).dispose();
  });
});
