import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { StreamingRecognizer } from './streaming';
import { rejectionOf } from './test-helpers';
import { encodeWav, readAudio, readAudioChunks } from './wav';

// Messages that sent a user the wrong way: a file: URL (as import.meta.url gives) was quoted as its text,
// like a refused path string; audio over maxSeconds pointed at "StreamingRecognizer in chunks", not at
// readAudioChunks and createStream, which read a long file from disk.

describe('a URL given where a path or samples go', () => {
  it('is named as a URL, with the way to its path', async () => {
    const url = pathToFileURL('/data/call.wav');
    const say = `a URL object, "file:///data/call.wav": pass a file path, fileURLToPath(url) from 'node:url'`;
    const read = await rejectionOf(() => readAudio(url as never));
    expect(read.code).toBe('E_INPUT_INVALID');
    expect(read.message).toBe(`Audio must be a file path, WAV bytes (a Uint8Array or Buffer) or a Float32Array of samples (got ${say}).`);
    expect((await rejectionOf(() => readAudioChunks(url as never))).message).toBe(
      `readAudioChunks takes the path of a WAV file (got ${say}).`,
    );
    const stream = new StreamingRecognizer(8000, () => ({ probs: Float32Array.from([1]), labels: ['a'] }));
    // A stream takes samples only: its hint is readAudioChunks and push (hint-targets.test.ts).
    expect((await rejectionOf(() => stream.push(new URL('https://example.com/a.wav') as never))).message).toBe(
      'Stream chunks must be Float32Array samples in [-1, 1] (got a URL object, "https://example.com/a.wav": a stream takes samples: download it to a file, read that in chunks with readAudioChunks(path) and push each).',
    );
  });
});

describe('audio over maxSeconds', () => {
  it('points at readAudioChunks and a stream (a file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'speech-input-messages-'));
    const path = join(dir, 'a.wav');
    writeFileSync(path, encodeWav(new Float32Array(8000), 8000));
    const e = await rejectionOf(() => readAudio(path, { maxSeconds: 0.5 }));
    rmSync(dir, { recursive: true, force: true });
    expect(e.code).toBe('E_INPUT_TOO_LARGE');
    expect(e.message).toMatch(
      /is 1\.0 s long; the limit is 0\.5 s \(maxSeconds\)\. Read longer audio in chunks with readAudioChunks and push them to a stream \(recognizer\.createStream\(\)\), or raise maxSeconds \(to 1 or more\)\.$/,
    );
  });

  it('points samples at a stream (readAudioChunks reads files only)', async () => {
    const e = await rejectionOf(() => readAudio(new Float32Array(8000), { sampleRate: 8000, maxSeconds: 0.5 }));
    expect(e.code).toBe('E_INPUT_TOO_LARGE');
    expect(e.message).toMatch(
      /\(maxSeconds\)\. Push longer samples to a stream \(recognizer\.createStream\(\)\), or raise maxSeconds \(to 1 or more\)\.$/,
    );
  });
});

describe('readAudioChunks given something other than a path', () => {
  // Its hints pointed at other inputs it refuses too: an array "samples are Float32Array.from(values)",
  // an Int16Array "16-bit PCM becomes samples with ..."; an ArrayBuffer was "(got {})".
  it('names what was given, hinting only at what works', async () => {
    const said = async (value: unknown): Promise<string> => (await rejectionOf(() => readAudioChunks(value as never))).message;
    const start = 'readAudioChunks takes the path of a WAV file';
    expect(await said([1, 2])).toBe(`${start} (got an array of 2 values).`);
    expect(await said(new Int16Array(4))).toBe(`${start} (got an Int16Array of 4 values).`);
    expect(await said(new Float64Array(3))).toBe(`${start} (got a Float64Array of 3 values).`);
    expect(await said(new Float32Array(10))).toBe(
      `${start} (got a Float32Array of 10 values: samples already in memory need no reading; push them to a stream).`,
    );
    expect(await said(new ArrayBuffer(16))).toBe(
      `${start}, not its bytes (an ArrayBuffer of 16 bytes): decode them in memory with decodeWav(new Uint8Array(buffer)).`,
    );
    expect(await said(new Uint8Array(4))).toBe(`${start}, not its bytes (4 bytes given): decode bytes in memory with decodeWav.`);
  });
});
