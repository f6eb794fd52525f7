// `npm run bench -w @appliedml/speech` (not CI): the issue's full-quality runs on FSDD in one process.
//   official split accuracy and training time · leave-one-speaker-out per speaker · MFCC real-time factor
//   beside a vectorised numpy/scipy MFCC · recognition latency per 1 s utterance · the scikit-learn
//   MFCC-statistics + RBF-SVM peer on the same splits.
// Needs APPLIEDML_DATA_DIR/fsdd and /usr/bin/python3 with python3-numpy, -scipy, -sklearn (tools/speech-bench-peer.py).
// Options: --only official,loso,speed,peer,inner-official,inner-folds   --folds N   --from K   --scores-out FILE   --speakers george,theo   --epochs N   --copies N   --ensemble N
//   --fixed-copies (turns off `augment.fresh` that a --config set)
//   --exclude jackson (drops a speaker from every protocol: `--only loso --exclude jackson --speakers
//     nicolas,george` is the inner screen that chooses variants without the weakest speaker)
//   inner-official (not in the default set): the official protocol inside the official training split —
//     train on recordings 10–49, score recordings 5–9 — so that variants are chosen without the test split
//   inner-folds (not in the default set): the same with power — recordings 5–49 of the official training
//     split in blocks of 5 (5–9, 10–14, …, 45–49); each block is scored by a model trained on the other
//     40 recordings of each digit and speaker, so every fold trains on as much as inner-official (whose
//     block is the first) and the blocks together score 2,250 utterances. --folds N runs N blocks, from
//     block --from K (1–9, default 1); without --folds, every block from K on.
//   --scores-out FILE (inner-folds and loso): appends one JSON line per scored utterance (protocol, fold,
//     path, label, every label's probability with and without the test-time warps), so that the errors can
//     be read and combinations of variants scored without training again.
//   --config '<SpeechRecognizerConfig JSON>' (merged over the defaults, before the flags above)
// Prints JSON lines on stderr as it goes and a Markdown summary on stdout (pasted into docs/benchmarks/speech.md).
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppliedMLError, initEngine } from '@appliedml/engine';
import {
  SpeechRecognizer,
  decodeWav,
  encodeWav,
  extractFeatureViews,
  extractFeatures,
  fsddOfficialSplit,
  readFsdd,
  resolveFeatureConfig,
  type FsddRecording,
  type SpeechExample,
  type SpeechRecognizerConfig,
} from '../src/index';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'speed,official,loso,peer' },
    speakers: { type: 'string' },
    exclude: { type: 'string' },
    epochs: { type: 'string' },
    copies: { type: 'string' },
    ensemble: { type: 'string' },
    'fixed-copies': { type: 'boolean' },
    config: { type: 'string' },
    folds: { type: 'string' },
    from: { type: 'string', default: '1' },
    'scores-out': { type: 'string' },
  },
});
const extra = values.config ? (JSON.parse(values.config as string) as SpeechRecognizerConfig) : {};
if (extra.augment === false && (values.copies || values['fixed-copies']))
  throw new AppliedMLError('E_INPUT_INVALID', '--copies and --fixed-copies need augmentation on; --config turns it off.');
const only = new Set((values.only as string).split(','));
const from = Number(values.from);
const folds = values.folds === undefined ? 10 - from : Number(values.folds);
if (!Number.isInteger(from) || from < 1 || from > 9)
  throw new AppliedMLError('E_INPUT_INVALID', `--from must be an integer from 1 to 9 (got ${String(values.from)}).`, {
    details: { field: 'from' },
  });
if (!Number.isInteger(folds) || folds < 1 || from + folds - 1 > 9)
  throw new AppliedMLError(
    'E_INPUT_INVALID',
    `--folds must be an integer from 1 to ${10 - from} with --from ${from} (got ${String(values.folds)}).`,
    {
      details: { field: 'folds' },
    },
  );
