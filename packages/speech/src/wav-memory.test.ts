import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wavBytes } from './test-helpers';
import { decodeWav, encodeWav, readAudio, resample, type ReadAudioOptions } from './wav';

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

/** A chunk: its id, its body, and the size its header declares (default: the body's length); a pad byte follows an odd body. */
function chunk(id: string, body: Uint8Array | number, declared?: number, pad = true): Uint8Array {
  const bytes = typeof body === 'number' ? new Uint8Array(body).fill(0x61) : body;
  const odd = pad ? bytes.length % 2 : 0;
  const out = new Uint8Array(8 + bytes.length + odd);
  out.set(Buffer.from(id), 0);
  new DataView(out.buffer).setUint32(4, declared ?? bytes.length, true);
  out.set(bytes, 8);
  return out;
}

/** A 16-byte fmt body (40 bytes, WAVE_FORMAT_EXTENSIBLE with `format` as its sub-format, when `extensible`). */
function fmtBody(format: number, channels: number, rate: number, bits: number, extensible = false): Uint8Array {
  const body = new Uint8Array(extensible ? 40 : 16);
  const v = new DataView(body.buffer);
  v.setUint16(0, extensible ? 0xfffe : format, true);
  v.setUint16(2, channels, true);
  v.setUint32(4, rate, true);
  v.setUint32(8, (rate * channels * bits) / 8, true);
  v.setUint16(12, (channels * bits) / 8, true);
  v.setUint16(14, bits, true);
  if (extensible) {
    v.setUint16(16, 22, true);
    v.setUint16(24, format, true);
  }
  return body;
}

