import { AppliedMLError, checkIntegerOption, checkKnownKeys, checkNumberOption, createRng } from '@appliedml/engine';
import { createAdjacency, type Adjacency } from './adjacency';
import { checkInterval, createSeries, toEpochMs, type TrafficSeries } from './series';

export interface SyntheticNetworkOptions {
  /** Sensors (default 24), laid out along corridors of `corridorLength`. */
  sensors?: number;
  /** Sensors per corridor (default 8). */
  corridorLength?: number;
  /** Length of the series in days (default 14). */
  days?: number;
  /** Minutes between readings (default 5), in [1/60, 1440] (one second to one day); steps × sensors at most 50 million (E_INPUT_TOO_LARGE). */
  intervalMinutes?: number;
  /** Incidents injected (default 6; an integer in 0..10000): a sharp slow-down at one sensor that spreads upstream. */
  incidents?: number;
  /** Share of readings dropped as missing (default 0.002), in [0, 1). */
  missingRate?: number;
  /** Default 2026-01-05T00:00Z (a Monday). */
  start?: Date | number | string;
  seed?: number;
}

const SYNTHETIC_KEYS = Object.keys({
  sensors: 1,
  corridorLength: 1,
  days: 1,
  intervalMinutes: 1,
  incidents: 1,
  missingRate: 1,
  start: 1,
  seed: 1,
} satisfies Record<keyof SyntheticNetworkOptions, 1>);

/** Most values (steps × sensors) a generated network holds, as resampleToGrid allows. */
const MAX_SYNTHETIC_VALUES = 50_000_000;

export interface InjectedIncident {
  sensor: string;
  sensorIndex: number;
  startStep: number;
  endStep: number;
}

/**
 * A generated road network for demos and tests (flagged `synthetic: true`): corridors of sensors
 * one link apart, free-flow speeds of 55–70 mph, weekday morning and evening rush hours that
 * travel upstream, lighter weekend traffic, correlated noise, a few missing readings, and injected
 * incidents. Deterministic for a seed.
 */
export function generateTrafficNetwork(options: SyntheticNetworkOptions = {}): {
  series: TrafficSeries;
  adjacency: Adjacency;
  incidents: InjectedIncident[];
} {
  checkKnownKeys('generateTrafficNetwork options', options, SYNTHETIC_KEYS);
  const n = options.sensors ?? 24;
  const corridor = options.corridorLength ?? 8;
  const days = options.days ?? 14;
  const interval = options.intervalMinutes ?? 5;
  const incidentCount = options.incidents ?? 6;
  const missingRate = options.missingRate ?? 0.002;
  if (!Number.isInteger(n) || n < 2 || n > 2000)
    throw new AppliedMLError('E_INPUT_INVALID', `sensors must be an integer in 2..2000; got ${n}.`);
  if (!Number.isInteger(corridor) || corridor < 1)
    throw new AppliedMLError('E_INPUT_INVALID', `corridorLength must be a positive integer; got ${corridor}.`);
  if (!(typeof days === 'number' && days > 0 && days <= 366))
    throw new AppliedMLError('E_INPUT_INVALID', `days must be in (0, 366]; got ${String(days)}.`);
  checkInterval(interval);
  checkIntegerOption('incidents', incidentCount, 0, 10_000);
  checkNumberOption('missingRate', missingRate, 0, 1, { open: 'max' });
  const valuesNeeded = Math.round(days * Math.round((24 * 60) / interval)) * n;
  if (valuesNeeded > MAX_SYNTHETIC_VALUES)
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `A network of ${n} sensors over ${days} days at ${interval} min holds ${valuesNeeded} readings; at most ${MAX_SYNTHETIC_VALUES}.`,
      { details: { sensors: n, days, intervalMinutes: interval } },
    );
  const start = toEpochMs(options.start ?? '2026-01-05T00:00:00Z', 'start');
  const rng = createRng(options.seed ?? 7);
  const perDay = Math.round((24 * 60) / interval);
  const steps = Math.round(days * perDay);
  const gauss = (): number => {
    const u = Math.max(rng.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  };
  const free = Array.from({ length: n }, () => 55 + 15 * rng.next());
  const depth = Array.from({ length: n }, () => 0.25 + 0.35 * rng.next());
  const position = Array.from({ length: n }, (_, s) => s % corridor);
  // Adjacency: neighbours along a corridor, plus a weaker link between corridors at the same position.
  const adj = new Float64Array(n * n);
  for (let s = 0; s < n; s++) {
    adj[s * n + s] = 1;
    if (position[s]! + 1 < corridor && s + 1 < n) adj[s * n + s + 1] = adj[(s + 1) * n + s] = 0.8;
    if (s + corridor < n) adj[s * n + s + corridor] = adj[(s + corridor) * n + s] = 0.3;
  }
  const values = new Float64Array(steps * n);
  const noise = new Float64Array(n);
  const congestion = (t: number, s: number): number => {
    const ms = start + t * interval * 60_000;
    const day = new Date(ms).getUTCDay();
    const hour = ((ms % 86_400_000) / 3_600_000 + 24) % 24;
    const weekend = day === 0 || day === 6;
    const lag = position[s]! * 0.15; // rush hour reaches upstream sensors later
    const peak = (centre: number, width: number): number => Math.exp(-0.5 * ((hour - centre - lag) / width) ** 2);
    return weekend ? 0.35 * peak(13, 2.5) : peak(8, 1.1) + 0.9 * peak(17.5, 1.4);
  };
  for (let t = 0; t < steps; t++) {
    for (let s = 0; s < n; s++) {
      noise[s] = 0.85 * noise[s]! + 0.5 * gauss();
      values[t * n + s] = free[s]! * (1 - depth[s]! * congestion(t, s)) + 1.2 * noise[s]!;
    }
  }
  const incidents: InjectedIncident[] = [];
  for (let k = 0; k < incidentCount; k++) {
    const s = rng.nextInt(n);
    const t0 = perDay + rng.nextInt(Math.max(1, steps - perDay - 30));
    const len = Math.round((30 + 60 * rng.next()) / interval);
    const drop = 0.4 + 0.25 * rng.next();
    for (let t = t0; t < Math.min(steps, t0 + len); t++) {
      for (let up = 0; up <= 2 && position[s]! - up >= 0; up++) {
        const tt = t + up * 2;
        if (tt >= steps) continue;
        const i = tt * n + (s - up);
        values[i] = values[i]! * (1 - drop / (1 + up));
      }
    }
    incidents.push({ sensor: `S${String(s).padStart(3, '0')}`, sensorIndex: s, startStep: t0, endStep: Math.min(steps, t0 + len) });
  }
  for (let i = 0; i < values.length; i++) {
    values[i] = Math.min(80, Math.max(3, values[i]!));
    if (rng.next() < missingRate) values[i] = NaN;
  }
  const sensors = Array.from({ length: n }, (_, s) => `S${String(s).padStart(3, '0')}`);
  incidents.sort((a, b) => a.startStep - b.startStep);
  return {
    series: createSeries({ values, sensors, intervalMinutes: interval, start, synthetic: true }),
    adjacency: createAdjacency(adj, n),
    incidents,
  };
}
