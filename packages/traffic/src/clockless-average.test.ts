import { describe, expect, it } from 'vitest';
import { createSeries, TrafficForecaster } from './index';
import { expectCode } from './test-helpers';

// The docs list the historical average as needing a clock; a series without one (start: null) trained
// without a word, and every forecast was the sensor's training mean, reported as a "historical average".
describe('historical-average needs a clock', () => {
  const values = Array.from({ length: 300 }, (_, t) => [50 + 10 * Math.sin(t / 20), 60 - (t % 5)]);

  it('a series without one is refused at train, naming start; the model stays untrained', async () => {
    const model = TrafficForecaster.create({ model: 'historical-average' });
    const error = await expectCode(() => model.train(createSeries({ values, intervalMinutes: 5, start: null })), 'E_INPUT_INVALID');
    expect(error.message).toMatch(/'historical-average' model averages by time of day: the series needs a clock/);
    expect(error.details).toMatchObject({ field: 'start' });
    expect(model.isTrained).toBe(false);
    await model.train(createSeries({ values, intervalMinutes: 5, start: '2026-01-05T00:00Z' }));
    expect(model.isTrained).toBe(true);
    model.dispose();
  });

  it('the models that only fall back on it still train without a clock', async () => {
    for (const kind of ['seasonal-naive', 'ridge', 'last-value'] as const) {
      const model = TrafficForecaster.create({ model: kind });
      await model.train(createSeries({ values, intervalMinutes: 5, start: null }));
      expect(model.isTrained).toBe(true);
      model.dispose();
    }
  });
});
