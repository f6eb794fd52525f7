import { createRng, initEngine, tf } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { AUGMENT_PAD_DEFAULTS, padAround } from './augment';
import { SpeechRecognizer } from './speech-recognizer';
import { SYNTH_RATE, TINY_CONFIG, errorOf, synthSet } from './test-helpers';

/** A "word": a 440 Hz tone of `n` samples at amplitude 0.3 (power -13.5 dBFS). */
function tone(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / 8000));
}
const powerDb = (x: Float32Array): number => 10 * Math.log10(x.reduce((a, v) => a + v * v, 0) / x.length);

describe('padAround (augment.pad)', () => {
  it('puts background of 0 to maxMs on each side and leaves the word itself untouched', () => {
    const word = tone(2000);
    const rng = createRng(3);
    const most = 0.3 * 8000;
    const befores = new Set<number>();
    for (let k = 0; k < 40; k++) {
      const out = padAround(word, 8000, { probability: 1, maxMs: 300, snrDb: [30, 30] }, rng);
      const extra = out.length - word.length;
      expect(extra).toBeGreaterThanOrEqual(0);
      expect(extra).toBeLessThanOrEqual(2 * most);
      // Where the word sits: the samples equal to it, at some offset `before` ≤ maxMs.
      let before = -1;
      for (let b = 0; b <= Math.min(extra, most); b++)
        if (out[b + 1] === word[1] && out[b + 777] === word[777] && out[b + 1999] === word[1999]) before = b;
      expect(before).toBeGreaterThanOrEqual(0);
      expect(Array.from(out.subarray(before, before + word.length))).toEqual(Array.from(word));
      befores.add(before);
      // The background is 30 dB below the word's power (white noise, measured over at least 200 samples).
      const background = Float32Array.from([...out.subarray(0, before), ...out.subarray(before + word.length)]);
      if (background.length >= 200) expect(Math.abs(powerDb(word) - powerDb(background) - 30)).toBeLessThan(1.5);
    }
    // The lengths are drawn, not fixed.
    expect(befores.size).toBeGreaterThan(20);
  });

  it('is digital silence far below the word, and the word itself (no draws used) when the copy is not padded', () => {
    const word = tone(1000);
    const out = padAround(word, 8000, { probability: 1, maxMs: 200, snrDb: [110, 120] }, createRng(5));
    expect(out.length).toBeGreaterThan(word.length);
    expect(out.filter((v, i) => v !== 0 && (i < 5 || i >= out.length - 5)).length).toBe(0);
    const rng = createRng(9);
    const untouched = padAround(word, 8000, { probability: 0, maxMs: 200, snrDb: [20, 20] }, rng);
    expect(untouched).toBe(word);
    // Probability p pads about p of the copies.
    let padded = 0;
    for (let k = 0; k < 400; k++) if (padAround(word, 8000, { ...AUGMENT_PAD_DEFAULTS, probability: 0.25 }, rng) !== word) padded++;
    expect(padded).toBeGreaterThan(70);
    expect(padded).toBeLessThan(130);
  });
});

describe('augment.pad option', () => {
  it('refuses values that are not a pad, with E_INPUT_INVALID naming the field', () => {
    const cases: Array<[unknown, string]> = [
      ['yes', 'augment.pad'],
      [[0.5, 300], 'augment.pad'],
      [true, 'augment.pad'],
      [{ probability: 1.5 }, 'augment.pad.probability'],
      [{ probability: -0.1 }, 'augment.pad.probability'],
      [{ probability: '0.5' }, 'augment.pad.probability'],
      [{ probability: Number.NaN }, 'augment.pad.probability'],
      [{ maxMs: 0 }, 'augment.pad.maxMs'],
      [{ maxMs: -10 }, 'augment.pad.maxMs'],
      [{ maxMs: 60_000 }, 'augment.pad.maxMs'],
      [{ snrDb: [40, 10] }, 'augment.pad.snrDb'],
      [{ snrDb: [10, 200] }, 'augment.pad.snrDb'],
      [{ snrDb: 30 }, 'augment.pad.snrDb'],
      [{ snrDb: null }, 'augment.pad.snrDb'],
      [{ maxMS: 300 }, 'augment.pad'],
    ];
    for (const [pad, field] of cases) {
      const e = errorOf(() => SpeechRecognizer.create({ augment: { pad: pad as never } }));
      expect(e.code, JSON.stringify(pad)).toBe('E_INPUT_INVALID');
      expect(e.details?.field, JSON.stringify(pad)).toBe(field);
    }
    // null (none), {} (the defaults) and a partial pad are taken.
    for (const pad of [null, {}, { probability: 1 }, { maxMs: 150, snrDb: [10, 60] as [number, number] }])
      SpeechRecognizer.create({ augment: { pad } }).dispose();
  });

  it('trains with padded copies (the VAD trims them as it trims input) without leaking tensors', async () => {
    const model = SpeechRecognizer.create({ ...TINY_CONFIG, augment: { copies: 2, pad: { probability: 1, snrDb: [20, 40] } } });
    await initEngine();
    const before = tf.memory().numTensors;
    const report = await model.train(synthSet(3), { parallel: false });
    expect(report.trainingExamples).toBe(27);
    const trained = tf.memory().numTensors;
    const r = await model.recognize(synthSet(1, 50)[0]!.audio, { sampleRate: SYNTH_RATE });
    expect(Object.keys(r.scores).sort()).toEqual(['down', 'up', 'warble']);
    expect(tf.memory().numTensors).toBe(trained);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
