import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interruptCli } from '@appliedml/demo-kit';

// Ctrl-C during `traffic-demo train` killed the process mid-step with no word. Now it reaches the SDK's train
// (its `signal`), which stops after the current step; the CLI says so, saves nothing and exits 130. The bin is
// started as a shell starts it, in its own process group, on a small generated network and a GRU asked for
// 10,000 epochs (hours), so only the stop can end it.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = fileURLToPath(new URL('../bin/cli.mjs', import.meta.url));
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'traffic-demo-stop-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('traffic-demo train, interrupted', () => {
  it('SIGINT while the GRU trains: says it stops, stops, exits 130, no bundle made', async () => {
    const out = join(dir, 'gru');
    const args = ['train', '--data', 'synthetic', '--sensors', '4', '--model', 'gru', '--epochs', '10000', '--out', out];
    // The data's note is the line printed just before the training starts.
    const r = await interruptCli(bin, args, { cwd: root, when: /SYNTHETIC data/, signal: 'SIGINT', delayMs: 1500 });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('Stopping after the current step… (Ctrl-C again to quit at once)\n');
    expect(r.stderr).toMatch(/\nStopped: nothing was saved; .*\/gru was not created\.\n$/);
    expect(r.stderr).not.toMatch(/E_ABORTED|error/i);
    expect(r.stdout).not.toMatch(/trained gru|saved to/);
    expect(existsSync(out)).toBe(false);
    expect(await readdir(dir)).toEqual([]);
    expect(r.afterSignal).toBeLessThan(20_000);
  }, 120_000);
});
