import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createService, PAGE_CSP, underPrefix } from './service';

// The shutdown hook and the pages' CSP read the raw request target while the router decodes it and
// routes a full-URL target (`GET http://host/readyz`, as sent to a proxy) by its path: `/ready%7a` is
// readiness to the router, but the shutdown hook answered it 503 E_BUSY, which readiness' schema
// cannot serialise (a 500); `GET http://host/docs/` got the pages' framing headers on the OpenAPI page,
// and a page at `/docsearch` got none (it "started with" /docs). Both now use the router's path.

const html = (body: string) => async (_request: unknown, reply: { type(t: string): { send(b: string): unknown } }) =>
  reply.type('text/html; charset=utf-8').send(body);

const pages = () =>
  createService({
    name: 'raw paths',
    limits: { shutdownTimeoutMs: 500 },
    routes(app) {
      const schema = { response: { 200: { type: 'string' } } };
      app.get('/', { schema }, html('<!doctype html><p>page</p>') as never);
      app.get('/docsearch', { schema }, html('<!doctype html><p>search the docs</p>') as never);
      app.get('/fast', { schema: {} }, async () => ({ ok: true }));
    },
  });

/** Writes `head` (without its last blank line), runs `between` once the server has begun it, ends the head; all the answer's text. */
async function exchange(port: number, head: string, between: () => unknown = () => undefined): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  let text = '';
  const done = new Promise<string>((resolve) => {
    socket.on('data', (chunk) => (text += String(chunk)));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
  });
  socket.write(`${head}Host: localhost\r\n`);
  // Let the server begin the request first: a connection with no request begun is idle, and close() ends those.
  await sleep(100);
  const during = between();
  socket.write('Connection: close\r\n\r\n');
  const answer = await done;
  await during;
  return answer;
}

/** A header's value in a raw answer (lower-case name), undefined without it. */
const header = (text: string, name: string): string | undefined =>
  text
    .split('\r\n\r\n')[0]
    ?.split('\r\n')
    .find((line) => line.toLowerCase().startsWith(`${name}:`))
    ?.slice(name.length + 1)
    .trim();

describe('the router path in the shutdown hook and the CSP', () => {
  it('answers readiness and health by their router path while shutting down', async () => {
    const cases: [string, RegExp, string][] = [
      ['/readyz', /^HTTP\/1\.1 503 /, '{"status":"shutting-down"}'],
      ['/ready%7a', /^HTTP\/1\.1 503 /, '{"status":"shutting-down"}'],
      ['http://localhost/readyz', /^HTTP\/1\.1 503 /, '{"status":"shutting-down"}'],
      ['/health%7a', /^HTTP\/1\.1 200 /, '{"status":"ok"}'],
      ['http://localhost/healthz?x=1', /^HTTP\/1\.1 200 /, '{"status":"ok"}'],
      ['/f%61st', /^HTTP\/1\.1 503 /, '"code":"E_BUSY"'],
    ];
    for (const [target, status, body] of cases) {
      // One service each: close() starts while the request's head is half written.
      const service = await pages();
      const { port } = await service.listen();
      const text = await exchange(port, `GET ${target} HTTP/1.1\r\n`, () => service.close());
      expect([target, text]).toEqual([target, expect.stringMatching(status)]);
      expect(text).toContain(body);
    }
  });

  it('treats the OpenAPI page by its router path, and a page that only starts with its prefix as a page', async () => {
    const service = await pages();
    const { port } = await service.listen();
    try {
      const get = (target: string) => exchange(port, `GET ${target} HTTP/1.1\r\n`);
      const docs = await get('/docs/');
      expect(docs).toMatch(/^HTTP\/1\.1 200 /);
      const docsHeaders = (text: string) => ['content-security-policy', 'x-frame-options', 'referrer-policy'].map((h) => header(text, h));
      for (const target of ['http://localhost/docs/', '/do%63s/'])
        expect([target, docsHeaders(await get(target))]).toEqual([target, docsHeaders(docs)]);
      expect(header(docs, 'content-security-policy')).not.toBe(PAGE_CSP);
      for (const target of ['/', 'http://localhost/', '/docsearch', '/docs%65arch']) {
        const page = await get(target);
        expect([target, header(page, 'content-security-policy'), header(page, 'x-frame-options')]).toEqual([target, PAGE_CSP, 'DENY']);
      }
    } finally {
      await service.close();
    }
  });

  // The rule that every route declares a JSON schema exempted any path starting with the OpenAPI
  // page's letters: a schema-less '/docsearch' (no validation, no response serialisation) started.
  it('refuses at start-up a route without a schema whose path only starts with the docs prefix, as any other', async () => {
    for (const [docsPrefix, path] of [
      [undefined, '/docsearch'],
      [undefined, '/docs-v2/list'],
      [undefined, '/search'],
      ['/api-docs/', '/api-docsearch'],
    ] as const) {
      const outcome = await createService({
        name: 'schema rule',
        ...(docsPrefix ? { docsPrefix } : {}),
        routes(app) {
          app.get(path, async () => ({ ok: true }));
        },
      }).then(
        async (service) => {
          await service.close();
          return 'started';
        },
        (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
      );
      expect([path, outcome]).toEqual([path, `E_INTERNAL: Route GET ${path} has no JSON schema; every route declares one.`]);
    }
    // The OpenAPI page's own routes (under the prefix) declare none and are taken, at another prefix too.
    const service = await createService({ name: 'docs routes', docsPrefix: '/api-docs/', routes() {} });
    try {
      const { url } = await service.listen();
      expect((await fetch(`${url}/api-docs/json`)).status).toBe(200);
    } finally {
      await service.close();
    }
  });

  it('underPrefix: the prefix itself and paths below it, not paths that only start with its letters', () => {
    expect(underPrefix('/docs', '/docs')).toBe(true);
    expect(underPrefix('/docs/json', '/docs')).toBe(true);
    expect(underPrefix('/docs/static/x.css', '/docs/')).toBe(true);
    expect(underPrefix('/docsearch', '/docs')).toBe(false);
    expect(underPrefix('/', '/docs')).toBe(false);
  });
});
