import { lstat, mkdir, mkdtemp, open, readFile, readdir, readlink, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppliedMLError } from '../errors';
import {
  checkSaveTarget,
  makeDirs,
  removeStaleSiblings,
  replaceDirAtomic,
  waitForSave,
  writeFileDurable,
  type SaveMarker,
} from './atomic-dir';
import { bundleMarker } from './bundle-marker';

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

  it('with a marker, replaces an earlier save or an empty directory but refuses a foreign one untouched', async () => {
    const dir = join(root, 'save');
    const fill = async (staging: string): Promise<void> => writeFile(join(staging, 'index.json'), '{}');
    await mkdir(dir);
    await replaceDirAtomic(dir, fill, { marker: 'index.json' }); // empty: fine
    await replaceDirAtomic(dir, fill, { marker: 'index.json' }); // an earlier save: fine
    const foreign = join(root, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'thesis.tex'), 'years of work');
    await expect(replaceDirAtomic(foreign, fill, { marker: 'index.json' })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    expect(await readFile(join(foreign, 'thesis.tex'), 'utf8')).toBe('years of work');
    expect((await readdir(root)).sort()).toEqual(['foreign', 'save']);
  });

  it("with a SaveMarker, replaces only a folder whose marker file it takes for an earlier save, and another package's never", async () => {
    const marker = (pkg?: string): SaveMarker => ({
      file: 'stream.json',
      ...(pkg ? { package: pkg } : {}),
      writtenBy: (text) => {
        const parsed = JSON.parse(text) as { format?: unknown; by?: unknown };
        if (parsed.format !== 'stream') return false;
        return typeof parsed.by === 'string' ? parsed.by : true;
      },
    });
    const fill = (by: string) => async (staging: string) =>
      writeFile(join(staging, 'stream.json'), JSON.stringify({ format: 'stream', by }));
    const dir = join(root, 'save');
    await replaceDirAtomic(dir, fill('@x/a'), { marker: marker('@x/a') });
    await replaceDirAtomic(dir, fill('@x/a'), { marker: marker('@x/a') }); // its own earlier save
    await replaceDirAtomic(dir, fill('@x/b'), { marker: marker() }); // no package given: any earlier save
    // Another package's save is refused, and left as it is.
    await expect(replaceDirAtomic(dir, fill('@x/a'), { marker: marker('@x/a') })).rejects.toMatchObject({
      code: 'E_BUNDLE_INCOMPATIBLE',
      details: { dir, package: '@x/b', expected: '@x/a' },
    });
    expect(JSON.parse(await readFile(join(dir, 'stream.json'), 'utf8'))).toEqual({ format: 'stream', by: '@x/b' });
    // A file of the marker's name that is not an earlier save's (or that the recogniser throws on): refused, untouched.
    for (const text of ['{"format":"video"}', 'not json', '{"format":"stream","by":""}']) {
      const foreign = join(root, 'foreign');
      await mkdir(foreign);
      await writeFile(join(foreign, 'stream.json'), text);
      await writeFile(join(foreign, 'clip.mp4'), 'frames');
      await expect(replaceDirAtomic(foreign, fill('@x/a'), { marker: marker('@x/a') })).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
        message: `Refusing to save over ${foreign}: it is not empty and its stream.json is not the stream.json of an earlier save (it holds clip.mp4, stream.json). A save replaces its directory whole; choose an empty or new one (or, if it is a damaged earlier save, delete it first).`,
        details: { dir: foreign, marker: 'stream.json', reason: 'not-an-earlier-save' },
      });
      expect(await readFile(join(foreign, 'stream.json'), 'utf8')).toBe(text);
      await rm(foreign, { recursive: true });
    }
    // A marker that is no file, function or package name is refused before anything is read.
    for (const bad of [
      { file: 'stream.json' },
      { file: '', writtenBy: () => true },
      { file: 'a', writtenBy: () => true, package: 3 },
      null,
    ])
      await expect(replaceDirAtomic(dir, fill('@x/a'), { marker: bad as never })).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
        details: { field: 'marker' },
      });
    expect((await readdir(root)).sort()).toEqual(['save']);
  });

  it("a plain marker 'manifest.json' is read as a bundle manifest; another plain name is taken on its presence", async () => {
    const dir = join(root, 'app');
    await mkdir(dir);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ name: 'My PWA', start_url: '/' }));
    await writeFile(join(dir, 'index.html'), '<html></html>');
    const fill = async (staging: string): Promise<void> =>
      writeFile(join(staging, 'manifest.json'), JSON.stringify({ format: 'appliedml-bundle', package: '@x/any' }));
    await expect(replaceDirAtomic(dir, fill, { marker: 'manifest.json' })).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      details: { reason: 'not-an-earlier-save' },
    });
    expect((await readdir(dir)).sort()).toEqual(['index.html', 'manifest.json']);
    const bundle = join(root, 'bundle');
    await replaceDirAtomic(bundle, fill, { marker: 'manifest.json' });
    await replaceDirAtomic(bundle, fill, { marker: 'manifest.json' }); // a bundle of any package: replaced
    await writeFile(join(dir, 'index.json'), 'anything');
    await replaceDirAtomic(dir, fill, { marker: 'index.json' });
    expect(await readdir(dir)).toEqual(['manifest.json']);
  });

  it('checkSaveTarget makes the same checks before any work, and writes nothing', async () => {
    const app = join(root, 'app');
    await mkdir(app);
    await writeFile(join(app, 'manifest.json'), '{"name":"My PWA"}');
    await expect(checkSaveTarget(app, { marker: bundleMarker('@x/a') })).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      details: { reason: 'not-an-earlier-save' },
    });
    const other = join(root, 'other');
    await mkdir(other);
    await writeFile(join(other, 'manifest.json'), JSON.stringify({ format: 'appliedml-bundle', package: '@x/b' }));
    await expect(checkSaveTarget(other, { marker: bundleMarker('@x/a') })).rejects.toMatchObject({ code: 'E_BUNDLE_INCOMPATIBLE' });
    await checkSaveTarget(other, { marker: bundleMarker('@x/b') });
    await checkSaveTarget(join(root, 'new', 'deeper'), { marker: bundleMarker('@x/a') });
    await expect(checkSaveTarget(app, { marker: 'manifest.json', mark: 1 } as never)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(checkSaveTarget('', {})).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    expect((await readdir(root)).sort()).toEqual(['app', 'other']);
  });

  it('refuses the working directory and the directories above it', async () => {
    const inside = join(root, 'work');
    await mkdir(inside);
    const cwd = process.cwd();
    process.chdir(inside);
    try {
      await symlink(root, join(root, 'work', 'up'));
      for (const target of ['.', '..', inside, root, 'up', join('up', 'work'), join('up', 'work', 'up')]) {
        await expect(replaceDirAtomic(target, async () => undefined)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
      }
    } finally {
      process.chdir(cwd);
    }
    expect(await readdir(root)).toEqual(['work']);
  });
});

