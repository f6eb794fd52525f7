import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Review s28 R1-4: a tf call before initEngine (tf.memory()) started wasm through tfjs, outside initEngine,
// and the wasm glue's process listeners stayed: an unrelated uncaught error of the application then exited
// with code 7 after 39 KB of minified glue instead of 1 with its own stack.
const engine = pathToFileURL(fileURLToPath(new URL('../index.ts', import.meta.url))).href;
const dir = mkdtempSync(join(tmpdir(), 'appliedml-glue-before-init-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(name: string, body: string): { status: number | null; stdout: string; stderr: string } {
  const script = join(dir, `${name}.mts`);
  writeFileSync(script, `import { AppliedMLError, initEngine, tf } from ${JSON.stringify(engine)};\nvoid initEngine;\n${body}\n`);
  const r = spawnSync(process.execPath, ['--conditions=@appliedml/source', '--import', 'tsx', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const listeners = "console.log(`listeners: ${process.listenerCount('uncaughtException')} ${process.listenerCount('unhandledRejection')}`);";
const appError = "throw new AppliedMLError('E_INPUT_INVALID', 'an application error nobody caught');";

describe('the wasm glue leaves the process handlers alone when a tf call starts wasm before initEngine', () => {
  it('tf.memory() before initEngine throws tfjs\'s "not yet initialized"; a later application error exits 1 with its own stack, not 7 with the glue', () => {
    const r = run(
      'memory',
      `try { tf.memory(); console.log('no throw'); } catch (e) { console.log('threw: ' + (e as Error).message.slice(0, 120)); }
await tf.ready();
${listeners}
const info = await initEngine({ device: 'wasm' });
console.log('engine: ' + info.backend + ', tensors ' + tf.memory().numTensors);
${listeners}
setTimeout(() => { ${appError} }, 5);`,
    );
    expect(r.stdout).toMatch(/threw: The highest priority backend 'wasm' has not yet been initialized/);
    expect(r.stdout).toMatch(/listeners: 0 0\nengine: wasm, tensors \d+\nlisteners: 0 0/);
    expect(r.stderr).toMatch(/AppliedMLError: an application error nobody caught/);
    expect(r.stderr.length).toBeLessThan(5000);
    expect(r.status).toBe(1);
  }, 60_000);

  it('an application error while that start is still under way exits 1 too', () => {
    const r = run('during', `try { tf.memory(); } catch { /* tfjs: not yet initialized */ }\nawait Promise.resolve();\n${appError}`);
    expect(r.stderr).toMatch(/AppliedMLError: an application error nobody caught/);
    expect(r.stderr.length).toBeLessThan(5000);
    expect(r.status).toBe(1);
  }, 60_000);

  it("tf.setBackend('wasm') leaves no glue listener; the application's own handler stays and runs; initEngine afterwards works", () => {
    const r = run(
      'set-backend',
      `process.on('uncaughtException', (e) => { console.log('mine ran: ' + e.message); process.exit(3); });
await tf.setBackend('wasm');
${listeners}
const info = await initEngine({ device: 'wasm' });
console.log('engine: ' + info.backend + ', tensors ' + tf.memory().numTensors);
${listeners}
setTimeout(() => { ${appError} }, 5);`,
    );
    expect(r.stdout).toMatch(/listeners: 1 0\nengine: wasm, tensors \d+\nlisteners: 1 0\nmine ran: an application error nobody caught/);
    expect(r.status).toBe(3);
  }, 60_000);
});
