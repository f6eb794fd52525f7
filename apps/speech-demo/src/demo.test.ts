import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { SpeechRecognizer, encodeWav } from '@appliedml/speech';
import { loadSynthetic } from './data';
import { featurePictures, matrixPng } from './pictures';
import { confusionSvg, htmlReport } from './report';
import { DIGIT_WORDS, speak } from './synth';

describe('offline default: synthetic digits from mespeak', () => {
  it('speaks digits as WAV and a small model learns them for unseen voices', async () => {
    const wav = speak('seven', { voice: 'en/en-us', variant: 'f2', pitch: 50, speed: 170 });
    expect(Buffer.from(wav.subarray(0, 4)).toString()).toBe('RIFF');
    // 4 unseen voices (40 words; 2 voices and 20 words until 2026-12-01, one word a 5-point step).
    const data = loadSynthetic(6, 4, 1);
    expect(data.note).toMatch(/SYNTHETIC/);
    expect(data.train).toHaveLength(60);
    expect(data.test).toHaveLength(40);
    const model = SpeechRecognizer.create({
      cnn: { filters: [32, 48], dense: 32 },
      augment: { copies: 1, timeStretch: null },
      frontEnds: [{}],
      ensemble: 1,
      epochs: 30,
      seed: 1,
    });
    await model.train(data.train, { progress: false });
    const m = await model.evaluate(data.test);
    expect(m.labels).toEqual(DIGIT_WORDS.map((_, i) => String(i)));
    console.log(`synthetic digits, unseen voices: ${(m.accuracy * 100).toFixed(1)} %`);
    // Measured 87.5 % (seeded, chance 10 %; the default, without augment.pad). Over seeds 1-9 this model
    // scored 67.5-90 % on these 40 words without augment.pad (mean 80.6 %; 4 of 9 seeds under 80 %) and
    // 65-82.5 % with it (mean 76.4 %), measured before synthDigits started on a fresh mespeak instance (the
    // word spoken above changed 11 of the 100 words then, see synth.test). The old floor of 80 % on 20 words
    // (2 voices) held for seed 1 only; this one is under every seed's figure, with or without the pad
    // (docs/benchmarks/speech.md, "Leave one speaker out").
    expect(m.accuracy).toBeGreaterThanOrEqual(0.6);
    model.dispose();
  });
});

describe('pictures and report', () => {
  it('renders an MFCC matrix as a PNG', async () => {
    const png = await matrixPng(
      Float32Array.from({ length: 20 * 13 }, (_, i) => Math.sin(i)),
      20,
      13,
    );
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const tone = Float32Array.from({ length: 4000 }, (_, i) => 0.3 * Math.sin(i * 0.2));
    const pics = await featurePictures(encodeWav(tone, 8000));
    expect(pics.mfcc.length).toBeGreaterThan(100);
    expect(pics.logMel.length).toBeGreaterThan(100);
  });

  it('colours each MFCC coefficient on its own scale, so c0 does not flatten the others (review R1-6)', async () => {
    /** The distinct colours of pixel row `y` of a PNG (3 channels). */
    const rowColours = async (png: Buffer, y: number): Promise<Set<string>> => {
      const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const out = new Set<string>();
      for (let x = 0; x < info.width; x++) {
        const at = (y * info.width + x) * info.channels;
        out.add(`${data[at]},${data[at + 1]},${data[at + 2]}`);
      }
      return out;
    };
    const darkest = '68,1,84';
    const brightest = '253,231,37';
    // A word-like tone burst: c0 (energy) spans tens of units, the higher coefficients a few.
    const burst = Float32Array.from(
      { length: 8000 },
      (_, i) => (i > 2000 && i < 6000 ? 0.3 : 0.001) * Math.sin(i * 0.3 + Math.sin(i * 0.01)),
    );
    const { mfcc: png } = await featurePictures(burst, 8000);
    // 13 rows of 8 pixels, c12 at the top, c0 at the bottom: each spans the whole colour map.
    for (const y of [4, 6 * 8 + 4, 12 * 8 + 4]) {
      const colours = await rowColours(png, y);
      expect(colours.has(darkest) && colours.has(brightest), `pixel row ${y}`).toBe(true);
    }
    // matrixPng's default stays one scale for the whole matrix (the log-mel picture).
    const flatTop = await matrixPng(
      Float32Array.from({ length: 10 * 2 }, (_, i) => (i % 2 === 0 ? i * 100 : i % 4)),
      10,
      2,
      { w: 1, h: 1 },
    );
    expect((await rowColours(flatTop, 0)).has(brightest)).toBe(false);
  });

  it('draws a WAV file given by its path as the same file given as bytes (review R1-5: the path was read as WAV bytes)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'speech-pictures-'));
    try {
      const wav = encodeWav(
        Float32Array.from({ length: 4000 }, (_, i) => 0.3 * Math.sin(i * 0.2)),
        16000,
      );
      const path = join(dir, 'tone.wav');
      await writeFile(path, wav);
      const fromPath = await featurePictures(path, 8000);
      const fromBytes = await featurePictures(wav, 8000);
      expect(fromPath.mfcc.equals(fromBytes.mfcc)).toBe(true);
      expect(fromPath.logMel.equals(fromBytes.logMel)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('draws the confusion matrix and escapes labels in the report', () => {
    const metrics = {
      labels: ['0', '<1>'],
      confusion: [
        [9, 1],
        [0, 10],
      ],
      accuracy: 0.95,
      macroF1: 0.95,
      perClass: {},
      n: 20,
    };
    const svg = confusionSvg(metrics);
    expect(svg.match(/<rect/g)).toHaveLength(4);
    expect(svg).toContain('&lt;1&gt;');
    const html = htmlReport({ title: 'T', note: 'SYNTHETIC', model: 'cnn', trainSeconds: 1, metrics, reference: [], pictures: [] });
    expect(html).toContain('SYNTHETIC');
    expect(html).toContain('<svg');
  });
});

// The HTTP service's tests are in service.test.ts and browser.test.ts.
