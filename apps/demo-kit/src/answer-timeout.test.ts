import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createService, errorResponses, resolveAnswerTimeout } from './service';

describe('a request still unanswered near the connection timeout', () => {
  it('is answered 503 E_BUSY with Retry-After, not dropped with its idle connection', async () => {
    const service = await createService({
      name: 'slow',
      logger: false,
      limits: { connectionTimeoutMs: 1_000, timeoutCheckIntervalMs: 100 },
      routes(app) {
        app.post('/slow', { schema: { body: { type: 'object' }, response: { 200: { type: 'object' }, ...errorResponses } } }, async () => {
          await sleep(2_500);
          return {};
        });
        app.post('/quick', { schema: { body: { type: 'object' }, response: { 200: { type: 'object' } } } }, async () => ({ ok: 1 }));
      },
    });
    const { url } = await service.listen();
    try {
      const started = performance.now();
      const res = await fetch(`${url}/slow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toMatchObject({ code: 'E_BUSY' });
      expect(performance.now() - started).toBeLessThan(2_000); // at the 900 ms limit, before the 2.5 s handler ends
      const quick = await fetch(`${url}/quick`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(quick.status).toBe(200);
    } finally {
      await service.close();
    }
  }, 20_000);

  it('the default limit is the connection timeout less 5 s (less a tenth when short), 0 when either is off', () => {
    expect(resolveAnswerTimeout({})).toBe(55_000);
    expect(resolveAnswerTimeout({ connectionTimeoutMs: 1_000 })).toBe(900);
    expect(resolveAnswerTimeout({ connectionTimeoutMs: 0 })).toBe(0);
    expect(resolveAnswerTimeout({ connectionTimeoutMs: 60_000, answerTimeoutMs: 0 })).toBe(0);
    expect(resolveAnswerTimeout({ answerTimeoutMs: 7_000 })).toBe(7_000);
  });

  it('refuses an answerTimeoutMs that is not a whole number of milliseconds (NaN fired at once)', async () => {
    for (const bad of [Number.NaN, -1, 2.5])
      await expect(createService({ name: 'bad', logger: false, limits: { answerTimeoutMs: bad }, routes() {} })).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
      });
  });
});

describe('the answer limit is timed from the end of the body', () => {
  it('a slow upload followed by a quick handler is answered 200, not cut at the limit while its body still arrives', async () => {
    const service = await createService({
      name: 'upload',
      logger: false,
      limits: { connectionTimeoutMs: 3_000, answerTimeoutMs: 800, timeoutCheckIntervalMs: 100 },
      routes(app) {
        app.post(
          '/echo',
          { schema: { body: { type: 'object' }, response: { 200: { type: 'object', additionalProperties: true } } } },
          async (req) => {
            await sleep(200);
            return { got: Object.keys(req.body as object).length };
          },
        );
      },
    });
    const { url } = await service.listen();
    try {
      // The body arrives over ~1.5 s (past the 800 ms limit), in chunks the idle limit never sees pause.
      const parts = ['{"a":1', ',"b":2', ',"c":3', ',"d":4', ',"e":5}'];
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const part = parts.shift();
          if (part === undefined) return controller.close();
          await sleep(300);
          controller.enqueue(new TextEncoder().encode(part));
        },
      });
      const res = await fetch(`${url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ got: 5 });
    } finally {
      await service.close();
    }
  }, 20_000);
});
