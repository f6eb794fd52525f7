// Found in session 30: --preset was checked with `in`, so the names every object inherits (constructor,
// toString, __proto__) passed and the run went on with undefined settings ("The training data holds no images").
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '@appliedml/demo-kit';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medical-demo-preset-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('--preset takes quick or full only', () => {
  it('refuses the names every object inherits', async () => {
    const names = ['constructor', 'toString', '__proto__', 'hasOwnProperty'];
    const runs = await Promise.all(names.map((name) => runCli(cli, ['train', '--preset', name, '--out', join(dir, name)], 60_000)));
    for (const run of runs) {
      expect(run.status).toBe(1);
      expect(run.stderr).toBe('error E_INPUT_INVALID: --preset must be quick or full.\n');
    }
  }, 120_000);
});