const scoresOut = values['scores-out'] as string | undefined;
const augment = {
  ...(typeof extra.augment === 'object' ? extra.augment : {}),
  ...(values.copies ? { copies: Number(values.copies) } : {}),
  ...(values['fixed-copies'] ? { fresh: false } : {}),
};
const config: SpeechRecognizerConfig = {
  ...extra,
  ...(values.epochs ? { epochs: Number(values.epochs) } : {}),
  ...(values.ensemble ? { ensemble: Number(values.ensemble) } : {}),
  ...(Object.keys(augment).length > 0 ? { augment } : {}),
};
const PEER = resolve(__dirname, '../../../tools/speech-bench-peer.py');
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
const log = (o: unknown): void => void process.stderr.write(`${JSON.stringify(o)}\n`);
/** The test-time warps the bench also reports (3 VTLP warps averaged). */
const TTA = [0.92, 1, 1.08];
const ex = (rs: FsddRecording[]): SpeechExample[] => rs.map((r) => ({ audio: r.path, label: r.label }));
const lines: string[] = [];

/** Appends every utterance's probabilities, plain and with the test-time warps, to --scores-out. */
async function scoreLines(model: SpeechRecognizer, held: FsddRecording[], tag: Record<string, unknown>): Promise<void> {
  if (!scoresOut) return;
  const before = model.testTimeWarps;
  model.testTimeWarps = [1];
  const plain = await model.predictBatch(held.map((r) => r.path));
  model.testTimeWarps = TTA;
  const warped = await model.predictBatch(held.map((r) => r.path));
  model.testTimeWarps = before;
  const labels = model.labels;
  const rows = held.map((r, i) =>
    JSON.stringify({
      ...tag,
      path: r.path,
      speaker: r.speaker,
      index: r.index,
      label: r.label,
      labels,
      plain: labels.map((l) => (plain[i] as { scores: Record<string, number> }).scores[l]),
      tta: labels.map((l) => (warped[i] as { scores: Record<string, number> }).scores[l]),
    }),
  );
  appendFileSync(scoresOut, `${rows.join('\n')}\n`);
}

