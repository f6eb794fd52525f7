import {
  AppliedMLError,
  checkKnownKeys,
  RESOLVE_DATASET_OPTION_NAMES,
  resolveDataset,
  type DatasetSpec,
  type ResolveDatasetOptions,
} from '@appliedml/engine';
import { readAdjacencyCsv, subAdjacency, type Adjacency } from './adjacency';
import { readSeriesCsv } from './read-csv';
import { selectSensors, type TrafficSeries } from './series';

/** Los-loop (T-GCN): 207 Los Angeles loop detectors, 5-min speeds, 1–7 March 2012, and their road graph. */
export const LOS_LOOP: DatasetSpec = {
  name: 'los-loop',
  files: [{ path: 'los_speed.csv' }, { path: 'los_adj.csv' }],
  howToGet:
    'Los-loop comes from the T-GCN repository (https://github.com/lehaifeng/T-GCN, data/los_speed.csv and data/los_adj.csv; ' +
    'Zhao et al., IEEE T-ITS 2019; no data licence stated: research use). Put both files in $APPLIEDML_DATA_DIR/los-loop/.',
};

/** The clock we give Los-loop: 2012-03-01 00:00 local time, written as UTC so time-of-day features read local hours. */
export const LOS_LOOP_START = '2012-03-01T00:00:00Z';

export interface LoadLosLoopOptions extends ResolveDatasetOptions {
  /** Keep only these sensor indices (0..206), e.g. a small subset for tests. */
  sensorIndices?: readonly number[];
}

const LOAD_LOS_LOOP_KEYS = [...RESOLVE_DATASET_OPTION_NAMES, 'sensorIndices'];

export async function loadLosLoop(options: LoadLosLoopOptions = {}): Promise<{ series: TrafficSeries; adjacency: Adjacency }> {
  checkKnownKeys('loadLosLoop options', options, LOAD_LOS_LOOP_KEYS);
  if (options.sensorIndices !== undefined && !Array.isArray(options.sensorIndices))
    throw new AppliedMLError('E_INPUT_INVALID', 'loadLosLoop sensorIndices must be a list of sensor indices (0..206).', {
      details: { field: 'sensorIndices' },
    });
  const { sensorIndices, ...resolveOptions } = options;
  const ds = await resolveDataset(LOS_LOOP, resolveOptions);
  let series = await readSeriesCsv(ds.files['los_speed.csv'] as string, { intervalMinutes: 5, start: LOS_LOOP_START, header: true });
  let adjacency = await readAdjacencyCsv(ds.files['los_adj.csv'] as string);
  if (sensorIndices) {
    series = selectSensors(series, sensorIndices);
    adjacency = subAdjacency(adjacency, sensorIndices);
  }
  return { series, adjacency };
}
