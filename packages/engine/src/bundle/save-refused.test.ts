/**
 * A save the system refuses part-way keeps the previous bundle, whole, and leaves nothing beside it: at
 * each stage of the atomic save (the folder it replaces read, the staging folder made, a file written
 * into it, the previous folder renamed aside, the staging folder renamed into its place). The refusals
 * are injected, since a mode cannot make them where the tests run as root (CI does: root makes folders
 * in a 0555 one and reads any file), and a full disk or a failing one cannot be made at all. Each is the
 * system's error as Node gives it (an Error with errno, code, syscall and, for a call on a path, path),
 * made by the node:fs/promises call the save makes (readdir, mkdir, open, a handle's writeFile and sync,
 * rename) for a path in the folder the test picks; every other call, and every other folder, is the
 * real one. bundle.test.ts keeps a real read-only parent for runs that are not root.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as tf from '#tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { initEngine } from '../device/engine';
import { AppliedMLError } from '../errors';
import { createRng, withSeededRandom } from '../random';
import { loadBundle, saveBundle } from './bundle';

/**
 * A refusal: `syscall` on a path in the test's folder (`faults.root`) whose path relative to it matches
 * `path` (for a rename, the path renamed from) throws the system's `code`. 'write' and 'fsync' are the
 * calls on a file opened for writing at such a path: the write stores half of the data first, as a disk
 * that fills up does.
 */
/** A system error as Node gives it (a rename's has the path renamed to as `dest`). */
type Refusal = NodeJS.ErrnoException & { dest?: string };

interface Fault {
  syscall: 'mkdir' | 'open' | 'write' | 'fsync' | 'rename' | 'scandir' | 'rm';
  code: 'EACCES' | 'EROFS' | 'EPERM' | 'EBUSY' | 'ENOSPC' | 'EIO';
  path: RegExp;
}
const faults = vi.hoisted(() => ({
  root: '',
  active: [] as Fault[],
  /** The refusals thrown, in order. */
  thrown: [] as Refusal[],
  /** The renames done (not refused), as 'from -> to' relative to `root`. */
  renamed: [] as string[],
  /** Runs before each rename in `root` that is not refused (another process stepping in). */
  beforeRename: undefined as ((from: string, to: string) => Promise<void>) | undefined,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const { isAbsolute, join, relative } = await import('node:path');
  const { constants } = await import('node:os');
  const { getSystemErrorMap } = await import('node:util');
  const { constants: fs } = await import('node:fs');
  const inRoot = (path: unknown): string | undefined => {
    const rel = faults.root === '' ? '..' : relative(faults.root, String(path));
    return rel.startsWith('..') || isAbsolute(rel) ? undefined : rel;
  };
  const fault = (syscall: Fault['syscall'], path: unknown): Fault | undefined => {
    const rel = inRoot(path);
    return rel === undefined ? undefined : faults.active.find((f) => f.syscall === syscall && f.path.test(rel));
  };
  // As Node words it: "EACCES: permission denied, mkdir '/models/.bundle.tmp-0a1b2c3d4e5f'"; "ENOSPC: no space left on device, write".
  const refused = (code: Fault['code'], syscall: string, path?: unknown, dest?: unknown): Refusal => {
    const errno = -constants.errno[code];
    const words = getSystemErrorMap().get(errno)?.[1] ?? code;
    const on = path === undefined ? '' : ` '${String(path)}'${dest === undefined ? '' : ` -> '${String(dest)}'`}`;
    const error: Refusal = Object.assign(new Error(`${code}: ${words}, ${syscall}${on}`), {
      errno,
      code,
      syscall,
      ...(path === undefined ? {} : { path: String(path) }),
      ...(dest === undefined ? {} : { dest: String(dest) }),
    });
    faults.thrown.push(error);
    return error;
  };
  const writes = (flags: unknown): boolean =>
    typeof flags === 'number' ? (flags & (fs.O_WRONLY | fs.O_RDWR | fs.O_CREAT)) !== 0 : /[wa+]/.test(String(flags ?? 'r'));
  const mkdir = (async (path: Parameters<typeof actual.mkdir>[0], options?: Parameters<typeof actual.mkdir>[1]) => {
    const f = fault('mkdir', path);
    if (f) throw refused(f.code, 'mkdir', path);
    return actual.mkdir(path, options);
  }) as typeof actual.mkdir;
  const readdir = (async (path: Parameters<typeof actual.readdir>[0], options?: unknown) => {
    const f = fault('scandir', path);
    if (f) throw refused(f.code, 'scandir', path);
    return actual.readdir(path, options as never);
  }) as unknown as typeof actual.readdir;
  const open: typeof actual.open = async (path, flags, mode) => {
    const onOpen = fault('open', path);
    if (onOpen) throw refused(onOpen.code, 'open', path);
    if (!writes(flags)) return actual.open(path, flags, mode);
    const handle = await actual.open(path, flags, mode);
    const onWrite = fault('write', path);
    if (onWrite) {
      const writeFile = handle.writeFile.bind(handle);
      handle.writeFile = async (data) => {
        const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data as Uint8Array);
        await writeFile(bytes.subarray(0, bytes.length >> 1));
        throw refused(onWrite.code, 'write');
      };
    }
    const onSync = fault('fsync', path);
    if (onSync) handle.sync = () => Promise.reject(refused(onSync.code, 'fsync'));
    return handle;
  };
  const rename: typeof actual.rename = async (from, to) => {
    const f = fault('rename', from);
    if (f) throw refused(f.code, 'rename', from, to);
    if (inRoot(from) !== undefined) await faults.beforeRename?.(String(from), String(to));
    await actual.rename(from, to);
    if (inRoot(from) !== undefined) faults.renamed.push(`${inRoot(from)} -> ${inRoot(to)}`);
  };
  // A recursive rm refused as Node's is when a folder's files may not be deleted (the folder read-only):
  // at the unlink of its first file, before anything is deleted.
  const rm: typeof actual.rm = async (path, options) => {
    const f = fault('rm', path);
    if (f) throw refused(f.code, 'unlink', join(String(path), (await actual.readdir(path)).sort()[0] ?? ''));
    return actual.rm(path, options);
  };
  return { ...actual, mkdir, open, readdir, rename, rm };
});

