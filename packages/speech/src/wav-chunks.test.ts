import { mkdir, mkdtemp, open, readlink, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppliedMLError } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wavBytes } from './test-helpers';
import { readAudio, readAudioChunks, type AudioChunks, type ReadAudioChunksOptions } from './wav';

// A long recording (a two-hour call) could only be read whole, capped at 600 s: readAudioChunks streams
// it from disk in chunks, with readAudio's checks, errors and samples.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'speech-wav-chunks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let named = 0;
async function wavFile(bytes: Uint8Array): Promise<string> {
  const file = path.join(dir, `f${named++}.wav`);
  await writeFile(file, bytes);
  return file;
}

/** A WAV of `frames` frames of `channels` channels, each channel its own tone plus seeded noise, at full scale of the encoding. */
function wav(format: 1 | 3, bits: number, channels: number, rate: number, frames: number): Uint8Array {
  const step = bits / 8;
  const data = new Uint8Array(frames * channels * step);
  const view = new DataView(data.buffer);
  let seed = 12345;
  const noise = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
  for (let f = 0, at = 0; f < frames; f++)
    for (let c = 0; c < channels; c++, at += step) {
      const v = 0.7 * Math.sin((2 * Math.PI * (220 + 170 * c) * f) / rate) + 0.29 * noise();
      if (format === 3) {
        if (bits === 32) view.setFloat32(at, v, true);
        else view.setFloat64(at, v, true);
      } else if (bits === 8) view.setUint8(at, Math.round(v * 127) + 128);
      else if (bits === 16) view.setInt16(at, Math.round(v * 32767), true);
      else if (bits === 24) {
        const i = Math.round(v * 8388607);
        view.setUint16(at, i & 0xffff, true);
        view.setInt8(at + 2, i >> 16);
      } else view.setInt32(at, Math.round(v * 2147483647), true);
    }
  return wavBytes(format, channels, rate, bits, data);
}

/** Every chunk of one pass, in order. */
async function chunksOf(audio: AudioChunks): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for await (const chunk of audio) out.push(chunk);
  return out;
}

function joined(chunks: Float32Array[]): Float32Array {
  const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Bit-for-bit equality of two sample arrays (NaN and -0 included). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return (
    a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  );
}

/** The open file descriptors of this process that point at `file` (Linux: /proc/self/fd). */
async function openDescriptors(file: string): Promise<number> {
  let count = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    try {
      if ((await readlink(`/proc/self/fd/${fd}`)) === file) count++;
    } catch {
      // closed between the listing and the readlink
    }
  }
  return count;
}

/** The typed error a promise (or a pass over chunks) rejects with. */
async function failure(run: () => Promise<unknown>): Promise<AppliedMLError> {
  try {
    await run();
  } catch (error) {
    if (AppliedMLError.isInstance(error)) return error;
    throw new Error(`untyped error: ${String(error)}`, { cause: error });
  }
  throw new Error('no error');
}

