import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppliedMLError, type Logger } from '@appliedml/engine';
import { andList, checkInputFile, printable, readRecordBeside, writeRecordBeside } from '@appliedml/demo-kit';
import { asFlags } from './wording';
import {
  createAdjacency,
  generateTrafficNetwork,
  loadLosLoop,
  readAdjacencyCsv,
  readingStride,
  readSeriesCsv,
  selectSensors,
  subAdjacency,
  type Adjacency,
  type InjectedIncident,
  type ReadSeriesOptions,
  type TrafficSeries,
} from '@appliedml/traffic';

/** A named source, or the path of your own CSV (see `FileDataOptions`). */
export type DataChoice = 'auto' | 'los-loop' | 'synthetic' | (string & {});

/** How to read your own CSV: `readSeriesCsv`'s options (without `intervalMinutes`, which defaults to 5) and a road graph. */
export interface FileDataOptions extends Omit<ReadSeriesOptions, 'intervalMinutes'> {
  intervalMinutes?: number;
  /** A square adjacency CSV over the file's sensors; without it the sensors have no neighbours. */
  adjacency?: string;
  /** The adjacency CSV's first line names the sensors (readAdjacencyCsv's `header: true`). */
  adjacencyHeader?: boolean;
  /** The adjacency CSV's field delimiter (readAdjacencyCsv's `delimiter`; default ','). */
  adjacencyDelimiter?: string;
}

export interface DemoData {
  name: 'los-loop' | 'synthetic' | 'file';
  /** Your own file's absolute path (name 'file'). */
  path?: string;
  series: TrafficSeries;
  adjacency: Adjacency;
  /** Incidents injected into the synthetic network (none for real data). */
  incidents: InjectedIncident[];
  /** One line saying where the data came from. */
  note: string;
  /**
   * The data's sensors read once every `strideNoted` steps (more than 1), which `note` already says with the
   * --interval to pass: the SDK's warning about it at train would repeat that advice.
   */
  strideNoted?: number;
}

/**
 * Los-loop when APPLIEDML_DATA_DIR holds it (or when asked), else the generated network, flagged synthetic.
 * `sensors`: the first N sensors, or a trained model's sensor ids: the data's sensors are then taken by id,
 * in that order (a file that lists its sensors in another order is reordered; one without some of them is refused).
 */
export async function loadDemoData(
  choice: DataChoice,
  sensors: number | readonly string[] | undefined,
  env: NodeJS.ProcessEnv = process.env,
  file: FileDataOptions = {},
  logger?: Logger,
): Promise<DemoData> {
  if (typeof sensors !== 'number' && sensors !== undefined) {
    // A file is read whole (its sensors may come in any order); the named sources give their first N, as at training.
    const named = ['auto', 'los-loop', 'synthetic'].includes(choice);
    const data = named ? await loadDemoData(choice, sensors.length, env, file, logger) : await loadFileAt(choice, undefined, file, true);
    return matchSensors(data, sensors, pickedData(choice, data, env));
  }
  if (!['auto', 'los-loop', 'synthetic'].includes(choice)) {
    // Relative paths are taken from the working directory, which the CLI has moved to where the command
    // was typed (useInvocationDir: `npm run demo` starts in the app's folder).
    return loadFileAt(choice, sensors, file, false);
  }
  const dataDir = dataDirOf(env);
  const haveLos = hasLosLoop(dataDir);
  if (choice === 'los-loop' || (choice === 'auto' && haveLos)) {
    const count = Math.min(sensors ?? 207, 207);
    const { series, adjacency } = await loadLosLoop({
      env,
      ...(dataDir !== undefined ? { dataDir } : {}),
      ...(logger ? { logger } : {}),
      ...(count < 207 ? { sensorIndices: Array.from({ length: count }, (_, i) => i) } : {}),
    });
    return {
      name: 'los-loop',
      series,
      adjacency,
      incidents: [],
      note: `Los-loop (real loop-detector speeds, ${dataDir}/los-loop): ${count === 207 ? 'all 207 sensors' : `the first ${count} of 207 sensors`}, ${series.steps} five-minute steps.`,
    };
  }
  const net = generateTrafficNetwork({ sensors: sensors ?? 24, days: 14, incidents: 10, seed: 2026 });
  return {
    ...net,
    name: 'synthetic',
    note:
      `SYNTHETIC data: a generated road network (${net.series.sensors.length} sensors, 14 days, daily and weekly rhythm, noise, ${net.incidents.length} injected incidents). ` +
      'Set APPLIEDML_DATA_DIR to a directory holding los-loop/ to run on real data.',
  };
}

