import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface SoakOptions {
  /** Concurrent clients (default 8). */
  clients?: number;
  /** Requests before measuring (default 24). */
  warmup?: number;
  /** Requests in each of the two measured halves (default 100). */
  half?: number;
}

export interface SoakResult {
  /** Requests whose check failed (or threw), over warm-up and both halves. */
  errors: number;
  /** Seconds for the two measured halves. */
  seconds: number;
  /** Heap growth in bytes over both halves (after a forced garbage collection each time). */
  heapGrowth: number;
  /** RSS growth in bytes over the first half and over the second. */
  rssFirstHalf: number;
  rssSecondHalf: number;
  /** One line for the test log. */
  summary: string;
}

/**
 * A service's steady-state check for its tests: `request(i)` fires the i-th request and says whether
 * its answer was right; `clients` loops run concurrently, first a warm-up, then two measured halves
 * with garbage collected before each memory reading, so the growth is what the service keeps. The
 * caller checks the result with `soakViolations` (the shared `SOAK_BOUNDS` or its own).
 */
export async function soak(request: (i: number) => Promise<boolean>, options: SoakOptions = {}): Promise<SoakResult> {
  const clients = options.clients ?? 8;
  let errors = 0;
  const fire = async (total: number): Promise<void> => {
    let next = 0;
    const client = async (): Promise<void> => {
      while (next < total) {
        const ok = await request(next++).catch(() => false);
        if (!ok) errors += 1;
      }
    };
    await Promise.all(Array.from({ length: clients }, client));
  };
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  await fire(options.warmup ?? 24);
  gc();
  const before = process.memoryUsage();
  const started = performance.now();
  const half = options.half ?? 100;
  await fire(half);
  gc();
  const middle = process.memoryUsage();
  await fire(half);
  const seconds = (performance.now() - started) / 1000;
  gc();
  const after = process.memoryUsage();
  const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
  const result = {
    errors,
    seconds,
    heapGrowth: after.heapUsed - before.heapUsed,
    rssFirstHalf: middle.rss - before.rss,
    rssSecondHalf: after.rss - middle.rss,
  };
  return {
    ...result,
    summary:
      `${2 * half} requests at ${clients} clients in ${seconds.toFixed(2)} s (${errors} errors); heap ${mib(result.heapGrowth)} MiB, ` +
      `RSS ${mib(result.rssFirstHalf)} MiB over the first ${half}, ${mib(result.rssSecondHalf)} MiB over the second`,
  };
}

/** Upper bounds a service's soak must stay under (bytes and seconds). */
export interface SoakBounds {
  seconds: number;
  heapGrowth: number;
  /** RSS growth over both halves together: it includes the allocator's arenas and library caches, which fill early. */
  rssTotal: number;
  /** RSS growth over the second half alone: once the first half has filled the caches, little more. */
  rssSecondHalf: number;
}

/**
 * The demo services' shared bounds for 200 requests at 8 clients on 2 cores. The time bound catches a
 * service that stalls (about 2–5 s here when quiet, 12 s seen under heavy load); speed is the bench's.
 */
export const SOAK_BOUNDS: Readonly<SoakBounds> = Object.freeze({
  seconds: 60,
  heapGrowth: 16 * 2 ** 20,
  rssTotal: 128 * 2 ** 20,
  rssSecondHalf: 48 * 2 ** 20,
});

/**
 * What a soak broke, one line per broken bound (failed requests count as one); an empty list means it
 * held. Tests assert `expect(soakViolations(r)).toEqual([])`, so a failure names the bound and the figure.
 */
export function soakViolations(r: SoakResult, bounds: Readonly<SoakBounds> = SOAK_BOUNDS): string[] {
  const out: string[] = [];
  if (r.errors !== 0) out.push(`${r.errors} requests failed`);
  const over = (name: string, value: number, limit: number): void => {
    if (!(value < limit)) out.push(`${name} ${value} ≥ ${limit}`);
  };
  over('seconds', r.seconds, bounds.seconds);
  over('heap growth', r.heapGrowth, bounds.heapGrowth);
  over('RSS growth over both halves', r.rssFirstHalf + r.rssSecondHalf, bounds.rssTotal);
  over('RSS growth over the second half', r.rssSecondHalf, bounds.rssSecondHalf);
  return out;
}
