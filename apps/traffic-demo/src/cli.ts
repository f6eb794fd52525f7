#!/usr/bin/env -S npx tsx --conditions=@appliedml/source
import { join } from 'node:path';
// Light modules only: --help and a refused flag answer without TensorFlow.js (the SDK), Fastify or vega,
// which each command imports when it runs (`await import`).
import { andList, checkTrainTarget, intFlag, parseCliArgs, stopOnSignals, useInvocationDir } from '@appliedml/demo-kit/cli';
import { checkDevice, type Device } from '@appliedml/engine/devices';
import { AppliedMLError } from '@appliedml/engine/errors';
import type { TrafficModelKind } from '@appliedml/traffic';
import type { DataChoice, DemoData, FileDataOptions } from './data';
import { warningLogger } from './warnings';
import { cliWording } from './wording';

const USAGE = `appliedml traffic demo — multi-horizon traffic forecasts and incident alerts

usage:
  traffic-demo demo                                   quick preset: baselines, GRU and the graph model, the per-horizon
                                                      table beside the published T-GCN row, and an HTML report with plots
  traffic-demo train [--model ridge|tgcn|gru|lstm|last-value|…] [--epochs N] [--out DIR]   train on the 80 % part, save a bundle
  traffic-demo evaluate --bundle DIR                  per-horizon metrics on the 20 % test part, beside the baselines
  traffic-demo forecast --bundle DIR [--at STEP]      forecast every step ahead from the window ending at STEP
  traffic-demo serve --bundle DIR [--port 8080] [--host H]  web page with the forecast chart of a chosen sensor and live alerts

options: --data auto|los-loop|synthetic|FILE.csv (default auto: Los-loop when APPLIEDML_DATA_DIR has it, else generated data,
         flagged synthetic; evaluate, forecast and serve: the data train recorded beside the bundle, traffic-demo.json),
         --sensors N (train and demo: the first N sensors), --device auto|cuda|cpu|wasm|js,
         --epochs N, --hidden N and --seed N (default 1) (the networks gru, lstm, tgcn: train and demo only)

your own data (--data FILE.csv only: a built-in source refuses these flags; give evaluate / forecast / serve the same flags as train; they take the model's sensors by id):
  wide, one column per sensor:     --timestamp-column time      (or none: one row per step from --start ISO)
  long, one reading per row:       --timestamp-column time --sensor-column station --value-column speed
  --sensor-ids A,B,C (the sensors to read, in this order: a wide file's columns, others left unread, e.g. one holding text;
                    a long file's ids; ids separated by commas, as the file writes them; not with --sensors N),
  --interval MIN (default 5; fractions such as 0.5 for 30-second readings), --time-zone America/Los_Angeles, --time-unit ms|s, --missing-value 0,
  --time-format iso|mdy (default iso; mdy for MM/DD/YYYY HH:mm[:ss] times, as PeMS writes them), --delimiter ';' (or '\\t'; default ','),
  --adjacency FILE.csv (square, sensors in the file's order; default: no road graph), --adjacency-header (its first line names the sensors),
  --adjacency-delimiter ';' (the graph file's separator when it differs from the data's; default: --delimiter)`;

const SUBSET_NOTE =
  'Quick preset on a sensor subset: the published rows are for all 207 sensors; the baselines beside them use the same subset as the models.';

/** The field separators --delimiter takes (a tab given as '\t' or 'tab'). */
const DELIMITERS: readonly string[] = [',', ';', '|', '\t'];

/**
 * Why `kind` cannot be trained on `data`, in the CLI's terms, or undefined when it can: the historical average
 * averages by time of day, and a file read without timestamps or --start has no clock (the SDK refuses it).
 */
function clockNeeded(kind: TrafficModelKind, data: DemoData): string | undefined {
  if (kind !== 'historical-average' || data.series.start !== null) return undefined;
  return (
    "the 'historical-average' model averages by time of day, and this data has no clock (no --timestamp-column, no --start). " +
    'Give --timestamp-column COLUMN (the column holding the times) or, for a file with one row per step and no times, --start ISO (the time of its first row).'
  );
}

