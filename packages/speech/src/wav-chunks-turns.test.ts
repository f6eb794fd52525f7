import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { longestPause } from './test-helpers';
import { encodeWav, readAudioChunks, resample } from './wav';

// readAudioChunks resampling 8 kHz audio to 16 kHz held the event loop for a whole 1 MB block's
// resampling (65 s of audio: about 0.2 s of CPU, 0.9 s of wall time on a busy machine), its file reads
// being its only waits: a server reading a long call stalled its other requests that long, block after
// block. It lets the loop run every ~10 ms of resampling now, with the same samples.

const dir = mkdtempSync(join(tmpdir(), 'speech-chunks-turns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readAudioChunks resampling a long file', () => {
  it('gives the event loop turns, and the samples of one resample of the whole', { timeout: 120_000 }, async () => {
    const seconds = 200; // three 1 MB blocks of 8 kHz 16-bit
    const samples = Float32Array.from({ length: 8000 * seconds }, (_, i) => 0.3 * Math.sin(i / 5) + 0.1 * Math.sin(i * 1.7));
    const path = join(dir, 'call.wav');
    const bytes = encodeWav(samples, 8000);
    writeFileSync(path, bytes);
    const {
      result: chunks,
      wallMs,
      cpuMs,
    } = await longestPause(async () => {
      const out: Float32Array[] = [];
      for await (const chunk of await readAudioChunks(path, { targetSampleRate: 16_000 })) out.push(chunk.slice());
      return out;
    });
    // Bit for bit what one resample of the file's samples (as the WAV holds them, 16-bit) gives.
    const stored = Float32Array.from(
      new Int16Array(bytes.buffer.slice(bytes.byteOffset + 44, bytes.byteOffset + bytes.length)),
      (v) => v / 32768,
    );
    const whole = resample(stored, 8000, 16_000);
    const read = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
    chunks.reduce((at, c) => (read.set(c, at), at + c.length), 0);
    expect(read.length).toBe(whole.length);
    expect(Buffer.from(read.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
    // A block's resampling in one stretch was ~200 ms of CPU (more with a busy machine's slower cores); a
    // stretch is ~10 ms now, plus whatever garbage collection adds. CPU time, as other processes on 2
    // busy cores stretch wall time whatever this code does. Generous bound.
    expect(cpuMs, `longest pause ${wallMs.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU`).toBeLessThan(100);
  });
});
