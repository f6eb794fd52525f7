// WAV bytes made in another realm (a vm context, an iframe) were refused, `instanceof Uint8Array` being
// false there, with a message that contradicted itself: "WAV input must be bytes (a Uint8Array or
// Buffer), got an Uint8Array of … values: a WAV file's bytes go to decodeWav". They are taken now, like a
// Float32Array from another realm; and a type name starting with "U" gets "a" ("a Uint8Array").
import { runInNewContext } from 'node:vm';
import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { describeSamples } from './features';
import { decodeAudioSync, decodeWav, encodeWav, parseWavHeader, readAudio } from './wav';

const RATE = 16_000;
const tone = Float32Array.from({ length: 1600 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / RATE));
const wav = encodeWav(tone, RATE);
/** The same bytes in a Uint8Array of another realm, at an offset in its buffer (a subarray). */
const foreign = runInNewContext('(a) => { const b = new Uint8Array(a.length + 3); b.set(a, 3); return b.subarray(3); }')(
  Array.from(wav),
) as Uint8Array;

describe('WAV bytes from another realm', () => {
  it('decodeWav, parseWavHeader, decodeAudioSync and readAudio take them, decoding what the same bytes of this realm give', async () => {
    expect(foreign instanceof Uint8Array).toBe(false);
    const expected = decodeWav(wav);
    expect(parseWavHeader(foreign)).toEqual(parseWavHeader(wav));
    expect(decodeWav(foreign)).toEqual(expected);
    expect(decodeAudioSync(foreign)).toEqual(expected);
    expect(await readAudio(foreign)).toEqual(expected);
    expect(decodeWav(foreign, { targetSampleRate: 8000 }).samples).toHaveLength(800);
  });

  it('what is not bytes is still refused, named with the right article', () => {
    const refusal = (fn: () => unknown): AppliedMLError => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(AppliedMLError);
        return error as AppliedMLError;
      }
      throw new Error('expected a refusal');
    };
    const u16 = refusal(() => decodeWav(new Uint16Array(8) as never));
    expect(u16.code).toBe('E_INPUT_INVALID');
    expect(u16.message).toContain('got a Uint16Array of 8 values');
    expect(refusal(() => decodeWav(runInNewContext('new Uint16Array(8)') as never)).message).toContain('got a Uint16Array of 8 values');
    // A plain object tagged as a Uint8Array is not taken for one.
    const fake = { [Symbol.toStringTag]: 'Uint8Array', length: 4, BYTES_PER_ELEMENT: 1 };
    expect(refusal(() => decodeWav(fake as never)).code).toBe('E_INPUT_INVALID');
    const sync = refusal(() => decodeAudioSync(new Int16Array(4) as never));
    expect(sync.message).toContain('WAV bytes (a Uint8Array or Buffer)');
    expect(sync.message).toContain('got an Int16Array of 4 values');
    expect(describeSamples(new Uint8Array(3))).toMatch(/^a Uint8Array of 3 values/);
    expect(describeSamples(new Int16Array(3))).toMatch(/^an Int16Array of 3 values/);
  });
});
