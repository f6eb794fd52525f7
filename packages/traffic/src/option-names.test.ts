import { describe, expect, it } from 'vitest';
import { TrafficForecaster } from './forecaster';

describe('TrafficForecaster option names', () => {
  it('a misspelt option, at the top or in a nested option object, is refused at create with the valid names', () => {
    expect(() => TrafficForecaster.create({ hiddenunits: 8 } as never)).toThrow(
      expect.objectContaining({
        code: 'E_INPUT_INVALID',
        message: expect.stringMatching(/TrafficForecaster config has no option 'hiddenunits'; valid: /),
      }),
    );
    expect(() => TrafficForecaster.create({ ridge: { lambda: [1] } } as never)).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringContaining("ridge has no option 'lambda'") }),
    );
    TrafficForecaster.create({ model: 'ridge', seed: 1 }).dispose();
  });
});
