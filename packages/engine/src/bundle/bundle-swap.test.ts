/**
 * Loading a bundle folder while a save replaces it (review 17, finding 1): the load returns the bundle
 * from before or after the save, whole, or a typed error — never a mix of both, a false "corrupt" or a
 * plain Node ENOENT. Some tests step in between the loader's file-system calls (through the mock below)
 * to make the race happen at an exact moment.
 */
import * as fsp from 'node:fs/promises';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppliedMLError } from '../errors';
import { loadBundle, saveBundle } from './bundle';

type Hook = (path: string) => Promise<void> | void;
const hooks = vi.hoisted(() => ({ before: undefined as Hook | undefined }));

// Every function the loader (old or new) reaches a listed file through runs the hook first.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const wrap =
    <F extends (...args: any[]) => Promise<unknown>>(f: F) =>
    async (...args: Parameters<F>) => {
      if (hooks.before && typeof args[0] === 'string') await hooks.before(args[0]);
      return f(...args);
    };
  return {
    ...actual,
    lstat: wrap(actual.lstat),
    realpath: wrap(actual.realpath),
    readFile: wrap(actual.readFile),
    open: wrap(actual.open),
  };
});

let root: string;
let dir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'appliedml-bundle-swap-'));
  dir = join(root, 'model');
});
afterEach(async () => {
  hooks.before = undefined;
  await rm(root, { recursive: true, force: true });
});

/** A bundle whose every part says which version it is, so a mix of two saves shows. */
function version(v: number) {
  return {
    package: '@appliedml/test',
    packageVersion: '1.0.0',
    task: 'swap-test',
    preprocessing: { version: v },
    files: {
      'a.json': JSON.stringify({ version: v, pad: 'x'.repeat(20_000) }),
      'b.bin': new Uint8Array(50_000).fill(v % 256),
    },
  };
}

