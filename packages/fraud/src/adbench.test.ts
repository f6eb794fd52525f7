// loadAdbench passes its options to the engine's resolveDataset, which checked their names: a misspelt
// `datadir` was refused as "resolveDataset options has no option 'datadir'", naming a function the
// caller never called. loadAdbench checks them first, in its own name (as traffic's loadLosLoop does).
import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { loadAdbench } from './adbench';

async function failure(p: Promise<unknown>): Promise<AppliedMLError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
  return error as AppliedMLError;
}

describe('loadAdbench options', () => {
  it("a misspelt option is refused in loadAdbench's name, before anything is looked up", async () => {
    const error = await failure(loadAdbench('thyroid', { datadir: '/nowhere' } as never));
    expect(error.code).toBe('E_INPUT_INVALID');
    expect(error.message).toMatch(/^loadAdbench options has no option 'datadir'; valid: dataDir, /);
    expect(error.details).toMatchObject({ field: 'loadAdbench options', unknown: ['datadir'] });
    // Not an object of options: named the same way.
    expect((await failure(loadAdbench('thyroid', 'dir' as never))).message).toMatch(/^loadAdbench options must be/);
  });

  it("a set's name is one of its own: 'constructor' or a non-string is an unknown set", async () => {
    for (const name of ['constructor', 'toString', '__proto__', 42, undefined] as unknown[]) {
      const error = await failure(loadAdbench(name as string, { dataDir: '/nonexistent-fraud-dir', env: {} }));
      expect(error.code, String(name)).toBe('E_INPUT_INVALID');
      expect(error.message).toMatch(/^Unknown ADBench set .*\. Known: campaign, donors, /);
      expect(error.details).toEqual({ field: 'name' });
    }
    expect((await failure(loadAdbench('constructor'))).message).toMatch(/^Unknown ADBench set 'constructor'\./);
  });
});
