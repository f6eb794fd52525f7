#!/usr/bin/env node
// `npm run demo` at the root: every demo app's `demo` script in turn, the engine's first.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// fileURLToPath, not .pathname: a clone under a path with a space ('%20' in the URL) was not found.
const root = fileURLToPath(new URL('..', import.meta.url));
const apps = readdirSync(join(root, 'apps'))
  .map((dir) => join(root, 'apps', dir, 'package.json'))
  .filter((file) => existsSync(file))
  .map((file) => JSON.parse(readFileSync(file, 'utf8')))
  .filter((pkg) => pkg.scripts?.demo)
  .sort((a, b) => (a.name === '@appliedml/engine-demo' ? -1 : b.name === '@appliedml/engine-demo' ? 1 : a.name.localeCompare(b.name)));

const only = process.argv.slice(2);
let failed = 0;
for (const pkg of apps) {
  if (only.length > 0 && !only.some((o) => pkg.name.includes(o))) continue;
  process.stdout.write(`\n━━━ ${pkg.name} ━━━\n`);
  // The nested npm sets INIT_CWD to the root again: the demos learn where the user typed the command
  // (their reports and paths are relative to it) from APPLIEDML_INVOCATION_DIR.
  const env = { ...process.env, APPLIEDML_INVOCATION_DIR: process.env.INIT_CWD || process.cwd() };
  const run = spawnSync('npm', ['run', 'demo', '--silent', '-w', pkg.name], { stdio: 'inherit', cwd: root, env });
  if (run.status !== 0) {
    failed++;
    process.stderr.write(`${pkg.name}: demo exited with ${run.status ?? run.signal}\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
