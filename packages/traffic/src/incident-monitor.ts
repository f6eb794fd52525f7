import { AppliedMLError, checkKnownKeys, describeValue } from '@appliedml/engine';
import { isLocalTimeText, MAX_READING, toFeedTimeMs } from './series';
import { checkTimeZone, secondPassHint } from './time-zone';

export interface IncidentMonitorOptions {
  sensors: readonly string[];
  /** |robust z| above this is abnormal (default 3.5, Iglewicz & Hoaglin's cut-off). */
  threshold?: number;
  /**
   * Consecutive abnormal steps before an alert is raised (default 3 = 15 min at 5-min steps). A step
   * without a reading from the sensor breaks the run: it counts again from its next abnormal reading.
   */
  persistence?: number;
  /**
   * Residuals kept per sensor for the median and MAD (default 288 = a day of 5-min steps); memory is
   * bounded by it: at most 100,000, and sensors × historySize at most 2^25 (E_INPUT_TOO_LARGE).
   */
  historySize?: number;
  /** Residuals needed before a sensor can alert (default 24, or historySize when that is smaller); at most historySize. */
  minHistory?: number;
  /** 'drop' (default): only readings below the forecast (slow-downs); 'both': either side. */
  direction?: 'drop' | 'both';
  /**
   * Floor on the robust scale, in reading units (default 1, suited to speeds in mph or km/h), so a very
   * steady sensor does not alert on noise. Set it in your readings' units: for occupancy as a fraction
   * (0–1) a floor of 1 hides every jam; something like 0.02 fits there.
   */
  minScale?: number;
  /**
   * A reading equal to this is missing, like NaN (e.g. 0 from detectors that report 0 when broken;
   * `forecaster.missingValue` gives the one the model was trained with; undefined, as it answers for a
   * model trained without one, means none).
   */
  missingValue?: number | undefined;
  /**
   * Clear an open alert after this many steps in a row without a reading from its sensor (a detector
   * that went dark), with an event whose `reason` is 'no-data'. Default: off (an alert stays open until
   * its sensor reads normal again).
   */
  clearAfterMissing?: number;
  /**
   * IANA time zone in which `observe` reads a `time` without an offset (`model.timeZone`, as the
   * forecaster reads them, the hour repeated when clocks go back included); without it such a time is
   * read in UTC fields.
   */
  timeZone?: string;
}

/** Most residuals an IncidentMonitor keeps over all sensors (sensors × historySize): 2^25, 256 MiB. */
export const MAX_HISTORY_VALUES = 2 ** 25;

const MONITOR_KEYS = Object.keys({
  sensors: 1,
  threshold: 1,
  persistence: 1,
  historySize: 1,
  minHistory: 1,
  direction: 1,
  minScale: 1,
  missingValue: 1,
  clearAfterMissing: 1,
  timeZone: 1,
} satisfies Record<keyof IncidentMonitorOptions, 1>);

export interface IncidentAlert {
  sensor: string;
  sensorIndex: number;
  /** Step index (count of observe calls, from 0) and time of the first abnormal step. */
  startStep: number;
  startedAt: string | null;
  /** Step and time at which the alert was raised (after `persistence` abnormal steps). */
  raisedStep: number;
  raisedAt: string | null;
  /** Robust z-score, observed and expected values at the latest abnormal step. */
  z: number;
  observed: number;
  expected: number;
}

export interface IncidentEvent {
  type: 'raised' | 'cleared';
  alert: IncidentAlert;
  step: number;
  time: string | null;
  /** Set on a clear that came from `clearAfterMissing` (the sensor sent nothing), not from a normal reading. */
  reason?: 'no-data';
}

/** The order a Float64Array's sort() gives: numeric, -0 before +0 (residuals are never NaN). */
function before(a: number, b: number): boolean {
  return a < b || (a === 0 && b === 0 && 1 / a < 0 && 1 / b > 0);
}

