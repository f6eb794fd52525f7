#!/usr/bin/env -S npx tsx --conditions=@appliedml/source
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
// Light modules only: --help and a refused flag answer without TensorFlow.js (the SDK), Fastify or vega,
// which each command imports when it runs (`await import`).
import { checkTrainTarget, intFlag, parseCliArgs, stopOnSignals, useInvocationDir } from '@appliedml/demo-kit/cli';
import { AppliedMLError } from '@appliedml/engine/errors';
import type { DetectorKind, TimeUnit, Transaction, TransactionScorer } from '@appliedml/fraud';
import type { ProtocolResult } from './protocol';
import type { CurveEntry } from './report';

/** The demo's card stream holds about 0.5 % fraud: the ensemble's `contamination` is set a little above it (docs/fraud.md, Limits). */
const DEMO_CONTAMINATION = 0.01;

/** A share in (0, 1) given as text, or undefined when the flag is absent. */
function shareFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!(n > 0 && n < 1))
    throw new AppliedMLError('E_INPUT_INVALID', `--${name} must be a number between 0 and 1, e.g. 0.01 (got '${value.slice(0, 40)}').`);
  return n;
}

const USAGE = `appliedml fraud demo

usage:
  fraud-demo demo [--full] [--report FILE]      ADBench protocol (3 seeds) on the sets in $APPLIEDML_DATA_DIR/adbench
                                                (quick preset: the 5 small sets, MLP 20 epochs; --full: all 8, adding
                                                campaign, donors and shuttle, MLP 40 epochs) beside the published columns,
                                                then the synthetic card stream; writes an HTML report with ROC/PR curves
  fraud-demo train [--data synthetic|F.jsonl|F.csv] [--detector ecod|iforest|pca|knn|autoencoder|ensemble|mlp|gbt] [--out DIR]
                   [--time-unit ms|s]           numeric timestamps in epoch milliseconds (default) or Unix seconds
                   [--contamination R]          unsupervised: the share of training rows the default threshold flags and the
                                                ensemble's second fit sets aside (default 0.05; set it near your fraud share)
  fraud-demo evaluate --model DIR [--data ...] [--keep-state]   metrics on a labelled stream (card state from empty,
                                                or continuing the saved state with --keep-state)
  fraud-demo evaluate --adbench SET [--detector D]   ADBench protocol (3 seeds) on one set
  fraud-demo score --model DIR [--tx JSON | --data F.jsonl|F.csv]   score one transaction, a file's transactions
                                                (labels not needed) or JSON lines on stdin: one JSON line each
  fraud-demo serve --model DIR [--data ...] [--port 8787] [--host H]   POST /score, GET /alerts, GET / (score a transaction,
                                                alerts, ROC/PR curves on a labelled held-out stream), GET /api/curves.svg; /docs
                   [--save-state | --state DIR]   on SIGTERM / SIGINT save the card state (with the detector) into the
                                                model folder, or DIR; with --state, start from DIR's save when there is one

options: --seed N`;

const QUICK_SETS = ['thyroid', 'cardio', 'annthyroid', 'mammography', 'satimage-2'];

function out(text = ''): void {
  process.stdout.write(`${text}\n`);
}

const pct = (v: number): string => v.toFixed(2);

