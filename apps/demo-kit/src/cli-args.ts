import { isAbsolute, join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
// The errors alone, not the engine's index (which loads TensorFlow.js): a CLI reads its flags without it.
import { AppliedMLError } from '@appliedml/engine/errors';

/**
 * `parseArgs` for a demo CLI, with its own errors (an unknown option, `--limit -5` read as an option,
 * a missing value) turned into one typed `E_INPUT_INVALID` in the CLI's words (Node's said `… as in
 * '-- "--bogus"`, advice about positionals no command takes), so the CLI prints one line and the usage
 * instead of a stack trace. The message is that line, a blank line and the usage (what a CLI printing
 * `error.message` shows); `details.usage` holds the usage alone and `details.line` the line, for a CLI
 * that prints them apart (the text demo).
 */
export function parseCliArgs<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (cause) {
    const { line, option, reason } = parseArgsRefusal(cause as Error & { code?: string });
    throw new AppliedMLError('E_INPUT_INVALID', `${line}\n\n${usage}`, {
      cause,
      details: { reason, ...(option === undefined ? {} : { option }), line, usage },
    });
  }
}

/** Node's parseArgs refusal as one readable line, with the option it names and why. */
function parseArgsRefusal(error: Error & { code?: string }): { line: string; option?: string; reason: string } {
  // Node names an unknown option as typed ('--it's' holds a quote: up to the quote that ends the name), and
  // any other by its config, short and long ('-h, --help', '--seed <value>'): the long name is the one to give.
  const named =
    error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
      ? /^Unknown option '(.*?)'(?=\.|$)/su.exec(error.message)?.[1]
      : /'(?:-[^-' ], )?(--?[^' ]+)/.exec(error.message)?.[1];
  const arg = /argument '([^']*)'/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return { line: `Unknown option '${named ?? '?'}' (see the usage below).`, option: named, reason: 'unknown-option' };
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return { line: `Unexpected argument '${arg ?? '?'}' (see the usage below).`, reason: 'unexpected-argument' };
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument missing/.test(error.message))
        return { line: `Option '${named}' needs a value: ${named} VALUE (see the usage below).`, option: named, reason: 'missing-value' };
      if (/ambiguous/.test(error.message))
        return {
          line: `Option '${named}' needs a value, and the argument after it starts with '-': give the value, or write ${named}=VALUE for one that starts with '-'.`,
          option: named,
          reason: 'missing-value',
        };
      if (/does not take an argument/.test(error.message))
        return {
          line: `Option '${named}' takes no value: give ${named} alone (see the usage below).`,
          option: named,
          reason: 'unexpected-value',
        };
  }
  return { line: error.message.replace(/\s*\n\s*/g, ' '), option: named, reason: 'invalid-arguments' };
}

/**
 * A whole-number flag such as `--seed 7` or `--port 8080`: decimal digits only (`Number` would take
 * `''` for 0 and `0x10` for 16), within [min, max]; `undefined` when the flag is absent.
 */
export function intFlag(value: string | undefined, name: string, range: { min?: number; max?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const min = range.min ?? Number.MIN_SAFE_INTEGER;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const x = /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(x) || x < min || x > max)
    throw new AppliedMLError('E_INPUT_INVALID', `--${name} must be a whole number in ${min}..${max}; got '${value}'.`, {
      details: { option: name, value },
    });
  return x;
}

/**
 * Makes relative paths mean what the user typed them against. `npm run <script> -w <app>` (and the
 * root `npm run demo`) run a demo inside its app folder, so `--report reports/x.html`, a default
 * output folder or `--bundle models/x` would land in or be looked up in `apps/<app>/`. A demo CLI
 * calls this first. Only when npm itself put the process in the folder of the package whose script
 * runs (`npm_package_json` is `<cwd>/package.json`) does it move: to `APPLIEDML_INVOCATION_DIR` when
 * set (the root `npm run demo` passes the folder it was typed in, since the nested npm it starts
 * resets `INIT_CWD`), else to npm's `INIT_CWD`. A bin started directly, or from a script that moved
 * (`cd sub && …`), keeps its own working directory; so does a folder that is gone. Returns the
 * working directory in use.
 */
export function useInvocationDir(env: NodeJS.ProcessEnv = process.env): string {
  const here = process.cwd();
  const placedByNpm = typeof env.npm_package_json === 'string' && resolve(env.npm_package_json) === join(here, 'package.json');
  const dir = placedByNpm ? env.APPLIEDML_INVOCATION_DIR || env.INIT_CWD : undefined;
  if (dir && isAbsolute(dir) && dir !== here) {
    try {
      process.chdir(dir);
    } catch {
      // The folder is gone or not ours to enter: paths stay relative to the app's folder.
    }
  }
  return process.cwd();
}
