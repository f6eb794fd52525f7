import { readFileSync } from 'node:fs';
import { createRng, initEngine, tf } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { SpeechRecognizer, decodeWav, readFsdd, type FsddRecording, type SpeechExample, type SpeechRecognizerConfig } from '../src/index';

/**
 * FSDD files are cut tight to the word; recognition keeps the VAD's 150 ms around the word of a recording
 * with silence or a quiet background around it. `augment.pad` trains on copies with such background
 * (trimmed by the same VAD). Small fixed subset (APPLIEDML_DATA_DIR/fsdd; missing data fails with
 * E_DATASET_MISSING): 4 speakers × 10 digits × recordings 5–20 to train, their official test recordings
 * (0–4) to score, each with 0.5 s of digital silence and of -55 dBFS white noise on both sides
 * (docs/benchmarks/speech.md, "Background around the word").
 */
const SPEAKERS = ['george', 'jackson', 'nicolas', 'yweweler'];
const CONFIG: SpeechRecognizerConfig = {
  cnn: { filters: [32, 48, 64], dense: 32 },
  frontEnds: [{}],
  ensemble: 1,
  epochs: 8,
  seed: 7,
};

function around(held: FsddRecording[], level: 'silence' | 'noise'): SpeechExample[] {
  const rng = createRng(11);
  const side = 4000;
  const sigma = level === 'noise' ? 10 ** (-55 / 20) : 0;
  return held.map((r) => {
    const w = decodeWav(readFileSync(r.path)).samples;
    const x = new Float32Array(w.length + 2 * side);
    if (sigma > 0)
      for (let i = 0; i < x.length; i++)
        x[i] = sigma * Math.sqrt(-2 * Math.log(Math.max(1e-12, rng.next()))) * Math.cos(2 * Math.PI * rng.next());
    x.set(w, side);
    return { audio: x, label: r.label, sampleRate: 8000 };
  });
}

describe('FSDD words with background around them (augment.pad)', () => {
  it('scores padded words above the floor when trained with padded copies', async () => {
    await initEngine();
    const all = await readFsdd();
    const train = all.filter((r) => SPEAKERS.includes(r.speaker) && r.index >= 5 && r.index < 21);
    const held = all.filter((r) => SPEAKERS.includes(r.speaker) && r.index < 5);
    const model = SpeechRecognizer.create({ ...CONFIG, augment: { copies: 1, timeStretch: null, pad: { probability: 1 } } });
    const before = tf.memory().numTensors;
    await model.train(
      train.map((r) => ({ audio: r.path, label: r.label })),
      { progress: false },
    );
    const trained = tf.memory().numTensors;
    const plain = (await model.evaluate(held.map((r) => ({ audio: r.path, label: r.label })))).accuracy;
    const silence = (await model.evaluate(around(held, 'silence'))).accuracy;
    const noise = (await model.evaluate(around(held, 'noise'))).accuracy;
    expect(tf.memory().numTensors).toBe(trained);
    console.log(
      `FSDD subset with augment.pad: plain ${(plain * 100).toFixed(1)} %, 0.5 s silence around ${(silence * 100).toFixed(1)} %, -55 dBFS noise around ${(noise * 100).toFixed(1)} %`,
    );
    // Measured (seed 7): plain 90.0 %, silence 86.5 %, noise 86.0 %. Without augment.pad the same subset
    // scored 86.5 / 78.5 / 77.5 % (seeds 8 and 9: 96.0 / 82.5 / 85.5 and 84.5 / 74.5 / 78.0 %; with the
    // pad 93.0 / 87.0 / 89.5 and 93.0 / 92.5 / 88.5 %): every seed without it fails one of the two below.
    const padded = (silence + noise) / 2;
    expect(plain).toBeGreaterThanOrEqual(0.8);
    expect(padded).toBeGreaterThanOrEqual(0.84);
    // Background around the word costs at most 6 points (without the pad: 8.5, 12 and 8 points).
    expect(plain - padded).toBeLessThanOrEqual(0.06);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
