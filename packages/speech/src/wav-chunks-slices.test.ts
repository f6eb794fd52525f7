import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav, readAudio, readAudioChunks } from './wav';

// readAudioChunks resampled each 1 MB block of the file whole: upsampling 1 kHz 8-bit audio to 48 kHz
// turned one block into 48 M samples (190 MB) before the first chunk was handed out (420 MB peak, about
// 10 s per block; 8 kHz to 16 kHz telephony 0.2-0.35 s per block). It resamples 65,536 output samples at
// a time now, handing out chunks as they fill.

let root: string;
let path: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'speech-chunk-slices-'));
  path = join(root, 'slow.wav');
  // One block: 1 MB of 8-bit mono at 1 kHz.
  const samples = Float32Array.from({ length: 2 ** 20 }, (_, i) => 0.5 * Math.sin(i / 5));
  await writeFile(path, encodeWav(samples, 1000, '8'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('readAudioChunks upsampling', () => {
  it('hands out the first chunk long before the block is resampled whole', async () => {
    const audio = await readAudioChunks(path, { targetSampleRate: 48_000, chunkSeconds: 0.01 });
    const started = performance.now();
    let first: Float32Array | undefined;
    for await (const chunk of audio) {
      first = chunk;
      break;
    }
    // A slice takes milliseconds; the whole block took seconds.
    expect(performance.now() - started).toBeLessThan(1500);
    expect(first).toHaveLength(480);
  }, 60_000);

  it("the chunks joined are still readAudio's samples, bit for bit, across slices", async () => {
    const short = join(root, 'short.wav');
    await writeFile(
      short,
      encodeWav(
        Float32Array.from({ length: 5000 }, (_, i) => 0.4 * Math.sin(i / 3)),
        1000,
        '16',
      ),
    );
    const whole = (await readAudio(short, { targetSampleRate: 48_000 })).samples;
    const audio = await readAudioChunks(short, { targetSampleRate: 48_000, chunkSeconds: 0.3 });
    const parts: Float32Array[] = [];
    for await (const chunk of audio) parts.push(chunk);
    const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (joined.set(p, at), at + p.length), 0);
    expect(joined.length).toBe(whole.length);
    expect(Buffer.from(joined.buffer).equals(Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength))).toBe(true);
  });
});
