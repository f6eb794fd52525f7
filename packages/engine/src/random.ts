import { AppliedMLError, describeValue } from './errors';

/**
 * A small, seeded pseudo-random generator (sfc32, seeded through splitmix32). It is fast,
 * passes PractRand for the sizes we care about and, above all, gives the same sequence for the
 * same seed on every platform, so splits and shuffles are reproducible. Not for cryptography.
 */
export interface Rng {
  /** A float in [0, 1) with 53 random bits. */
  next(): number;
  /** An unsigned 32-bit integer. */
  nextUint32(): number;
  /** An integer in [0, maxExclusive), without modulo bias. `maxExclusive` must be a positive safe integer. */
  nextInt(maxExclusive: number): number;
  /** Fisher–Yates shuffle of `items` in place; returns the same array. */
  shuffle<T>(items: T[]): T[];
}

/** A seed: a safe integer (negative is fine) or any string (hashed). */
export type Seed = number | string;

const TWO_32 = 4294967296;

/** Turns a seed into two 32-bit words. */
function seedWords(seed: Seed): [number, number] {
  if (typeof seed === 'string') {
    // Two FNV-1a passes with different offsets give two independent-ish words.
    let a = 0x811c9dc5;
    let b = 0x01000193 ^ 0x5bd1e995;
    for (let i = 0; i < seed.length; i++) {
      const c = seed.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
    }
    return [a >>> 0, (b ^ seed.length) >>> 0];
  }
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    // describeValue, not String(): a seed whose toString throws (or that has none) must not make this throw untyped.
    throw new AppliedMLError('E_INPUT_INVALID', `A random seed must be a safe integer or a string; got ${describeValue(seed)}.`, {
      details: { seed: describeValue(seed) },
    });
  }
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_32) | 0;
  return [lo, hi >>> 0];
}

/** Creates a seeded generator. The same seed always yields the same sequence. */
export function createRng(seed: Seed): Rng {
  const [lo, hi] = seedWords(seed);
  // splitmix32 expands the seed words into the four sfc32 state words.
  let sm = (lo ^ Math.imul(hi, 0x9e3779b1)) | 0;
  const splitmix = (): number => {
    sm = (sm + 0x9e3779b9) | 0;
    let z = sm ^ hi;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) | 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = 1;

  const nextUint32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Warm up so that similar seeds diverge before the first output.
  for (let i = 0; i < 15; i++) nextUint32();

  const next = (): number => {
    const high = nextUint32() >>> 5; // 27 bits
    const low = nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  };

  const nextInt = (maxExclusive: number): number => {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive <= 0) {
      // describeValue, not String(): a bound whose toString throws (or that has none) must not make this throw untyped.
      throw new AppliedMLError('E_INPUT_INVALID', `nextInt needs a positive integer bound; got ${describeValue(maxExclusive)}.`, {
        details: { field: 'maxExclusive' },
      });
    }
    if (maxExclusive > TWO_32) return Math.floor(next() * maxExclusive);
    // Rejection sampling: drop the top sliver that would bias the modulo.
    const limit = TWO_32 - (TWO_32 % maxExclusive);
    let r = nextUint32();
    while (r >= limit) r = nextUint32();
    return r % maxExclusive;
  };

  const shuffle = <T>(items: T[]): T[] => {
    if (!Array.isArray(items))
      throw new AppliedMLError('E_INPUT_INVALID', `shuffle needs an array to shuffle in place; got ${describeValue(items)}.`, {
        details: { field: 'items' },
      });
    for (let i = items.length - 1; i > 0; i--) {
      const j = nextInt(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  };

  return { next, nextUint32, nextInt, shuffle };
}

/** What `withSeededRandom` says when `fn` is async: why it cannot be seeded, and what to do instead. */
const ASYNC_ADVICE =
  'Math.random is seeded only while fn runs synchronously: after its first await it would draw from the global ' +
  'generator again (and other code would draw from the seeded one meanwhile). Call withSeededRandom inside each ' +
  'synchronous step instead, e.g. build the model in it, then await the training outside.';

/** The tag of an async function or of a generator function, whose body runs after the call returns. */
function deferredKind(fn: (...args: never[]) => unknown): string | undefined {
  const tag = Object.prototype.toString.call(fn);
  if (tag === '[object AsyncFunction]') return 'an async function';
  if (tag === '[object AsyncGeneratorFunction]') return 'an async generator function';
  if (tag === '[object GeneratorFunction]') return 'a generator function';
  return undefined;
}

/** A promise or other thenable (reading `then` may throw: that is no thenable we can wait for either). */
function isThenable(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    return false;
  }
}

