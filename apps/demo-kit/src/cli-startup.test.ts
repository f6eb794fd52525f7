import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { heavyModules, runCliRecordingModules } from './run-cli';

// Every demo CLI answers --help and refuses a flag without loading TensorFlow.js, sharp, Fastify or vega:
// the test suite spawns these CLIs dozens of times, and the full imports took 1 to 2 s a spawn (3.7 s under load).
const root = fileURLToPath(new URL('../../..', import.meta.url));

/** Each CLI with how it words a refusal, and a refused value its flags are checked for before any command runs. */
const CLIS: ReadonlyArray<{ app: string; error: string; refused: { args: string[]; says: string } }> = [
  {
    app: 'engine',
    error: 'engine-demo: E_INPUT_INVALID: ',
    refused: { args: ['train', '--epochs'], says: "Option '--epochs' needs a value: --epochs VALUE (see the usage below)." },
  },
  {
    app: 'fraud',
    error: 'error E_INPUT_INVALID: ',
    refused: { args: ['demo', '--seed', 'x'], says: "--seed must be a whole number in 0..2147483646; got 'x'." },
  },
  {
    app: 'medical-imaging',
    error: 'error E_INPUT_INVALID: ',
    refused: { args: ['--preset', 'huge'], says: '--preset must be quick or full.' },
  },
  {
    app: 'speech',
    error: 'error E_INPUT_INVALID: ',
    refused: { args: ['--device', 'gpu'], says: 'error E_DEVICE_INVALID: --device is "gpu".' },
  },
  {
    app: 'text',
    error: 'error E_INPUT_INVALID: ',
    refused: { args: ['--limit', '0'], says: "--limit must be a whole number in 1..9007199254740991; got '0'." },
  },
  {
    app: 'traffic',
    error: 'error E_INPUT_INVALID: ',
    refused: { args: ['demo', '--device', 'gpu'], says: 'error E_DEVICE_INVALID: --device is "gpu".' },
  },
];

describe.each(CLIS)('the $app demo CLI starts light', ({ app, error, refused }) => {
  const cli = join(root, 'apps', `${app}-demo`, 'src', 'cli.ts');
  const run = async (args: string[]) => {
    const r = await runCliRecordingModules(cli, args);
    // The recording saw the run: the CLI's own file is in it.
    expect(r.modules).toContain(pathToFileURL(cli).href);
    expect(heavyModules(r.modules), 'modules loaded that the run had no need of').toEqual([]);
    return r;
  };

  it('--help prints the usage without TensorFlow.js, sharp, Fastify or vega', async () => {
    const r = await run(['--help']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^appliedml [a-z ]+ demo/);
    expect(r.stdout).toContain('usage:');
    expect(r.stderr).toBe('');
  });

  it('an unknown flag is refused with the usage, without them', async () => {
    const r = await run(['--bogus']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    // Said in the CLI's words (Node's said `… as in '-- "--bogus"`), then a blank line and the usage, as
    // every CLI prints it (the text demo's collapsed the usage into the error line).
    expect(r.stderr.startsWith(`${error}Unknown option '--bogus' (see the usage below).\n\nappliedml `), r.stderr).toBe(true);
    expect(r.stderr).toMatch(/\nusage:\n/);
  });

  it(`${refused.args.join(' ')} is refused without them`, async () => {
    const r = await run(refused.args);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(refused.says);
  });
});
