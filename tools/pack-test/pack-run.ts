import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Runs a packing script (pack-test.mjs, sdk-pack-test.mjs) for the Vitest tests beside it and reads its
// JSON check lines. The scripts need the npm cache the repository's `npm ci` filled.
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ScriptRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export type Check = { check: string; ok: boolean } & Record<string, unknown>;

export function runPackScript(script: string, timeoutMs: number): Promise<ScriptRun> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // SIGTERM lets the script stop its own children and remove its temp dirs.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The script's JSON check lines by name. */
export function checksOf(stdout: string): Map<string, Check> {
  const byName = new Map<string, Check>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const value = JSON.parse(line) as Check;
    byName.set(value.check, value);
  }
  return byName;
}