describe('replaceDirAtomic, concurrent saves', () => {
  it('saves to one folder from one process run one after another: all succeed, the last one called wins', async () => {
    const dir = join(root, 'bundle');
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map((i) =>
        replaceDirAtomic(dir, async (staging) => {
          order.push(i);
          await new Promise((r) => setTimeout(r, 5 * (4 - i)));
          await writeFile(join(staging, 'which.txt'), String(i));
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3]);
    expect(await readFile(join(dir, 'which.txt'), 'utf8')).toBe('3');
    expect(await readdir(root)).toEqual(['bundle']);
    // A failed save in the queue does not stop the next one.
    const failing = replaceDirAtomic(dir, async () => {
      throw new AppliedMLError('E_IO', 'disk full');
    });
    const next = replaceDirAtomic(dir, async (staging) => writeFile(join(staging, 'which.txt'), 'next'));
    await expect(failing).rejects.toMatchObject({ code: 'E_IO' });
    await next;
    expect(await readFile(join(dir, 'which.txt'), 'utf8')).toBe('next');
  });
});

describe('replaceDirAtomic onto or under a file', () => {
  it("names the file when a folder on the path is one: '<dir>: <parent> is a file', not '<dir>: it is a file'", async () => {
    const file = join(root, 'model.bin');
    await writeFile(file, 'x');
    for (const options of [{ marker: 'manifest.json' }, {}]) {
      for (const dir of [join(file, 'sub'), join(file, 'sub', 'deeper')]) {
        const err = await replaceDirAtomic(dir, (staging) => writeFile(join(staging, 'a.txt'), 'a'), options).catch((e: unknown) => e);
        expect(err).toMatchObject({
          code: 'E_INPUT_INVALID',
          message: `Refusing to save to ${dir}: ${file} is a file, not a folder.`,
          details: { dir, file },
        });
      }
    }
    expect(await readdir(root)).toEqual(['model.bin']);
  });

  it('refuses to replace a file with a folder, with or without a marker (without one the file was deleted)', async () => {
    const file = join(root, 'notes.txt');
    await writeFile(file, 'keep me');
    for (const options of [{ marker: 'manifest.json' }, {}]) {
      await expect(replaceDirAtomic(file, (staging) => writeFile(join(staging, 'a.txt'), 'a'), options)).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
        message: `Refusing to save over ${file}: it is a file, not a folder.`,
      });
    }
    expect(await readFile(file, 'utf8')).toBe('keep me');
    expect(await readdir(root)).toEqual(['notes.txt']);
  });
});

