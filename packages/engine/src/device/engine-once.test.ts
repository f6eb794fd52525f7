import { describe, expect, it, vi } from 'vitest';
import { initEngine } from './engine';
import * as wasmThreads from './wasm-threads';

// Its own file: the spy wraps the module initEngine imports, and the engine's state starts empty.
vi.mock('./wasm-threads', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./wasm-threads')>();
  return { ...actual, maxWasmThreads: vi.fn(actual.maxWasmThreads) };
});

describe('initEngine works out the request once', () => {
  it('checks an explicit wasm thread count (here from APPLIEDML_WASM_THREADS) against the machine once', async () => {
    const saved = process.env.APPLIEDML_WASM_THREADS;
    const max = vi.mocked(wasmThreads.maxWasmThreads);
    process.env.APPLIEDML_WASM_THREADS = '1';
    try {
      max.mockClear();
      const info = await initEngine({ device: 'wasm' });
      expect(info.backend).toBe('wasm');
      // initEngine checked the cores before anything loaded; initialise used its answer.
      expect(max).toHaveBeenCalledTimes(1);
    } finally {
      if (saved === undefined) delete process.env.APPLIEDML_WASM_THREADS;
      else process.env.APPLIEDML_WASM_THREADS = saved;
    }
  });
});