let root: string;
let target: string;
beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'appliedml-save-refused-'));
  target = join(root, 'bundle');
  faults.root = root;
});
afterEach(async () => {
  faults.root = '';
  faults.active.length = 0;
  faults.thrown.length = 0;
  faults.renamed.length = 0;
  faults.beforeRename = undefined;
  await rm(root, { recursive: true, force: true });
});

/** The staging folder's name ('.bundle.tmp-' and 12 hex digits) and the retired copy's ('.old-'). */
const STAGING = String.raw`\.bundle\.tmp-[0-9a-f]{12}`;
const RETIRED = String.raw`\.bundle\.old-[0-9a-f]{12}`;

function model(seed: number): tf.LayersModel {
  return withSeededRandom(createRng(seed), () =>
    tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 5, activation: 'relu' }), tf.layers.dense({ units: 2 })] }),
  );
}

/** A bundle of two models and a file, so the staging folder holds several files when a late step fails. */
async function save(seed: number, accuracy: number): Promise<void> {
  const [a, b] = [model(seed), model(seed + 1)];
  try {
    await saveBundle(target, {
      package: '@appliedml/test',
      packageVersion: '1.0.0',
      task: 'unit-test',
      models: { a, b },
      metrics: { accuracy },
      files: { 'vocabulary.json': JSON.stringify(['x', 'y', String(seed)]) },
    });
  } finally {
    a.dispose();
    b.dispose();
  }
}

/** Every file under `folder` (path relative to it → sha256 of its bytes), sub-folders included. */
async function hashes(folder: string, under = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(join(folder, under), { withFileTypes: true })) {
    const rel = join(under, entry.name);
    if (entry.isDirectory()) Object.assign(out, await hashes(folder, rel));
    else
      out[rel] = createHash('sha256')
        .update(await readFile(join(folder, rel)))
        .digest('hex');
  }
  return out;
}

/**
 * Saves a first bundle, injects `stage`, saves another, and checks what every failed save must leave:
 * the first bundle byte for byte, loadable, and nothing beside it (no staging folder, no retired copy).
 * Returns the save's error and the refusal it met (the first one thrown).
 */
