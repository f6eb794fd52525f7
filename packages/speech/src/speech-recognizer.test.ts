import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { tf } from '@appliedml/engine';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { SpeechRecognizer, type Recognition, type SpeechRecognizerConfig } from './speech-recognizer';
import { SYNTH_RATE, synthSet, synthWord } from './test-helpers';
import { encodeWav } from './wav';

/**
 * A saved manifest as an editor sees it, without its own checksum (`manifestSha256`): what an earlier
 * version or another tool writes, so the loader's checks of the values themselves are what is tested.
 */
function unsealedManifest(text: string): any {
  const manifest = JSON.parse(text) as { manifestSha256?: string };
  delete manifest.manifestSha256;
  return manifest;
}

// Tight trimming (30 ms) for the synthetic words, whose lead-in is only noise.
const small: SpeechRecognizerConfig = {
  cnn: { filters: [16, 24], dense: 16 },
  augment: { copies: 1 },
  vad: { padMs: 30 },
  frontEnds: [{}],
  ensemble: 1,
  epochs: 6,
  batchSize: 16,
  seed: 3,
};

/** Every label's score of every recognition in `b` equals the one in `a` to `digits` decimals. */
function expectSameScores(a: Recognition[], b: Recognition[], digits: number): void {
  expect(b).toHaveLength(a.length);
  a.forEach((r, i) => {
    for (const [label, p] of Object.entries(r.scores)) expect(b[i]?.scores[label]).toBeCloseTo(p, digits);
  });
}

let model: SpeechRecognizer;
beforeAll(async () => {
  model = SpeechRecognizer.create(small);
  await model.train(synthSet(12), { progress: false });
});

const code = async (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => undefined,
    (e: { code?: string }) => e.code,
  );

