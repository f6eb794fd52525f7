import {
  chmodSync,
  lstatSync,
  statSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { writeOutputFile } from './write-output';

/**
 * Folders whose refusal the tests inject (`refuse`), since a mode cannot make one where the tests run as
 * root (CI does): root creates files in a 0555 folder. The refusal is the system's as Node gives it (an
 * Error with errno, code, syscall and path), made by node:fs/promises' `open` and `rename`, the calls the
 * writer and the engine's writeFileDurable make; every other call, and every other folder, is the real one.
 * - 'create': a folder without write permission (EACCES) or on a read-only file system (EROFS): a new
 *   file cannot be opened in it nor a file renamed into it (EROFS: no file in it opened for writing); an
 *   existing file there may still be written in place, as the system allows.
 * - 'replace': the old file may not be replaced (EPERM: immutable, or another user's in a sticky folder):
 *   the temporary file is made beside it, and the rename over it is refused.
 */
type Refusal = { code: 'EACCES' | 'EROFS' | 'EPERM'; at: 'create' | 'replace' };
const refusals = vi.hoisted(() => new Map<string, Refusal>());
const refuse = (folder: string, refusal: Refusal): void => void refusals.set(folder, refusal);
afterEach(() => refusals.clear());

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const { dirname } = await import('node:path');
  const { constants } = await import('node:os');
  const { constants: fs } = await import('node:fs');
  const words = { EACCES: 'permission denied', EROFS: 'read-only file system', EPERM: 'operation not permitted' };
  // As Node words it: "EACCES: permission denied, open '/out/.r.html.1a2b3c.tmp'".
  const refused = (code: Refusal['code'], syscall: string, path: string, dest?: string): NodeJS.ErrnoException =>
    Object.assign(new Error(`${code}: ${words[code]}, ${syscall} '${path}'${dest === undefined ? '' : ` -> '${dest}'`}`), {
      errno: -constants.errno[code],
      code,
      syscall,
      path,
      ...(dest === undefined ? {} : { dest }),
    });
  const writes = (flags: string | number | undefined): boolean =>
    typeof flags === 'number' ? (flags & (fs.O_WRONLY | fs.O_RDWR | fs.O_CREAT)) !== 0 : /[wa+]/.test(flags ?? 'r');
  const exists = (path: import('node:fs').PathLike): Promise<boolean> =>
    actual.lstat(path).then(
      () => true,
      () => false,
    );
  const open: typeof actual.open = async (path, flags, mode) => {
    const refusal = refusals.get(dirname(String(path)));
    if (refusal?.at === 'create' && writes(flags) && (refusal.code === 'EROFS' || !(await exists(path)))) {
      throw refused(refusal.code, 'open', String(path));
    }
    return actual.open(path, flags, mode);
  };
  const rename: typeof actual.rename = async (from, to) => {
    const refusal = refusals.get(dirname(String(to)));
    if (refusal?.at === 'create' || (refusal?.at === 'replace' && (await exists(to)))) {
      throw refused(refusal.code, 'rename', String(from), String(to));
    }
    return actual.rename(from, to);
  };
  return { ...actual, open, rename };
});

