import {
  checkKnownKeys,
  describeValue,
  AppliedMLError,
  checkDevice,
  checkIntegerOption,
  checkNumberOption,
  checkProgressOption,
  checkSignalOption,
  eventLoopTurns,
  fitModel,
  HOST_BYTE_ORDER,
  hostOrderBytes,
  incompatibleIfNewer,
  unknownBundleParts,
  unknownPartsError,
  initEngine,
  loadBundle,
  predictBatched,
  saveBundle,
  silentLogger,
  tf,
  throwIfAborted,
  TrainTickets,
  type ByteOrder,
  type Device,
  type JsonValue,
  type KnownBundleParts,
  type Logger,
  type LrSchedule,
} from '@appliedml/engine';
import { checkAdjacency, normalizedAdjacency, type Adjacency } from './adjacency';
import {
  baselineForecast,
  baselineForecastWork,
  checkHistoricalAverageSize,
  findImplausibleHistoricalCell,
  fitHistoricalAverageWork,
  historicalAverageOf,
  MAX_HISTORICAL_VALUES,
  slotsPerDay,
  type BaselineKind,
  type HistoricalAverage,
} from './baselines';
import { featureCount } from './features';
import { checkNoHoles } from './option-lists';
import { minutesAhead, scoreHorizon, type HorizonMetrics, type HorizonPooling } from './horizon-metrics';
import { buildModel, maskedLoss, type NeuralKind } from './models';
import { fitScalerWork, stdFloor, type SensorScaler } from './scaler';
import {
  assertEverySensorObserved,
  checkSeriesShape,
  isLocalTimeText,
  MAX_INTERVAL_MINUTES,
  MAX_READING,
  MIN_INTERVAL_MINUTES,
  readingStride,
  sliceUnchecked,
  toFeedTimeMs,
  type TrafficSeries,
} from './series';
import { checkTimeZone, secondPassHint } from './time-zone';
import {
  findImplausibleRidgeWeight,
  fitGraphRidgeWork,
  MAX_SCALED_RIDGE_WEIGHT,
  predictGraphRidge,
  resolveRidgeConfig,
  strongestNeighbours,
  type RidgeConfig,
  type RidgeModel,
} from './ridge';
import { registerTrafficLayers } from './tgcn-layer';
import { assertLongEnough, buildInputs, buildInputsWork, buildTargetsWork, windowStarts } from './windows';
import { runWithTurns, WINDOWS_PER_YIELD, type Turns, type Work } from './work-turns';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

export type TrafficModelKind = BaselineKind | 'ridge' | NeuralKind;
export const MODEL_KINDS: readonly TrafficModelKind[] = [
  'last-value',
  'window-mean',
  'historical-average',
  'seasonal-naive',
  'ridge',
  'gru',
  'lstm',
  'tgcn',
];
const NEURAL: readonly string[] = ['gru', 'lstm', 'tgcn'];
const TASK = 'traffic-forecasting';
/** The call E_ABORTED and E_BUSY name. */
const TRAIN_CALL = 'TrafficForecaster.train';
/** The bundle file of the historical average's tables (float64, `HistoricalAverage.cells`); before, they were JSON in the manifest. */
const HA_FILE = 'ha.f64';

/**
 * The float64s of a bundle file written in `order` (its byte length a multiple of 8), through the
 * engine's `hostOrderBytes`: in this machine's order (`HOST_BYTE_ORDER`, in which `ha.f64` and
 * `ridge.f64` are written and which the manifest records as `preprocessing.byteOrder`), a view of the
 * bytes when `view` and they are aligned (no second copy of up to 400 MB), else a copy; in the other
 * order, a copy with each number's bytes reversed. Bundles from before the field are little-endian:
 * every machine that wrote them was x64 or arm64.
 */
function float64sOf(bytes: Uint8Array, order: ByteOrder, view: boolean): Float64Array {
  const host = hostOrderBytes(bytes, order, 8, { view });
  return new Float64Array(host.buffer, host.byteOffset, host.byteLength / 8);
}

export interface TrafficForecasterConfig {
  /** Default 'ridge' (the graph ridge: reads the adjacency when given; the most accurate and fastest on Los-loop). 'tgcn' needs an adjacency. */
  model?: TrafficModelKind;
  /** Input window in steps (default 12 = 60 min at 5-min steps). */
  inputSteps?: number;
  /** Horizons reported by evaluate, in steps (default [3, 6, 9, 12]); every step up to the largest is forecast. */
  horizons?: number[];
  /** Hidden units of the recurrent models (default 64). */
  hiddenUnits?: number;
  /** Training loss on the scaled change (default 'mae'). */
  loss?: 'mae' | 'mse' | 'huber';
  /** Season length in steps for seasonal naive (default one day). */
  seasonSteps?: number;
  /**
   * Feed the neural models the weekly phase (sin/cos of the position in the week) beside the time of
   * day and the weekend flag (default false). Worth it with many weeks of history: on Los-loop (5.6
   * training days, at most one of each weekday) it cost 0.07 RMSE at 15 min.
   */
  dayOfWeek?: boolean;
  /** The graph ridge's settings (model 'ridge'). */
  ridge?: Partial<RidgeConfig>;
  seed?: number;
}

export interface TrafficTrainOptions {
  /** Road graph for 'tgcn' (sensors in the series' column order). */
  adjacency?: Adjacency;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Learning-rate schedule over the epochs (the engine's: step, exponential, cosine with warm-up, plateau); default constant. */
  lrSchedule?: LrSchedule;
  /** Share of the given series (its end) kept for validation and early stopping (default 0.2). Never the test part. */
  valFraction?: number;
  /**
   * Early-stopping patience in epochs (default 5), the engine's: training stops after patience + 1
   * epochs in a row without a lower validation loss (Keras's `patience` counts that last epoch too).
   */
  patience?: number;
  device?: Device;
  logger?: Logger;
  progress?: boolean | 'auto';
  onEpochEnd?: (epoch: { epoch: number; loss: number; valLoss?: number; seconds: number }) => void;
  /**
   * Stops the train when aborted (an `AbortController`'s signal, or `AbortSignal.timeout(ms)`), every
   * model: an already-aborted signal rejects before any work; otherwise the abort is seen at the next
   * event-loop turn (every ~50 ms of work: fitting the scaler, tables or ridge, building windows, each
   * epoch's steps, the validation pass). `train` then rejects with E_ABORTED (`cause`: the signal's
   * reason), frees what it built and installs nothing: the model is as before the call (a trained one
   * forecasts as it did, an untrained one stays untrained). Anything but an AbortSignal is E_INPUT_INVALID.
   */
  signal?: AbortSignal;
}

export interface TrafficTrainingReport {
  model: TrafficModelKind;
  sensors: number;
  trainWindows: number;
  valWindows: number;
  epochsRun: number;
  bestEpoch: number;
  seconds: number;
  history: { epoch: number; loss: number; valLoss?: number; seconds: number }[];
  /** Per-horizon metrics on the validation steps (the neural models; empty for ridge and the baselines). */
  validation: HorizonMetrics[];
  /**
   * The graph ridge: sensors with no training window that observed some step ahead (listed, 1-based), whose
   * forecast for those steps is their last reading (no weights could be fitted there). Absent when none.
   */
  unfittedSteps?: { sensor: string; stepsAhead: number[] }[];
  /**
   * When every sensor reads only on every k-th step (k > 1): k. The data comes less often than
   * `intervalMinutes` says, the steps between are missing, and each step ahead is 1/k of a reading's
   * spacing; read the series with `intervalMinutes` × k and train again. Absent otherwise.
   */
  readingStride?: number;
}

export interface ForecastInput {
  /**
   * Recent readings, oldest first: at least `inputSteps` rows × sensors (NaN or null = missing: JSON has
   * no NaN, and JSON.stringify writes one as null). Earlier rows feed seasonal naive.
   */
  values: ArrayLike<ArrayLike<number | null>>;
  /** Time of the last row (needed for the time features when the model was trained on a series with a clock). */
  end?: Date | number | string;
}

export interface Forecast {
  sensors: string[];
  /** Time of the last observation the forecast starts from (ISO), when known. */
  from: string | null;
  steps: { stepsAhead: number; minutes: number; time: string | null; values: number[] }[];
  /**
   * Sensors with no reading in the input window (dark, or every reading missing): their values are the
   * model's fallback from training (the sensor's mean or typical level), not a forecast from live data.
   */
  unobserved: string[];
}

export interface EvaluateOptions {
  /** Score only windows whose input starts at or after this step (earlier steps are history, e.g. for seasonal naive). */
  fromStep?: number;
  /** 'cumulative' (default): pool steps 1..h as T-GCN does; 'step': step h only. */
  pooling?: HorizonPooling;
  /** Forecast batch size (default 256). */
  batchSize?: number;
}

export interface TrafficEvaluation {
  model: TrafficModelKind;
  horizons: HorizonMetrics[];
}

interface Fitted {
  sensors: string[];
  intervalMinutes: number;
  clock: boolean;
  scaler: SensorScaler;
  ha: HistoricalAverage | null;
  adjacencyNormalized: boolean;
  ridge?: RidgeModel;
  /** The training series' `missingValue`: readings equal to it are missing in `update` / `predict`. */
  missingValue?: number;
  /** The training series' time zone: the clock of every series and time the model reads. */
  timeZone?: string;
  /** The bundle directory the model was loaded from (for the error when its weights forecast nonsense). */
  bundle?: string;
}

interface ResolvedConfig {
  model: TrafficModelKind;
  inputSteps: number;
  horizons: number[];
  hiddenUnits: number;
  loss: 'mae' | 'mse' | 'huber';
  seasonSteps: number | null;
  dayOfWeek: boolean;
  ridge: RidgeConfig;
  seed: number;
}

function invalid(message: string, details: Record<string, unknown> = {}): never {
  throw new AppliedMLError('E_INPUT_INVALID', message, { details });
}

function positiveInt(value: unknown, name: string, max = 100_000): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    invalid(`${name} must be an integer in 1..${max}; got ${String(value)}.`, { [name]: value });
  return value;
}

