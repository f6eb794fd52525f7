// The version is inlined by the build: a service bundled with esbuild (or ncc, webpack) has no
// ../package.json beside the engine's code, and failed at import with "Cannot find module '../package.json'".
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENGINE_NAME, ENGINE_VERSION } from './version';

describe('ENGINE_VERSION', () => {
  it("is the package's, and a bundle of it runs where no package.json is", async () => {
    const pkg = JSON.parse(await readFile(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as {
      name: string;
      version: string;
    };
    expect([ENGINE_NAME, ENGINE_VERSION]).toEqual([pkg.name, pkg.version]);
    const dir = await mkdtemp(join(tmpdir(), 'appliedml-version-'));
    try {
      const out = join(dir, 'app', 'service.mjs');
      const entry = join(dir, 'entry.ts');
      const source = fileURLToPath(new URL('./version.ts', import.meta.url));
      await writeFile(
        entry,
        `import { ENGINE_NAME, ENGINE_VERSION } from ${JSON.stringify(source)};\nconsole.log(ENGINE_NAME + '@' + ENGINE_VERSION);\n`,
      );
      await mkdir(join(dir, 'app'));
      // The esbuild CLI that tsup (which builds every package here) installs.
      const esbuild = fileURLToPath(new URL('../../../node_modules/.bin/esbuild', import.meta.url));
      execFileSync(esbuild, [entry, '--bundle', '--platform=node', '--format=esm', `--outfile=${out}`, '--log-level=error']);
      const printed = execFileSync(process.execPath, [out], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(printed.trim()).toBe(`${pkg.name}@${pkg.version}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
