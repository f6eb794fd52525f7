#!/usr/bin/env -S npx tsx --conditions=@appliedml/source
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import Table from 'cli-table3';
// Light modules only: --help and a refused flag answer without TensorFlow.js (the SDK), sharp or Fastify,
// which each command imports when it runs (`await import`).
import { andList, bundleName, checkTrainTarget, intFlag, parseCliArgs, stopOnSignals, useInvocationDir } from '@appliedml/demo-kit/cli';
import { checkDevice, type Device } from '@appliedml/engine/devices';
import { AppliedMLError } from '@appliedml/engine/errors';
import type { SpeechMetrics, SpeechRecognizer } from '@appliedml/speech';
import type { DemoData } from './data';
import type { TrainingData } from './trained-on';
import { FSDD_REFERENCE, presetFor, referenceLine, type Preset } from './presets';
import type { SpeechInference } from './server';

const USAGE = `appliedml speech demo — spoken-digit recognition (FSDD, or synthetic mespeak digits offline)

usage:
  speech-demo demo [--preset quick|full] [--report FILE]   train, evaluate, confusion matrix, digit string, HTML report
  speech-demo train [--data fsdd|synthetic] [--preset P] [--out DIR]   train and save a bundle (default ./models/speech-digits)
  speech-demo evaluate --bundle DIR [--data fsdd|synthetic]           accuracy and confusion matrix on the test split
  speech-demo recognize <file.wav> --bundle DIR [--sequence]          the word (or, with --sequence, the digit string)
  speech-demo serve --bundle DIR [--port 8080] [--host 127.0.0.1] [--workers 1]
                                      upload page; POST /recognize with WAV bytes; /docs, /readyz; --workers 0: in this process

data: FSDD from APPLIEDML_DATA_DIR/fsdd when present, else SYNTHETIC digits from mespeak (offline default)
options: --device auto|cuda|cpu|wasm|js`;

function out(text = ''): void {
  process.stdout.write(`${text}\n`);
}
const pct = (v: number): string => `${(v * 100).toFixed(2)} %`;

async function loadData(kind: string | undefined, preset: Preset): Promise<DemoData> {
  const { hasDataDir, loadFsdd, loadSynthetic } = await import('./data');
  if (kind === 'synthetic') return loadSynthetic(...synthSize(preset));
  if (kind === 'fsdd') return loadFsdd();
  if (hasDataDir()) {
    try {
      return await loadFsdd();
    } catch (error) {
      if (!AppliedMLError.hasCode(error, 'E_DATASET_MISSING')) throw error;
      out('(APPLIEDML_DATA_DIR has no fsdd/recordings; using the synthetic default)');
    }
  }
  out('No FSDD found: using the embedded offline default, SYNTHETIC spoken digits made with mespeak (eSpeak voices).');
  return loadSynthetic(...synthSize(preset));
}

function synthSize(preset: Preset): [number, number, number] {
  return preset === 'quick' ? [8, 2, 2] : [16, 4, 3];
}

export function confusionTable(m: SpeechMetrics): string {
  const t = new Table({ head: ['true \\ heard', ...m.labels], style: { head: [], border: [] } });
  m.confusion.forEach((row, i) => t.push([m.labels[i] as string, ...row.map((v) => (v === 0 ? '·' : String(v)))]));
  return t.toString();
}

/** `signal` (Ctrl-C, stopOnSignals) stops the training after its current step: E_ABORTED, the model disposed. */
async function train(
  data: DemoData,
  preset: Preset,
  device: Device | undefined,
  signal: AbortSignal,
): Promise<{ model: SpeechRecognizer; seconds: number }> {
  const { SpeechRecognizer } = await import('@appliedml/speech');
  const model = SpeechRecognizer.create(presetFor(preset));
  const started = performance.now();
  try {
    await model.train(data.train, { ...(device ? { device } : {}), progress: 'auto', signal });
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, seconds: (performance.now() - started) / 1000 };
}

/** Four test words joined with pauses: the digit-string mode's input. */
async function digitString(samples: DemoData['samples'], rate: number): Promise<{ wav: Uint8Array; truth: string }> {
  const { decodeWav, encodeWav } = await import('@appliedml/speech');
  const picked = samples.slice(0, 4);
  const gap = new Float32Array(Math.round(0.35 * rate));
  const parts: Float32Array[] = [gap];
  for (const s of picked) parts.push(decodeWav(s.wav, { targetSampleRate: rate }).samples, gap);
  const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (joined.set(p, at), at + p.length), 0);
  return { wav: encodeWav(joined, rate), truth: picked.map((s) => s.label).join('') };
}

