import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { encodeWav, readAudioChunks } from './wav';

// Each `for await` over readAudioChunks opens the file again, and did so unchecked: a FIFO put in its
// place blocked the pass in open() for a writer, a directory or a removed file failed with the system's
// words. Each pass checks it as readAudio does: E_IO, details.reason 'file-changed', at once.

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'speech-chunks-reopen-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function pass(audio: AsyncIterable<Float32Array>): Promise<AppliedMLError | number> {
  let n = 0;
  try {
    for await (const _chunk of audio) n++;
  } catch (error) {
    expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
    return error as AppliedMLError;
  }
  return n;
}

describe('a pass of readAudioChunks over a file that changed since', () => {
  it('a FIFO, a directory or nothing in its place is E_IO file-changed at once', async () => {
    for (const [what, swap, reason] of [
      ['FIFO', (p: string) => execFileSync('mkfifo', [p]), 'it is a FIFO (named pipe), not a regular file'],
      ['directory', (p: string) => mkdir(p), 'it is a directory, not a regular file'],
      ['removed', () => undefined, 'no such file'],
    ] as const) {
      const path = join(root, `${what}.wav`);
      await writeFile(path, encodeWav(new Float32Array(1600).fill(0.1), 16_000));
      const audio = await readAudioChunks(path);
      await rm(path);
      await swap(path);
      const started = Date.now();
      const e = await Promise.race([pass(audio), new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), 3000))]);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(AppliedMLError.isInstance(e), `${what}: ${String(e)}`).toBe(true);
      const error = e as AppliedMLError;
      expect(error.code).toBe('E_IO');
      expect(error.message).toBe(`Cannot read audio file ${path}: it is no longer the regular file readAudioChunks read: ${reason}.`);
      expect(error.details).toEqual({ file: path, reason: 'file-changed' });
    }
  });

  it('the same file reads again on every pass', async () => {
    const path = join(root, 'same.wav');
    await writeFile(path, encodeWav(new Float32Array(16000).fill(0.1), 16_000));
    const audio = await readAudioChunks(path, { chunkSeconds: 0.25 });
    expect(await pass(audio)).toBe(4);
    expect(await pass(audio)).toBe(4);
  });
});