function python(args: string[]): Record<string, unknown> {
  const run = spawnSync('/usr/bin/python3', [PEER, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new AppliedMLError('E_INTERNAL', `The scikit-learn peer failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
}

async function speed(all: FsddRecording[], listFile: string): Promise<void> {
  const audio = all.map((r) => decodeWav(readFileSync(r.path)).samples);
  const seconds = audio.reduce((n, a) => n + a.length, 0) / 8000;
  const cfg = resolveFeatureConfig({});
  audio.slice(0, 50).forEach((a) => extractFeatures(a, cfg));
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (const a of audio) extractFeatures(a, cfg);
    times.push((performance.now() - t) / 1000);
  }
  const js = { audioSeconds: seconds, computeSeconds: median(times), rtf: seconds / median(times) };
  // The recognizer's whole front end: every front end of the configured model (one shared analysis).
  const fes = SpeechRecognizer.create(config).frontEndConfigs;
  const viewTimes: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (const a of audio) extractFeatureViews(a, fes);
    viewTimes.push((performance.now() - t) / 1000);
  }
  const views = { frontEnds: fes.length, computeSeconds: median(viewTimes), rtf: seconds / median(viewTimes) };
  const py = python(['mfcc', listFile, '5']) as { computeSeconds: number; rtf: number; numpy: string };
  log({ mfcc: { js, views, numpy: py } });
  lines.push(
    `| MFCC + Δ + ΔΔ + CMVN over all ${all.length} FSDD files (${seconds.toFixed(0)} s of audio), median of 5 | ${js.rtf.toFixed(0)}× real time (${(js.computeSeconds * 1000).toFixed(0)} ms) | numpy/scipy (vectorised, numpy ${py.numpy}): ${py.rtf.toFixed(0)}× (${(py.computeSeconds * 1000).toFixed(0)} ms); ratio ${(js.rtf / py.rtf).toFixed(2)} |`,
    `| the model's whole front end (${views.frontEnds} front end${views.frontEnds > 1 ? 's; those that differ only in normalisation share one analysis' : ''}) over the same files, median of 5 | ${views.rtf.toFixed(0)}× real time (${(views.computeSeconds * 1000).toFixed(0)} ms) | |`,
  );
}

async function official(all: FsddRecording[]): Promise<void> {
  const { train, test } = fsddOfficialSplit(all);
  const model = SpeechRecognizer.create(config);
  const t0 = performance.now();
  const report = await model.train(ex(train), { progress: 'auto' });
  const trainSeconds = (performance.now() - t0) / 1000;
  const m = await model.evaluate(ex(test));
  model.testTimeWarps = TTA;
  const mt = await model.evaluate(ex(test));
  model.testTimeWarps = [1];
  log({
    official: {
      accuracy: m.accuracy,
      tta: mt.accuracy,
      trainSeconds,
      featureSeconds: report.featureSeconds,
      examples: report.trainingExamples,
      epochs: report.epochsRun,
    },
  });
  lines.push(
    `| Official split (train 2,250 / test 250), accuracy | **${pct(m.accuracy)}**; with test-time warps ${TTA.join('/')}: ${pct(mt.accuracy)} | target ≥ 99.5 % |`,
  );
  lines.push(
    `| Training on the official split (${report.trainingExamples} utterances with augmented copies, ${report.epochsRun} epochs) | ${trainSeconds.toFixed(0)} s (features ${report.featureSeconds.toFixed(0)} s) | target < 300 s |`,
  );
  // Latency: one-second WAV utterances (a test word centred in 1 s of faint noise), recognised one by one.
  const words = test.slice(0, 50).map((r) => decodeWav(readFileSync(r.path)).samples);
  const utterances = words.map((w, i) => {
    const x = Float32Array.from({ length: 8000 }, (_, k) => 0.0005 * Math.sin(k * 1.3 + i));
    x.set(w.subarray(0, 8000), Math.max(0, Math.floor((8000 - w.length) / 2)));
    return encodeWav(x, 8000);
  });
  for (const u of utterances.slice(0, 10)) await model.recognize(u);
  const total: number[] = [];
  const parts = { decodeMs: [] as number[], featuresMs: [] as number[], inferenceMs: [] as number[] };
  for (let rep = 0; rep < 4; rep++) {
    for (const u of utterances) {
      const t = performance.now();
      const r = await model.recognize(u);
      total.push(performance.now() - t);
      parts.decodeMs.push(r.timing.decodeMs);
      parts.featuresMs.push(r.timing.featuresMs);
      parts.inferenceMs.push(r.timing.inferenceMs);
    }
  }
  const p95 = [...total].sort((a, b) => a - b)[Math.floor(total.length * 0.95)] as number;
  model.testTimeWarps = TTA;
  const ttaTotal: number[] = [];
  for (const u of utterances) {
    const t = performance.now();
    await model.recognize(u);
    ttaTotal.push(performance.now() - t);
  }
  model.testTimeWarps = [1];
  log({
    latency: {
      medianMs: median(total),
      p95Ms: p95,
      decode: median(parts.decodeMs),
      features: median(parts.featuresMs),
      inference: median(parts.inferenceMs),
    },
  });
  lines.push(
    `| Recognition latency, one 1 s WAV utterance (median of ${total.length}; p95) | ${median(total).toFixed(1)} ms; p95 ${p95.toFixed(1)} ms (decode ${median(parts.decodeMs).toFixed(2)}, VAD + features ${median(parts.featuresMs).toFixed(2)}, network ${median(parts.inferenceMs).toFixed(2)}); with ${TTA.length} test-time warps ${median(ttaTotal).toFixed(1)} ms | target ≤ 20 ms |`,
  );
  model.dispose();
}

async function innerOfficial(all: FsddRecording[]): Promise<void> {
  const { train: outer } = fsddOfficialSplit(all);
  const train = outer.filter((r) => r.index >= 10);
  const held = outer.filter((r) => r.index < 10);
  const model = SpeechRecognizer.create(config);
  const t0 = performance.now();
  await model.train(ex(train), { progress: 'auto' });
  const trainSeconds = (performance.now() - t0) / 1000;
  const m = await model.evaluate(ex(held));
  log({ innerOfficial: { accuracy: m.accuracy, errors: Math.round((1 - m.accuracy) * held.length), trainSeconds } });
  lines.push(
    `| Inner official split (train recordings 10–49: ${train.length} / score recordings 5–9: ${held.length}), accuracy | ${pct(m.accuracy)} | chooses variants; the official test split is not used |`,
  );
  model.dispose();
}

async function innerFolds(all: FsddRecording[]): Promise<void> {
  const { train: outer } = fsddOfficialSplit(all);
  const errors: number[] = [];
  let scored = 0;
  for (let f = from - 1; f < from - 1 + folds; f++) {
    const lo = 5 + 5 * f;
    const inBlock = (r: FsddRecording): boolean => r.index >= lo && r.index < lo + 5;
    const model = SpeechRecognizer.create(config);
    const t0 = performance.now();
    await model.train(ex(outer.filter((r) => r.index >= 5 && !inBlock(r))), { progress: 'auto' });
    const held = outer.filter(inBlock);
    const m = await model.evaluate(ex(held));
    const e = Math.round((1 - m.accuracy) * held.length);
    errors.push(e);
    scored += held.length;
    log({ innerFold: `${lo}-${lo + 4}`, errors: e, of: held.length, trainSeconds: (performance.now() - t0) / 1000 });
    await scoreLines(model, held, { protocol: 'inner-folds', fold: `${lo}-${lo + 4}`, config });
    model.dispose();
  }
  const total = errors.reduce((a, b) => a + b, 0);
  lines.push(
    `| Inner folds (recordings 5–49 of the official training split in blocks of 5; ${folds} block${folds > 1 ? 's' : ''} from block ${from}, each scored by a model trained on the other 40 recordings), errors | **${total} of ${scored}** (${pct(1 - total / scored)}); per block ${errors.join(', ')} | chooses variants; the official test split is not used |`,
  );
}

async function loso(all: FsddRecording[], speakers: string[]): Promise<void> {
  const results: Record<string, number> = {};
  const tta: Record<string, number> = {};
  for (const s of speakers) {
    const model = SpeechRecognizer.create(config);
    const t0 = performance.now();
    await model.train(ex(all.filter((r) => r.speaker !== s)), { progress: 'auto' });
    const m = await model.evaluate(ex(all.filter((r) => r.speaker === s)));
    results[s] = m.accuracy;
    model.testTimeWarps = TTA;
    tta[s] = (await model.evaluate(ex(all.filter((r) => r.speaker === s)))).accuracy;
    model.testTimeWarps = [1];
    await scoreLines(
      model,
      all.filter((r) => r.speaker === s),
      { protocol: 'loso', fold: s, config, excluded: values.exclude ?? null },
    );
    log({ loso: s, accuracy: m.accuracy, tta: tta[s], trainSeconds: (performance.now() - t0) / 1000 });
    model.dispose();
  }
  for (const [name, r] of [
    ['', results],
    [` with test-time warps ${TTA.join('/')}`, tta],
  ] as const) {
    const accs = Object.values(r);
    const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
    lines.push(
      `| Leave-one-speaker-out${name}: ${Object.entries(r)
        .map(([s, a]) => `${s} ${pct(a)}`)
        .join(', ')} | **mean ${pct(mean)}**, worst ${pct(Math.min(...accs))} | target mean ≥ 92 %, none < 85 % |`,
    );
  }
}

function peer(listFile: string): void {
  const r = python(['svm', listFile]) as { official: number; loso: Record<string, number>; losoMean: number };
  log({ peer: r });
  lines.push(
    `| scikit-learn peer (MFCC mean/std + RBF SVM), this run | official ${pct(r.official)}; LOSO mean ${pct(r.losoMean)} (${Object.entries(
      r.loso,
    )
      .map(([s, a]) => `${s} ${pct(a)}`)
      .join(', ')}) | issue: 99.6 %, LOSO mean 80.7 % |`,
  );
}

async function main(): Promise<void> {
  const device = await initEngine();
  const excluded = new Set(values.exclude ? (values.exclude as string).split(',') : []);
  const all = (await readFsdd()).filter((r) => !excluded.has(r.speaker));
  const listFile = join(mkdtempSync(join(tmpdir(), 'speech-bench-')), 'files.txt');
  writeFileSync(listFile, all.map((r) => r.path).join('\n'));
  const speakers = values.speakers ? (values.speakers as string).split(',') : [...new Set(all.map((r) => r.speaker))];
  if (only.has('speed')) await speed(all, listFile);
  if (only.has('official')) await official(all);
  if (only.has('inner-official')) await innerOfficial(all);
  if (only.has('inner-folds')) await innerFolds(all);
  if (only.has('loso')) await loso(all, speakers);
  if (only.has('peer')) peer(listFile);
  process.stdout.write(
    `\nappliedml speech bench — ${new Date().toISOString().slice(0, 10)}, backend ${device.backend}, ${cpus().length} cores, Node ${process.version}\nrecognizer config over the defaults: ${JSON.stringify(config)}${excluded.size ? `; speakers excluded from every protocol: ${[...excluded].join(', ')}` : ''}\n\n| measure | appliedml | reference |\n| --- | --- | --- |\n${lines.join('\n')}\n`,
  );
}

void main();
