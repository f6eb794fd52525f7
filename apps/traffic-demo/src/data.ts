import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppliedMLError, type Logger } from '@appliedml/engine';
import { andList, checkInputFile } from '@appliedml/demo-kit';
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
    if (!named) return matchSensors(await loadFileAt(choice, undefined, file, true), sensors);
    return matchSensors(await loadDemoData(choice, sensors.length, env, file, logger), sensors);
  }
  if (!['auto', 'los-loop', 'synthetic'].includes(choice)) {
    // Relative paths are taken from the working directory, which the CLI has moved to where the command
    // was typed (useInvocationDir: `npm run demo` starts in the app's folder).
    return loadFileAt(choice, sensors, file, false);
  }
  const raw = env.APPLIEDML_DATA_DIR?.trim();
  // `npm run demo` runs in the app's folder: a relative APPLIEDML_DATA_DIR is taken from where npm was started.
  const dataDir = raw ? resolve(env.INIT_CWD ?? process.cwd(), raw) : undefined;
  const haveLos =
    dataDir !== undefined && existsSync(join(dataDir, 'los-loop', 'los_speed.csv')) && existsSync(join(dataDir, 'los-loop', 'los_adj.csv'));
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

/** The data's sensors by id in the order of `ids` (a trained model's sensors), with the road graph to match. */
function matchSensors(data: DemoData, ids: readonly string[]): DemoData {
  const have = data.series.sensors;
  if (have.length === ids.length && have.every((id, i) => id === ids[i])) return data;
  const missing = ids.filter((id) => !have.includes(id));
  if (missing.length > 0)
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `The model was trained on sensor(s) ${listIds(missing)} that the data does not have (its sensors: ${listIds(have)}). ` +
        'Give the data the model was trained on, with the same reading flags as train.',
      { details: { missing, sensors: [...have] } },
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
    series,
    adjacency,
    incidents: [],
    ...(stride > 1 ? { strideNoted: stride } : {}),
    note:
      `Your data (${path}): ${n === all ? `${n} sensor${n === 1 ? '' : 's'}` : n === 1 ? `the first of ${all} sensors` : `the first ${n} of ${all} sensors`}${read.sensors ? ' (those --sensor-ids lists)' : ''}, ${series.steps} steps of ${series.intervalMinutes} min` +
      `${series.timeZone ? ` on the ${series.timeZone} clock` : ''}; ${graphNote}.${strideHint}`,
  };
}
