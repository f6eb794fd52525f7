// The WAV chunk walk, from bytes and from a path alike:
// - an unsupported encoding (µ-law, …) is told before the data chunk's size is looked at: a µ-law file
//   that is also too long, truncated or without its data was told "too long" / "truncated" first, and
//   after the user shortened or mended it, "unsupported" (converting it mends all of them);
// - the walk visits at most MAX_WAV_CHUNKS chunks before the data chunk: a crafted file of millions of
//   empty chunks was walked to its end (about a second per 100 MB).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errorOf, rejectionOf, wavBytes } from './test-helpers';
import { MAX_WAV_CHUNKS, decodeWav, readAudio } from './wav';

const dir = mkdtempSync(join(tmpdir(), 'speech-wav-walk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The error decodeWav(bytes) and readAudio(path) give for `bytes` (written to `file`), checked to agree. */
async function refusals(bytes: Uint8Array, file: string, options: { maxSeconds?: number } = {}) {
  const path = join(dir, file);
  writeFileSync(path, bytes);
  const fromBytes = errorOf(() => decodeWav(bytes, { ...options, name: path }));
  const fromPath = await rejectionOf(() => readAudio(path, options));
  // Audio over maxSeconds: the same refusal up to its hint, which names a way on for a file or for bytes.
  const same = (e: { code: string; message: string; details?: Record<string, unknown> }) =>
    e.code === 'E_INPUT_TOO_LARGE'
      ? { code: e.code, message: e.message.slice(0, e.message.indexOf('(maxSeconds).')), details: { ...e.details, source: undefined } }
      : { code: e.code, message: e.message, details: e.details };
  expect(same(fromPath)).toEqual(same(fromBytes));
  return fromPath;
}

const MU_LAW = 7;
const PCM = 1;
/** `seconds` of 8 kHz 8-bit mono (µ-law or PCM: one byte a sample). */
const samples = (seconds: number): Uint8Array => new Uint8Array(8000 * seconds).fill(0x80);

describe('an unsupported encoding is told before the length or the data chunk', () => {
  it('µ-law over maxSeconds: E_FORMAT_UNSUPPORTED; the same length in PCM: E_INPUT_TOO_LARGE', async () => {
    const mulaw = await refusals(wavBytes(MU_LAW, 1, 8000, 8, samples(3)), 'long-mulaw.wav', { maxSeconds: 2 });
    expect(mulaw.code).toBe('E_FORMAT_UNSUPPORTED');
    expect(mulaw.message).toMatch(/is µ-law-encoded; only PCM/);
    expect(mulaw.details).toMatchObject({ formatTag: MU_LAW, encoding: 'µ-law' });
    const pcm = await refusals(wavBytes(PCM, 1, 8000, 8, samples(3)), 'long-pcm.wav', { maxSeconds: 2 });
    expect(pcm.code).toBe('E_INPUT_TOO_LARGE');
  });

  it('µ-law whose data chunk is truncated (it says 700 s): E_FORMAT_UNSUPPORTED, not "truncated"', async () => {
    const declared = 8000 * 700;
    const mulaw = await refusals(wavBytes(MU_LAW, 1, 8000, 8, samples(1), { dataBytes: declared }), 'cut-mulaw.wav');
    expect(mulaw.code).toBe('E_FORMAT_UNSUPPORTED');
    const pcm = await refusals(wavBytes(PCM, 1, 8000, 8, samples(1), { dataBytes: declared }), 'cut-pcm.wav');
    expect(pcm.code).toBe('E_INPUT_INVALID');
    expect(pcm.message).toMatch(/the data chunk is truncated/);
  });

  it('µ-law without a data chunk: E_FORMAT_UNSUPPORTED, not "no data chunk"', async () => {
    const noData = (format: number): Uint8Array => wavBytes(format, 1, 8000, 8, new Uint8Array(0)).subarray(0, 36);
    expect((await refusals(noData(MU_LAW), 'nodata-mulaw.wav')).code).toBe('E_FORMAT_UNSUPPORTED');
    const pcm = await refusals(noData(PCM), 'nodata-pcm.wav');
    expect(pcm.code).toBe('E_INPUT_INVALID');
    expect(pcm.message).toMatch(/no data chunk/);
  });

  it('a 12-bit PCM file that fits no container (no decoder) over maxSeconds: E_FORMAT_UNSUPPORTED too', async () => {
    // blockAlign 1 for 12 bits a sample: no whole-byte container holds them (in 2 bytes, as writers pad
    // them, 12-bit PCM is read as 16-bit, and such a file over maxSeconds is E_INPUT_TOO_LARGE).
    const bytes = wavBytes(PCM, 1, 8000, 8, new Uint8Array(8000 * 3));
    new DataView(bytes.buffer).setUint16(34, 12, true);
    const error = await refusals(bytes, 'long-12bit.wav', { maxSeconds: 2 });
    expect(error.code).toBe('E_FORMAT_UNSUPPORTED');
    expect(error.message).toMatch(/12-bit PCM is not supported/);
    const padded = wavBytes(PCM, 1, 8000, 16, new Uint8Array(8000 * 2 * 3));
    new DataView(padded.buffer).setUint16(34, 12, true);
    expect((await refusals(padded, 'long-12in16.wav', { maxSeconds: 2 })).code).toBe('E_INPUT_TOO_LARGE');
  });
});

describe('the chunk walk stops after MAX_WAV_CHUNKS chunks before the data', () => {
  /** `count` empty JUNK chunks (8 bytes each), as a crafted file repeats them. */
  const emptyChunks = (count: number): Uint8Array => {
    const out = new Uint8Array(8 * count);
    for (let i = 0; i < count; i++) out.set(Buffer.from('JUNK'), 8 * i);
    return out;
  };

  it('is generous: 10,000 chunks before the data (fmt and 9,999 others, 80 KB: past readAudio 64 KB window) are read', async () => {
    expect(MAX_WAV_CHUNKS).toBe(10_000);
    const bytes = wavBytes(PCM, 1, 8000, 16, new Uint8Array(1600), { before: emptyChunks(MAX_WAV_CHUNKS - 1) });
    const path = join(dir, 'many-chunks.wav');
    writeFileSync(path, bytes);
    expect(decodeWav(bytes).samples.length).toBe(800);
    expect((await readAudio(path)).samples.length).toBe(800);
  });

  it('one chunk more is E_INPUT_INVALID naming the file and the bound, from bytes and from a path alike', async () => {
    const bytes = wavBytes(PCM, 1, 8000, 16, new Uint8Array(1600), { before: emptyChunks(MAX_WAV_CHUNKS) });
    const path = join(dir, 'too-many-chunks.wav');
    const error = await refusals(bytes, 'too-many-chunks.wav');
    expect(error.code).toBe('E_INPUT_INVALID');
    expect(error.message).toBe(`${path}: more than 10000 chunks before the data chunk (a WAV file has a few); it is not read further.`);
    expect(error.details).toEqual({ name: path, reason: 'too-many-chunks', maxChunks: 10_000, at: 36 + 8 * (MAX_WAV_CHUNKS - 1) });
  });

  it('10 MB of empty chunks is refused after the bound, not walked to its end', () => {
    const bytes = wavBytes(PCM, 1, 8000, 16, new Uint8Array(1600), { before: emptyChunks(1_250_000) });
    const error = errorOf(() => decodeWav(bytes));
    expect(error.code).toBe('E_INPUT_INVALID');
    expect(error.details.at).toBe(36 + 8 * (MAX_WAV_CHUNKS - 1)); // the 10,001st chunk (after fmt and 9,999 JUNK), 80 KB in
  });
});
