import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSeries, TrafficForecaster } from './index';
import { expectCode } from './test-helpers';

// predict takes rows without their times: a caller (the demo's forecast) had no way to see that its rows were
// read on another grid than the model's, and forecast from 5-min averages as if they were 30-second steps.
describe('model.intervalMinutes', () => {
  it("is the training series' interval, kept in the bundle; a disposed model refuses it", async () => {
    const values = Array.from({ length: 80 }, (_, t) => [50 + (t % 7), 60 - (t % 5)]);
    const model = TrafficForecaster.create({ model: 'last-value', horizons: [1, 2] });
    await model.train(createSeries({ values, intervalMinutes: 0.5, start: '2026-01-05T00:00Z' }));
    expect(model.intervalMinutes).toBe(0.5);
    const dir = await mkdtemp(join(tmpdir(), 'traffic-interval-'));
    try {
      await model.save(dir);
      const loaded = await TrafficForecaster.load(dir);
      expect(loaded.intervalMinutes).toBe(0.5);
      loaded.dispose();
    } finally {
      model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
    await expectCode(() => model.intervalMinutes, 'E_MODEL_DISPOSED');
    await expectCode(() => TrafficForecaster.create({ model: 'last-value' }).intervalMinutes, 'E_MODEL_NOT_TRAINED');
  });
});