function resolveConfig(config: TrafficForecasterConfig): ResolvedConfig {
  const model = config.model ?? 'ridge';
  if (!MODEL_KINDS.includes(model)) invalid(`Unknown model '${String(model)}'. Models: ${MODEL_KINDS.join(', ')}.`, { model });
  const horizons = config.horizons ?? [3, 6, 9, 12];
  if (!Array.isArray(horizons) || horizons.length === 0) invalid('horizons must be a non-empty array of step counts.');
  checkNoHoles('horizons', horizons);
  for (const h of horizons) positiveInt(h, 'horizon', 10_000);
  const loss = config.loss ?? 'mae';
  if (!['mae', 'mse', 'huber'].includes(loss)) invalid(`loss must be 'mae', 'mse' or 'huber'; got '${String(loss)}'.`);
  const dayOfWeek = config.dayOfWeek ?? false;
  if (typeof dayOfWeek !== 'boolean') invalid(`dayOfWeek must be true or false; got ${String(dayOfWeek)}.`, { dayOfWeek });
  return {
    model,
    inputSteps: positiveInt(config.inputSteps ?? 12, 'inputSteps', 10_000),
    horizons: [...new Set(horizons)].sort((a, b) => a - b),
    hiddenUnits: positiveInt(config.hiddenUnits ?? 64, 'hiddenUnits', 4096),
    loss,
    seasonSteps:
      config.seasonSteps === undefined || config.seasonSteps === null ? null : positiveInt(config.seasonSteps, 'seasonSteps', 1_000_000),
    dayOfWeek,
    ridge: resolveRidgeConfig(config.ridge, positiveInt(config.inputSteps ?? 12, 'inputSteps', 10_000)),
    seed: config.seed ?? 1,
  };
}

type LayersModel = ReturnType<typeof tf.sequential>;

/** What this version writes into a bundle besides its config (see `unknownBundleParts`): `save` writes these. */
const KNOWN_BUNDLE_PARTS: KnownBundleParts = {
  preprocessing: {
    intervalMinutes: true,
    clock: true,
    byteOrder: true,
    scaler: ['mean', 'std'],
    ha: ['slotsPerDay', 'file'],
    adjacencyNormalized: true,
    missingValue: true,
    timeZone: true,
    ridge: ['neighbours', 'lambdas', 'features'],
  },
  files: { 'ridge.f64': true, [HA_FILE]: true },
  models: ['main'],
};

/** Every option name, so a misspelt one is refused at `create` (kept in step with the interface by `satisfies`). */
const CONFIG_KEYS = Object.keys({
  model: 1,
  inputSteps: 1,
  horizons: 1,
  hiddenUnits: 1,
  loss: 1,
  seasonSteps: 1,
  dayOfWeek: 1,
  ridge: 1,
  seed: 1,
} satisfies Record<keyof TrafficForecasterConfig, 1>);
const TRAIN_KEYS = Object.keys({
  adjacency: 1,
  epochs: 1,
  batchSize: 1,
  learningRate: 1,
  lrSchedule: 1,
  valFraction: 1,
  patience: 1,
  device: 1,
  logger: 1,
  progress: 1,
  onEpochEnd: 1,
  signal: 1,
} satisfies Record<keyof TrafficTrainOptions, 1>);
const EVALUATE_KEYS = Object.keys({ fromStep: 1, pooling: 1, batchSize: 1 } satisfies Record<keyof EvaluateOptions, 1>);
const LOAD_KEYS = ['device', 'logger'];
const RIDGE_KEYS = Object.keys({ neighbours: 1, neighbourLags: 1, historicalAverage: 1, lambdas: 1 } satisfies Record<
  keyof RidgeConfig,
  1
>);

/**
 * Multi-horizon traffic forecasting with one lifecycle for every model:
 * `create → train → predict / evaluate → save / load → dispose`, plus streaming `update` / `forecast`.
 * Plain numbers in and out; tensors stay inside.
 */
export class TrafficForecaster {
  readonly config: Readonly<ResolvedConfig>;
  private fitted: Fitted | undefined;
  private network: LayersModel | undefined;
  private disposed = false;
  private buffer: Float64Array[] = [];
  private bufferEnd: number | null = null;
  /** Overlapping `train` calls: the model ends as the last-started one left it (the engine's rule). */
  private readonly tickets = new TrainTickets();

  private constructor(config: ResolvedConfig) {
    this.config = config;
  }

  static create(config: TrafficForecasterConfig = {}): TrafficForecaster {
    checkKnownKeys('TrafficForecaster config', config, CONFIG_KEYS);
    checkKnownKeys('ridge', config.ridge, RIDGE_KEYS);
    return new TrafficForecaster(resolveConfig(config));
  }

  /** True once trained or loaded, until `dispose`. */
  get isTrained(): boolean {
    return !this.disposed && this.fitted !== undefined;
  }

  /** Steps forecast ahead (the largest horizon). */
  get outputSteps(): number {
    this.alive();
    return this.maxHorizon;
  }

  /** True for the networks ('gru', 'lstm', 'tgcn'). */
  get isNeural(): boolean {
    this.alive();
    return this.neural;
  }

  // Unguarded versions for the class's own use (a train that settles after `dispose` reads them too).
  private get maxHorizon(): number {
    return this.config.horizons[this.config.horizons.length - 1] as number;
  }

  private get neural(): boolean {
    return NEURAL.includes(this.config.model);
  }

  /** Sensor ids the model was trained on. */
  get sensors(): string[] {
    return [...this.ready().sensors];
  }

  private alive(): void {
    if (this.disposed) throw new AppliedMLError('E_MODEL_DISPOSED', 'This TrafficForecaster was disposed; create or load a new one.');
  }

  private ready(): Fitted {
    this.alive();
    if (!this.fitted) throw new AppliedMLError('E_MODEL_NOT_TRAINED', 'Train or load the forecaster first.');
    return this.fitted;
  }

  private season(intervalMinutes: number): number {
    return this.config.seasonSteps ?? slotsPerDay(intervalMinutes);
  }