async function demo(full: boolean, reportPath: string, signal: AbortSignal): Promise<void> {
  const { default: Table } = await import('cli-table3');
  const { writeOutputFile } = await import('@appliedml/demo-kit');
  const { averagePrecision, dataDirFromEnv, rocAuc } = await import('@appliedml/engine');
  const { ADBENCH_FILES, ADBENCH_SEEDS, SYNTHETIC_NOTICE, TransactionScorer } = await import('@appliedml/fraud');
  const { loadTransactions } = await import('./data');
  const { isSupervised, publishedFor, runProtocol } = await import('./protocol');
  const { htmlTable, renderHtmlReport } = await import('./report');
  const entries: CurveEntry[] = [];
  const notes: string[] = [];
  let tableHtml = '';
  const dataDir = dataDirFromEnv();
  const present = Object.entries(ADBENCH_FILES)
    .filter(([, f]) => dataDir !== undefined && existsSync(join(dataDir, 'adbench', f)))
    .map(([n]) => n);
  const sets = full ? present : present.filter((s) => QUICK_SETS.includes(s));
  if (sets.length > 0) {
    const seeds = [...ADBENCH_SEEDS];
    out(
      `ADBench protocol on the paper's own rows (its generator's seeds ${seeds.join(',')}: stratified 70/30 after a 10,000-row subsample of larger sets; unsupervised detectors never see labels) on ${sets.join(', ')}${
        full
          ? ''
          : ` (quick preset; --full also runs ${Object.keys(ADBENCH_FILES)
              .filter((s) => !QUICK_SETS.includes(s))
              .join(', ')} and trains the MLP for 40 epochs instead of 20)`
      }.`,
    );
    const head = ['set', 'ECOD', 'IForest', 'ensemble', 'best published unsup.', 'MLP (labels)', 'GBT (labels)', 'published CatB'];
    const table = new Table({ head });
    const rows: Array<Array<string | number>> = [];
    for (const set of sets) {
      const r: Partial<Record<DetectorKind, ProtocolResult>> = {};
      for (const d of ['ecod', 'iforest', 'ensemble', 'mlp', 'gbt'] as DetectorKind[]) {
        r[d] = await runProtocol(set, d, seeds, { mlpEpochs: full ? 40 : 20, signal });
        process.stderr.write('.');
      }
      const cell = (d: DetectorKind): string => `${pct(r[d]?.aucroc ?? NaN)} / ${pct(r[d]?.aucpr ?? NaN)}`;
      const row = [
        set,
        cell('ecod'),
        cell('iforest'),
        cell('ensemble'),
        publishedFor(set, false),
        cell('mlp'),
        cell('gbt'),
        publishedFor(set, true),
      ];
      table.push(row);
      rows.push(row);
      if (r.ensemble) entries.push(r.ensemble.curve);
      if (r.gbt) entries.push(r.gbt.curve);
    }
    process.stderr.write('\n');
    out('AUCROC / AUCPR (%), ours beside the paper:');
    out(table.toString());
    tableHtml += `<h2>ADBench (AUCROC / AUCPR %)</h2>${htmlTable(head, rows)}`;
  } else {
    const msg = 'No ADBench sets under $APPLIEDML_DATA_DIR/adbench: skipping the benchmark, using the embedded synthetic default only.';
    out(msg);
    notes.push(msg);
  }
  out(`\n${SYNTHETIC_NOTICE}`);
  notes.push(SYNTHETIC_NOTICE);
  const data = await loadTransactions('synthetic');
  const cut = Math.floor(data.txs.length * 0.7);
  const labels = data.labels ?? [];
  const stream = new Table({ head: ['detector', 'labels used', 'AUCROC', 'AUCPR', 'precision@k', 'recall@1% FPR'] });
  const srows: Array<Array<string | number>> = [];
  let example: TransactionScorer | undefined;
  for (const d of ['ensemble', 'mlp', 'gbt'] as DetectorKind[]) {
    // The unsupervised ensemble with `contamination` a little above the stream's fraud share (about 0.5 %), as
    // docs/fraud.md advises: its second fit sets that share of training rows aside.
    const scorer = TransactionScorer.create({ detector: { detector: d, mlp: { epochs: 15 }, contamination: DEMO_CONTAMINATION } });
    try {
      await scorer.train(data.txs.slice(0, cut), { ...(isSupervised(d) ? { labels: labels.slice(0, cut) } : {}), signal });
    } catch (error) {
      scorer.dispose();
      example?.dispose();
      throw error;
    }
    const ev = await scorer.evaluate(data.txs.slice(cut), labels.slice(cut));
    const row = [
      d,
      isSupervised(d) ? 'yes' : 'no',
      pct(ev.aucroc * 100),
      pct(ev.aucpr * 100),
      pct(ev.precisionAtK * 100),
      pct(ev.recallAt1PctFpr * 100),
    ];
    stream.push(row);
    srows.push(row);
    if (d === 'ensemble') example = scorer;
    else scorer.dispose();
  }
  out(
    `Card stream: ${data.txs.length} transactions, ${labels.filter((l) => l === 1).length} fraudulent; trained on the first 70% by time, scored on the rest in order (the ensemble with contamination ${DEMO_CONTAMINATION}, a little above the stream's 0.5 % fraud).`,
  );
  out(stream.toString());
  tableHtml += `<h2>Synthetic card stream (%)</h2>${htmlTable(['detector', 'labels used', 'AUCROC', 'AUCPR', 'precision@k', 'recall@1% FPR'], srows)}`;
  if (example) {
    // Example alerts with reasons, on a fresh replay.
    const scorer = TransactionScorer.create({ detector: { contamination: DEMO_CONTAMINATION } });
    try {
      await scorer.train(data.txs.slice(0, cut), { signal });
    } catch (error) {
      scorer.dispose();
      example.dispose();
      throw error;
    }
    const scores = await scorer.scoreAll(data.txs.slice(cut));
    const alerts = scores
      .map((s, i) => ({ s, tx: data.txs[cut + i] as Transaction, label: labels[cut + i] }))
      .filter((a) => a.s.isFraud)
      .sort((a, b) => b.s.score - a.s.score)
      .slice(0, 5);
    out('\nTop alerts (ensemble, no labels):');
    for (const a of alerts)
      out(
        `  ${a.tx.card} ${a.tx.amount.toFixed(2)} ${a.label === 1 ? '[fraud]' : '[normal]'} score ${a.s.score.toFixed(2)}: ${a.s.reasons.map((r) => r.text).join('; ')}`,
      );
    entries.push({
      title: 'synthetic stream · ensemble',
      labels: labels.slice(cut),
      scores: scores.map((s) => s.score),
      aucroc: NaN,
      aucpr: NaN,
    });
    scorer.dispose();
    example.dispose();
  }
  const last = entries[entries.length - 1];
  if (last && Number.isNaN(last.aucroc)) {
    last.aucroc = rocAuc(last.labels, last.scores);
    last.aucpr = averagePrecision(last.labels, last.scores);
  }
  signal.throwIfAborted();
  await writeOutputFile(reportPath, renderHtmlReport('appliedml fraud demo', notes, tableHtml, entries));
  out(`\nHTML report with ROC and PR curves: ${reportPath}`);
}