describe('makeDirs', () => {
  it('makes every missing level, accepts an existing folder, refuses a path through a file', async () => {
    const deep = join(root, 'a', 'b', 'c');
    await makeDirs(deep);
    expect(await readdir(join(root, 'a', 'b'))).toEqual(['c']);
    await makeDirs(deep);
    await makeDirs(root);
    await writeFile(join(root, 'file'), 'x');
    await expect(makeDirs(join(root, 'file', 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(makeDirs(join(root, 'file'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it.runIf(process.platform === 'linux')(
    "a folder the system will not make is an error, not a hang (Node's recursive mkdir loops under /proc)",
    async () => {
      const started = Date.now();
      await expect(makeDirs('/proc/appliedml-no-such/dir')).rejects.toBeInstanceOf(Error);
      const err = await replaceDirAtomic('/proc/appliedml-no-such/bundle', async () => {}).catch((e: unknown) => e);
      expect(AppliedMLError.isInstance(err) && err.code).toBe('E_IO');
      expect(Date.now() - started).toBeLessThan(5000);
    },
    10_000,
  );
});

describe('replaceDirAtomic, leftovers and bad paths', () => {
  it('removes copies a killed save left beside the folder once untouched for 15 minutes, not younger ones or others', async () => {
    const dir = join(root, 'model');
    for (const name of ['.model.tmp-0123456789ab', '.model.old-ba9876543210', '.other.tmp-0123456789ab', '.model.tmp-keepme']) {
      await mkdir(join(root, name));
      await writeFile(join(root, name, 'weights.bin'), 'x');
    }
    await replaceDirAtomic(dir, async (staging) => writeFile(join(staging, 'manifest.json'), '{}'));
    // Just made: young, kept (a save by another process may be using them).
    expect((await readdir(root)).sort()).toEqual([
      '.model.old-ba9876543210',
      '.model.tmp-0123456789ab',
      '.model.tmp-keepme',
      '.other.tmp-0123456789ab',
      'model',
    ]);
    // A rename keeps mtime, so an old mtime alone does not make a copy stale (its ctime is fresh).
    const old = new Date(Date.now() - 20 * 60_000);
    await utimes(join(root, '.model.old-ba9876543210'), old, old);
    await removeStaleSiblings(dir);
    expect(await readdir(root)).toContain('.model.old-ba9876543210');
    // Twenty minutes on, both leftovers of this folder go; other names stay.
    await removeStaleSiblings(dir, Date.now() + 20 * 60_000);
    expect((await readdir(root)).sort()).toEqual(['.model.tmp-keepme', '.other.tmp-0123456789ab', 'model']);
  });

  it('a save path that is not a non-empty string is E_INPUT_INVALID (not a TypeError from node:path)', async () => {
    for (const bad of [undefined, null, '', '  ', 5, Symbol('x'), 10n]) {
      const err = await replaceDirAtomic(bad as never, async () => undefined).catch((e: unknown) => e);
      expect(AppliedMLError.hasCode(err, 'E_INPUT_INVALID'), String(err)).toBe(true);
    }
  });
});

describe('waitForSave', () => {
  it('waits while a save is between its two renames, then answers true once the folder is back', async () => {
    const dir = join(root, 'scorer');
    await replaceDirAtomic(dir, (staging) => writeFile(join(staging, 'state.json'), '1'));
    // The moment between the renames, as replaceDirAtomic leaves it: the folder retired aside, the new one in staging.
    const retired = join(root, '.scorer.old-0123456789ab');
    const staging = join(root, '.scorer.tmp-0123456789ab');
    await rename(dir, retired);
    await mkdir(staging);
    await writeFile(join(staging, 'state.json'), '2');
    const done = new Promise((resolve) => setTimeout(resolve, 60)).then(async () => {
      await rename(staging, dir);
      await rm(retired, { recursive: true });
    });
    const t0 = Date.now();
    expect(await waitForSave(dir)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(50);
    expect(await readFile(join(dir, 'state.json'), 'utf8')).toBe('2');
    await done;
  });

  it('answers false at once with no save under way: a folder that is there, missing, or left by a crashed first save', async () => {
    const dir = join(root, 'scorer');
    let t0 = Date.now();
    expect(await waitForSave(dir)).toBe(false);
    await mkdir(join(root, '.scorer.tmp-0123456789ab'));
    expect(await waitForSave(dir)).toBe(false);
    await mkdir(dir);
    expect(await waitForSave(dir)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(300);
    // A save that never finishes: false after the wait, the folder still absent.
    await rm(dir, { recursive: true });
    await mkdir(join(root, '.scorer.old-0123456789ab'));
    t0 = Date.now();
    expect(await waitForSave(dir, { maxWaitMs: 120 })).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('refuses a maxWaitMs that is not a number from 0', async () => {
    for (const maxWaitMs of [-1, Number.NaN, '100' as unknown as number])
      await expect(waitForSave(join(root, 'x'), { maxWaitMs })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
  });

  it('refuses an option name it does not know (a misspelt maxWait waited the default 2 s without a word), a non-object and a non-path', async () => {
    const dir = join(root, 'x');
    await expect(waitForSave(dir, { maxWait: 100 } as unknown as { maxWaitMs: number })).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: "waitForSave options has no option 'maxWait'; valid: maxWaitMs.",
      details: { field: 'waitForSave options', unknown: ['maxWait'] },
    });
    await expect(waitForSave(dir, null as unknown as { maxWaitMs: number })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(waitForSave(42 as unknown as string)).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      details: { field: 'waitForSave dir' },
    });
    expect(await waitForSave(dir, { maxWaitMs: 10 })).toBe(false);
  });
});

describe('replaceDirAtomic through a symbolic link', () => {
  const fill = (text: string) => async (staging: string) => writeFile(join(staging, 'index.json'), text);

  it("replaces the folder the link points to and keeps the link (a save made 'current' a folder, 'v3' kept the old bundle)", async () => {
    const models = join(root, 'models');
    await mkdir(join(models, 'v3'), { recursive: true });
    await writeFile(join(models, 'v3', 'index.json'), 'old');
    await symlink('v3', join(models, 'current'));
    await replaceDirAtomic(join(models, 'current'), fill('new'), { marker: 'index.json' });
    expect((await lstat(join(models, 'current'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(models, 'current'))).toBe('v3');
    expect(await readFile(join(models, 'v3', 'index.json'), 'utf8')).toBe('new');
    expect((await readdir(models)).sort()).toEqual(['current', 'v3']); // no staging or retired copy left
    // A link to a link, absolute, in another folder: the last folder is replaced, beside itself.
    await mkdir(join(root, 'elsewhere'));
    await symlink(join(models, 'current'), join(root, 'elsewhere', 'live'));
    await replaceDirAtomic(join(root, 'elsewhere', 'live'), fill('newer'), { marker: 'index.json' });
    expect(await readFile(join(models, 'v3', 'index.json'), 'utf8')).toBe('newer');
    expect(await readdir(join(root, 'elsewhere'))).toEqual(['live']);
  });

  it('makes the folder a dangling link points to, and refuses a loop of links', async () => {
    await symlink('next', join(root, 'current'));
    await replaceDirAtomic(join(root, 'current'), fill('first'), { marker: 'index.json' });
    expect((await lstat(join(root, 'current'))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(root, 'next', 'index.json'), 'utf8')).toBe('first');
    await symlink('b', join(root, 'a'));
    await symlink('a', join(root, 'b'));
    const error = await replaceDirAtomic(join(root, 'a'), fill('x')).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(error, 'E_INPUT_INVALID'), String(error)).toBe(true);
    expect((await lstat(join(root, 'a'))).isSymbolicLink()).toBe(true);
  });

  /** real/models/current -> ../releases/v3, and app/models -> real/models: the layout of review R5-1. */
  async function linkedParentLayout(): Promise<{ link: string; v3: string }> {
    await mkdir(join(root, 'real', 'models'), { recursive: true });
    await mkdir(join(root, 'real', 'releases', 'v3'), { recursive: true });
    await writeFile(join(root, 'real', 'releases', 'v3', 'index.json'), 'old');
    await symlink(join('..', 'releases', 'v3'), join(root, 'real', 'models', 'current'));
    await mkdir(join(root, 'app'));
    await symlink(join(root, 'real', 'models'), join(root, 'app', 'models'));
    return { link: join(root, 'app', 'models', 'current'), v3: join(root, 'real', 'releases', 'v3') };
  }

  it("reads a relative target from the link's real folder, as the OS does ('..' under a linked parent went to a stray folder)", async () => {
    const { link, v3 } = await linkedParentLayout();
    await replaceDirAtomic(link, fill('new'), { marker: 'index.json' });
    expect(await readFile(join(v3, 'index.json'), 'utf8')).toBe('new');
    expect(await readFile(join(link, 'index.json'), 'utf8')).toBe('new'); // what a reader of the link gets
    expect(await readdir(join(root, 'app'))).toEqual(['models']); // no app/releases/v3 made
    expect(await readdir(join(root, 'real', 'releases'))).toEqual(['v3']);
  });

  it('through such a link, a save between its two renames is seen (waitForSave waits, then answers true)', async () => {
    const { link, v3 } = await linkedParentLayout();
    const retired = join(dirname(v3), `.v3.old-0123456789ab`);
    await rename(v3, retired);
    const back = new Promise((done) => setTimeout(done, 30)).then(() => rename(retired, v3));
    try {
      expect(await waitForSave(link, { maxWaitMs: 2000 })).toBe(true);
    } finally {
      await back;
    }
  });

  it('a save to the link and one to the folder it points to, started together, run one after the other', async () => {
    const { link, v3 } = await linkedParentLayout();
    const order: string[] = [];
    const slowFill = (name: string, ms: number) => async (staging: string) => {
      order.push(`start ${name}`);
      await new Promise((done) => setTimeout(done, ms));
      await writeFile(join(staging, 'index.json'), name);
      order.push(`end ${name}`);
    };
    await Promise.all([
      replaceDirAtomic(link, slowFill('link', 40), { marker: 'index.json' }),
      replaceDirAtomic(v3, slowFill('folder', 1), { marker: 'index.json' }),
    ]);
    expect(order).toEqual(['start link', 'end link', 'start folder', 'end folder']);
    expect(await readFile(join(v3, 'index.json'), 'utf8')).toBe('folder'); // the last one called wins
    expect(await readdir(join(root, 'real', 'releases'))).toEqual(['v3']);
  });
});

/**
 * Runs `run` and gives the permission bits (octal text) each file had when data first went into it
 * through a FileHandle: the real file's fstat, taken just before the write begins.
 */
async function modesWhenWritten(run: () => Promise<void>): Promise<string[]> {
  const probe = await open(join(root, '.probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as Record<'write' | 'writeFile' | 'writev', (...args: unknown[]) => Promise<unknown>>;
  await probe.close();
  await rm(join(root, '.probe'));
  const seen: string[] = [];
  const originals = { write: proto.write, writeFile: proto.writeFile, writev: proto.writev };
  for (const name of ['write', 'writeFile', 'writev'] as const) {
    proto[name] = async function (this: FileHandle, ...args: unknown[]) {
      seen.push(((await this.stat()).mode & 0o777).toString(8));
      return originals[name].apply(this, args);
    };
  }
  try {
    await run();
  } finally {
    Object.assign(proto, originals);
  }
  return seen;
}

describe('writeFileDurable', () => {
  it('writes a new file whole; it refuses a file that exists (left as it was)', async () => {
    const file = join(root, 'a.txt');
    await writeFileDurable(file, 'one');
    expect(await readFile(file, 'utf8')).toBe('one');
    await expect(writeFileDurable(file, 'two')).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(file, 'utf8')).toBe('one');
  });

  // The file was made with the umask's mode (0644) and the data went in before any chmod: a caller
  // writing a private file's new contents had them readable by everyone while the write ran.
  it('with a mode, the file has exactly that mode before the first byte is written (narrower and wider than the umask allows)', async () => {
    const previous = process.umask(0o022);
    try {
      for (const mode of [0o600, 0o640, 0o664, 0o400, 0o000]) {
        const file = join(root, `mode-${mode.toString(8)}.txt`);
        const seen = await modesWhenWritten(() => writeFileDurable(file, 'private', { mode }));
        expect([mode.toString(8), seen]).toEqual([mode.toString(8), [mode.toString(8)]]);
        expect(((await stat(file)).mode & 0o777).toString(8)).toBe(mode.toString(8));
      }
      // Without a mode: the umask's, as before.
      const plain = join(root, 'plain.txt');
      expect(await modesWhenWritten(() => writeFileDurable(plain, 'x'))).toEqual(['644']);
    } finally {
      process.umask(previous);
    }
  });

  it('a mode that is no permission bits, or an unknown option, is E_INPUT_INVALID and nothing is created', async () => {
    for (const mode of [-1, 0o1000, 0o4755, 1.5, Number.NaN, '600', null]) {
      const err = await writeFileDurable(join(root, 'bad.txt'), 'x', { mode: mode as number }).catch((e: unknown) => e);
      expect(AppliedMLError.hasCode(err, 'E_INPUT_INVALID'), `${String(mode)}: ${String(err)}`).toBe(true);
    }
    const err = await writeFileDurable(join(root, 'bad.txt'), 'x', { mdoe: 0o600 } as never).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(err, 'E_INPUT_INVALID') && err.message).toContain("'mdoe'");
    expect(await readdir(root)).toEqual([]);
  });
});
