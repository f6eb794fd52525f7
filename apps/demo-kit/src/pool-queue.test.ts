import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import type { ScaleInput, ScaleOutput } from './__fixtures__/scale-model';
import { createInferencePool, MIN_RUN_SAMPLES, type InferencePoolOptions } from './pool';

// The pool's queue under overload (review R2-2): 12 concurrent 12 s analyses with a 50 s limit were
// all queued (maxQueue 64), 8 answered 503 only after 50–55 s, and abandoned ones still ran after.
const WORKER = new URL('./__fixtures__/scale-model.ts', import.meta.url);

describe('inference pool queue', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'demo-kit-queue-'));
    await writeFile(join(dir, 'model.json'), JSON.stringify({ factor: 3 }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const open = async (options: Partial<InferencePoolOptions> = {}) => {
    const pool = createInferencePool<ScaleInput, ScaleOutput>({ worker: WORKER, bundle: join(dir, 'model.json'), ...options });
    await pool.ready();
    return pool;
  };
  /** How long a promise takes to settle, and how. */
  const timed = async <T>(promise: Promise<T>, from: number) =>
    promise.then(
      (value) => ({ ok: true as const, value, ms: performance.now() - from }),
      (error: unknown) => ({ ok: false as const, error: error as AppliedMLError, ms: performance.now() - from }),
    );

  it('holds 8 tasks waiting by default: the next is refused 503 E_BUSY at once, not queued', async () => {
    const pool = await open({ taskTimeoutMs: 0 });
    try {
      const started = performance.now();
      const running = pool.run({ spin: 600 });
      const queued = Array.from({ length: 8 }, () => pool.run(1));
      const refused = await timed(pool.run(2), started);
      expect(refused.ok).toBe(false);
      expect(refused.ms).toBeLessThan(400);
      expect(refused.ok || refused.error).toMatchObject({ code: 'E_BUSY', details: { retryAfterSeconds: 1 } });
      expect(pool.full).toBe(true);
      await running;
      expect((await Promise.all(queued)).map((o) => o.y)).toEqual(Array(8).fill(3));
      expect(pool.full).toBe(false);
    } finally {
      await pool.close();
    }
  }, 20_000);

  it('refuses at once a task that would not finish within taskTimeoutMs behind the queued ones', async () => {
    // The limit sits halfway between two tasks' ends, so neither the last one let in nor the first
    // one refused is on the edge: at 2.0 s the fifth would have been let in or not by a few
    // milliseconds of load, and, let in, could overrun its limit on a busy machine.
    const pool = await open({ taskTimeoutMs: 2_200 });
    try {
      // A kind's run time counts once it has MIN_RUN_SAMPLES recent ones: 400 ms.
      for (let i = 0; i < MIN_RUN_SAMPLES; i++) await pool.run({ spin: 400 });
      const started = performance.now();
      // One worker: these end at about 0.4, 0.8, 1.2, 1.6, 2.0, 2.4 and 2.8 s; the last two would
      // end past 2.2 s even at the shortest run time, the fifth 0.2 s inside it.
      const results = await Promise.all(Array.from({ length: 7 }, () => timed(pool.run({ spin: 400 }), started)));
      expect(results.slice(0, 5).every((r) => r.ok)).toBe(true);
      for (const late of results.slice(5)) {
        expect(late.ok).toBe(false);
        // Refused when it arrived, not after waiting for its 2 s limit.
        expect(late.ms).toBeLessThan(300);
        if (!late.ok) {
          expect(late.error).toMatchObject({ code: 'E_BUSY' });
          expect(late.error.details['timedOut']).toBeUndefined();
        }
      }
      expect(pool.stats().timeouts).toBe(0);
      expect(pool.isReady).toBe(true);
    } finally {
      await pool.close();
    }
  }, 20_000);

  it('answers a waiting task that can no longer make its limit when that is known, without starting it or replacing a worker', async () => {
    const pool = await open({ taskTimeoutMs: 2_000 });
    try {
      for (let i = 0; i < MIN_RUN_SAMPLES - 1; i++) await pool.run({ spin: 800 });
      const started = performance.now();
      // One run time short of an estimate: all four are queued (they would end at 0.8, 1.6, 2.4 and
      // 3.2 s). Once the first has run, 0.8 s is known: the third and fourth cannot end by 2 s and
      // are answered then, and never started.
      const tasks = Array.from({ length: 4 }, () => timed(pool.run({ spin: 800 }), started));
      const [first, second, third, fourth] = await Promise.all(tasks);
      expect(first?.ok && second?.ok).toBe(true);
      for (const late of [third, fourth]) {
        expect(late?.ok).toBe(false);
        expect(late?.ms).toBeLessThan(1_300);
        expect(late?.ok || late?.error).toMatchObject({ code: 'E_BUSY' });
      }
      expect(pool.stats().timeouts).toBe(0);
      expect(pool.isReady).toBe(true);
      // The same worker answers: none was ended.
      expect((await pool.run(2)).threadId).toBe(first?.ok ? first.value.threadId : -1);
    } finally {
      await pool.close();
    }
  }, 20_000);

  // A task about to start with less of its limit left than its kind's shortest recent run is not
  // started (it would be cut at its limit and its worker ended and replaced): it is answered then,
  // saying it waited. Only once its kind has MIN_RUN_SAMPLES run times (see the next test).
  it('does not start a task with less time left than its kind takes, once the kind has MIN_RUN_SAMPLES run times', async () => {
    const pool = await open({ taskTimeoutMs: 1_600 });
    try {
      let threadId = -1;
      for (let i = 0; i < MIN_RUN_SAMPLES; i++) ({ threadId } = await pool.run({ spin: 900 }, { kind: 'slow' }));
      const started = performance.now();
      // One worker. The first task's kind has no run time yet (it counts as none), so the second is
      // let in; it could start only after about 0.9 s, with about 0.7 s of its 1.6 s left, where
      // its kind takes 0.9 s.
      const [other, late] = await Promise.all([
        timed(pool.run({ spin: 900 }, { kind: 'other' }), started),
        timed(pool.run({ spin: 900 }, { kind: 'slow' }), started),
      ]);
      expect(other.ok).toBe(true);
      expect(late.ok).toBe(false);
      expect(late.ok || late.error).toMatchObject({ code: 'E_BUSY', details: { retryAfterSeconds: 1, waited: 'queue' } });
      expect(late.ok || late.error.details['workerReplaced']).toBeUndefined();
      // Answered when it would have started, not at its limit; no worker was ended.
      expect(late.ms).toBeLessThan(1_450);
      expect(pool.stats().timeouts).toBe(0);
      expect(pool.isReady).toBe(true);
      expect((await pool.run(2)).threadId).toBe(threadId);
      // A kind never run is not judged by another's times: it starts with little time left.
      const quick = await Promise.all([
        timed(pool.run({ spin: 900 }, { kind: 'slow' }), performance.now()),
        timed(pool.run(1, { kind: 'quick' }), performance.now()),
      ]);
      expect(quick.map((r) => r.ok)).toEqual([true, true]);
    } finally {
      await pool.close();
    }
  }, 20_000);

  // Review R4-1: the rule above applied from a kind's first run, and a first run is often slow (a
  // cold worker, or one large input): with a 2 s limit and a 1.5 s first run, 4 quick tasks of that
  // kind queued behind it were all refused 503 at 1.5 s, each with about 0.5 s left and ~1 ms of work.
  it('serves quick tasks queued behind a slow first run of their kind', async () => {
    const pool = await open({ taskTimeoutMs: 4_000 });
    try {
      const started = performance.now();
      const first = timed(pool.run({ spin: 2_500 }, { kind: 'predict' }), started);
      await new Promise((r) => setTimeout(r, 100));
      // Each starts after about 2.5 s with about 1.6 s of its 4 s left, and takes about 1 ms.
      const quick = await Promise.all(Array.from({ length: 4 }, (_, i) => timed(pool.run(i + 1, { kind: 'predict' }), started)));
      expect((await first).ok).toBe(true);
      expect(quick.map((r) => (r.ok ? r.value.y : r.error.code))).toEqual([3, 6, 9, 12]);
      expect(pool.stats().timeouts).toBe(0);
      expect(pool.isReady).toBe(true);
    } finally {
      await pool.close();
    }
  }, 20_000);

  // Review R5-1: one moving average for all tasks: after one 3 s task, a burst of quick ones was
  // refused at once (limit 5 s), and after three slow ones of one route, quick ones of another.
  it('does not refuse a burst of quick tasks after one slow task', async () => {
    const pool = await open({ taskTimeoutMs: 2_000 });
    try {
      await pool.run({ spin: 1_200 });
      const results = await Promise.all(Array.from({ length: 4 }, (_, i) => timed(pool.run(i), performance.now())));
      expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
    } finally {
      await pool.close();
    }
  }, 20_000);

  it('keeps run times per kind: slow tasks of one kind do not get quick ones of another refused', async () => {
    const pool = await open({ taskTimeoutMs: 2_000 });
    try {
      for (let i = 0; i < MIN_RUN_SAMPLES; i++) await pool.run({ spin: 700 }, { kind: 'large' });
      const started = performance.now();
      const quick = await Promise.all(Array.from({ length: 4 }, (_, i) => timed(pool.run(i, { kind: 'small' }), started)));
      expect(quick.map((r) => r.ok)).toEqual([true, true, true, true]);
      // The slow kind itself is still refused at once when it cannot finish in time (0.7, 1.4, 2.1 s).
      const large = await Promise.all(
        Array.from({ length: 3 }, () => timed(pool.run({ spin: 700 }, { kind: 'large' }), performance.now())),
      );
      expect(large.map((r) => r.ok)).toEqual([true, true, false]);
      expect(large[2]?.ms).toBeLessThan(300);
    } finally {
      await pool.close();
    }
  }, 20_000);

  // A micro-batch took inputs of every kind, and its run time counted for its first input's kind
  // only: a slow input batched behind a quick one made the quick kind look slow (and the slow one
  // quick). Each kind now has its own batches.
  it('micro-batches each kind apart, so a batch run time belongs to one kind', async () => {
    const pool = await open({ taskTimeoutMs: 0, batch: { maxSize: 8, maxWaitMs: 30 } });
    try {
      const before = pool.stats().batches;
      const [a1, b1, a2, b2, a3] = await Promise.all([
        pool.run(1, { kind: 'small' }),
        pool.run({ spin: 50 }, { kind: 'large' }),
        pool.run(2, { kind: 'small' }),
        pool.run({ spin: 50 }, { kind: 'large' }),
        pool.run(3, { kind: 'small' }),
      ]);
      expect([a1, a2, a3].map((o) => [o?.y, o?.batchSize])).toEqual([
        [3, 3],
        [6, 3],
        [9, 3],
      ]);
      expect([b1?.batchSize, b2?.batchSize]).toEqual([2, 2]);
      expect(pool.stats().batches - before).toBe(2);
      // A full batch of one kind goes at once; the other kind's inputs keep waiting for their own.
      const full = await Promise.all([
        ...Array.from({ length: 8 }, (_, i) => pool.run(i, { kind: 'small' })),
        pool.run(1, { kind: 'large' }),
      ]);
      expect(full.map((o) => o.batchSize)).toEqual([...Array(8).fill(8), 1]);
      expect(pool.stats().queued).toBe(0);
    } finally {
      await pool.close();
    }
  }, 20_000);

  // Review R4-2: close() while micro-batches of two kinds collected answered one kind E_MODEL_DISPOSED,
  // where the old mixed batch ran them all. Kept on purpose: close() sends the collecting batches as
  // tasks, and, as for any task, those that get a worker run and those left waiting never start.
  it('close() sends the micro-batches still collecting; those left waiting for a worker are E_MODEL_DISPOSED', async () => {
    const pool = await open({ taskTimeoutMs: 5_000, batch: { maxSize: 3, maxWaitMs: 200 } });
    const outcome = (p: Promise<ScaleOutput>) =>
      p.then(
        (o) => `y=${o.y} batch=${o.batchSize}`,
        (e: unknown) => (e as AppliedMLError).code,
      );
    const a = [1, 2].map((x) => outcome(pool.run(x, { kind: 'a' })));
    const b = outcome(pool.run(7, { kind: 'b' }));
    const started = performance.now();
    await pool.close();
    // One worker: kind a's batch (collected first) gets it and runs; kind b's waits, so never starts.
    expect(await Promise.all([...a, b])).toEqual(['y=3 batch=2', 'y=6 batch=2', 'E_MODEL_DISPOSED']);
    // Sent at close, not after maxWaitMs.
    expect(performance.now() - started).toBeLessThan(2_000);
    await expect(pool.run(1, { kind: 'a' })).rejects.toMatchObject({ code: 'E_MODEL_DISPOSED' });
  }, 20_000);

  it('drops a waiting task whose caller no longer waits (its signal aborted) before it starts', async () => {
    const pool = await open({ taskTimeoutMs: 0 });
    try {
      const started = performance.now();
      const running = pool.run({ spin: 300 });
      const controller = new AbortController();
      const abandoned = timed(pool.run({ spin: 3_000 }, { signal: controller.signal }), started);
      const after = timed(pool.run(2), started);
      controller.abort();
      const dropped = await abandoned;
      expect(dropped.ok).toBe(false);
      expect(dropped.ok || dropped.error).toMatchObject({ code: 'E_BUSY', details: { abandoned: true } });
      await running;
      // The 3 s task never ran: the next one is answered right after the first.
      const next = await after;
      expect(next.ok).toBe(true);
      expect(next.ms).toBeLessThan(2_000);
      // A batch task is dropped only once every caller left; runBatch takes a signal too.
      const gone = new AbortController();
      gone.abort();
      await expect(pool.runBatch([1], { signal: gone.signal })).rejects.toMatchObject({ details: { abandoned: true } });
    } finally {
      await pool.close();
    }
  }, 20_000);

  it('never extends a waiting task past its limit while a timed-out worker is replaced, and leaves the reloading worker alone', async () => {
    const delay = join(dir, 'reload-delay.txt');
    const log = join(dir, 'reload-loads.log');
    await writeFile(delay, '0');
    const pool = await open({ taskTimeoutMs: 1_000, readyTimeoutMs: 10_000, loadOptions: { loadDelayFile: delay, loadLog: log } });
    try {
      await writeFile(delay, '2500'); // the replacement takes 2.5 s to load
      const started = performance.now();
      const hung = timed(pool.run({ spin: 20_000 }), started);
      await new Promise((r) => setTimeout(r, 50));
      const behind = timed(pool.run(2), started);
      const timedOut = await hung;
      expect(timedOut.ok || timedOut.error).toMatchObject({ code: 'E_BUSY', details: { timedOut: true, workerReplaced: true } });
      const waited = await behind;
      // Its own 1 s limit (from 50 ms), not the reload's: answered before the replacement has loaded.
      expect(waited.ok).toBe(false);
      expect(waited.ms).toBeLessThan(2_000);
      expect(waited.ok || waited.error).toMatchObject({ code: 'E_BUSY', details: { timedOut: true, workerReplaced: false } });
      // Review R5-2: the message said 'every worker was busy' when the one worker was loading the model.
      if (!waited.ok) {
        expect(waited.error.message).toContain('its worker was still loading the model');
        expect(waited.error.message).not.toContain('busy');
        expect(waited.error.details['waited']).toBe('model-load');
      }
      expect(pool.stats().timeouts).toBe(2);
      // The replacement was not ended by that: it finishes its one load and the pool is ready again.
      for (let i = 0; i < 300 && !pool.isReady; i++) await new Promise((r) => setTimeout(r, 20));
      expect(pool.isReady).toBe(true);
      const loads = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
      expect(loads).toHaveLength(2);
      expect((await pool.run(3)).y).toBe(9);
    } finally {
      await pool.close();
    }
  }, 30_000);

  // Review R5-2: after a worker was replaced, the next task went to the replacement, still loading
  // the model, while the other worker sat idle, and timed out 'because every worker was busy'.
  it('hands a task to an idle worker that holds the model, not to a replacement still loading it', async () => {
    const delay = join(dir, 'reload-delay-2.txt');
    await writeFile(delay, '0');
    const pool = await open({ threads: 2, taskTimeoutMs: 800, readyTimeoutMs: 10_000, loadOptions: { loadDelayFile: delay } });
    try {
      await writeFile(delay, '3000'); // a replacement takes 3 s to load
      const hung = await timed(pool.run({ spin: 20_000 }), performance.now());
      expect(hung.ok || hung.error).toMatchObject({ details: { workerReplaced: true } });
      expect(pool.isReady).toBe(false);
      const threadIds = new Set<number>();
      for (let i = 0; i < 4; i++) {
        const quick = await timed(pool.run(i), performance.now());
        expect(quick.ok).toBe(true);
        expect(quick.ms).toBeLessThan(500);
        if (quick.ok) threadIds.add(quick.value.threadId);
      }
      // All on the worker that was never replaced; readiness still waits for the replacement. It loads for
      // 3 s plus a worker's start-up, which took over 6 s at a load of 15 (a CI run beside other work):
      // up to 20 s here, under the test's 30 s.
      expect(threadIds.size).toBe(1);
      expect(pool.stats().timeouts).toBe(1);
      for (let i = 0; i < 1000 && !pool.isReady; i++) await new Promise((r) => setTimeout(r, 20));
      expect(pool.isReady).toBe(true);
    } finally {
      await pool.close();
    }
  }, 30_000);
});
