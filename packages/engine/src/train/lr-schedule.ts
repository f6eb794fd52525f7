import { AppliedMLError } from '../errors';

/**
 * Learning-rate schedules, applied at the start of each epoch (and for `plateau`, at its end).
 * A function gets the epoch (0-based) and the current rate and returns the next rate.
 */
export type LrSchedule =
  | { type: 'step'; every: number; factor: number }
  | { type: 'exponential'; decay: number }
  | { type: 'cosine'; minLearningRate?: number; warmupEpochs?: number }
  | { type: 'plateau'; factor?: number; patience?: number; minLearningRate?: number; minDelta?: number }
  | ((epoch: number, learningRate: number) => number);

export class LrScheduler {
  private waited = 0;
  private best = Infinity;
  private current: number;

  constructor(
    private readonly schedule: LrSchedule | undefined,
    private readonly base: number,
    private readonly epochs: number,
  ) {
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
