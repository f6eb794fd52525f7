// Runs inside the scratch consumer project with plain `node`: the packed @appliedml/speech used the way
// its README shows, on generated audio (no dataset). Checks that the import resolves to dist/index.mjs;
// that MFCC / log-mel features come out of the installed meyda with the documented shapes; that a small
// CNN recogniser trains on seeded synthetic "words" (tones and a chirp at 8 kHz, half of them as WAV
// bytes from encodeWav, so the package's WAV reader runs) and beats an accuracy floor on held-out words;
// that save → load in a temp dir gives the same scores; that bad input (bytes that are no WAV, NaN
// samples) is refused with a typed AppliedMLError; and that no tensor is left once both models are disposed.
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError, initEngine, tf } from '@appliedml/engine';
import { SpeechRecognizer, decodeWav, encodeWav, extractFeatures, frameCount, logMel, mfcc, resolveFeatureConfig } from '@appliedml/speech';

const t0 = performance.now();
const fail = (message) => {
  process.stderr.write(`sdk-speech: ${message}\n`);
  process.exit(1);
};

const resolved = import.meta.resolve('@appliedml/speech');
if (!resolved.endsWith('/dist/index.mjs')) fail(`import resolved to ${resolved}, expected dist/index.mjs`);

// Warnings from the SDK (e.g. a worker entry missing from the package) are collected, never printed on stdout.
const warnings = [];
const notes = [];
const logger = { debug() {}, info: (message) => notes.push(message), warn: (message) => warnings.push(message) };

const info = await initEngine({ logger });
const tensorsBefore = tf.memory().numTensors;

// ── generated audio ───────────────────────────────────────────────────────────────────────────────
const RATE = 8000;
const LABELS = ['low', 'high', 'rise'];

/** A seeded "word": a tone (low or high pitch) or a rising chirp, with varying length, level and lead-in, plus noise. */
function word(label, variant) {
  let s = (variant * 2654435761 + LABELS.indexOf(label) * 40503 + 17) >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const seconds = 0.25 + 0.3 * rand();
  const amplitude = 0.2 + 0.4 * rand();
  const lead = Math.round((0.05 + 0.1 * rand()) * RATE);
  const tail = Math.round((0.05 + 0.1 * rand()) * RATE);
  const n = Math.round(seconds * RATE);
  const f0 = label === 'low' ? 250 + 80 * rand() : label === 'high' ? 1300 + 300 * rand() : 350 + 100 * rand();
  const out = new Float32Array(lead + n + tail);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / n;
    const f = label === 'rise' ? f0 * (1 + 3 * t) : f0;
    phase += (2 * Math.PI * f) / RATE;
    out[lead + i] = amplitude * Math.sin(Math.PI * t) * (Math.sin(phase) + 0.25 * Math.sin(2 * phase));
  }
  for (let i = 0; i < out.length; i++) out[i] += (rand() - 0.5) * 0.006;
  return out;
}

/** `perLabel` examples of each word; every other one is encoded as a 16-bit WAV Buffer, the rest stay Float32Array. */
function makeSet(perLabel, offset) {
  const set = [];
  for (let v = 0; v < perLabel; v++) {
    for (const label of LABELS) {
      const samples = word(label, offset + v);
      set.push(
        set.length % 2 === 0 ? { audio: Buffer.from(encodeWav(samples, RATE)), label } : { audio: samples, label, sampleRate: RATE },
      );
    }
  }
  return set;
}

const train = makeSet(12, 0);
const heldOut = makeSet(8, 1000);
const wavCount = [...train, ...heldOut].filter((e) => !(e.audio instanceof Float32Array)).length;
if (wavCount === 0 || wavCount === train.length + heldOut.length) fail('expected a mix of WAV buffers and Float32Array inputs');

// ── the WAV reader and the features ───────────────────────────────────────────────────────────────
const probe = word('rise', 5000);
const decoded = decodeWav(encodeWav(probe, RATE));
if (decoded.sampleRate !== RATE || decoded.samples.length !== probe.length)
  fail(`decodeWav gave ${decoded.samples.length} samples at ${decoded.sampleRate} Hz, expected ${probe.length} at ${RATE}`);
let wavError = 0;
for (let i = 0; i < probe.length; i++) wavError = Math.max(wavError, Math.abs(decoded.samples[i] - probe[i]));
if (!(wavError < 1e-3)) fail(`16-bit WAV round trip differs by ${wavError}`);