  /**
   * E_INPUT_TOO_LARGE when seasonal naive's stream (`streamCapacity`: inputSteps + one season of rows,
   * each a reading per sensor) would hold more than MAX_HISTORICAL_VALUES readings: the same 400 MB as
   * the historical average's tables. For a bundle (`bad` given) it is E_BUNDLE_CORRUPT: training refuses
   * such a model, so its config was changed after (a re-sealed `seasonSteps` of 1,000,000).
   */
  private checkStreamSize(intervalMinutes: number, sensors: number, bad?: (what: string) => never): void {
    const season = this.season(intervalMinutes);
    const rows = this.config.inputSteps + season;
    const values = rows * sensors;
    if (values <= MAX_HISTORICAL_VALUES) return;
    if (bad)
      bad(
        `its 'seasonal-naive' stream would keep inputSteps + one season = ${rows} rows × ${sensors} sensors = ${values} readings, past the ${MAX_HISTORICAL_VALUES} that training allows (its config was changed after training)`,
      );
    const maxRows = Math.floor(MAX_HISTORICAL_VALUES / sensors);
    const shorter =
      this.config.seasonSteps === null
        ? 'a coarser interval (a season is a day of steps)'
        : maxRows > this.config.inputSteps
          ? `a shorter seasonSteps (at most ${maxRows - this.config.inputSteps} for ${sensors} sensors)`
          : 'a shorter seasonSteps';
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `The 'seasonal-naive' model's stream keeps inputSteps + one season = ${rows} rows × ${sensors} sensors = ${values} readings (${Math.round((values * 8) / 1e6)} MB); at most ${MAX_HISTORICAL_VALUES} (${(MAX_HISTORICAL_VALUES * 8) / 1e6} MB). Train with ${shorter} or fewer sensors (at most ${Math.floor(MAX_HISTORICAL_VALUES / rows)}: selectSensors).`,
      { details: { model: 'seasonal-naive', rows, season, sensors, values, max: MAX_HISTORICAL_VALUES } },
    );
  }

  /**
   * Whether the model reads the historical average (its per-slot tables): the baseline itself, seasonal
   * naive (its fallback) and the graph ridge with `historicalAverage`. The others neither fit nor save it.
   */
  private get readsHistoricalAverage(): boolean {
    const { model, ridge } = this.config;
    return model === 'historical-average' || model === 'seasonal-naive' || (model === 'ridge' && ridge.historicalAverage);
  }

  /** Fits scalers and the historical average on `series`, then trains the network (baselines need no training). */
  async train(series: TrafficSeries, options: TrafficTrainOptions = {}): Promise<TrafficTrainingReport> {
    // Overlapping trains: the model ends as the last-started one left it, whatever order they finish in;
    // one still running when a later one installs stops at its next turn (E_BUSY).
    const ticket = this.tickets.start();
    try {
      return await this.trainRun(series, options, ticket);
    } catch (error) {
      // Disposed and aborted both (a service's shutdown does both, in either order): the dispose wins,
      // E_MODEL_DISPOSED as a dispose alone gives (docs/sdk-conventions.md).
      if (this.disposed && AppliedMLError.hasCode(error, 'E_ABORTED'))
        throw new AppliedMLError('E_MODEL_DISPOSED', 'This TrafficForecaster was disposed while it trained; create or load a new one.');
      // Stopped because a later train installed its model: E_BUSY, as at the install.
      throw this.tickets.trainError(error, TRAIN_CALL);
    } finally {
      this.tickets.finish(ticket);
    }
  }

  private async trainRun(series: TrafficSeries, options: TrafficTrainOptions, ticket: number): Promise<TrafficTrainingReport> {
    this.alive();
    // The options first, then an aborted signal, then the series (docs/sdk-conventions.md).
    checkKnownKeys('train options', options, TRAIN_KEYS);
    // The user's signal, and a later train's install: either stops this one at its next turn.
    const signal = this.tickets.trainSignal(ticket, checkSignalOption(options.signal), TRAIN_CALL);
    // The baselines and the ridge never start the engine: the device name is still checked.
    if (options.device !== undefined) checkDevice(options.device);
    const valFraction = options.valFraction ?? 0.2;
    if (!(valFraction >= 0 && valFraction < 1)) invalid(`valFraction must be in [0, 1); got ${valFraction}.`);
    checkIntegerOption('epochs', options.epochs, 1, 10_000);
    checkIntegerOption('batchSize', options.batchSize, 1, 1_000_000);
    checkIntegerOption('patience', options.patience, 0, 10_000);
    checkNumberOption('learningRate', options.learningRate, 0, 10, { open: 'min' });
    // Every model, before anything is fitted: the baselines and the ridge never read it, and the networks
    // read it by its truthiness (progress: 'false' drew a bar).
    checkProgressOption('progress', options.progress);
    if (this.config.model === 'tgcn' && !options.adjacency)
      invalid("The 'tgcn' model needs options.adjacency (a sensors × sensors road graph).");
    // Checked whatever the model (the others do not use it, but a graph of another network is a mistake):
    // NaN / negative weights or a wrong weight count would be ignored by the ridge or make the T-GCN
    // diverge, so they are named here; its size and sensors against the series' are checked with the series.
    if (options.adjacency !== undefined && options.adjacency !== null) checkAdjacency(options.adjacency, 'options.adjacency');
    // Before anything is read: an aborted signal stops the call here.
    throwIfAborted(signal, TRAIN_CALL);
    checkSeriesShape(series, 'The training series');
    const logger = options.logger ?? silentLogger;
    const started = performance.now();
    const { inputSteps: T, model: kind } = this.config;
    const P = this.maxHorizon;
    const n = series.sensors.length;
    assertEverySensorObserved(series, 'The training series');
    const stride = readingStride(series);
    const strideReport: { readingStride?: number } = {};
    if (stride > 1) {
      const every = minutesAhead(stride, series.intervalMinutes);
      strideReport.readingStride = stride;
      logger.warn(
        `The sensors read only once every ${stride} steps: every ${every} min, not every ${series.intervalMinutes} (the steps between are missing). ` +
          `Read the series with intervalMinutes ${every} and train again (each step ahead is then ${every} min).`,
        { readingStride: stride, intervalMinutes: series.intervalMinutes },
      );
    }
    const valSteps = this.neural ? Math.floor(series.steps * valFraction) : 0;
    const fitSteps = series.steps - valSteps;
    assertLongEnough(fitSteps, T, P, 'The training part of the series');
    if (valSteps > 0) assertLongEnough(valSteps + T, T, P, 'The validation part of the series');
    // Without a clock it has no time of day to average by: every forecast was the sensor's training mean.
    if (kind === 'historical-average' && series.start === null)
      invalid(
        "The 'historical-average' model averages by time of day: the series needs a clock (a start time, or timestamps), and this one has none (start: null).",
        { field: 'start' },
      );
    // The graph against the series (its own values are checked with the options).
    if (options.adjacency !== undefined && options.adjacency !== null) {
      if (options.adjacency.size !== n) {
        throw new AppliedMLError(
          'E_SHAPE_MISMATCH',
          `The adjacency is ${options.adjacency.size} × ${options.adjacency.size} but the series has ${n} sensors.`,
          {
            details: { adjacency: options.adjacency.size, sensors: n },
          },
        );
      }
      // A graph that names its sensors (readAdjacencyCsv with header: true) in another order, or other
      // sensors, would be applied by position: links between the wrong sensors.
      const ids = options.adjacency.sensors;
      if (Array.isArray(ids) && ids.length === n && ids.some((id, i) => id !== series.sensors[i])) {
        const missing = series.sensors.filter((id) => !ids.includes(id));
        const detail =
          missing.length === 0
            ? `in another order (the graph: ${listIds(ids)}; the series: ${listIds(series.sensors)}); reorder it with ` +
              `subAdjacency(adjacency, series.sensors.map((id) => adjacency.sensors.indexOf(id)))`
            : `not the series' sensors: ${listIds(missing)} ${missing.length === 1 ? 'is' : 'are'} not in the graph`;
        throw new AppliedMLError('E_INPUT_INVALID', `options.adjacency names its sensors ${detail}.`, {
          details: { missing: missing.slice(0, 20) },
        });
      }
    }
    // What the model keeps per time-of-day slot (and seasonal naive's stream, a season of rows) is
    // bounded before anything is allocated: 300 sensors at 1 s asked for 78 million numbers.
    const keepsTables = this.readsHistoricalAverage && series.start !== null;
    if (keepsTables)
      checkHistoricalAverageSize(
        series.intervalMinutes,
        n,
        kind,
        kind === 'ridge' ? ', or train the ridge without it (ridge: { historicalAverage: false })' : '',
      );
    if (kind === 'seasonal-naive') this.checkStreamSize(series.intervalMinutes, n);
    // The fitting below gives the event loop a turn every ~50 ms, where an abort of `signal` is seen
    // (E_ABORTED): nothing is installed before the end, so the model stays as it was.
    const turns = eventLoopTurns(50, { signal, what: TRAIN_CALL });
    const run = <T>(work: Work<T>): Promise<T> => runWithTurns(work, turns);
    const fitPart = sliceUnchecked(series, 0, fitSteps); // checked above, and 1 <= fitSteps <= steps
    const scaler = await run(fitScalerWork(fitPart));
    const fitted: Fitted = {
      sensors: [...series.sensors],
      intervalMinutes: series.intervalMinutes,
      clock: series.start !== null,
      scaler,
      ha: keepsTables ? await run(fitHistoricalAverageWork(fitPart)) : null,
      adjacencyNormalized: kind === 'tgcn',
      ...(series.missingValue !== undefined ? { missingValue: series.missingValue } : {}),
      ...(series.timeZone !== undefined ? { timeZone: series.timeZone } : {}),
    };
    const report: TrafficTrainingReport = {
      model: kind,
      sensors: n,
      trainWindows: 0,
      valWindows: 0,
      epochsRun: 0,
      bestEpoch: -1,
      seconds: 0,
      history: [],
      validation: [],
      ...strideReport,
    };
    if (kind === 'ridge') {
      if (options.adjacency && options.adjacency.size !== n)
        throw new AppliedMLError(
          'E_SHAPE_MISMATCH',
          `The adjacency is ${options.adjacency.size} × ${options.adjacency.size} but the series has ${n} sensors.`,
          { details: { adjacency: options.adjacency.size, sensors: n } },
        );
      const starts = windowStarts(0, series.steps, T, P);
      const inputs = await run(buildInputsWork(series, starts, T, scaler, this.config.dayOfWeek));
      const targets = await run(buildTargetsWork(series, starts, T, P, scaler, inputs.last));
      const neighbours = strongestNeighbours(options.adjacency, n, this.config.ridge.neighbours);
      const ha = this.config.ridge.historicalAverage ? await run(this.ridgeHistoricalWork(fitted, series, starts, inputs.last)) : null;
      fitted.ridge = await run(
        fitGraphRidgeWork(inputs, ha, targets, this.ridgeShape(n), scaler, neighbours, this.config.ridge, valFraction, series.sensors),
      );
      const unfitted = await run(unfittedStepsWork(targets, starts.length, P, series.sensors));
      if (unfitted.length > 0) {
        report.unfittedSteps = unfitted;
        const minutes = series.intervalMinutes;
        logger.warn(
          `The graph ridge had no training window observing some steps ahead of ${unfitted.length} sensor(s), ` +
            `which forecast their last reading there: ${unfitted
              .slice(0, 6)
              .map((u) => `'${u.sensor}' at ${u.stepsAhead.map((k) => `${minutesAhead(k, minutes)} min`).join(', ')}`)
              .join('; ')}${unfitted.length > 6 ? '; …' : ''} (report.unfittedSteps). Give more history with readings there.`,
          { unfittedSteps: unfitted.slice(0, 20) },
        );
      }
      this.install(ticket, fitted, undefined);
      report.trainWindows = starts.length;
      report.seconds = (performance.now() - started) / 1000;
      return report;
    }
    if (!this.neural) {
      this.install(ticket, fitted, undefined);
      report.seconds = (performance.now() - started) / 1000;
      return report;
    }
    await initEngine({ ...(options.device ? { device: options.device } : {}), logger });
    // Disposed or aborted while the engine started: build nothing.
    this.alive();
    throwIfAborted(signal, TRAIN_CALL);
    const trainStarts = windowStarts(0, fitSteps, T, P);
    const valStarts = valSteps > 0 ? windowStarts(fitSteps - T, series.steps, T, P) : [];
    const tr = await run(buildInputsWork(series, trainStarts, T, scaler, this.config.dayOfWeek));
    const trY = await run(buildTargetsWork(series, trainStarts, T, P, scaler, tr.last));
    const va = valStarts.length > 0 ? await run(buildInputsWork(series, valStarts, T, scaler, this.config.dayOfWeek)) : undefined;
    const vaY = va ? await run(buildTargetsWork(series, valStarts, T, P, scaler, va.last)) : undefined;
    // Disposed meanwhile: no network is built.
    this.alive();
    const network = buildModel(
      {
        kind: kind as NeuralKind,
        inputSteps: T,
        outputSteps: P,
        sensors: n,
        hiddenUnits: this.config.hiddenUnits,
        dayOfWeek: this.config.dayOfWeek,
        seed: this.config.seed,
      },
      kind === 'tgcn' ? normalizedAdjacency(options.adjacency!) : undefined,
    );
    const tensors: ReturnType<typeof tf.zeros>[] = [];
    try {
      const x = tf.tensor4d(tr.x, [tr.count, T, n, featureCount(this.config.dayOfWeek)]);
      const y = tf.tensor4d(trY, [tr.count, P, n, 2]);
      tensors.push(x, y);
      let validationData: { x: typeof x; y: typeof y } | undefined;
      if (va && vaY) {
        validationData = {
          x: tf.tensor4d(va.x, [va.count, T, n, featureCount(this.config.dayOfWeek)]),
          y: tf.tensor4d(vaY, [va.count, P, n, 2]),
        };
        tensors.push(validationData.x, validationData.y);
      }
      const fit = await fitModel(network, x, y, {
        epochs: options.epochs ?? 30,
        batchSize: options.batchSize ?? 32,
        learningRate: options.learningRate ?? 5e-3,
        ...(options.lrSchedule ? { lrSchedule: options.lrSchedule } : {}),
        loss: maskedLoss(this.config.loss),
        seed: this.config.seed,
        clipNorm: 5,
        ...(validationData ? { validationData, earlyStopping: { patience: options.patience ?? 5, monitor: 'val_loss' as const } } : {}),
        progress: options.progress ?? false,
        progressLabel: kind,
        logger,
        signal,
        what: TRAIN_CALL,
        // An aborted or superseded train frees this network: no copy of its weights to put back.
        restoreOnAbort: false,
        callbacks: {
          onEpochEnd: (logs) =>
            options.onEpochEnd?.({
              epoch: logs.epoch,
              loss: logs.loss,
              ...(logs.valLoss !== undefined ? { valLoss: logs.valLoss } : {}),
              seconds: logs.seconds,
            }),
        },
      });
      report.history = fit.history.map((h) => ({
        epoch: h.epoch,
        loss: h.loss,
        ...(h.valLoss !== undefined ? { valLoss: h.valLoss } : {}),
        seconds: h.seconds,
      }));
      report.epochsRun = fit.epochsRun;
      report.bestEpoch = fit.bestEpoch;
      tf.dispose(tensors.splice(0));
      // The validation metrics (what evaluate(series, { fromStep }) gives the installed model), before it
      // is installed: an abort during them installs nothing.
      if (valStarts.length > 0 && !this.disposed)
        report.validation = await this.validationMetrics(fitted, network, series, fitSteps - T, turns);
    } catch (error) {
      network.dispose();
      throw error;
    } finally {
      tf.dispose(tensors);
    }
    this.install(ticket, fitted, network);
    report.trainWindows = trainStarts.length;
    report.valWindows = valStarts.length;
    report.seconds = (performance.now() - started) / 1000;
    return report;
  }

  /**
   * `evaluate(series, { fromStep })`'s horizons for the model `fitted` + `network` (not installed yet),
   * forecasting WINDOWS_PER_YIELD × 4 windows (one forecast batch of 256) between event-loop turns: the
   * same batches as evaluate's one call, so the same numbers.
   */
  private async validationMetrics(
    fitted: Fitted,
    network: LayersModel,
    input: TrafficSeries,
    fromStep: number,
    turns: Turns,
  ): Promise<HorizonMetrics[]> {
    const series = modelReads(fitted, input);
    const T = this.config.inputSteps;
    const P = this.maxHorizon;
    const n = series.sensors.length;
    const starts = windowStarts(fromStep, series.steps, T, this.config.horizons[0] as number);
    const pred = new Float64Array(starts.length * P * n);
    const chunk = 4 * WINDOWS_PER_YIELD;
    for (let from = 0; from < starts.length; from += chunk) {
      const part = starts.slice(from, from + chunk);
      pred.set(this.forecastWindowsOf(fitted, network, series, part, chunk), from * P * n);
      const turn = turns.turn();
      if (turn) await turn;
    }
    const targetStart = starts.map((s) => s + T);
    return this.config.horizons.map((h) =>
      scoreHorizon(pred, series.values, n, P, targetStart, h, series.steps - fromStep - T - h, series.intervalMinutes, 'cumulative'),
    );
  }

  /** The historical-average forecasts the graph ridge reads, or null when it is configured without them. */
  private ridgeHistorical(fitted: Fitted, series: TrafficSeries, starts: readonly number[], last: Float64Array): Float64Array | null {
    if (!this.config.ridge.historicalAverage) return null;
    return baselineForecast('historical-average', this.ridgeHistoricalContext(fitted, series, starts, last));
  }

  /** `ridgeHistorical` (configured with them) as work that takes turns (see work-turns). */
  private ridgeHistoricalWork(fitted: Fitted, series: TrafficSeries, starts: readonly number[], last: Float64Array): Work<Float64Array> {
    return baselineForecastWork('historical-average', this.ridgeHistoricalContext(fitted, series, starts, last));
  }

  private ridgeHistoricalContext(fitted: Fitted, series: TrafficSeries, starts: readonly number[], last: Float64Array) {
    return {
      series,
      starts,
      inputSteps: this.config.inputSteps,
      outputSteps: this.maxHorizon,
      last,
      scaler: fitted.scaler,
      ha: fitted.ha,
      season: this.season(fitted.intervalMinutes),
    };
  }

  private ridgeShape(sensors: number): { inputSteps: number; outputSteps: number; sensors: number; stepFeatures: number } {
    return {
      inputSteps: this.config.inputSteps,
      outputSteps: this.maxHorizon,
      sensors,
      stepFeatures: featureCount(this.config.dayOfWeek),
    };
  }

  /**
   * Installs what the train holding `ticket` built, unless a train started after it has installed
   * already: then it frees `network` and rejects with E_BUSY (the engine's TrainTickets). Both succeeding,
   * the model ends as the last-started left it whatever the finishing order; a later one failing, the
   * earlier installs.
   */
  private install(ticket: number, fitted: Fitted, network: LayersModel | undefined): void {
    // Disposed while it trained: what it built is freed, not attached to a disposed model.
    if (this.disposed) {
      network?.dispose();
      throw new AppliedMLError('E_MODEL_DISPOSED', 'This TrafficForecaster was disposed while it trained; create or load a new one.');
    }
    if (!this.tickets.install(ticket)) {
      network?.dispose();
      throw this.tickets.supersededError(TRAIN_CALL);
    }
    this.setFitted(fitted, network);
  }

  private setFitted(fitted: Fitted, network: LayersModel | undefined): void {
    this.network?.dispose();
    // A retrain on the same sensors, interval and missing-value marker keeps the stream: its rows are raw
    // readings (what the new model reads too), so forecasts go on without waiting another window.
    const keepStream = this.fitted !== undefined && sameStream(this.fitted, fitted);
    this.fitted = fitted;
    this.network = network;
    if (!keepStream) {
      this.buffer = [];
      this.bufferEnd = null;
    }
  }

  /** Raw forecasts [windows, outputSteps, sensors] for windows of `series` starting at `starts`. */
  private forecastWindows(series: TrafficSeries, starts: readonly number[], batchSize = 256): Float64Array {
    const fitted = this.ready();
    return this.forecastWindowsOf(fitted, this.network, series, starts, batchSize);
  }

  /** `forecastWindows` of the model `fitted` + `network` (the installed one, or one a train is about to install). */
  private forecastWindowsOf(
    fitted: Fitted,
    network: LayersModel | undefined,
    series: TrafficSeries,
    starts: readonly number[],
    batchSize = 256,
  ): Float64Array {
    const T = this.config.inputSteps;
    const P = this.maxHorizon;
    const n = fitted.sensors.length;
    const inputs = buildInputs(series, starts, T, fitted.scaler, this.config.dayOfWeek);
    let raw: Float32Array | Float64Array;
    if (fitted.ridge) {
      const ha = this.ridgeHistorical(fitted, series, starts, inputs.last);
      raw = predictGraphRidge(fitted.ridge, inputs, ha, this.ridgeShape(n), fitted.scaler, this.config.ridge.neighbourLags);
      // Load and training refuse weights that could overflow; should one still slip through, an error
      // naming where the weights came from, never an Infinity / NaN forecast.
      const bad = raw.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        const what = `The graph ridge's forecast for sensor '${fitted.sensors[bad % n]}' is not finite: its weights are far outside anything fitting makes`;
        throw fitted.bundle !== undefined
          ? new AppliedMLError('E_BUNDLE_CORRUPT', `${what} (bundle ${fitted.bundle}).`, {
              details: { dir: fitted.bundle, sensor: fitted.sensors[bad % n] },
            })
          : new AppliedMLError('E_TRAINING_FAILED', `${what}; train it again.`, { details: { sensor: fitted.sensors[bad % n] } });
      }
    } else if (!this.neural) {
      return baselineForecast(this.config.model as BaselineKind, {
        series,
        starts,
        inputSteps: T,
        outputSteps: P,
        last: inputs.last,
        scaler: fitted.scaler,
        ha: fitted.ha,
        season: this.season(fitted.intervalMinutes),
      });
    } else {
      const x = tf.tensor4d(inputs.x, [inputs.count, T, n, featureCount(this.config.dayOfWeek)]);
      try {
        raw = predictBatched(network!, x, { batchSize }).data;
      } finally {
        x.dispose();
      }
    }
    const out = new Float64Array(inputs.count * P * n);
    for (let b = 0; b < inputs.count; b++) {
      for (let p = 0; p < P; p++) {
        for (let s = 0; s < n; s++) {
          const i = (b * P + p) * n + s;
          out[i] = (inputs.last[b * n + s] as number) + (raw[i] as number) * (fitted.scaler.std[s] as number);
        }
      }
    }
    return out;
  }

  /**
   * Checks a series against the model and returns it as the model reads it: a reading equal to the
   * model's `missingValue` (the training series' marker) is missing, as in `update` and `predict`. A
   * series built without the marker held such readings as values, and evaluate scored them.
   */
  private checkSeries(series: TrafficSeries): TrafficSeries {
    const fitted = this.ready();
    checkSeriesShape(series);
    if (series.sensors.length !== fitted.sensors.length) {
      throw new AppliedMLError(
        'E_SHAPE_MISMATCH',
        `The series has ${series.sensors.length} sensors; the model was trained on ${fitted.sensors.length}.`,
        {
          details: { expected: fitted.sensors.length, actual: series.sensors.length },
        },
      );
    }
    const moved = series.sensors.findIndex((id, i) => id !== fitted.sensors[i]);
    if (moved >= 0)
      invalid(
        `Sensor ${moved} of the series is '${series.sensors[moved]}'; the model was trained with '${fitted.sensors[moved]}' there (same ids, same order: selectSensors can reorder).`,
        { sensor: moved },
      );
    if (series.intervalMinutes !== fitted.intervalMinutes) {
      invalid(`The series has ${series.intervalMinutes}-min steps; the model was trained on ${fitted.intervalMinutes}-min steps.`);
    }
    if (series.timeZone !== fitted.timeZone)
      invalid(
        `The series' clock is ${series.timeZone ?? 'UTC fields (no timeZone)'}; the model was trained on ${fitted.timeZone ?? 'UTC fields (no timeZone)'}: read it with the same timeZone.`,
        { field: 'timeZone' },
      );
    if (fitted.clock && series.start === null) invalid('The model uses time-of-day features: the series needs a start time.');
    return modelReads(fitted, series);
  }

  /**
   * Per-horizon metrics on `series` (T-GCN protocol: windows built inside the scored part; for
   * horizon h the windows are those with s + inputSteps + h < length, and steps 1..h are pooled).
   */
  async evaluate(input: TrafficSeries, options: EvaluateOptions = {}): Promise<TrafficEvaluation> {
    this.ready();
    checkKnownKeys('evaluate options', options, EVALUATE_KEYS);
    const series = this.checkSeries(input);
    const T = this.config.inputSteps;
    const P = this.maxHorizon;
    const from = options.fromStep ?? 0;
    if (!Number.isInteger(from) || from < 0 || from >= series.steps)
      invalid(`fromStep must be an integer in 0..${series.steps - 1}; got ${from}.`);
    const hMin = this.config.horizons[0] as number;
    assertLongEnough(series.steps - from, T, P, 'The evaluated part of the series');
    const starts = windowStarts(from, series.steps, T, hMin);
    const pooling = options.pooling ?? 'cumulative';
    if (pooling !== 'cumulative' && pooling !== 'step')
      invalid(`pooling must be 'cumulative' or 'step'; got ${String(pooling)}.`, { field: 'pooling' });
    const pred = this.forecastWindows(series, starts, options.batchSize);
    const targetStart = starts.map((s) => s + T);
    const n = series.sensors.length;
    const horizons = this.config.horizons.map((h) =>
      scoreHorizon(pred, series.values, n, P, targetStart, h, series.steps - from - T - h, series.intervalMinutes, pooling),
    );
    return { model: this.config.model, horizons };
  }

  /** Raw forecasts for every window start of a series, [windows][stepsAhead][sensor] (for plots). */
  async forecastSeries(input: TrafficSeries, starts: readonly number[]): Promise<Float64Array> {
    const series = this.checkSeries(input);
    if (!Array.isArray(starts)) invalid('forecastSeries needs an array of window starts (step indices).', { field: 'starts' });
    // Every index, holes included (for…of reads a hole as undefined, which is refused).
    for (const s of starts)
      if (!Number.isInteger(s) || s < 0 || s + this.config.inputSteps > series.steps) invalid(`Window start ${s} is outside the series.`);
    return this.forecastWindows(series, starts);
  }

  /** Forecast every step up to the largest horizon from recent readings. */
  async predict(input: ForecastInput): Promise<Forecast> {
    return this.predictNow(input);
  }

  private predictNow(input: ForecastInput): Forecast {
    const fitted = this.ready();
    const rows = input?.values;
    if (!rows || typeof rows.length !== 'number') invalid('predict needs { values: rows of readings }.');
    const T = this.config.inputSteps;
    if (rows.length < T)
      invalid(`predict needs at least ${T} rows of readings (one input window); got ${rows.length}.`, { rows: rows.length, needed: T });
    const n = fitted.sensors.length;
    const end = input.end === undefined ? null : toFeedTimeMs(input.end, 'end', fitted.timeZone);
    if (fitted.clock && end === null) invalid('This model uses time-of-day features: pass `end`, the time of the last row.');
    const step = fitted.intervalMinutes * 60_000;
    if (end !== null && Math.abs(end + this.maxHorizon * step) > 8.64e15)
      invalid('`end` plus the forecast horizon goes beyond what a date can hold.', { field: 'end' });
    const values = new Float64Array(rows.length * n);
    for (let t = 0; t < rows.length; t++) {
      const row = rows[t] as ArrayLike<number | null>;
      if (!row || row.length !== n) {
        throw new AppliedMLError('E_SHAPE_MISMATCH', `Row ${t} has ${row?.length ?? 0} readings; the model expects ${n} sensors.`, {
          details: { row: t, expected: n, actual: row?.length ?? 0 },
        });
      }
      for (let s = 0; s < n; s++) {
        const v = row[s];
        // null (JSON's missing reading) and the model's missing-value marker first: one past MAX_READING
        // (a sentinel such as -1e15) trained and was then refused here.
        if (v === null || (v !== undefined && v === fitted.missingValue)) {
          values[t * n + s] = NaN;
          continue;
        }
        if (typeof v !== 'number' || Math.abs(v) > MAX_READING)
          invalid(
            `Row ${t}, sensor ${s} ('${fitted.sensors[s]}'): ${describeValue(v)} is not a reading (finite, at most ${MAX_READING} in size; NaN or null for missing).`,
            { row: t, sensor: s, sensorId: fitted.sensors[s] },
          );
        values[t * n + s] = v;
      }
    }
    const start = end === null ? null : end - (rows.length - 1) * step;
    const series: TrafficSeries = {
      sensors: fitted.sensors,
      steps: rows.length,
      intervalMinutes: fitted.intervalMinutes,
      start,
      values,
      ...(fitted.timeZone !== undefined ? { timeZone: fitted.timeZone } : {}),
    };
    const pred = this.forecastWindows(series, [rows.length - T]);
    const P = this.maxHorizon;
    const unobserved = fitted.sensors.filter((_, s) => {
      for (let t = rows.length - T; t < rows.length; t++) if (!Number.isNaN(values[t * n + s] as number)) return false;
      return true;
    });
    return {
      sensors: [...fitted.sensors],
      unobserved,
      from: end === null ? null : new Date(end).toISOString(),
      steps: Array.from({ length: P }, (_, p) => ({
        stepsAhead: p + 1,
        minutes: minutesAhead(p + 1, fitted.intervalMinutes),
        time: end === null ? null : new Date(end + (p + 1) * step).toISOString(),
        values: Array.from(pred.subarray(p * n, (p + 1) * n)),
      })),
    };
  }

  /** `predict` for several inputs, in order, all by the same model (one pass, no await between them). */
  async predictBatch(inputs: readonly ForecastInput[]): Promise<Forecast[]> {
    this.ready();
    if (!Array.isArray(inputs)) invalid('predictBatch needs an array of inputs.');
    const out: Forecast[] = [];
    for (const input of inputs) out.push(this.predictNow(input));
    return out;
  }

  /**
   * The reading that means "missing" for this model (the training series' `missingValue`, e.g. 0 for
   * detectors that report 0 when broken), or undefined: `update` and `predict` read it as NaN.
   */
  get missingValue(): number | undefined {
    return this.ready().missingValue;
  }

  /**
   * Minutes between the steps the model reads (the training series' `intervalMinutes`): the rows given to
   * `predict` must be that far apart (it cannot tell from them), as `evaluate` checks of a series.
   */
  get intervalMinutes(): number {
    return this.ready().intervalMinutes;
  }

  /** The time zone of the clock the model reads (the training series' `timeZone`), or undefined for UTC fields. */
  get timeZone(): string | undefined {
    return this.ready().timeZone;
  }

  /** How many rows the streaming buffer keeps (input window, plus a season for seasonal naive). */
  get streamCapacity(): number {
    const fitted = this.ready();
    return this.config.model === 'seasonal-naive' ? this.config.inputSteps + this.season(fitted.intervalMinutes) : this.config.inputSteps;
  }

  /**
   * Streaming: add the readings of the next step (NaN or null = missing). Memory is bounded by
   * `streamCapacity` rows. `time` defaults to one interval after the previous observation.
   */
  update(observation: ArrayLike<number | null> | { values: ArrayLike<number | null>; time?: Date | number | string }): void {
    const fitted = this.ready();
    const isRecord = typeof observation === 'object' && observation !== null && !('length' in observation) && 'values' in observation;
    const obs = isRecord
      ? (observation as { values: ArrayLike<number | null>; time?: Date | number | string })
      : { values: observation as ArrayLike<number | null> };
    const n = fitted.sensors.length;
    if (!obs.values || obs.values.length !== n) {
      throw new AppliedMLError(
        'E_SHAPE_MISMATCH',
        `An observation has ${obs.values?.length ?? 0} readings; the model expects ${n} sensors.`,
        { details: { expected: n, actual: obs.values?.length ?? 0 } },
      );
    }
    const row = new Float64Array(n);
    for (let s = 0; s < n; s++) {
      const v = obs.values[s];
      if (v === null || (v !== undefined && v === fitted.missingValue)) {
        row[s] = NaN;
        continue;
      }
      if (typeof v !== 'number' || Math.abs(v) > MAX_READING)
        invalid(
          `Sensor ${s} ('${fitted.sensors[s]}'): ${describeValue(v)} is not a reading (finite, at most ${MAX_READING} in size; NaN or null for missing).`,
          { sensor: s, sensorId: fitted.sensors[s] },
        );
      row[s] = v;
    }
    const step = fitted.intervalMinutes * 60_000;
    const time: number | null =
      obs.time === undefined
        ? this.bufferEnd === null
          ? null
          : this.bufferEnd + step
        : toFeedTimeMs(obs.time, 'time', fitted.timeZone, this.bufferEnd ?? undefined, step);
    if (time !== null && this.bufferEnd !== null && time <= this.bufferEnd) {
      // The same time again is a duplicate (as in readSeriesCsv and the incident monitor), not a step back.
      const same = time === this.bufferEnd;
      invalid(
        same
          ? `Observation time ${new Date(time).toISOString()} is the same as the previous one; a stream takes one reading per ${fitted.intervalMinutes}-min slot (aggregate readings to one per interval first).${isLocalTimeText(obs.time) ? secondPassHint(fitted.timeZone, time) : ''}`
          : `Observation time ${new Date(time).toISOString()} is not after the previous one (${new Date(this.bufferEnd).toISOString()}).`,
        { reason: same ? 'timestamps-duplicated' : 'timestamps-out-of-order' },
      );
    }
    if (time !== null && this.bufferEnd !== null) {
      // A gap: fill the skipped steps as missing so the window keeps its spacing.
      const skipped = Math.round((time - this.bufferEnd) / step) - 1;
      // Closer than half an interval to the previous reading: the same slot again, which would shift the clock.
      if (skipped < 0)
        invalid(
          `Observation time ${new Date(time).toISOString()} falls in the same ${fitted.intervalMinutes}-min slot as the previous one (${new Date(this.bufferEnd).toISOString()}); aggregate readings to one per interval first.`,
          { reason: 'timestamps-duplicated' },
        );
      this.pushRows(skipped, row);
      this.bufferEnd = this.bufferEnd + (skipped + 1) * step;
      return;
    }
    this.pushRows(0, row);
    this.bufferEnd = time;
  }

  /**
   * Appends `missing` rows of NaN (a gap) and then `row`, keeping the last `streamCapacity` rows. Only
   * the rows that survive are made, and the front of the buffer is cut once: filling a gap row by row,
   * each cutting the front of a full buffer, took 35 s for a 1-day outage at 1-s steps (86,412 rows).
   */
  private pushRows(missing: number, row: Float64Array): void {
    const cap = this.streamCapacity;
    const fills = Math.min(missing, cap - 1); // of the rows before `row`, at most cap - 1 can survive
    const drop = Math.max(0, this.buffer.length + fills + 1 - cap);
    if (drop > 0) this.buffer.splice(0, drop); // drop <= buffer.length: fills + 1 <= cap
    for (let k = 0; k < fills; k++) this.buffer.push(new Float64Array(row.length).fill(NaN));
    this.buffer.push(row);
  }

  /**
   * Forgets the streamed observations (the next `update` starts a new stream, at any time): for a feed
   * that restarts, or a replay that loops back to earlier times.
   */
  resetStream(): void {
    this.alive();
    this.buffer = [];
    this.bufferEnd = null;
  }

  /** Rows currently held by the streaming buffer. */
  get bufferedSteps(): number {
    this.alive();
    return this.buffer.length;
  }

  /** Forecast from the streamed observations (needs `inputSteps` of them). */
  async forecast(): Promise<Forecast> {
    const fitted = this.ready();
    if (this.buffer.length < this.config.inputSteps) {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `forecast() needs ${this.config.inputSteps} observations; ${this.buffer.length} so far. Call update() first.`,
        {
          details: { observed: this.buffer.length, needed: this.config.inputSteps },
        },
      );
    }
    if (fitted.clock && this.bufferEnd === null)
      invalid('This model uses time-of-day features: give update() a time with the first observation.');
    return this.predict({ values: this.buffer, ...(this.bufferEnd !== null ? { end: this.bufferEnd } : {}) });
  }

  /** Writes a bundle directory (atomic): the network, the scalers, the historical average and the config. */
  async save(dir: string): Promise<void> {
    const fitted = this.ready();
    const files: Record<string, Uint8Array> = {};
    if (fitted.ridge) files['ridge.f64'] = new Uint8Array(fitted.ridge.weights.buffer.slice(0));
    // The tables as float64 (table, then pooled; NaN for no reading), not copied: fitting and loading
    // make new arrays and nothing writes into them. As JSON in the manifest (before) they passed its
    // 16 MB limit from 300 sensors at 30 s on, and ran out of memory at 1 s.
    if (fitted.ha) files[HA_FILE] = new Uint8Array(fitted.ha.cells.buffer, fitted.ha.cells.byteOffset, fitted.ha.cells.byteLength);
    await saveBundle(dir, {
      package: PACKAGE_NAME,
      packageVersion: PACKAGE_VERSION,
      task: TASK,
      ...(this.network ? { models: { main: this.network } } : {}),
      ...(Object.keys(files).length > 0 ? { files } : {}),
      labels: fitted.sensors,
      config: { ...this.config, horizons: [...this.config.horizons] } as unknown as JsonValue,
      preprocessing: {
        intervalMinutes: fitted.intervalMinutes,
        clock: fitted.clock,
        // The order ha.f64 and ridge.f64 are written in (load converts from the other one). Its presence
        // also tells load the bundle is newer than 0.1.0 (seasonal naive's stream bound applies).
        byteOrder: HOST_BYTE_ORDER,
        scaler: { mean: fitted.scaler.mean, std: fitted.scaler.std },
        ha: fitted.ha ? { slotsPerDay: fitted.ha.slotsPerDay, file: HA_FILE } : null,
        adjacencyNormalized: fitted.adjacencyNormalized,
        ...(fitted.missingValue !== undefined ? { missingValue: fitted.missingValue } : {}),
        ...(fitted.timeZone !== undefined ? { timeZone: fitted.timeZone } : {}),
        ...(fitted.ridge
          ? { ridge: { neighbours: fitted.ridge.neighbours, lambdas: fitted.ridge.lambdas, features: fitted.ridge.features } }
          : {}),
      } as unknown as JsonValue,
    });
  }

  /**
   * Loads a bundle written by `save`; a damaged bundle is E_BUNDLE_CORRUPT, one saved by a newer version
   * holding what this one cannot read (a model kind, a config or preprocessing field, a file, a network
   * layer) E_BUNDLE_INCOMPATIBLE, saying to upgrade (`details.unknown` names the fields and files).
   */
  static async load(dir: string, options: { device?: Device; logger?: Logger } = {}): Promise<TrafficForecaster> {
    checkKnownKeys('load options', options, LOAD_KEYS);
    await initEngine({ ...(options.device ? { device: options.device } : {}), ...(options.logger ? { logger: options.logger } : {}) });
    registerTrafficLayers();
    // A network this engine cannot rebuild (a layer class a later version writes): from a newer version,
    // loadBundle says it needs an upgrade (E_BUNDLE_INCOMPATIBLE), not repair.
    const bundle = await loadBundle(dir, { package: PACKAGE_NAME, task: TASK, readerVersion: PACKAGE_VERSION });
    try {
      // What a newer version added and this one would drop (a preprocessing field, a file, a network):
      // the forecasts would differ from the saved model's, so it is refused (the config's own check
      // refuses its unknown fields).
      const unknown = unknownBundleParts(bundle, PACKAGE_VERSION, KNOWN_BUNDLE_PARTS);
      if (unknown.length > 0) throw unknownPartsError(dir, unknown);
      const cfg = bundle.manifest.config as unknown as TrafficForecasterConfig;
      const pre = bundle.manifest.preprocessing as unknown as Record<string, unknown>;
      const sensors = bundle.manifest.labels;
      const bad = (what: string): never => {
        throw new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: ${what}.`, { details: { dir } });
      };
      if (!cfg || typeof cfg !== 'object' || !pre || typeof pre !== 'object' || !Array.isArray(sensors))
        bad('the manifest lacks the traffic config');
      let config: ResolvedConfig;
      try {
        config = resolveConfig(cfg); // bundles from before `dayOfWeek` existed load with its default, false
      } catch (cause) {
        throw new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${dir}: its config is invalid (${(cause as Error).message}).`, { cause });
      }
      const scaler = pre.scaler as SensorScaler | undefined;
      const n = sensors!.length;
      // The values a forecast depends on are checked here, whatever wrote the manifest.
      if (n === 0 || !sensors!.every((id) => typeof id === 'string') || new Set(sensors).size !== n)
        bad('its sensor ids are not distinct strings');
      const intervalMinutes = pre.intervalMinutes;
      // The range createSeries takes: no model is trained on another (a bundle's 1e-9 min would ask for 1.44e12 slots a day).
      if (typeof intervalMinutes !== 'number' || !(intervalMinutes >= MIN_INTERVAL_MINUTES && intervalMinutes <= MAX_INTERVAL_MINUTES))
        bad(`its interval (${describeValue(intervalMinutes)}) is not a number of minutes in [1/60, 1440]`);
      const finite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX_READING;
      if (
        !scaler ||
        !Array.isArray(scaler.mean) ||
        !Array.isArray(scaler.std) ||
        scaler.mean.length !== n ||
        scaler.std.length !== n ||
        !scaler.mean.every(finite) ||
        !scaler.std.every((v) => finite(v) && v > 0)
      )
        bad('the scaler does not match the sensors');
      // fitScaler floors every standard deviation; one below the floor (an edited 1e-300) would void the ridge weight bound.
      const { mean, std } = scaler!;
      const low = std.findIndex((v, s) => v < stdFloor(mean[s] as number));
      if (low >= 0)
        bad(
          `the standard deviation of sensor '${sensors![low]}' (${std[low]}) is below ${stdFloor(mean[low] as number)}, the least training gives a mean of ${mean[low]}`,
        );
      // Absent in bundles from before it: little-endian (see float64sOf).
      const byteOrder = (pre.byteOrder === undefined ? 'little' : pre.byteOrder) as ByteOrder;
      if (byteOrder !== 'little' && byteOrder !== 'big')
        bad(`the byte order of its .f64 files (${describeValue(byteOrder)}) is not 'little' or 'big'`);
      const ha = readHistoricalAverage(pre.ha, bundle.files[HA_FILE], byteOrder, intervalMinutes as number, n, bad);
      const model = new TrafficForecaster(config);
      // What train bounds, load does too: a re-sealed seasonSteps would let the stream grow past it. Only for
      // bundles saved since the bound exists, which all record byteOrder (0.1.0 never wrote it; a series
      // without a clock has no tables, so ha.f64 can't tell them apart): 0.1.0 trained any seasonSteps up to
      // 1,000,000, and a bundle it saved honestly keeps loading as it did.
      const savedWithBound = pre.byteOrder !== undefined;
      if (config.model === 'seasonal-naive' && savedWithBound) model.checkStreamSize(intervalMinutes as number, n, bad);
      const network = bundle.models.main as LayersModel | undefined;
      if (model.neural && !network) bad('the network is missing');
      if (network) {
        // The network's shapes must be the config's: [batch, inputSteps, sensors, features] in,
        // outputSteps × sensors out (a config edited after training would read its outputs with the wrong stride).
        const input = network.inputs[0]?.shape ?? [];
        const expected = [null, config.inputSteps, n, featureCount(config.dayOfWeek)];
        const output = (network.outputs[0]?.shape ?? []).slice(1);
        if (
          network.inputs.length !== 1 ||
          input.length !== expected.length ||
          input.some((d, i) => d !== expected[i]) ||
          network.outputs.length !== 1 ||
          output.some((d) => d === null) ||
          output.reduce((a: number, d) => a * (d as number), 1) !== model.maxHorizon * n
        )
          bad(`the network's shapes do not match its config (input ${JSON.stringify(input)}, expected ${JSON.stringify(expected)})`);
      }
      if (pre.missingValue !== undefined && !(typeof pre.missingValue === 'number' && Number.isFinite(pre.missingValue)))
        bad('its missing-value marker is not a finite number');
      let timeZone: string | undefined;
      if (pre.timeZone !== undefined) {
        try {
          timeZone = checkTimeZone(pre.timeZone);
        } catch {
          bad('its time zone is not one this platform knows');
        }
      }
      let ridge: RidgeModel | undefined;
      if (config.model === 'ridge') {
        const meta = pre.ridge as { neighbours?: unknown; lambdas?: unknown; features?: unknown } | undefined;
        const bytes = bundle.files['ridge.f64'];
        const D = Number(meta?.features);
        if (
          !meta ||
          !bytes ||
          !Array.isArray(meta.neighbours) ||
          meta.neighbours.length !== n ||
          !meta.neighbours.every(
            (a, s) =>
              Array.isArray(a) && a.length <= config.ridge.neighbours && a.every((j) => Number.isInteger(j) && j >= 0 && j < n && j !== s),
          ) ||
          D !==
            config.inputSteps +
              Math.max(0, ...(meta.neighbours as number[][]).map((a) => a.length)) * config.ridge.neighbourLags +
              3 +
              (config.ridge.historicalAverage ? model.maxHorizon : 0) ||
          bytes.byteLength !== n * D * model.maxHorizon * 8
        )
          bad('the ridge weights do not match the sensors');
        const weights = float64sOf(bytes!, byteOrder, false);
        // A re-sealed edit can pass the checksums: a NaN weight would give that sensor NaN forecasts.
        const at = weights.findIndex((w) => !Number.isFinite(w));
        if (at >= 0) bad(`ridge weight ${at} is ${weights[at]}, not a finite number`);
        ridge = {
          neighbours: meta!.neighbours as number[][],
          lambdas: Array.isArray(meta!.lambdas) ? (meta!.lambdas as unknown[]).map(Number) : [],
          features: D,
          weights,
        };
        // A finite but huge weight (1e300) would forecast 1e300: none that fitting makes (see MAX_SCALED_RIDGE_WEIGHT).
        const wild = findImplausibleRidgeWeight(
          ridge,
          scaler!,
          config.inputSteps,
          config.ridge.neighbourLags,
          model.maxHorizon,
          config.ridge.historicalAverage,
        );
        if (wild)
          bad(
            `ridge weight ${wild.index} is ${wild.weight}, ${wild.scaled} on the series' scale: past ${MAX_SCALED_RIDGE_WEIGHT}, more than fitting makes`,
          );
      }
      model.setFitted(
        {
          sensors: sensors!,
          intervalMinutes: intervalMinutes as number,
          clock: Boolean(pre.clock),
          scaler: scaler!,
          ha,
          adjacencyNormalized: Boolean(pre.adjacencyNormalized),
          ...(ridge ? { ridge } : {}),
          ...(typeof pre.missingValue === 'number' ? { missingValue: pre.missingValue } : {}),
          ...(timeZone !== undefined ? { timeZone } : {}),
          bundle: dir,
        },
        network,
      );
      return model;
    } catch (error) {
      Object.values(bundle.models).forEach((m) => m.dispose());
      // What this version cannot read in a bundle a newer one saved (a model kind, a config field, a
      // value range it added) is no damage: say so, and what to do (it said "corrupt").
      throw incompatibleIfNewer(error, { dir, package: PACKAGE_NAME, saved: bundle.manifest.packageVersion, running: PACKAGE_VERSION });
    }
  }

  /** Frees the network; every later call is E_MODEL_DISPOSED. */
  dispose(): void {
    if (this.disposed) return;
    this.network?.dispose();
    this.network = undefined;
    this.buffer = [];
    this.disposed = true;
  }
}

