import { execFile } from 'node:child_process';
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
  const argv = ['--import', 'tsx', '--conditions=@appliedml/source', cli, ...args];
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, argv, { encoding: 'utf8', timeout: timeoutMs });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; killed?: boolean; stdout?: string; stderr?: string };
    return { status: e.killed ? null : typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
