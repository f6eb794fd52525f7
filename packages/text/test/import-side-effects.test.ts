import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

// natural's top-level entry loads mongoose/pg/redis/memjs and calls dotenv.config(). The SDK imports
// only natural's submodules: importing it and using natural (tokenise, stem, sentiment) must not
// read a .env file, read environment variables, log, or load those packages.
describe('importing @appliedml/text', () => {
  it('has no side effects: no .env, no env reads, no output, no database clients', () => {
    const root = resolve(__dirname, '..', '..', '..');
    const cwd = mkdtempSync(join(tmpdir(), 'appliedml-text-env-'));
    writeFileSync(join(cwd, '.env'), 'APPLIEDML_TEXT_DOTENV_MARKER=loaded\n');
    const entry = resolve(root, 'packages/text/src/index.ts');
    const script = `
      const reads = new Set();
      const env = process.env;
      process.env = new Proxy(env, { get(t, k) { if (typeof k === 'string') reads.add(k); return Reflect.get(t, k); } });
      const mod = await import(${JSON.stringify(entry)});
      const sdk = mod.resolveFeatureConfig ? mod : mod.default;
      sdk.tokenize('Running fast', sdk.resolveFeatureConfig({ stem: true, removeStopWords: true }));
      new sdk.SentimentScorer().score('good');
      const envReads = [...reads];
      process.env = env;
      const { createRequire } = await import('node:module');
      const loaded = Object.keys(createRequire(${JSON.stringify(entry)}).cache);
      process.stdout.write(JSON.stringify({ envReads, marker: env.APPLIEDML_TEXT_DOTENV_MARKER ?? null, heavy: loaded.filter((f) => /node_modules\\/(mongoose|pg|redis|memjs|dotenv)\\//.test(f)), natural: loaded.filter((f) => f.includes('/natural/')).length }));
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
      {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, NODE_PATH: join(root, 'node_modules') },
      },
    );
    rmSync(cwd, { recursive: true, force: true });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as { envReads: string[]; marker: string | null; heavy: string[]; natural: number };
    expect(result.marker).toBeNull();
    expect(result.heavy).toEqual([]);
    expect(result.natural).toBeGreaterThan(0);
    // tsx (the test's TypeScript loader) and Node's module loader read these two; the SDK reads none.
    expect(result.envReads.filter((k) => k !== 'WATCH_REPORT_DEPENDENCIES' && k !== 'NODE_V8_COVERAGE')).toEqual([]);
  });
});
