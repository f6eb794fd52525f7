import { describe, expect, it } from 'vitest';
import type { Logger } from '../logger';
import { initEngine } from './engine';

// Its own file, for a fresh engine: a device chosen explicitly is not announced later as auto's pick.
describe('the auto announcement after an explicit device', () => {
  it('an auto call that reuses an explicitly chosen device says nothing; one that makes its own pick says it', async () => {
    const saved = process.env.APPLIEDML_DEVICE;
    delete process.env.APPLIEDML_DEVICE;
    try {
      const lines: string[] = [];
      const logger: Logger = { debug() {}, info: (m) => void lines.push(m), warn() {} };
      expect((await initEngine({ device: 'js' })).device).toBe('js');
      expect((await initEngine({ logger })).device).toBe('js');
      expect(lines).toEqual([]);
      // Concurrent requests for different devices: each settles on its own device, the last one stays.
      const [a, b] = await Promise.all([initEngine({ device: 'wasm' }), initEngine({ device: 'js' })]);
      expect([a.device, b.device]).toEqual(['wasm', 'js']);
      await initEngine({ device: 'wasm' });
      expect((await initEngine({ logger })).device).toBe('wasm');
      expect(lines).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.APPLIEDML_DEVICE;
      else process.env.APPLIEDML_DEVICE = saved;
    }
  });
});
