import { describe, expect, it } from 'vitest';
import { createRng } from '../random';
import { cacheDirFromEnv, dataDirFromEnv, downloadAllowedFromEnv } from './resolver';
import { expectCode } from './test-helpers';

// Left by the engine API fuzz (review 17): null where an environment or an array belongs was a TypeError.
describe('environment readers and shuffle', () => {
  it('refuse a null environment and a non-array to shuffle with E_INPUT_INVALID; undefined keeps the defaults', async () => {
    for (const read of [dataDirFromEnv, cacheDirFromEnv, downloadAllowedFromEnv])
      await expectCode(() => read(null as never), 'E_INPUT_INVALID');
    expect(dataDirFromEnv({ APPLIEDML_DATA_DIR: '/data' })).toBe('/data');
    expect(downloadAllowedFromEnv({})).toBe(false);
    expect(typeof cacheDirFromEnv(undefined)).toBe('string');
    const rng = createRng(1);
    for (const items of [null, 'abc', { length: 3 }]) await expectCode(() => rng.shuffle(items as never), 'E_INPUT_INVALID');
    expect(rng.shuffle([1, 2, 3]).sort()).toEqual([1, 2, 3]);
  });
});