describe('readAudioChunks: the chunks joined are readAudio of the file, bit for bit', () => {
  const cases: Array<[string, Uint8Array, ReadAudioChunksOptions]> = [
    // Over 1 MB of data: more than one block, and chunks that straddle the blocks.
    ['16-bit stereo 48 kHz, 7 s', wav(1, 16, 2, 48000, 7 * 48000), { chunkSeconds: 0.37 }],
    ['24-bit stereo 22.05 kHz, 8 s', wav(1, 24, 2, 22050, 8 * 22050), { chunkSeconds: 1 }],
    ['8-bit mono 8 kHz, 2 s', wav(1, 8, 1, 8000, 16000), { chunkSeconds: 0.25 }],
    ['32-bit 3 channels 16 kHz, 2.5 s', wav(1, 32, 3, 16000, 40000), {}],
    ['float 32 stereo 16 kHz, 10.3 s', wav(3, 32, 2, 16000, 164800), { chunkSeconds: 3 }],
    ['float 64 mono 8 kHz, 1.5 s', wav(3, 64, 1, 8000, 12000), { chunkSeconds: 0.1 }],
    ['a chunk longer than the file', wav(1, 16, 2, 8000, 5000), { chunkSeconds: 2 }],
  ];
  for (const [what, bytes, options] of cases)
    it(what, async () => {
      const file = await wavFile(bytes);
      const whole = await readAudio(file);
      const audio = await readAudioChunks(file, options);
      const chunks = await chunksOf(audio);
      expect(sameBits(joined(chunks), whole.samples)).toBe(true);
      expect(audio.sampleRate).toBe(whole.sampleRate);
      expect(audio.source).toEqual(whole.source);
      expect(audio.totalSamples).toBe(whole.samples.length);
      expect(audio.durationSeconds).toBe(whole.durationSeconds);
      expect(audio.chunkSamples).toBe(Math.max(1, Math.round((options.chunkSeconds ?? 1) * whole.sampleRate)));
      // Every chunk but the last holds chunkSamples; the last what is left.
      for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBe(audio.chunkSamples);
      expect(chunks.at(-1)!.length).toBeGreaterThan(0);
      expect(chunks.at(-1)!.length).toBeLessThanOrEqual(audio.chunkSamples);
      // A second pass reads the file again, the same.
      expect(sameBits(joined(await chunksOf(audio)), whole.samples)).toBe(true);
    });

  it('resampled through one filter for the whole file: readAudio with the same targetSampleRate', async () => {
    for (const [bytes, target] of [
      [wav(1, 16, 2, 48000, 7 * 48000), 16000],
      [wav(3, 32, 1, 22050, 3 * 22050 + 17), 8000],
      [wav(1, 16, 1, 8000, 8000), 11025],
    ] as const) {
      const file = await wavFile(bytes);
      const whole = await readAudio(file, { targetSampleRate: target });
      const audio = await readAudioChunks(file, { targetSampleRate: target, chunkSeconds: 0.3 });
      expect(audio.sampleRate).toBe(target);
      expect(audio.totalSamples).toBe(whole.samples.length);
      const chunks = await chunksOf(audio);
      expect(sameBits(joined(chunks), whole.samples)).toBe(true);
      for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBe(Math.round(0.3 * target));
    }
  });

  it('has no length cap: a file over readAudio’s 600 s is read in chunks', async () => {
    const file = await wavFile(wav(1, 8, 1, 1000, 601_000));
    expect((await failure(() => readAudio(file))).code).toBe('E_INPUT_TOO_LARGE');
    const audio = await readAudioChunks(file, { chunkSeconds: 60 });
    const chunks = await chunksOf(audio);
    expect(chunks.map((c) => c.length)).toEqual([...new Array<number>(10).fill(60_000), 1000]);
    expect(sameBits(joined(chunks), (await readAudio(file, { maxSeconds: 601 })).samples)).toBe(true);
  });
});

describe('readAudioChunks: readAudio’s typed errors for the same files', () => {
  const good = wav(1, 16, 2, 8000, 4000);
  const mulaw = wavBytes(7, 1, 8000, 8, new Uint8Array(800));
  const noData = good.slice(0, 36); // RIFF header and fmt chunk only
  const files: Array<[string, Uint8Array]> = [
    ['empty', new Uint8Array(0)],
    ['not a WAV (text)', Buffer.from('hello, this is not audio at all')],
    ['a header cut in the fmt chunk', good.slice(0, 28)],
    ['no data chunk', noData],
    ['a data chunk cut short', good.slice(0, 3000)],
    ['µ-law', mulaw],
    ['an empty data chunk', wavBytes(1, 1, 8000, 16, new Uint8Array(0))],
    ['an unsupported bit depth', wavBytes(1, 1, 8000, 12, new Uint8Array(300))],
  ];
  for (const [what, bytes] of files)
    it(`${what}: the same code and message as readAudio, from the promise`, async () => {
      const file = await wavFile(bytes);
      const whole = await failure(() => readAudio(file));
      const chunked = await failure(() => readAudioChunks(file));
      expect(chunked.code).toBe(whole.code);
      expect(chunked.message).toBe(whole.message);
      expect(chunked.details).toEqual(whole.details);
      expect(await openDescriptors(file)).toBe(0);
    });

  it('a missing path, a directory: E_IO as readAudio', async () => {
    const folder = path.join(dir, 'folder.wav');
    await mkdir(folder);
    for (const p of [path.join(dir, 'missing.wav'), folder]) {
      const whole = await failure(() => readAudio(p));
      const chunked = await failure(() => readAudioChunks(p));
      expect(whole.code).toBe('E_IO');
      expect([chunked.code, chunked.message]).toEqual([whole.code, whole.message]);
    }
  });

  it('a NaN float sample: the chunks before it, then readAudio’s E_INPUT_INVALID naming the same index; the file closed', async () => {
    const clean = wav(3, 32, 1, 8000, 320_000); // 1.28 MB: two blocks
    const bytes = clean.slice();
    new DataView(bytes.buffer).setFloat32(44 + 4 * 300_000, Number.NaN, true);
    const file = await wavFile(bytes);
    const whole = await failure(() => readAudio(file));
    expect(whole.code).toBe('E_INPUT_INVALID');
    const got: Float32Array[] = [];
    const chunked = await failure(async () => {
      for await (const chunk of await readAudioChunks(file, { chunkSeconds: 0.5 })) got.push(chunk);
    });
    expect([chunked.code, chunked.message]).toEqual([whole.code, whole.message]);
    // The first 1 MB block (262,144 frames) gave 65 whole chunks of 4,000 before the second block was read.
    expect(got.length).toBe(65);
    expect(sameBits(joined(got), (await readAudio(await wavFile(clean))).samples.subarray(0, 260_000))).toBe(true);
    expect(await openDescriptors(file)).toBe(0);
  });

  it('options: a misspelt name, a bad chunkSeconds or rate, a path that is not a string', async () => {
    const file = await wavFile(good);
    for (const options of [
      { chunkSecs: 1 },
      { chunkSeconds: 0 },
      { chunkSeconds: -1 },
      { chunkSeconds: Number.NaN },
      { chunkSeconds: 601 },
      { chunkSeconds: '1' },
      { targetSampleRate: 500 },
    ])
      expect((await failure(() => readAudioChunks(file, options as never))).code).toBe('E_INPUT_INVALID');
    expect((await failure(() => readAudioChunks(good as never))).message).toBe(
      `readAudioChunks takes the path of a WAV file, not its bytes (${good.length} bytes given): decode bytes in memory with decodeWav.`,
    );
    expect((await failure(() => readAudioChunks(42 as never))).message).toBe('readAudioChunks takes the path of a WAV file (got 42).');
  });

  it('a file whose header changed after the promise read it: E_IO file-changed at the pass, the file closed', async () => {
    const file = await wavFile(wav(1, 16, 1, 8000, 8000));
    const audio = await readAudioChunks(file);
    await writeFile(file, wav(1, 16, 2, 8000, 8000));
    const error = await failure(() => chunksOf(audio));
    expect(error.code).toBe('E_IO');
    expect(error.details.reason).toBe('file-changed');
    expect(await openDescriptors(file)).toBe(0);
  });
});