/** A RIFF/WAVE file of these chunks, in this order; the RIFF size is the file's unless given. */
function riff(chunks: Uint8Array[], riffSize?: number): Uint8Array {
  const length = 12 + chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(length);
  out.set(Buffer.from('RIFF'), 0);
  new DataView(out.buffer).setUint32(4, riffSize ?? length - 8, true);
  out.set(Buffer.from('WAVE'), 8);
  let at = 12;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** What decoding gives: the decoded audio, or the error's code, message and details. */
async function outcome(decode: () => unknown): Promise<unknown> {
  try {
    return await decode();
  } catch (e) {
    const { code, message, details } = e as { code?: string; message: string; details?: Record<string, unknown> };
    // Audio over maxSeconds is refused alike, with the way on for where it came from (a file: readAudioChunks;
    // bytes: a file of them or a larger maxSeconds): compared up to that hint, `details.source` apart.
    if (code === 'E_INPUT_TOO_LARGE') {
      const { source: _source, ...same } = details ?? {};
      return { code, message: message.slice(0, message.indexOf('(maxSeconds).')), details: same };
    }
    return { code: code ?? `untyped ${String(e)}`, message, details };
  }
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

  it('reads a file whose data chunk starts past its first 64 KB, and a truncated one, as decodeWav does', async () => {
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
    expect(fromPath?.details).toEqual({ name: cutFile, reason: 'data-truncated', declaredBytes: 200_000, presentBytes: 150_000 - 44 });

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
  it('reads a file from a path as decodeWav reads its bytes, wherever its chunks are (one chunk walk, by positioned reads)', async () => {
    const tone = Int16Array.from({ length: 24_001 }, (_, i) => Math.round(9000 * Math.sin(i / 4)));
    const pcm = new Uint8Array(tone.buffer);
    const fmt16 = chunk('fmt ', fmtBody(1, 1, 16000, 16));
    const data = chunk('data', pcm);
    // 65536 - 12 (RIFF) - 24 (fmt) - 8 (LIST header) - 2: a data chunk header across the 64 KB mark.
    const straddle = 65536 - 12 - 24 - 8 - 2;
    const layouts: Record<string, Uint8Array> = {
      'a 70 KB LIST chunk before the data': riff([fmt16, chunk('LIST', 70_000), data]),
      'a 3 MB JUNK chunk before the data': riff([fmt16, chunk('JUNK', 3_000_000), data]),
      'a 5 MB id3 chunk and a 70 KB LIST before fmt and data': riff([chunk('id3 ', 5_000_000), chunk('LIST', 70_000), fmt16, data]),
      'an odd-sized chunk (and its pad byte) before the data': riff([fmt16, chunk('odd ', 70_001), data]),
      'an odd-sized chunk without its pad byte': riff([fmt16, chunk('odd ', 70_001, undefined, false), data]),
      'a data chunk header across 64 KB': riff([fmt16, chunk('LIST', straddle), data]),
      'an extensible fmt chunk past 64 KB, across 64 KB': riff([
        chunk('LIST', 65536 - 12 - 8 - 8 - 20),
        chunk('fmt ', fmtBody(1, 2, 16000, 16, true)),
        data,
      ]),
      'a chunk whose size runs past the end of the file, before the data': riff([fmt16, chunk('LIST', 70_000, 0x7fffffff), data]),
      'a chunk whose size runs past the end of the file, before fmt': riff([chunk('JUNK', 100, 0xfffffff0), fmt16, data]),
      'the data chunk before the fmt chunk': riff([chunk('LIST', 70_000), data, fmt16]),
      'no data chunk': riff([fmt16, chunk('LIST', 70_000)]),
      'a data chunk that declares more than the file has': riff([fmt16, chunk('LIST', 70_000), chunk('data', pcm, 200_000)]),
      'a streaming data size 0 (RIFF size 0) past 64 KB': riff([fmt16, chunk('LIST', 70_000), chunk('data', pcm, 0)], 0),
      'a zero data size (RIFF size 0) with a chunk after it: an empty data chunk, past 64 KB': riff(
        [fmt16, chunk('LIST', 70_000), chunk('data', new Uint8Array(0)), chunk('LIST', 10)],
        0,
      ),
      'a data size of 0xFFFFFFFF and an odd last byte past 64 KB': riff([
        fmt16,
        chunk('LIST', 70_000),
        chunk('data', Uint8Array.of(...pcm, 7), 0xffffffff, false),
      ]),
      'a RIFX container': Uint8Array.of(...Buffer.from('RIFX'), 0, 0, 0, 4, ...Buffer.from('WAVE')),
      'eleven bytes': Uint8Array.of(...Buffer.from('RIFF'), 3, 0, 0, 0, ...Buffer.from('WAV')),
      'an fmt chunk cut short by the end of the file': riff([chunk('LIST', 70_000), chunk('fmt ', new Uint8Array(10), 16, false)]),
    };
    const seen = new Set<string>();
    for (const [what, bytes] of Object.entries(layouts)) {
      const file = path.join(dir, 'layout.wav');
      await writeFile(file, bytes);
      for (const options of [{}, { targetSampleRate: 8000 }, { maxSeconds: 1 }] satisfies ReadAudioOptions[]) {
        const fromBytes = await outcome(() => decodeWav(bytes, { ...options, name: file }));
        const fromPath = await outcome(() => readAudio(file, options));
        expect(fromPath, `${what} ${JSON.stringify(options)}`).toEqual(fromBytes);
        seen.add(String((fromBytes as { code?: string }).code ?? 'decoded'));
      }
    }
    // Decoded, refused as too long, as invalid and as unsupported: every kind of outcome was compared.
    expect([...seen].sort()).toEqual(['E_FORMAT_UNSUPPORTED', 'E_INPUT_INVALID', 'E_INPUT_TOO_LARGE', 'decoded']);
  });

  it('a file with 100 MB of tags before its data: read or refused as too long without reading them (peak RSS in a child process)', async () => {
    // A JUNK chunk of 100 MB (sparse on disk) before 1 s of 16 kHz audio, and before 700 s of it. The
    // whole file was read when the data started past 64 KB: the peak rose by more than the file (the
    // 700 s one refused only after that); now by the header window, the block and the output.
    const tagged = async (file: string, seconds: number): Promise<void> => {
      const junk = 100_000_000;
      const head = wavBytes(1, 1, 16000, 16, new Uint8Array(0), {
        dataBytes: seconds * 32000,
        before: chunk('JUNK', new Uint8Array(0), junk),
      });
      const handle = await open(file, 'w');
      try {
        // RIFF, fmt and the JUNK header; the data header after the JUNK body; the samples (silence) to the end.
        await handle.write(head, 0, 44, 0);
        await handle.write(head, 44, 8, 44 + junk);
        await handle.truncate(52 + junk + seconds * 32000);
      } finally {
        await handle.close();
      }
    };
    const short = path.join(dir, 'junk-short.wav');
    const long = path.join(dir, 'junk-long.wav');
    await tagged(short, 1);
    await tagged(long, 700);
    const child = path.join(dir, 'junk-child.mts');
    const wav = pathToFileURL(path.join(here, 'wav.ts')).href;
    await writeFile(
      child,
      [
        `import { readAudio } from ${JSON.stringify(wav)};`,
        `const peak = () => process.resourceUsage().maxRSS / 1024;`,
        `const before = peak();`,
        `const got = await readAudio(process.argv[2]).then((d) => d.samples.length, (e) => e.code);`,
        `console.log('result ' + JSON.stringify({ mb: peak() - before, got }));`,
      ].join('\n'),
    );
    const run = (file: string): Promise<{ mb: number; got: unknown; output: string }> =>
      new Promise((resolve, reject) => {
        execFile(
          process.execPath,
          ['--conditions=@appliedml/source', '--import', 'tsx', child, file],
          { cwd: root, timeout: 240_000 },
          (error, stdout, stderr) => {
            const line = stdout.split('\n').find((l) => l.startsWith('result '));
            if (error || !line) reject(new Error(`${error?.message ?? 'no result'}\n${stdout}\n${stderr}`));
            else resolve({ ...(JSON.parse(line.slice('result '.length)) as { mb: number; got: unknown }), output: stdout });
          },
        );
      });
    const read = await run(short);
    const refused = await run(long);
    expect(read.got).toBe(16000);
    expect(refused.got).toBe('E_INPUT_TOO_LARGE');
    expect(read.mb, read.output).toBeLessThan(40);
    expect(refused.mb, refused.output).toBeLessThan(40);
  });
});
