// WAV files at high rates (384, 500, 768 kHz) are read as docs/speech.md says: any rate from 1 kHz to
// 768 kHz, one range for a file and every rate option; audio at the rate asked for is not resampled; a
// refusal names the file, never an internal parameter (a 500 kHz file was refused as "fromRate must be
// a sample rate from 1000 to 384000 Hz"). readAudio(path) checks the path through the engine's
// statRegularFile (the words every SDK uses) and refuses a file whose header says it is too long before
// reading the rest of it, at any rate and frame size.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, constants, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { errorOf, rejectionOf, wavBytes } from './test-helpers';
import { detectSpeech } from './vad';
import { StreamingResampler, decodeAudioSync, decodeWav, encodeWav, readAudio, resample } from './wav';

const dir = mkdtempSync(join(tmpdir(), 'speech-wav-rates-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tone = (n: number, f: number, rate: number, amp = 0.5): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * f * i) / rate));

/** 16-bit mono PCM of `samples` at `rate`. */
function pcm16(samples: Float32Array, rate: number): { wav: Uint8Array; ints: Int16Array } {
  const ints = Int16Array.from(samples, (s) => Math.round(s * 32767));
  return { wav: wavBytes(1, 1, rate, 16, new Uint8Array(ints.buffer)), ints };
}

/** Largest difference from the reference tone, away from the edges the filter sees past. */
function maxError(got: Float32Array, want: Float32Array, edge: number): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = edge; i < got.length - edge; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  return worst;
}

describe('WAV files from 1 kHz to 768 kHz', () => {
  for (const rate of [384_000, 500_000, 768_000]) {
    it(`a ${rate / 1000} kHz file decodes at its own rate, unresampled, and resamples to 8 and 16 kHz`, async () => {
      const { wav, ints } = pcm16(tone(rate / 10, 1000, rate), rate);
      const own = decodeWav(wav, { name: 'tone.wav' });
      expect(own.sampleRate).toBe(rate);
      expect(own.source.sampleRate).toBe(rate);
      expect(own.durationSeconds).toBeCloseTo(0.1, 9);
      // Exactly the file's samples: nothing was filtered.
      expect(Array.from(own.samples)).toEqual(Array.from(ints, (v) => Math.fround(v / 32768)));
      for (const target of [8000, 16_000]) {
        const d = decodeWav(wav, { targetSampleRate: target, name: 'tone.wav' });
        expect(d.sampleRate).toBe(target);
        expect(maxError(d.samples, tone(target / 10, 1000, target), target / 100)).toBeLessThan(1e-3);
      }
      const path = join(dir, `tone-${rate}.wav`);
      writeFileSync(path, wav);
      const read = await readAudio(path, { targetSampleRate: 8000 });
      expect(read).toMatchObject({ sampleRate: 8000, source: { sampleRate: rate } });
      expect(read.samples.length).toBe(800);
      expect((await readAudio(path)).samples.length).toBe(rate / 10);
    });
  }

  it('768 kHz → 8 kHz removes what is above the new Nyquist rather than aliasing it', () => {
    for (const f of [5000, 100_000, 383_000]) {
      const out = decodeWav(pcm16(tone(76_800, f, 768_000), 768_000).wav, { targetSampleRate: 8000 }).samples;
      expect(maxError(out, new Float32Array(out.length), 80), `${f} Hz`).toBeLessThan(2e-4);
    }
  });

  it('a file above 768 kHz or below 1 kHz is E_INPUT_INVALID naming the file and the range, not an internal parameter', async () => {
    for (const rate of [768_001, 1_000_000, 999]) {
      const { wav } = pcm16(tone(1000, 100, 8000), rate);
      const error = errorOf(() => decodeWav(wav, { name: 'high.wav', targetSampleRate: 8000 }));
      expect(error.code).toBe('E_INPUT_INVALID');
      expect(error.message).toBe(`high.wav: sample rate ${rate} Hz is out of range (WAV files are read at 1000 to 768000 Hz).`);
      expect(error.details).toMatchObject({ name: 'high.wav', sampleRate: rate });
      const path = join(dir, `rate-${rate}.wav`);
      writeFileSync(path, wav);
      const fromPath = await rejectionOf(() => readAudio(path));
      expect(fromPath.code).toBe('E_INPUT_INVALID');
      expect(fromPath.message.startsWith(`${path}: sample rate ${rate} Hz`)).toBe(true);
    }
  });

  it('every rate option takes the same range: 768 kHz in, 768,001 Hz refused naming the input', () => {
    const samples = tone(7680, 1000, 768_000);
    expect(decodeAudioSync(samples, { sampleRate: 768_000, targetSampleRate: 8000 }).samples.length).toBe(80);
    expect(decodeAudioSync(tone(80, 1000, 8000), { sampleRate: 8000, targetSampleRate: 768_000 }).samples.length).toBe(7680);
    expect(decodeWav(encodeWav(samples, 768_000)).sampleRate).toBe(768_000);
    expect(resample(samples, 768_000, 8000).length).toBe(80);
    const r = new StreamingResampler(768_000, 16_000);
    expect(r.push(samples).length + r.flush().length).toBe(160);
    expect(detectSpeech(samples, 768_000)).toBeInstanceOf(Array);
    const { wav } = pcm16(samples, 768_000);
    const tooHigh = errorOf(() => decodeWav(wav, { name: 'x.wav', targetSampleRate: 768_001 }));
    expect(tooHigh.message).toBe('x.wav: targetSampleRate must be an integer in [1000, 768000] Hz (got 768001).');
    expect(errorOf(() => resample(samples, 768_001, 8000)).message).toMatch(/from 1000 to 768000 Hz/);
    expect(errorOf(() => encodeWav(samples, 768_001)).code).toBe('E_INPUT_INVALID');
  });

  it('a float sample too large for the features is refused naming the file, resampled or not', () => {
    const data = new Float32Array(76_800).fill(0.1);
    data[500] = 2e6;
    const wav = wavBytes(3, 1, 768_000, 32, new Uint8Array(data.buffer));
    for (const options of [{}, { targetSampleRate: 8000 }]) {
      const error = errorOf(() => decodeWav(wav, { ...options, name: 'loud.wav' }));
      expect(error.code).toBe('E_INPUT_INVALID');
      expect(error.message).toMatch(/^loud\.wav has a sample of 2000000 at index 500;/);
      expect(error.details).toMatchObject({ name: 'loud.wav', index: 500 });
    }
  });
});

describe('readAudio(path): the length in the header, at any rate and frame size', () => {
  /** 64-bit float, 8 channels at 768 kHz: 49 MB a second, four times what the old size guess allowed. */
  const denseWav = (seconds: number): Uint8Array => wavBytes(3, 8, 768_000, 64, new Uint8Array(768_000 * seconds * 64));

  it('a file within maxSeconds is read however many bytes a second it holds', async () => {
    const path = join(dir, 'dense-short.wav');
    writeFileSync(path, denseWav(0.2));
    const d = await readAudio(path, { maxSeconds: 0.25 });
    expect(d).toMatchObject({ sampleRate: 768_000, source: { channels: 8, bitsPerSample: 64 } });
    expect(d.durationSeconds).toBeCloseTo(0.2, 9);
  });

  it('a file over maxSeconds is E_INPUT_TOO_LARGE with its true length', async () => {
    const path = join(dir, 'dense-long.wav');
    writeFileSync(path, denseWav(0.3));
    const error = await rejectionOf(() => readAudio(path, { maxSeconds: 0.25 }));
    expect(error.code).toBe('E_INPUT_TOO_LARGE');
    expect(error.details.seconds).toBeCloseTo(0.3, 9);
    expect(error.message).toMatch(/is 0\.3 s long; the limit is 0\.25 s/);
  });

  it('a bad maxSeconds or targetSampleRate is E_INPUT_INVALID before the file is looked at (a negative one read as a file too long)', async () => {
    const path = join(dir, 'dense-options.wav');
    writeFileSync(path, denseWav(0.2));
    for (const options of [{ maxSeconds: -1 }, { maxSeconds: 0 }, { maxSeconds: Number.NaN }, { targetSampleRate: 768_001 }]) {
      const error = await rejectionOf(() => readAudio(path, options));
      expect(error.code, JSON.stringify(options)).toBe('E_INPUT_INVALID');
      expect(error.message.startsWith(`${path}: `)).toBe(true);
    }
  });

  it('a 3 GB file is refused from its header, before it is read (it was E_IO from readFile)', async () => {
    const path = join(dir, 'huge.wav');
    // 8 kHz 16-bit mono whose data runs to the end of the file (a streaming recorder's size), sparse.
    writeFileSync(path, wavBytes(1, 1, 8000, 16, new Uint8Array(0), { dataBytes: 0xffffffff }));
    const fd = openSync(path, 'r+');
    ftruncateSync(fd, 3e9);
    closeSync(fd);
    const error = await rejectionOf(() => readAudio(path));
    expect(error.code).toBe('E_INPUT_TOO_LARGE');
    expect(error.details).toMatchObject({ name: path, maxSeconds: 600 });
    expect(error.details.seconds).toBeCloseTo((3e9 - 44) / 16_000, 3);
  });
});

describe('readAudio(path): the header wherever the data chunk starts (review 3, finding 2)', () => {
  it('a 3 GB file with 70 KB of tags before its data is refused from its header too (it was read whole: E_IO, past 2 GiB)', async () => {
    const path = join(dir, 'huge-tagged.wav');
    const list = new Uint8Array(8 + 70_000).fill(0x61);
    list.set(Buffer.from('LIST'), 0);
    new DataView(list.buffer).setUint32(4, 70_000, true);
    writeFileSync(path, wavBytes(1, 1, 8000, 16, new Uint8Array(0), { dataBytes: 0xffffffff, before: list }));
    const fd = openSync(path, 'r+');
    ftruncateSync(fd, 3e9);
    closeSync(fd);
    const error = await rejectionOf(() => readAudio(path));
    expect(error.code).toBe('E_INPUT_TOO_LARGE');
    expect(error.details).toMatchObject({ name: path, maxSeconds: 600 });
    expect(error.details.seconds).toBeCloseTo((3e9 - 44 - 70_008) / 16_000, 3);
  });
});

describe('readAudio(path) refuses what is not a regular file in the engine words', () => {
  it('a missing file and a directory: E_IO naming the audio file, with details.file and reason', async () => {
    const missing = join(dir, 'nope.wav');
    const gone = await rejectionOf(() => readAudio(missing));
    expect(gone).toMatchObject({ code: 'E_IO', details: { file: missing, reason: 'ENOENT' } });
    expect(gone.message).toBe(`Cannot read audio file ${missing}: no such file.`);
    const folder = join(dir, 'folder.wav');
    mkdirSync(folder);
    const onFolder = await rejectionOf(() => readAudio(folder));
    expect(onFolder).toMatchObject({ code: 'E_IO', details: { file: folder, reason: 'not-a-regular-file' } });
    expect(onFolder.message).toBe(`Cannot read audio file ${folder}: it is a directory, not a regular file.`);
    expect((await rejectionOf(() => readAudio(''))).code).toBe('E_INPUT_INVALID');
  });

  it.runIf(process.platform !== 'win32')('a FIFO: E_IO at once, never opened', async () => {
    const fifo = join(dir, 'pipe.wav');
    execFileSync('mkfifo', [fifo]);
    // Should a reader open it, a writer comes after 5 s so that the test fails rather than hangs.
    const timer = setTimeout(() => closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)), 5000);
    try {
      const error = await rejectionOf(() => readAudio(fifo));
      expect(error).toMatchObject({ code: 'E_IO', details: { file: fifo, reason: 'not-a-regular-file' } });
      expect(error.message).toBe(`Cannot read audio file ${fifo}: it is a FIFO (named pipe), not a regular file.`);
    } finally {
      clearTimeout(timer);
    }
  });
});
