import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** What a CLI run printed and how it ended: `status` is the exit code, null when it was killed at the timeout. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a demo's CLI source file as a user runs its bin (a child Node process through tsx, on the
 * sources), for tests: never throws, a run that outlives `timeoutMs` (60 s) is killed and reported with
 * status null (a hang shows as that, not as a stuck test).
 */
export async function runCli(cli: string, args: readonly string[], timeoutMs = 60_000): Promise<CliRun> {
  return run(['--import', 'tsx', '--conditions=@appliedml/source', cli, ...args], process.env, timeoutMs);
}

/** The packages a CLI has no need of to print its usage or refuse a flag: TensorFlow.js, sharp, Fastify, vega. */
const HEAVY = /\/node_modules\/((?:@tensorflow|@img|@fastify)\/[^/]+|sharp|fastify|vega[^/]*)\//;

/** The packages of HEAVY that `urls` (module URLs) load from, each once: those a CLI should load only in a command. */
export function heavyModules(urls: readonly string[]): string[] {
  return [...new Set(urls.flatMap((url) => HEAVY.exec(url)?.[1] ?? []))];
}

/**
 * runCli, also listing every module the run loaded (the URLs of the ESM imports resolved and the CommonJS
 * modules required; './module-log' records them), for tests that hold a CLI to loading what it needs.
 */
export async function runCliRecordingModules(
  cli: string,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<CliRun & { modules: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'appliedml-modules-'));
  const log = join(dir, 'modules.txt');
  try {
    const hook = new URL('./module-log.ts', import.meta.url).href;
    const argv = ['--import', 'tsx', '--import', hook, '--conditions=@appliedml/source', cli, ...args];
    const result = await run(argv, { ...process.env, APPLIEDML_MODULE_LOG: log }, timeoutMs);
    const text = await readFile(log, 'utf8').catch(() => '');
    return { ...result, modules: [...new Set(text.split('\n').filter((line) => line !== ''))] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function run(argv: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, argv, { encoding: 'utf8', timeout: timeoutMs, env });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; killed?: boolean; stdout?: string; stderr?: string };
    return { status: e.killed ? null : typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** How an interrupted CLI run ended (interruptCli): its exit code or the signal that killed it, and what it printed. */
export interface InterruptedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the signal to the exit (NaN when no signal was sent). */
  afterSignal: number;
}

/**
 * For tests of Ctrl-C: runs `program` (a demo's bin, bin/cli.mjs) with `args` from `cwd` in its own process group,
 * as a shell starts it, and once its stdout matches `when` and `delayMs` more have passed, sends `signal` to the
 * group (as a terminal's Ctrl-C does). Never throws; a run that outlives `timeoutMs` (90 s) is killed (SIGKILL).
 */
export function interruptCli(
  program: string,
  args: readonly string[],
  options: { cwd: string; when: RegExp; signal: NodeJS.Signals; delayMs?: number; timeoutMs?: number },
): Promise<InterruptedRun> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { cwd: options.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sentAt: number | undefined;
    let armed = false;
    const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (armed || !options.when.test(stdout)) return;
      armed = true;
      setTimeout(() => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        sentAt = performance.now();
        process.kill(-child.pid!, options.signal);
      }, options.delayMs ?? 1000);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => resolve({ code: null, signal: null, stdout, stderr: `${stderr}${String(error)}`, afterSignal: NaN }));
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, afterSignal: sentAt === undefined ? NaN : performance.now() - sentAt });
    });
  });
}
