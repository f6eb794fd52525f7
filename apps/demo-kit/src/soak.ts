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
 * caller asserts its own bounds on the result.
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
