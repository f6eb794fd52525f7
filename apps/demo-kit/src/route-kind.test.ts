import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScaleInput, ScaleOutput } from './__fixtures__/scale-model';
import { createInferencePool, MIN_RUN_SAMPLES } from './pool';
import { currentRequestRoute } from './request-scope';
import { createService, errorResponses } from './service';

// Review R5-1: the pool kept one moving average of run times for every task, so after large
// uploads on one route, a burst of quick requests to another was refused 503 at once. The service
// now runs each handler (and its `config.admit`) with its route, and the pool keeps run times per route.
const WORKER = new URL('./__fixtures__/scale-model.ts', import.meta.url);

describe('run times per route', () => {
  it('does not refuse quick requests on one route because another route ran slow tasks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'demo-kit-route-kind-'));
    await writeFile(join(dir, 'model.json'), JSON.stringify({ factor: 3 }));
    const pool = createInferencePool<ScaleInput, ScaleOutput>({ worker: WORKER, bundle: join(dir, 'model.json'), taskTimeoutMs: 2_000 });
    const admitted: (string | undefined)[] = [];
    const service = await createService({
      name: 'route-kind',
      onClose: () => pool.close(),
      routes(app) {
        const schema = { body: { type: 'object' }, response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses } };
        const config = { admit: () => void admitted.push(currentRequestRoute()) };
        app.post('/large', { schema, config }, async () => pool.run({ spin: 700 }));
        app.post('/small', { schema }, async () => ({ ...(await pool.run(2)), route: currentRequestRoute() }));
      },
    });
    const { url } = await service.listen();
    const post = (path: string) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    try {
      await pool.ready();
      for (let i = 0; i < MIN_RUN_SAMPLES; i++) expect((await post('/large')).status).toBe(200);
      expect(admitted).toEqual(Array(MIN_RUN_SAMPLES).fill('POST /large'));
      const small = await Promise.all(Array.from({ length: 4 }, () => post('/small')));
      expect(small.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(((await small[0]?.json()) as { route: string }).route).toBe('POST /small');
      // The large route's own run time still refuses at once what cannot finish in 2 s (0.7, 1.4, 2.1 s).
      const large = await Promise.all(Array.from({ length: 3 }, () => post('/large')));
      expect(large.map((r) => r.status)).toEqual([200, 200, 503]);
    } finally {
      await service.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
