// Shared by the packing tests (pack-test.mjs for the engine, sdk-pack-test.mjs for the five SDKs):
// progress and JSON result lines, child processes with a clean environment and a timeout, temp dirs
// removed on every exit. Both rebuild dist folders, so they run one after the other (pack.test.ts).
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '../..');
export const CONSUMER_FIXTURES = join(HERE, 'consumer');
export const SOURCE_CONDITION = '@appliedml/source';
export const IS_WINDOWS = process.platform === 'win32';

/** What every step shares: the temp dirs to remove, the warnings so far, the step running now. */
export const state = { keep: false, warnings: [], tempDirs: [], currentStep: 'start', started: Date.now() };
const children = new Map(); // pid → { child, closed }

export class CheckFailure extends Error {}

export function log(message) {
  process.stdout.write(`[pack-test] ${message}\n`);
}
export function warn(message) {
  state.warnings.push(message);
  process.stdout.write(`[pack-test]   WARNING: ${message}\n`);
}
export function check(condition, message) {
  if (!condition) throw new CheckFailure(message);
}
export function emit(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
export const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
export const isInside = (child, parent) => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};
export const posix = (p) => p.split(sep).join('/');
export const tail = (text, lines = 40) => text.trimEnd().split('\n').slice(-lines).join('\n');

export function removeTempDirs() {
  while (state.tempDirs.length > 0) {
    const dir = state.tempDirs.pop();
    if (state.keep) {
      log(`kept ${dir}`);
      continue;
    }
    try {
      // Retries cover a child that was still writing into the directory when it was stopped.
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    } catch (error) {
      process.stderr.write(`[pack-test] could not remove ${dir}: ${error.message}\n`);
    }
  }
}

/**
 * Send a signal to a child and everything it started: on POSIX each child leads its own process group
 * (spawned detached), so `npm install`'s own children (lifecycle scripts, node-gyp) stop with it and
 * cannot keep the pipes open after a timeout. On Windows, or if the group is already gone, the child alone.
 * The cost of their own groups: a SIGKILL sent to this script's group (which no handler sees) does not
 * reach them; SIGINT / SIGTERM and every normal or error exit stop them here.
 */
function killTree(child, signal) {
  if (!IS_WINDOWS && child.pid !== undefined) {
    try {
      process.kill(-child.pid, signal);
      return;
    } catch {
      // the group has exited already; fall through to the child itself
    }
  }
  child.kill(signal);
}

/** Stop the children this script started (each with its process group), wait for them, then remove the temp dirs. */
export async function shutdown() {
  const running = [...children.values()];
  for (const { child } of running) killTree(child, 'SIGTERM');
  const stopped = Promise.all(running.map(({ closed }) => closed));
  const timeout = new Promise((resolveTimeout) => setTimeout(resolveTimeout, 5_000).unref());
  if ((await Promise.race([stopped.then(() => true), timeout.then(() => false)])) === false) {
    for (const { child } of running) killTree(child, 'SIGKILL');
    await Promise.race([stopped, new Promise((r) => setTimeout(r, 2_000).unref())]);
  }
  children.clear();
  removeTempDirs();
}

let shuttingDown = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (shuttingDown) return;
    shuttingDown = true;
    process.stderr.write(`[pack-test] interrupted (${signal}) during ${state.currentStep}; stopping children and cleaning up\n`);
    shutdown().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}
// Last resort for an unexpected exit: no child group left running, and the temp dirs.
process.on('exit', () => {
  for (const { child } of children.values()) killTree(child, 'SIGKILL');
  removeTempDirs();
});

/**
 * The environment for every child: nothing inherited from an enclosing `npm run`/`npm exec` (which
 * sets npm_config_local_prefix to the workspace and would redirect `npm install` into it), no
 * loaders or module paths from NODE_OPTIONS/NODE_PATH, no APPLIEDML_* overrides (APPLIEDML_DEVICE
 * would defeat the `auto` check). User npm configuration (cache, registry, proxy, CA) is kept.
 */