/** The flags that read your own CSV (--data FILE.csv) and its road graph: a built-in source has its own. */
const FILE_FLAGS = [
  'timestamp-column',
  'sensor-column',
  'value-column',
  'sensor-ids',
  'start',
  'interval',
  'time-zone',
  'time-unit',
  'time-format',
  'delimiter',
  'missing-value',
  'adjacency',
  'adjacency-header',
  'adjacency-delimiter',
] as const;

/**
 * A built-in source (Los-loop, the generated network) is not read from a CSV: its grid, clock and road graph
 * are its own, and the flags that read a user's file were taken there without a word (a --time-zone the
 * user believed in, a --delimiter that read nothing). Refused, naming them and what they apply to.
 */
function checkFileFlags(data: string, values: Record<string, string | boolean | undefined>): void {
  if (!['auto', 'los-loop', 'synthetic'].includes(data)) return;
  const given = FILE_FLAGS.filter((name) => values[name] !== undefined);
  if (given.length === 0) return;
  const flags = given.map((name) => `--${name}`);
  const list = andList(flags);
  const source =
    data === 'auto'
      ? '--data auto (the default: Los-loop when APPLIEDML_DATA_DIR has it, else the generated network)'
      : data === 'los-loop'
        ? '--data los-loop'
        : '--data synthetic (the generated network)';
  throw new AppliedMLError(
    'E_INPUT_INVALID',
    `${list} ${given.length === 1 ? 'reads' : 'read'} your own CSV (--data FILE.csv) only, and the data is ${source}, a built-in source with its own steps, clock and road graph: give --data FILE.csv or leave ${given.length === 1 ? 'it' : 'them'} out.`,
    { details: { field: given[0], fields: given, data } },
  );
}

