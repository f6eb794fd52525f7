import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '#tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../device/engine';
import { AppliedMLError } from '../errors';
import { checkSaveTarget, replaceDirAtomic, waitForSave } from './atomic-dir';
import { loadBundle, saveBundle } from './bundle';
import { bundleMarker } from './bundle-marker';
import { readSmallTextFile } from './small-file';

// Review s28 R1-4 / R1-3: a manifest.json that is a link to /dev/zero was read to ~2 GB, twice, and
// then reported as "no manifest.json"; one that is a folder, and a bundle path that is a link loop, were
// "no manifest.json" too; a save path holding NUL was E_IO "Could not read …".

let root: string;
let good: string;
beforeAll(async () => {
  await initEngine({ device: 'wasm' });
  root = await mkdtemp(join(tmpdir(), 'appliedml-manifest-read-'));
  good = join(root, 'good');
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
  await saveBundle(good, { package: '@appliedml/test', packageVersion: '1.0.0', task: 'unit-test', models: { main: model } });
  model.dispose();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A copy of the good bundle whose manifest.json `change` replaces. */
async function withManifest(name: string, change: (path: string) => Promise<void>): Promise<string> {
  const dir = join(root, name);
  await cp(good, dir, { recursive: true });
  await unlink(join(dir, 'manifest.json'));
  await change(join(dir, 'manifest.json'));
  return dir;
}

async function errorOf(p: Promise<unknown>): Promise<AppliedMLError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AppliedMLError.isInstance(error), `expected an AppliedMLError, got ${String(error)}`).toBe(true);
  return error as AppliedMLError;
}

