import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

// Importing the SDK loads no codec, reads no environment variable and prints nothing.
describe('importing @appliedml/medical-imaging', () => {
  it('has no side effects: no output, no env reads, no wasm codec loaded', () => {
    const root = resolve(__dirname, '..', '..', '..');
    const entry = resolve(root, 'packages/medical-imaging/src/index.ts');
    const script = `
      const reads = new Set();
      const env = process.env;
      process.env = new Proxy(env, { get(t, k) { if (typeof k === 'string') reads.add(k); return Reflect.get(t, k); } });
      const mod = await import(${JSON.stringify(entry)});
      const sdk = mod.isDicom ? mod : mod.default;
      sdk.isDicom(new Uint8Array(200));
      const envReads = [...reads];
      process.env = env;
      const { createRequire } = await import('node:module');
      const loaded = Object.keys(createRequire(${JSON.stringify(entry)}).cache);
      process.stdout.write(JSON.stringify({ envReads, codecs: loaded.filter((f) => /codec-|jpeg-lossless-decoder/.test(f)) }));
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
      { cwd: root, encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as { envReads: string[]; codecs: string[] };
    expect(result.codecs).toEqual([]);
    // tsx (the test's loader) and Node's module loader read these; the SDK reads none.
    expect(result.envReads.filter((k) => k !== 'WATCH_REPORT_DEPENDENCIES' && k !== 'NODE_V8_COVERAGE')).toEqual([]);
  });
});