/** Up to `shown` items, the rest counted ('a, b and 3 more'), joined by the demos' one list joiner. */
const listSome = (items: readonly string[], shown: number): string =>
  andList(items.length <= shown ? items : [...items.slice(0, shown), `${items.length - shown} more`]);

const listIds = (ids: readonly string[]): string =>
  listSome(
    ids.map((id) => `'${id}'`),
    8,
  );

/** APPLIEDML_DATA_DIR as an absolute path, or undefined when it is not set. */
function dataDirOf(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.APPLIEDML_DATA_DIR?.trim();
  // `npm run demo` runs in the app's folder: a relative APPLIEDML_DATA_DIR is taken from where npm was started.
  return raw ? resolve(env.INIT_CWD ?? process.cwd(), raw) : undefined;
}

function hasLosLoop(dataDir: string | undefined): boolean {
  return (
    dataDir !== undefined && existsSync(join(dataDir, 'los-loop', 'los_speed.csv')) && existsSync(join(dataDir, 'los-loop', 'los_adj.csv'))
  );
}

/** Which data `choice` read, and why, in the user's terms: the data a model's sensors were not found in. */
function pickedData(choice: DataChoice, data: DemoData, env: NodeJS.ProcessEnv): string {
  if (data.name === 'file') return `your file ${data.path ?? choice} (--data ${choice})`;
  if (choice !== 'auto') return data.name === 'los-loop' ? 'Los-loop (--data los-loop)' : 'the generated network (--data synthetic)';
  if (data.name === 'los-loop') return `Los-loop (--data auto: APPLIEDML_DATA_DIR ${dataDirOf(env)} holds it)`;
  const dataDir = dataDirOf(env);
  return `SYNTHETIC generated data (--data auto picks it when Los-loop is not in APPLIEDML_DATA_DIR, and ${
    dataDir === undefined ? 'APPLIEDML_DATA_DIR is not set' : `${dataDir} holds no los-loop/`
  })`;
}

/** How to choose the data a model needs: the end of a message saying the data picked is not it. */
const CHOOSE_DATA =
  'Give the data the model was trained on: Los-loop (set APPLIEDML_DATA_DIR to a folder holding los-loop/, or --data los-loop), ' +
  'the generated network (--data synthetic) or your own file (--data FILE.csv, with the same reading flags as train).';

/** The data's sensors by id in the order of `ids` (a trained model's sensors), with the road graph to match. */
function matchSensors(data: DemoData, ids: readonly string[], picked: string): DemoData {
  const have = data.series.sensors;
  if (have.length === ids.length && have.every((id, i) => id === ids[i])) return data;
  const missing = ids.filter((id) => !have.includes(id));
  if (missing.length > 0)
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `The model was trained on sensor(s) ${listIds(missing)} that the data does not have (its sensors: ${listIds(have)}). ` +
        `The data is ${picked}. ${CHOOSE_DATA}`,
      { details: { missing, sensors: [...have], data: data.name } },
    );
  const keep = ids.map((id) => have.indexOf(id));
  return {
    ...data,
    series: selectSensors(data.series, keep),
    adjacency: subAdjacency(data.adjacency, keep),
    note: `${data.note} The model's ${ids.length} sensors are taken from it by id, in the model's order.`,
  };
}

/**
 * A trained model's data read on the model's grid and clock. `forecast` and `serve` hand the model rows
 * and times it cannot check against its own: data read without train's --interval or --time-zone was
 * forecast from (30-second steps taken for 5-minute averages, local times 7 hours off) without a word.
 */