async function demo(preset: Preset, reportFile: string, device: Device | undefined, signal: AbortSignal): Promise<void> {
  const data = await loadData(undefined, preset);
  out(`\n${data.name}: ${data.train.length} train / ${data.test.length} test — ${data.note}`);
  out(`training (${preset} preset; full-quality runs are in the bench: npm run bench -w @appliedml/speech) …`);
  const { model, seconds } = await train(data, preset, device, signal);
  try {
    await demoReport(data, preset, reportFile, model, seconds, signal);
  } finally {
    model.dispose();
  }
}

async function demoReport(
  data: DemoData,
  preset: Preset,
  reportFile: string,
  model: SpeechRecognizer,
  seconds: number,
  signal: AbortSignal,
): Promise<void> {
  const { writeOutputFile } = await import('@appliedml/demo-kit');
  const { featurePictures, pngDataUrl } = await import('./pictures');
  const { htmlReport } = await import('./report');
  const metrics = await model.evaluate(data.test);
  out(
    `\naccuracy ${pct(metrics.accuracy)}, macro F1 ${pct(metrics.macroF1)} on ${metrics.n} test recordings (trained in ${seconds.toFixed(1)} s)`,
  );
  if (data.name === 'fsdd') {
    out(referenceLine(pct));
  }
  out(confusionTable(metrics));
  const seq = await digitString(data.samples, model.sampleRate);
  const heard = await model.recognizeSequence(seq.wav);
  out(
    `\ndigit string: said ${seq.truth}, heard ${heard.text || '(nothing)'} (${heard.words.map((w) => `${w.label}@${w.startSeconds.toFixed(2)}s`).join(' ')})`,
  );
  const pictures = [];
  for (const s of data.samples.slice(0, 10)) {
    const r = await model.recognize(s.wav);
    const p = await featurePictures(s.wav, model.sampleRate);
    pictures.push({ label: s.label, predicted: r.label, mfcc: pngDataUrl(p.mfcc), logMel: pngDataUrl(p.logMel) });
  }
  signal.throwIfAborted();
  await writeOutputFile(
    reportFile,
    htmlReport({
      title: `appliedml speech — ${data.name}`,
      note: data.note,
      model: `cnn (${preset} preset)`,
      trainSeconds: seconds,
      metrics,
      reference: data.name === 'fsdd' ? FSDD_REFERENCE : [],
      pictures,
      sequence: { truth: seq.truth, heard: heard.text },
    }),
  );
  out(`\nHTML report (confusion matrix, MFCC pictures): ${resolve(reportFile)}`);
}

function parsedArgs() {
  return parseCliArgs(
    {
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        // No defaults here: a flag's presence tells whether the user gave it (checkCommandFlags); the
        // defaults are applied where the flags are read.
        preset: { type: 'string' },
        out: { type: 'string' },
        bundle: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        workers: { type: 'string' },
        report: { type: 'string' },
        sequence: { type: 'boolean' },
        device: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    USAGE,
  );
}

const COMMANDS = ['demo', 'train', 'evaluate', 'recognize', 'serve'] as const;

/** How many arguments after the command each command reads (recognize: the file). */
const COMMAND_POSITIONALS: Readonly<Record<string, number>> = { demo: 0, train: 0, evaluate: 0, recognize: 1, serve: 0 };

/** Flags that some commands only read: the others took them without a word (`evaluate --sequence --port 1`). */
const COMMAND_FLAGS: Readonly<Record<string, readonly string[]>> = {
  data: ['train', 'evaluate'],
  preset: ['demo', 'train', 'evaluate'],
  out: ['train'],
  bundle: ['evaluate', 'recognize', 'serve'],
  port: ['serve'],
  host: ['serve'],
  workers: ['serve'],
  report: ['demo'],
  sequence: ['recognize'],
};

/**
 * Arguments past what the command reads, and flags of another command: E_INPUT_INVALID naming them
 * (`recognize a.wav b.wav` answered for a.wav alone, without a word about b.wav).
 */
function checkCommandArgs(command: string, positionals: readonly string[], values: Record<string, unknown>): void {
  if (!(COMMANDS as readonly string[]).includes(command)) return;
  const takes = COMMAND_POSITIONALS[command] ?? 0;
  const extra = positionals.slice(1 + takes);
  if (extra.length > 0)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `'${command}' takes ${takes === 0 ? 'no further arguments' : 'one file'}; ${takes === 0 ? 'got' : 'also got'} ${andList(extra.map((p) => `'${p}'`))}. One ${takes === 0 ? 'command' : 'file'} at a time: speech-demo <command> [options].`,
      { details: { command, extra: [...extra] } },
    );
  for (const [flag, readers] of Object.entries(COMMAND_FLAGS)) {
    if (values[flag] === undefined || readers.includes(command)) continue;
    const list = andList(readers);
    throw new AppliedMLError('E_INPUT_INVALID', `--${flag} applies to ${list} only: ${command} does not read it. Leave --${flag} out.`, {
      details: { field: flag, command },
    });
  }
}

