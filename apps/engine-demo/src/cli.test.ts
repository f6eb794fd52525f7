import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, webAppFolder } from '@appliedml/demo-kit';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'engine-demo-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// 547f61a: the save refuses a web app's folder (its manifest.json is not a bundle's), but `train` found
// that out only at the save, after reading MNIST and training the whole model (minutes for the CNN).
describe('engine-demo train --out', () => {
  it("refuses a web app's folder before it reads MNIST or trains", async () => {
    const app = await webAppFolder(dir);
    const r = await runCli(cli, ['train', '--model', 'cnn', '--epochs', '1', '--out', app.dir]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).not.toMatch(/epoch|test accuracy/);
    expect(r.stderr).toMatch(
      /^engine-demo: E_INPUT_INVALID: --out .*\/app: Refusing to save over .*\/app: it is not empty and its manifest\.json is not an appliedml model bundle manifest \(it holds .*\)\. .* Nothing was trained\.$/m,
    );
    expect(await app.untouched()).toBe(true);
  }, 60_000);
});
