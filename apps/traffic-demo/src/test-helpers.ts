// What the demo's tests share: running the CLI as a user would, a scratch folder per test file, and the
// smallest comparison that still trains and keeps its models.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSeries, generateTrafficNetwork } from '@appliedml/traffic';
import { afterAll, beforeAll } from 'vitest';
import type { DemoData } from './data';
import { runComparison, type ComparisonOptions } from './experiment';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));

/**
 * Runs `cli.ts` (through tsx, on the packages' sources) with `args` and waits for it. The machine's
 * device, wasm-thread and data-folder settings are cleared so the outcome does not depend on them
 * (no data folder: `--data auto` is the generated network); `env` adds to or overrides that.
 */
export function runCli(
  args: readonly string[],
  { env = {}, timeout = 180_000 }: { env?: NodeJS.ProcessEnv; timeout?: number } = {},
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@appliedml/source', cli, ...args], {
    encoding: 'utf8',
    timeout,
    env: { ...process.env, APPLIEDML_DEVICE: '', APPLIEDML_WASM_THREADS: '', APPLIEDML_DATA_DIR: '', ...env },
  });
}

/**
 * A temporary folder made before the file's tests (and before any `beforeAll` registered after this
 * call) and removed after them. `file(name)` is a path in it.
 */
export function scratchFolder(prefix: string): { readonly path: string; file(name: string): string } {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get path() {
      return dir;
    },
    file: (name: string) => join(dir, name),
  };
}

/** `runComparison` at its quickest (one epoch, 4 hidden units, seed 1, quiet), the models kept. */
export function quickComparison(data: DemoData, models: ComparisonOptions['models'] = ['last-value']) {
  return runComparison(data, { models, epochs: 1, hiddenUnits: 4, seed: 1, progress: false, keep: true });
}

/**
 * The generated network (8 sensors, 14 days, seed 2026) with its times on the `timeZone` clock, in UTC
 * fields when it is left out (`undefined`), or without a clock (`null`: steps, no start); `name` says
 * which source it stands for (the note follows: 'SYNTHETIC' for the generated one).
 */
export function generatedNetwork(timeZone?: string | null, name: DemoData['name'] = 'synthetic'): DemoData {
  const net = generateTrafficNetwork({ sensors: 8, days: 14, incidents: 10, seed: 2026 });
  const { series } = net;
  const data = createSeries({
    values: series.values,
    sensors: series.sensors,
    intervalMinutes: series.intervalMinutes,
    start: timeZone === null ? null : series.start!,
    ...(timeZone ? { timeZone } : {}),
  });
  return { ...net, series: data, name, note: name === 'synthetic' ? 'SYNTHETIC' : 'your file' };
}
