// A service bundled without the wasm backend's .wasm files (review R3 E1): initEngine said only "The
// wasm backend failed to initialise." (no reason, no cause) and 'auto' did not fall back to js. Here the
// files are looked for in a folder that does not hold them (setWasmPaths), as a bundle's folder does not.
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '#tfjs';
import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '../errors';
import type { Logger } from '../logger';
import { initEngine } from './engine';
import { missingWasmFile } from './wasm-start';

describe('the wasm backend not finding its .wasm files', () => {
  it("explicit 'wasm' says which file is missing and how to ship it; 'auto' falls on to js and warns", async () => {
    setWasmPaths('/nonexistent-appliedml-wasm/');
    const originalWarn = console.warn;
    const printed: string[] = [];
    console.warn = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
    let error: unknown;
    try {
      error = await initEngine({ device: 'wasm' }).catch((e: unknown) => e);
    } finally {
      console.warn = originalWarn;
    }
    expect(AppliedMLError.hasCode(error, 'E_DEVICE_UNAVAILABLE'), String(error)).toBe(true);
    const e = error as AppliedMLError;
    expect(e.message).toMatch(
      /^The wasm backend failed to initialise: its WebAssembly file \/nonexistent-appliedml-wasm\/tfjs-backend-wasm[-a-z]*\.wasm is missing\./,
    );
    expect(e.message).toContain("Ship @tensorflow/tfjs-backend-wasm's .wasm files");
    expect(e.message).toContain('setWasmPaths');
    expect(e.details.wasmFile).toMatch(/^\/nonexistent-appliedml-wasm\/.*\.wasm$/);
    expect(e.details.reason).toMatch(/ENOENT/);
    expect(e.cause).toBeDefined();
    // The glue's "Aborted(…)" lines are in the error, not on the console.
    expect(printed).toEqual([]);

    const warnings: string[] = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (m: string) => void warnings.push(m) };
    const info = await initEngine({ device: 'auto', logger });
    expect(info.device).toBe('js');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.attempts.find((a) => a.device === 'wasm')).toMatchObject({ ok: false, reason: e.message });
    expect(info.attempts.at(-1)).toMatchObject({ device: 'js', ok: true });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^The wasm backend failed to initialise: .* Falling back to the js device \(slower\)\.$/);
    expect(tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0])).toBe(3);

    // A second explicit start is refused the same way at once (tfjs-backend-wasm never settles one after an abort).
    const again = await initEngine({ device: 'wasm' }).catch((x: unknown) => x);
    expect((again as AppliedMLError).message).toBe(e.message);
  });

  it('reads the missing file from the glue lines', () => {
    expect(missingWasmFile(["Aborted(Error: ENOENT: no such file or directory, open '/srv/app/tfjs-backend-wasm-simd.wasm')"])).toBe(
      '/srv/app/tfjs-backend-wasm-simd.wasm',
    );
    expect(missingWasmFile(['something else'])).toBeUndefined();
  });
});
