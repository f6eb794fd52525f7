import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateTrafficNetwork, loadLosLoop, type Adjacency, type InjectedIncident, type TrafficSeries } from '@appliedml/traffic';

export type DataChoice = 'auto' | 'los-loop' | 'synthetic';

export interface DemoData {
  name: 'los-loop' | 'synthetic';
  series: TrafficSeries;
  adjacency: Adjacency;
  /** Incidents injected into the synthetic network (none for real data). */
  incidents: InjectedIncident[];
  /** One line saying where the data came from. */
  note: string;
}

/** Los-loop when APPLIEDML_DATA_DIR holds it (or when asked), else the generated network, flagged synthetic. */
export async function loadDemoData(
  choice: DataChoice,
  sensors: number | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DemoData> {
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
