import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { RECOGNIZER_VAD_DEFAULTS, SEQUENCE_VAD_DEFAULTS, StreamingRecognizer, decodeWav, readFsdd } from '../src/index';
import { detectSpeech, speechSegments, type VadOptions } from '../src/vad';

/**
 * One recording's noise floor (detectSpeech, so recognizeSequence) on real speech: FSDD digits
 * (APPLIEDML_DATA_DIR/fsdd; missing data fails with E_DATASET_MISSING, never skips). Every recording of
 * the set segments exactly as without a floor, and ten digits over steady noise at 12 dB SNR are the ten
 * words a stream finds (one segment before).
 */
const RATE = 8000;

describe('one recording held against its noise floor (FSDD digits, 8 kHz)', () => {
  it('the 2,500 recordings segment bit for bit as before (sequence, recogniser and default VAD settings)', async () => {
    let n = 0;
    for (const rec of await readFsdd()) {
      const audio = decodeWav(await readFile(rec.path), { targetSampleRate: RATE }).samples;
      for (const options of [{}, SEQUENCE_VAD_DEFAULTS, RECOGNIZER_VAD_DEFAULTS] as VadOptions[])
        expect(detectSpeech(audio, RATE, options), rec.path).toEqual(speechSegments(audio, RATE, options));
      n++;
    }
    expect(n).toBe(2500);
  });

  it('ten digits 6 s apart over steady white noise at 12 dB SNR: ten segments, each around its digit, as in a stream', async () => {
    const all = await readFsdd();
    const power = (a: Float32Array): number => a.reduce((s, v) => s + v * v, 0) / a.length;
    let seed = 11;
    const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const gauss = (): number => rnd() + rnd() + rnd() + rnd() + rnd() + rnd() - 3;
    for (const speaker of ['jackson', 'george']) {
      const digits: Float32Array[] = [];
      for (let k = 0; k < 10; k++) {
        const rec = all.find((r) => r.speaker === speaker && r.label === String(k) && r.index === k % 5)!;
        digits.push(decodeWav(await readFile(rec.path), { targetSampleRate: RATE }).samples);
      }
      const wordPower = digits.reduce((s, d) => s + power(d), 0) / digits.length;
      // gauss() has variance 1/2.
      const level = Math.sqrt(wordPower / 10 ** (12 / 10) / 0.5);
      const audio = Float32Array.from({ length: 61 * RATE }, () => level * gauss());
      digits.forEach((d, k) => d.forEach((v, i) => (audio[(1 + 6 * k) * RATE + i]! += v)));
      const segments = detectSpeech(audio, RATE, SEQUENCE_VAD_DEFAULTS);
      // Without the floor: one segment from the first digit to the last.
      expect(speechSegments(audio, RATE, SEQUENCE_VAD_DEFAULTS), speaker).toHaveLength(1);
      expect(segments, speaker).toHaveLength(10);
      segments.forEach((s, k) => {
        const start = 1 + 6 * k;
        expect(s.startSeconds, `${speaker} ${k}`).toBeGreaterThan(start - 0.1);
        expect(s.endSeconds, `${speaker} ${k}`).toBeLessThan(start + digits[k]!.length / RATE + 0.1);
      });
      const stream = new StreamingRecognizer(RATE, () => ({ probs: Float32Array.from([0.9, 0.1]), labels: ['a', 'b'] }));
      const words = [];
      for (let i = 0; i < audio.length; i += 128) words.push(...stream.push(audio.subarray(i, i + 128)));
      words.push(...stream.flush());
      expect(words.map((w) => Math.round(w.startSeconds))).toEqual(segments.map((s) => Math.round(s.startSeconds)));
    }
  });
});
