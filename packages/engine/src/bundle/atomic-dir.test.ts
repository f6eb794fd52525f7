import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppliedMLError } from '../errors';
import { replaceDirAtomic } from './atomic-dir';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'appliedml-atomic-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('replaceDirAtomic', () => {
  it('builds nested content in staging and swaps it in, replacing what was there', async () => {
    const dir = join(root, 'bundle');
    await mkdir(dir);
    await writeFile(join(dir, 'old.txt'), 'old');
    await replaceDirAtomic(dir, async (staging) => {
      expect(await readdir(staging)).toEqual([]);
      await mkdir(join(staging, 'member-0'));
      await writeFile(join(staging, 'member-0', 'a.txt'), 'a');
      await writeFile(join(staging, 'index.json'), '{}');
    });
    expect((await readdir(dir)).sort()).toEqual(['index.json', 'member-0']);
    expect(await readFile(join(dir, 'member-0', 'a.txt'), 'utf8')).toBe('a');
    expect(await readdir(root)).toEqual(['bundle']); // no staging or retired directory left
  });

  it('leaves the previous directory untouched and no staging behind when the fill fails', async () => {
    const dir = join(root, 'bundle');
    await mkdir(dir);
    await writeFile(join(dir, 'keep.txt'), 'keep');
    const typed = new AppliedMLError('E_IO', 'member could not be written');
    await expect(
      replaceDirAtomic(dir, async (staging) => {
        await writeFile(join(staging, 'half.txt'), 'half');
        throw typed;
      }),
    ).rejects.toBe(typed); // a typed error from the fill passes through as it is
    await expect(
      replaceDirAtomic(dir, async () => {
        throw new Error('disk full');
      }),
    ).rejects.toMatchObject({ code: 'E_IO' }); // anything else becomes E_IO
    expect(await readdir(dir)).toEqual(['keep.txt']);
    expect(await readFile(join(dir, 'keep.txt'), 'utf8')).toBe('keep');
    expect(await readdir(root)).toEqual(['bundle']);
  });
});
