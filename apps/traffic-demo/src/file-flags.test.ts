// Found in session 25: with a built-in source (--data auto, los-loop, synthetic) the flags that read a
// user's CSV (--delimiter, --time-zone, --interval, --adjacency, …) were taken without a word: a model
// trained with --time-zone Europe/Berlin on the generated network was read on its own clock all the same.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const run = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@appliedml/source', cli, ...args], {
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, APPLIEDML_DEVICE: '', APPLIEDML_WASM_THREADS: '', APPLIEDML_DATA_DIR: '' },
  });

let dir: string;
const file = (name: string): string => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'traffic-file-flags-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("a built-in source refuses the flags that read a user's CSV", () => {
  it.each([
    [['train', '--data', 'synthetic', '--delimiter', ';'], '--delimiter reads', '--data synthetic \\(the generated network\\)'],
    [
      ['train', '--data', 'synthetic', '--time-zone', 'Europe/Berlin', '--interval', '10'],
      '--interval and --time-zone read',
      '--data synthetic',
    ],
    [['demo', '--data', 'los-loop', '--time-format', 'mdy'], '--time-format reads', '--data los-loop'],
    [['evaluate', '--bundle', 'no-such-model', '--adjacency', 'graph.csv'], '--adjacency reads', '--data auto \\(the default'],
    [['train', '--timestamp-column', 'time', '--missing-value', '0'], '--timestamp-column and --missing-value read', '--data auto'],
  ])(
    '%j is E_INPUT_INVALID naming the flags and what they apply to (they were taken without a word)',
    (args, flags, source) => {
      const r = run([...args, '--out', file('model')]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        new RegExp(
          `^error E_INPUT_INVALID: ${flags} your own CSV \\(--data FILE\\.csv\\) only, and the data is ${source}.*: give --data FILE\\.csv or leave (it|them) out\\.\\n$`,
        ),
      );
    },
    180_000,
  );

  it('the built-in sources still train without them', () => {
    const r = run(['train', '--data', 'synthetic', '--sensors', '4', '--model', 'last-value', '--out', file('plain')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 180_000);
});
