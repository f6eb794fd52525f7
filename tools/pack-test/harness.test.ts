import { spawnSync } from 'node:child_process';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The harness's `run` on a command whose own child outlives it and holds the output pipe (as a lifecycle
// script under `npm install` can): the timeout has to stop the whole process group, or `close` would
// wait for the grandchild. Run in a separate node process, since the harness installs signal handlers.
const harness = pathToFileURL(fileURLToPath(new URL('./harness.mjs', import.meta.url))).href;

const script = `
import { readFileSync } from 'node:fs';
import { run } from ${JSON.stringify(harness)};
const t0 = Date.now();
let message = '';
try {
  await run('sh', ['-c', 'sleep 30 & echo "grandchild $!"; wait'], { cwd: process.cwd(), timeoutMs: 1000 });
} catch (error) {
  message = error.message;
}
const ms = Date.now() - t0;
const pid = Number(/grandchild (\\d+)/.exec(message)?.[1]);
// Alive means running: a killed process can stay a zombie until something reaps it. Its pipes close
// while it is still exiting, so a loaded machine may show it a moment longer: look for up to 3 s.
const running = () => {
  try {
    return !/^\\d+ \\(.*\\) Z/.test(readFileSync('/proc/' + pid + '/stat', 'utf8'));
  } catch {
    return false;
  }
};
let alive = running();
for (let waited = 0; alive && waited < 3000; waited += 50) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  alive = running();
}
console.log(JSON.stringify({ ms, message: message.split('\\n')[0], pid, alive }));
`;

describe.skipIf(process.platform !== 'linux')('pack-test harness', () => {
  it('a timeout stops the command with everything it started', () => {
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(out.status, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}') as { ms: number; message: string; pid: number; alive: boolean };
    expect(result.message).toMatch(/timed out after/);
    expect(Number.isInteger(result.pid) && result.pid > 0).toBe(true);
    expect(result.alive).toBe(false);
    expect(result.ms).toBeLessThan(10_000);
  });
});
