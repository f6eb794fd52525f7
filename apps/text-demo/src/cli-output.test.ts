import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, webAppFolder } from '@appliedml/demo-kit';
import { initEngine } from '@appliedml/engine';
import { TextClassifier } from '@appliedml/text';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpamAssassin } from './data';

// `text-demo predict` printed "words: click +0.412, …" for a linear model and "words: click +7.901, …" for
// fastText / the CNN (log-odds falls under occlusion, often 2–20) with nothing saying what the numbers
// were or that the two kinds do not compare. The line names the unit and the explanation method.

let dir: string;
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const predict = (bundle: string, text: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@appliedml/source', cli, 'predict', '--bundle', bundle, '--text', text], {
    encoding: 'utf8',
    timeout: 90_000,
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'text-demo-cli-output-'));
  await initEngine({ device: 'wasm' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('text-demo predict says what the word weights are', () => {
  const spam = 'Congratulations! You have won a FREE prize. Click here to claim your cash reward now!!!';
  for (const [model, line] of [
    ['linear', /^words \(contribution to the label's logit; linear-contributions\): \S+ [+-]\d+\.\d{3}/],
    ['fasttext', /^words \(fall in the label's log-odds without the word; occlusion\): \S+ [+-]\d+\.\d{3}/],
  ] as const) {
    it(`${model}: the words line names the unit and the method`, async () => {
      const split = loadSpamAssassin(200);
      const classifier = TextClassifier.create({
        model,
        seed: 1,
        features: { charNgrams: false },
        linear: { epochs: 6 },
        fasttext: { buckets: 2048, dim: 8 },
      });
      await classifier.train(split.train, { epochs: model === 'fasttext' ? 3 : undefined });
      const bundle = join(dir, model);
      await classifier.save(bundle);
      classifier.dispose();
      const r = predict(bundle, spam);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[1], r.stdout).toMatch(line);
    }, 120_000);
  }
});

// 547f61a: the save refuses a web app's folder (its manifest.json is not a bundle's), but `train` found
// that out only at the save, after reading the data and training the whole model.
describe('text-demo train --out', () => {
  it("refuses a web app's folder before it reads the data or trains", async () => {
    const app = await webAppFolder(dir);
    const r = await runCli(cli, ['train', '--dataset', 'spam-assassin', '--model', 'linear', '--limit', '300', '--out', app.dir]);
    expect([r.status, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(
      /^error E_INPUT_INVALID: --out .*\/app: Refusing to save over .*\/app: it is not empty and its manifest\.json is not an appliedml model bundle manifest \(it holds .*\)\. .* Nothing was trained\.$/m,
    );
    expect(await app.untouched()).toBe(true);
  }, 60_000);
});

describe('text-demo with a command it does not have', () => {
  it("says unknown command 'x' as an error, then a blank line and the usage, and fails (it printed the usage alone, exit 2)", async () => {
    const r = await runCli(cli, ['tarin', '--dataset', 'trec']);
    expect([r.status, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(/^error E_INPUT_INVALID: Unknown command 'tarin'\.\n\nappliedml text demo .*\nusage:\n/s);
  }, 60_000);
});
