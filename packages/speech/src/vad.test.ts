import { describe, expect, it } from 'vitest';
import { detectSpeech, trimSilence } from './vad';

const RATE = 8000;

/** Silence (faint noise) with tone bursts ("words") at the given [start, end) seconds. */
function bursts(seconds: number, words: Array<[number, number]>): Float32Array {
  let seed = 7;
  const noise = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.002;
  const x = Float32Array.from({ length: Math.round(seconds * RATE) }, noise);
  for (const [s, e] of words) {
    for (let i = Math.round(s * RATE); i < Math.round(e * RATE); i++)
      x[i] = (x[i] as number) + 0.3 * Math.sin((2 * Math.PI * 220 * i) / RATE) * Math.sin((Math.PI * (i - s * RATE)) / ((e - s) * RATE));
  }
  return x;
}

describe('voice activity detection', () => {
  it('finds each word with its timing', () => {
    const words: Array<[number, number]> = [
      [0.3, 0.7],
      [1.1, 1.5],
      [2.0, 2.3],
    ];
    const segments = detectSpeech(bursts(2.8, words), RATE);
    expect(segments).toHaveLength(3);
    segments.forEach((s, i) => {
      const [a, b] = words[i] as [number, number];
      expect(s.startSeconds).toBeGreaterThan(a - 0.1);
      expect(s.startSeconds).toBeLessThan(a + 0.1);
      expect(s.endSeconds).toBeGreaterThan(b - 0.1);
      expect(s.endSeconds).toBeLessThan(b + 0.1);
    });
  });

  it('trims leading and trailing silence', () => {
    const t = trimSilence(bursts(1.5, [[0.5, 0.9]]), RATE);
    expect(t.speech).toBe(true);
    expect(t.start / RATE).toBeGreaterThan(0.4);
    expect(t.end / RATE).toBeLessThan(1.0);
  });

  it('keeps audio already trimmed to the word', () => {
    const word = bursts(0.4, [[0, 0.4]]);
    const t = trimSilence(word, RATE);
    expect(t.speech).toBe(true);
    expect(t.end - t.start).toBeGreaterThan(0.3 * RATE);
  });

  it('silence only → no segments, speech: false (documented behaviour)', () => {
    expect(detectSpeech(new Float32Array(RATE), RATE)).toEqual([]);
    expect(detectSpeech(bursts(1, []), RATE)).toEqual([]);
    expect(trimSilence(new Float32Array(RATE), RATE).speech).toBe(false);
    expect(detectSpeech(new Float32Array(0), RATE)).toEqual([]);
  });
});