/** `--data FILE.csv`'s reading flags as `loadDemoData`'s file options. */
function fileOptions(values: Record<string, string | boolean | undefined>): FileDataOptions {
  const text = (name: string): string | undefined => values[name] as string | undefined;
  const unit = text('time-unit');
  if (unit !== undefined && unit !== 'ms' && unit !== 's')
    throw new AppliedMLError('E_INPUT_INVALID', `--time-unit must be ms or s; got ${unit}.`);
  const format = text('time-format');
  if (format !== undefined && format !== 'iso' && format !== 'mdy')
    throw new AppliedMLError('E_INPUT_INVALID', `--time-format must be iso or mdy; got ${format}.`);
  const missing = text('missing-value');
  const missingValue = missing === undefined ? undefined : Number(missing);
  if (missingValue !== undefined && (missing!.trim() === '' || !Number.isFinite(missingValue)))
    throw new AppliedMLError('E_INPUT_INVALID', `--missing-value must be a number; got ${missing}.`);
  // Minutes as readSeriesCsv takes them: one second (1/60) to a day, 0.5 for a 30-second feed (PeMS).
  const intervalText = text('interval');
  const interval = intervalText === undefined ? undefined : Number(intervalText);
  if (interval !== undefined && (intervalText!.trim() === '' || !(interval >= 1 / 60 && interval <= 1440)))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `--interval must be the minutes between readings, a number in [1/60, 1440] (one second to a day; 0.5 for 30-second readings); got ${intervalText}.`,
    );
  // A tab is hard to type in a shell: '\t' or 'tab' stands for it. Other values ('ab', a quote) were
  // passed on and read the file wrongly or not at all, without a word about the flag.
  const delimiterFlag = (name: 'delimiter' | 'adjacency-delimiter'): string | undefined => {
    const given = text(name);
    const delimiter = given === '\\t' || given === 'tab' ? '\t' : given;
    if (delimiter !== undefined && !DELIMITERS.includes(delimiter))
      throw new AppliedMLError('E_INPUT_INVALID', `--${name} must be one of ',' ';' '|' or a tab ('\\t' or tab); got '${given}'.`, {
        details: { field: name, valid: [...DELIMITERS] },
      });
    return delimiter;
  };
  const delimiter = delimiterFlag('delimiter');
  // The graph is usually exported beside the data, with the same separator: --delimiter reads both
  // files (the graph was read comma-separated whatever it said); --adjacency-delimiter sets the graph's alone.
  const adjacencyDelimiter = delimiterFlag('adjacency-delimiter') ?? delimiter;
  // The graph's own flags read nothing without a graph: refused rather than taken without a word.
  for (const name of ['adjacency-header', 'adjacency-delimiter'] as const)
    if (values[name] !== undefined && text('adjacency') === undefined)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `--${name} reads the --adjacency file, and none was given: give --adjacency FILE.csv or leave --${name} out.`,
        {
          details: { field: name },
        },
      );
  // The SDK's `sensors` list: ids separated by commas (an id is the file's text, numbers included, so the
  // list has a flag of its own: --sensors 3 is a count).
  const idsText = text('sensor-ids');
  const ids = idsText?.split(',').map((id) => id.trim());
  if (ids !== undefined && ids.some((id) => id === ''))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `--sensor-ids must be sensor ids separated by commas (A,B,C), none empty; got '${idsText}'.`,
      { details: { field: 'sensor-ids' } },
    );
  // Flags that read nothing in the file given were taken without a word: --start (the first row's time of
  // a file without timestamps) beside the times of --timestamp-column, and --time-unit / --time-format
  // (how that column's times are written) without it.
  if (text('start') !== undefined && text('timestamp-column') !== undefined)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      "--start is the time of the first row of a file without timestamps, and --timestamp-column gives the file's own times: leave --start out (or --timestamp-column, to read one row per step from --start).",
      { details: { field: 'start' } },
    );
  for (const name of ['time-unit', 'time-format'] as const)
    if (text(name) !== undefined && text('timestamp-column') === undefined)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `--${name} reads the times of the --timestamp-column, and none was given (a file without one is read one row per step, from --start): give --timestamp-column COLUMN or leave --${name} out.`,
        { details: { field: name } },
      );
  const entries: Array<[keyof FileDataOptions, unknown]> = [
    ['sensors', ids],
    ['adjacency', text('adjacency')],
    ['adjacencyHeader', values['adjacency-header'] === true ? true : undefined],
    ['adjacencyDelimiter', adjacencyDelimiter],
    ['intervalMinutes', interval],
    ['start', text('start')],
    ['timestampColumn', text('timestamp-column')],
    ['sensorColumn', text('sensor-column')],
    ['valueColumn', text('value-column')],
    ['timeZone', text('time-zone')],
    ['timeUnit', unit],
    ['timeFormat', format],
    ['delimiter', delimiter],
    ['missingValue', missingValue],
  ];
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined)) as FileDataOptions;
}

/** Flags that some commands only read: the others took them without a word (a forecast 'with --epochs 50'). */
const COMMAND_FLAGS: Readonly<Record<string, readonly string[]>> = {
  model: ['train'],
  epochs: ['train', 'demo'],
  hidden: ['train', 'demo'],
  out: ['train', 'demo'],
  bundle: ['evaluate', 'forecast', 'serve'],
  // The networks' random start: train and demo (evaluate's baselines and a saved model draw nothing).
  seed: ['train', 'demo'],
  at: ['forecast'],
  port: ['serve'],
  host: ['serve'],
};

/** The models trained in epochs with hidden units (the others are solved in closed form or are tables). */
const NETWORKS: readonly string[] = ['gru', 'lstm', 'tgcn'];