async function expectVersion(path: string): Promise<number> {
  const loaded = await loadBundle(path, { task: 'swap-test' });
  const v = (loaded.manifest.preprocessing as { version: number }).version;
  expect((JSON.parse(loaded.files['a.json']!.toString('utf8')) as { version: number }).version).toBe(v);
  expect(loaded.files['b.bin']!.every((byte) => byte === v % 256)).toBe(true);
  return v;
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('loading a bundle while it is saved', () => {
  it('a listed file that vanishes mid-read (the folder unchanged) is typed E_BUNDLE_CORRUPT, not a plain ENOENT', async () => {
    await saveBundle(dir, version(1));
    const target = join(dir, 'b.bin');
    let seenLstat = false;
    hooks.before = (path) => {
      if (path !== target) return;
      // The loader's first look (lstat) finds it; whatever comes next (open, realpath, readFile) does not.
      if (!seenLstat) {
        seenLstat = true;
        return;
      }
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT', errno: -2, path });
    };
    const err = await errorOf(loadBundle(dir));
    expect(AppliedMLError.isInstance(err), `expected an AppliedMLError, got ${String(err)}`).toBe(true);
    expect((err as AppliedMLError).code).toBe('E_BUNDLE_CORRUPT');
    expect((err as AppliedMLError).details).toMatchObject({ file: 'b.bin' });
  });

  it('a save that swaps the folder between the manifest and a file is read again: the new bundle, whole', async () => {
    await saveBundle(dir, version(1));
    const target = join(dir, 'b.bin');
    let swapped = false;
    hooks.before = async (path) => {
      if (path !== target || swapped) return;
      swapped = true;
      await saveBundle(dir, version(2));
    };
    expect(await expectVersion(dir)).toBe(2);
    expect(swapped).toBe(true);
  });

  it('a folder absent between the two renames of a save is waited for while the save’s copy is beside it', async () => {
    await saveBundle(dir, version(3));
    // The state between the renames: the bundle retired aside, the new one still in staging.
    const retired = join(dirname(dir), `.${basename(dir)}.old-0123456789ab`);
    await rename(dir, retired);
    await mkdir(join(dirname(dir), `.${basename(dir)}.tmp-0123456789ab`));
    const target = dir;
    const back = new Promise((resolve) => setTimeout(resolve, 30)).then(() => rename(retired, target));
    try {
      expect(await expectVersion(target)).toBe(3);
    } finally {
      await back;
    }
  });

  it('a bundle genuinely missing or damaged still fails at once', async () => {
    let t0 = Date.now();
    expect((await errorOf(loadBundle(dir))) as AppliedMLError).toMatchObject({ code: 'E_BUNDLE_MISSING' });
    expect(Date.now() - t0).toBeLessThan(1000);
    await saveBundle(dir, version(4));
    await fsp.writeFile(join(dir, 'b.bin'), new Uint8Array(50_000).fill(9));
    t0 = Date.now();
    expect((await errorOf(loadBundle(dir))) as AppliedMLError).toMatchObject({ code: 'E_BUNDLE_CORRUPT', details: { file: 'b.bin' } });
    await rm(join(dir, 'a.json'));
    expect((await errorOf(loadBundle(dir))) as AppliedMLError).toMatchObject({ code: 'E_BUNDLE_CORRUPT', details: { file: 'a.json' } });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('through a symbolic link to the folder (current -> v42), the moment between the renames is waited for too', async () => {
    await saveBundle(dir, version(5));
    const link = join(root, 'current');
    await fsp.symlink(dir, link);
    const retired = join(dirname(dir), `.${basename(dir)}.old-0123456789ab`);
    await rename(dir, retired);
    const back = new Promise((resolve) => setTimeout(resolve, 30)).then(() => rename(retired, dir));
    try {
      expect(await expectVersion(link)).toBe(5);
    } finally {
      await back;
    }
    // A path ending in '/.' names the same folder.
    await rename(dir, retired);
    const again = new Promise((resolve) => setTimeout(resolve, 30)).then(() => rename(retired, dir));
    try {
      expect(await expectVersion(join(dir, '.'))).toBe(5);
    } finally {
      await again;
    }
  });

  it('a copy left by a crashed save does not hold up loads of a missing folder, nor of a folder without a manifest', async () => {
    // A first save killed while writing leaves its staging copy; a load of the folder has nothing to wait for.
    await mkdir(join(root, `.${basename(dir)}.tmp-0123456789ab`));
    let t0 = Date.now();
    expect((await errorOf(loadBundle(dir))) as AppliedMLError).toMatchObject({ code: 'E_BUNDLE_MISSING' });
    expect(Date.now() - t0).toBeLessThan(300);
    // A folder that is there but holds no manifest is not between two renames either.
    await mkdir(join(root, `.${basename(dir)}.old-0123456789ab`));
    await mkdir(dir);
    t0 = Date.now();
    expect((await errorOf(loadBundle(dir))) as AppliedMLError).toMatchObject({ code: 'E_BUNDLE_MISSING' });
    expect(Date.now() - t0).toBeLessThan(300);
  });

  it('a bundle of many files is read one file at a time (it opened them all at once: EMFILE under a low descriptor limit)', async () => {
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 300; i++) files[`part-${i}.bin`] = new Uint8Array(64).fill(i % 256);
    await saveBundle(dir, { ...version(6), files });
    let open = 0;
    let most = 0;
    const real = fsp.open;
    const spy = vi.spyOn(fsp, 'open').mockImplementation(async (...args: Parameters<typeof fsp.open>) => {
      const handle = await real(...args);
      open++;
      most = Math.max(most, open);
      const close = handle.close.bind(handle);
      handle.close = async () => {
        open--;
        return close();
      };
      return handle;
    });
    try {
      const loaded = await loadBundle(dir);
      expect(Object.keys(loaded.files)).toHaveLength(300);
    } finally {
      spy.mockRestore();
    }
    expect(most).toBeLessThanOrEqual(2);
  });

  it('loads while saves run back to back always return one saved version, whole', async () => {
    await saveBundle(dir, version(0));
    let stop = false;
    let saved = 0;
    const saver = (async () => {
      while (!stop) await saveBundle(dir, version(++saved));
    })();
    const seen = new Set<number>();
    const failures: string[] = [];
    let loads = 0;
    const t0 = Date.now();
    try {
      while (Date.now() - t0 < 1500) {
        try {
          const v = await expectVersion(dir);
          expect(v).toBeLessThanOrEqual(saved);
          seen.add(v);
        } catch (e) {
          failures.push(AppliedMLError.isInstance(e) ? `${e.code}: ${e.message}` : `untyped: ${String(e)}`);
        }
        loads++;
      }
    } finally {
      stop = true;
      await saver;
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(loads).toBeGreaterThan(20);
    // The loads did meet the saves: they saw several versions.
    expect(seen.size).toBeGreaterThan(2);
    // No staging or retired copy is left behind.
    expect((await readdir(root)).sort()).toEqual(['model']);
  });
});
