import * as tf from '#tfjs';
import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '../errors';
import { defaultLoaders } from './loaders';
import { engine, engineInfo, initEngine } from './engine';

// The real chain on this machine: tfjs-node and tfjs-node-gpu are not installed, so `auto` must land
// on wasm and say why the native devices were not taken; `js` must really run on the JS backend.
describe('the real device chain', () => {
  it('auto reports wasm with reasons for cuda and cpu', async () => {
    const messages: string[] = [];
    const info = await initEngine({ device: 'auto', logger: { debug() {}, info: (m) => void messages.push(m), warn() {} } });
    expect(info.device).toBe('wasm');
    expect(info.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.attempts.map((a) => [a.device, a.ok])).toEqual([
      ['cuda', false],
      ['cpu', false],
      ['wasm', true],
    ]);
    expect(info.attempts[0]!.reason).toMatch(/tfjs-node-gpu/);
    expect(info.attempts[1]!.reason).toMatch(/tfjs-node/);
    expect(info.details.simd).toBe(true);
    expect(String(info.details.kernelFixes)).toMatch(/Conv2DBackpropFilter/);
    expect(engineInfo()).toEqual(info);
    expect(engine.info()).toBe(engineInfo());
    expect(messages.length).toBeLessThanOrEqual(1);
  });

  it('js runs on the pure-JS backend, and switches back', async () => {
    const info = await initEngine({ device: 'js' });
    expect(info.device).toBe('js');
    expect(tf.getBackend()).toBe('cpu');
    const y = tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync()[0]);
    expect(y).toBe(3);
    expect((await initEngine({ device: 'wasm' })).device).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('an explicit cuda or cpu here is E_DEVICE_UNAVAILABLE that names wasm and js', async () => {
    for (const device of ['cuda', 'cpu'] as const) {
      const err = await initEngine({ device, loaders: defaultLoaders }).catch((e: unknown) => e);
      expect(AppliedMLError.hasCode(err, 'E_DEVICE_UNAVAILABLE'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/Available: wasm, js/);
    }
    expect(tf.getBackend()).toBe('wasm');
  });

  it("quiets libtensorflow's own stderr notes before loading a native backend, unless the user chose a level", async () => {
    const saved = process.env.TF_CPP_MIN_LOG_LEVEL;
    try {
      delete process.env.TF_CPP_MIN_LOG_LEVEL;
      await defaultLoaders.cpu().catch(() => undefined); // not installed here: the level is set before the attempt
      expect(process.env.TF_CPP_MIN_LOG_LEVEL).toBe('2');
      process.env.TF_CPP_MIN_LOG_LEVEL = '0';
      await defaultLoaders.cpu().catch(() => undefined);
      expect(process.env.TF_CPP_MIN_LOG_LEVEL).toBe('0');
    } finally {
      if (saved === undefined) delete process.env.TF_CPP_MIN_LOG_LEVEL;
      else process.env.TF_CPP_MIN_LOG_LEVEL = saved;
    }
  });
});

describe('initEngine arguments (API fuzz F12)', () => {
  it('refuses null or non-object options, and a device whose toString throws, with typed errors', async () => {
    for (const [bad, shown] of [
      [null, 'null'],
      [5, '5'],
      ['wasm', '"wasm"'],
      [[], '[]'],
    ] as const)
      await expect(initEngine(bad as never)).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
        message: `initEngine options must be an object of options (got ${shown}).`,
      });
    const device = {
      toString(): string {
        throw new Error('no text');
      },
    };
    await expect(initEngine({ device: device as never })).rejects.toMatchObject({ code: 'E_DEVICE_INVALID' });
  });
});