/** A flag given to a command that does not read it: E_INPUT_INVALID naming the commands that do. */
async function checkCommandFlags(command: string, values: Record<string, string | boolean | undefined>): Promise<void> {
  const commands = ['demo', 'train', 'evaluate', 'forecast', 'serve'];
  if (!commands.includes(command)) return;
  for (const [flag, readers] of Object.entries(COMMAND_FLAGS)) {
    if (values[flag] === undefined || readers.includes(command)) continue;
    const list = andList(readers);
    throw new AppliedMLError('E_INPUT_INVALID', `--${flag} applies to ${list} only: ${command} does not read it. Leave --${flag} out.`, {
      details: { field: flag, command },
    });
  }
  // train: the epochs, hidden units and random start (seed) of a network; the other models have none.
  if (command !== 'train' || !['epochs', 'hidden', 'seed'].some((flag) => values[flag] !== undefined)) return;
  const kind = (values.model as string | undefined) ?? 'ridge';
  const { MODEL_KINDS } = await import('@appliedml/traffic'); // train loads the SDK anyway
  if (MODEL_KINDS.includes(kind as TrafficModelKind) && !NETWORKS.includes(kind))
    for (const flag of ['epochs', 'hidden', 'seed'])
      if (values[flag] !== undefined)
        throw new AppliedMLError(
          'E_INPUT_INVALID',
          `--${flag} applies to the networks (--model ${NETWORKS.join(', ')}) only: '${kind}' ${
            flag === 'seed' ? 'has no random starting weights' : 'is not trained in epochs and has no hidden units'
          }. Leave --${flag} out.`,
          { details: { field: flag, model: kind } },
        );
}

const DEFAULT_OUT = 'reports/traffic-demo'; // relative to where the command was typed (useInvocationDir)

function out(text = ''): void {
  process.stdout.write(`${text}\n`);
}

