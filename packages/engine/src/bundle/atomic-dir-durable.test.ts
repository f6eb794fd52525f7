import type { FileHandle } from 'node:fs/promises';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppliedMLError } from '../errors';
import { makeDirs, replaceDirAtomic, writeDirAtomic } from './atomic-dir';

/**
 * The file-system calls of a save, in order: every fsync (of a folder or a file, by path) and every
 * rename. A folder's fsync can be made to fail with a given code, as a file system would.
 */
const log: string[] = [];
const faults: { dirSync?: { path?: string; code: string } } = {};

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (...args: Parameters<typeof actual.open>): Promise<FileHandle> => {
    const handle = await actual.open(...args);
    const path = String(args[0]);
    const isDir = (await handle.stat()).isDirectory();
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      const fault = faults.dirSync;
      if (isDir && fault && (fault.path === undefined || fault.path === path))
        throw Object.assign(new Error(`${fault.code}: injected, fsync '${path}'`), { code: fault.code });
      await sync();
      log.push(`${isDir ? 'sync-dir' : 'sync-file'} ${path}`);
    };
    return handle;
  };
  const rename = async (from: string, to: string): Promise<void> => {
    await actual.rename(from, to);
    log.push(`rename ${from} -> ${to}`);
  };
  return { ...actual, open, rename };
});

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'appliedml-durable-'));
  log.length = 0;
  faults.dirSync = undefined;
});
afterEach(async () => {
  faults.dirSync = undefined;
  await rm(root, { recursive: true, force: true });
});

/** `log` with the random part of the staging and retired names left out ('.model.tmp', '.model.old'). */
function events(): string[] {
  return log.map((line) => line.replace(/\.tmp-[0-9a-f]{12}/g, '.tmp').replace(/\.old-[0-9a-f]{12}/g, '.old'));
}

const at = (name: string): number => {
  const i = events().indexOf(name);
  expect(i, `${name} in ${JSON.stringify(events(), null, 1)}`).toBeGreaterThanOrEqual(0);
  return i;
};

describe.skipIf(process.platform === 'win32')(
  'replaceDirAtomic makes its renames durable (review s28 R1-13: only the files were fsynced)',
  () => {
    it('fsyncs the staging folder after its files and before the renames, and the parent folder after them', async () => {
      const dir = join(root, 'model');
      await writeDirAtomic(dir, { 'a.bin': 'one', 'manifest.json': '{}' });
      log.length = 0;
      await writeDirAtomic(dir, { 'a.bin': 'two', 'manifest.json': '{}' });
      const staging = join(root, '.model.tmp');
      const swapIn = at(`rename ${staging} -> ${dir}`);
      const retire = at(`rename ${dir} -> ${join(root, '.model.old')}`);
      const stagingSync = at(`sync-dir ${staging}`);
      const parentSync = at(`sync-dir ${root}`);
      // Every file fsynced before its folder, the folder before the renames, the parent after them.
      expect(at(`sync-file ${join(staging, 'a.bin')}`)).toBeLessThan(stagingSync);
      expect(at(`sync-file ${join(staging, 'manifest.json')}`)).toBeLessThan(stagingSync);
      expect(stagingSync).toBeLessThan(retire);
      expect(retire).toBeLessThan(swapIn);
      expect(parentSync).toBeGreaterThan(swapIn);
      expect(await readFile(join(dir, 'a.bin'), 'utf8')).toBe('two');
    });

    it("fsyncs a fill's subfolders before the staging folder, and the folders a first save made above its parent", async () => {
      const dir = join(root, 'a', 'b', 'model');
      await replaceDirAtomic(dir, async (staging) => {
        await mkdir(join(staging, 'detector'));
        await writeFile(join(staging, 'detector', 'x.json'), 'x');
        await writeFile(join(staging, 'manifest.json'), '{}');
      });
      const staging = join(root, 'a', 'b', '.model.tmp');
      expect(at(`sync-dir ${join(staging, 'detector')}`)).toBeLessThan(at(`sync-dir ${staging}`));
      const swapIn = at(`rename ${staging} -> ${dir}`);
      expect(at(`sync-dir ${staging}`)).toBeLessThan(swapIn);
      // root/a and root/a/b were made by this save: their entries in root and root/a are flushed too.
      for (const folder of [join(root, 'a', 'b'), join(root, 'a'), root]) expect(at(`sync-dir ${folder}`)).toBeGreaterThan(swapIn);
    });

    it('makeDirs resolves to the folders it made, outermost first (the ones whose entries a first save flushes)', async () => {
      expect(await makeDirs(join(root, 'x', 'y'))).toEqual([join(root, 'x'), join(root, 'x', 'y')]);
      expect(await makeDirs(join(root, 'x', 'y'))).toEqual([]);
    });

    it.each(['EINVAL', 'EPERM', 'ENOTSUP'])('a file system that refuses to fsync a folder (%s) saves all the same', async (code) => {
      faults.dirSync = { code };
      const dir = join(root, 'model');
      await writeDirAtomic(dir, { 'a.bin': 'one' });
      await writeDirAtomic(dir, { 'a.bin': 'two' });
      expect(await readFile(join(dir, 'a.bin'), 'utf8')).toBe('two');
      expect(await readdir(root)).toEqual(['model']);
    });

    it('an EIO flushing the staging folder fails the save before the renames: the previous folder stays, no staging copy is left', async () => {
      const dir = join(root, 'model');
      await writeDirAtomic(dir, { 'a.bin': 'one' });
      log.length = 0;
      faults.dirSync = { code: 'EIO' };
      const error = await writeDirAtomic(dir, { 'a.bin': 'two' }).catch((e: unknown) => e);
      expect(AppliedMLError.hasCode(error, 'E_IO'), String(error)).toBe(true);
      expect(events().some((line) => line.startsWith('rename'))).toBe(false);
      expect(await readFile(join(dir, 'a.bin'), 'utf8')).toBe('one');
      expect(await readdir(root)).toEqual(['model']);
    });

    it('an EIO flushing the parent after the renames is E_IO saying the save is in place and where the previous copy is kept', async () => {
      const dir = join(root, 'model');
      await writeDirAtomic(dir, { 'a.bin': 'one' });
      faults.dirSync = { path: root, code: 'EIO' };
      const error = (await writeDirAtomic(dir, { 'a.bin': 'two' }).catch((e: unknown) => e)) as AppliedMLError;
      expect(AppliedMLError.hasCode(error, 'E_IO'), String(error)).toBe(true);
      expect(error.message).toContain(`Saved to ${dir}, but the system could not flush ${root}`);
      expect(await readFile(join(dir, 'a.bin'), 'utf8')).toBe('two');
      const kept = (await readdir(root)).find((name) => name.startsWith('.model.old-'));
      expect(kept, String(await readdir(root))).toBeDefined();
      expect(error.message).toContain(join(root, kept!));
      expect(await readFile(join(root, kept!, 'a.bin'), 'utf8')).toBe('one');
    });
  },
);
