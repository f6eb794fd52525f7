import { afterEach, describe, expect, it } from 'vitest';
import { AppliedMLError } from '../errors';
import type { Logger } from '../logger';
import type { DeviceLoaders } from './loaders';
import { defaultLoaders } from './loaders';
import { engineInfo, initEngine } from './engine';

// Its own file, for a fresh engine: the "threads ignored" warning is once per process, like auto's pick.
function recorder(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, logger: { debug() {}, info() {}, warn: (m) => void warnings.push(m) } };
}

const unavailable = async (): Promise<never> => {
  throw new AppliedMLError('E_DEVICE_UNAVAILABLE', 'not on this test machine');
};
/** A machine where `auto` lands on the JS backend (wasm missing, say). */
const jsOnly: DeviceLoaders = { cuda: unavailable, cpu: unavailable, wasm: unavailable, js: defaultLoaders.js };

const savedThreads = process.env.APPLIEDML_WASM_THREADS;
const savedDevice = process.env.APPLIEDML_DEVICE;
afterEach(() => {
  if (savedThreads === undefined) delete process.env.APPLIEDML_WASM_THREADS;
  else process.env.APPLIEDML_WASM_THREADS = savedThreads;
  if (savedDevice === undefined) delete process.env.APPLIEDML_DEVICE;
  else process.env.APPLIEDML_DEVICE = savedDevice;
});

async function refusal(run: Promise<unknown>): Promise<AppliedMLError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AppliedMLError.hasCode(error, 'E_INPUT_INVALID'), String(error)).toBe(true);
  return error as AppliedMLError;
}

describe('wasmThreads on a device that is not wasm', () => {
  it('with an explicit cuda, cpu or js device in the same call is E_INPUT_INVALID before anything loads', async () => {
    delete process.env.APPLIEDML_WASM_THREADS;
    for (const device of ['cuda', 'cpu', 'js'] as const) {
      const error = await refusal(initEngine({ device, wasmThreads: 2 }));
      expect(error.message).toBe(
        `wasmThreads (2) applies to the wasm device only, but device '${device}' was asked for. ` +
          `Leave wasmThreads out, or ask for device 'wasm' (or 'auto', which uses the threads when it picks wasm).`,
      );
      expect(error.details).toEqual({ field: 'wasmThreads', device, threads: 2 });
    }
    expect(engineInfo()).toBeUndefined();
    // One thread is no request for threads: the speech workers ask for it on every device.
    expect((await initEngine({ device: 'js', wasmThreads: 1 })).device).toBe('js');
  });

  it('is checked whatever device runs, naming where the count came from; a misspelt option is refused', async () => {
    delete process.env.APPLIEDML_WASM_THREADS;
    const throwing = {
      toString(): string {
        throw new Error('no text');
      },
    };
    for (const bad of [0, -1, 1.5, Number.NaN, '2', throwing]) {
      const error = await refusal(initEngine({ device: 'js', wasmThreads: bad as number }));
      expect(error.message).toMatch(/^wasmThreads must be an integer from 1 \(one thread, the default\) to \d+ \(got /);
      expect(error.details).toMatchObject({ field: 'wasmThreads', min: 1 });
    }
    process.env.APPLIEDML_WASM_THREADS = 'two';
    const fromEnv = await refusal(initEngine({ device: 'js' }));
    expect(fromEnv.message).toMatch(/^APPLIEDML_WASM_THREADS must be an integer from 1 .* \(got "two"\)\.$/);
    const misspelt = await refusal(initEngine({ device: 'js', wasmthreads: 2 } as never));
    expect(misspelt.message).toMatch(/initEngine options has no option 'wasmthreads'; valid: device, logger, loaders, wasmThreads/);
    // An unknown device with threads is still the device's error, not the threads'.
    await expect(initEngine({ device: 'gpu' as never, wasmThreads: 2 })).rejects.toMatchObject({ code: 'E_DEVICE_INVALID' });
  });

  it("more threads than this machine's cores: refused where wasm runs (before it loads), no error where it does not", async () => {
    delete process.env.APPLIEDML_DEVICE;
    // A count meant for a larger machine, or for another program, with a device that is not wasm.
    process.env.APPLIEDML_WASM_THREADS = '99';
    expect((await initEngine({ device: 'js' })).device).toBe('js');
    delete process.env.APPLIEDML_WASM_THREADS;
    for (const options of [
      { device: 'wasm' as const, wasmThreads: 99 },
      { device: 'wasm' as const, wasmThreads: 9 },
    ]) {
      const error = await refusal(initEngine(options));
      expect(error.message).toMatch(
        new RegExp(
          `^wasmThreads must be an integer from 1 \\(one thread, the default\\) to \\d+ on this machine \\(its logical cores, at most 8; got ${options.wasmThreads}\\)\\.$`,
        ),
      );
      expect(error.details).toMatchObject({ field: 'wasmThreads', min: 1 });
    }
    expect(engineInfo()?.device).toBe('js');
  });

  it('when auto picks another backend the count is ignored and the first logger told once (quiet calls do not use it up)', async () => {
    delete process.env.APPLIEDML_WASM_THREADS;
    delete process.env.APPLIEDML_DEVICE;
    expect((await initEngine({ loaders: jsOnly, wasmThreads: 2 })).device).toBe('js');
    const first = recorder();
    const info = await initEngine({ loaders: jsOnly, wasmThreads: 2, logger: first.logger });
    expect(info.device).toBe('js');
    expect(info.details.threads).toBeUndefined();
    expect(first.warnings).toEqual(["wasmThreads 2 is ignored: 'auto' picked js, and threads apply to the wasm device only."]);
    await initEngine({ loaders: jsOnly, wasmThreads: 2, logger: first.logger });
    // A count from the environment (meant, perhaps, for another program) with an explicit device: told, not refused.
    process.env.APPLIEDML_WASM_THREADS = '2';
    const second = recorder();
    expect((await initEngine({ device: 'js', logger: second.logger })).device).toBe('js');
    expect(first.warnings).toHaveLength(1);
    expect(second.warnings).toEqual([]);
  });
});