async function main(argv: string[]): Promise<void> {
  useInvocationDir(); // paths are relative to where the command was typed, also under npm run -w
  const { positionals, values } = parseCliArgs(
    {
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        epochs: { type: 'string' },
        out: { type: 'string' },
        bundle: { type: 'string' },
        data: { type: 'string', default: 'auto' },
        sensors: { type: 'string' },
        device: { type: 'string' },
        seed: { type: 'string' },
        hidden: { type: 'string' },
        at: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        adjacency: { type: 'string' },
        'adjacency-header': { type: 'boolean' },
        'adjacency-delimiter': { type: 'string' },
        interval: { type: 'string' },
        start: { type: 'string' },
        'timestamp-column': { type: 'string' },
        'sensor-column': { type: 'string' },
        'value-column': { type: 'string' },
        'sensor-ids': { type: 'string' },
        'time-zone': { type: 'string' },
        'time-unit': { type: 'string' },
        'time-format': { type: 'string' },
        delimiter: { type: 'string' },
        'missing-value': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    USAGE,
  );
  const command = positionals[0];
  if (values.help || !command) return out(USAGE);
  // `npm run demo -w @appliedml/traffic-demo -- train …` ran the quick preset with 'train' ignored.
  if (positionals.length > 1)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `'${command}' takes no further arguments; got ${positionals
        .slice(1)
        .map((p) => `'${p}'`)
        .join(', ')}. One command at a time: npx appliedml-traffic-demo <command> [options] (npm run demo runs 'demo').`,
    );
  const data = values.data as DataChoice;
  // A tab-separated export (--delimiter '\t') is often named .tsv or .txt.
  if (!['auto', 'los-loop', 'synthetic'].includes(data) && !/\.(csv|tsv|txt)$/i.test(data))
    throw new AppliedMLError('E_INPUT_INVALID', `--data must be auto, los-loop, synthetic or a .csv (.tsv, .txt) file; got ${data}.`);
  await checkCommandFlags(command, values);
  checkFileFlags(data, values);
  const ownFile = fileOptions(values);
  // evaluate, forecast and serve read the model's own sensors from the data by id: --sensors N was
  // ignored there without a word, and a user believed the model ran on N sensors.
  if (values.sensors !== undefined && ['evaluate', 'forecast', 'serve'].includes(command))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `--sensors applies to train and demo only: ${command} uses the model's own sensors (those it was trained on, taken from the data by id). Leave --sensors out.`,
      { details: { field: 'sensors', command } },
    );
  // Both pick sensors: the first N of the listed ones was not what either flag says.
  if (values.sensors !== undefined && values['sensor-ids'] !== undefined)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      '--sensors N (the first N sensors) and --sensor-ids (the sensors listed) both pick the sensors: give one of them.',
      { details: { field: 'sensor-ids' } },
    );
  if (values.device !== undefined) checkDevice(values.device, '--device');
  const device = values.device as Device | undefined;
  // No parse default: a --seed given where nothing reads it is refused (checkCommandFlags); 1 where one is read.
  const seed = intFlag(values.seed, 'seed', { min: 0 }) ?? 1;
  const num = (v: string | undefined, name: string): number | undefined => intFlag(v, name, { min: 0 });
  // The SDK's warnings (data read once every few steps, steps ahead no window observed, a device setting
  // ignored) reach the user on stderr, naming the CLI's flags; its info and debug lines do not. The data's
  // note already gives the --interval for readings once every few steps: the SDK's warning about that
  // stride would repeat it.
  let strideNoted: number | undefined;
  const rewrite = (message: string, fields: Record<string, unknown> | undefined): string | undefined =>
    fields?.readingStride !== undefined && fields.readingStride === strideNoted ? undefined : cliWording(message);
  const loaded = (d: DemoData): DemoData => {
    strideNoted = d.strideNoted;
    return d;
  };
  const logger = warningLogger('traffic-demo', undefined, { rewrite });
  const loadOptions = { ...(device ? { device } : {}), logger };

  switch (command) {
    case 'demo': {
      const reportDir = values.out ?? DEFAULT_OUT;
      // Ctrl-C stops the training after its current step; no report is written then (stopOnSignals says so).
      return stopOnSignals(
        async (signal) => {
          const { loadDemoData } = await import('./data');
          const { runComparison } = await import('./experiment');
          const { replayTest, writeReport } = await import('./report');
          const { horizonTable, MODEL_LABELS } = await import('./render');
          // Quick preset: a few minutes on 2 cores. Full runs (all 207 sensors, more epochs) are `npm run bench -w @appliedml/traffic`.
          const d = loaded(
            await loadDemoData(
              data,
              // The quick preset's 30 sensors, unless --sensor-ids lists the sensors.
              num(values.sensors, 'sensors') ?? (data === 'synthetic' || ownFile.sensors ? undefined : 30),
              process.env,
              ownFile,
              logger,
            ),
          );
          out(d.note);
          if (d.name === 'los-loop' && d.series.sensors.length < 207) out(SUBSET_NOTE);
          // A model the data cannot train (the historical average without a clock) is left out of the table, saying why.
          const models: TrafficModelKind[] = ['last-value', 'window-mean', 'historical-average', 'ridge', 'gru', 'tgcn'];
          const skipped = models.flatMap((kind) => {
            const why = clockNeeded(kind, d);
            return why ? [`Left out of the table: ${MODEL_LABELS[kind] ?? kind}. Not trained: ${why}`] : [];
          });
          const { results, testStart, kept } = await runComparison(d, {
            models: models.filter((kind) => clockNeeded(kind, d) === undefined),
            epochs: num(values.epochs, 'epochs') ?? 15,
            hiddenUnits: num(values.hidden, 'hidden') ?? 32,
            seed,
            progress: true,
            keep: true,
            // Each model trained on the data would repeat the SDK's note about it: said once; the device picked too.
            logger: warningLogger('traffic-demo', undefined, { info: true, rewrite }),
            ...(device ? { device } : {}),
            signal,
          });
          try {
            const table = horizonTable(results, undefined, d.name === 'los-loop');
            out('\nPer-horizon RMSE / MAE on the test part (80/20 chronological split, 12 input steps, steps 1..h pooled as in T-GCN)');
            out(table);
            skipped.forEach((line) => out(line));
            if (d.name === 'los-loop') out('* recalled from the paper, not confirmed; the paper chose its epoch on the test set.');
            const tgcn = kept.get('tgcn')!;
            const replay = await replayTest(tgcn, d, testStart, [0, Math.min(5, d.series.sensors.length - 1)]);
            signal.throwIfAborted();
            const file = await writeReport(reportDir, {
              data: d,
              results,
              replay,
              replayModel: 'T-GCN-style',
              tableText: [table, ...skipped].join('\n'),
            });
            out(`\nIncident alerts raised on the test part: ${replay.events.filter((e) => e.type === 'raised').length}`);
            out(`Report with plots: ${file}`);
          } finally {
            for (const m of kept.values()) m.dispose();
          }
        },
        { output: reportDir },
      );
    }
    case 'train': {
      const { MODEL_KINDS, PACKAGE_NAME, splitSeries, TrafficForecaster } = await import('@appliedml/traffic');
      const { loadDemoData, writeTrainedOn } = await import('./data');
      const { horizonTable } = await import('./render');
      const kind = (values.model ?? 'ridge') as TrafficModelKind;
      if (!MODEL_KINDS.includes(kind)) throw new AppliedMLError('E_INPUT_INVALID', `--model must be one of ${MODEL_KINDS.join(', ')}.`);
      const dir = values.out ?? join(DEFAULT_OUT, `model-${kind}`);
      // The save's own check before the data is read and the model trained (a refusal at save lost the run).
      await checkTrainTarget(dir, { package: PACKAGE_NAME });
      const d = loaded(await loadDemoData(data, num(values.sensors, 'sensors'), process.env, ownFile, logger));
      out(d.note);
      const noClock = clockNeeded(kind, d);
      if (noClock) throw new AppliedMLError('E_INPUT_INVALID', `Cannot train: ${noClock}`, { details: { field: 'start', model: kind } });
      const { train } = splitSeries(d.series, 0.8);
      const model = TrafficForecaster.create({
        model: kind,
        seed,
        ...(values.hidden ? { hiddenUnits: num(values.hidden, 'hidden')! } : {}),
      });
      const epochCount = num(values.epochs, 'epochs') ?? 30;
      // Ctrl-C stops the training after its current step; nothing is saved then (stopOnSignals says so).
      return stopOnSignals(
        async (signal) => {
          try {
            const report = await model.train(train, {
              adjacency: d.adjacency,
              epochs: epochCount,
              progress: 'auto',
              logger,
              ...(device ? { device } : {}),
              signal,
            });
            signal.throwIfAborted();
            await model.save(dir);
            // Beside the bundle: the data it was trained on, which evaluate, forecast and serve read with --data auto.
            await writeTrainedOn(
              dir,
              d,
              FILE_FLAGS.flatMap((name) =>
                values[name] === undefined ? [] : values[name] === true ? [`--${name}`] : [`--${name}`, String(values[name])],
              ),
            );
            // Epochs only for the networks: the ridge is solved in closed form and the baselines are tables.
            const epochs =
              report.epochsRun > 0 ? ` (${report.epochsRun} epoch${report.epochsRun === 1 ? '' : 's'}, best ${report.bestEpoch + 1})` : '';
            out(`trained ${kind} in ${report.seconds.toFixed(1)} s${epochs}; saved to ${dir}`);
            if (report.validation.length > 0)
              out(horizonTable([{ model: kind, horizons: report.validation, trainSeconds: report.seconds }], undefined, false));
          } finally {
            model.dispose();
          }
        },
        { output: dir },
      );
    }
    case 'evaluate': {
      if (!values.bundle) throw new AppliedMLError('E_INPUT_INVALID', 'evaluate needs --bundle DIR.');
      const { splitSeries, TrafficForecaster } = await import('@appliedml/traffic');
      const { checkModelClock, loadModelData } = await import('./data');
      const { runComparison } = await import('./experiment');
      const { horizonTable } = await import('./render');
      const model = await TrafficForecaster.load(values.bundle, loadOptions);
      const d = loaded(await loadModelData(data, values.bundle, model.sensors, process.env, ownFile, logger));
      checkModelClock(model, d);
      out(d.note);
      if (d.name === 'los-loop' && d.series.sensors.length < 207) out(SUBSET_NOTE);
      const { testStart } = splitSeries(d.series, 0.8);
      const own = await model.evaluate(d.series, { fromStep: testStart });
      const baselines = await runComparison(d, {
        models: ['last-value', 'window-mean'],
        epochs: 1,
        hiddenUnits: 8,
        seed: 1, // the baselines draw nothing at random
        progress: false,
        logger,
      });
      out(
        horizonTable(
          [...baselines.results, { model: own.model, horizons: own.horizons, trainSeconds: 0 }],
          undefined,
          d.name === 'los-loop',
        ),
      );
      model.dispose();
      return;
    }
    case 'forecast': {
      if (!values.bundle) throw new AppliedMLError('E_INPUT_INVALID', 'forecast needs --bundle DIR.');
      const { TrafficForecaster } = await import('@appliedml/traffic');
      const { checkModelClock, loadModelData } = await import('./data');
      const { clockTime, forecastTable } = await import('./render');
      const model = await TrafficForecaster.load(values.bundle, loadOptions);
      const d = loaded(await loadModelData(data, values.bundle, model.sensors, process.env, ownFile, logger));
      checkModelClock(model, d);
      const T = model.config.inputSteps;
      const end = num(values.at, 'at') ?? d.series.steps - 1;
      if (end < T - 1 || end >= d.series.steps)
        throw new AppliedMLError('E_INPUT_INVALID', `--at must be in ${T - 1}..${d.series.steps - 1}.`);
      const n = d.series.sensors.length;
      const rows = Array.from({ length: T }, (_, k) => Array.from(d.series.values.subarray((end - T + 1 + k) * n, (end - T + 2 + k) * n)));
      const f = await model.predict({
        values: rows,
        ...(d.series.start !== null ? { end: d.series.start + end * d.series.intervalMinutes * 60_000 } : {}),
      });
      // On the model's clock (with its UTC offset): a model trained on local times was told its forecast in UTC.
      out(`${d.note}\nForecast from ${f.from === null ? `step ${end}` : clockTime(f.from, model.timeZone)}:`);
      if (f.unobserved.length > 0)
        out(`No reading in the input window (values are the model's fallback, not a forecast): ${f.unobserved.join(', ')}`);
      out(
        forecastTable(
          f.sensors,
          f.steps.filter((s) => model.config.horizons.includes(s.stepsAhead)),
        ),
      );
      model.dispose();
      return;
    }
    case 'serve': {
      if (!values.bundle) throw new AppliedMLError('E_INPUT_INVALID', 'serve needs --bundle DIR (train one first).');
      const { closeOnSignals } = await import('@appliedml/demo-kit');
      const { splitSeries, TrafficForecaster } = await import('@appliedml/traffic');
      const { checkModelClock, loadModelData } = await import('./data');
      const { createLiveFeed, createTrafficService } = await import('./server');
      const model = await TrafficForecaster.load(values.bundle, loadOptions);
      const d = loaded(await loadModelData(data, values.bundle, model.sensors, process.env, ownFile, logger));
      checkModelClock(model, d);
      const { testStart } = splitSeries(d.series, 0.8);
      const feed = createLiveFeed(model, d, testStart, {
        onTickError: (error) =>
          process.stderr.write(`live feed tick failed: ${AppliedMLError.isInstance(error) ? error.code : 'E_INTERNAL'}\n`),
      });
      const service = await createTrafficService(feed, d, { logger: true, onClose: () => model.dispose() });
      const { url } = await service.listen({ port: num(values.port, 'port') ?? 8080, host: values.host ?? '127.0.0.1' });
      closeOnSignals(service, { onSignal: (signal) => out(`${signal}: finishing in-flight requests, then stopping`) });
      out(`${d.note}\nReplaying the test part as a live feed: ${url}/  (OpenAPI page ${url}/docs)`);
      return;
    }
    default:
      throw new AppliedMLError('E_INPUT_INVALID', `Unknown command '${command}'.\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // The SDK's errors name its options; the user sets them with flags (cliWording).
  if (AppliedMLError.isInstance(error)) process.stderr.write(`error ${error.code}: ${cliWording(error.message)}\n`);
  else process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
