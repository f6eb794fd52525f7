import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The README's way to run a demo from the clone: `npx appliedml-<domain>-demo <command>`.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const bins = readdirSync(join(root, 'apps')).flatMap((app) => {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'apps', app, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
    return Object.keys(pkg.bin ?? {});
  } catch {
    return [];
  }
});

describe('every demo CLI runs through its bin from the clone', () => {
  it('finds the six demos', () => {
    expect(bins.sort()).toEqual(['engine', 'fraud', 'medical-imaging', 'speech', 'text', 'traffic'].map((d) => `appliedml-${d}-demo`));
  });
  for (const bin of bins)
    it(`npx ${bin} --help prints its usage`, () => {
      const r = spawnSync('npx', ['--no-install', bin, '--help'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^appliedml [a-z ]+ demo/);
      expect(r.stdout).toMatch(/usage:/);
    }, 60_000);
});
