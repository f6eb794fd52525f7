import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wavBytes } from './test-helpers';
import { decodeWav, encodeWav, readAudio, resample } from './wav';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'speech-wav-memory-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A canonical 16-bit PCM WAV of `channels` channels, `frames` frames; `extra` chunks go before the data. */
function pcm16(
  rate: number,
  channels: number,
  frames: number,
  sample: (f: number, c: number) => number,
  extra: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const samples = new Int16Array(frames * channels);
  for (let f = 0; f < frames; f++) for (let c = 0; c < channels; c++) samples[f * channels + c] = sample(f, c);
  return wavBytes(1, channels, rate, 16, new Uint8Array(samples.buffer), { before: extra });
}

/** A LIST chunk of `size` bytes of text, as tagging tools put before the data. */
function listChunk(size: number): Uint8Array {
  const chunk = new Uint8Array(8 + size).fill(0x61);
  chunk.set(Buffer.from('LIST'), 0);
  new DataView(chunk.buffer).setUint32(4, size, true);
  return chunk;
}

describe('WAV decoding memory', () => {
  it('keeps the output and one block in memory, not the file, a 64-bit copy of every sample or a full-rate mono copy', async () => {
    // 10 s of 64 channels at 48 kHz, 16-bit: a 61 MB file whose mono output is 1.9 MB. Decoding it
    // through wavefile allocated a copy of the file, 8 bytes per sample (246 MB) and the mono samples,
    // and readAudio(path) read the whole file first: the peak rose by 402 MB from the path, 354 MB from
    // the bytes (measured); now by 11 MB and 0.25 MB.
    const file = path.join(dir, 'wide.wav');
    await writeFile(
      file,
      pcm16(48000, 64, 480_000, (f, c) => Math.round(8000 * Math.sin(f / (7 + c)))),
    );
    const child = path.join(dir, 'child.mts');
    const wav = pathToFileURL(path.join(here, 'wav.ts')).href;
    // One process per reader: a process's peak RSS only says something about what it did first.
    await writeFile(
      child,
      [
        `import { readFile } from 'node:fs/promises';`,
        `import { decodeWav, readAudio } from ${JSON.stringify(wav)};`,
        `const peak = () => process.resourceUsage().maxRSS / 1024;`,
        `const file = ${JSON.stringify(file)};`,
        `const bytes = process.argv[2] === 'bytes' ? await readFile(file) : undefined;`,
        `const before = peak();`,
        `const out = bytes ? decodeWav(bytes, { targetSampleRate: 16000 }) : await readAudio(file, { targetSampleRate: 48000 });`,
        `console.log('result ' + JSON.stringify({ mb: peak() - before, samples: out.samples.length }));`,
      ].join('\n'),
    );
    const run = (mode: string): Promise<{ mb: number; samples: number; output: string }> =>
      new Promise((resolve, reject) => {
        execFile(
          process.execPath,
          ['--conditions=@appliedml/source', '--import', 'tsx', child, mode],
          { cwd: root, timeout: 240_000 },
          (error, stdout, stderr) => {
            const line = stdout.split('\n').find((l) => l.startsWith('result '));
            if (error || !line) reject(new Error(`${error?.message ?? 'no result'}\n${stdout}\n${stderr}`));
            else resolve({ ...(JSON.parse(line.slice('result '.length)) as { mb: number; samples: number }), output: stdout });
          },
        );
      });
    const fromPath = await run('path');
    const fromBytes = await run('bytes');
    expect(fromPath.samples).toBe(480_000);
    expect(fromBytes.samples).toBe(160_000);
    // Output (1.9 MB, 0.6 MB), one 1 MB block and the resampler's few thousand samples; well under the file's 61 MB.
    expect(fromPath.mb, fromPath.output).toBeLessThan(40);
    expect(fromBytes.mb, fromBytes.output).toBeLessThan(40);
  });

  it('decodes block by block to the same samples as one mixdown and one resample of the whole', async () => {
    // 3 channels over many 1 MB blocks (a block is not a whole number of seconds), to 8 kHz and at the file's rate.
    const frames = 500_003;
    const sample = (f: number, c: number): number => Math.round(20000 * Math.sin(f / (11 + 3 * c)) * Math.cos(f / 977));
    const bytes = pcm16(44100, 3, frames, sample);
    const mono = new Float32Array(frames);
    for (let f = 0; f < frames; f++) {
      let sum = 0;
      for (let c = 0; c < 3; c++) sum += sample(f, c) / 32768;
      mono[f] = sum / 3;
    }
    expect(decodeWav(bytes).samples).toEqual(mono);
    const low = decodeWav(bytes, { targetSampleRate: 8000 });
    expect(low.samples).toEqual(resample(mono, 44100, 8000));
    const file = path.join(dir, 'three.wav');
    await writeFile(file, bytes);
    expect((await readAudio(file, { targetSampleRate: 8000 })).samples).toEqual(low.samples);
  });

  it('reads a file whose data chunk starts past its first 64 KB (the whole file then), and a truncated one as decodeWav does', async () => {
    const tone = (f: number): number => Math.round(10000 * Math.sin(f / 5));
    const tagged = pcm16(16000, 1, 40_000, tone, listChunk(100_000));
    const file = path.join(dir, 'tagged.wav');
    await writeFile(file, tagged);
    const read = await readAudio(file);
    expect(read.samples).toEqual(decodeWav(tagged).samples);
    expect(read.samples.length).toBe(40_000);

    // A data chunk cut short in a file larger than the header read: the sizes are checked against the whole file.
    const whole = pcm16(16000, 1, 100_000, tone);
    const cut = whole.subarray(0, 150_000);
    const cutFile = path.join(dir, 'cut.wav');
    await writeFile(cutFile, cut);
    const fromPath = await readAudio(cutFile).then(
      () => undefined,
      (e: unknown) => e as { code: string; details: Record<string, unknown> },
    );
    expect(fromPath?.code).toBe('E_INPUT_INVALID');
    expect(fromPath?.details).toEqual({ name: cutFile, declaredBytes: 200_000, presentBytes: 150_000 - 44 });

    // An encodeWav file is read the same from a path and from its bytes.
    const long = encodeWav(
      Float32Array.from({ length: 80_000 }, (_, i) => 0.5 * Math.sin(i / 3)),
      16000,
      '24',
      2,
    );
    const longFile = path.join(dir, 'long.wav');
    await writeFile(longFile, long);
    expect((await readAudio(longFile, { targetSampleRate: 8000 })).samples).toEqual(decodeWav(long, { targetSampleRate: 8000 }).samples);
  });
});