/**
 * The historical average of a bundle, checked: `ha.f64` named by the manifest (`{ slotsPerDay, file }`),
 * or, in bundles from before it, JSON in the manifest (`{ slotsPerDay, table, pooled }`, null for no
 * reading). Its size must be the sensors' and interval's, its cells plausible (`findImplausibleHistoricalCell`).
 */
function readHistoricalAverage(
  raw: unknown,
  bytes: Uint8Array | undefined,
  byteOrder: ByteOrder,
  intervalMinutes: number,
  n: number,
  bad: (what: string) => never,
): HistoricalAverage | null {
  if (raw === null || raw === undefined) return null;
  const slots = slotsPerDay(intervalMinutes);
  const size = 3 * slots * n;
  const mismatch = 'the historical average does not match the sensors and interval';
  if (typeof raw !== 'object' || Array.isArray(raw)) bad(mismatch);
  const ha = raw as Record<string, unknown>;
  const keys = Object.keys(ha);
  if (ha.slotsPerDay !== slots)
    bad(`${mismatch} (${describeValue(ha.slotsPerDay)} slots a day; ${intervalMinutes}-min steps make ${slots})`);
  let cells: Float64Array;
  if ('file' in ha) {
    if (ha.file !== HA_FILE || !keys.every((k) => k === 'slotsPerDay' || k === 'file'))
      bad(`the historical average is not { slotsPerDay, file: '${HA_FILE}' } (${describeValue(ha)})`);
    if (!bytes) bad(`the historical average's ${HA_FILE} is missing`);
    if (bytes!.byteLength !== size * 8)
      bad(`${HA_FILE} holds ${bytes!.byteLength} bytes; ${slots} slots a day × ${n} sensors × 3 tables take ${size * 8} (${mismatch})`);
    cells = float64sOf(bytes!, byteOrder, true);
  } else {
    const { table, pooled } = ha;
    if (
      !keys.every((k) => k === 'slotsPerDay' || k === 'table' || k === 'pooled') ||
      !Array.isArray(table) ||
      table.length !== 2 * slots * n ||
      !Array.isArray(pooled) ||
      pooled.length !== slots * n
    )
      bad(mismatch);
    cells = new Float64Array(size);
    const all = [...(table as unknown[]), ...(pooled as unknown[])];
    for (let i = 0; i < size; i++) {
      const v = all[i];
      if (v !== null && typeof v !== 'number') bad(`the historical average's cell ${i} is ${describeValue(v)}, not a number or null`);
      cells[i] = v === null ? NaN : (v as number);
    }
  }
  const out = historicalAverageOf(slots, n, cells);
  const wrong = findImplausibleHistoricalCell(out, n);
  if (wrong) bad(`the historical average's ${wrong}`);
  return out;
}

