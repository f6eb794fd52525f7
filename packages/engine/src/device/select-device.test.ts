import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '../errors';
import type { DeviceLoaders } from './loaders';
import { applyNodeUtilShim } from './loaders';
import { selectDevice } from './select-device';

// The chain is tested with injected loaders: no GPU or native build is needed to prove the logic.
const ok = (backend: string) => async () => ({ backend });
const fail = (reason: string) => async () => {
  throw new Error(reason);
};

function loaders(overrides: Partial<DeviceLoaders>): DeviceLoaders {
  return {
    cuda: fail('@tensorflow/tfjs-node-gpu is not installed'),
    cpu: fail('@tensorflow/tfjs-node is not installed'),
    wasm: ok('wasm'),
    js: ok('cpu'),
    ...overrides,
  };
}

describe('selectDevice', () => {
  it('auto picks CUDA when tfjs-node-gpu loads and sees a GPU', async () => {
    const s = await selectDevice('auto', loaders({ cuda: ok('tensorflow'), cpu: ok('tensorflow') }));
    expect(s.device).toBe('cuda');
    expect(s.attempts).toEqual([{ device: 'cuda', ok: true, reason: 'selected (tensorflow backend)' }]);
  });

  it('auto falls to native CPU when the GPU package loads but no GPU is used', async () => {
    const s = await selectDevice('auto', loaders({ cuda: fail('no usable CUDA GPU'), cpu: ok('tensorflow') }));
    expect(s.device).toBe('cpu');
    expect(s.attempts.map((a) => [a.device, a.ok])).toEqual([
      ['cuda', false],
      ['cpu', true],
    ]);
    expect(s.attempts[0]!.reason).toMatch(/no usable CUDA GPU/);
  });

  it('auto falls to wasm and says why each native device was not taken', async () => {
    const s = await selectDevice('auto', loaders({}));
    expect(s.device).toBe('wasm');
    expect(s.attempts.map((a) => a.device)).toEqual(['cuda', 'cpu', 'wasm']);
    expect(s.attempts[0]!.reason).toMatch(/tfjs-node-gpu is not installed/);
    expect(s.attempts[1]!.reason).toMatch(/tfjs-node is not installed/);
  });

  it('auto falls to pure JS when wasm cannot start', async () => {
    const s = await selectDevice('auto', loaders({ wasm: fail('WebAssembly is disabled') }));
    expect(s.device).toBe('js');
    expect(s.loaded.backend).toBe('cpu');
  });

  it('an explicit device that cannot be had is E_DEVICE_UNAVAILABLE naming the available ones', async () => {
    const err = await selectDevice('cuda', loaders({})).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(err, 'E_DEVICE_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/Available: wasm, js/);
    expect((err as AppliedMLError).details.available).toEqual(['wasm', 'js']);
  });

  it('an explicit device is taken without trying the others', async () => {
    let triedCuda = false;
    const s = await selectDevice(
      'js',
      loaders({
        cuda: async () => {
          triedCuda = true;
          return { backend: 'tensorflow' };
        },
      }),
    );
    expect(s.device).toBe('js');
    expect(triedCuda).toBe(false);
  });

  it('an unknown device is E_DEVICE_INVALID listing the valid ones', async () => {
    const err = await selectDevice('gpu', loaders({})).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(err, 'E_DEVICE_INVALID')).toBe(true);
    expect((err as Error).message).toContain('auto, cuda, cpu, wasm, js');
  });

  it('fails with every reason when nothing at all can start', async () => {
    const err = await selectDevice('auto', loaders({ wasm: fail('w'), js: fail('j') })).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(err, 'E_DEVICE_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/cuda: .*cpu: .*wasm: w; js: j/);
  });
});

describe('the Node ≥ 23 shim for tfjs-node 4.22 (tensorflow/tfjs#8425)', () => {
  it('defines only the util functions that are missing, with their old meaning', () => {
    const util: Record<string, unknown> = { isArray: Array.isArray };
    const applied = applyNodeUtilShim(util);
    expect(applied).toContain('isNullOrUndefined');
    expect(applied).not.toContain('isArray');
    const isNullOrUndefined = util.isNullOrUndefined as (v: unknown) => boolean;
    expect([null, undefined, 0, '', false].map(isNullOrUndefined)).toEqual([true, true, false, false, false]);
    expect(applyNodeUtilShim(util)).toEqual([]);
  });
});
