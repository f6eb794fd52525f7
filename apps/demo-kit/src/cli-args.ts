import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AppliedMLError } from '@appliedml/engine';

/**
 * `parseArgs` for a demo CLI, with its own errors (an unknown option, `--limit -5` read as an option,
 * a missing value) turned into one typed `E_INPUT_INVALID` that carries the usage text, so the CLI
 * prints one line and the usage instead of a stack trace.
 */
export function parseCliArgs<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (cause) {
    throw new AppliedMLError('E_INPUT_INVALID', `${(cause as Error).message}\n\n${usage}`, { cause });
  }
}
