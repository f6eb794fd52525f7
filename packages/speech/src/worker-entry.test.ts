import { describe, expect, it } from 'vitest';
import { memberWorkersAvailable } from './parallel-members';

// The worker entry is found from this module's own location (import.meta.url, read when asked, not at
// import: a CommonJS bundle of the ESM build empties import.meta and used to crash at load through
// tsup's __filename shim). From the sources it is member-worker.ts beside parallel-members.ts.
describe('the ensemble worker entry', () => {
  it('is found beside the module when run from source', () => {
    expect(memberWorkersAvailable()).toBe(true);
  });
});
