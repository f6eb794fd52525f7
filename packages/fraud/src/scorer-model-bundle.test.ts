import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransactionScorer } from './scorer';

// TransactionScorer.load of a folder without stream.json looks for a model bundle's manifest.json there,
// to point to that model's own load. It checked the file with a stat that follows links, then read it
// with an unlimited readFile: a 20 MiB manifest.json was read whole, and the folder called a model
// bundle. It now reads it as loadBundle does (the engine's readSmallTextFile, the 16 MiB manifest limit):
// a larger file, a link, a FIFO or a folder there is not a readable manifest, and none is read past it.

let root: string;
let k = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fraud-model-bundle-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function folder(): Promise<string> {
  const dir = join(root, `f-${k++}`);
  await mkdir(dir);
  return dir;
}

describe('TransactionScorer.load of a folder holding manifest.json but no stream.json', () => {
  it('a small manifest.json: E_BUNDLE_INCOMPATIBLE pointing to the model load', async () => {
    const dir = await folder();
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ format: 'appliedml-bundle' }));
    await expect(TransactionScorer.load(dir)).rejects.toMatchObject({
      code: 'E_BUNDLE_INCOMPATIBLE',
      message: expect.stringContaining('FraudDetector.load'),
    });
  });

  it("another SDK's bundle is named by its manifest's package and task, not called a FraudDetector", async () => {
    const dir = await folder();
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify({ format: 'appliedml-bundle', package: '@appliedml/medical-imaging', task: 'image-classification' }),
    );
    const error = await TransactionScorer.load(dir).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'E_BUNDLE_INCOMPATIBLE',
      message: expect.stringContaining('holds a @appliedml/medical-imaging model bundle (image-classification), not a transaction scorer'),
      details: { package: '@appliedml/medical-imaging', task: 'image-classification' },
    });
    expect((error as Error).message).toContain("load it with @appliedml/medical-imaging's own load");
    expect((error as Error).message).not.toContain('FraudDetector');
  });

  it("a fraud detector's bundle points to FraudDetector.load", async () => {
    const dir = await folder();
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify({ format: 'appliedml-bundle', package: '@appliedml/fraud', task: 'fraud-detection' }),
    );
    await expect(TransactionScorer.load(dir)).rejects.toMatchObject({
      code: 'E_BUNDLE_INCOMPATIBLE',
      message: expect.stringMatching(/holds a @appliedml\/fraud model bundle \(fraud-detection\), .*: load it with FraudDetector\.load\.$/),
    });
  });

  it('a manifest.json over the 16 MiB manifest limit is not read, nor taken for a bundle', async () => {
    const dir = await folder();
    const handle = await open(join(dir, 'manifest.json'), 'w');
    await handle.truncate(20 * 1024 * 1024); // sparse: 20 MiB of zeros
    await handle.close();
    await expect(TransactionScorer.load(dir)).rejects.toMatchObject({
      code: 'E_BUNDLE_MISSING',
      message: expect.stringContaining('stream.json is missing'),
    });
  });

  it.runIf(process.platform !== 'win32')(
    'a manifest.json that is a FIFO is not waited on',
    async () => {
      const dir = await folder();
      execFileSync('mkfifo', [join(dir, 'manifest.json')]);
      await expect(TransactionScorer.load(dir)).rejects.toMatchObject({ code: 'E_BUNDLE_MISSING' });
    },
    5000,
  );
});
