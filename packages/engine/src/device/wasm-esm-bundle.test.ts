// A service bundled as an ES module (esbuild --format=esm, review s24 R1-1): device 'wasm' failed with
// "The wasm backend failed to initialise: no reason given" even with the .wasm files beside the bundle or
// named by setWasmPaths, and 'auto' fell to js. The wasm glue takes its folder from `__dirname`, which
// ESM does not define; the ReferenceError was swallowed by tfjs. Here the engine's sources are bundled
// with esbuild as a service would bundle the engine, and the bundle is run with node.
import { execFile, execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoModules = fileURLToPath(new URL('../../../../node_modules', import.meta.url));
// The esbuild CLI that tsup (which builds every package here) installs.
const esbuild = join(repoModules, '.bin', 'esbuild');
const engineIndex = fileURLToPath(new URL('../index.ts', import.meta.url));
const wasmDist = join(repoModules, '@tensorflow', 'tfjs-backend-wasm', 'dist');
// What an ESM bundle of tfjs needs to load at all (its CommonJS code requires node's modules).
const REQUIRE_BANNER = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

// The service: `node app <device> [wasm folder for setWasmPaths]`; prints what initEngine gave as JSON.
const SERVICE = `import { initEngine } from ${JSON.stringify(engineIndex)};
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
const [device, paths] = process.argv.slice(2);
if (paths) setWasmPaths(paths);
initEngine({ device }).then(
  (info) => console.log(JSON.stringify({ device: info.device })),
  (e) => console.log(JSON.stringify({ code: e.code, message: e.message, details: e.details })),
);
`;

interface Outcome {
  device?: string;
  code?: string;
  message?: string;
  details?: Record<string, unknown>;
}

let dir: string;

function bundle(format: 'esm' | 'cjs', outfile: string): void {
  const args = [join(dir, 'service.ts'), '--bundle', '--platform=node', `--format=${format}`, `--outfile=${outfile}`, '--log-level=error'];
  // The native peers stay outside a bundle, as the README says.
  args.push('--external:@tensorflow/tfjs-node', '--external:@tensorflow/tfjs-node-gpu');
  // The engine's sources, as the rest of the tests use them ('#tfjs' too, through package.json "imports").
  args.push('--conditions=@appliedml/source');
  if (format === 'esm') args.push(`--banner:js=${REQUIRE_BANNER}`);
  // NODE_PATH: the service file sits in a temporary folder, outside the repository's node_modules.
  execFileSync(esbuild, args, { env: { ...process.env, NODE_PATH: repoModules }, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function copyWasmFiles(to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const file of await readdir(wasmDist)) if (file.endsWith('.wasm')) await copyFile(join(wasmDist, file), join(to, file));
}

async function start(script: string, ...args: string[]): Promise<Outcome> {
  const env = { ...process.env };
  delete env.APPLIEDML_DEVICE;
  delete env.APPLIEDML_WASM_THREADS;
  const { stdout } = await run(process.execPath, [script, ...args], { cwd: dir, env, encoding: 'utf8' });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Outcome;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appliedml-wasm-bundle-'));
  await writeFile(join(dir, 'service.ts'), SERVICE);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the wasm device in a bundled service', () => {
  it('an ES module bundle starts wasm with the .wasm files beside it, or with setWasmPaths, and names the missing file without', async () => {
    const bare = join(dir, 'esm-bare', 'app.mjs');
    const beside = join(dir, 'esm-beside', 'app.mjs');
    bundle('esm', bare);
    await mkdir(dirname(beside));
    await copyFile(bare, beside);
    await copyWasmFiles(dirname(beside));
    await copyWasmFiles(join(dir, 'wasm-files'));

    expect(await start(beside, 'wasm')).toEqual({ device: 'wasm' });
    expect(await start(beside, 'auto')).toEqual({ device: 'wasm' });
    expect(await start(bare, 'wasm', join(dir, 'wasm-files') + '/')).toEqual({ device: 'wasm' });

    const missing = await start(bare, 'wasm');
    expect(missing.code).toBe('E_DEVICE_UNAVAILABLE');
    expect(missing.details?.wasmFile).toMatch(new RegExp(`^${dirname(bare)}/tfjs-backend-wasm[-a-z]*\\.wasm$`));
    expect(missing.message).toMatch(/its WebAssembly file .*\.wasm is missing\. Ship @tensorflow\/tfjs-backend-wasm's \.wasm files/);
  });

  it('a CommonJS bundle starts wasm with the .wasm files beside it', async () => {
    const app = join(dir, 'cjs', 'app.cjs');
    bundle('cjs', app);
    await copyWasmFiles(dirname(app));
    expect(await start(app, 'wasm')).toEqual({ device: 'wasm' });
  });
});
