import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTransactions, TransactionScorer } from '@appliedml/fraud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRAINED_ON_FILE, writeTrainedOn } from './data';
import type { ScoreAnswer } from './server';

// `serve` kept the card state it built in memory only: stopped and started again, it scored from the
// state saved with the model, and a card seen only while it ran counted as new. With --save-state (into
// the model folder) or --state DIR it saves the scorer when stopped (SIGTERM / SIGINT) and starts from
// that save.

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const args = (...rest: string[]): string[] => ['--import', 'tsx', '--conditions=@appliedml/source', cli, ...rest];

let root: string;
let model: string;
let t0 = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fraud-demo-serve-state-'));
  model = join(root, 'model');
  const txs = generateTransactions({ cards: 40, days: 6, seed: 5 });
  const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
  await scorer.train(txs);
  await scorer.save(model);
  scorer.dispose();
  await writeTrainedOn(model, true);
  t0 = Math.max(...txs.map((t) => Number(t.timestamp))) + 3_600_000;
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Served {
  url: string;
  child: ChildProcessWithoutNullStreams;
  output: () => string;
}

async function serve(...rest: string[]): Promise<Served> {
  const child = spawn(process.execPath, args('serve', '--port', '0', ...rest), { stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /fraud service on (http:\/\/\S+?)\/ /.exec(text);
      if (m) resolve(m[1] as string);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${String(code)}: ${text}`)));
  });
  return { url, child, output: () => text };
}

/** SIGTERM, as a service manager stops it; resolves with the exit code. */
async function stop(served: Served): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) =>
    served.child.exitCode === null ? served.child.on('exit', (code) => resolve(code)) : resolve(served.child.exitCode),
  );
  served.child.kill('SIGTERM');
  return exited;
}

/** The card's count of earlier transactions (`card_history`) when it is scored at minute `minute`. */
async function history(served: Served, card: string, minute: number): Promise<number> {
  const res = await fetch(`${served.url}/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ card, amount: 20 + minute, timestamp: t0 + minute * 60_000, merchant: 'grocer', country: 'US' }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as ScoreAnswer).features.card_history as number;
}

describe('serve keeps its card state across a restart when asked', () => {
  it('--save-state: scored, stopped and started again, a card seen while it ran keeps its count; the model folder keeps its SYNTHETIC record', async () => {
    const first = await serve('--model', model, '--save-state');
    try {
      expect([
        await history(first, 'card-restart', 0),
        await history(first, 'card-restart', 1),
        await history(first, 'card-restart', 2),
      ]).toEqual([0, 1, 2]);
    } finally {
      expect(await stop(first)).toBe(0);
    }
    expect(first.output()).toContain(`saved the card state to ${model}`);
    expect(JSON.parse(await readFile(join(model, TRAINED_ON_FILE), 'utf8'))).toEqual({ data: 'synthetic' });

    const second = await serve('--model', model, '--save-state');
    try {
      // The three transactions the first run scored are its earlier ones.
      expect(await history(second, 'card-restart', 3)).toBe(3);
      expect(await (await fetch(`${second.url}/`)).text()).toContain('SYNTHETIC');
    } finally {
      expect(await stop(second)).toBe(0);
    }
  }, 180_000);

  it('--state DIR: the model folder is untouched, DIR holds the state, and a restart with it continues it', async () => {
    const modelCopy = join(root, 'model-copy');
    await mkdir(modelCopy);
    const scorer = await TransactionScorer.load(model);
    await scorer.resetState();
    await scorer.save(modelCopy);
    scorer.dispose();
    const before = await readFile(join(modelCopy, 'stream.json'), 'utf8');
    const state = join(root, 'state');

    const first = await serve('--model', modelCopy, '--state', state);
    try {
      expect(await history(first, 'card-dir', 0)).toBe(0);
      expect(await history(first, 'card-dir', 1)).toBe(1);
    } finally {
      expect(await stop(first)).toBe(0);
    }
    expect(await readFile(join(modelCopy, 'stream.json'), 'utf8')).toBe(before);

    const second = await serve('--model', modelCopy, '--state', state);
    try {
      expect(second.output()).toContain(`card state from ${state}`);
      expect(await history(second, 'card-dir', 2)).toBe(2);
    } finally {
      expect(await stop(second)).toBe(0);
    }
    // Without the flag the model's own state: the card is new there.
    const plain = await serve('--model', modelCopy);
    try {
      expect(await history(plain, 'card-dir', 3)).toBe(0);
    } finally {
      expect(await stop(plain)).toBe(0);
    }

    // A folder the save would refuse at stop is refused at start.
    const foreign = join(root, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'notes.txt'), 'mine');
    const refused = spawn(process.execPath, args('serve', '--port', '0', '--model', modelCopy, '--state', foreign));
    let err = '';
    refused.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => refused.on('exit', resolve));
    expect(code).toBe(1);
    expect(err).toMatch(/^error E_INPUT_INVALID: --state .*foreign is a folder holding something other than a scorer save/);
  }, 180_000);

  // The start's check took any folder holding a file named stream.json for a scorer save and loaded it:
  // someone's own stream.json failed as a damaged save (E_BUNDLE_CORRUPT "stream.json has no state"), where the save's rule says
  // the folder is not one a save may replace.
  it("--state DIR whose stream.json is not a scorer save is refused at start by the save's rule, the folder untouched", async () => {
    const foreign = join(root, 'foreign-stream');
    await mkdir(foreign);
    await writeFile(join(foreign, 'stream.json'), '{"events":[1,2,3]}');
    const r = spawnSync(process.execPath, args('serve', '--port', '0', '--model', model, '--state', foreign), {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect([r.status, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(
      /^error E_INPUT_INVALID: --state .*foreign-stream is a folder holding something other than a scorer save: .*\(The save at stop would refuse it: .*its stream\.json is not the card state of an earlier TransactionScorer save/,
    );
    expect(await readFile(join(foreign, 'stream.json'), 'utf8')).toBe('{"events":[1,2,3]}');
  }, 60_000);

  it("the flags are serve's: another command refuses them, saving nothing", () => {
    const r = spawnSync(process.execPath, args('score', '--model', model, '--save-state', '--tx', '{}'), {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("error E_INPUT_INVALID: --save-state and --state are serve's options (score keeps no served state).\n");
  }, 60_000);
});