export function checkModelClock(model: { intervalMinutes: number; timeZone: string | undefined }, data: DemoData): void {
  const { intervalMinutes, timeZone } = data.series;
  if (intervalMinutes !== model.intervalMinutes)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `The model was trained on ${model.intervalMinutes}-min steps, but the data was read on ${intervalMinutes}-min steps: give this command train's --interval ${model.intervalMinutes}.`,
      { details: { field: 'intervalMinutes', model: model.intervalMinutes, data: intervalMinutes } },
    );
  if (timeZone !== model.timeZone)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      model.timeZone === undefined
        ? `The model was trained without --time-zone (times in UTC fields), but the data was read on the ${timeZone} clock: leave --time-zone out, as at train.`
        : `The model reads the ${model.timeZone} clock, but the data was read ${timeZone === undefined ? 'without --time-zone' : `on the ${timeZone} clock`}: give this command train's --time-zone ${model.timeZone}.`,
      { details: { field: 'timeZone', model: model.timeZone ?? null, data: timeZone ?? null } },
    );
}

/** loadFileData with the paths taken from the working directory. */
function loadFileAt(choice: string, sensors: number | undefined, file: FileDataOptions, forModel: boolean): Promise<DemoData> {
  const from = process.cwd();
  return loadFileData(
    resolve(from, choice),
    sensors,
    file.adjacency ? { ...file, adjacency: resolve(from, file.adjacency) } : file,
    forModel,
  );
}

/**
 * Your own speeds: a wide (time × sensors) or long (time, sensor, value per row) CSV; the first `sensors` sensors when given.
 * `forModel`: read for a trained model (evaluate, forecast, serve), which keeps the neighbours it found in the graph at
 * train: the graph is not read (a file with more sensors than the graph was refused over a graph nothing uses).
 */
