import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { toHttpError } from './http-errors';
import { createConcurrencyLimit } from './limiter';

describe('in-process concurrency limit', () => {
  it('runs at most `concurrency` at once, queues `maxQueue`, and answers the rest 503 E_BUSY with Retry-After', async () => {
    const limit = createConcurrencyLimit({ concurrency: 2, maxQueue: 3 });
    let active = 0;
    let peak = 0;
    const task = async (): Promise<number> => {
      active += 1;
      peak = Math.max(peak, active);
      await sleep(30);
      active -= 1;
      return 1;
    };
    expect(limit.full).toBe(false);
    const results = Promise.allSettled(Array.from({ length: 8 }, () => limit.run(task)));
    expect(limit.stats()).toEqual({ running: 2, queued: 3 });
    expect(limit.full).toBe(true);
    const settled = await results;
    expect(settled.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    const refused = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(3);
    expect(toHttpError(refused[0]?.reason)).toMatchObject({ status: 503, retryAfterSeconds: 1, body: { code: 'E_BUSY' } });
    expect(peak).toBe(2);
    expect(limit.stats()).toEqual({ running: 0, queued: 0 });
    // A failing task frees its slot too.
    await expect(limit.run(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await limit.run(() => 7)).toBe(7);
    expect(limit.stats()).toEqual({ running: 0, queued: 0 });
  });
});
