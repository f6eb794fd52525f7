import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interruptCli } from '@appliedml/demo-kit';

// Ctrl-C during `train` killed the process mid-step: nothing was lost (the save is atomic) but the user got
// no word and no cleanup ran. Now the first signal stops the training after its step and says what was left.
// The bin is started as a user's shell starts it (its own process group, which a terminal's Ctrl-C signals),
// on the quickest model (the MLP; 1000 epochs would take an hour).
const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = fileURLToPath(new URL('../bin/cli.mjs', import.meta.url));
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'engine-demo-stop-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every file under `folder` with its bytes, and the folder's parent's listing (a left-over temporary sibling shows there). */
async function snapshot(folder: string): Promise<{ files: Record<string, string>; siblings: string[] }> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files[path] = (await readFile(path)).toString('base64');
    }
  return { files, siblings: (await readdir(join(folder, '..'))).sort() };
}

describe('engine-demo train, interrupted', () => {
  it('SIGINT while training: says it stops, stops, exits 130, and the output folder is not made', async () => {
    const out = join(dir, 'fresh');
    const r = await interruptCli(bin, ['train', '--model', 'mlp', '--epochs', '1000', '--out', out], {
      cwd: root,
      when: /training the MLP/,
      signal: 'SIGINT',
    });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('Stopping after the current step… (Ctrl-C again to quit at once)\n');
    expect(r.stderr).toMatch(/\nStopped: nothing was saved; .*\/fresh was not created\.\n$/);
    expect(r.stderr).not.toMatch(/E_ABORTED|error/i);
    expect(r.stdout).not.toMatch(/saved to|test accuracy/);
    expect(existsSync(out)).toBe(false);
    expect(await readdir(dir)).toEqual([]);
    // An MLP step takes milliseconds; the bound is for a loaded machine.
    expect(r.afterSignal).toBeLessThan(20_000);
  }, 120_000);

  it('SIGTERM while training over an earlier bundle: exits 143, the bundle byte for byte as it was', async () => {
    const out = join(dir, 'earlier');
    const first = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(bin, ['train', '--model', 'mlp', '--epochs', '1', '--out', out], { cwd: root, stdio: 'ignore' });
      child.on('error', reject);
      child.on('close', resolve);
    });
    expect(first).toBe(0);
    const before = await snapshot(out);
    expect(Object.keys(before.files).length).toBeGreaterThan(1);
    const r = await interruptCli(bin, ['train', '--model', 'mlp', '--epochs', '1000', '--out', out], {
      cwd: root,
      when: /training the MLP/,
      signal: 'SIGTERM',
    });
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toMatch(/\nStopped: nothing was saved; .*\/earlier is as it was\.\n$/);
    expect(await snapshot(out)).toEqual(before);
    expect(r.afterSignal).toBeLessThan(20_000);
  }, 180_000);
});
