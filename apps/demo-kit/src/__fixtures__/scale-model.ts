import { readFile } from 'node:fs/promises';
import { threadId } from 'node:worker_threads';
import { AppliedMLError } from '@appliedml/engine';
import type { InferenceModel } from '../pool-protocol';

// A stand-in model for the pool tests: the "bundle" is a JSON file {factor}; inputs are numbers
// (negative ones are bad input) or {spin: ms} to keep the worker's CPU busy.
export type ScaleInput = number | { spin: number };
export interface ScaleOutput {
  y: number;
  batchSize: number;
  threadId: number;
}

export async function load(bundle: string): Promise<InferenceModel<ScaleInput, ScaleOutput>> {
  let factor: number;
  try {
    factor = (JSON.parse(await readFile(bundle, 'utf8')) as { factor: number }).factor;
  } catch (cause) {
    throw new AppliedMLError('E_BUNDLE_MISSING', `No bundle at ${bundle}.`, { cause });
  }
  return {
    info: { factor },
    predictBatch(inputs) {
      return inputs.map((x) => {
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