async function failedSave(...stage: Fault[]): Promise<{ error: AppliedMLError; refusal: Refusal }> {
  await save(3, 0.5);
  const before = await hashes(target);
  expect(Object.keys(before).sort()).toEqual([
    'a.model.json',
    'a.weights.bin',
    'b.model.json',
    'b.weights.bin',
    'manifest.json',
    'vocabulary.json',
  ]);
  faults.renamed.length = 0;
  faults.active.push(...stage);
  const error = await save(7, 0.9).then(
    () => undefined,
    (e: unknown) => e,
  );
  faults.active.length = 0;
  expect(AppliedMLError.isInstance(error), `expected an AppliedMLError, got ${String(error)}`).toBe(true);
  const refusal = faults.thrown[0];
  expect(refusal, 'the injected refusal was reached').toBeDefined();
  expect((error as AppliedMLError).cause).toBe(refusal);
  expect(await readdir(root), 'nothing beside the bundle').toEqual(['bundle']);
  expect(await hashes(target), 'the previous bundle, byte for byte').toEqual(before);
  const loaded = await loadBundle(target, { package: '@appliedml/test', task: 'unit-test' });
  expect(loaded.manifest.metrics).toEqual({ accuracy: 0.5 });
  for (const net of Object.values(loaded.models)) net.dispose();
  return { error: error as AppliedMLError, refusal: refusal as Refusal };
}

/** Rows for it.each named by their first element. */
type Row<T> = [string, T];

describe('a save the system refuses part-way keeps the previous bundle, whole, and leaves nothing beside it (injected)', () => {
  // Before anything is written: a save reads the folder it replaces (is it an earlier save?). Root reads
  // anything, so an unreadable one is made here for all users.
  it('the folder cannot be listed (EACCES at scandir): E_IO naming it, nothing written', async () => {
    const { error, refusal } = await failedSave({ syscall: 'scandir', code: 'EACCES', path: /^bundle$/ });
    expect(refusal.path).toBe(target);
    expect(error.code).toBe('E_IO');
    expect(error.message).toBe(`Could not read ${target}: EACCES: permission denied, scandir '${target}'`);
    expect(error.details).toEqual({ dir: target });
    expect(faults.renamed).toEqual([]);
  });

  it("the previous bundle's manifest.json cannot be read (EACCES at open): E_IO naming it, not taken for a foreign folder, nothing written", async () => {
    const manifest = join(target, 'manifest.json');
    const { error, refusal } = await failedSave({ syscall: 'open', code: 'EACCES', path: /^bundle\/manifest\.json$/ });
    expect(refusal.path).toBe(manifest);
    expect(error.code).toBe('E_IO');
    expect(error.message).toBe(
      `Could not read ${manifest} to tell whether ${target} is an earlier save: EACCES: permission denied, open '${manifest}'`,
    );
    expect(error.details).toEqual({ dir: target, file: manifest });
    expect(faults.renamed).toEqual([]);
  });

  it.each<Row<{ code: Fault['code']; words: string }>>([
    [
      'a parent folder without write permission (EACCES: what a 0555 parent does to all but root)',
      { code: 'EACCES', words: 'permission denied' },
    ],
    ['a parent on a read-only file system (EROFS)', { code: 'EROFS', words: 'read-only file system' }],
  ])('the staging folder cannot be made: %s is E_IO naming the folder it tried to make', async (_as, { code, words }) => {
    const { error, refusal } = await failedSave({ syscall: 'mkdir', code, path: new RegExp(`^${STAGING}$`) });
    expect([dirname(String(refusal.path)), basename(String(refusal.path))]).toEqual([
      root,
      expect.stringMatching(new RegExp(`^${STAGING}$`)),
    ]);
    expect(error.code).toBe('E_IO');
    expect(error.message).toBe(`Could not write the bundle to ${target}: ${code}: ${words}, mkdir '${String(refusal.path)}'`);
    expect(error.details).toEqual({ dir: target });
    expect(faults.renamed).toEqual([]);
  });

  it('a file cannot be made in the staging folder (ENOSPC at the manifest, the last one, the others written): E_IO naming that file', async () => {
    const { error, refusal } = await failedSave({ syscall: 'open', code: 'ENOSPC', path: new RegExp(`^${STAGING}/manifest\\.json$`) });
    expect(basename(String(refusal.path))).toBe('manifest.json');
    expect(error.code).toBe('E_IO');
    expect(error.message).toBe(`Could not write the bundle to ${target}: ENOSPC: no space left on device, open '${String(refusal.path)}'`);
    expect(error.details).toEqual({ dir: target });
    expect(faults.renamed).toEqual([]);
  });

  it.each<Row<Fault>>([
    [
      'the disk fills up half-way through a weights file (ENOSPC at the write)',
      { syscall: 'write', code: 'ENOSPC', path: new RegExp(`^${STAGING}/a\\.weights\\.bin$`) },
    ],
    ['a file cannot be flushed (EIO at its fsync)', { syscall: 'fsync', code: 'EIO', path: new RegExp(`^${STAGING}/b\\.weights\\.bin$`) }],
  ])('writing a file into the staging folder fails: %s is E_IO naming the bundle', async (_as, fault) => {
    const { error, refusal } = await failedSave(fault);
    expect(refusal).toMatchObject({ code: fault.code, syscall: fault.syscall });
    expect(error.code).toBe('E_IO');
    expect(error.message).toBe(`Could not write the bundle to ${target}: ${refusal.message}`);
    expect(error.details).toEqual({ dir: target });
    expect(faults.renamed).toEqual([]);
  });

  it.each<Row<{ code: Fault['code']; words: string }>>([
    ["another user's folder in a sticky parent (EPERM)", { code: 'EPERM', words: 'operation not permitted' }],
    ['a folder in use as a mount point (EBUSY)', { code: 'EBUSY', words: 'resource busy or locked' }],
  ])('the previous folder cannot be renamed aside: %s is E_IO naming it and the retired name', async (_as, { code, words }) => {
    const { error, refusal } = await failedSave({ syscall: 'rename', code, path: /^bundle$/ });
    expect(refusal.dest).toMatch(new RegExp(`/${RETIRED}$`));
    expect(error.code).toBe('E_IO');
    expect(error.message).toBe(
      `Could not move the new bundle into place at ${target}: ${code}: ${words}, rename '${target}' -> '${String(refusal.dest)}'`,
    );
    expect(error.details).toEqual({ dir: target });
    expect(faults.renamed).toEqual([]);
  });

  it('the staging folder cannot be renamed into place, the previous one already aside (EIO): it is put back; E_IO naming both', async () => {
    const { error, refusal } = await failedSave({ syscall: 'rename', code: 'EIO', path: new RegExp(`^${STAGING}$`) });
    expect(refusal.dest).toBe(target);
    expect(error.code).toBe('E_IO');
    expect(error.message).toBe(
      `Could not move the new bundle into place at ${target}: EIO: i/o error, rename '${String(refusal.path)}' -> '${target}'`,
    );
    expect(error.details).toEqual({ dir: target });
    // The previous folder went aside and came back.
    expect(faults.renamed).toEqual([
      expect.stringMatching(new RegExp(`^bundle -> ${RETIRED}$`)),
      expect.stringMatching(new RegExp(`^${RETIRED} -> bundle$`)),
    ]);
    expect(faults.renamed[0]!.split(' -> ')[1]).toBe(faults.renamed[1]!.split(' -> ')[0]);
  });
});

