// Engine benchmark: the engine's wasm backend vs plain tfjs cpu vs PyTorch CPU, in one run.
//
//   npm run bench -w @appliedml/engine [-- --quick] [--out <file>] [--python <exe>] [--no-torch]
//
// Prepares the data once, measures each backend in its own process (tfjs-worker.ts for wasm and
// js, tools/bench/engine_peer.py for PyTorch at 1 and 2 threads), prints the report and writes it
// to --out (default docs/benchmarks/engine.md, relative to the repository root).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, release, tmpdir, totalmem, type } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf } from '../src/index';
import { prepareData } from './data';
import type { BackendId, BackendResult, Plan, TfjsBackend } from './plan';
import { makeWorkloads } from './plan';
import type { Machine } from './report';
import { evaluateTargets, renderReport } from './report';

const USAGE = `Usage: npm run bench -w @appliedml/engine [-- options]

  --quick          fewer steps and repeats (a smoke check, about a minute)
  --out <file>     where to write the report (default docs/benchmarks/engine.md, from the repository root)
  --python <exe>   Python with torch for the PyTorch peer (default: $ENGINE_BENCH_PYTHON, /usr/bin/python3, python3)
  --no-torch       skip the PyTorch peer
  --help           this text`;

interface Options {
  quick: boolean;
  out?: string;
  python?: string;
  torch: boolean;
  args: string[];
}

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, torch: true, args: argv };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n\n${USAGE}`);
      return v;
    };
    if (a === '--quick') options.quick = true;
    else if (a === '--out') options.out = value();
    else if (a.startsWith('--out=')) options.out = a.slice('--out='.length);
    else if (a === '--python') options.python = value();
    else if (a.startsWith('--python=')) options.python = a.slice('--python='.length);
    else if (a === '--no-torch') options.torch = false;
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n\n${USAGE}`);
  }
  return options;
}

const benchDir = dirname(fileURLToPath(import.meta.url));

/** The directory whose package.json declares the workspaces. */
function repoRoot(): string {
  let dir = benchDir;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && 'workspaces' in (JSON.parse(readFileSync(pkg, 'utf8')) as object)) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (a package.json with workspaces) above the bench');
    dir = up;
  }
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':').slice(1).join(':').trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown CPU';
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function commandLine(args: string[]): string {
  const extra = args.length > 0 ? ` ${args.join(' ')}` : '';
  if (process.env.npm_lifecycle_event === 'bench' && process.env.npm_package_name === '@appliedml/engine') {
    return `npm run bench -w @appliedml/engine${extra ? ` --${extra}` : ''}`;
  }
  return `npx tsx --conditions=@appliedml/source packages/engine/bench/run.ts${extra}`;
}

/** Busy CPU seconds of the whole machine so far (Linux /proc/stat), or undefined elsewhere. */
function machineBusySeconds(): number | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …, in USER_HZ (100 per second on Linux)
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return undefined;
  }
}

/** How many cores' worth of CPU other processes used while a measuring child ran. */
function startCpuWatch(): { otherCores: (childCpuSeconds: number | undefined) => number | undefined } {
  const busy0 = machineBusySeconds();
  const t0 = performance.now();
  return {
    otherCores: (childCpuSeconds) => {
      const busy1 = machineBusySeconds();
      if (busy0 === undefined || busy1 === undefined || childCpuSeconds === undefined) return undefined;
      const wall = (performance.now() - t0) / 1000;
      return Math.max(0, (busy1 - busy0 - childCpuSeconds) / wall);
    },
  };
}

/** Run a child to completion; resolves with its exit code, or the spawn error. */
function runChild(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; error?: Error }> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (error) => done({ code: null, error }));
    child.on('close', (code) => done({ code }));
  });
}

async function readResult(path: string, backend: BackendId, why: string): Promise<BackendResult> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as BackendResult;
  } catch {
    return { backend, ok: false, reason: why, info: {}, train: {}, infer: {} };
  }
}

