import { appendFile, open, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { AppliedMLError } from '@appliedml/engine';
import type { InferenceModel } from '../pool-protocol';

// A stand-in model for the pool tests: the "bundle" is a JSON file {factor}; inputs are numbers
// (negative ones are bad input), {spin: ms} to keep the worker's CPU busy, {fail: text} to throw
// a plain (non-SDK) error, {exit: code} to end the worker thread, or {exitAfter: ms} to answer and
// end the thread ms later, while it is idle.
// Options: `loadLog` (a file each load appends its thread id to), `slowLoadMs` (every worker
// but the first to claim `${loadLog}.first` takes this long to load) and `loadDelayFile` (a file
// holding how many ms each load waits, read at load time).
export type ScaleInput = number | { spin: number } | { fail: string } | { exit: number } | { exitAfter: number };
export interface ScaleOutput {
  y: number;
  batchSize: number;
  threadId: number;
}

export async function load(
  bundle: string,
  options: { loadLog?: string; slowLoadMs?: number; loadDelayFile?: string } = {},
): Promise<InferenceModel<ScaleInput, ScaleOutput>> {
  if (options.loadDelayFile) await sleep(Number(await readFile(options.loadDelayFile, 'utf8')));
  let factor: number;
  try {
    factor = (JSON.parse(await readFile(bundle, 'utf8')) as { factor: number }).factor;
  } catch (cause) {
    throw new AppliedMLError('E_BUNDLE_MISSING', `No bundle at ${bundle}.`, { cause });
  }
  if (options.loadLog) {
    if (options.slowLoadMs) {
      const first = await open(`${options.loadLog}.first`, 'wx').then(
        async (handle) => (await handle.close(), true),
        () => false,
      );
      if (!first) await sleep(options.slowLoadMs);
    }
    await appendFile(options.loadLog, `${threadId}\n`);
  }
  return {
    info: { factor },
    predictBatch(inputs) {
      return inputs.map((x) => {
        if (typeof x === 'object' && 'fail' in x) throw new TypeError(x.fail);
        if (typeof x === 'object' && 'exit' in x) process.exit(x.exit);
        if (typeof x === 'object' && 'exitAfter' in x) {
          setTimeout(() => process.exit(3), x.exitAfter);
          return { y: 0, batchSize: inputs.length, threadId };
        }
        if (typeof x === 'object') {
          const until = Date.now() + x.spin;
          while (Date.now() < until) {
            // busy: CPU-bound work the event loop must not feel
          }
          return { y: 0, batchSize: inputs.length, threadId };
        }
        if (x < 0) throw new AppliedMLError('E_INPUT_INVALID', `Negative input ${x}.`);
        return { y: x * factor, batchSize: inputs.length, threadId };
      });
    },
  };
}