const root = mkdtempSync(join(tmpdir(), 'demo-kit-out-'));
afterAll(() => {
  chmodSync(root, 0o755);
  for (const name of readdirSync(root)) rmSync(join(root, name), { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

/** Names starting with '.' under `dir`: a temporary file a failed write left behind. */
const hidden = (dir: string): string[] => readdirSync(dir).filter((n) => n.startsWith('.'));

async function failure(
  path: string,
  data: Uint8Array | string = 'new',
): Promise<{ code: string; message: string; details: Record<string, unknown>; cause?: unknown }> {
  const error: unknown = await writeOutputFile(path, data).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `writing ${path} should fail`).toBeDefined();
  return error as { code: string; message: string; details: Record<string, unknown>; cause?: unknown };
}

/** The folders' refusals the tests inject (see `refuse`), with the reason the message gives. */
const refused: { as: string; refusal: Refusal; why: string }[] = [
  { as: 'a read-only folder (EACCES)', refusal: { code: 'EACCES', at: 'create' }, why: 'no permission to create files there' },
  {
    as: 'a folder on a read-only file system (EROFS, as /sys)',
    refusal: { code: 'EROFS', at: 'create' },
    why: 'it is on a read-only file system',
  },
];

/** Rows for it.each named by their `as` (a `$as` in the title is quoted and cut short). */
const cases = <T extends { as: string }>(rows: T[]): [string, T][] => rows.map((row) => [row.as, row]);

/** `cause` is the injected refusal of the temporary file (`.r.html.<12 hex>.tmp` in `folder`): its open, or its rename. */
function expectRefusedTemporary(cause: unknown, refusal: Refusal, folder: string): void {
  expect(cause).toMatchObject({ code: refusal.code, syscall: refusal.at === 'create' ? 'open' : 'rename' });
  const path = String((cause as NodeJS.ErrnoException).path);
  expect([dirname(path), basename(path)]).toEqual([folder, expect.stringMatching(/^\.r\.html\.[0-9a-f]{12}\.tmp$/)]);
}

// Root writes into a folder whatever its mode says; /sys refuses new files even to root.
const isRoot = process.getuid?.() === 0;
const sysRefuses = await open('/sys/.appliedml-probe.tmp', 'wx').then(
  async (handle) => {
    await handle.close();
    return false;
  },
  (e: unknown) => ['EACCES', 'EPERM', 'EROFS'].includes((e as NodeJS.ErrnoException).code ?? ''),
);

/**
 * Runs `run` and gives the permission bits (octal text) each file had when data first went into it
 * through a FileHandle (the real file's fstat, taken just before the write begins).
 */
async function modesWhenWritten(dir: string, run: () => Promise<void>): Promise<string[]> {
  const probePath = join(dir, '.probe');
  const probe = await open(probePath, 'w');
  const proto = Object.getPrototypeOf(probe) as Record<'write' | 'writeFile' | 'writev', (...args: unknown[]) => Promise<unknown>>;
  await probe.close();
  rmSync(probePath);
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

describe('writeOutputFile', () => {
  it('writes a new file, creating its folder, and replaces an old one whole', async () => {
    const file = join(root, 'reports', 'r.html');
    await writeOutputFile(file, '<p>one</p>');
    await writeOutputFile(file, new TextEncoder().encode('<p>two</p>'));
    expect(readFileSync(file, 'utf8')).toBe('<p>two</p>');
    expect(readdirSync(join(root, 'reports'))).toEqual(['r.html']); // no temporary file left
  });

  // The temporary file was made with the umask's mode and renamed over the old file: a private 0600
  // report became 0644, readable by everyone on the machine.
  it("keeps a replaced file's permission bits (0600 stays 0600), not its setuid bit; a new file gets the umask's", async () => {
    const modeOf = (path: string): number => statSync(path).mode & 0o7777;
    for (const mode of [0o600, 0o640, 0o755, 0o444]) {
      const file = join(root, `mode-${mode.toString(8)}.html`);
      writeFileSync(file, 'old');
      chmodSync(file, mode);
      await writeOutputFile(file, 'new');
      expect([mode.toString(8), readFileSync(file, 'utf8'), modeOf(file).toString(8)]).toEqual([mode.toString(8), 'new', mode.toString(8)]);
    }
    const setuid = join(root, 'mode-setuid.html');
    writeFileSync(setuid, 'old');
    chmodSync(setuid, 0o4750);
    await writeOutputFile(setuid, 'new');
    expect(modeOf(setuid).toString(8)).toBe('750');
    const fresh = join(root, 'mode-new.html');
    await writeOutputFile(fresh, 'new');
    const umask = process.umask();
    expect(modeOf(fresh).toString(8)).toBe((0o666 & ~umask).toString(8));
  });

  it('a path that is a folder (empty or not) is E_INPUT_INVALID naming it as a folder; the folder is left as it was, no temporary file', async () => {
    const clash = join(root, 'clash');
    await writeOutputFile(join(clash, 'inner.txt'), 'previous');
    const empty = join(root, 'empty-folder');
    mkdirSync(empty);
    for (const folder of [clash, empty]) {
      const error = await failure(folder);
      expect(error.code).toBe('E_INPUT_INVALID');
      expect(error.message).toBe(
        `Cannot write ${folder}: it is a folder, not a file; give a file name inside it, e.g. ${join(folder, 'report.html')}.`,
      );
      expect(error.details).toMatchObject({ path: folder, reason: 'folder' });
    }
    expect(readdirSync(clash)).toEqual(['inner.txt']);
    expect(readFileSync(join(clash, 'inner.txt'), 'utf8')).toBe('previous');
    expect(readdirSync(empty)).toEqual([]);
    expect(hidden(root)).toEqual([]);
  });

  it('a path ending in a separator names a folder: E_INPUT_INVALID, nothing made', async () => {
    const error = await failure(join(root, 'not-yet') + '/');
    expect(error.code).toBe('E_INPUT_INVALID');
    expect(error.message).toContain("it names a folder (it ends in '/')");
    expect(readdirSync(root)).not.toContain('not-yet');
  });

  it('a path through a file (notes.txt/out.html) is E_INPUT_INVALID naming the file; the file is left as it was, no temporary file', async () => {
    const notes = join(root, 'notes.txt');
    writeFileSync(notes, 'keep me');
    for (const path of [join(notes, 'out.html'), join(notes, 'deeper', 'out.html')]) {
      const error = await failure(path);
      expect(error.code).toBe('E_INPUT_INVALID');
      expect(error.message).toBe(`Cannot write ${path}: ${notes} is a file, not a folder.`);
      expect(error.details).toMatchObject({ path, reason: 'not-a-folder', file: notes });
    }
    expect(readFileSync(notes, 'utf8')).toBe('keep me');
    expect(hidden(root)).toEqual([]);
  });

  it.skipIf(isRoot)('a read-only folder is E_IO saying it cannot be written; the old file is intact, no temporary file', async () => {
    const locked = join(root, 'locked');
    const file = join(locked, 'r.html');
    await writeOutputFile(file, 'old');
    chmodSync(locked, 0o555);
    try {
      const error = await failure(file);
      expect(error.code).toBe('E_IO');
      expect(error.message).toBe(
        `Cannot write ${file}: the folder ${locked} cannot be written (no permission to create files there). Choose another output path.`,
      );
    } finally {
      chmodSync(locked, 0o755);
    }
    expect(readdirSync(locked)).toEqual(['r.html']);
    expect(readFileSync(file, 'utf8')).toBe('old');
  });

  // The case above as root too (CI): the refusal injected, not made with a mode root ignores.
  it.each(cases(refused))(
    '%s is E_IO naming the folder, never the temporary file; the old file is intact, no temporary file (injected)',
    async (_as, { refusal, why }) => {
      const locked = join(root, `refused-${refusal.code}`);
      const file = join(locked, 'r.html');
      await writeOutputFile(file, 'old');
      refuse(locked, refusal);
      const error = await failure(file);
      expect(error.code).toBe('E_IO');
      expect(error.message).toBe(`Cannot write ${file}: the folder ${locked} cannot be written (${why}). Choose another output path.`);
      expect(error.details).toEqual({ path: file, reason: refusal.code });
      expectRefusedTemporary(error.cause, refusal, locked);
      expect(readdirSync(locked)).toEqual(['r.html']);
      expect(readFileSync(file, 'utf8')).toBe('old');
    },
  );

  // The temporary file was made with the umask's 0644, the new contents written and fsynced into it,
  // and only then chmod-ed to the old 0600: the private report was readable by everyone during the write.
  it('the temporary file is never wider than the replaced file: it has its bits before the first byte goes in', async () => {
    const previous = process.umask(0o022);
    try {
      for (const mode of [0o600, 0o640, 0o400, 0o660]) {
        const file = join(root, `window-${mode.toString(8)}.html`);
        writeFileSync(file, 'old');
        chmodSync(file, mode);
        const seen = await modesWhenWritten(root, () => writeOutputFile(file, 'new private report'));
        expect([mode.toString(8), seen]).toEqual([mode.toString(8), [mode.toString(8)]]);
        expect((statSync(file).mode & 0o777).toString(8)).toBe(mode.toString(8));
      }
      // Through a link: the bits of the file it points to.
      const target = join(root, 'window-target.html');
      const link = join(root, 'window-link.html');
      writeFileSync(target, 'old');
      chmodSync(target, 0o600);
      symlinkSync('window-target.html', link);
      expect(await modesWhenWritten(root, () => writeOutputFile(link, 'new'))).toEqual(['600']);
      // A new file: the umask's, as before.
      expect(await modesWhenWritten(root, () => writeOutputFile(join(root, 'window-new.html'), 'new'))).toEqual(['644']);
    } finally {
      process.umask(previous);
    }
  });

  it.skipIf(!sysRefuses)('a folder the system refuses files in (/sys) is E_IO naming the folder, never the temporary file', async () => {
    const error = await failure('/sys/appliedml-report.html');
    expect(error.code).toBe('E_IO');
    expect(error.message).toMatch(
      /^Cannot write \/sys\/appliedml-report\.html: the folder \/sys cannot be written \(.+\)\. Choose another output path\.$/,
    );
    expect(error.message).not.toContain('.tmp');
  });

  // The case above everywhere: a new file (no old one) in a folder that refuses it, injected.
  it.each(cases(refused))(
    'a new file in %s is E_IO naming the folder, never the temporary file; nothing is made (injected)',
    async (_as, { refusal, why }) => {
      const locked = join(root, `refused-new-${refusal.code}`);
      mkdirSync(locked);
      refuse(locked, refusal);
      const file = join(locked, 'r.html');
      const error = await failure(file);
      expect(error.code).toBe('E_IO');
      expect(error.message).toBe(`Cannot write ${file}: the folder ${locked} cannot be written (${why}). Choose another output path.`);
      expect(error.details).toEqual({ path: file, reason: refusal.code });
      expectRefusedTemporary(error.cause, refusal, locked);
      expect(readdirSync(locked)).toEqual([]);
    },
  );

  // The rename over the old file refused (EPERM: another user's file in /tmp, which is sticky, or an
  // immutable one), injected: the message said "the folder /tmp cannot be written (no permission to create
  // files there)", of a folder that had just taken the temporary file.
  it('an old file that may not be replaced (EPERM at the rename) is E_IO saying so, not that the folder cannot be written; the old file is intact, the temporary file removed (injected)', async () => {
    const dir = join(root, 'refused-EPERM');
    const file = join(dir, 'r.html');
    await writeOutputFile(file, 'old');
    const refusal: Refusal = { code: 'EPERM', at: 'replace' };
    refuse(dir, refusal);
    const error = await failure(file);
    expect(error.code).toBe('E_IO');
    expect(error.message).toBe(
      `Cannot write ${file}: the file there may not be replaced (it is another user's in a folder that protects its files, as /tmp does, or it is immutable). Choose another output path.`,
    );
    expect(error.details).toEqual({ path: file, reason: 'EPERM' });
    expectRefusedTemporary(error.cause, refusal, dir);
    expect(readdirSync(dir)).toEqual(['r.html']);
    expect(readFileSync(file, 'utf8')).toBe('old');
    // The folder takes a new file.
    await writeOutputFile(join(dir, 'new.html'), 'new');
    expect(readdirSync(dir).sort()).toEqual(['new.html', 'r.html']);
  });

  it('a write that fails after the temporary file was opened removes it and leaves the old file intact', async () => {
    const file = join(root, 'half', 'r.html');
    await writeOutputFile(file, 'old');
    const error = await failure(file, 42 as unknown as string); // not bytes: the write itself throws
    expect(error.code).toBe('E_IO');
    expect(error.message).toMatch(/^Cannot write .*r\.html: /);
    expect(error.message).not.toContain('.tmp');
    expect(readdirSync(join(root, 'half'))).toEqual(['r.html']);
    expect(readFileSync(file, 'utf8')).toBe('old');
  });
});

describe('writeOutputFile through a symbolic link', () => {
  /** A fresh folder under root for one test. */
  const fresh = (name: string): string => {
    const dir = join(root, 'links', name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };

  it('replaces the file the link points to and keeps the link; the temporary file was beside the target and is gone', async () => {
    const dir = fresh('through');
    mkdirSync(join(dir, 'runs'));
    mkdirSync(join(dir, 'out'));
    const target = join(dir, 'runs', 'r7.html');
    writeFileSync(target, 'old');
    const link = join(dir, 'out', 'latest.html');
    symlinkSync('../runs/r7.html', link);
    await writeOutputFile(link, '<p>new</p>');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('../runs/r7.html');
    expect(readFileSync(target, 'utf8')).toBe('<p>new</p>');
    expect(lstatSync(target).isFile()).toBe(true);
    expect(readdirSync(join(dir, 'out'))).toEqual(['latest.html']);
    expect(readdirSync(join(dir, 'runs'))).toEqual(['r7.html']);
  });

  it('keeps the permission bits of the file the link points to (0600 stays 0600)', async () => {
    const target = join(root, 'private-target.html');
    const link = join(root, 'private-latest.html');
    writeFileSync(target, 'old');
    chmodSync(target, 0o600);
    symlinkSync('private-target.html', link);
    await writeOutputFile(link, 'new');
    expect([readFileSync(target, 'utf8'), (statSync(target).mode & 0o7777).toString(8), lstatSync(link).isSymbolicLink()]).toEqual([
      'new',
      '600',
      true,
    ]);
  });

  it('follows a chain of links (absolute and relative) to the last one’s file', async () => {
    const dir = fresh('chain');
    const target = join(dir, 'final.txt');
    writeFileSync(target, 'old');
    symlinkSync(target, join(dir, 'b')); // absolute
    symlinkSync('b', join(dir, 'a')); // relative
    await writeOutputFile(join(dir, 'a'), 'new');
    expect(readlinkSync(join(dir, 'a'))).toBe('b');
    expect(readlinkSync(join(dir, 'b'))).toBe(target);
    expect(readFileSync(target, 'utf8')).toBe('new');
    expect(readdirSync(dir).sort()).toEqual(['a', 'b', 'final.txt']);
  });

  it('reads a relative target from the folder the link really is in (its parent a link too)', async () => {
    const dir = fresh('real-parent');
    mkdirSync(join(dir, 'real', 'models'), { recursive: true });
    mkdirSync(join(dir, 'real', 'releases'));
    mkdirSync(join(dir, 'app'));
    symlinkSync(join(dir, 'real', 'models'), join(dir, 'app', 'models'));
    const target = join(dir, 'real', 'releases', 'r.html');
    writeFileSync(target, 'old');
    symlinkSync('../releases/r.html', join(dir, 'real', 'models', 'current'));
    await writeOutputFile(join(dir, 'app', 'models', 'current'), 'new');
    expect(readFileSync(target, 'utf8')).toBe('new');
    expect(lstatSync(join(dir, 'real', 'models', 'current')).isSymbolicLink()).toBe(true);
    expect(readdirSync(join(dir, 'app'))).toEqual(['models']); // no app/releases made
  });

  it('a dangling link whose target’s folder exists creates the target and keeps the link', async () => {
    const dir = fresh('dangling-ok');
    const link = join(dir, 'latest.html');
    symlinkSync('report.html', link);
    await writeOutputFile(link, 'first');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toBe('first');
    expect(readdirSync(dir).sort()).toEqual(['latest.html', 'report.html']);
  });

  it('a dangling link whose target’s folder does not exist is E_INPUT_INVALID dangling-link; nothing made, no temporary file', async () => {
    const dir = fresh('dangling-no-folder');
    const link = join(dir, 'latest.html');
    symlinkSync('missing/deeper/report.html', link);
    const error = await failure(link);
    expect(error.code).toBe('E_INPUT_INVALID');
    const target = join(dir, 'missing', 'deeper', 'report.html');
    expect(error.message).toBe(
      `Cannot write ${link}: it is a symbolic link to ${target}, whose folder ${join(dir, 'missing', 'deeper')} does not exist. Make that folder, or remove the link.`,
    );
    expect(error.details).toMatchObject({ path: link, reason: 'dangling-link', target });
    expect(readdirSync(dir)).toEqual(['latest.html']);
    expect(readlinkSync(link)).toBe('missing/deeper/report.html');
  });

  it('a loop of links (a -> b -> a, or a link to itself) is E_INPUT_INVALID link-loop; the links are left as they were, no temporary file', async () => {
    const dir = fresh('loop');
    symlinkSync('b', join(dir, 'a'));
    symlinkSync('a', join(dir, 'b'));
    symlinkSync('self', join(dir, 'self'));
    for (const name of ['a', 'self']) {
      const path = join(dir, name);
      const error = await failure(path);
      expect(error.code).toBe('E_INPUT_INVALID');
      expect(error.message).toBe(
        `Cannot write ${path}: it is a loop of symbolic links, or a chain of more than 8. Point the link at a file, or give another path.`,
      );
      expect(error.details).toMatchObject({ path, reason: 'link-loop' });
    }
    expect(readdirSync(dir).sort()).toEqual(['a', 'b', 'self']);
    expect(readlinkSync(join(dir, 'a'))).toBe('b');
    expect(readlinkSync(join(dir, 'self'))).toBe('self');
  });

  it('follows a chain of 8 links; a chain of 9 is E_INPUT_INVALID link-loop with the target untouched', async () => {
    const dir = fresh('long-chain');
    const target = join(dir, 'file.txt');
    writeFileSync(target, 'old');
    symlinkSync('file.txt', join(dir, 'l1'));
    for (let i = 2; i <= 9; i++) symlinkSync(`l${i - 1}`, join(dir, `l${i}`));
    await writeOutputFile(join(dir, 'l8'), 'eight');
    expect(readFileSync(target, 'utf8')).toBe('eight');
    const error = await failure(join(dir, 'l9'));
    expect(error.code).toBe('E_INPUT_INVALID');
    expect(error.details).toMatchObject({ reason: 'link-loop' });
    expect(readFileSync(target, 'utf8')).toBe('eight');
    expect(hidden(dir)).toEqual([]);
  });

  it('a folder in the path that is a link loop is E_INPUT_INVALID link-loop', async () => {
    const dir = fresh('loop-folder');
    symlinkSync('loop', join(dir, 'loop'));
    const path = join(dir, 'loop', 'r.html');
    const error = await failure(path);
    expect(error.code).toBe('E_INPUT_INVALID');
    expect(error.details).toMatchObject({ path, reason: 'link-loop' });
    expect(readdirSync(dir)).toEqual(['loop']);
  });

  it('a link to a folder is E_INPUT_INVALID naming the path as a folder; the folder is left as it was', async () => {
    const dir = fresh('to-folder');
    mkdirSync(join(dir, 'real'));
    const link = join(dir, 'out');
    symlinkSync('real', link);
    const error = await failure(link);
    expect(error.code).toBe('E_INPUT_INVALID');
    expect(error.details).toMatchObject({ path: link, reason: 'folder' });
    expect(readdirSync(join(dir, 'real'))).toEqual([]);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('a link to a file that may not be replaced (EPERM at the rename) is E_IO naming that file; the target and the link are intact, no temporary file (injected)', async () => {
    const dir = fresh('refused-EPERM');
    const runs = join(dir, 'runs');
    mkdirSync(runs);
    const target = join(runs, 'r.html');
    writeFileSync(target, 'old');
    const link = join(dir, 'latest.html');
    symlinkSync('runs/r.html', link);
    const refusal: Refusal = { code: 'EPERM', at: 'replace' };
    refuse(runs, refusal);
    const error = await failure(link);
    expect(error.code).toBe('E_IO');
    expect(error.message).toBe(
      `Cannot write ${link}: the file it points to, ${target}, may not be replaced (it is another user's in a folder that protects its files, as /tmp does, or it is immutable). Choose another output path.`,
    );
    expect(error.details).toEqual({ path: link, reason: 'EPERM', target });
    expectRefusedTemporary(error.cause, refusal, runs);
    expect(readdirSync(runs)).toEqual(['r.html']);
    expect(readFileSync(target, 'utf8')).toBe('old');
    expect(readlinkSync(link)).toBe('runs/r.html');
  });

  it('a write through a link that fails leaves the target’s old content, the link, and no temporary file', async () => {
    const dir = fresh('fails');
    mkdirSync(join(dir, 'runs'));
    const target = join(dir, 'runs', 'r.html');
    writeFileSync(target, 'old');
    const link = join(dir, 'latest.html');
    symlinkSync(target, link);
    const error = await failure(link, 42 as unknown as string); // not bytes: the write itself throws
    expect(error.code).toBe('E_IO');
    expect(error.message).toMatch(/^Cannot write .*latest\.html: /);
    expect(error.message).not.toContain('.tmp');
    expect(error.details).toMatchObject({ path: link, target });
    expect(readFileSync(target, 'utf8')).toBe('old');
    expect(readdirSync(join(dir, 'runs'))).toEqual(['r.html']);
    expect(readdirSync(dir).sort()).toEqual(['latest.html', 'runs']);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it.skipIf(isRoot)('a link into a read-only folder is E_IO naming that folder; the target is intact, no temporary file', async () => {
    const dir = fresh('read-only');
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    const target = join(locked, 'r.html');
    writeFileSync(target, 'old');
    const link = join(dir, 'latest.html');
    symlinkSync('locked/r.html', link);
    chmodSync(locked, 0o555);
    try {
      const error = await failure(link);
      expect(error.code).toBe('E_IO');
      expect(error.message).toBe(
        `Cannot write ${link}: the folder ${locked} cannot be written (no permission to create files there). Choose another output path.`,
      );
      expect(error.details).toMatchObject({ path: link, reason: 'EACCES', target });
    } finally {
      chmodSync(locked, 0o755);
    }
    expect(readdirSync(locked)).toEqual(['r.html']);
    expect(readFileSync(target, 'utf8')).toBe('old');
    expect(readdirSync(dir).sort()).toEqual(['latest.html', 'locked']);
  });

  // The case above as root too (CI): the refusal injected in the target's folder.
  it.each(cases(refused))(
    'a link into %s is E_IO naming the target’s folder; the target and the link are intact, no temporary file (injected)',
    async (_as, { refusal, why }) => {
      const dir = fresh(`refused-${refusal.code}`);
      const locked = join(dir, 'locked');
      mkdirSync(locked);
      const target = join(locked, 'r.html');
      writeFileSync(target, 'old');
      const link = join(dir, 'latest.html');
      symlinkSync('locked/r.html', link);
      refuse(locked, refusal);
      const error = await failure(link);
      expect(error.code).toBe('E_IO');
      expect(error.message).toBe(`Cannot write ${link}: the folder ${locked} cannot be written (${why}). Choose another output path.`);
      expect(error.details).toEqual({ path: link, reason: refusal.code, target });
      expectRefusedTemporary(error.cause, refusal, locked);
      expect(readdirSync(locked)).toEqual(['r.html']);
      expect(readFileSync(target, 'utf8')).toBe('old');
      expect(readdirSync(dir).sort()).toEqual(['latest.html', 'locked']);
      expect(readlinkSync(link)).toBe('locked/r.html');
    },
  );
});
