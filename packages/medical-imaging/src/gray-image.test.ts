import { describe, expect, it } from 'vitest';
import { channelsOf } from './gray-image';
import { codeOf as code } from './test-discs';

describe('channelsOf', () => {
  it('is 1 for grayscale, 3 for RGB, and refuses null or other channel counts (E_INPUT_INVALID)', async () => {
    expect(channelsOf({ width: 1, height: 1, data: new Float32Array(1) })).toBe(1);
    expect(channelsOf({ width: 1, height: 1, channels: 3, data: new Float32Array(3) })).toBe(3);
    for (const bad of [null, undefined, 3, 'rgb', { width: 1, height: 1, channels: 4, data: new Float32Array(4) }])
      expect(await code(() => channelsOf(bad as never)), String(bad)).toBe('E_INPUT_INVALID');
  });
});