// The swap failed after the previous folder went aside, and putting it back failed too: the previous
// bundle is whole, under its hidden retired name, and the error said nothing of it ("Could not move the
// new bundle into place at …" only), so the folder looked lost (a load waits, then E_BUNDLE_MISSING) and
// the next save's clean-up deletes such a copy once 15 minutes old.
it('when the previous folder cannot be put back either, the error says where it is (E_IO, details.previous)', async () => {
  await save(3, 0.5);
  const before = await hashes(target);
  faults.active.push(
    { syscall: 'rename', code: 'EIO', path: new RegExp(`^${STAGING}$`) },
    { syscall: 'rename', code: 'EIO', path: new RegExp(`^${RETIRED}$`) },
  );
  const error = await save(7, 0.9).then(
    () => undefined,
    (e: unknown) => e,
  );
  faults.active.length = 0;
  expect(AppliedMLError.hasCode(error, 'E_IO'), String(error)).toBe(true);
  const [swap, putBack] = faults.thrown;
  expect([swap?.dest, putBack?.dest]).toEqual([target, target]);
  const retired = String(putBack?.path);
  expect([dirname(retired), basename(retired)]).toEqual([root, expect.stringMatching(new RegExp(`^${RETIRED}$`))]);
  expect((error as AppliedMLError).message).toBe(
    `Could not move the new bundle into place at ${target}: EIO: i/o error, rename '${String(swap?.path)}' -> '${target}'. ` +
      `The previous bundle could not be put back (EIO: i/o error, rename '${retired}' -> '${target}'): it is kept at ${retired}; rename it to ${target} to restore it.`,
  );
  expect((error as AppliedMLError).details).toEqual({ dir: target, previous: retired });
  expect((error as AppliedMLError).cause).toBe(swap);
  // The staging folder is gone; the previous bundle is whole where the error says, and loads once renamed back.
  expect(await readdir(root)).toEqual([basename(retired)]);
  expect(await hashes(retired)).toEqual(before);
  await rename(retired, target);
  const loaded = await loadBundle(target, { package: '@appliedml/test', task: 'unit-test' });
  expect(loaded.manifest.metrics).toEqual({ accuracy: 0.5 });
  for (const net of Object.values(loaded.models)) net.dispose();
});

