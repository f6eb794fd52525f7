import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { webAppFolder } from '@appliedml/demo-kit';
import { TransactionScorer, generateTransactions } from '@appliedml/fraud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The CLI's file and stdin input, as the fuzz review ran it: one line on stderr with the stable code, exit 1.

let dir: string;
let model: string;
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const run = (args: string[], input?: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@appliedml/source', cli, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    ...(input === undefined ? {} : { input }),
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fraud-demo-cli-input-'));
  model = join(dir, 'model');
  const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
  await scorer.train(generateTransactions({ cards: 20, days: 3, seed: 1 }));
  await scorer.save(model);
  scorer.dispose();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fraud-demo CLI input', () => {
  it("train --contamination sets the detector's share; a bad one is one typed line", async () => {
    const out = join(dir, 'contaminated');
    const ok = run(['train', '--detector', 'ecod', '--contamination', '0.01', '--out', out]);
    expect(ok.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'detector', 'manifest.json'), 'utf8')) as { config: { contamination?: number } };
    expect(manifest.config.contamination).toBe(0.01);
    for (const bad of ['1', '0', 'x', '']) {
      const r = run(['train', '--detector', 'ecod', '--contamination', bad, '--out', join(dir, 'never')]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`error E_INPUT_INVALID: --contamination must be a number between 0 and 1, e.g. 0.01 (got '${bad}').\n`);
    }
  }, 180_000);

  it('evaluate on a JSONL line `null` is one typed line naming file and line, not a TypeError stack', async () => {
    const data = join(dir, 'null.jsonl');
    await writeFile(data, 'null\n');
    const r = run(['evaluate', '--model', model, '--data', data]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `error E_INPUT_INVALID: ${data}: line 1 is not a transaction: give an object with card, amount and timestamp (got null).\n`,
    );
  }, 90_000);

  it('evaluate and train on a file with no transactions say so and fail', async () => {
    const data = join(dir, 'header.csv');
    await writeFile(data, 'card,amount,timestamp,label\n');
    for (const args of [
      ['evaluate', '--model', model, '--data', data],
      ['train', '--detector', 'ecod', '--data', data, '--out', join(dir, 'm2')],
    ]) {
      const r = run(args);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^error E_INPUT_INVALID: \S+header\.csv holds no transactions \(/);
    }
  }, 90_000);

  it('train refuses `2026` as a timestamp (it was 1970) and saves nothing', async () => {
    const data = join(dir, 'year.csv');
    await writeFile(data, `card,amount,timestamp\n${Array.from({ length: 20 }, (_, i) => `c${i % 4},${10 + i},2026`).join('\n')}\n`);
    const r = run(['train', '--detector', 'ecod', '--data', data, '--out', join(dir, 'm3')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^error E_INPUT_INVALID: \S+year\.csv: line 2, field 'timestamp': "2026" is not a plausible epoch-milliseconds time; .*ISO 8601/,
    );
    expect(r.stdout).not.toMatch(/saved to/);
  }, 90_000);

  it('score --data scores a file (CSV or JSONL, labels or not) as stdin lines are scored; with --tx it is refused', () => {
    const T0 = 1767225600000;
    const rows = Array.from({ length: 12 }, (_, i) => ({
      card: `c${i % 3}`,
      amount: i === 7 ? 4999.5 : 10 + i,
      timestamp: T0 + i * 3_600_000,
      merchant: `m${i % 2}`,
      country: i === 7 ? 'NA' : 'US',
    }));
    const csv = join(dir, 'unlabelled.csv');
    writeFileSync(csv, `card,amount,timestamp,merchant,country\n${rows.map((r) => Object.values(r).join(',')).join('\n')}\n`);
    const jsonl = rows.map((r) => JSON.stringify(r)).join('\n');
    const viaStdin = run(['score', '--model', model], jsonl);
    expect(viaStdin.status, viaStdin.stderr).toBe(0);
    const lines = viaStdin.stdout.trim().split('\n');
    expect(lines).toHaveLength(rows.length);
    const viaFile = run(['score', '--model', model, '--data', csv], '');
    expect(viaFile.status, viaFile.stderr).toBe(0);
    expect(viaFile.stdout.trim().split('\n')).toEqual(lines);
    const both = run(['score', '--model', model, '--data', csv, '--tx', JSON.stringify(rows[0])]);
    expect(both.status).toBe(1);
    expect(both.stderr).toBe('error E_INPUT_INVALID: score takes --tx (one transaction) or --data (a file), not both.\n');
  }, 90_000);

  it('score: empty stdin is an error; a bad stdin line is named by its physical line; an object card is refused', () => {
    const empty = run(['score', '--model', model], '\n\n');
    expect(empty.status).toBe(1);
    expect(empty.stderr).toMatch(/^error E_INPUT_INVALID: score got no transactions: pass one with --tx/);
    const tx = JSON.stringify({ card: 'c1', amount: 5, timestamp: 1767225600000 });
    const bad = run(['score', '--model', model], `${tx}\n\n\n{"card":\n`);
    expect(bad.status).toBe(1);
    expect(bad.stdout.trim().split('\n')).toHaveLength(1); // the good first line was scored
    expect(bad.stderr).toMatch(/^error E_INPUT_INVALID: stdin line 4 is not a JSON transaction/);
    const card = run(['score', '--model', model, '--tx', '{"card":{"a":1},"amount":5,"timestamp":1767225600000}']);
    expect(card.status).toBe(1);
    expect(card.stderr).toBe("error E_INPUT_INVALID: --tx, field 'card': an object is not an identifier; give text (or a number).\n");
  }, 90_000);
});

