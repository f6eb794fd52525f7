// RF2 (session 30): wordsIn counted every speech segment, so a single word with a breath-like noise burst
// before it was warned as "several words" (248 of 250 FSDD digits with the burst 12 dB under the word, 155
// at 30 dB under). A segment now counts only with a voice in it; a string of digits is still several words.
import { decodeWav } from '@appliedml/speech';
import { describe, expect, it } from 'vitest';
import { spokenWav } from './test-model';
import { wordsIn } from './words';

const RATE = 8000;
const word = (w: string): Float32Array => decodeWav(spokenWav(w), { targetSampleRate: RATE }).samples;
const rms = (x: Float32Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
const silence = (seconds: number): Float32Array => new Float32Array(Math.round(seconds * RATE));

/** A breath: 300 ms of low-passed noise under a smooth envelope, `db` under the word's level (a fixed seed). */
function breath(level: number, db: number): Float32Array {
  let seed = 7;
  const uniform = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out = silence(0.3);
  let low = 0;
  for (let i = 0; i < out.length; i++) {
    const gauss = Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
    low = 0.7 * low + 0.3 * gauss;
    out[i] = level * 10 ** (db / 20) * Math.SQRT2 * 2.4 * Math.sin((Math.PI * i) / out.length) * low;
  }
  return out;
}

const join = (...parts: Float32Array[]): Float32Array => Float32Array.from(parts.flatMap((p) => [...p]));

describe('wordsIn', () => {
  it('a breath before a single word is not a second word', () => {
    for (const w of ['three', 'six', 'nine']) {
      const one = word(w);
      expect(wordsIn(join(silence(0.5), one, silence(0.3)), RATE), w).toBe(1);
      for (const db of [-12, -24, -30])
        for (const gap of [0.15, 0.4])
          expect(wordsIn(join(silence(0.3), breath(rms(one), db), silence(gap), one, silence(0.3)), RATE), `${w} ${db} dB ${gap} s`).toBe(
            1,
          );
    }
  });

  it('three digits joined with pauses are still several words, with a breath before them too', () => {
    const [a, b, c] = ['one', 'five', 'eight'].map(word) as [Float32Array, Float32Array, Float32Array];
    const gap = silence(0.3);
    expect(wordsIn(join(gap, a, gap, b, gap, c, gap), RATE)).toBe(3);
    expect(wordsIn(join(gap, breath(rms(a), -12), silence(0.2), a, gap, b, gap, c, gap), RATE)).toBe(3);
  });
});