export function childEnv() {
  const keepNpm = new Set([
    'npm_config_cache',
    'npm_config_userconfig',
    'npm_config_globalconfig',
    'npm_config_registry',
    'npm_config_cafile',
    'npm_config_proxy',
    'npm_config_https_proxy',
    'npm_config_noproxy',
    'npm_config_strict_ssl',
  ]);
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower.startsWith('npm_') && !keepNpm.has(lower)) continue;
    if (['NODE_OPTIONS', 'NODE_PATH', 'INIT_CWD'].includes(key) || key.startsWith('APPLIEDML_')) continue;
    env[key] = value;
  }
  env.npm_config_update_notifier = 'false';
  env.NO_COLOR = '1';
  return env;
}

/** Run a command, capture its output, enforce a timeout; throw a CheckFailure on a non-zero exit. */
export function run(command, commandArgs, { cwd, timeoutMs = 60_000, allowFailure = false } = {}) {
  const shown = `${command} ${commandArgs.join(' ')}`;
  return new Promise((resolvePromise, reject) => {
    const t0 = Date.now();
    const child = spawn(command, commandArgs, {
      cwd,
      env: childEnv(),
      shell: IS_WINDOWS,
      detached: !IS_WINDOWS,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let markClosed;
    const closed = new Promise((r) => (markClosed = r));
    children.set(child.pid ?? child, { child, closed });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      children.delete(child.pid ?? child);
      markClosed();
      reject(new CheckFailure(`could not start \`${shown}\`: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child.pid ?? child);
      markClosed();
      const result = { code, signal, stdout, stderr, ms: Date.now() - t0 };
      if (timedOut) {
        reject(new CheckFailure(`\`${shown}\` timed out after ${seconds(timeoutMs)} (cwd ${cwd})\n${tail(stdout + stderr)}`));
      } else if (code !== 0 && !allowFailure) {
        reject(
          new CheckFailure(
            `\`${shown}\` exited with ${code ?? signal} (cwd ${cwd})\n--- stdout ---\n${tail(stdout)}\n--- stderr ---\n${tail(stderr)}`,
          ),
        );
      } else {
        resolvePromise(result);
      }
    });
  });
}

/** The last stdout line that parses as a JSON object with the given `check`. */
export function jsonLine(stdout, name) {
  const lines = stdout.split('\n').filter((line) => line.trim().startsWith('{'));
  for (const line of lines.reverse()) {
    try {
      const value = JSON.parse(line);
      if (value.check === name) return value;
    } catch {
      // not our line
    }
  }
  throw new CheckFailure(`no {"check":"${name}"} line in the output:\n${tail(stdout)}`);
}

export async function step(name, fn) {
  state.currentStep = name;
  log(`── ${name}`);
  const t0 = Date.now();
  const value = await fn();
  log(`   ok (${seconds(Date.now() - t0)})`);
  return value;
}

