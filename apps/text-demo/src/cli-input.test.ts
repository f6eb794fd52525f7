import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppliedMLError } from '@appliedml/engine';
import { TREC_DATASET, readSmsSpam } from '@appliedml/text';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRAINED_ON_FILE, readDatasetFile, trainedOn } from './data';

// The user files the text demo reads ($APPLIEDML_DATA_DIR/sms-spam/SMSSpamCollection.tsv), as the CLI
// fuzz review fed them: a fatal error is one `error CODE: …` line naming the file and line, exit 1.

let dir: string;
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const train = (dataDir: string) =>
  spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=@appliedml/source', cli, 'train', '--dataset', 'sms-spam', '--out', join(dir, 'model')],
    { encoding: 'utf8', timeout: 60_000, env: { ...process.env, APPLIEDML_DATA_DIR: dataDir, APPLIEDML_ALLOW_DOWNLOAD: '0' } },
  );

async function dataDir(name: string, tsv?: string): Promise<{ root: string; file: string }> {
  const root = join(dir, name);
  await mkdir(join(root, 'sms-spam'), { recursive: true });
  const file = join(root, 'sms-spam', 'SMSSpamCollection.tsv');
  if (tsv !== undefined) await writeFile(file, tsv);
  return { root, file };
}

const lines = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => (i % 4 === 0 ? `spam\tWIN cash prize now call ${i}` : `ham\tsee you at lunch today ${i}`));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'text-demo-cli-input-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('text-demo CLI input', () => {
  it('an empty text names its file and line, printed as an error (not a warning)', async () => {
    const { root, file } = await dataDir('empty-text', `${[...lines(12), 'ham\t', ...lines(4)].join('\n')}\n`);
    const r = train(root);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error E_INPUT_INVALID: ${file}:13: A text is empty or only whitespace.\n`);
  }, 90_000);

  /** `text-demo train --dataset trec` with only these data and cache folders, downloads off. */
  const trainTrec = (root: string, cache: string) =>
    spawnSync(
      process.execPath,
      ['--import', 'tsx', '--conditions=@appliedml/source', cli, 'train', '--dataset', 'trec', '--out', join(dir, 'model')],
      {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, APPLIEDML_DATA_DIR: root, APPLIEDML_CACHE_DIR: cache, APPLIEDML_ALLOW_DOWNLOAD: '0' },
      },
    );

  it("a missing dataset is one line in the CLI's terms (where it looked, what to put there), not the engine's API report", async () => {
    const { root } = await dataDir('absent');
    const cache = join(dir, 'no-cache');
    const r = trainTrec(root, cache);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `error E_DATASET_MISSING: Dataset 'trec' was not found in APPLIEDML_DATA_DIR (${join(root, 'trec')}) or the cache (${join(cache, 'trec')}). ${TREC_DATASET.howToGet}\n`,
    );
    expect(r.stderr).not.toMatch(/allowDownload|dataDir:|pass /);
  }, 90_000);

  it('a dataset folder holding some of its files names the ones it lacks (it said only the folder was not found)', async () => {
    const root = join(dir, 'partial');
    await mkdir(join(root, 'trec'), { recursive: true });
    await writeFile(join(root, 'trec', 'train_5500.label'), 'DESC:manner How did serfdom develop in and then leave Russia ?\n');
    const cache = join(dir, 'no-cache');
    const r = trainTrec(root, cache);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `error E_DATASET_MISSING: Dataset 'trec' was not found in APPLIEDML_DATA_DIR (${join(root, 'trec')}, which lacks TREC_10.label) or the cache (${join(cache, 'trec')}). ${TREC_DATASET.howToGet}\n`,
    );
  }, 90_000);

  it('an empty --text or --bundle says it is empty (it said "--text is required.")', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@appliedml/source', cli, ...args], {
        encoding: 'utf8',
        timeout: 60_000,
      });
    const text = run('sentiment', '--text', '');
    expect([text.status, text.stderr]).toEqual([1, 'error E_INPUT_INVALID: --text is empty: give the text after it.\n']);
    const blank = run('sentiment', '--text', '  ');
    expect(blank.stderr).toBe('error E_INPUT_INVALID: --text is only whitespace: give the text after it.\n');
    const bundle = run('predict', '--bundle', '', '--text', 'hello');
    expect(bundle.stderr).toBe("error E_INPUT_INVALID: --bundle is empty: give the bundle's directory after it.\n");
    expect(run('sentiment').stderr).toBe('error E_INPUT_INVALID: --text is required.\n');
  }, 90_000);

  it('a directory where the data file should be is E_IO naming the path and why', async () => {
    const { root, file } = await dataDir('dir');
    await mkdir(file);
    const r = train(root);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error E_IO: Cannot read SMS Spam file ${file}: it is a directory, not a regular file.\n`);
  }, 90_000);
});

