import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import type { ScaleInput, ScaleOutput } from './__fixtures__/scale-model';
import { createInferencePool } from './pool';
import { createService, errorResponses } from './service';

// Review R2-2: requests answered 503 at the answer limit still had their analyses run afterwards
// (Fastify logged "Reply was already sent" for each late result), prolonging the overload.
const WORKER = new URL('./__fixtures__/scale-model.ts', import.meta.url);

function logSink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('work for a request that was already answered', () => {
  it('is dropped from the pool queue before it starts, and a late result or error is dropped quietly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'demo-kit-abandoned-'));
    await writeFile(join(dir, 'model.json'), JSON.stringify({ factor: 3 }));
    const pool = createInferencePool<ScaleInput, ScaleOutput>({ worker: WORKER, bundle: join(dir, 'model.json'), taskTimeoutMs: 0 });
    const logs = logSink();
    const service = await createService({
      name: 'abandoned',
      logger: { level: 'info', stream: logs.stream },
      limits: { answerTimeoutMs: 400 },
      onClose: () => pool.close(),
      routes(app) {
        const schema = { body: { type: 'object' }, response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses } };
        app.post<{ Body: { spin: number } }>('/spin', { schema }, async (request) => pool.run({ spin: request.body.spin }));
        app.post('/late-error', { schema }, async () => {
          await sleep(800);
          throw new AppliedMLError('E_INPUT_INVALID', 'Too late to matter.');
        });
      },
    });
    const { url } = await service.listen();
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    try {
      await pool.ready();
      const before = pool.stats().batches;
      // One worker: the first runs (1.2 s), the second waits; both are answered 503 at 400 ms.
      const answers = await Promise.all([post('/spin', { spin: 1_200 }), post('/spin', { spin: 1_200 }), post('/late-error', {})]);
      expect(answers.map((r) => r.status)).toEqual([503, 503, 503]);
      await sleep(1_500);
      // The waiting one never reached a worker: only the running one did.
      expect(pool.stats().batches - before).toBe(1);
      expect(pool.stats().queued).toBe(0);
      // Its late result and the late error left no "Reply was already sent" / "Promise errored" lines.
      expect(logs.text()).toContain('request not answered in time');
      expect(logs.text()).not.toContain('already sent');
      expect(logs.text()).not.toContain('Promise errored');
      // The service goes on: the worker is free again.
      const ok = await post('/spin', { spin: 10 });
      expect(ok.status).toBe(200);
    } finally {
      await service.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
