import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { AppliedMLError } from '../errors';
import { statDirectory } from './file-kind';

// A folder the process may not list (mode 000 for another user): tests run as root here, who may list
// anything, so access() is made to refuse as the system does.
const refused = new Set<string>();
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const access: typeof actual.access = async (path, mode) => {
    if (refused.has(String(path)))
      throw Object.assign(new Error(`EACCES: permission denied, access '${String(path)}'`), { code: 'EACCES' });
    return actual.access(path, mode);
  };
  return { ...actual, default: { ...actual, access }, access };
});

const root = mkdtempSync(join(tmpdir(), 'engine-file-kind-unlistable-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('statDirectory on a folder that cannot be listed', () => {
  it('is E_IO "permission denied" with the system code, before a reader lists it', async () => {
    refused.add(root);
    const error = await statDirectory(root, 'images folder', { detailsKey: 'dir' }).then(
      () => 'no error',
      (e: unknown) => e,
    );
    expect(AppliedMLError.hasCode(error, 'E_IO'), String(error)).toBe(true);
    expect((error as AppliedMLError).message).toBe(`Cannot read images folder ${root}: permission denied.`);
    expect((error as AppliedMLError).details).toEqual({ dir: root, reason: 'EACCES' });
    refused.delete(root);
    expect((await statDirectory(root, 'images folder')).isDirectory()).toBe(true);
  });
});