const featureConfig = resolveFeatureConfig({ sampleRate: RATE });
const expectedFrames = frameCount(probe.length, featureConfig);
const coeffs = mfcc(probe, { sampleRate: RATE });
const mel = logMel(probe, { sampleRate: RATE });
const full = extractFeatures(probe, { sampleRate: RATE });
const shapes = [
  ['mfcc', coeffs, featureConfig.coefficients],
  ['logMel', mel, featureConfig.melBands],
  ['extractFeatures', full, featureConfig.dim],
];
for (const [name, f, dim] of shapes) {
  if (f.frames !== expectedFrames || f.dim !== dim || f.data.length !== f.frames * f.dim)
    fail(`${name} gave ${f.frames}×${f.dim} (${f.data.length} values), expected ${expectedFrames}×${dim}`);
  if (!f.data.every(Number.isFinite)) fail(`${name} gave non-finite values`);
}
// MFCCs of a tone and of a chirp must differ: the features see the audio.
const lowCoeffs = mfcc(word('low', 5000), { sampleRate: RATE });
const meanOf = (f, k) => {
  let sum = 0;
  for (let t = 0; t < f.frames; t++) sum += f.data[t * f.dim + k];
  return sum / f.frames;
};
let coeffDistance = 0;
for (let k = 1; k < coeffs.dim; k++) coeffDistance += (meanOf(coeffs, k) - meanOf(lowCoeffs, k)) ** 2;
if (!(Math.sqrt(coeffDistance) > 1)) fail(`MFCCs of a chirp and a low tone are nearly the same (distance ${Math.sqrt(coeffDistance)})`);

// ── train, recognise, evaluate ────────────────────────────────────────────────────────────────────
const config = {
  model: 'cnn',
  cnn: { filters: [16, 24], dense: 16 },
  augment: { copies: 1 },
  vad: { padMs: 30 },
  frontEnds: [{}],
  // Two networks: with more than one core they train in worker threads from dist/member-worker.js,
  // which proves the worker entry ships in the tarball and starts from an installed package.
  ensemble: 2,
  epochs: 12,
  learningRate: 0.005,
  batchSize: 16,
  seed: 7,
};
const model = SpeechRecognizer.create(config);
const report = await model.train(train, { progress: false, logger });
if (!(report.epochsRun >= 1)) fail(`training ran ${report.epochsRun} epochs`);
const inWorkers = notes.some((note) => /in \d+ worker threads/.test(note));
if (availableParallelism() > 1 && !inWorkers) fail(`the ensemble did not train in worker threads (${notes.join('; ') || 'no log'})`);
if (report.trainingExamples !== train.length * 2) fail(`trained on ${report.trainingExamples} examples, expected ${train.length * 2}`);
const losses = report.history.map((h) => h.loss);
if (!losses.every(Number.isFinite)) fail(`training produced non-finite losses: ${JSON.stringify(losses)}`);
if (!(losses.at(-1) < losses[0])) fail(`loss did not drop: ${JSON.stringify(losses)}`);
if ([...model.labels].sort().join() !== [...LABELS].sort().join()) fail(`model labels ${model.labels}, expected ${LABELS}`);

const metrics = await model.evaluate(heldOut);
const ACCURACY_FLOOR = 0.75; // chance is 1/3; the words are far apart
if (!(metrics.accuracy >= ACCURACY_FLOOR)) fail(`held-out accuracy ${metrics.accuracy} is below ${ACCURACY_FLOOR}`);

let recognized = 0;
for (const example of heldOut) {
  const r = await model.recognize(example.audio, example.sampleRate ? { sampleRate: example.sampleRate } : {});
  const sum = Object.values(r.scores).reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-4 || r.score !== Math.max(...Object.values(r.scores)) || r.scores[r.label] !== r.score)
    fail(`recognize gave inconsistent scores: ${JSON.stringify(r)}`);
  if (!(r.speech.endSeconds > r.speech.startSeconds)) fail(`recognize found no speech span: ${JSON.stringify(r.speech)}`);
  if (r.label === example.label) recognized++;
}
const recognizeAccuracy = recognized / heldOut.length;
if (Math.abs(recognizeAccuracy - metrics.accuracy) > 1e-9)
  fail(`recognize one by one got ${recognizeAccuracy}, evaluate got ${metrics.accuracy}`);

