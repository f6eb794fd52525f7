import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { intFlag, parseCliArgs, useInvocationDir } from './cli-args';

describe('parseCliArgs', () => {
  const config = { args: [] as string[], allowPositionals: true, options: { limit: { type: 'string' as const } } };
  it('parses as parseArgs does', () => {
    expect(parseCliArgs({ ...config, args: ['train', '--limit', '5'] }, 'usage').values.limit).toBe('5');
  });
  it('an unknown option or a value that looks like an option is E_INPUT_INVALID carrying the usage', () => {
    for (const args of [['--nope'], ['--limit', '-5']])
      expect(() => parseCliArgs({ ...config, args }, 'usage: demo')).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringMatching(/usage: demo$/) }),
      );
  });
  it("says Node's refusals in the CLI's words, the usage apart in details", () => {
    const refusal = (args: string[], allowPositionals = true): unknown => {
      try {
        parseCliArgs({ ...config, args, allowPositionals, options: { ...config.options, quiet: { type: 'boolean' } } }, 'usage: demo');
      } catch (error) {
        return error;
      }
      throw new Error('not refused');
    };
    const cases: Array<[string[], string, string]> = [
      // Node: "Unknown option '--bogus'. To specify a positional argument … as in '-- "--bogus"" (one quote unclosed).
      [['train', '--bogus'], "Unknown option '--bogus' (see the usage below).", 'unknown-option'],
      [['-x'], "Unknown option '-x' (see the usage below).", 'unknown-option'],
      // Node: "Option '--limit <value>' argument missing".
      [['--limit'], "Option '--limit' needs a value: --limit VALUE (see the usage below).", 'missing-value'],
      [
        ['--limit', '-5'],
        "Option '--limit' needs a value, and the argument after it starts with '-': give the value, or write --limit=VALUE for one that starts with '-'.",
        'missing-value',
      ],
      [['--quiet=yes'], "Option '--quiet' takes no value: give --quiet alone (see the usage below).", 'unexpected-value'],
    ];
    for (const [args, line, reason] of cases)
      expect(refusal(args), args.join(' ')).toMatchObject({
        code: 'E_INPUT_INVALID',
        message: `${line}\n\nusage: demo`,
        details: { line, usage: 'usage: demo', reason },
      });
    expect(refusal(['extra'], false)).toMatchObject({ details: { line: "Unexpected argument 'extra' (see the usage below)." } });
  });
  // RF2 (session 30): an option with a short form was named by Node's '-h, --help' cut at the space:
  // `--help=yes` said "Option '-h,' takes no value: give -h, alone"; and `--it's` was named '--it'.
  it('names the long option when it has a short one, and an unknown option whole, quote and all', () => {
    const line = (args: string[]): unknown => {
      try {
        parseCliArgs(
          {
            args,
            allowPositionals: true,
            options: { help: { type: 'boolean', short: 'h' }, limit: { type: 'string', short: 'l' } },
          },
          'usage',
        );
      } catch (error) {
        return (error as { details: { line: string; option?: string } }).details;
      }
      throw new Error('not refused');
    };
    expect(line(['--help=yes'])).toEqual(
      expect.objectContaining({ line: "Option '--help' takes no value: give --help alone (see the usage below).", option: '--help' }),
    );
    // Node: "Option '-l, --limit <value>' argument missing".
    expect(line(['--limit'])).toEqual(
      expect.objectContaining({ line: "Option '--limit' needs a value: --limit VALUE (see the usage below).", option: '--limit' }),
    );
    expect(line(['train', "--it's"])).toEqual(
      expect.objectContaining({ line: "Unknown option '--it's' (see the usage below).", option: "--it's" }),
    );
  });
});

describe('intFlag', () => {
  it('reads decimal whole numbers in range; absent is undefined', () => {
    expect(intFlag('8080', 'port', { min: 0, max: 65535 })).toBe(8080);
    expect(intFlag(' 7 ', 'seed')).toBe(7);
    expect(intFlag('-3', 'x')).toBe(-3);
    expect(intFlag(undefined, 'seed')).toBeUndefined();
  });
  it("refuses what Number() would take ('' as 0, '0x10' as 16, '1e3') and values out of range, naming the flag", () => {
    for (const v of ['', ' ', '0x10', '1e3', '1.5', 'abc', '99999999999999999999'])
      expect(() => intFlag(v, 'seed'), v).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringContaining('--seed') }),
      );
    expect(() => intFlag('70000', 'port', { min: 0, max: 65535 })).toThrow(/--port must be a whole number in 0\.\.65535; got '70000'/);
    expect(() => intFlag('0', 'workers', { min: 1 })).toThrow(/--workers/);
  });
});

describe('useInvocationDir', () => {
  const start = process.cwd();
  // What npm sets when it runs a script of the package in `folder` (it starts the script there).
  const npmRun = (folder: string, extra: NodeJS.ProcessEnv = {}) => ({ npm_package_json: join(folder, 'package.json'), ...extra });
  let typedIn = '';
  beforeEach(() => {
    typedIn = realpathSync(mkdtempSync(join(tmpdir(), 'typed-in-')));
  });
  afterEach(() => {
    process.chdir(start);
    rmSync(typedIn, { recursive: true, force: true });
  });

  it('under npm run -w, moves to INIT_CWD (where npm was typed), so relative paths mean the folder the user was in', () => {
    expect(useInvocationDir(npmRun(start, { INIT_CWD: typedIn }))).toBe(typedIn);
    expect(process.cwd()).toBe(typedIn);
  });

  it('prefers APPLIEDML_INVOCATION_DIR (the root npm run demo passes it: its nested npm resets INIT_CWD)', () => {
    expect(useInvocationDir(npmRun(start, { INIT_CWD: tmpdir(), APPLIEDML_INVOCATION_DIR: typedIn }))).toBe(typedIn);
  });

  it('stays put when npm did not place the process in its package folder (a bin run directly, a script that did cd sub)', () => {
    for (const env of [{ INIT_CWD: typedIn }, npmRun(join(start, 'elsewhere'), { INIT_CWD: typedIn, APPLIEDML_INVOCATION_DIR: typedIn })]) {
      expect(useInvocationDir(env)).toBe(start);
      expect(process.cwd()).toBe(start);
    }
  });

  it('keeps the working directory without a folder, with a relative one, or when the folder is gone', () => {
    for (const dir of ['', 'relative/dir', join(tmpdir(), 'appliedml-no-such-dir-7f3a')]) {
      expect(useInvocationDir(npmRun(start, { INIT_CWD: dir }))).toBe(start);
      expect(process.cwd()).toBe(start);
    }
  });
});
