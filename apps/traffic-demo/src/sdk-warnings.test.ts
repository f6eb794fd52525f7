import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './test-helpers';
import { warningLogger } from './warnings';

const run = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { env, timeout: 120_000 });

let dir: string;
let csv: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'traffic-warnings-'));
  // Two sensors read every 10 min for three days; the CLI's default interval is 5 min.
  const rows = ['time,A,B'];
  const start = Date.UTC(2026, 0, 5);
  for (let t = 0; t < 432; t++) rows.push(`${new Date(start + t * 600_000).toISOString()},${50 + (t % 7)},${60 - (t % 5)}`);
  csv = join(dir, 'ten-minutes.csv');
  writeFileSync(csv, `${rows.join('\n')}\n`);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("the CLI passes the SDK's warnings on to the user", () => {
  it('train and evaluate on readings every 10 min read on the 5-min grid: said once, in the data note with its flag', () => {
    const bundle = join(dir, 'ridge');
    const flags = ['--data', csv, '--timestamp-column', 'time'];
    const train = run(['train', '--model', 'ridge', '--out', bundle, ...flags]);
    expect(train.status, train.stderr).toBe(0);
    // The SDK's warning about it repeated the note's advice in its own words ('intervalMinutes 10', review
    // R5-3): the note (stdout) says it, the warning is left out.
    const stride = /The sensors read only once every 2 steps: every 10 min, not every 5/g;
    expect(train.stdout.match(stride)).toHaveLength(1);
    expect(train.stdout).toMatch(/pass --interval 10 \(each step ahead is then 10 min\)/);
    expect(train.stderr).toBe('');
    const evaluate = run(['evaluate', '--bundle', bundle, ...flags]);
    expect(evaluate.status, evaluate.stderr).toBe(0);
    // The baselines evaluate trains beside the model read the same data: not said again per baseline.
    expect(evaluate.stdout.match(stride)).toHaveLength(1);
    expect(evaluate.stdout).toMatch(/train it again with --interval 10, then give this command the same flag/);
    expect(evaluate.stderr).toBe('');
  }, 240_000);

  it('a warning the data note did not give is passed on in the flags, once (a stride seen only in the training part)', () => {
    const lines: string[] = [];
    let noted: number | undefined = 2;
    const logger = warningLogger('x', (line) => lines.push(line), {
      rewrite: (message, fields) => (fields?.readingStride === noted ? undefined : message.replace('intervalMinutes', '--interval')),
    });
    logger.warn('every 10 min: read with intervalMinutes 10', { readingStride: 2 });
    noted = undefined;
    logger.warn('every 10 min: read with intervalMinutes 10', { readingStride: 2 });
    logger.warn('every 10 min: read with intervalMinutes 10', { readingStride: 2 });
    expect(lines).toEqual(['[x] warning: every 10 min: read with --interval 10\n']);
  });

  it('forecast: a device setting the engine ignores is said (the bundle is loaded with the logger); no info lines', () => {
    const bundle = join(dir, 'last-value');
    const flags = ['--data', csv, '--timestamp-column', 'time', '--interval', '10'];
    const train = run(['train', '--model', 'last-value', '--out', bundle, ...flags]);
    expect(train.status, train.stderr).toBe(0);
    expect(train.stderr).toBe('');
    const forecast = run(['forecast', '--bundle', bundle, '--device', 'js', ...flags], { APPLIEDML_WASM_THREADS: '2' });
    expect(forecast.status, forecast.stderr).toBe(0);
    expect(forecast.stderr).toMatch(/^\[traffic-demo\] warning: APPLIEDML_WASM_THREADS=2 is ignored/);
    expect(forecast.stderr).not.toMatch(/device: /);
  }, 240_000);
});

describe('warningLogger', () => {
  it('writes warnings, each once, and drops info and debug', () => {
    const lines: string[] = [];
    const logger = warningLogger('x', (line) => lines.push(line));
    logger.debug('d');
    logger.info('i');
    logger.warn('w', { a: 1 });
    logger.warn('w');
    logger.warn('v');
    expect(lines).toEqual(['[x] warning: w\n', '[x] warning: v\n']);
  });

  it("with info (the demo's progress), info lines too; warnings still once each", () => {
    const lines: string[] = [];
    const logger = warningLogger('x', (line) => lines.push(line), { info: true });
    logger.debug('d');
    logger.info('device: wasm');
    logger.warn('w');
    logger.warn('w');
    expect(lines).toEqual(['[x] device: wasm\n', '[x] warning: w\n']);
  });
});