/**
 * Run `fn` with Math.random drawing from `rng`, restored afterwards even when `fn` throws. tfjs
 * draws weight initialisers, dropout masks and shuffles from Math.random when no seed is given, so
 * building and training inside this gives the same model and run for the same seed.
 *
 * Synchronous functions only. The swap lasts exactly as long as `fn` runs on the stack: everything
 * that calls Math.random in that time draws from `rng` (all of it is `fn`'s own work, as nothing
 * else runs in between), and nothing after `fn` returns does. An async function would run unseeded
 * after its first `await`, so it is refused before it runs: an async function, an async generator
 * function or a generator function (whose body runs later) is `E_INPUT_INVALID`, and so is a
 * synchronous `fn` that returns a promise or another thenable (`E_INPUT_INVALID` after it ran,
 * Math.random already restored; the promise is left to run, and its rejection is caught so it
 * cannot end the process as an unhandled rejection). Seed each synchronous step instead:
 * `const model = withSeededRandom(rng, () => build())`, then `await fitModel(model, …, { seed })`
 * (the trainer seeds each of its own steps this way).
 */
export function withSeededRandom<T>(rng: Rng, fn: () => T): T {
  checkRng(rng, 'withSeededRandom');
  if (typeof fn !== 'function')
    throw new AppliedMLError('E_INPUT_INVALID', `withSeededRandom needs a function to run (got ${describeValue(fn)}).`, {
      details: { field: 'fn' },
    });
  const deferred = deferredKind(fn);
  if (deferred !== undefined)
    throw new AppliedMLError('E_INPUT_INVALID', `withSeededRandom runs synchronous functions only (got ${deferred}). ${ASYNC_ADVICE}`, {
      details: { field: 'fn' },
    });
  const original = Math.random;
  Math.random = () => rng.next();
  let result: T;
  try {
    result = fn();
  } finally {
    Math.random = original;
  }
  if (isThenable(result)) {
    // fn has run and its promise goes on without us: keep its failure from becoming an unhandled rejection.
    try {
      (result as PromiseLike<unknown>).then(undefined, () => undefined);
    } catch {
      // a thenable whose then throws: nothing is pending on it
    }
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `withSeededRandom runs synchronous functions only (fn returned a promise). ${ASYNC_ADVICE}`,
      {
        details: { field: 'fn' },
      },
    );
  }
  return result;
}

/** Longest permutation: 2^28 indices, 1 GiB of Int32Array, filled whole. */
const MAX_PERMUTATION = 2 ** 28;

/** `rng` has the generator's methods (from createRng): anything else failed as a TypeError in the middle. */
function checkRng(rng: unknown, what: string): void {
  const r = rng as Partial<Rng> | null;
  if (r === null || typeof r !== 'object' || typeof r.next !== 'function' || typeof r.nextInt !== 'function')
    throw new AppliedMLError('E_INPUT_INVALID', `${what} needs a generator from createRng (got ${describeValue(rng)}).`, {
      details: { field: 'rng' },
    });
}

/**
 * A seeded permutation of 0..n-1 (Fisher–Yates). `n` is an integer in [0, 2^28] (E_INPUT_INVALID; a
 * larger one is E_INPUT_TOO_LARGE, as the whole array is allocated at once).
 */
export function permutation(n: number, rng: Rng): Int32Array {
  if (!(typeof n === 'number' && Number.isInteger(n) && n >= 0))
    throw new AppliedMLError('E_INPUT_INVALID', `permutation needs a length that is an integer ≥ 0 (got ${describeValue(n)}).`, {
      details: { field: 'n' },
    });
  if (n > MAX_PERMUTATION)
    throw new AppliedMLError('E_INPUT_TOO_LARGE', `A permutation of ${n} indices is over the limit of ${MAX_PERMUTATION}.`, {
      details: { n, max: MAX_PERMUTATION },
    });
  checkRng(rng, 'permutation');
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = out[i] as number;
    out[i] = out[j] as number;
    out[j] = tmp;
  }
  return out;
}
