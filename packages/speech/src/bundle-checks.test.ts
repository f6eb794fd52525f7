import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError, tf } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFeatureConfig } from './features';
import { SpeechRecognizer } from './speech-recognizer';
import { SYNTH_RATE, TINY_CONFIG, rejectionOf, synthSet, synthWord } from './test-helpers';

// Found by a fuzz review of saved bundles: hand-edited settings (a bundle without `manifestSha256` loads
// unchecked by design) that the loader let through to predict, values that type coercion let through, and
// finite but huge weights that gave NaN scores.

const fieldOf = (e: AppliedMLError): unknown => (e.details as { field?: unknown } | undefined)?.field;

let root: string;
let good: string;
let twoFronts: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'speech-bundle-checks-'));
  good = join(root, 'good');
  twoFronts = join(root, 'two-fronts');
  const one = SpeechRecognizer.create(TINY_CONFIG);
  await one.train(synthSet(2));
  await one.save(good);
  one.dispose();
  const two = SpeechRecognizer.create({ ...TINY_CONFIG, frontEnds: [{}, { cmvn: 'mean', utteranceStats: true }] });
  await two.train(synthSet(2));
  await two.save(twoFronts);
  two.dispose();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let copies = 0;
/** A copy of `src` with its manifest edited the way a person does it: without `manifestSha256`. */
function editedManifest(src: string, edit: (m: any) => void): string {
  const dir = join(root, `edit-${copies++}`);
  cpSync(src, dir, { recursive: true });
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  delete m.manifestSha256;
  edit(m);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
  return dir;
}

/** A copy of `src` with every float32 weight of `model` set to `value`, its sha256 in the manifest recomputed. */
function withWeights(src: string, model: string, value: number): string {
  const dir = editedManifest(src, () => {});
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const file = m.models[model].weights as string;
  const bytes = readFileSync(join(dir, file));
  new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4).fill(value);
  writeFileSync(join(dir, file), bytes);
  m.files[file] = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
  return dir;
}