async function runTfjs(backend: TfjsBackend, planPath: string, work: string, root: string): Promise<BackendResult> {
  const resultPath = join(work, `${backend}.json`);
  const started = performance.now();
  const { code, error } = await runChild(
    process.execPath,
    [...process.execArgv, join(benchDir, 'tfjs-worker.ts'), '--backend', backend, '--plan', planPath, '--result', resultPath],
    process.env,
    root,
  );
  console.error(`[${backend}] done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return readResult(
    resultPath,
    backend,
    error ? `worker did not start: ${error.message}` : `worker exited with code ${code} and no result`,
  );
}

function defaultPython(options: Options): string {
  if (options.python) return options.python;
  if (process.env.ENGINE_BENCH_PYTHON) return process.env.ENGINE_BENCH_PYTHON;
  // Debian's python3-torch lives in the system Python, which a pyenv or venv python3 on PATH may hide.
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

async function runTorch(threads: number, python: string, planPath: string, work: string, root: string): Promise<BackendResult> {
  const backend: BackendId = threads === 1 ? 'torch-1t' : 'torch-2t';
  const resultPath = join(work, `${backend}.json`);
  const started = performance.now();
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' };
  const peer = join(root, 'tools', 'bench', 'engine_peer.py');
  const { code, error } = await runChild(
    python,
    [peer, '--plan', planPath, '--threads', String(threads), '--result', resultPath],
    env,
    root,
  );
  if (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? `${python} not found` : `${python} failed to start: ${error.message}`;
    return { backend, ok: false, reason, info: {}, train: {}, infer: {} };
  }
  console.error(`[${backend}] done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return readResult(resultPath, backend, `the PyTorch peer exited with code ${code} and no result`);
}

/** Format with the repository's Prettier when it is installed (format:check covers docs/), else leave as is. */
async function formatMarkdown(text: string, path: string): Promise<string> {
  try {
    const prettier = (await import('prettier')) as {
      format(src: string, opts: object): Promise<string>;
      resolveConfig(p: string): Promise<object | null>;
    };
    return await prettier.format(text, { ...((await prettier.resolveConfig(path)) ?? {}), filepath: path });
  } catch {
    return text;
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const root = repoRoot();
  const started = performance.now();
  const outPath = options.out ? resolve(process.env.INIT_CWD ?? process.cwd(), options.out) : join(root, 'docs', 'benchmarks', 'engine.md');
  const work = await mkdtemp(join(tmpdir(), 'engine-bench-'));
  try {
    const seed = 20_251_128;
    console.error(`engine bench${options.quick ? ' (quick)' : ''}: preparing data`);
    const data = await prepareData(work, seed);
    const plan: Plan = { quick: options.quick, seed, dataDir: work, data: data.files, workloads: makeWorkloads(options.quick) };
    const planPath = join(work, 'plan.json');
    await writeFile(planPath, JSON.stringify(plan, null, 2));

    const results: Partial<Record<BackendId, BackendResult>> = {};
    const otherCores: Partial<Record<BackendId, number>> = {};
    for (const backend of ['wasm', 'wasm-2t', 'js'] as const) {
      const watch = startCpuWatch();
      const r = await runTfjs(backend, planPath, work, root);
      const other = watch.otherCores(r.cpuSeconds);
      if (other !== undefined) otherCores[backend] = other;
      results[backend] = r;
      if (!r.ok) console.error(`[${backend}] not measured: ${r.reason}`);
    }

    let torchSkipped: string | undefined;
    const python = defaultPython(options);
    if (!options.torch) torchSkipped = 'skipped with --no-torch';
    else {
      for (const threads of [1, 2]) {
        const watch = startCpuWatch();
        const r = await runTorch(threads, python, planPath, work, root);
        const other = watch.otherCores(r.cpuSeconds);
        if (other !== undefined && r.ok) otherCores[r.backend] = other;
        if (!r.ok) {
          torchSkipped = r.reason ?? 'the PyTorch peer failed';
          console.error(`PyTorch columns skipped: ${torchSkipped}`);
          if (threads === 1) break;
        }
        results[r.backend] = r;
      }
    }

    const machine: Machine = {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      cpu: cpuModel(),
      cores: cpus().length,
      memoryGiB: totalmem() / 2 ** 30,
      os: `${type()} ${release()}`,
      node: process.versions.node,
      tfjs: tf.version_core,
      tfjsWasm: packageVersion('@tensorflow/tfjs-backend-wasm'),
      command: commandLine(options.args),
      seconds: (performance.now() - started) / 1000,
      otherCores,
    };
    if (options.torch) machine.python = python;
    const input = { machine, plan, results, ...(torchSkipped ? { torchSkipped } : {}) };
    const report = await formatMarkdown(renderReport(input), outPath);
    await mkdir(dirname(outPath), { recursive: true });
    await writeFile(outPath, report);
    console.log(report);
    console.log('');
    for (const t of evaluateTargets(input))
      console.log(`${t.met === undefined ? 'n/a ' : t.met ? 'MET ' : 'MISS'}  ${t.name}: ${t.measured}`);
    const shown = relative(root, outPath);
    console.log(
      `\nwrote ${isAbsolute(shown) || shown.startsWith('..') ? outPath : shown} in ${((performance.now() - started) / 60000).toFixed(1)} min`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error((error as Error).message ?? error);
  process.exitCode = 1;
});