async function main(): Promise<void> {
  useInvocationDir(); // paths are relative to where the command was typed, also under npm run -w
  const { positionals, values } = parsedArgs();
  const command = positionals[0];
  if (values.device !== undefined) checkDevice(values.device, '--device');
  if (values.data !== undefined && values.data !== 'synthetic' && values.data !== 'fsdd')
    throw new AppliedMLError('E_INPUT_INVALID', `--data must be synthetic or fsdd (got '${values.data}').`);
  const device = values.device as Device | undefined;
  const preset = (values.preset ?? 'quick') as Preset;
  if (preset !== 'quick' && preset !== 'full') throw new AppliedMLError('E_INPUT_INVALID', '--preset must be quick or full.');
  if (values.help || !command) return out(USAGE);
  checkCommandArgs(command, positionals, values);
  switch (command) {
    case 'demo': {
      const report = values.report ?? 'reports/speech-demo.html';
      // Ctrl-C stops the training after its current step; no report is written then (stopOnSignals says so).
      return stopOnSignals((signal) => demo(preset, report, device, signal), { output: report });
    }
    case 'train': {
      const dir = values.out ?? 'models/speech-digits';
      // The save's own check before the recordings are read and the model trained (a refusal at save lost the run).
      const { SPEECH_PACKAGE } = await import('@appliedml/speech');
      await checkTrainTarget(dir, { package: SPEECH_PACKAGE });
      // Ctrl-C stops the training after its current step; nothing is saved then (stopOnSignals says so).
      return stopOnSignals(
        async (signal) => {
          const data = await loadData(values.data, preset);
          const { model, seconds } = await train(data, preset, device, signal);
          try {
            const m = await model.evaluate(data.test);
            signal.throwIfAborted();
            await model.save(dir);
            // What it was trained on, beside it: evaluate says it and scores on that data by default.
            const { writeTrainedOn } = await import('./trained-on');
            await writeTrainedOn(dir, data.name === 'fsdd' ? 'fsdd' : 'synthetic');
            out(`${data.name}: test accuracy ${pct(m.accuracy)} in ${seconds.toFixed(1)} s; saved to ${resolve(dir)}`);
          } finally {
            model.dispose();
          }
        },
        { output: dir },
      );
    }
    case 'evaluate': {
      const { SpeechRecognizer } = await import('@appliedml/speech');
      const bundle = requireArg(values.bundle, '--bundle');
      const model = await SpeechRecognizer.load(bundle, device ? { device } : {});
      // What the model was trained on (train records it beside the bundle), and by default that data: an
      // FSDD model without the data fell back to synthetic digits (90 %), with no word of either.
      const { readTrainedOn, TRAINED_ON_FILE, TRAINING_DATA_NAMES } = await import('./trained-on');
      const record = await readTrainedOn(bundle);
      // An unreadable record (a FIFO, a link, too large, not train's) is said, and evaluate goes on as without one.
      const trainedOn = typeof record === 'string' ? record : undefined;
      out(
        trainedOn
          ? `model: trained on ${TRAINING_DATA_NAMES[trainedOn]}`
          : typeof record === 'object'
            ? `model: what it was trained on is not known (${TRAINED_ON_FILE} beside the bundle is unreadable: ${record.unreadable})`
            : `model: what it was trained on is not recorded (no ${TRAINED_ON_FILE} beside the bundle; train writes it)`,
      );
      let data: DemoData;
      try {
        data = await loadData(values.data ?? trainedOn, preset);
      } catch (error) {
        if (values.data === undefined && trainedOn === 'fsdd' && AppliedMLError.hasCode(error, 'E_DATASET_MISSING'))
          throw new AppliedMLError(
            error.code,
            `${error.message} (The model was trained on FSDD; --data synthetic scores it on synthetic digits instead.)`,
            {
              cause: error,
              details: error.details,
            },
          );
        throw error;
      }
      const on: TrainingData = data.name === 'fsdd' ? 'fsdd' : 'synthetic';
      if (trainedOn !== undefined && on !== trainedOn)
        out(
          `warning: the model was trained on ${TRAINING_DATA_NAMES[trainedOn]} and is scored on ${TRAINING_DATA_NAMES[on]}: the accuracy below says how it carries over to other recordings, not how well it learned its own.`,
        );
      const m = await model.evaluate(data.test);
      out(`${data.name}: accuracy ${pct(m.accuracy)}, macro F1 ${pct(m.macroF1)} on ${m.n} recordings`);
      out(confusionTable(m));
      return;
    }
    case 'recognize': {
      const file = requireArg(positionals[1], '<file.wav>');
      const { SpeechRecognizer } = await import('@appliedml/speech');
      const model = await SpeechRecognizer.load(requireArg(values.bundle, '--bundle'), device ? { device } : {});
      // The recogniser reads the path itself: it refuses a directory, FIFO or device before opening it,
      // checks the size against the 600 s limit before reading, and names the file in every error.
      if (values.sequence) {
        const s = await model.recognizeSequence(file);
        out(
          `${s.text || '(no words)'}  ${s.words.map((w) => `${w.label} ${w.startSeconds.toFixed(2)}–${w.endSeconds.toFixed(2)} s (${pct(w.score)})`).join(', ')}`,
        );
      } else {
        const r = await model.recognize(file);
        const top = Object.entries(r.scores)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3);
        out(`${r.label}  ${top.map(([l, p]) => `${l} ${pct(p)}`).join('  ')}  (${r.timing.totalMs.toFixed(1)} ms)`);
        // A digit string read as one word got one label and no hint: the words --sequence finds, when several.
        // Counted as the service counts them (voiced segments, no inference; a breath is not a word), and
        // recognised as a sequence only then (it ran on every recognize: twice the inference).
        const { decodeWav } = await import('@appliedml/speech');
        const { wordsIn } = await import('./words');
        const decoded = decodeWav(new Uint8Array(await readFile(file)));
        const words = wordsIn(decoded.samples, decoded.sampleRate);
        if (words > 1) {
          const s = await model.recognizeSequence(file);
          out(
            `This recording seems to hold ${words} words separated by pauses, read here as one; recognize --sequence reads them (${s.text}).`,
          );
        }
      }
      return;
    }
    case 'serve': {
      const bundle = requireArg(values.bundle, '--bundle');
      const port = intFlag(values.port ?? '8080', 'port', { min: 0, max: 65535 }) as number;
      const workers = intFlag(values.workers ?? '1', 'workers', { min: 0, max: 64 }) as number;
      const { closeOnSignals } = await import('@appliedml/demo-kit');
      const { SpeechRecognizer } = await import('@appliedml/speech');
      const { createSpeechService, speechWorkerPool, warmedInProcess } = await import('./server');
      // The workers start their engines from the environment: --device reaches them through it.
      if (device && workers > 0) process.env.APPLIEDML_DEVICE = device;
      // Listen first: /healthz answers at once and /readyz turns 200 once the model is loaded and warmed
      // up (each worker, or the model here, recognises two synthetic recordings first).
      const loading: Promise<SpeechInference> =
        workers > 0
          ? speechWorkerPool(bundle, { threads: workers })
          : SpeechRecognizer.load(bundle, device ? { device } : {}).then((model) => warmedInProcess(model, { name: bundleName(bundle) }));
      const service = await createSpeechService(loading, { logger: true });
      const { url } = await service.listen({ port, host: values.host ?? '127.0.0.1' });
      closeOnSignals(service, { onSignal: (signal) => out(`${signal}: finishing in-flight requests, then exiting`) });
      out(`listening on ${url}/  (POST /recognize with WAV bytes; OpenAPI page at ${url}/docs)`);
      try {
        await loading;
      } catch (error) {
        await service.close();
        throw error;
      }
      out(
        `model loaded from ${resolve(bundle)} (${workers > 0 ? `${workers} worker thread${workers === 1 ? '' : 's'}` : 'in this process'}); ready`,
      );
      return;
    }
    default:
      // Said as an error (the other demo CLIs' form), not the usage alone on stdout as if asked for.
      throw new AppliedMLError('E_INPUT_INVALID', `Unknown command '${command}'.\n\n${USAGE}`);
  }
}

function requireArg(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new AppliedMLError('E_INPUT_INVALID', `${name} is required.`);
  return value;
}

/** Whether this file is the program itself (run directly, or through the package's bin, bin/cli.mjs), not imported by a test. */
function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    const program = realpathSync(entry);
    return [import.meta.url, new URL('../bin/cli.mjs', import.meta.url).href].some((url) => program === realpathSync(fileURLToPath(url)));
  } catch {
    return false;
  }
}

if (isMain()) {
  main().catch((error: unknown) => {
    // A fatal error is printed as an error (the other demo CLIs' form), not as a warning.
    if (AppliedMLError.isInstance(error)) process.stderr.write(`error ${error.code}: ${error.message}\n`);
    else process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