/** Bytes this process has read through read(2) and the like, where the system tells (Linux). */
function bytesRead(): number | undefined {
  try {
    return Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

describe('loadBundle reads manifest.json only as a regular file, bounded', () => {
  it.skipIf(process.platform === 'win32')(
    'a manifest.json linked to /dev/zero is E_BUNDLE_CORRUPT naming it, at once, nothing read from it',
    async () => {
      const dir = await withManifest('zero', (path) => symlink('/dev/zero', path));
      const before = bytesRead();
      const started = Date.now();
      const error = await errorOf(loadBundle(dir));
      expect(error.code, error.message).toBe('E_BUNDLE_CORRUPT');
      expect(error.message).toBe(
        `Bundle ${dir}: manifest.json is a symbolic link, not a regular file; refusing it (a bundle's files are plain files, links are not followed).`,
      );
      expect(error.details).toEqual({ dir, file: 'manifest.json', reason: 'not-regular' });
      expect(Date.now() - started).toBeLessThan(2000);
      const after = bytesRead();
      if (before !== undefined && after !== undefined) expect(after - before).toBeLessThan(1 << 20);
    },
  );

  it('a manifest.json that is a folder is E_BUNDLE_CORRUPT (it was E_BUNDLE_MISSING "no manifest.json")', async () => {
    const dir = await withManifest('folder', (path) => mkdir(path));
    const error = await errorOf(loadBundle(dir));
    expect(error.code, error.message).toBe('E_BUNDLE_CORRUPT');
    expect(error.message).toContain('manifest.json is a folder, not a regular file');
  });

  it('a manifest.json linked to a good manifest is refused as its listed files are (no link followed)', async () => {
    const dir = await withManifest('linked', async (path) => {
      await cp(join(good, 'manifest.json'), join(root, 'elsewhere.json'));
      await symlink(join(root, 'elsewhere.json'), path);
    });
    const error = await errorOf(loadBundle(dir));
    expect(error.code, error.message).toBe('E_BUNDLE_CORRUPT');
    expect(error.message).toContain('manifest.json is a symbolic link');
    // The same folder with the file itself loads.
    await unlink(join(dir, 'manifest.json'));
    await cp(join(root, 'elsewhere.json'), join(dir, 'manifest.json'));
    const loaded = await loadBundle(dir);
    Object.values(loaded.models).forEach((m) => m.dispose());
  });

  it.skipIf(process.platform === 'win32')('a manifest.json that is a FIFO is E_BUNDLE_CORRUPT naming it, not waited on', async () => {
    const dir = await withManifest('fifo', async (path) => {
      execFileSync('mkfifo', [path]);
    });
    const error = await errorOf(loadBundle(dir));
    expect(error.code, error.message).toBe('E_BUNDLE_CORRUPT');
    expect(error.message).toContain('manifest.json is a FIFO (named pipe), not a regular file');
  });

  it('an absent manifest.json stays E_BUNDLE_MISSING "no manifest.json"', async () => {
    const dir = await withManifest('absent', async () => undefined);
    const error = await errorOf(loadBundle(dir));
    expect(error.code, error.message).toBe('E_BUNDLE_MISSING');
    expect(error.message).toContain('(no manifest.json)');
  });

  it.skipIf(process.platform !== 'linux')(
    'reads no more than the limit + 1 bytes of a file whose size the system gives as 0 (/proc/self/status)',
    async () => {
      const read = await readSmallTextFile('/proc/self/status', 10);
      expect(read).toEqual({ kind: 'too-large', size: 11 });
      const whole = await readSmallTextFile('/proc/self/status', 1 << 20);
      expect(whole.kind).toBe('text');
    },
  );

  // A guard: the save's check (547f61a) refused this before, by its own lstat; it now shares the reader.
  it.skipIf(process.platform === 'win32')(
    "a save's check of an existing folder reads its manifest.json the same way: /dev/zero is not an earlier save",
    async () => {
      const dir = await withManifest('zero-save', (path) => symlink('/dev/zero', path));
      const before = bytesRead();
      const error = await errorOf(checkSaveTarget(dir, { marker: bundleMarker('@appliedml/test') }));
      expect(error.code, error.message).toBe('E_INPUT_INVALID');
      expect(error.details).toMatchObject({ reason: 'not-an-earlier-save' });
      const after = bytesRead();
      if (before !== undefined && after !== undefined) expect(after - before).toBeLessThan(1 << 20);
    },
  );
});

describe.skipIf(process.platform === 'win32')('link loops', () => {
  it('a bundle path that is a link loop is E_BUNDLE_MISSING saying so, naming the link (it was "no manifest.json")', async () => {
    const a = join(root, 'loop-a');
    const b = join(root, 'loop-b');
    await symlink(b, a);
    await symlink(a, b);
    const error = await errorOf(loadBundle(a));
    expect(error.code, error.message).toBe('E_BUNDLE_MISSING');
    expect(error.message).toBe(
      `No model bundle at ${a}: it is a symbolic link that loops (or a chain of more links than the system follows).`,
    );
    expect(error.details).toMatchObject({ dir: a, reason: 'link-loop', link: a });
    const below = await errorOf(loadBundle(join(a, 'model')));
    expect(below.message).toBe(
      `No model bundle at ${join(a, 'model')}: ${a} is a symbolic link that loops (or a chain of more links than the system follows).`,
    );
  });

  it('a save to a link loop, with or without a marker, is E_INPUT_INVALID naming the link (with one it was E_IO "ELOOP … scandir")', async () => {
    const a = join(root, 'save-loop-a');
    await symlink(join(root, 'save-loop-b'), a);
    await symlink(a, join(root, 'save-loop-b'));
    for (const options of [{ marker: bundleMarker('@appliedml/test') }, {}]) {
      const error = await errorOf(replaceDirAtomic(a, async () => undefined, options));
      expect(error.code, error.message).toBe('E_INPUT_INVALID');
      expect(error.message).toContain('is a symbolic link that loops');
    }
    const below = await errorOf(checkSaveTarget(join(a, 'model'), { marker: 'manifest.json' }));
    expect(below.code, below.message).toBe('E_INPUT_INVALID');
    expect(below.details).toMatchObject({ reason: 'link-loop', link: a });
  });
});

describe('a path holding NUL', () => {
  const nul = () => join(root, 'a\u0000b');

  it('a save is E_INPUT_INVALID naming the NUL (it was E_IO "Could not read …")', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
    try {
      const error = await errorOf(
        saveBundle(nul(), { package: '@appliedml/test', packageVersion: '1.0.0', task: 't', models: { main: model } }),
      );
      expect(error.code, error.message).toBe('E_INPUT_INVALID');
      expect(error.message).toBe(`The save path holds a NUL character (\\0), which no file system takes: ${JSON.stringify(nul())}.`);
      expect(error.details).toEqual({ field: 'The save path', reason: 'nul-character' });
    } finally {
      model.dispose();
    }
    expect((await errorOf(checkSaveTarget(nul()))).code).toBe('E_INPUT_INVALID');
    expect((await errorOf(waitForSave(nul()))).code).toBe('E_INPUT_INVALID');
  });

  it('a load is E_INPUT_INVALID (it was E_BUNDLE_MISSING "no manifest.json")', async () => {
    const error = await errorOf(loadBundle(nul()));
    expect(error.code, error.message).toBe('E_INPUT_INVALID');
    expect(error.message).toContain('The bundle path holds a NUL character');
  });
});
