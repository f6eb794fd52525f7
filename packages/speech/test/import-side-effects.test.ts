import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

// Importing the SDK and extracting features must not log, read environment variables or touch the
// global Meyda object (the SDK uses a private Meyda context per feature config).
describe('importing @appliedml/speech', () => {
  it('has no side effects: no output, no env reads, Meyda global untouched', () => {
    const root = resolve(__dirname, '..', '..', '..');
    const entry = resolve(root, 'packages/speech/src/index.ts');
    const script = `
      const reads = new Set();
      const env = process.env;
      process.env = new Proxy(env, { get(t, k) { if (typeof k === 'string') reads.add(k); return Reflect.get(t, k); } });
      const mod = await import(${JSON.stringify(entry)});
      const sdk = mod.mfcc ? mod : mod.default;
      const f = sdk.extractFeatures(Float32Array.from({ length: 4000 }, (_, i) => Math.sin(i / 3)));
      const envReads = [...reads];
      process.env = env;
      const { createRequire } = await import('node:module');
      const meyda = createRequire(${JSON.stringify(entry)})('meyda');
      process.stdout.write(JSON.stringify({ envReads, frames: f.frames, meydaBuffer: meyda.bufferSize, meydaWindow: meyda.windowingFunction }));
    `;
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        pathToFileURL(resolve(root, 'node_modules/tsx/dist/loader.mjs')).href,
        '--conditions=@appliedml/source',
        '--input-type=module',
        '-e',
        script,
      ],
      { encoding: 'utf8', env: { ...process.env, NODE_PATH: resolve(root, 'node_modules') } },
    );
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as { envReads: string[]; frames: number; meydaBuffer: number; meydaWindow: string };
    expect(result.frames).toBe(51);
    expect(result.meydaBuffer).toBe(512);
    expect(result.meydaWindow).toBe('hanning');
    expect(result.envReads.filter((k) => k !== 'WATCH_REPORT_DEPENDENCIES' && k !== 'NODE_V8_COVERAGE')).toEqual([]);
  });
});