async function loadFileData(path: string, sensors: number | undefined, options: FileDataOptions, forModel = false): Promise<DemoData> {
  if (!existsSync(path))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `--data must be auto, los-loop, synthetic or the path of a CSV file; '${path}' does not exist.`,
      { details: { path } },
    );
  const { adjacency: adjacencyPath, adjacencyHeader, adjacencyDelimiter, intervalMinutes, ...read } = options;
  // A directory or a FIFO given as a file is refused before reading (a FIFO hung the read).
  await checkInputFile(path, 'the --data file');
  const graphPath = forModel ? undefined : adjacencyPath;
  if (graphPath) await checkInputFile(graphPath, 'the --adjacency file');
  let series = await readSeriesCsv(path, { intervalMinutes: intervalMinutes ?? 5, ...read }).catch((error: unknown) => {
    throw asFlags(error);
  });
  const all = series.sensors.length;
  let adjacency = graphPath
    ? await readAdjacencyCsv(graphPath, {
        header: adjacencyHeader ?? false,
        ...(adjacencyDelimiter !== undefined ? { delimiter: adjacencyDelimiter } : {}),
      }).catch((error: unknown) => {
        if (!AppliedMLError.hasCode(error, 'E_INPUT_INVALID') && !AppliedMLError.hasCode(error, 'E_SHAPE_MISMATCH')) throw error;
        // The library names its options; here they are flags. The graph's separator is --adjacency-delimiter
        // (--delimiter sets both files': naming it could break a data file read right).
        const message = error.message
          .replace(/pass header: true\.$/, 'pass --adjacency-header.')
          .replace(/pass delimiter: ('[^']+')\./, 'pass --adjacency-delimiter $1.');
        if (message === error.message) throw error;
        throw new AppliedMLError(error.code, message, { details: error.details, cause: error });
      })
    : createAdjacency(Array.from({ length: all }, (_, i) => Array.from({ length: all }, (_, j) => (i === j ? 1 : 0))));
  // A header names the graph's sensors: matched to the data's by id (the graph's order may differ).
  let reordered = false;
  const ids = adjacency.sensors;
  if (ids) {
    const missing = series.sensors.filter((id) => !ids.includes(id));
    const extra = ids.filter((id) => !series.sensors.includes(id));
    if (missing.length > 0 || extra.length > 0) {
      const list = (a: readonly string[]) => listSome(a, 6);
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `The --adjacency header names other sensors than the data's: ` +
          [missing.length > 0 ? `not in the graph: ${list(missing)}` : '', extra.length > 0 ? `not in the data: ${list(extra)}` : '']
            .filter(Boolean)
            .join('; ') +
          '. Give a graph over the same sensor ids (in any order).',
        { details: { missing: missing.slice(0, 20), extra: extra.slice(0, 20) } },
      );
    }
    reordered = ids.some((id, i) => id !== series.sensors[i]);
    if (reordered)
      adjacency = subAdjacency(
        adjacency,
        series.sensors.map((id) => ids.indexOf(id)),
      );
  }
  if (adjacency.size !== all)
    throw new AppliedMLError('E_SHAPE_MISMATCH', `The adjacency is ${adjacency.size}×${adjacency.size} but the CSV has ${all} sensors.`, {
      details: { adjacency: adjacency.size, sensors: all },
    });
  if (sensors !== undefined && sensors < all) {
    const keep = Array.from({ length: sensors }, (_, i) => i);
    series = selectSensors(series, keep);
    adjacency = subAdjacency(adjacency, keep);
  }
  const n = series.sensors.length;
  const stride = readingStride(series);
  // 3 steps of 0.1 min: 0.3, not 0.30000000000000004.
  const every = Number((stride * series.intervalMinutes).toFixed(9));
  const strideHint =
    stride > 1
      ? ` The sensors read only once every ${stride} steps: every ${every} min, not every ${series.intervalMinutes} (the steps between are missing); ` +
        (forModel
          ? `the model's steps are ${series.intervalMinutes} min (its interval, fixed at train): train it again with --interval ${every}, ` +
            `then give this command the same flag (each step ahead is then ${every} min).`
          : `pass --interval ${every} (each step ahead is then ${every} min).`)
      : '';
  const graphNote = forModel
    ? `each sensor's neighbours are the model's, fixed at train${adjacencyPath ? ' (--adjacency is not read again)' : ''}`
    : graphPath
      ? `road graph ${graphPath}${reordered ? ' (its rows matched to the data by the sensor ids in its header)' : ''}`
      : 'no road graph (--adjacency FILE): every sensor on its own';
  return {
    name: 'file',
    path,
    series,
    adjacency,
    incidents: [],
    ...(stride > 1 ? { strideNoted: stride } : {}),
    note:
      `Your data (${path}): ${n === all ? `${n} sensor${n === 1 ? '' : 's'}` : n === 1 ? `the first of ${all} sensors` : `the first ${n} of ${all} sensors`}${read.sensors ? ' (those --sensor-ids lists)' : ''}, ${series.steps} steps of ${series.intervalMinutes} min` +
      `${series.timeZone ? ` on the ${series.timeZone} clock` : ''}; ${graphNote}.${strideHint}`,
  };
}

/** Beside a bundle `train` saved: the data it was trained on, which `--data auto` reads for evaluate, forecast and serve. */
export const TRAINED_ON_FILE = 'traffic-demo.json';

/** The data a bundle was trained on: a built-in source, or your file (its absolute path and train's reading flags). */
export type TrainedOn = { data: 'los-loop' | 'synthetic' } | { data: 'file'; path: string; flags: string[] };

/** Records beside the bundle in `dir` the data it was trained on (written whole or not at all). */
export async function writeTrainedOn(dir: string, data: DemoData, flags: readonly string[]): Promise<void> {
  const record: TrainedOn = data.name === 'file' ? { data: 'file', path: data.path!, flags: [...flags] } : { data: data.name };
  await writeRecordBeside(dir, TRAINED_ON_FILE, record);
}

/**
 * What the bundle in `dir` was trained on: undefined when unrecorded (no record: a bundle saved before, or
 * otherwise), or `{ unreadable }` saying why the record was not read (a FIFO, a link, a device, larger than
 * 64 KiB, not a record `train` writes). Read as the engine reads a manifest: a regular file
 * only, no link followed, bounded (a FIFO there hung forecast for ever; a link to /dev/zero read ~736 MB).
 */