it('another process saved there between the two renames: the new folder is left as it is, the error says where the previous one is', async () => {
  await save(3, 0.5);
  const before = await hashes(target);
  let retired = '';
  faults.beforeRename = async (from, to) => {
    if (to !== target) return void (retired = to);
    // The other save's folder, made while this one's previous folder was aside: the rename into place meets it.
    await mkdir(target);
    await writeFile(join(target, 'theirs.txt'), 'other save');
  };
  const error = await save(7, 0.9).then(
    () => undefined,
    (e: unknown) => e,
  );
  faults.beforeRename = undefined;
  expect(AppliedMLError.hasCode(error, 'E_IO'), String(error)).toBe(true);
  expect([dirname(retired), basename(retired)]).toEqual([root, expect.stringMatching(new RegExp(`^${RETIRED}$`))]);
  const cause = (error as AppliedMLError).cause as NodeJS.ErrnoException;
  expect(cause.code).toBe('ENOTEMPTY');
  expect((error as AppliedMLError).message).toBe(
    `Could not move the new bundle into place at ${target}: ${cause.message} (another process saved to the same folder at the same time: saves to one folder must not overlap). ` +
      `The previous bundle could not be put back (another folder took its place at ${target}): it is kept at ${retired}.`,
  );
  expect((error as AppliedMLError).details).toEqual({ dir: target, previous: retired });
  expect((await readdir(root)).sort()).toEqual([basename(retired), 'bundle'].sort());
  expect(await readdir(target)).toEqual(['theirs.txt']);
  expect(await hashes(retired)).toEqual(before);
});

// The save is in place, and the previous copy, renamed aside, may not be deleted (its folder read-only:
// `chmod -R a-w` on a bundle to keep it safe does that, and the rename aside still works). The save
// rejected with Node's own EACCES, an untyped error that said nothing of the save being done nor of the
// full copy left in a hidden folder (which the next saves' clean-up cannot delete either).
it('the previous copy cannot be deleted after the swap: E_IO saying the save is in place and where the copy is', async () => {
  await save(3, 0.5);
  const before = await hashes(target);
  faults.active.push({ syscall: 'rm', code: 'EACCES', path: new RegExp(`^${RETIRED}$`) });
  const error = await save(7, 0.9).then(
    () => undefined,
    (e: unknown) => e,
  );
  faults.active.length = 0;
  const refusal = faults.thrown[0] as Refusal;
  const retired = dirname(String(refusal.path));
  expect([dirname(retired), basename(retired)]).toEqual([root, expect.stringMatching(new RegExp(`^${RETIRED}$`))]);
  expect(AppliedMLError.hasCode(error, 'E_IO'), String(error)).toBe(true);
  expect((error as AppliedMLError).message).toBe(
    `Saved to ${target}, but the previous copy at ${retired} could not be deleted (EACCES: permission denied, unlink '${join(retired, 'a.model.json')}'); delete it to free its space.`,
  );
  expect((error as AppliedMLError).details).toEqual({ dir: target, previous: retired });
  expect((error as AppliedMLError).cause).toBe(refusal);
  // The new bundle is in place; the previous one is whole where the error says; nothing else.
  const loaded = await loadBundle(target, { package: '@appliedml/test', task: 'unit-test' });
  expect(loaded.manifest.metrics).toEqual({ accuracy: 0.9 });
  for (const net of Object.values(loaded.models)) net.dispose();
  expect(await hashes(retired)).toEqual(before);
  expect((await readdir(root)).sort()).toEqual([basename(retired), 'bundle'].sort());
});
