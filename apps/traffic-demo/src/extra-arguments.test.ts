import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const run = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@appliedml/source', cli, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, APPLIEDML_DATA_DIR: '' },
  });

describe('the CLI takes one command', () => {
  it("a second word is refused before anything runs: `npm run demo -- train` ran the quick preset with 'train' ignored", () => {
    const both = run(['demo', 'train', '--model', 'ridge', '--epochs', 'x']);
    expect(both.status).toBe(1);
    expect(both.stdout).toBe('');
    expect(both.stderr).toMatch(
      /^error E_INPUT_INVALID: 'demo' takes no further arguments; got 'train'\. One command at a time: npx appliedml-traffic-demo <command>/,
    );
  }, 120_000);
});
