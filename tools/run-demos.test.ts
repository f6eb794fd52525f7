import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// `npm run demo` (tools/run-demos.mjs) in a clone whose path holds a space: it took its root from the
// URL's pathname ('/tmp/my%20clone/'), so it failed at once with ENOENT: scandir '…%20…/apps'.

const scratch = mkdtempSync(join(tmpdir(), 'run-demos-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function fakeClone(): string {
  const root = join(scratch, 'my clone with spaces');
  mkdirSync(join(root, 'tools'), { recursive: true });
  copyFileSync(fileURLToPath(new URL('./run-demos.mjs', import.meta.url)), join(root, 'tools', 'run-demos.mjs'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'fake-root', private: true, workspaces: ['apps/*'] }));
  for (const name of ['alpha', 'beta']) {
    mkdirSync(join(root, 'apps', `${name}-demo`), { recursive: true });
    const demo = `node -e "console.log('${name} demo ran')"`;
    writeFileSync(
      join(root, 'apps', `${name}-demo`, 'package.json'),
      JSON.stringify({ name: `@fake/${name}-demo`, private: true, scripts: { demo } }),
    );
  }
  return root;
}

describe('tools/run-demos.mjs', () => {
  it('finds and runs the demo apps of a clone whose path holds spaces, the one asked for only', () => {
    const root = fakeClone();
    const run = spawnSync(process.execPath, [join(root, 'tools', 'run-demos.mjs'), 'beta'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).not.toMatch(/ENOENT/);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('━━━ @fake/beta-demo ━━━');
    expect(run.stdout).toContain('beta demo ran');
    expect(run.stdout).not.toContain('alpha');
  });
});