/** Starts `serve` with `args`, waits until it listens, hands its URL and stdout so far to `check`, then stops it. */
async function served(dataDir: string, args: string[], check: (url: string, stdout: () => string) => Promise<void>): Promise<void> {
  const serve = spawn(process.execPath, ['--import', 'tsx', '--conditions=@appliedml/source', cli, 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, APPLIEDML_DATA_DIR: dataDir, APPLIEDML_ALLOW_DOWNLOAD: '0' },
  });
  let text = '';
  try {
    const url = await new Promise<string>((resolve, reject) => {
      serve.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const m = /listening on (http:\/\/\S+?)\/ /.exec(text);
        if (m) resolve(m[1] as string);
      });
      serve.on('exit', (code) => reject(new Error(`serve exited with ${String(code)}: ${text}`)));
    });
    await check(url, () => text);
  } finally {
    serve.kill('SIGTERM');
    await new Promise((resolve) => (serve.exitCode === null ? serve.on('exit', resolve) : resolve(undefined)));
  }
}

describe('text-demo serve: the held-out confusion matrix is on the data the bundle was trained on', () => {
  it('an SMS bundle from train is scored on SMS texts (it was SpamAssassin e-mail); a bundle without the record gets none', async () => {
    const { root } = await dataDir('served', `${lines(400).join('\n')}\n`);
    const r = train(root);
    expect(r.status, r.stderr).toBe(0);
    const model = join(dir, 'model');
    expect(await trainedOn(model)).toEqual({ dataset: 'sms-spam' });
    await served(root, ['--bundle', model], async (url) => {
      const page = await (await fetch(`${url}/`)).text();
      expect(page).toMatch(/on 80 held-out texts \(SMS Spam Collection v\.1, the test split\)/);
      expect(page).not.toContain('SpamAssassin');
    });
    // The same bundle without the record (saved by other code): no matrix, and says why.
    await rm(join(model, TRAINED_ON_FILE));
    await served(root, ['--bundle', model], async (url, stdout) => {
      expect(await (await fetch(`${url}/`)).text()).not.toContain('id="confusion"');
      expect(stdout()).toContain('does not say what it was trained on');
    });
  }, 180_000);
});

describe('text-demo: the record beside a bundle', () => {
  it.runIf(process.platform !== 'win32')(
    'a FIFO in place of text-demo.json is taken as no record, at once (a plain readFile waited on it for ever)',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'text-record-'));
      try {
        spawnSync('mkfifo', [join(dir, TRAINED_ON_FILE)]);
        const started = Date.now();
        expect(await trainedOn(dir)).toBeUndefined();
        expect(Date.now() - started).toBeLessThan(5000);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    10_000,
  );
});

describe('readDatasetFile', () => {
  it('puts file:line in front of a reader error that had the line only in details, and keeps its code', async () => {
    const { file } = await dataDir('unit', `${[...lines(3), 'spam\t   '].join('\n')}\n`);
    await expect(readDatasetFile(file, 'SMS Spam file', (f) => readSmsSpam(f))).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: `${file}:4: A text is empty or only whitespace.`,
      details: { file, line: 4 },
    });
    // A message that names the file already is left as it is.
    const named = new AppliedMLError('E_INPUT_INVALID', `${file}:2: expected 'ham' or 'spam'.`);
    await expect(readDatasetFile(file, 'x', () => Promise.reject(named))).rejects.toBe(named);
    expect(await readDatasetFile(join(dir, 'unit', 'sms-spam', 'SMSSpamCollection.tsv'), 'x', async () => 'read')).toBe('read');
  });

  it.skipIf(process.platform === 'win32')('refuses a FIFO before the reader opens it', async () => {
    const fifo = join(dir, 'pipe.tsv');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    let called = false;
    await expect(
      readDatasetFile(fifo, 'SMS Spam file', async () => {
        called = true;
        return [];
      }),
    ).rejects.toMatchObject({ code: 'E_IO', message: `Cannot read SMS Spam file ${fifo}: it is a FIFO (named pipe), not a regular file.` });
    expect(called).toBe(false);
  });
});
