import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { disableWasmThreads, enableWasmThreads, wasmThreadsInfo } from './wasm-threads';

// Its own file (its own process): node:fs is wrapped so the worker script's folder can refuse to go.
const fail = vi.hoisted(() => ({ rm: false }));
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const rmSync: typeof actual.rmSync = (target, options) => {
    if (fail.rm) throw Object.assign(new Error(`EBUSY: resource busy or locked, rm '${String(target)}'`), { code: 'EBUSY' });
    actual.rmSync(target, options);
  };
  return { ...actual, default: { ...actual, rmSync }, rmSync };
});

afterAll(async () => {
  fail.rm = false;
  await disableWasmThreads();
});

describe('a temporary folder that cannot be deleted', () => {
  it('does not fail a start that succeeded, and disableWasmThreads deletes it later', async () => {
    fail.rm = true;
    const info = await enableWasmThreads(2);
    expect(info.threads).toBe(2);
    expect(wasmThreadsInfo()?.threads).toBe(2);
    expect(existsSync(info.tempDir)).toBe(true);
    // Still refused: disabling is not failed by it either, and the folder is kept for the next try.
    await expect(disableWasmThreads()).resolves.toBe(true);
    expect(existsSync(info.tempDir)).toBe(true);
    fail.rm = false;
    await expect(disableWasmThreads()).resolves.toBe(false);
    expect(existsSync(info.tempDir)).toBe(false);
  });
});