export async function readTrainedOn(dir: string): Promise<TrainedOn | { unreadable: string } | undefined> {
  const read = await readRecordBeside(dir, TRAINED_ON_FILE);
  if (read === undefined || 'unreadable' in read) return read;
  const { record } = read;
  const notTrains = { unreadable: 'it is not a record train writes' };
  if (typeof record !== 'object' || record === null) return notTrains;
  const { data, path, flags } = record as { data?: unknown; path?: unknown; flags?: unknown };
  if (data === 'los-loop' || data === 'synthetic') return { data };
  if (data === 'file' && typeof path === 'string' && Array.isArray(flags) && flags.every((f) => typeof f === 'string'))
    return { data, path, flags: flags as string[] };
  return notTrains;
}

/** A command-line word as a POSIX shell reads it back: quoted when it holds anything but plain characters. */
const shellWord = (word: string): string => (/^[\w.,:/@%+=-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);

/**
 * The data for the model saved in `bundle` (its `sensors`, by id). With `--data auto` (the default) a bundle
 * whose training data `train` recorded (TRAINED_ON_FILE) reads that source: Los-loop (E_DATASET_MISSING when
 * it is not in APPLIEDML_DATA_DIR, not the generated network, which lacks its sensors), the generated network
 * (also when Los-loop is there), or, for your own file, E_INPUT_INVALID giving the --data and reading flags
 * train had. Any other --data, and a bundle without the record, read as `loadDemoData` does.
 */
export async function loadModelData(
  choice: DataChoice,
  bundle: string,
  sensors: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  file: FileDataOptions = {},
  logger?: Logger,
): Promise<DemoData> {
  const recorded = choice === 'auto' ? await readTrainedOn(bundle) : undefined;
  const record = join(bundle, TRAINED_ON_FILE);
  if (recorded !== undefined && 'unreadable' in recorded)
    logger?.warn(`${record} is unreadable (${recorded.unreadable}): --data auto reads as for a bundle without it.`, {
      path: record,
      reason: recorded.unreadable,
    });
  if (recorded === undefined || 'unreadable' in recorded) return loadDemoData(choice, sensors, env, file, logger);
  if (recorded.data === 'file')
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      // The record's path and flags are shown with control characters escaped: a record is a file anyone may
      // have written, and its text must not move the cursor, recolour the terminal or forge a line.
      `The model was trained on your own file ${printable(recorded.path)} (as ${record} records), and --data auto reads Los-loop or the generated network: ` +
        `give the file with train's reading flags: --data ${printable([recorded.path, ...recorded.flags].map(shellWord).join(' '))}`,
      { details: { field: 'data', trainedOn: 'file', path: recorded.path } },
    );
  if (recorded.data === 'synthetic') {
    const data = await loadDemoData('synthetic', sensors, env, file, logger);
    return {
      ...data,
      note: `${data.note.replace(/ Set APPLIEDML_DATA_DIR .*$/, '')} The model was trained on this generated network (${record}), so --data auto reads it; to run on real data, train a model there.`,
    };
  }
  try {
    return await loadDemoData('los-loop', sensors, env, file, logger);
  } catch (error) {
    if (!AppliedMLError.hasCode(error, 'E_DATASET_MISSING')) throw error;
    const dataDir = dataDirOf(env);
    throw new AppliedMLError(
      'E_DATASET_MISSING',
      `The model was trained on Los-loop (as ${record} records), and Los-loop is not in APPLIEDML_DATA_DIR (${
        dataDir === undefined ? 'not set' : `${dataDir} holds no los-loop/`
      }); the generated network does not have its sensors. Set APPLIEDML_DATA_DIR to a folder holding los-loop/ (los_speed.csv and los_adj.csv).`,
      { details: { dataset: 'los-loop', trainedOn: 'los-loop' }, cause: error },
    );
  }
}