describe('SpeechRecognizer.load refuses saved settings that do not fit (E_BUNDLE_CORRUPT naming the field)', () => {
  const cases: Array<[string, (m: any) => void, string]> = [
    ['vad deleted', (m) => delete m.preprocessing.vad, 'preprocessing.vad'],
    ['vad: null', (m) => (m.preprocessing.vad = null), 'preprocessing.vad'],
    ['vad.padMs: null', (m) => (m.preprocessing.vad = { padMs: null }), 'preprocessing.vad.padMs'],
    ['testTimeWarps: 0', (m) => (m.preprocessing.testTimeWarps = 0), 'preprocessing.testTimeWarps'],
    ['testTimeWarps: ""', (m) => (m.preprocessing.testTimeWarps = ''), 'preprocessing.testTimeWarps'],
    ['testTimeWarps: []', (m) => (m.preprocessing.testTimeWarps = []), 'preprocessing.testTimeWarps'],
    ['features.fMin: null', (m) => (m.preprocessing.features.fMin = null), 'preprocessing.features.fMin'],
    ['features.fMax: "4000"', (m) => (m.preprocessing.features.fMax = '4000'), 'preprocessing.features.fMax'],
    ['features.preEmphasis: ""', (m) => (m.preprocessing.features.preEmphasis = ''), 'preprocessing.features.preEmphasis'],
    ['features.center: "x"', (m) => (m.preprocessing.features.center = 'x'), 'preprocessing.features.center'],
    ['features.topDb: "80"', (m) => (m.preprocessing.features.topDb = '80'), 'preprocessing.features.topDb'],
    ['maxSeconds: null', (m) => (m.preprocessing.maxSeconds = null), 'preprocessing.maxSeconds'],
    ['maxSeconds deleted', (m) => delete m.preprocessing.maxSeconds, 'preprocessing.maxSeconds'],
    ['windowSeconds: "1"', (m) => (m.preprocessing.windowSeconds = '1'), 'preprocessing.windowSeconds'],
    ['frames: null', (m) => (m.preprocessing.frames = null), 'preprocessing.frames'],
  ];
  for (const [what, edit, field] of cases) {
    it(what, async () => {
      const dir = editedManifest(good, edit);
      const before = tf.memory().numTensors;
      const e = await rejectionOf(() => SpeechRecognizer.load(dir));
      expect(e.code).toBe('E_BUNDLE_CORRUPT');
      expect(fieldOf(e)).toBe(field);
      expect(e.message).toContain(field);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('a front end of a two-front-end bundle is named by its position', async () => {
    for (const [edit, field] of [
      [(m: any) => (m.preprocessing.frontEnds[1].fMin = null), 'preprocessing.frontEnds[1].fMin'],
      [(m: any) => (m.preprocessing.frontEnds[1] = null), 'preprocessing.frontEnds[1]'],
      [(m: any) => delete m.preprocessing.vad, 'preprocessing.vad'],
      [(m: any) => (m.preprocessing.testTimeWarps = 0), 'preprocessing.testTimeWarps'],
    ] as const) {
      const before = tf.memory().numTensors;
      const e = await rejectionOf(() => SpeechRecognizer.load(editedManifest(twoFronts, edit)));
      expect([e.code, fieldOf(e)]).toEqual(['E_BUNDLE_CORRUPT', field]);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('a feature or VAD setting this version does not know (written by another version) is ignored, not refused', async () => {
    for (const [src, edit] of [
      [good, (m: any) => (m.preprocessing.features.legacySetting = 1)],
      [good, (m: any) => (m.preprocessing.vad.legacySetting = 1)],
      [twoFronts, (m: any) => (m.preprocessing.frontEnds[1].legacySetting = 1)],
    ] as const) {
      const loaded = await SpeechRecognizer.load(editedManifest(src, edit));
      const reference = await SpeechRecognizer.load(src);
      try {
        const word = synthWord('up', 98);
        expect((await loaded.predict(word, { sampleRate: SYNTH_RATE })).scores).toEqual(
          (await reference.predict(word, { sampleRate: SYNTH_RATE })).scores,
        );
      } finally {
        loaded.dispose();
        reference.dispose();
      }
    }
  });

  it('what it loads is what it checked: a bundle without testTimeWarps predicts with [1]', async () => {
    const dir = editedManifest(good, (m) => delete m.preprocessing.testTimeWarps);
    const loaded = await SpeechRecognizer.load(dir);
    const reference = await SpeechRecognizer.load(good);
    try {
      expect(loaded.testTimeWarps).toEqual([1]);
      const word = synthWord('up', 99);
      const a = await loaded.predict(word, { sampleRate: SYNTH_RATE });
      const b = await reference.predict(word, { sampleRate: SYNTH_RATE });
      expect(a.scores).toEqual(b.scores);
    } finally {
      loaded.dispose();
      reference.dispose();
    }
  });
});

describe('options checked by type, not by coercion (E_INPUT_INVALID naming the option)', () => {
  const features: Array<[Record<string, unknown>, string]> = [
    [{ fMin: null }, 'fMin'],
    [{ fMax: '4000' }, 'fMax'],
    [{ preEmphasis: '' }, 'preEmphasis'],
    [{ center: 'x' }, 'center'],
    [{ center: 0 }, 'center'],
    [{ topDb: '80' }, 'topDb'],
    [{ topDb: true }, 'topDb'],
    [{ nFft: '256' }, 'nFft'],
    [{ frameMs: '25' }, 'frameMs'],
  ];
  it('resolveFeatureConfig and create', async () => {
    for (const [f, field] of features) {
      const a = await rejectionOf(() => resolveFeatureConfig(f as never));
      expect([a.code, fieldOf(a)], JSON.stringify(f)).toEqual(['E_INPUT_INVALID', field]);
      const b = await rejectionOf(() => SpeechRecognizer.create({ features: f as never }));
      expect([b.code, fieldOf(b)], JSON.stringify(f)).toEqual(['E_INPUT_INVALID', field]);
    }
    // Undefined is the default, as an option left out.
    expect(resolveFeatureConfig({ fMin: undefined, center: undefined })).toEqual(resolveFeatureConfig({}));
    expect(resolveFeatureConfig({ topDb: null }).topDb).toBeNull();
  });

  it('windowSeconds and the VAD settings', async () => {
    for (const [config, field] of [
      [{ windowSeconds: '1' }, 'windowSeconds'],
      [{ vad: { padMs: null } }, 'vad.padMs'],
      [{ vad: { padMs: '30' } }, 'vad.padMs'],
    ] as const) {
      const e = await rejectionOf(() => SpeechRecognizer.create(config as never));
      expect([e.code, fieldOf(e)], JSON.stringify(config)).toEqual(['E_INPUT_INVALID', field]);
    }
  });
});

describe('a network whose output is not finite is an error, never NaN scores', () => {
  it('predict, predictBatch, recognizeSequence, evaluate and a stream (finite weights of 3e38)', async () => {
    const dir = withWeights(good, 'main', 3e38);
    const before = tf.memory().numTensors;
    const model = await SpeechRecognizer.load(dir);
    const word = synthWord('down', 7);
    const reasonOf = (e: AppliedMLError): unknown => (e.details as { reason?: unknown } | undefined)?.reason;
    try {
      for (const call of [
        () => model.predict(word, { sampleRate: SYNTH_RATE }),
        () => model.predictBatch([word, synthWord('up', 8)], { sampleRate: SYNTH_RATE }),
        () => model.recognizeSequence(word, { sampleRate: SYNTH_RATE }),
        () => model.evaluate(synthSet(1)),
      ]) {
        const e = await rejectionOf(call);
        expect([e.code, reasonOf(e)]).toEqual(['E_INPUT_INVALID', 'not-finite-output']);
        expect(e.message).toContain('not finite');
      }
      // With test-time warps the error names the input, not the warped row.
      model.testTimeWarps = [0.9, 1, 1.1];
      const warped = await rejectionOf(() => model.predictBatch([word, word], { sampleRate: SYNTH_RATE }));
      expect((warped.details as { item?: unknown }).item).toBe(0);
      // A stream says so rather than skipping every word as if it were noise.
      const stream = model.createStream();
      const e = await rejectionOf(() => {
        stream.push(word);
        stream.push(new Float32Array(SYNTH_RATE));
        stream.flush();
      });
      expect([e.code, reasonOf(e)]).toEqual(['E_INPUT_INVALID', 'not-finite-output']);
    } finally {
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('two front ends: a broken network of the second is refused too', async () => {
    const m = JSON.parse(readFileSync(join(twoFronts, 'manifest.json'), 'utf8'));
    const name = Object.keys(m.models).sort().at(-1) as string;
    const model = await SpeechRecognizer.load(withWeights(twoFronts, name, 3e38));
    try {
      const e = await rejectionOf(() => model.predict(synthWord('up', 3), { sampleRate: SYNTH_RATE }));
      expect(e.code).toBe('E_INPUT_INVALID');
    } finally {
      model.dispose();
    }
  });
});
