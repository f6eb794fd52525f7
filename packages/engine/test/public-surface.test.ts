import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as engine from '../src/index';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

// Demo apps and benches run the engine's TypeScript sources through tsx as CommonJS seen from ESM;
// Node then finds named exports by static analysis, which misses `export *`. Every name must arrive.
describe('the public surface through the source condition', () => {
  it('exposes every export by name to an ES module run with tsx', () => {
    const script = join(root, 'packages', 'engine', 'test', 'fixtures', 'surface-check.mts');
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@appliedml/source', script], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const names = JSON.parse(run.stdout.trim().split('\n').pop() ?? '[]') as string[];
    expect(names).toEqual(Object.keys(engine).sort());
  });
});
