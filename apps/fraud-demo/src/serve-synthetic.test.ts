import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { trainedOnSynthetic, writeTrainedOn } from './data';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const args = (...rest: string[]): string[] => ['--import', 'tsx', '--conditions=@appliedml/source', cli, ...rest];

describe('serve says SYNTHETIC for a model trained on the generated stream', () => {
  it('train records the data beside the model; the served page carries the notice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fraud-demo-serve-'));
    try {
      const model = join(dir, 'm');
      const train = spawnSync(process.execPath, args('train', '--detector', 'ecod', '--out', model), {
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(train.status, train.stderr).toBe(0);
      expect(await trainedOnSynthetic(model)).toBe(true);
      const serve = spawn(process.execPath, args('serve', '--model', model, '--port', '0'), { stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let text = '';
          serve.stdout.on('data', (chunk: Buffer) => {
            text += chunk.toString();
            const m = /fraud service on (http:\/\/\S+?)\/ /.exec(text);
            if (m) resolve(m[1] as string);
          });
          serve.on('exit', (code) => reject(new Error(`serve exited with ${String(code)}: ${text}`)));
        });
        const page = await (await fetch(`${url}/`)).text();
        expect(page).toContain('SYNTHETIC');
      } finally {
        serve.kill('SIGTERM');
        await new Promise((resolve) => (serve.exitCode === null ? serve.on('exit', resolve) : resolve(undefined)));
      }
      // A model trained on a file, or saved without the record, is not called synthetic.
      await writeTrainedOn(model, false);
      expect(await trainedOnSynthetic(model)).toBe(false);
      expect(await trainedOnSynthetic(dir)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
