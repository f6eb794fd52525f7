import { createRng, engineInfo } from '@appliedml/engine';
import { afterAll, describe, expect, it } from 'vitest';
import { FraudDetector } from './detector';

// The engine's default device (APPLIEDML_DEVICE, else auto) applies when the caller names none; an
// explicit `device` wins. Its own file: it switches the process's backend.
const saved = process.env.APPLIEDML_DEVICE;
afterAll(() => {
  if (saved === undefined) delete process.env.APPLIEDML_DEVICE;
  else process.env.APPLIEDML_DEVICE = saved;
});

describe('FraudDetector device', () => {
  const rng = createRng(7);
  const x = Array.from({ length: 200 }, () => [rng.next(), rng.next(), rng.next()]);
  const y = x.map((_, i) => (i % 10 === 0 ? 1 : 0));

  it('a neural detector trains on APPLIEDML_DEVICE when no device is given, and on the given one otherwise', async () => {
    process.env.APPLIEDML_DEVICE = 'js';
    const model = FraudDetector.create({ detector: 'mlp', seed: 1, mlp: { epochs: 1 } });
    await model.train(x, { labels: y });
    expect(engineInfo()?.device).toBe('js');
    await model.train(x, { labels: y, device: 'wasm' });
    expect(engineInfo()?.device).toBe('wasm');
    model.dispose();
  });
});