/** Every file path a manifest field or the exports map points at (targets of the source condition apart). */
export function manifestTargets(manifest) {
  const targets = new Map(); // path → where it is referenced
  const add = (target, where) => {
    if (typeof target === 'string') targets.set(target.replace(/^\.\//, ''), where);
  };
  add(manifest.main, 'main');
  add(manifest.module, 'module');
  add(manifest.types, 'types');
  add(manifest.typings, 'typings');
  if (typeof manifest.bin === 'string') add(manifest.bin, 'bin');
  else for (const [name, target] of Object.entries(manifest.bin ?? {})) add(target, `bin.${name}`);
  const sourceTargets = [];
  const walk = (node, where) => {
    if (typeof node === 'string') add(node, where);
    else if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${where}[${i}]`));
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === SOURCE_CONDITION) sourceTargets.push({ where: `${where}["${key}"]`, target: value });
        else walk(value, `${where}["${key}"]`);
      }
    }
  };
  walk(manifest.exports, 'exports');
  return { targets, sourceTargets };
}

export function copyFixtures(dir, names) {
  for (const name of names) copyFileSync(join(CONSUMER_FIXTURES, name), join(dir, name));
}

/** Parse `tsc --explainFiles` output: errors, and which declaration file of `packageName` each importer got. */
export function parseTsc(stdout, packageName) {
  const errors = [];
  const resolvedFor = {};
  let currentFile;
  const escaped = packageName.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const importedVia = new RegExp(`Imported via (['"])${escaped}\\1 from file '([^']+)'`);
  const marker = `node_modules/${packageName}/`;
  for (const line of stdout.split('\n')) {
    if (/error TS\d+:/.test(line) && !/^\s/.test(line)) {
      errors.push(line.trim());
      continue;
    }
    if (line && !/^\s/.test(line)) {
      currentFile = line.trim();
      continue;
    }
    const imported = importedVia.exec(line);
    if (imported && currentFile) {
      const at = posix(currentFile).lastIndexOf(marker);
      resolvedFor[imported[2]] = at >= 0 ? posix(currentFile).slice(at + marker.length) : currentFile;
    }
  }
  return { errors, resolvedFor };
}

/** Reads the options both packing scripts take (`[--no-build] [--keep]`); sets `state.keep`, returns whether to build. */
export function readOptions(script) {
  const args = new Set(process.argv.slice(2));
  if (args.has('--help') || args.has('-h')) {
    process.stdout.write(`usage: node tools/pack-test/${script} [--no-build] [--keep]\n`);
    process.exit(0);
  }
  for (const arg of args) {
    if (!['--no-build', '--keep'].includes(arg)) {
      process.stderr.write(`${script}: unknown option ${arg}\n`);
      process.exit(2);
    }
  }
  state.keep = args.has('--keep') || process.env.PACK_TEST_KEEP === '1';
  return !args.has('--no-build');
}

/**
 * Runs a packing script's `main` (which returns the fields of its summary line), prints the summary,
 * stops the children, removes the temp dirs and sets the exit code: 0, or 1 with `FAILED at <step>`.
 */
export async function runChecks(main) {
  try {
    const fields = await main();
    const total = Date.now() - state.started;
    emit({ check: 'summary', ok: true, ...fields, seconds: Math.round(total / 100) / 10, warnings: state.warnings });
    log(`all checks passed in ${seconds(total)}${state.warnings.length > 0 ? ` with ${state.warnings.length} warning(s)` : ''}`);
    await shutdown();
    process.exitCode = 0;
  } catch (error) {
    await shutdown();
    const message = error instanceof CheckFailure ? error.message : (error?.stack ?? String(error));
    process.stderr.write(`[pack-test] FAILED at "${state.currentStep}": ${message}\n`);
    process.exitCode = 1;
  }
}

/** `npm pack --json` of the given workspaces into `packDir`: npm's entries, each with the tarball's path checked. */
export async function npmPack(names, packDir, timeoutMs) {
  const { stdout } = await run('npm', ['pack', ...names.flatMap((name) => ['-w', name]), '--json', '--pack-destination', packDir], {
    cwd: ROOT,
    timeoutMs,
  });
  let entries;
  try {
    entries = JSON.parse(stdout.slice(stdout.indexOf('[')));
  } catch (error) {
    throw new CheckFailure(`npm pack --json printed something that is not JSON (${error.message}):\n${tail(stdout)}`);
  }
  return names.map((name) => {
    const entry = entries.find((e) => e.name === name);
    check(entry && typeof entry.filename === 'string', `npm pack --json gave no tarball for ${name}:\n${tail(stdout)}`);
    const tarball = join(packDir, entry.filename);
    check(existsSync(tarball), `npm pack reported ${entry.filename} but ${tarball} does not exist`);
    return { ...entry, tarball };
  });
}