/**
 * The served page's curves: a second copy of the saved model scores a labelled held-out stream (a
 * new synthetic stream, or --data) from empty card state, so the served scorer's state is untouched.
 */
async function servedCurves(model: string, spec: string, seed: number, timeUnit: TimeUnit): Promise<CurveEntry | undefined> {
  const { TransactionScorer } = await import('@appliedml/fraud');
  const { loadTransactions } = await import('./data');
  const { heldOutCurves } = await import('./curves');
  const data = await loadTransactions(spec, seed, timeUnit);
  if (!data.labels || !data.labels.includes(1) || !data.labels.includes(0)) {
    out('The --data stream has no labels of both kinds: the page shows no ROC/PR curves.');
    return undefined;
  }
  const copy = await TransactionScorer.load(model);
  try {
    const title = data.synthetic ? `a new synthetic stream (seed ${seed})` : basename(spec);
    return await heldOutCurves(copy, data.txs, data.labels, title);
  } finally {
    copy.dispose();
  }
}

async function main(): Promise<void> {
  useInvocationDir(); // paths are relative to where the command was typed, also under npm run -w
  const { values, positionals } = parseCliArgs(
    {
      allowPositionals: true,
      options: {
        full: { type: 'boolean', default: false },
        report: { type: 'string', default: 'reports/fraud-demo.html' },
        // No default here: score reads stdin without --data, the other commands the synthetic stream.
        data: { type: 'string' },
        detector: { type: 'string', default: 'ensemble' },
        out: { type: 'string', default: 'models/fraud' },
        model: { type: 'string' },
        adbench: { type: 'string' },
        tx: { type: 'string' },
        port: { type: 'string', default: '8787' },
        host: { type: 'string' },
        seed: { type: 'string', default: '0' },
        'keep-state': { type: 'boolean', default: false },
        'save-state': { type: 'boolean', default: false },
        state: { type: 'string' },
        'time-unit': { type: 'string', default: 'ms' },
        contamination: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    USAGE,
  );
  const command = positionals[0];
  const data = values.data ?? 'synthetic';
  const detector = values.detector as DetectorKind;
  if (values.help || !command) return out(USAGE);
  // Seeds up to 2^31 - 2, so seed + 1 (a new stream for evaluate / serve) stays a valid seed.
  const seed = intFlag(values.seed, 'seed', { min: 0, max: 2 ** 31 - 2 }) as number;
  // Ctrl-C stops the training after its current step; nothing is written or saved then (stopOnSignals says so).
  if (command === 'demo') {
    const report = resolve(values.report);
    return stopOnSignals((signal) => demo(values.full, report, signal), { output: report });
  }
  if (command === 'train') {
    // The scorer first: it checks --time-unit, which says how the file's epoch numbers are read.
    const contamination = shareFlag(values.contamination, 'contamination');
    const { consoleLogger } = await import('@appliedml/engine');
    const { TransactionScorer, scorerSaveMarker } = await import('@appliedml/fraud');
    const { loadTransactions, writeTrainedOn } = await import('./data');
    const { isSupervised } = await import('./protocol');
    const scorer = TransactionScorer.create({
      detector: { detector, seed, ...(contamination === undefined ? {} : { contamination }) },
      features: { timeUnit: values['time-unit'] as TimeUnit },
    });
    try {
      // The save's own check before the data is read and the detector trained (a refusal at save lost the
      // run), with the save's own marker: its stream.json must be a scorer save's, not any file of that name.
      await checkTrainTarget(values.out, { marker: scorerSaveMarker() });
      // Ctrl-C stops the training after its current step; nothing is saved then (stopOnSignals says so).
      await stopOnSignals(
        async (signal) => {
          const stream = await loadTransactions(data, seed, scorer.timeUnit);
          if (stream.synthetic) out(stream.source);
          const report = await scorer.train(stream.txs, {
            ...(isSupervised(detector) && stream.labels ? { labels: stream.labels } : {}),
            logger: consoleLogger(),
            signal,
          });
          signal.throwIfAborted();
          await scorer.save(values.out);
          await writeTrainedOn(values.out, stream.synthetic);
          out(
            `trained ${report.detector} on ${report.rows} transactions (${report.features} features) in ${report.seconds.toFixed(2)} s; threshold ${report.threshold.toFixed(4)}; saved to ${values.out}`,
          );
        },
        { output: values.out },
      );
    } finally {
      scorer.dispose();
    }
    return;
  }
  if (command === 'evaluate' && values.adbench) {
    const { ADBENCH_SEEDS } = await import('@appliedml/fraud');
    const { isSupervised, publishedFor, runProtocol } = await import('./protocol');
    const r = await runProtocol(values.adbench, detector, [...ADBENCH_SEEDS]);
    out(
      `${values.adbench} ${detector}: AUCROC ${pct(r.aucroc)}, AUCPR ${pct(r.aucpr)} (mean of the paper's 3 seeds, on its rows); published ${publishedFor(values.adbench, isSupervised(detector))}`,
    );
    return;
  }
  if (!['evaluate', 'score', 'serve'].includes(command))
    throw new AppliedMLError('E_INPUT_INVALID', `Unknown command '${command}'.\n\n${USAGE}`);
  if (!values.model) throw new AppliedMLError('E_INPUT_INVALID', `${command} needs --model DIR (train one first).\n\n${USAGE}`);
  if (command === 'score' && values.tx !== undefined && values.data !== undefined)
    throw new AppliedMLError('E_INPUT_INVALID', 'score takes --tx (one transaction) or --data (a file), not both.', {
      details: { reason: 'tx-and-data' },
    });
  if (command !== 'serve' && (values['save-state'] || values.state !== undefined))
    throw new AppliedMLError('E_INPUT_INVALID', `--save-state and --state are serve's options (${command} keeps no served state).`, {
      details: { reason: 'serve-only-option' },
    });
  const { TransactionScorer } = await import('@appliedml/fraud');
  const { loadTransactions, readTransactionRow, trainedOnSynthetic } = await import('./data');
  const { loadServedScorer, saveServedState, servedStateDir } = await import('./served-state');
  // serve --state DIR starts from DIR's save (the card state of its last run) when there is one.
  const stateDir = servedStateDir(values.model, { saveState: values['save-state'], state: values.state });
  const { scorer, from } =
    command === 'serve'
      ? await loadServedScorer(values.model, stateDir)
      : { scorer: await TransactionScorer.load(values.model), from: values.model };
  if (command === 'evaluate') {
    const stream = await loadTransactions(data, seed + 1, scorer.timeUnit);
    if (!stream.labels)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `${stream.source} has no labels: evaluate needs a label (0 or 1) on every transaction, in a 'label' column or field.`,
        { details: { file: stream.source, field: 'label' } },
      );
    // A different stream: its cards are not the saved cards, so start from empty card state unless told otherwise.
    if (!values['keep-state']) await scorer.resetState();
    if (stream.synthetic) out(`${stream.source} (a new stream, seed ${seed + 1})`);
    const ev = await scorer.evaluate(stream.txs, stream.labels);
    out(JSON.stringify(ev, null, 2));
  } else if (command === 'score' && values.data !== undefined) {
    // A file (or the synthetic stream) read and checked as train reads it, scored in time order from the
    // saved card state (as stdin's lines are), one answer per transaction in the file's order.
    const stream = await loadTransactions(values.data, seed + 1, scorer.timeUnit);
    for (const s of await scorer.scoreAll(stream.txs))
      out(JSON.stringify({ score: s.score, decision: s.isFraud ? 'alert' : 'pass', reasons: s.reasons.map((r) => r.text) }));
  } else if (command === 'score') {
    // Each transaction with its place: --tx, or stdin's physical line (1-based, blank lines counted).
    // A terminal on stdin would wait for typed lines with no prompt: say what score takes instead.
    if (values.tx === undefined && process.stdin.isTTY)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        'score needs transactions: --tx \'{"card":…,"amount":…,"timestamp":…}\', --data FILE (.jsonl or .csv) or JSON lines piped to stdin.',
        { details: { reason: 'no-transactions' } },
      );
    const inputs: Array<{ text: string; where: string }> = values.tx
      ? [{ text: values.tx, where: '--tx' }]
      : (await new Response(process.stdin as unknown as ReadableStream).text())
          .replace(/^\uFEFF/, '')
          .split('\n')
          .map((text, i) => ({ text, where: `stdin line ${i + 1}` }))
          .filter((l) => l.text.trim() !== '');
    if (inputs.length === 0)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        'score got no transactions: pass one with --tx \'{"card":…,"amount":…,"timestamp":…}\', a file with --data or JSON lines on stdin.',
        { details: { reason: 'no-transactions' } },
      );
    for (const { text, where } of inputs) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (cause) {
        throw new AppliedMLError('E_INPUT_INVALID', `${where} is not a JSON transaction: ${(cause as Error).message}`, { cause });
      }
      // The same reading and checks as a file's rows (amounts as decimal text, blank merchant / country absent).
      const tx = readTransactionRow(parsed, scorer.timeUnit, where);
      const s = await scorer.score(tx);
      out(JSON.stringify({ score: s.score, decision: s.isFraud ? 'alert' : 'pass', reasons: s.reasons.map((r) => r.text) }));
    }
  } else if (command === 'serve') {
    const { closeOnSignals } = await import('@appliedml/demo-kit');
    const { createFraudService } = await import('./server');
    const port = intFlag(values.port, 'port', { min: 0, max: 65535 }) as number;
    const curves = await servedCurves(values.model, data, seed + 1, scorer.timeUnit);
    const service = await createFraudService(scorer, {
      logger: true,
      // The page says SYNTHETIC when `train` recorded the generated stream beside the model.
      synthetic: await trainedOnSynthetic(values.model),
      ...(curves ? { curves } : {}),
      // Saving the card state, the scorer is disposed after the save (below), not when the service closes.
      ...(stateDir === undefined ? { onClose: () => scorer.dispose() } : {}),
    });
    const { url } = await service.listen({ port, host: values.host ?? '127.0.0.1' });
    let saving = false;
    closeOnSignals(service, {
      onSignal: (signal) => out(`${signal}: finishing in-flight requests, then stopping`),
      // Once the last request is answered, the card state is saved (atomically: a failed or cut-off save
      // leaves the previous one), then the scorer disposed. A second signal while saving stops at once.
      ...(stateDir === undefined
        ? {}
        : {
            exit: (code: number) => {
              if (saving) process.exit(1);
              saving = true;
              saveServedState(scorer, stateDir).then(
                () => {
                  out(`saved the card state to ${stateDir}`);
                  scorer.dispose();
                  process.exit(code);
                },
                (error: unknown) => {
                  const e = error as AppliedMLError;
                  process.stderr.write(`error ${e.code ?? 'E_INTERNAL'}: the card state was not saved: ${e.message}\n`);
                  scorer.dispose();
                  process.exit(1);
                },
              );
            },
          }),
    });
    out(`fraud service on ${url}/ (POST /score; OpenAPI page ${url}/docs)${from === values.model ? '' : `; card state from ${from}`}`);
    return;
  } else throw new AppliedMLError('E_INPUT_INVALID', `Unknown command '${command}'.\n\n${USAGE}`);
  scorer.dispose();
}

main().catch((error: unknown) => {
  if (AppliedMLError.isInstance(error)) process.stderr.write(`error ${error.code}: ${error.message}\n`);
  else process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
