import { initEngine } from '@appliedml/engine';
import { describe, expect, it, vi } from 'vitest';
import * as augment from './augment';
import { SpeechRecognizer } from './speech-recognizer';
import { TINY_CONFIG, synthSet } from './test-helpers';

// padAround seen from the recognizer: the real function, counted.
vi.mock('./augment', async (original) => {
  const actual = await original<typeof import('./augment')>();
  return { ...actual, padAround: vi.fn(actual.padAround) };
});

describe('augment.pad by default', () => {
  it('is AUGMENT_PAD_DEFAULTS: every perturbed copy goes through padAround with it unless pad is null', async () => {
    await initEngine();
    expect(augment.AUGMENT_DEFAULTS.pad).toEqual(augment.AUGMENT_PAD_DEFAULTS);
    const spy = vi.mocked(augment.padAround);
    const data = synthSet(2);
    for (const [options, calls] of [
      [{ copies: 2 }, 2 * data.length],
      [{}, 2 * data.length],
      [{ copies: 2, pad: null }, 0],
      [false, 0],
    ] as const) {
      spy.mockClear();
      const model = SpeechRecognizer.create({ ...TINY_CONFIG, augment: options });
      await model.train(data, { parallel: false });
      expect(spy, JSON.stringify(options)).toHaveBeenCalledTimes(calls);
      for (const call of spy.mock.calls) expect(call[2]).toEqual(augment.AUGMENT_PAD_DEFAULTS);
      model.dispose();
    }
  });
});
