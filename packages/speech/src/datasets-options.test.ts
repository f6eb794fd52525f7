// readFsdd passes its options to the engine's resolveDataset, which checked their names: a misspelt
// `datadir` was refused as "resolveDataset options has no option 'datadir'", naming a function the
// caller never called. readFsdd checks them first, in its own name (as traffic's loadLosLoop does).
import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { readFsdd } from './datasets';

describe('readFsdd options', () => {
  it("a misspelt option is refused in readFsdd's name, before anything is looked up", async () => {
    const error = await readFsdd({ datadir: '/nowhere' } as never).then(
      () => undefined,
      (e: unknown) => e as AppliedMLError,
    );
    expect(error).toBeInstanceOf(AppliedMLError);
    expect(error?.code).toBe('E_INPUT_INVALID');
    expect(error?.message).toMatch(/^readFsdd options has no option 'datadir'; valid: dataDir, /);
    expect(error?.details).toMatchObject({ field: 'readFsdd options', unknown: ['datadir'] });
  });
});
