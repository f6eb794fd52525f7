// numpy's legacy `RandomState` (MT19937), only the calls ADBench's data generator makes: seeding with an
// integer, `permutation`, `choice(n, k)` with and without replacement, and the unit-interval draws. numpy keeps this
// stream fixed across versions, so the same calls give the same rows as the paper's runs did.
import { AppliedMLError } from '@appliedml/engine';

const N = 624;
const M = 397;

export class LegacyRandomState {
  private readonly mt = new Uint32Array(N);
  private pos = N;

  /** `np.random.seed(seed)` for an integer seed in [0, 2^32). */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new AppliedMLError('E_INPUT_INVALID', `A numpy seed is an integer in [0, 2^32) (got ${seed}).`);
    }
    let s = seed >>> 0;
    for (let i = 0; i < N; i++) {
      this.mt[i] = s;
      s = (Math.imul(1812433253, s ^ (s >>> 30)) + i + 1) >>> 0;
    }
    this.pos = N;
  }

  /** The next 32-bit output of the twister. */
  nextUint32(): number {
    if (this.pos >= N) this.twist();
    let y = this.mt[this.pos++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `random_sample()`: a double in [0, 1) from two outputs (27 + 26 bits). */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** A uniform integer in [0, max] by masked rejection, as numpy's `random_interval` for max < 2^32. */
  interval(max: number): number {
    if (!(Number.isInteger(max) && max >= 0 && max <= 0xffffffff)) {
      throw new AppliedMLError('E_INPUT_INVALID', `A numpy interval bound is an integer in [0, 2^32) (got ${max}).`);
    }
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    for (;;) {
      const value = (this.nextUint32() & mask) >>> 0;
      if (value <= max) return value;
    }
  }

  /** `shuffle(x)` of a one-dimensional array, in place: swaps from the last position down. */
  shuffle<T>(x: T[]): T[] {
    for (let i = x.length - 1; i >= 1; i--) {
      const j = this.interval(i);
      const t = x[i] as T;
      x[i] = x[j] as T;
      x[j] = t;
    }
    return x;
  }

  /** `permutation(n)`: 0..n-1 shuffled. */
  permutation(n: number): number[] {
    if (!(Number.isInteger(n) && n >= 0 && n <= 0xffffffff)) {
      throw new AppliedMLError('E_INPUT_INVALID', `A permutation length is a non-negative integer (got ${n}).`);
    }
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** `choice(n, k, replace=False)` without weights: the first k of `permutation(n)`. */
  choiceWithoutReplacement(n: number, k: number): number[] {
    if (!(Number.isInteger(k) && k >= 0 && k <= n)) {
      throw new AppliedMLError('E_INPUT_INVALID', `Cannot take ${k} of ${n} rows without replacement.`);
    }
    return this.permutation(n).slice(0, k);
  }

  /** `choice(n, k, replace=True)` without weights: k draws of `randint(0, n)` (masked rejection, as `interval`). */
  choiceWithReplacement(n: number, k: number): number[] {
    if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(k) && k >= 0)) {
      throw new AppliedMLError('E_INPUT_INVALID', `Cannot draw ${k} of ${n} rows with replacement.`);
    }
    return Array.from({ length: k }, () => this.interval(n - 1));
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      const y = ((mt[i]! & 0x80000000) | (mt[(i + 1) % N]! & 0x7fffffff)) >>> 0;
      mt[i] = (mt[(i + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)) >>> 0;
    }
    this.pos = 0;
  }
}
