import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rejectionOf, wavBytes } from './test-helpers';
import { decodeWav, readAudioChunks } from './wav';

// PCM of 12 bits (or 20) in 16-bit (24-bit) containers, as the WAV spec stores it (left-justified, the
// low bits zero), was refused: "12-bit PCM is not supported". Read as its container it is the same value.

/** `wav` with its fmt chunk's bits per sample set to `bits` (the container, block alignment, kept). */
function validBits(wav: Uint8Array, bits: number): Uint8Array {
  const out = Uint8Array.from(wav);
  new DataView(out.buffer).setUint16(34, bits, true);
  return out;
}

describe('PCM with fewer valid bits than its container', () => {
  it('12 bits in 16, 20 bits in 24 (stereo) read as their container', async () => {
    const pcm = new Int16Array(400).map((_, i) => ((i * 37) % 2048) * 16 - 16_384); // low 4 bits zero
    const wav16 = wavBytes(1, 1, 8000, 16, new Uint8Array(pcm.buffer));
    const twelve = decodeWav(validBits(wav16, 12));
    expect(Array.from(twelve.samples)).toEqual(Array.from(decodeWav(wav16).samples));
    expect(twelve.source).toMatchObject({ bitsPerSample: 16, encoding: 'pcm' });
    const bytes24 = new Uint8Array(600).map((_, i) => (i % 3 === 0 ? (i * 16) & 0xf0 : (i * 7) & 0xff)); // low 4 bits zero
    const wav24 = wavBytes(1, 2, 8000, 24, bytes24);
    expect(Array.from(decodeWav(validBits(wav24, 20)).samples)).toEqual(Array.from(decodeWav(wav24).samples));
    // From disk in chunks too.
    const dir = await mkdtemp(join(tmpdir(), 'speech-container-bits-'));
    try {
      const path = join(dir, 'twelve.wav');
      await writeFile(path, validBits(wav16, 12));
      const parts: number[] = [];
      for await (const chunk of await readAudioChunks(path, { chunkSeconds: 0.01 })) parts.push(...chunk);
      expect(parts).toEqual(Array.from(twelve.samples));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('bits that do not fit the block alignment are still refused', async () => {
    const wav = wavBytes(1, 1, 8000, 8, new Uint8Array(100));
    const e = await rejectionOf(() => decodeWav(validBits(wav, 12)));
    expect(e.code).toBe('E_FORMAT_UNSUPPORTED');
    expect(e.message).toContain('12-bit PCM is not supported');
  });
});