/** Whether a stream fed to the model `a` reads the same for `b`: same sensors in order, interval and missing-value marker. */
function sameStream(a: Fitted, b: Fitted): boolean {
  return (
    a.intervalMinutes === b.intervalMinutes &&
    Object.is(a.missingValue, b.missingValue) &&
    a.timeZone === b.timeZone &&
    a.sensors.length === b.sensors.length &&
    a.sensors.every((id, i) => id === b.sensors[i])
  );
}

/** Up to 6 sensor ids, quoted, for a message. */
function listIds(ids: readonly string[]): string {
  return (
    ids
      .slice(0, 6)
      .map((id) => `'${id}'`)
      .join(', ') + (ids.length > 6 ? `, … (${ids.length})` : '')
  );
}

/** `series` as the model `fitted` reads it: a reading equal to its `missingValue` is missing (NaN). */
function modelReads(fitted: Fitted, series: TrafficSeries): TrafficSeries {
  const marker = fitted.missingValue;
  if (marker === undefined || !series.values.includes(marker)) return series;
  return { ...series, values: series.values.map((v) => (v === marker ? NaN : v)) };
}

/**
 * Per sensor, the steps ahead (1-based) no window of `targets` ([windows, P, sensors, (value, observed)])
 * observed; work that yields every WINDOWS_PER_YIELD windows (see work-turns).
 */
function* unfittedStepsWork(
  targets: Float32Array,
  windows: number,
  P: number,
  sensors: readonly string[],
): Work<{ sensor: string; stepsAhead: number[] }[]> {
  const n = sensors.length;
  const seen = new Uint8Array(P * n);
  for (let b = 0; b < windows; b++) {
    if (b > 0 && b % WINDOWS_PER_YIELD === 0) yield;
    for (let p = 0; p < P; p++)
      for (let s = 0; s < n; s++) if ((targets[((b * P + p) * n + s) * 2 + 1] as number) === 1) seen[p * n + s] = 1;
  }
  const out: { sensor: string; stepsAhead: number[] }[] = [];
  for (let s = 0; s < n; s++) {
    const steps: number[] = [];
    for (let p = 0; p < P; p++) if (seen[p * n + s] !== 1) steps.push(p + 1);
    if (steps.length > 0) out.push({ sensor: sensors[s] as string, stepsAhead: steps });
  }
  return out;
}