/** The first index in sorted[0, count) whose value is not before `v` (where `v` goes, or is). */
function lowerBound(sorted: Float64Array, count: number, v: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(sorted[mid] as number, v)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The k-th smallest (from 0) of |sorted[i] − med| over i < count, where sorted is in ascending order:
 * the deviations left of `split` (the first index not below `med`) grow leftwards and those from it
 * grow rightwards, so this is the k-th of two sorted runs, found by bisection in O(log count). Each
 * deviation is computed as `Math.abs(v - med)`, as sorting them all did, so the value is the same.
 */
function kthDeviation(sorted: Float64Array, count: number, med: number, split: number, k: number): number {
  const left = (i: number): number => Math.abs((sorted[split - 1 - i] as number) - med); // i-th of the left run
  const right = (j: number): number => Math.abs((sorted[split + j] as number) - med);
  const nl = split;
  const nr = count - split;
  // Take i from the left run and k + 1 - i from the right: the largest i whose last taken left is not
  // above the first right not taken.
  let lo = Math.max(0, k + 1 - nr);
  let hi = Math.min(k + 1, nl);
  while (lo < hi) {
    const i = (lo + hi + 1) >> 1;
    if (left(i - 1) <= right(k + 1 - i)) lo = i;
    else hi = i - 1;
  }
  const i = lo;
  const j = k + 1 - i;
  if (i === 0) return right(j - 1);
  if (j === 0) return left(i - 1);
  return Math.max(left(i - 1), right(j - 1));
}

/**
 * Streaming incident detector. Each step, give it what each sensor read and what the forecaster
 * expected; it keeps a bounded history of residuals per sensor and scores the new residual with a
 * robust z-score, (r − median) / (1.4826 · MAD). An alert is raised when a sensor stays abnormal for
 * `persistence` consecutive steps and cleared at its first normal step. Abnormal residuals do not
 * enter the history, so an incident does not teach the monitor that it is normal. A missing reading
 * (NaN) is not abnormal and breaks a run (an alert raised hours after its first abnormal reading,
 * across a detector's dark spell, was raised on readings that were never consecutive); an open alert
 * stays open through it (see `clearAfterMissing`).
 */
export class IncidentMonitor {
  private readonly sensors: string[];
  private readonly threshold: number;
  private readonly persistence: number;
  private readonly historySize: number;
  private readonly missingValue: number | undefined;
  private readonly timeZone: string | undefined;
  private readonly clearAfterMissing: number | undefined;
  private readonly minHistory: number;
  private readonly direction: 'drop' | 'both';
  private readonly minScale: number;
  private readonly history: Float64Array[];
  /** Each sensor's kept residuals in ascending order (its first `filled` slots), for the median and MAD. */
  private readonly sorted: Float64Array[];
  private readonly filled: Uint32Array;
  private readonly cursor: Uint32Array;
  private readonly run: Uint32Array;
  /** Steps in a row without a reading, per sensor. */
  private readonly missingRun: Uint32Array;
  private readonly runStart: Int32Array;
  private readonly runStartTime: (number | null)[];
  private readonly activeAlerts = new Map<number, IncidentAlert>();
  private step = 0;
  /** The latest `time` observed (epoch ms): a stream's times must go forward. */
  private lastTime: number | null = null;
  /** The step between the last two times observed (ms): it tells a resent time in the repeated hour from the second pass. */
  private lastStepMs: number | undefined;

  constructor(options: IncidentMonitorOptions) {
    if (!options || !Array.isArray(options.sensors) || options.sensors.length === 0) {
      throw new AppliedMLError('E_INPUT_INVALID', 'IncidentMonitor needs the sensor ids.');
    }
    checkKnownKeys('IncidentMonitor options', options, MONITOR_KEYS);
    const num = (v: number | undefined, d: number, name: string, min: number, int = false): number => {
      const x = v ?? d;
      if (!Number.isFinite(x) || x < min || (int && !Number.isInteger(x)))
        throw new AppliedMLError('E_INPUT_INVALID', `${name} must be ${int ? 'an integer ' : ''}>= ${min}; got ${x}.`, {
          details: { [name]: x },
        });
      return x;
    };
    const notText = options.sensors.findIndex((id) => typeof id !== 'string');
    if (notText >= 0)
      throw new AppliedMLError('E_INPUT_INVALID', `IncidentMonitor sensor ids are strings (model.sensors); sensors[${notText}] is not.`, {
        details: { index: notText },
      });
    this.sensors = [...options.sensors];
    if (new Set(this.sensors).size !== this.sensors.length)
      throw new AppliedMLError('E_INPUT_INVALID', 'Sensor ids must be unique.', { details: { sensors: this.sensors.length } });
    this.threshold = num(options.threshold, 3.5, 'threshold', 0);
    this.persistence = num(options.persistence, 3, 'persistence', 1, true);
    this.historySize = num(options.historySize, 288, 'historySize', 3, true);
    if (this.historySize > 100_000)
      throw new AppliedMLError('E_INPUT_INVALID', `historySize must be at most 100000 steps per sensor; got ${this.historySize}.`, {
        details: { historySize: this.historySize },
      });
    // The residual history is sensors × historySize numbers, allocated here: bound the product too.
    if (this.sensors.length * this.historySize > MAX_HISTORY_VALUES)
      throw new AppliedMLError(
        'E_INPUT_TOO_LARGE',
        `IncidentMonitor would keep ${this.sensors.length} sensors × ${this.historySize} residuals; at most ${MAX_HISTORY_VALUES} (256 MiB) in all. Lower historySize or split the sensors over several monitors.`,
        { details: { sensors: this.sensors.length, historySize: this.historySize, max: MAX_HISTORY_VALUES } },
      );
    // The default (24) follows a smaller historySize; a minHistory asked for past it could never be met
    // by the residuals kept, and was silently lowered.
    const minHistory = num(options.minHistory, 24, 'minHistory', 3, true);
    if (options.minHistory !== undefined && minHistory > this.historySize)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `minHistory (${minHistory}) must be at most historySize (${this.historySize}): a sensor keeps only historySize residuals. Raise historySize or lower minHistory.`,
        { details: { minHistory, historySize: this.historySize } },
      );
    this.minHistory = Math.min(minHistory, this.historySize);
    this.minScale = num(options.minScale, 1, 'minScale', 0);
    if (options.missingValue !== undefined && !(typeof options.missingValue === 'number' && Number.isFinite(options.missingValue)))
      throw new AppliedMLError('E_INPUT_INVALID', `missingValue must be a finite number; got ${String(options.missingValue)}.`, {
        details: { field: 'missingValue' },
      });
    this.missingValue = options.missingValue;
    this.timeZone = options.timeZone === undefined ? undefined : checkTimeZone(options.timeZone);
    this.clearAfterMissing =
      options.clearAfterMissing === undefined ? undefined : num(options.clearAfterMissing, 1, 'clearAfterMissing', 1, true);
    this.direction = options.direction ?? 'drop';
    if (this.direction !== 'drop' && this.direction !== 'both')
      throw new AppliedMLError('E_INPUT_INVALID', `direction must be 'drop' or 'both'; got '${String(this.direction)}'.`);
    const n = this.sensors.length;
    this.history = Array.from({ length: n }, () => new Float64Array(this.historySize));
    this.sorted = Array.from({ length: n }, () => new Float64Array(this.historySize));
    this.filled = new Uint32Array(n);
    this.cursor = new Uint32Array(n);
    this.run = new Uint32Array(n);
    this.missingRun = new Uint32Array(n);
    this.runStart = new Int32Array(n);
    this.runStartTime = new Array<number | null>(n).fill(null);
  }

  /** Alerts currently open. */
  get active(): IncidentAlert[] {
    return [...this.activeAlerts.values()].map((a) => ({ ...a }));
  }

  /**
   * A new stream of readings (a replay looping back, a feed restarted after an outage), as the
   * forecaster's `resetStream`: the next `time` may be any, and runs of abnormal or missing steps start
   * again. The residual history (the learnt normal spread) and open alerts are kept; an open alert
   * clears at its sensor's first normal step, as always.
   */
  resetStream(): void {
    this.lastTime = null;
    this.lastStepMs = undefined;
    this.run.fill(0);
    this.missingRun.fill(0);
  }

  /** Robust z of residual `r` for sensor `s`, or undefined while its history is short. */
  private score(s: number, r: number): number | undefined {
    const count = this.filled[s] as number;
    if (count < this.minHistory) return undefined;
    // The kept residuals in order, kept sorted by `remember` (sorting them twice a call cost 44 ms at
    // 20 sensors × 8,000 residuals): the median and MAD read a few of them, the same values as before.
    const sorted = this.sorted[s] as Float64Array;
    const mid = count >> 1;
    const odd = count % 2 === 1;
    const med = odd ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
    const split = lowerBound(sorted, count, med);
    const mad = odd
      ? kthDeviation(sorted, count, med, split, mid)
      : (kthDeviation(sorted, count, med, split, mid - 1) + kthDeviation(sorted, count, med, split, mid)) / 2;
    const scale = Math.max(1.4826 * mad, this.minScale, 1e-12);
    return (r - med) / scale;
  }

  private remember(s: number, r: number): void {
    const h = this.history[s] as Float64Array;
    const sorted = this.sorted[s] as Float64Array;
    let count = this.filled[s] as number;
    if (count === this.historySize) {
      // The oldest residual leaves: out of the sorted copy by its position (a value with the same bits).
      const at = lowerBound(sorted, count, h[this.cursor[s] as number] as number);
      sorted.copyWithin(at, at + 1, count);
      count--;
    }
    const at = lowerBound(sorted, count, r);
    sorted.copyWithin(at + 1, at, count);
    sorted[at] = r;
    h[this.cursor[s] as number] = r;
    this.cursor[s] = ((this.cursor[s] as number) + 1) % this.historySize;
    this.filled[s] = Math.min((this.filled[s] as number) + 1, this.historySize);
  }

  /**
   * One step: readings and the forecast for that step (NaN or null = missing: JSON has no NaN, and
   * JSON.stringify writes one as null). Returns alerts raised and cleared.
   */
  observe(input: {
    observed: ArrayLike<number | null>;
    expected: ArrayLike<number | null>;
    time?: Date | number | string;
  }): IncidentEvent[] {
    const n = this.sensors.length;
    if (!input || input.observed?.length !== n || input.expected?.length !== n) {
      throw new AppliedMLError('E_SHAPE_MISMATCH', `observe needs ${n} observed and ${n} expected values.`, {
        details: { expected: n, observed: input?.observed?.length, forecast: input?.expected?.length },
      });
    }
    // Each value read once (what is checked is what is used), and every value checked before any state
    // changes: a number (NaN marks a missing reading or forecast) at most MAX_READING in size, as
    // everywhere else in the package. null (JSON's missing value) is read as NaN.
    const read = (values: ArrayLike<number | null>, s: number): unknown => {
      const v = values[s];
      return v === null ? NaN : v;
    };
    const observed = Array.from({ length: n }, (_, s) => read(input.observed, s));
    const expected = Array.from({ length: n }, (_, s) => read(input.expected, s));
    for (const [name, values] of [
      ['observed', observed],
      ['expected', expected],
    ] as const) {
      for (let s = 0; s < n; s++) {
        const v = values[s];
        // The monitor's missing-value marker is no reading to bound (a sentinel such as -1e15 was refused).
        if (name === 'observed' && v !== undefined && v === this.missingValue) continue;
        if (typeof v !== 'number' || (!Number.isNaN(v) && !(Math.abs(v) <= MAX_READING)))
          throw new AppliedMLError(
            'E_INPUT_INVALID',
            `${name}[${s}] (sensor '${this.sensors[s]}') is ${describeValue(v)}; a reading is a number at most ${MAX_READING} in size (NaN or null for missing).`,
            { details: { field: name, sensor: s, sensorId: this.sensors[s] } },
          );
      }
    }
    // After the previous time, as the forecaster's update reads it: a zone-less time in the hour repeated
    // when clocks go back is its second pass once the first was seen (it was refused as going back),
    // unless the feed's step says it is the same reading sent again (5-minute data's 01:05, 01:05).
    const time =
      input.time === undefined ? null : toFeedTimeMs(input.time, 'time', this.timeZone, this.lastTime ?? undefined, this.lastStepMs);
    if (time !== null && this.lastTime !== null && time <= this.lastTime) {
      const same = time === this.lastTime;
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `Observation time ${new Date(time).toISOString()} is ${same ? 'the same as' : 'before'} the previous one (${new Date(this.lastTime).toISOString()}); a monitor's readings must go forward in time.${same && isLocalTimeText(input.time) ? secondPassHint(this.timeZone, time) : ''}`,
        { details: { field: 'time', reason: same ? 'timestamps-duplicated' : 'timestamps-out-of-order' } },
      );
    }
    const iso = time === null ? null : new Date(time).toISOString();
    const events: IncidentEvent[] = [];
    for (let s = 0; s < n; s++) {
      const o = observed[s] as number;
      const e = expected[s] as number;
      if (Number.isNaN(o) || Number.isNaN(e) || o === this.missingValue) {
        this.missingRun[s] = (this.missingRun[s] as number) + 1;
        // No reading: the abnormal steps before it and after it are not consecutive.
        this.run[s] = 0;
        const open = this.activeAlerts.get(s);
        if (open && this.clearAfterMissing !== undefined && (this.missingRun[s] as number) >= this.clearAfterMissing) {
          this.activeAlerts.delete(s);
          events.push({ type: 'cleared', alert: open, step: this.step, time: iso, reason: 'no-data' });
        }
        continue;
      }
      this.missingRun[s] = 0;
      const r = o - e;
      const z = this.score(s, r);
      const abnormal = z !== undefined && (this.direction === 'both' ? Math.abs(z) > this.threshold : z < -this.threshold);
      if (!abnormal) {
        this.remember(s, r);
        this.run[s] = 0;
        const open = this.activeAlerts.get(s);
        if (open) {
          this.activeAlerts.delete(s);
          events.push({ type: 'cleared', alert: open, step: this.step, time: iso });
        }
        continue;
      }
      if (this.run[s] === 0) {
        this.runStart[s] = this.step;
        this.runStartTime[s] = time;
      }
      this.run[s] = (this.run[s] as number) + 1;
      const open = this.activeAlerts.get(s);
      if (open) {
        open.z = z;
        open.observed = o;
        open.expected = e;
      } else if ((this.run[s] as number) >= this.persistence) {
        const startTime = this.runStartTime[s] ?? null;
        const alert: IncidentAlert = {
          sensor: this.sensors[s] as string,
          sensorIndex: s,
          startStep: this.runStart[s] as number,
          startedAt: startTime === null ? null : new Date(startTime).toISOString(),
          raisedStep: this.step,
          raisedAt: iso,
          z,
          observed: o,
          expected: e,
        };
        this.activeAlerts.set(s, alert);
        events.push({ type: 'raised', alert: { ...alert }, step: this.step, time: iso });
      }
    }
    if (time !== null) {
      if (this.lastTime !== null) this.lastStepMs = time - this.lastTime;
      this.lastTime = time;
    }
    this.step++;
    return events;
  }
}