// ── save → load → same scores ─────────────────────────────────────────────────────────────────────
const tmp = await mkdtemp(join(tmpdir(), 'appliedml-sdk-speech-'));
// fail() exits without running `finally`: remove the temp dir on exit too.
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let loaded;
let maxScoreDiff = 0;
try {
  const dir = join(tmp, 'model');
  await model.save(dir);
  loaded = await SpeechRecognizer.load(dir, { logger });
  const inputs = heldOut.slice(0, 6).map((e) => e.audio);
  // The Float32Array inputs are at the model rate; WAV buffers carry their own.
  const a = await model.predictBatch(inputs, { sampleRate: RATE });
  const b = await loaded.predictBatch(inputs, { sampleRate: RATE });
  a.forEach((r, i) => {
    if (b[i].label !== r.label) fail(`loaded model says ${b[i].label} for input ${i}, the trained one ${r.label}`);
    for (const [label, p] of Object.entries(r.scores)) maxScoreDiff = Math.max(maxScoreDiff, Math.abs(b[i].scores[label] - p));
  });
  if (!(maxScoreDiff <= 1e-6)) fail(`loaded model's scores differ by ${maxScoreDiff}`);
  if (JSON.stringify(loaded.featureConfig) !== JSON.stringify(model.featureConfig)) fail('loaded model has another feature config');
} finally {
  await rm(tmp, { recursive: true, force: true });
}

// ── typed errors ──────────────────────────────────────────────────────────────────────────────────
const codeOf = async (fn) => {
  try {
    await fn();
  } catch (error) {
    if (!(error instanceof AppliedMLError) || !AppliedMLError.isInstance(error)) fail(`expected an AppliedMLError, got ${error}`);
    return error.code;
  }
  return 'no error';
};
const errorCode = await codeOf(() => loaded.recognize(Buffer.from('this is plain text, not a RIFF/WAVE file')));
if (errorCode !== 'E_FORMAT_UNSUPPORTED') fail(`a buffer that is no WAV gave ${errorCode}, expected E_FORMAT_UNSUPPORTED`);
const nan = word('low', 6000);
nan[200] = Number.NaN;
const nanCode = await codeOf(() => model.recognize(nan, { sampleRate: RATE }));
if (nanCode !== 'E_INPUT_INVALID') fail(`NaN samples gave ${nanCode}, expected E_INPUT_INVALID`);

// ── a GRU pair (32 units: a 32 × 96 recurrent kernel, orthogonal by default) trains quietly, in workers ─
const gru = SpeechRecognizer.create({ ...config, model: 'gru', rnn: { units: 32, pool: 4 }, epochs: 1 });
const gruReport = await gru.train(train, { progress: false, logger });
if (availableParallelism() > 1 && !gruReport.parallel) fail('the GRU pair did not train in worker threads');
const gruAccuracy = (await gru.evaluate(heldOut)).accuracy;
if (!(gruAccuracy >= 0)) fail(`GRU evaluate gave accuracy ${gruAccuracy}`);
gru.dispose();

// ── dispose, then count tensors ───────────────────────────────────────────────────────────────────
model.dispose();
loaded.dispose();
const disposedCode = await codeOf(() => model.recognize(probe, { sampleRate: RATE }));
if (disposedCode !== 'E_MODEL_DISPOSED') fail(`recognize after dispose gave ${disposedCode}, expected E_MODEL_DISPOSED`);
const leakedTensors = tf.memory().numTensors - tensorsBefore;
if (warnings.length > 0) fail(`the SDK warned: ${warnings.join('; ')}`);

process.stdout.write(
  `${JSON.stringify({
    check: 'sdk-speech',
    ok: true,
    resolved,
    device: info.device,
    leakedTensors,
    errorCode,
    accuracy: metrics.accuracy,
    heldOut: heldOut.length,
    trainExamples: train.length,
    wavInputs: wavCount,
    ensembleInWorkers: inWorkers,
    gruInWorkers: gruReport.parallel,
    epochs: report.epochsRun,
    firstLoss: Number(losses[0].toFixed(4)),
    lastLoss: Number(losses.at(-1).toFixed(4)),
    maxScoreDiff,
    mfccFrames: coeffs.frames,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
  })}\n`,
);
