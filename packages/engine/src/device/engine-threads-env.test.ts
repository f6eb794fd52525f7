import { describe, expect, it } from 'vitest';
import type { Logger } from '../logger';
import { initEngine } from './engine';

// Its own file, for a fresh engine: the "threads ignored" warning is once per process.
describe('APPLIEDML_WASM_THREADS where the engine does not run wasm', () => {
  it('an SDK user with APPLIEDML_DEVICE=js and APPLIEDML_WASM_THREADS=2 is told once that the threads are ignored', async () => {
    const saved = { threads: process.env.APPLIEDML_WASM_THREADS, device: process.env.APPLIEDML_DEVICE };
    process.env.APPLIEDML_WASM_THREADS = '2';
    process.env.APPLIEDML_DEVICE = 'js';
    try {
      const warnings: string[] = [];
      const logger: Logger = { debug() {}, info() {}, warn: (m) => void warnings.push(m) };
      // An SDK passes the user's device (none here) and logger, never wasmThreads.
      expect((await initEngine({ logger })).device).toBe('js');
      expect((await initEngine({ device: 'js', logger })).device).toBe('js');
      expect(warnings).toEqual([
        "APPLIEDML_WASM_THREADS=2 is ignored: device 'js' was asked for, and threads apply to the wasm device only.",
      ]);
    } finally {
      for (const [key, value] of [
        ['APPLIEDML_WASM_THREADS', saved.threads],
        ['APPLIEDML_DEVICE', saved.device],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
