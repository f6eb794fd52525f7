import { initEngine } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_KINDS, TrafficForecaster } from './forecaster';
import { generateTrafficNetwork } from './synthetic';
import { expectCode } from './test-helpers';

// Found by review s28 R3: train's `progress` (true, false or 'auto') took anything: 'false' (a CLI flag
// or JSON body passed through), 1, a function, an object; the networks read it by its truthiness and drew
// a bar for 'false', the other models never looked at it.
const net = generateTrafficNetwork({ sensors: 3, corridorLength: 3, days: 1, incidents: 0, seed: 5 });

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

describe('train options.progress', () => {
  for (const kind of MODEL_KINDS) {
    it(`${kind}: anything but true, false or 'auto' is E_INPUT_INVALID naming progress, and nothing is trained`, async () => {
      for (const bad of ['false', 'yes', 1, 0, null, () => 0, { every: 1 }]) {
        const model = TrafficForecaster.create({ model: kind, hiddenUnits: 2, horizons: [1] });
        const error = await expectCode(
          () => model.train(net.series, { epochs: 1, adjacency: net.adjacency, progress: bad as unknown as boolean }),
          'E_INPUT_INVALID',
        );
        expect(error.message).toMatch(/progress must be true, false or 'auto'/);
        expect(error.details).toMatchObject({ valid: [true, false, 'auto'] });
        expect(model.isTrained).toBe(false);
        model.dispose();
      }
    });
  }

  it("true, false, 'auto' and the default train", async () => {
    for (const progress of [true, false, 'auto', undefined] as const) {
      const model = TrafficForecaster.create({ model: 'last-value', horizons: [1] });
      await model.train(net.series, progress === undefined ? {} : { progress });
      expect(model.isTrained).toBe(true);
      model.dispose();
    }
  });
});
