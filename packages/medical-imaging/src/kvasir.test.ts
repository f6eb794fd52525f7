import { describe, expect, it } from 'vitest';
import { kvasirIds, readKvasirSeg } from './kvasir';
import { codeOf as code } from './test-discs';

describe('Kvasir-SEG reader arguments', () => {
  it('refuses a root that is not a path (E_INPUT_INVALID)', async () => {
    for (const bad of [null, undefined, 5, '']) expect(await code(() => kvasirIds(bad as never)), String(bad)).toBe('E_INPUT_INVALID');
    expect(await code(() => readKvasirSeg(null as never, ['a'], 8))).toBe('E_INPUT_INVALID');
  });
});