describe('SpeechRecognizer lifecycle', () => {
  it('learns the synthetic words and reports label, scores, speech span and timing', async () => {
    const metrics = await model.evaluate(synthSet(6, 100));
    expect(metrics.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(metrics.confusion).toHaveLength(3);
    const r = await model.recognize(encodeWav(synthWord('up', 500), SYNTH_RATE));
    expect(r.label).toBe('up');
    expect(Object.keys(r.scores).sort()).toEqual(['down', 'up', 'warble']);
    expect(r.score).toBeCloseTo(Math.max(...Object.values(r.scores)), 6);
    expect(r.speech.endSeconds).toBeGreaterThan(r.speech.startSeconds);
    expect(r.timing.totalMs).toBeGreaterThan(0);
    const batch = await model.predictBatch([synthWord('down', 501), synthWord('warble', 502)], { sampleRate: SYNTH_RATE });
    expect(batch.map((b) => b.label)).toEqual(['down', 'warble']);
  });

  it('a short sound well apart from the word (a click, a cough) is not read as part of it', async () => {
    for (const [label, variant] of [
      ['up', 700],
      ['down', 701],
      ['warble', 702],
    ] as const) {
      const word = synthWord(label, variant);
      const alone = await model.recognize(word, { sampleRate: SYNTH_RATE });
      // Two seconds later, a 120 ms burst of noise at the word's level.
      let peak = 0;
      for (const v of word) peak = Math.max(peak, Math.abs(v));
      let seed = variant;
      const noise = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * peak;
      const withClick = new Float32Array(word.length + 2 * SYNTH_RATE + Math.round(0.12 * SYNTH_RATE));
      withClick.set(word);
      for (let i = word.length + 2 * SYNTH_RATE; i < withClick.length; i++) withClick[i] = noise();
      const r = await model.recognize(withClick, { sampleRate: SYNTH_RATE });
      // The span read is the word's (the VAD's bounds move a little with the rest of the file), not word to click.
      expect(r.speech.endSeconds).toBeLessThan(word.length / SYNTH_RATE + 0.15);
      // A confident answer does not flip (the small test model is unsure of some words either way).
      if (alone.score > 0.5) expect(r.label).toBe(alone.label);
    }
    // A long, quieter hum a second later has more energy in all but less power: the word is still read.
    const word = synthWord('up', 703);
    const humStart = word.length + SYNTH_RATE;
    const withHum = new Float32Array(humStart + 2 * SYNTH_RATE);
    withHum.set(word);
    for (let i = humStart; i < withHum.length; i++)
      withHum[i] = 0.5 * Math.sin((2 * Math.PI * 120 * i) / SYNTH_RATE) * Math.max(...word.slice(0, 2000).map(Math.abs), 0.2);
    const hummed = await model.recognize(withHum, { sampleRate: SYNTH_RATE });
    expect(hummed.speech.endSeconds).toBeLessThan(word.length / SYNTH_RATE + 0.15);
  });

  it('resamples input at another rate (16 kHz WAV)', async () => {
    const r = await model.recognize(encodeWav(synthWord('down', 600, 16000), 16000));
    expect(r.label).toBe('down');
  });

  it('leaves no tensors behind in predict and train', async () => {
    const before = tf.memory().numTensors;
    await model.predict(synthWord('up', 700), { sampleRate: SYNTH_RATE });
    await model.predictBatch([synthWord('up', 701)], { sampleRate: SYNTH_RATE });
    await model.recognizeSequence(synthWord('up', 702), { sampleRate: SYNTH_RATE });
    expect(tf.memory().numTensors).toBe(before);
    const other = SpeechRecognizer.create({ ...small, epochs: 1 });
    await other.train(synthSet(3), { progress: false, validation: synthSet(2, 50) });
    other.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('save → load gives identical predictions; a corrupted bundle is E_BUNDLE_CORRUPT', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'speech-bundle-')), 'model');
    await model.save(dir);
    const loaded = await SpeechRecognizer.load(dir);
    const probe = [synthWord('warble', 800), synthWord('up', 801)];
    const a = await model.predictBatch(probe, { sampleRate: SYNTH_RATE });
    const b = await loaded.predictBatch(probe, { sampleRate: SYNTH_RATE });
    expect(b.map((r) => r.scores)).toEqual(a.map((r) => r.scores));
    expect(loaded.featureConfig).toEqual(model.featureConfig);
    loaded.dispose();
    const manifest = unsealedManifest(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { models: { main: { weights: string } } };
    const weights = join(dir, manifest.models.main.weights);
    const bytes = readFileSync(weights);
    bytes[10] = (bytes[10] as number) ^ 0xff;
    writeFileSync(weights, bytes);
    expect(await code(SpeechRecognizer.load(dir))).toBe('E_BUNDLE_CORRUPT');
    expect(await code(SpeechRecognizer.load(join(dir, 'nope')))).toBe('E_BUNDLE_MISSING');
  });

  it('trains ensemble members in worker threads to the same model as one after another', async () => {
    const before = tf.memory().numTensors;
    const cfg: SpeechRecognizerConfig = { ...small, augment: { copies: 1, timeStretch: [0.8, 1.25] }, ensemble: 2, epochs: 2 };
    const sequential = SpeechRecognizer.create(cfg);
    const rs = await sequential.train(synthSet(6), { progress: false, parallel: false });
    const threaded = SpeechRecognizer.create(cfg);
    const rt = await threaded.train(synthSet(6), { progress: false });
    expect(rs.parallel).toBe(false);
    expect(rt.parallel).toBe(availableParallelism() > 1);
    expect(rt.members?.map((m) => m.epochsRun)).toEqual([2, 2]);
    const probe = [synthWord('warble', 1200), synthWord('up', 1201), synthWord('down', 1202)];
    const ps = await sequential.predictBatch(probe, { sampleRate: SYNTH_RATE });
    const pt = await threaded.predictBatch(probe, { sampleRate: SYNTH_RATE });
    expectSameScores(ps, pt, 5);
    sequential.dispose();
    threaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('fresh copies and an ensemble: seeded, no leaks, averaged members that save and load', async () => {
    const before = tf.memory().numTensors;
    const cfg: SpeechRecognizerConfig = { ...small, augment: { copies: 1, fresh: true }, ensemble: 2, epochs: 3 };
    const a = SpeechRecognizer.create(cfg);
    const report = await a.train(synthSet(6), { progress: false });
    expect(report.trainingExamples).toBe(2 * synthSet(6).length);
    expect(report.members).toHaveLength(2);
    // Fresh copies train the members one after another; the ensemble's time covers all of them.
    expect(report.parallel).toBe(false);
    expect(report.seconds).toBeGreaterThanOrEqual((report.members ?? []).reduce((t, r) => t + r.seconds, 0));
    const b = SpeechRecognizer.create(cfg);
    await b.train(synthSet(6), { progress: false });
    const probe = [synthWord('warble', 1100), synthWord('down', 1101)];
    const pa = await a.predictBatch(probe, { sampleRate: SYNTH_RATE });
    expect((await b.predictBatch(probe, { sampleRate: SYNTH_RATE })).map((r) => r.scores)).toEqual(pa.map((r) => r.scores));
    expect(Object.values(pa[0]?.scores ?? {}).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 4);
    const dir = join(mkdtempSync(join(tmpdir(), 'speech-ensemble-')), 'model');
    await a.save(dir);
    const manifest = unsealedManifest(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { models: Record<string, unknown> };
    expect(Object.keys(manifest.models).sort()).toEqual(['member0', 'member1']);
    const loaded = await SpeechRecognizer.load(dir);
    expect((await loaded.predictBatch(probe, { sampleRate: SYNTH_RATE })).map((r) => r.scores)).toEqual(pa.map((r) => r.scores));

    // The ensemble's scores are the mean of its members' (each loaded alone from the same files).
    const memberScores: Array<Array<Record<string, number>>> = [];
    for (const member of ['member0', 'member1']) {
      const single = join(dirname(dir), member);
      cpSync(dir, single, { recursive: true });
      const m = unsealedManifest(readFileSync(join(single, 'manifest.json'), 'utf8')) as {
        models: Record<string, unknown>;
        config: Record<string, unknown>;
      };
      m.models = { main: m.models[member] };
      m.config.ensemble = 1;
      writeFileSync(join(single, 'manifest.json'), JSON.stringify(m));
      const alone = await SpeechRecognizer.load(single);
      memberScores.push((await alone.predictBatch(probe, { sampleRate: SYNTH_RATE })).map((r) => r.scores));
      alone.dispose();
    }
    expect(memberScores[0]).not.toEqual(memberScores[1]);
    pa.forEach((r, i) => {
      for (const [label, p] of Object.entries(r.scores))
        expect(p).toBeCloseTo(((memberScores[0]![i]![label] as number) + (memberScores[1]![i]![label] as number)) / 2, 5);
    });

    // A bundle that lost a member, or holds an extra network, is corrupt (and frees what it loaded).
    const edits = {
      'member missing': (m: { models: Record<string, unknown> }) => delete m.models.member1,
      'extra network': (m: { models: Record<string, unknown> }) => (m.models.main = m.models.member0),
    };
    for (const [what, edit] of Object.entries(edits)) {
      const broken = join(dirname(dir), what.replace(' ', '-'));
      cpSync(dir, broken, { recursive: true });
      const m = unsealedManifest(readFileSync(join(broken, 'manifest.json'), 'utf8')) as { models: Record<string, unknown> };
      edit(m);
      writeFileSync(join(broken, 'manifest.json'), JSON.stringify(m));
      expect(await code(SpeechRecognizer.load(broken)), what).toBe('E_BUNDLE_CORRUPT');
    }

    // Fresh copies change what the network trains on: the same seed without them gives another model.
    const fixed = SpeechRecognizer.create({ ...cfg, augment: { copies: 1, fresh: false }, ensemble: 1 });
    const freshOne = SpeechRecognizer.create({ ...cfg, ensemble: 1 });
    await fixed.train(synthSet(6), { progress: false });
    await freshOne.train(synthSet(6), { progress: false });
    expect((await freshOne.predictBatch(probe, { sampleRate: SYNTH_RATE })).map((r) => r.scores)).not.toEqual(
      (await fixed.predictBatch(probe, { sampleRate: SYNTH_RATE })).map((r) => r.scores),
    );
    [a, b, loaded, fixed, freshOne].forEach((m) => m.dispose());
    expect(tf.memory().numTensors).toBe(before);
    expect(() => SpeechRecognizer.create({ ensemble: 0 })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => SpeechRecognizer.create({ ensemble: 1.5 })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    for (const augment of [
      { fresh: 'false' as unknown as boolean },
      { copies: 1.5 },
      { copies: -1 },
      { timeStretch: [1.2, 0.9] as [number, number] },
      { timeStretch: [0.1, 1] as [number, number] },
      { timeStretch: ['0.5', '1'] as unknown as [number, number] },
    ])
      expect(() => SpeechRecognizer.create({ augment })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => SpeechRecognizer.create({ augment: { timeStretch: undefined } })).not.toThrow();
  });

  it('a bundle of one front end loads as one front end (not the current defaults) and retrains as such', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'speech-one-front-end-')), 'model');
    await model.save(dir);
    const loaded = await SpeechRecognizer.load(dir);
    expect(loaded.frontEndConfigs).toHaveLength(1);
    const report = await loaded.train(synthSet(3), { progress: false, epochs: 1 });
    expect(report.members).toBeUndefined();
    expect(loaded.frontEndConfigs).toHaveLength(1);
    loaded.dispose();
  });

  it('utterance statistics as extra channels: train in workers, save → load the same, no leaks', async () => {
    const before = tf.memory().numTensors;
    const m = SpeechRecognizer.create({ ...small, features: { utteranceStats: true }, ensemble: 2, epochs: 2 });
    expect(m.featureConfig.dim).toBe(39 + 25);
    await m.train(synthSet(6), { progress: false });
    const probe = [synthWord('up', 1301), synthWord('down', 1302)];
    const a = await m.predictBatch(probe, { sampleRate: SYNTH_RATE });
    const dir = mkdtempSync(join(tmpdir(), 'speech-stats-'));
    await m.save(dir);
    const back = await SpeechRecognizer.load(dir);
    expect(back.featureConfig.utteranceStats).toBe(true);
    const b = await back.predictBatch(probe, { sampleRate: SYNTH_RATE });
    expectSameScores(a, b, 6);
    m.dispose();
    back.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('two front ends: their networks averaged, threaded = sequential, save → load the same, each alone from the bundle', async () => {
    const before = tf.memory().numTensors;
    // The front ends' plumbing, not augmentation: its copies are drawn without background around the word
    // (pad: null, the default; said here as the floor below was checked for both). The accuracy floor below is a sanity check that
    // holds for this seed, not a measure of anything: 2 epochs on 18 words score 33-100 % by seed (seeds 1-9
    // without pad: 42, 67, 92, 33, 58, 100, 50, 67, 92 %, 3 of 9 at the floor; with augment.pad 2 of 9),
    // and the pad's draws reshuffle every copy, so which seed passes changes (seed 3: 92 -> 67 %).
    const cfg: SpeechRecognizerConfig = {
      ...small,
      augment: { copies: 1, pad: null },
      frontEnds: [{}, { cmvn: 'mean', utteranceStats: true }],
      ensemble: 1,
      epochs: 2,
    };
    const sequential = SpeechRecognizer.create(cfg);
    expect(sequential.frontEndConfigs.map((f) => [f.cmvn, f.dim])).toEqual([
      ['mean-variance', 39],
      ['mean', 39 + 25],
    ]);
    expect(sequential.featureConfig.dim).toBe(39);
    const rs = await sequential.train(synthSet(6), { progress: false, parallel: false });
    const threaded = SpeechRecognizer.create(cfg);
    const rt = await threaded.train(synthSet(6), { progress: false });
    expect(rs.members).toHaveLength(2);
    expect(rt.parallel).toBe(availableParallelism() > 1);
    expect(rs.trainingExamples).toBe(2 * synthSet(6).length);
    const probe = [synthWord('warble', 1400), synthWord('up', 1401), synthWord('down', 1402)];
    const ps = await sequential.predictBatch(probe, { sampleRate: SYNTH_RATE });
    expectSameScores(ps, await threaded.predictBatch(probe, { sampleRate: SYNTH_RATE }), 5);
    expect((await sequential.evaluate(synthSet(4, 100))).accuracy).toBeGreaterThanOrEqual(0.75);

    const dir = join(mkdtempSync(join(tmpdir(), 'speech-front-ends-')), 'model');
    await sequential.save(dir);
    const loaded = await SpeechRecognizer.load(dir);
    expect(loaded.frontEndConfigs.map((f) => f.dim)).toEqual([39, 64]);
    expect((await loaded.predictBatch(probe, { sampleRate: SYNTH_RATE })).map((r) => r.scores)).toEqual(ps.map((r) => r.scores));

    // Each network with its own front end, loaded alone from the same files: the model's scores are their mean.
    type Manifest = { models: Record<string, unknown>; config: Record<string, unknown>; preprocessing: Record<string, unknown> };
    const alone: Array<Array<Record<string, number>>> = [];
    expect(Object.keys((unsealedManifest(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest).models).sort()).toEqual([
      'fe0-member0',
      'fe1-member0',
    ]);
    for (const [i, member] of ['fe0-member0', 'fe1-member0'].entries()) {
      const single = join(dirname(dir), member);
      cpSync(dir, single, { recursive: true });
      const m = unsealedManifest(readFileSync(join(single, 'manifest.json'), 'utf8')) as Manifest;
      m.models = { main: m.models[member] };
      m.config.ensemble = 1;
      m.preprocessing.features = (m.preprocessing.frontEnds as unknown[])[i];
      delete m.preprocessing.frontEnds;
      writeFileSync(join(single, 'manifest.json'), JSON.stringify(m));
      const one = await SpeechRecognizer.load(single);
      alone.push((await one.predictBatch(probe, { sampleRate: SYNTH_RATE })).map((r) => r.scores));
      one.dispose();
    }
    ps.forEach((r, i) => {
      for (const [label, p] of Object.entries(r.scores))
        expect(p).toBeCloseTo(((alone[0]![i]![label] as number) + (alone[1]![i]![label] as number)) / 2, 5);
    });
    // The first front end's network is the one the same config trains without the second.
    const plain = SpeechRecognizer.create({ ...cfg, frontEnds: [{}] });
    await plain.train(synthSet(6), { progress: false });
    expect((await plain.predictBatch(probe, { sampleRate: SYNTH_RATE })).map((r) => r.scores)).toEqual(alone[0]);
    plain.dispose();

    // Networks swapped between the front ends, or front ends that do not divide the networks: corrupt.
    const edits = {
      // (Refused because the two front ends' widths differ, 39 and 64.)
      swapped: (m: Manifest) => ([m.models['fe0-member0'], m.models['fe1-member0']] = [m.models['fe1-member0'], m.models['fe0-member0']]),
      'named as one front end': (m: Manifest) => (m.models = { member0: m.models['fe0-member0'], member1: m.models['fe1-member0'] }),
      'three front ends': (m: Manifest) => (m.preprocessing.frontEnds as unknown[]).push((m.preprocessing.frontEnds as unknown[])[0]),
      'one front end listed': (m: Manifest) => (m.preprocessing.frontEnds as unknown[]).pop(),
      // Decoding follows `features`: it must be the first front end.
      'features not the first front end': (m: Manifest) => ((m.preprocessing.features as { sampleRate: number }).sampleRate = 16000),
    };
    for (const [what, edit] of Object.entries(edits)) {
      const broken = join(dirname(dir), what.replaceAll(' ', '-'));
      cpSync(dir, broken, { recursive: true });
      const m = unsealedManifest(readFileSync(join(broken, 'manifest.json'), 'utf8')) as Manifest;
      edit(m);
      writeFileSync(join(broken, 'manifest.json'), JSON.stringify(m));
      expect(await code(SpeechRecognizer.load(broken)), what).toBe('E_BUNDLE_CORRUPT');
    }
    [sequential, threaded, loaded].forEach((m) => m.dispose());
    expect(tf.memory().numTensors).toBe(before);

    for (const frontEnds of [[], [{}, {}, {}, {}, {}], [{}, { hopMs: 12 }], [{}, { sampleRate: 16000 }], [null], [{}, { cmvn: 'median' }]])
      expect(() => SpeechRecognizer.create({ frontEnds: frontEnds as never }), JSON.stringify(frontEnds)).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID' }),
      );
    expect(() => SpeechRecognizer.create({ frontEnds: [{}, {}, {}], ensemble: 6 })).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID' }),
    );
    // The defaults: MFCC as configured and the mean-CMVN view with utterance statistics; log-mel has one front end.
    expect(SpeechRecognizer.create().frontEndConfigs.map((f) => [f.cmvn, f.utteranceStats, f.dim])).toEqual([
      ['mean-variance', false, 39],
      ['mean', true, 64],
    ]);
    expect(SpeechRecognizer.create({ features: { coefficients: 20, cmvn: 'none' } }).frontEndConfigs.map((f) => [f.cmvn, f.dim])).toEqual([
      ['none', 60],
      ['mean', 60 + 39],
    ]);
    expect(SpeechRecognizer.create({ features: { kind: 'log-mel' } }).frontEndConfigs).toHaveLength(1);
    expect(SpeechRecognizer.create({ model: 'gru' }).frontEndConfigs).toHaveLength(1);
    expect(() => SpeechRecognizer.create({ ensemble: 9 })).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID', details: expect.objectContaining({ field: 'ensemble' }) }),
    );
    expect(() => SpeechRecognizer.create({ frontEnds: [{}], ensemble: 16 })).not.toThrow();
    expect(
      SpeechRecognizer.create({ features: { coefficients: 20 }, frontEnds: [{}, { cmvn: 'mean' }] }).frontEndConfigs.map((f) => f.dim),
    ).toEqual([60, 60]);
  });

  it('two front ends through validation, fresh copies, test-time warps, sequences and streams', async () => {
    const before = tf.memory().numTensors;
    const m = SpeechRecognizer.create({
      ...small,
      frontEnds: [{}, { cmvn: 'mean', utteranceStats: true }],
      augment: { copies: 1, fresh: true },
      ensemble: 1,
      epochs: 6,
      testTimeWarps: [0.95, 1, 1.05],
    });
    const report = await m.train(synthSet(12), { progress: false, validation: synthSet(2, 60) });
    expect(report.members).toHaveLength(2);
    expect(report.validation?.n).toBe(6);
    const gap = new Float32Array(Math.round(0.4 * SYNTH_RATE));
    const parts = [gap, synthWord('up', 1500), gap, synthWord('down', 1501), gap];
    const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (joined.set(p, at), at + p.length), 0);
    const seq = await m.recognizeSequence(joined, { sampleRate: SYNTH_RATE });
    expect(seq.words.map((w) => w.label)).toEqual(['up', 'down']);
    const stream = m.createStream({ minScore: 0 });
    const found = [];
    for (let i = 0; i < joined.length; i += 800) found.push(...stream.push(joined.subarray(i, i + 800)));
    found.push(...stream.flush());
    expect(found.map((d) => d.label)).toEqual(['up', 'down']);
    const one = await m.recognize(encodeWav(synthWord('warble', 1502), SYNTH_RATE));
    expect(one.label).toBe('warble');
    expect(Object.values(one.scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('test-time warps average the output over VTLP-warped features', async () => {
    const probe = synthWord('warble', 1000);
    const plain = await model.predict(probe, { sampleRate: SYNTH_RATE });
    model.testTimeWarps = [0.94, 1, 1.06];
    const tta = await model.predict(probe, { sampleRate: SYNTH_RATE });
    expect(tta.label).toBe(plain.label);
    expect(Object.values(tta.scores).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 4);
    expect(tta.scores).not.toEqual(plain.scores);
    expect(() => (model.testTimeWarps = [2])).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    model.testTimeWarps = [1];
    expect((await model.predict(probe, { sampleRate: SYNTH_RATE })).scores).toEqual(plain.scores);
  });

  it('digit-string mode: several words in one recording', async () => {
    const gap = new Float32Array(Math.round(0.3 * SYNTH_RATE));
    const parts = [gap, synthWord('up', 900), gap, synthWord('warble', 901), gap, synthWord('down', 902), gap];
    const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (joined.set(p, at), at + p.length), 0);
    const seq = await model.recognizeSequence(joined, { sampleRate: SYNTH_RATE });
    expect(seq.words.map((w) => w.label)).toEqual(['up', 'warble', 'down']);
    expect(seq.text).toBe('up warble down');
    expect(seq.words[1]?.startSeconds).toBeGreaterThan(seq.words[0]?.endSeconds ?? 0);
    const silent = await model.recognizeSequence(new Float32Array(SYNTH_RATE), { sampleRate: SYNTH_RATE });
    expect(silent.words).toEqual([]);
  });

  it('streaming: chunks in, timestamped detections out, bounded memory', () => {
    const stream = model.createStream({ minScore: 0 });
    const gap = new Float32Array(Math.round(0.4 * SYNTH_RATE));
    const audio = [gap, synthWord('down', 950), gap, synthWord('up', 951), gap];
    const joined = new Float32Array(audio.reduce((n, p) => n + p.length, 0));
    audio.reduce((at, p) => (joined.set(p, at), at + p.length), 0);
    const found = [];
    for (let i = 0; i < joined.length; i += 800) found.push(...stream.push(joined.subarray(i, i + 800)));
    found.push(...stream.flush());
    expect(found.map((d) => d.label)).toEqual(['down', 'up']);
    expect(found[0]?.startSeconds).toBeGreaterThan(0.3);
    expect(found[1]?.startSeconds).toBeGreaterThan(found[0]?.endSeconds ?? 0);
    // ten minutes of silence streams through without growing
    const quiet = model.createStream();
    const chunk = new Float32Array(SYNTH_RATE);
    for (let s = 0; s < 600; s++) expect(quiet.push(chunk)).toEqual([]);
    expect(quiet.seconds).toBe(600);
    expect(() => quiet.push(new Float32Array([Number.NaN]))).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
  });

  it('streaming at another rate: one resampler over the stream, so tiny or browser-sized chunks keep time and words', () => {
    const rate = 3 * SYNTH_RATE;
    const gap = new Float32Array(Math.round(0.4 * rate));
    const audio = [gap, synthWord('down', 950, rate), gap, synthWord('up', 951, rate), gap];
    const joined = new Float32Array(audio.reduce((n, p) => n + p.length, 0));
    audio.reduce((at, p) => (joined.set(p, at), at + p.length), 0);
    const whole = model.createStream({ minScore: 0, sampleRate: rate });
    const reference = [...whole.push(joined), ...whole.flush()];
    for (const size of [1, 3, 128]) {
      const stream = model.createStream({ minScore: 0, sampleRate: rate });
      const found = [];
      for (let i = 0; i < joined.length; i += size) found.push(...stream.push(joined.subarray(i, i + size)));
      found.push(...stream.flush());
      expect(found.map((d) => d.label)).toEqual(reference.map((d) => d.label));
      found.forEach((d, k) => expect(d.startSeconds).toBeCloseTo(reference[k]!.startSeconds, 2)); // within a VAD frame
      // Every second sent is counted, also after the flush.
      expect(stream.seconds).toBeCloseTo(joined.length / rate, 3);
    }
    expect(() => model.createStream({ sampleRate: 44_100.5 })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => model.createStream({ samplerate: 48_000 } as never)).toThrow(/createStream options has no option 'samplerate'/);
    expect(() => model.createStream({ vad: { padms: 10 } } as never)).toThrow(/padms/);
  });
});

describe('SpeechRecognizer bad input', () => {
  it('silence only → E_INPUT_INVALID with reason silence', async () => {
    await expect(model.recognize(new Float32Array(SYNTH_RATE), { sampleRate: SYNTH_RATE })).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      details: { reason: 'silence' },
    });
  });

  it('a bad item in a batch is named: its index (and file) in the message and details, its code kept', async () => {
    const silent = new Float32Array(SYNTH_RATE);
    const error = await model.predictBatch([silent, silent], { sampleRate: SYNTH_RATE }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_INPUT_INVALID', details: { reason: 'silence', item: 0 } });
    // A sample error keeps its sample index beside the item's.
    const nan = new Float32Array(SYNTH_RATE);
    nan[1234] = Number.NaN;
    const sampleError = await model.predictBatch([synthWord('up', 1), nan], { sampleRate: SYNTH_RATE }).catch((e: unknown) => e);
    expect(sampleError).toMatchObject({ code: 'E_INPUT_INVALID', details: { item: 1, index: 1234 } });
    expect((error as Error).message).toMatch(/^Input 0: No speech found/);
    const missing = await model.evaluate([{ audio: '/nonexistent/one.wav', label: model.labels[0]! }]).catch((e: unknown) => e);
    expect(missing).toMatchObject({
      code: 'E_IO',
      details: { item: 0, path: '/nonexistent/one.wav', file: '/nonexistent/one.wav', reason: 'ENOENT' },
    });
    // A read error already names the file: it is not named again in front.
    expect((missing as Error).message).toMatch(/^Evaluation example 0: Cannot read audio file \/nonexistent\/one\.wav: no such file\.$/);
  });

  it('misspelt train and recognizeSequence options are refused with the valid names', async () => {
    await expect(SpeechRecognizer.create(small).train(synthSet(2), { epoch: 1 } as never)).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: expect.stringMatching(/train options has no option 'epoch'; valid: validation, epochs/),
    });
    const word = synthWord('up', 960);
    await expect(model.recognizeSequence(word, { sampleRate: SYNTH_RATE, vad: { minSilenceMS: 50 } as never })).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: expect.stringMatching(/minSilenceMS/),
    });
    await expect(model.recognizeSequence(word, { sampleRate: SYNTH_RATE, minscore: 0.5 } as never)).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
    });
  });

  it('non-WAV, empty, NaN and too-long inputs are typed errors', async () => {
    expect(await code(model.recognize(Buffer.from('not a wav file, just text')))).toBe('E_FORMAT_UNSUPPORTED');
    expect(await code(model.recognize(new Uint8Array(0)))).toBe('E_INPUT_INVALID');
    expect(await code(model.recognize(new Float32Array([0.1, Number.NaN]), { sampleRate: SYNTH_RATE }))).toBe('E_INPUT_INVALID');
    expect(await code(model.recognize(new Float32Array(SYNTH_RATE * 601), { sampleRate: SYNTH_RATE }))).toBe('E_INPUT_TOO_LARGE');
  });

  it('bad training data and configs are E_INPUT_INVALID', async () => {
    const fresh = SpeechRecognizer.create(small);
    expect(await code(fresh.train([]))).toBe('E_INPUT_INVALID');
    expect(await code(fresh.train([{ audio: synthWord('up', 1), label: 'up', sampleRate: SYNTH_RATE }]))).toBe('E_INPUT_INVALID');
    expect(await code(fresh.train([{ audio: synthWord('up', 1) } as never]))).toBe('E_INPUT_INVALID');
    expect(() => SpeechRecognizer.create({ model: 'transformer' as never })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(await code(model.evaluate([{ audio: synthWord('up', 1), label: 'sideways', sampleRate: SYNTH_RATE }]))).toBe('E_INPUT_INVALID');
  });

  it('before training → E_MODEL_NOT_TRAINED; after dispose → E_MODEL_DISPOSED', async () => {
    const fresh = SpeechRecognizer.create();
    expect(fresh.isTrained).toBe(false);
    expect(model.isTrained).toBe(true);
    expect(await code(fresh.predict(synthWord('up', 1), { sampleRate: SYNTH_RATE }))).toBe('E_MODEL_NOT_TRAINED');
    fresh.dispose();
    expect(await code(fresh.predict(synthWord('up', 1), { sampleRate: SYNTH_RATE }))).toBe('E_MODEL_DISPOSED');
    expect(await code(fresh.train(synthSet(2)))).toBe('E_MODEL_DISPOSED');
  });

  it('the GRU and LSTM options build and train, and leave no tensors behind', async () => {
    for (const kind of ['gru', 'lstm'] as const) {
      const before = tf.memory().numTensors;
      const rnn = SpeechRecognizer.create({ model: kind, rnn: { units: 16, pool: 4 }, augment: false, epochs: 1, windowSeconds: 0.6 });
      try {
        const report = await rnn.train(synthSet(2), { progress: false });
        expect(report.epochsRun).toBe(1);
        const trained = tf.memory().numTensors;
        expect((await rnn.predict(synthWord('up', 3), { sampleRate: SYNTH_RATE })).label).toMatch(/up|down|warble/);
        expect(tf.memory().numTensors, `${kind} predict`).toBe(trained);
      } finally {
        rnn.dispose();
      }
      expect(tf.memory().numTensors, `${kind} train + dispose`).toBe(before);
    }
  });

  it("keeps tfjs's orthogonal-initialiser notice off the console for a full-size GRU / LSTM, in workers too", async () => {
    // 128 units: a 128 × 384 (GRU) or 128 × 512 (LSTM) recurrent kernel, above tfjs's 2,000-element notice.
    const warn = vi.spyOn(console, 'warn');
    const stderr = vi.spyOn(process.stderr, 'write');
    const notes: string[] = [];
    const logger = { debug: (m: string) => notes.push(m), info: () => undefined, warn: () => undefined };
    try {
      for (const [kind, parallel] of [
        ['gru', false],
        ['lstm', true],
      ] as const) {
        const rnn = SpeechRecognizer.create({
          model: kind,
          rnn: { units: 128, pool: 4 },
          augment: false,
          epochs: 1,
          ensemble: 2,
          windowSeconds: 0.6,
        });
        try {
          const report = await rnn.train(synthSet(2), { progress: false, parallel, logger });
          // The LSTM pair trains in worker threads wherever there is more than one core.
          expect(report.parallel).toBe(parallel && availableParallelism() > 1);
        } finally {
          rnn.dispose();
        }
      }
      expect(warn).not.toHaveBeenCalled();
      const written = stderr.mock.calls.map(([chunk]) => String(chunk)).join('');
      expect(written).not.toMatch(/Orthogonal initializer/);
      expect(notes.some((m) => /Orthogonal initializer/.test(m))).toBe(true);
    } finally {
      warn.mockRestore();
      stderr.mockRestore();
    }
  });

  it('is quiet by default even on a terminal: no progress bar unless asked for', async () => {
    const stderr = vi.spyOn(process.stderr, 'write');
    const wasTTY = process.stderr.isTTY;
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    const quiet = SpeechRecognizer.create({ ...small, epochs: 1, augment: false });
    try {
      await quiet.train(synthSet(2));
      expect(stderr.mock.calls.map(([chunk]) => String(chunk)).join('')).toBe('');
    } finally {
      quiet.dispose();
      Object.defineProperty(process.stderr, 'isTTY', { value: wasTTY, configurable: true });
      stderr.mockRestore();
    }
  });
});