// The scorer's save replaces its folder whole and refuses one that holds no stream.json (a web app's), but
// `train` found that out only at the save, after reading the data and training the detector.
describe('fraud-demo train --out', () => {
  it("refuses a web app's folder before it reads the data or trains", async () => {
    const app = await webAppFolder(dir);
    const r = run(['train', '--detector', 'ecod', '--out', app.dir]);
    expect([r.status, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(
      /^error E_INPUT_INVALID: --out .*\/app: Refusing to save over .*\/app: it is not empty and holds no stream\.json from an earlier save \(it holds .*\)\. .* Nothing was trained\.$/m,
    );
    expect(await app.untouched()).toBe(true);
  }, 60_000);

  // The early check passed any folder holding a file named stream.json; the save then read it with the
  // scorer's own rule and refused one that is not a scorer's card state, after the run.
  it("refuses a folder whose stream.json is not a scorer save's before it reads the data or trains, with the save's words", async () => {
    const other = join(dir, 'someone-elses-stream');
    await mkdir(other);
    const files = { 'stream.json': '{"events":[1,2,3],"source":"kafka"}\n', 'notes.txt': 'keep me\n' };
    for (const [name, text] of Object.entries(files)) await writeFile(join(other, name), text);
    const r = run(['train', '--detector', 'ecod', '--out', other]);
    expect([r.status, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(
      /^error E_INPUT_INVALID: --out .*\/someone-elses-stream: Refusing to save over .*\/someone-elses-stream: it is not empty and its stream\.json is not the card state of an earlier TransactionScorer save \(it holds .*\)\. .* Nothing was trained\.$/m,
    );
    expect(readdirSync(other).sort()).toEqual(Object.keys(files).sort());
    for (const [name, text] of Object.entries(files)) expect(readFileSync(join(other, name), 'utf8')).toBe(text);
  }, 60_000);

  it('still replaces an earlier scorer save', async () => {
    const again = join(dir, 'saved-before');
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(generateTransactions({ cards: 10, days: 2, seed: 2 }));
    await scorer.save(again);
    scorer.dispose();
    const r = run(['train', '--detector', 'ecod', '--out', again]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`saved to ${again}`);
  }, 60_000);
});