describe('readAudioChunks: the file is open only during a pass', () => {
  it('open while a pass runs; closed after the header is read, after a break, after a full pass', async () => {
    const file = await wavFile(wav(1, 16, 2, 16000, 16000 * 40)); // 2.56 MB: three blocks
    const audio = await readAudioChunks(file, { chunkSeconds: 0.5 });
    expect(await openDescriptors(file)).toBe(0);
    let seen = 0;
    for await (const chunk of audio) {
      expect(chunk.length).toBe(8000);
      expect(await openDescriptors(file)).toBe(1);
      if (++seen === 3) break;
    }
    expect(seen).toBe(3);
    expect(await openDescriptors(file)).toBe(0);
    // Passes left at once, many times over: none leaves a descriptor behind.
    for (let i = 0; i < 50; i++) for await (const _ of audio) break;
    expect(await openDescriptors(file)).toBe(0);
    // An iterator made but never started opens nothing; return() on it is harmless.
    const idle = audio[Symbol.asyncIterator]();
    await idle.return?.();
    expect(await openDescriptors(file)).toBe(0);
    // An exception thrown in the loop body closes it too.
    await expect(
      (async () => {
        for await (const _ of audio) throw new Error('consumer failed');
      })(),
    ).rejects.toThrow('consumer failed');
    expect(await openDescriptors(file)).toBe(0);
    expect((await chunksOf(audio)).length).toBe(80);
    expect(await openDescriptors(file)).toBe(0);
  });

  it('a two-hour recording streams through in bounded memory', async () => {
    // 2 h of 8 kHz 16-bit mono, written sparse (silence): 115 MB on disk, 230 MB as one Float32Array.
    const file = path.join(dir, 'call.wav');
    const frames = 2 * 3600 * 8000;
    const header = wavBytes(1, 1, 8000, 16, new Uint8Array(0), { dataBytes: 2 * frames });
    const handle = await open(file, 'w');
    await handle.write(header, 0, header.length, 0);
    await handle.truncate(header.length + 2 * frames);
    await handle.close();
    const audio = await readAudioChunks(file, { chunkSeconds: 30 });
    expect(audio.durationSeconds).toBe(7200);
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    let samples = 0;
    let chunks = 0;
    for await (const chunk of audio) {
      samples += chunk.length;
      chunks++;
      if (chunks % 20 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }
    expect(samples).toBe(frames);
    expect(chunks).toBe(240);
    // A block (1 MB), its mono samples (2 MB), a chunk (0.96 MB) and the chunks not yet collected.
    expect(peak).toBeLessThan(120 * 2 ** 20);
  }, 60_000);
});
