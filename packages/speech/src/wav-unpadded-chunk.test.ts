import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wavBytes } from './test-helpers';
import { decodeWav, readAudio } from './wav';

// A chunk of odd size is followed by a pad byte; some writers leave it out. The walk skipped a byte
// too many and said "no data chunk (truncated file?)" of a file whose data chunk was one byte earlier.
// It goes on from the unpadded position when no chunk starts at the padded one but one starts there.

/** A chunk `id` of `body.length` bytes, with or without its pad byte. */
function chunk(id: string, body: Uint8Array, pad: boolean): Uint8Array {
  const out = new Uint8Array(8 + body.length + (pad && body.length % 2 ? 1 : 0));
  out.set(Buffer.from(id), 0);
  new DataView(out.buffer).setUint32(4, body.length, true);
  out.set(body, 8);
  return out;
}

describe('an odd-sized chunk without its pad byte', () => {
  it('is skipped to the chunk that follows it', async () => {
    const pcm = new Int16Array(800).map((_, i) => Math.round(8000 * Math.sin(i / 7)));
    const data = new Uint8Array(pcm.buffer);
    const plain = decodeWav(wavBytes(1, 1, 8000, 16, data)).samples;
    for (const pad of [true, false]) {
      const wav = wavBytes(1, 1, 8000, 16, data, { before: chunk('odd ', Uint8Array.from([1, 2, 3]), pad) });
      expect(Array.from(decodeWav(wav).samples), `pad ${pad}`).toEqual(Array.from(plain));
      const dir = await mkdtemp(join(tmpdir(), 'speech-unpadded-'));
      try {
        const path = join(dir, 'a.wav');
        await writeFile(path, wav);
        expect(Array.from((await readAudio(path)).samples)).toEqual(Array.from(plain));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });
});
