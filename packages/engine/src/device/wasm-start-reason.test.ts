// Why a wasm start failed when the glue printed nothing (review s24 R1-1): tfjs answers `false` and drops
// the error in prod mode, so initEngine said "no reason given". The start's rejection is now kept, and a
// glue without `__dirname` (an ES module bundle) is told how to fix it.
import * as tf from '#tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { captureBackendRejection, codeDirectory, provideGlueDirname, wasmStartError } from './wasm-start';

const FAILING = 'appliedml-test-failing';

afterEach(() => {
  if (tf.findBackendFactory(FAILING) != null) tf.removeBackend(FAILING);
});

describe('the reason a wasm start failed', () => {
  it('keeps what the backend factory rejected with, and puts the factory back', async () => {
    const thrown = new ReferenceError('__dirname is not defined');
    const factory = (): Promise<tf.KernelBackend> => Promise.reject(thrown);
    tf.registerBackend(FAILING, factory, -1);
    const rejection = captureBackendRejection(FAILING);
    expect(await tf.setBackend(FAILING)).toBe(false);
    rejection.stop();
    expect(rejection.error()).toBe(thrown);
    expect(tf.findBackendFactory(FAILING)).toBe(factory);
    // A backend that is not registered: nothing to capture.
    const none = captureBackendRejection('appliedml-no-such-backend');
    none.stop();
    expect(none.error()).toBeUndefined();
  });

  it("names a glue without __dirname and gives the bundler's fix, with the error as cause", () => {
    const thrown = new ReferenceError('__dirname is not defined');
    const e = wasmStartError([], thrown);
    expect(e.code).toBe('E_DEVICE_UNAVAILABLE');
    expect(e.message).toMatch(/^The wasm backend failed to initialise: ReferenceError: __dirname is not defined\. /);
    expect(e.message).toContain('--format=cjs');
    expect(e.message).toContain('const __dirname = __dn(__fu(import.meta.url));');
    expect(e.details).toMatchObject({ backend: 'wasm', reason: 'ReferenceError: __dirname is not defined', glue: [] });
    expect(e.cause).toBe(thrown);
  });

  it("prefers the glue's lines and the missing file to the rejection, and says 'no reason given' only with neither", () => {
    const lines = ["Aborted(Error: ENOENT: no such file or directory, open '/srv/app/tfjs-backend-wasm-simd.wasm')"];
    const e = wasmStartError(lines, { message: 'Make sure the server can serve the `.wasm` file' });
    expect(e.details.wasmFile).toBe('/srv/app/tfjs-backend-wasm-simd.wasm');
    expect(e.message).toContain("Ship @tensorflow/tfjs-backend-wasm's .wasm files");
    expect(wasmStartError([], { message: 'Make sure the server can serve the `.wasm` file' }).details.reason).toBe(
      'Make sure the server can serve the `.wasm` file',
    );
    expect(wasmStartError([]).details.reason).toBe('no reason given');
  });
});

describe('provideGlueDirname', () => {
  const global = globalThis as Record<string, unknown>;

  it('defines a global __dirname for the start and removes it after', () => {
    expect('__dirname' in global).toBe(false);
    const remove = provideGlueDirname('/srv/app');
    expect(global.__dirname).toBe('/srv/app');
    // What the glue does in an ES module bundle: a free `__dirname` finds the global.
    expect(new Function('return __dirname + "/"')()).toBe('/srv/app/');
    remove();
    expect('__dirname' in global).toBe(false);
  });

  it('leaves a global __dirname defined by someone else alone, and does nothing without a folder', () => {
    global.__dirname = '/theirs';
    try {
      provideGlueDirname('/srv/app')();
      expect(global.__dirname).toBe('/theirs');
    } finally {
      delete global.__dirname;
    }
    provideGlueDirname(undefined)();
    expect('__dirname' in global).toBe(false);
  });

  it("takes the folder of this code's file", () => {
    expect(codeDirectory('file:///srv/app/app.mjs')).toBe('/srv/app');
    expect(codeDirectory('data:text/javascript,1')).toBeUndefined();
    expect(codeDirectory()).toMatch(/packages\/engine\/src\/device$/);
  });
});
