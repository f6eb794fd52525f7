import { AppliedMLError, describeValue } from '../errors';
import { checkIntegerOption, checkKnownKeys, checkNumberOption } from '../option-checks';

/**
 * Learning-rate schedules, applied at the start of each epoch (and for `plateau`, at its end).
 * A function gets the epoch (0-based) and the current rate and returns the next rate.
 */
export type LrSchedule =
  | { type: 'step'; every: number; factor: number }
  | { type: 'exponential'; decay: number }
  | { type: 'cosine'; minLearningRate?: number; warmupEpochs?: number }
  /**
   * `plateau`: the rate × `factor` (default 0.5, floored at `minLearningRate`, default 0) after
   * `patience` + 1 epochs in a row (default 2 + 1) whose monitored value is not below the best so far by
   * more than `minDelta` (default 1e-4), then the count starts again; as early stopping's `patience`,
   * which Keras's ReduceLROnPlateau `patience` exceeds by one (Keras `patience: 3` is `patience: 2` here).
   */
  | { type: 'plateau'; factor?: number; patience?: number; minLearningRate?: number; minDelta?: number }
  | ((epoch: number, learningRate: number) => number);

/** The schedule types and the keys each one takes (besides `type`). */
const SCHEDULE_KEYS = {
  step: ['every', 'factor'],
  exponential: ['decay'],
  cosine: ['minLearningRate', 'warmupEpochs'],
  plateau: ['factor', 'patience', 'minLearningRate', 'minDelta'],
} as const;
const SCHEDULE_TYPES = Object.keys(SCHEDULE_KEYS) as Array<keyof typeof SCHEDULE_KEYS>;
/** Bound of the epoch counts a schedule names (`every`, `patience`, `warmupEpochs` without `epochs`). */
const MAX_EPOCHS = 1_000_000;

/**
 * Checks a learning-rate schedule before training starts, so that a misspelt `type` or key, a missing
 * or out-of-range number is `E_INPUT_INVALID` naming it (`details.field`, e.g. `lrSchedule.factor`)
 * instead of a constant rate or a failure at the epoch that first uses it. Undefined (and null, as JSON
 * configs write it) means no schedule; a function is taken as is (each rate it gives is checked at its
 * epoch). `learningRate` and `epochs`, when given, bound `minLearningRate` and `warmupEpochs`: the
 * schedules lower the rate, never above where it starts.
 */
export function checkLrSchedule(schedule: unknown, context: { learningRate?: number; epochs?: number; field?: string } = {}): void {
  const field = context.field ?? 'lrSchedule';
  if (schedule === undefined || schedule === null || typeof schedule === 'function') return;
  const types = SCHEDULE_TYPES.map((t) => `'${t}'`).join(', ');
  if (typeof schedule !== 'object' || Array.isArray(schedule))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${field} must be an object { type, … } with type ${types}, or a function (epoch, rate) => rate (got ${describeValue(schedule)}).`,
      { details: { field } },
    );
  const s = schedule as Record<string, unknown>;
  const type = s.type;
  if (typeof type !== 'string' || !Object.hasOwn(SCHEDULE_KEYS, type))
    throw new AppliedMLError('E_INPUT_INVALID', `${field}.type must be one of ${types} (got ${describeValue(type)}).`, {
      details: { field: `${field}.type` },
    });
  const known = SCHEDULE_KEYS[type as keyof typeof SCHEDULE_KEYS];
  checkKnownKeys(field, s, ['type', ...known]);
  const base = context.learningRate;
  // A floor above the starting rate would raise it; only comparable when the rate itself is sound.
  const maxRate = typeof base === 'number' && Number.isFinite(base) && base > 0 ? base : Number.MAX_VALUE;
  const maxWarmup = Number.isInteger(context.epochs) && (context.epochs as number) >= 0 ? (context.epochs as number) : MAX_EPOCHS;
  const f = (key: string) => `${field}.${key}`;
  switch (type) {
    case 'step':
      checkIntegerOption(f('every'), s.every, 1, MAX_EPOCHS, false);
      checkNumberOption(f('factor'), s.factor, 0, 1, { open: 'min', optional: false });
      break;
    case 'exponential':
      checkNumberOption(f('decay'), s.decay, 0, 1, { open: 'min', optional: false });
      break;
    case 'cosine':
      checkNumberOption(f('minLearningRate'), s.minLearningRate, 0, maxRate);
      checkIntegerOption(f('warmupEpochs'), s.warmupEpochs, 0, maxWarmup);
      break;
    case 'plateau':
      checkNumberOption(f('factor'), s.factor, 0, 1, { open: 'both' });
      checkIntegerOption(f('patience'), s.patience, 0, MAX_EPOCHS);
      checkNumberOption(f('minLearningRate'), s.minLearningRate, 0, maxRate);
      checkNumberOption(f('minDelta'), s.minDelta, 0, Number.MAX_VALUE);
      break;
  }
}

export class LrScheduler {
  private waited = 0;
  private best = Infinity;
  private current: number;

  private readonly schedule: LrSchedule | undefined;

  /** Refuses a schedule `checkLrSchedule` refuses (null is no schedule). */
  constructor(
    schedule: LrSchedule | null | undefined,
    private readonly base: number,
    private readonly epochs: number,
  ) {
    checkLrSchedule(schedule, { learningRate: base, epochs });
    this.schedule = schedule ?? undefined;
    this.current = base;
  }

  /** The rate for `epoch`, before it runs. */
  atEpochStart(epoch: number): number {
    const s = this.schedule;
    if (s === undefined) return this.current;
    if (typeof s === 'function') this.current = s(epoch, this.current);
    else if (s.type === 'step') this.current = this.base * Math.pow(s.factor, Math.floor(epoch / Math.max(1, s.every)));
    else if (s.type === 'exponential') this.current = this.base * Math.pow(s.decay, epoch);
    else if (s.type === 'cosine') {
      const warm = s.warmupEpochs ?? 0;
      const min = s.minLearningRate ?? 0;
      if (epoch < warm) this.current = (this.base * (epoch + 1)) / warm;
      else {
        const t = (epoch - warm) / Math.max(1, this.epochs - warm);
        this.current = min + 0.5 * (this.base - min) * (1 + Math.cos(Math.PI * t));
      }
    }
    if (!Number.isFinite(this.current) || this.current <= 0) {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `The learning-rate schedule gave ${this.current} at epoch ${epoch}; it must be a positive number.`,
      );
    }
    return this.current;
  }

  /** For `plateau`: lower the rate when the monitored value stopped improving. */
  atEpochEnd(monitored: number): number {
    const s = this.schedule;
    if (s === undefined || typeof s === 'function' || s.type !== 'plateau') return this.current;
    if (monitored < this.best - (s.minDelta ?? 1e-4)) {
      this.best = monitored;
      this.waited = 0;
    } else if (++this.waited > (s.patience ?? 2)) {
      this.current = Math.max(s.minLearningRate ?? 0, this.current * (s.factor ?? 0.5));
      this.waited = 0;
    }
    return this.current;
  }
}
