import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError, ERROR_CODES, httpStatusForCode } from '@appliedml/engine';
import { fileNameSchema, resolveInside } from './file-names';
import { toHttpError } from './http-errors';
import {
  closeOnSignals,
  createService,
  errorResponses,
  hostAllowed,
  listenUrl,
  readErrorResponses,
  resolveHeadersTimeout,
  unreadableBody,
  type Service,
} from './service';

const SECRET = 'SECRET-BODY-7f3a';
/** Paths are logged (never bodies or query strings), so path tests use their own marker. */
const IN_PATH = 'PATH-MARK-5d1e';

function logSink(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

/** A raw HTTP request (fetch normalises `..` away, a hostile client does not). */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    let answer = '';
    socket.on('data', (d) => (answer += String(d)));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('demo service', () => {
  let service: Service;
  let base = '';
  let port = 0;
  let ready = false;
  let dir = '';
  const logs = logSink();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'demo-kit-files-'));
    await writeFile(join(dir, 'sample.txt'), 'hello');
    await writeFile(join(tmpdir(), 'demo-kit-outside.txt'), 'outside');
    await symlink(join(tmpdir(), 'demo-kit-outside.txt'), join(dir, 'link.txt'));
    await mkdir(join(dir, 'sub'));
    service = await createService({
      name: 'kit test',
      version: '1.2.3',
      logger: { level: 'info', stream: logs.stream },
      limits: { bodyLimit: 1024 },
      binaryTypes: ['application/octet-stream'],
      isReady: () => ready,
      routes(app) {
        app.post<{ Body: { text: string } }>(
          '/echo',
          {
            schema: {
              summary: 'Echo a text.',
              body: {
                type: 'object',
                required: ['text'],
                additionalProperties: false,
                properties: { text: { type: 'string' } },
              },
              response: { 200: { type: 'object', properties: { text: { type: 'string' } } }, ...errorResponses },
            },
          },
          async (request) => ({ text: request.body.text }),
        );
        app.post<{ Body: { code: string } }>(
          '/fail',
          { schema: { body: { type: 'object', required: ['code'], properties: { code: { type: 'string' } } } } },
          async (request) => {
            const code = request.body.code;
            if (code === 'busy') throw new AppliedMLError('E_BUSY', 'busy', { details: { retryAfterSeconds: 1 } });
            if (code === 'TypeError') throw new TypeError(`internal detail ${SECRET}`);
            if (code === 'foreign')
              throw Object.assign(new Error('from another engine copy'), {
                [Symbol.for('appliedml.error')]: true,
                code: 'E_SHAPE_MISMATCH',
                details: {},
              });
            // Another engine copy's error without `details` at all.
            if (code === 'foreign-busy')
              throw Object.assign(new Error('busy elsewhere'), { [Symbol.for('appliedml.error')]: true, code: 'E_BUSY' });
            if (code === 'sdk-internal') throw new AppliedMLError('E_INTERNAL', `bug near ${SECRET}`);
            throw new AppliedMLError(code as 'E_INPUT_INVALID', `failed with ${code}`);
          },
        );
        app.post('/bytes', { schema: { summary: 'Count raw bytes.', consumes: ['application/octet-stream'] } }, async (request) => ({
          bytes: (request.body as Buffer).length,
        }));
        app.get<{ Querystring: { limit: number; tags?: string[] }; Params: { id: number } }>(
          '/items/:id',
          {
            schema: {
              params: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } },
              querystring: {
                type: 'object',
                required: ['limit'],
                properties: { limit: { type: 'integer', minimum: 1 }, tags: { type: 'array', items: { type: 'string' } } },
              },
              response: { 200: { type: 'object', additionalProperties: true } },
            },
          },
          async (request) => ({ id: request.params.id, limit: request.query.limit, tags: request.query.tags ?? [] }),
        );
        app.get<{ Params: { name: string } }>(
          '/files/:name',
          { schema: { params: { type: 'object', required: ['name'], properties: { name: fileNameSchema } } } },
          async (request) => ({ path: await resolveInside(dir, request.params.name) }),
        );
      },
    });
    ({ url: base, port } = await service.listen());
  });
  afterAll(async () => {
    await service.close();
    await rm(dir, { recursive: true, force: true });
    await rm(join(tmpdir(), 'demo-kit-outside.txt'), { force: true });
  });

  it('answers health always and readiness only once the model is loaded', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const loading = await fetch(`${base}/readyz`);
    expect([loading.status, await loading.json()]).toEqual([503, { status: 'loading' }]);
    ready = true;
    const up = await fetch(`${base}/readyz`);
    expect([up.status, await up.json()]).toEqual([200, { status: 'ready' }]);
  });

  it('serves a schema route and maps hostile bodies to stable codes', async () => {
    const ok = await fetch(`${base}/echo`, json({ text: 'hi' }));
    expect([ok.status, await ok.json()]).toEqual([200, { text: 'hi' }]);
    const cases: [RequestInit, number, string][] = [
      [json({ text: 'x'.repeat(2000) }), 413, 'E_INPUT_TOO_LARGE'],
      [{ method: 'POST', headers: { 'content-type': 'text/plain' }, body: `{"text":"${SECRET}"}` }, 415, 'E_FORMAT_UNSUPPORTED'],
      [{ method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' }, 415, 'E_FORMAT_UNSUPPORTED'],
      [json(`{"text": "${SECRET}"`), 400, 'E_INPUT_INVALID'],
      [json(''), 400, 'E_INPUT_INVALID'],
      [json({ text: 3 }), 400, 'E_INPUT_INVALID'],
      [json({ text: 'a', extra: SECRET }), 400, 'E_INPUT_INVALID'],
      [json({}), 400, 'E_INPUT_INVALID'],
    ];
    for (const [init, status, code] of cases) {
      const res = await fetch(`${base}/echo`, init);
      const body = (await res.json()) as { code: string; message: string };
      expect([res.status, body.code], JSON.stringify(init.body).slice(0, 60)).toEqual([status, code]);
      // A 413 names the service's own limit in details (body-limit-answer.test.ts); nothing else carries any.
      expect(Object.keys(body).sort()).toEqual(status === 413 ? ['code', 'details', 'message'] : ['code', 'message']);
      expect(body.message).not.toContain(SECRET);
    }
    const missing = (await (await fetch(`${base}/echo`, json({}))).json()) as { message: string };
    expect(missing.message).toContain("lacks 'text'");
    const chunked = await fetch(`${base}/echo`, {
      ...json(''),
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(`{"text":"${'y'.repeat(3000)}"}`));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const bytes = await fetch(`${base}/bytes`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(10),
    });
    expect(await bytes.json()).toEqual({ bytes: 10 });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect(await (await fetch(`${base}/nope`)).json()).toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('refuses compressed bodies and JSON or text in a charset other than UTF-8 with 415, never misreading them', async () => {
    const send = async (path: string, headers: Record<string, string>, body: Uint8Array | string): Promise<[number, unknown]> => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers, body });
      return [res.status, await res.json()];
    };
    const COMPRESSED = {
      code: 'E_FORMAT_UNSUPPORTED',
      message: 'This service does not accept compressed request bodies; send the body without Content-Encoding.',
    };
    const CHARSET = { code: 'E_FORMAT_UNSUPPORTED', message: 'JSON and text bodies must be UTF-8; send charset=utf-8 or no charset.' };
    const gzipped = gzipSync(JSON.stringify({ text: SECRET }));
    for (const encoding of ['gzip', 'GZIP', 'deflate', 'br', 'x-gzip', 'gzip, identity', 'identity, br', `x-${SECRET}`])
      expect([encoding, ...(await send('/echo', { 'content-type': 'application/json', 'content-encoding': encoding }, gzipped))]).toEqual([
        encoding,
        415,
        COMPRESSED,
      ]);
    // Binary uploads too: their bytes would reach the reader still compressed.
    expect(
      await send('/bytes', { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' }, gzipSync(new Uint8Array(10))),
    ).toEqual([415, COMPRESSED]);
    for (const encoding of ['identity', 'Identity', ' identity '])
      expect(await send('/echo', { 'content-type': 'application/json', 'content-encoding': encoding }, '{"text":"hi"}')).toEqual([
        200,
        { text: 'hi' },
      ]);
    // JSON in UTF-16 or Latin-1 would be decoded as UTF-8: refused, whatever the case or quoting of the label.
    const utf16 = Buffer.from('{"text":"héllo"}', 'utf16le');
    for (const charset of ['utf-16le', 'UTF-16', 'iso-8859-1', '"latin1"', 'us-ascii', SECRET]) {
      const answer = await send('/echo', { 'content-type': `application/json; charset=${charset}` }, utf16);
      expect([charset, ...answer]).toEqual([charset, 415, CHARSET]);
    }
    expect(await send('/echo', { 'content-type': 'text/plain; charset=windows-1252' }, 'x')).toEqual([415, CHARSET]);
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON; Charset="UTF-8"',
      'application/json;charset=utf8',
    ])
      expect([type, ...(await send('/echo', { 'content-type': type }, '{"text":"héllo"}'))]).toEqual([type, 200, { text: 'héllo' }]);
    // A binary type's charset says nothing about its bytes: accepted.
    expect(await send('/bytes', { 'content-type': 'application/octet-stream; charset=latin1' }, new Uint8Array(7))).toEqual([
      200,
      { bytes: 7 },
    ]);
    // Refused before the body is read: 500 bytes announced, none sent, answered at once.
    const early = await headOnly(
      port,
      'POST /bytes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Encoding: gzip\r\nContent-Length: 500\r\n\r\n',
    );
    expect(early).toMatch(/^HTTP\/1\.1 415 /);
    // No body, nothing to misread: a GET with these headers is answered as usual.
    expect(
      (await fetch(`${base}/healthz`, { headers: { 'content-encoding': 'gzip', 'content-type': 'application/json; charset=utf-16' } }))
        .status,
    ).toBe(200);
    expect(unreadableBody({ 'content-type': 'application/json; charset=utf-16', 'content-length': '0' })).toBeUndefined();
    expect(unreadableBody({ 'content-type': 'application/problem+json; charset=utf-16', 'transfer-encoding': 'chunked' })).toBe(
      CHARSET.message,
    );
    expect(unreadableBody({ 'content-type': 'application/json', 'content-length': '2', 'content-encoding': '' })).toBeUndefined();
  });

  it('never echoes a body key, a path or a URL in an error answer', async () => {
    // An unknown body key (a client may put anything in a key, e.g. a token).
    const extraKey = await fetch(`${base}/echo`, json({ text: 'a', [SECRET]: 1 }));
    const extraBody = (await extraKey.json()) as { code: string; message: string };
    expect([extraKey.status, extraBody.code]).toEqual([400, 'E_INPUT_INVALID']);
    expect(extraBody.message).not.toContain(SECRET);
    expect(extraBody.message).toBe('The body has a field this route does not accept: it takes text.');
    const wrongType = (await (await fetch(`${base}/echo`, json({ text: 3 }))).json()) as { message: string };
    expect(wrongType.message).toBe("The body field 'text' must be of type string.");
    // The 404 answer names no path.
    const missing = await fetch(`${base}/nope-${IN_PATH}?q=${SECRET}`);
    expect([missing.status, await missing.json()]).toEqual([404, { code: 'E_NOT_FOUND', message: 'No such route.' }]);
    const wrongMethod = await fetch(`${base}/healthz`, { method: 'DELETE' });
    expect(JSON.stringify(await wrongMethod.json())).not.toContain('healthz');
    // Fastify's router errors go through the kit's mapping with fixed messages.
    const badUrl = await raw(port, `GET /${IN_PATH}/%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(badUrl).toMatch(/^HTTP\/1\.1 400 /);
    expect(badUrl).toContain('"code":"E_INPUT_INVALID"');
    expect(badUrl).not.toContain(IN_PATH);
    expect(badUrl).not.toContain('%E0');
    expect(badUrl).not.toContain('FST_ERR');
    const longParam = await fetch(`${base}/files/${IN_PATH}${'x'.repeat(400)}`);
    const longBody = await longParam.text();
    expect([longParam.status, (JSON.parse(longBody) as { code: string }).code]).toEqual([400, 'E_INPUT_INVALID']);
    expect(longBody).not.toContain(IN_PATH);
    expect(longBody).not.toContain('FST_ERR');
  });

  it('coerces numbers in query strings and path parameters, not in bodies', async () => {
    const res = await fetch(`${base}/items/42?limit=5&tags=a`);
    expect([res.status, await res.json()]).toEqual([200, { id: 42, limit: 5, tags: ['a'] }]);
    const bad = await fetch(`${base}/items/42?limit=many`);
    expect([bad.status, ((await bad.json()) as { message: string }).message]).toEqual([
      400,
      "The querystring field 'limit' must be of type integer.",
    ]);
    expect((await fetch(`${base}/items/x?limit=1`)).status).toBe(400);
    // A body keeps JSON's types: a number where a string is declared is refused.
    expect((await fetch(`${base}/echo`, json({ text: 3 }))).status).toBe(400);
  });

  it('maps SDK errors (even from another engine copy) to the engine status with their code', async () => {
    for (const code of [
      'E_INPUT_INVALID',
      'E_INPUT_TOO_LARGE',
      'E_FORMAT_UNSUPPORTED',
      'E_MODEL_NOT_TRAINED',
      'E_BUNDLE_CORRUPT',
    ] as const) {
      const res = await fetch(`${base}/fail`, json({ code }));
      expect([res.status, await res.json()]).toEqual([httpStatusForCode(code), { code, message: `failed with ${code}` }]);
    }
    const foreign = await fetch(`${base}/fail`, json({ code: 'foreign' }));
    expect([foreign.status, ((await foreign.json()) as { code: string }).code]).toEqual([400, 'E_SHAPE_MISMATCH']);
    const busy = await fetch(`${base}/fail`, json({ code: 'busy' }));
    expect([busy.status, busy.headers.get('retry-after')]).toEqual([503, '1']);
    const internal = await fetch(`${base}/fail`, json({ code: 'TypeError' }));
    const body = (await internal.json()) as { code: string; message: string };
    expect([internal.status, body]).toEqual([500, { code: 'E_INTERNAL', message: 'Internal error.' }]);
    const sdkInternal = await fetch(`${base}/fail`, json({ code: 'sdk-internal' }));
    expect([sdkInternal.status, await sdkInternal.json()]).toEqual([500, { code: 'E_INTERNAL', message: 'Internal error.' }]);
    const foreignBusy = await fetch(`${base}/fail`, json({ code: 'foreign-busy' }));
    expect([foreignBusy.status, ((await foreignBusy.json()) as { code: string }).code]).toEqual([503, 'E_BUSY']);
    const detailless = Object.assign(new Error('x'), { [Symbol.for('appliedml.error')]: true, code: 'E_BUSY' });
    expect(toHttpError(detailless)).toEqual({ status: 503, body: { code: 'E_BUSY', message: 'x' } });
    // Every engine code maps to the same status through the kit as through the engine.
    for (const code of ERROR_CODES) expect(toHttpError(new AppliedMLError(code, 'm')).status).toBe(httpStatusForCode(code));
    expect(toHttpError(new AppliedMLError('E_DEVICE_UNAVAILABLE', 'busy', { details: { retryAfterSeconds: 2 } })).retryAfterSeconds).toBe(
      2,
    );
  });

  it('rejects path traversal in a file parameter with 400', async () => {
    expect((await (await fetch(`${base}/files/sample.txt`)).json()) as unknown).toMatchObject({
      path: expect.stringContaining('sample.txt'),
    });
    const messages = new Set<string>();
    for (const name of [
      '..%2F..%2Fetc%2Fpasswd',
      '%2Fetc%2Fpasswd',
      '.hidden',
      '...',
      'a..b',
      'a%5C..%5Cb',
      'a%00b',
      'link.txt',
      'missing.txt',
      'sub',
    ]) {
      const res = await fetch(`${base}/files/${name}`);
      expect([name, res.status]).toEqual([name, 400]);
      const answer = (await res.json()) as { code: string; message: string };
      expect(answer.code).toBe('E_INPUT_INVALID');
      if (['link.txt', 'missing.txt', 'sub'].includes(name)) messages.add(answer.message);
    }
    // A link, a missing file and a folder answer alike: nothing says what exists or where a link points.
    expect(messages.size).toBe(1);
    const literal = await raw(port, 'GET /files/../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(literal).toMatch(/^HTTP\/1\.1 4\d\d/);
    expect(literal).not.toContain('root:');
  });

  it('generates an OpenAPI document listing the routes, and serves its page offline', async () => {
    const doc = service.openapi() as { info: { title: string; version: string }; paths: Record<string, unknown> };
    expect(doc.info).toMatchObject({ title: 'kit test', version: '1.2.3' });
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/echo', '/fail', '/bytes', '/files/{name}', '/healthz', '/readyz']));
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/docs'))).toBe(false);
    const served = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(served.paths)).toContain('/echo');
    const page = await fetch(`${base}/docs/static/index.html`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\/(?!localhost)[a-z]/i);
    expect((await fetch(`${base}/docs/static/swagger-ui-bundle.js`)).status).toBe(200);
  });

  it('a port out of range or already in use is a typed error, not a stack trace', async () => {
    const make = () =>
      createService({
        name: 'ports',
        routes(app) {
          app.get('/x', { schema: { response: { 200: { type: 'object' } } } }, async () => ({}));
        },
      });
    const first = await make();
    const { port } = await first.listen();
    const second = await make();
    await expect(second.listen({ port })).rejects.toMatchObject({ code: 'E_IO', message: expect.stringMatching(/already in use/) });
    await expect(second.listen({ port: 99_999 })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await second.close();
    await first.close();
  });

  it('refuses a route without a JSON schema', async () => {
    await expect(
      createService({
        name: 'bad',
        routes(app) {
          app.get('/x', async () => ({}));
        },
      }),
    ).rejects.toMatchObject({ code: 'E_INTERNAL' });
  });

  it('writes structured logs that never contain request bodies or query strings', async () => {
    await fetch(`${base}/echo?q=${SECRET}`, json({ text: SECRET }));
    await fetch(`${base}/echo`, json(`{"text": "${SECRET}`));
    await fetch(`${base}/echo`, json({ text: SECRET.repeat(100) }));
    await fetch(`${base}/fail`, json({ code: 'TypeError', note: SECRET }));
    await fetch(`${base}/fail`, json({ code: 'sdk-internal' }));
    await fetch(`${base}/fail`, json({ code: 'busy' }));
    const lines = logs.lines();
    expect(lines.length).toBeGreaterThan(5);
    const parsed = lines.map(
      (l) => JSON.parse(l) as { msg?: string; req?: { url?: string }; code?: string; error?: { type?: string; frames?: string[] } },
    );
    expect(parsed.some((l) => l.req?.url === '/echo')).toBe(true);
    expect(parsed.some((l) => l.code === 'E_INPUT_INVALID')).toBe(true);
    // A 500 is logged with its code, the error's name and stack frames, but not its message
    // (here a TypeError quoting input), and no request body or query string anywhere.
    const failed = parsed.filter((l) => l.msg === 'request failed' && l.code === 'E_INTERNAL');
    expect(failed.map((l) => l.error?.type)).toEqual(expect.arrayContaining(['TypeError', 'AppliedMLError']));
    expect(failed[0]?.error?.frames?.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(lines.filter((l) => l.includes('"E_INTERNAL"')).join('\n')).not.toContain('note');
    // A refusal under load (503 E_BUSY) is a warning without a stack, not a failure.
    const busy = parsed.filter((l) => l.code === 'E_BUSY') as Array<{ level?: number; msg?: string; error?: unknown }>;
    expect(busy.length).toBeGreaterThan(0);
    for (const l of busy) expect([l.level, l.msg, l.error]).toEqual([40, 'busy: refused with Retry-After', undefined]);
  });
});

/** Sends only a request's head (a large Content-Length, no body) and resolves with what comes back within `ms`. */
function headOnly(port: number, head: string, ms = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let answer = '';
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (d) => {
      answer += String(d);
      if (answer.includes('}')) socket.destroy();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('error', reject);
  });
}

describe('uploads refused before their body is read', () => {
  it('answers a wrong content type 415 and a full queue 503 E_BUSY without waiting for the body', async () => {
    let full = false;
    let handled = 0;
    const service = await createService({
      name: 'uploads',
      binaryTypes: ['application/octet-stream', 'image/png'],
      limits: { bodyLimit: 64 * 1024 * 1024 },
      routes(app) {
        app.post(
          '/upload',
          {
            schema: { consumes: ['application/octet-stream', 'image/png'], response: { 200: { type: 'string' }, ...errorResponses } },
            config: {
              admit: () => {
                if (full) throw new AppliedMLError('E_BUSY', 'The queue is full; retry shortly.', { details: { retryAfterSeconds: 1 } });
              },
            },
          },
          async () => {
            handled += 1;
            return 'ok';
          },
        );
      },
    });
    const { port, url } = await service.listen();
    try {
      const head = (type: string): string =>
        `POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nContent-Length: 50000000\r\n\r\n`;
      // 50 MB announced, none sent: the answer comes at once, so the body is never waited for.
      const json = await headOnly(port, head('application/json'));
      expect(json).toMatch(/^HTTP\/1\.1 415/);
      expect(json).toContain('"code":"E_FORMAT_UNSUPPORTED"');
      // It names the route's types (it said only 'This route does not accept that content type.'), never the one sent.
      for (const sent of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
        const answer = await fetch(`${url}/upload`, { method: 'POST', headers: { 'content-type': sent }, body: 'x' });
        expect([answer.status, await answer.json()]).toEqual([
          415,
          {
            code: 'E_FORMAT_UNSUPPORTED',
            message:
              'This route does not accept that content type; send the body as one of application/octet-stream, image/png (the raw bytes, not a form).',
          },
        ]);
      }
      full = true;
      const busy = await headOnly(port, head('image/png'));
      expect(busy).toMatch(/^HTTP\/1\.1 503/);
      expect(busy.toLowerCase()).toContain('retry-after: 1');
      expect(busy).toContain('"code":"E_BUSY"');
      full = false;
      const ok = await fetch(`${url}/upload`, { method: 'POST', headers: { 'content-type': 'Image/PNG' }, body: new Uint8Array(10) });
      expect([ok.status, await ok.text()]).toEqual([200, 'ok']);
      expect(handled).toBe(1);
    } finally {
      await service.close();
    }
  });
});

describe('OpenAPI error documentation', () => {
  it('documents errors as JSON ErrorBody (even on SVG routes), Retry-After on 503, 404 E_NOT_FOUND, and no 413/415 on GET routes', async () => {
    const service = await createService({
      name: 'docs',
      routes(app) {
        app.get(
          '/chart.svg',
          { schema: { produces: ['image/svg+xml'], response: { 200: { type: 'string' }, ...readErrorResponses } } },
          async () => {
            throw new AppliedMLError('E_INPUT_INVALID', 'No such sensor.');
          },
        );
        app.post(
          '/score',
          { schema: { body: { type: 'object' }, response: { 200: { type: 'string' }, ...errorResponses } } },
          async () => 'ok',
        );
      },
    });
    try {
      type Doc = {
        info: { description: string };
        components: { schemas: Record<string, unknown> };
        paths: Record<
          string,
          Record<string, { responses: Record<string, { content: Record<string, unknown>; headers?: Record<string, unknown> }> }>
        >;
      };
      const doc = service.openapi() as unknown as Doc;
      expect(Object.keys(doc.components.schemas)).toContain('ErrorBody');
      const svg = doc.paths['/chart.svg']!['get']!.responses;
      expect(Object.keys(svg).sort()).toEqual(['200', '400', '500', '503']);
      expect(Object.keys(svg['200']!.content)).toEqual(['image/svg+xml']);
      expect(svg['400']!.content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } });
      expect(Object.keys(svg['503']!.headers ?? {})).toEqual(['retry-after']);
      expect(Object.keys(doc.paths['/score']!['post']!.responses).sort()).toEqual(['200', '400', '413', '415', '500', '503']);
      expect(doc.info.description).toContain('404 `E_NOT_FOUND`');
      // What the document says is what the route answers: its error is JSON.
      const res = await service.app.inject({ url: '/chart.svg' });
      expect([res.statusCode, res.headers['content-type']]).toEqual([400, 'application/json; charset=utf-8']);
    } finally {
      await service.close();
    }
  });
});

describe('browser hardening', () => {
  it('sends nosniff everywhere and a CSP, no framing and no referrer on the pages', async () => {
    const service = await createService({
      name: 'pages',
      routes(app) {
        app.get('/', { schema: { response: { 200: { type: 'string' } } } }, async (_request, reply) =>
          reply.type('text/html; charset=utf-8').send('<!doctype html><p>page</p>'),
        );
      },
    });
    try {
      const page = await service.app.inject({ url: '/' });
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['referrer-policy']).toBe('no-referrer');
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src 'self' 'unsafe-inline'");
      expect(csp).toContain("connect-src 'self'");
      const health = await service.app.inject({ url: '/healthz' });
      expect(health.headers['x-content-type-options']).toBe('nosniff');
      expect(health.headers['content-security-policy']).toBeUndefined();
      // The OpenAPI page keeps its own CSP (the page itself, after the redirect of /docs).
      let docs = await service.app.inject({ url: '/docs' });
      for (let hops = 0; hops < 3 && docs.statusCode >= 300 && docs.statusCode < 400; hops++)
        docs = await service.app.inject({ url: new URL(String(docs.headers.location), 'http://localhost/docs/').pathname });
      expect(docs.statusCode).toBe(200);
      expect(String(docs.headers['content-type'])).toContain('text/html');
      expect(docs.headers['content-security-policy']).not.toBe(csp);
    } finally {
      await service.close();
    }
  });

  it('answers only for its own host names (DNS rebinding): other Host headers are 421 in the kit shape', async () => {
    const service = await createService({ name: 'hosts', allowedHosts: ['demo.internal'], routes: () => undefined });
    const { port } = await service.listen();
    try {
      const get = (host: string): Promise<string> => raw(port, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'demo.internal', 'app.localhost'])
        expect(await get(host), host).toMatch(/^HTTP\/1\.1 200/);
      const evil = await get(`attacker.example:${port}`);
      expect(evil).toMatch(/^HTTP\/1\.1 421/);
      expect(evil).toContain('{"code":"E_INPUT_INVALID","message":"This service does not answer for that host name."}');
      expect(evil).not.toContain('attacker');
    } finally {
      await service.close();
    }
    expect(hostAllowed('my-box.lan:8080', '0.0.0.0')).toBe(false);
    expect(hostAllowed('my-box.lan:8080', 'my-box.lan')).toBe(true);
    expect(hostAllowed('anything', '127.0.0.1', ['*'])).toBe(true);
    expect(hostAllowed(undefined, '127.0.0.1')).toBe(false);
  });

  it('APPLIEDML_ALLOWED_HOSTS adds host names for the CLIs', async () => {
    const before = process.env.APPLIEDML_ALLOWED_HOSTS;
    process.env.APPLIEDML_ALLOWED_HOSTS = ' my-box.lan , other.lan';
    try {
      const service = await createService({ name: 'env hosts', routes: () => undefined });
      const { port } = await service.listen();
      try {
        const get = (host: string): Promise<string> => raw(port, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
        expect(await get(`my-box.lan:${port}`)).toMatch(/^HTTP\/1\.1 200/);
        expect(await get('other.lan')).toMatch(/^HTTP\/1\.1 200/);
        expect(await get('third.lan')).toMatch(/^HTTP\/1\.1 421/);
      } finally {
        await service.close();
      }
    } finally {
      if (before === undefined) delete process.env.APPLIEDML_ALLOWED_HOSTS;
      else process.env.APPLIEDML_ALLOWED_HOSTS = before;
    }
  });
});

describe('Node-level client errors', () => {
  it('answers malformed HTTP 400, oversized headers 431 and a slow request 408 in the kit shape with stable codes', async () => {
    const service = await createService({
      name: 'client errors',
      limits: { headersTimeoutMs: 300, requestTimeoutMs: 300, timeoutCheckIntervalMs: 100 },
      routes: () => undefined,
    });
    const { port } = await service.listen();
    const bodyOf = (answer: string): unknown => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    try {
      const garbage = await raw(port, 'GARBAGE \x01 NOT HTTP\r\n\r\n');
      expect(garbage).toMatch(/^HTTP\/1\.1 400/);
      expect(bodyOf(garbage)).toEqual({ code: 'E_INPUT_INVALID', message: 'The request is not valid HTTP.' });
      const big = await raw(port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      expect(big).toMatch(/^HTTP\/1\.1 431/);
      expect(bodyOf(big)).toMatchObject({ code: 'E_INPUT_TOO_LARGE' });
      const slow = await headOnly(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', 4_000);
      expect(slow).toMatch(/^HTTP\/1\.1 408/);
      expect(bodyOf(slow)).toEqual({ code: 'E_INPUT_INVALID', message: 'The request did not arrive in time.' });
    } finally {
      await service.close();
    }
  });
});

describe('limits and shutdown', () => {
  it('drops a flood of slow requests by limits and stays up', async () => {
    const service = await createService({
      name: 'flood',
      limits: { maxConnections: 16, headersTimeoutMs: 400, requestTimeoutMs: 800, timeoutCheckIntervalMs: 100 },
      routes(app) {
        app.post('/echo', { schema: { body: { type: 'object' } } }, async (request) => request.body);
      },
    });
    const { url, port } = await service.listen();
    try {
      const sockets: Socket[] = [];
      let closed = 0;
      let peak = 0;
      for (let i = 0; i < 48; i++) {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => {});
        socket.on('close', () => (closed += 1));
        // Half send headers slowly, half send a promised body slowly.
        socket.write(
          i % 2 === 0
            ? 'POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n'
            : 'POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
        );
        sockets.push(socket);
      }
      const trickle = setInterval(() => {
        sockets.forEach((s, i) => {
          if (!s.destroyed) s.write(i % 2 === 0 ? 'x' : ' ');
        });
      }, 50);
      const counter = setInterval(() => service.app.server.getConnections((_e, n) => (peak = Math.max(peak, n))), 20);
      const started = Date.now();
      while (closed < sockets.length && Date.now() - started < 5000) await sleep(50);
      clearInterval(trickle);
      clearInterval(counter);
      expect(closed).toBe(sockets.length);
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(16);
      expect(Date.now() - started).toBeLessThan(4000);
      const res = await fetch(`${url}/echo`, json({ after: 'flood' }));
      expect([res.status, await res.json()]).toEqual([200, { after: 'flood' }]);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await service.close();
    }
  });

  it('finishes an in-flight request on close, then runs onClose and stops listening', async () => {
    const events: string[] = [];
    let entered: () => void = () => undefined;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    const service = await createService({
      name: 'shutdown',
      onClose: () => {
        events.push('onClose');
      },
      routes(app) {
        app.get('/slow', { schema: { response: { 200: { type: 'object', properties: { done: { type: 'boolean' } } } } } }, async () => {
          entered();
          await sleep(300);
          events.push('handled');
          return { done: true };
        });
      },
    });
    const { url } = await service.listen();
    const inflight = fetch(`${url}/slow`).then(async (r) => [r.status, await r.json()]);
    // close() once the request is in its handler (a first fetch can take longer than any fixed sleep).
    await inHandler;
    const closing = service.close();
    expect(service.closing).toBe(true);
    expect(await inflight).toEqual([200, { done: true }]);
    const t0 = Date.now();
    await closing;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(events).toEqual(['handled', 'onClose']);
    await expect(fetch(`${url}/slow`)).rejects.toThrow();
    await service.close(); // idempotent
  });

  it('answers requests that arrive while shutting down 503 E_BUSY with Retry-After; readiness says shutting-down', async () => {
    let entered: () => void = () => undefined;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    const service = await createService({
      name: 'draining',
      routes(app) {
        app.get('/slow', { schema: { response: { 200: { type: 'object', properties: { done: { type: 'boolean' } } } } } }, async () => {
          entered();
          await sleep(600);
          return { done: true };
        });
        app.get('/fast', { schema: {} }, async () => ({ ok: true }));
      },
    });
    const { url, port } = await service.listen();
    // Connections that already started a request before close(): their requests arrive during shutdown.
    const sockets = [connect(port, '127.0.0.1'), connect(port, '127.0.0.1')];
    await Promise.all(sockets.map((s) => new Promise((r) => s.once('connect', r))));
    sockets[0]?.write('GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    sockets[1]?.write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const answers = sockets.map(
      (s) =>
        new Promise<string>((resolve) => {
          let text = '';
          s.on('data', (d) => (text += String(d)));
          s.on('close', () => resolve(text));
          s.on('error', () => resolve(text));
        }),
    );
    const inflight = fetch(`${url}/slow`).then((r) => r.status);
    await inHandler;
    const closing = service.close();
    await sleep(50);
    sockets.forEach((s) => s.write('Connection: close\r\n\r\n'));
    const [fast = '', ready = ''] = await Promise.all(answers);
    expect(fast).toMatch(/^HTTP\/1\.1 503 /);
    expect(fast.toLowerCase()).toContain('retry-after: 5');
    expect(fast).toContain('{"code":"E_BUSY","message":"The service is shutting down; retry shortly."}');
    expect(ready).toMatch(/^HTTP\/1\.1 503 /);
    expect(ready).toContain('{"status":"shutting-down"}');
    expect(await inflight).toBe(200);
    await closing;
  });

  it('runs onClose even when closing the server fails', async () => {
    const events: string[] = [];
    const service = await createService({
      name: 'failing close',
      onClose: () => {
        events.push('onClose');
      },
      routes(app) {
        app.addHook('onClose', async () => {
          throw new AppliedMLError('E_IO', 'a plugin failed to close');
        });
      },
    });
    await service.listen();
    await expect(service.close()).rejects.toMatchObject({ code: 'E_IO' });
    expect(events).toEqual(['onClose']);
  });

  it('bounds shutdown by shutdownTimeoutMs even when onClose hangs, and logs a timed-out inference as a warning', async () => {
    const logs = logSink();
    const service = await createService({
      name: 'hung close',
      logger: { level: 'info', stream: logs.stream },
      limits: { shutdownTimeoutMs: 300 },
      onClose: () => new Promise<void>(() => undefined), // a worker that never ends
      routes(app) {
        app.get('/slow', { schema: { response: { 200: { type: 'string' }, ...errorResponses } } }, async () => {
          throw new AppliedMLError('E_BUSY', 'The inference did not finish within 5 ms; retry shortly.', {
            details: { retryAfterSeconds: 1, timedOut: true },
          });
        });
      },
    });
    const { url } = await service.listen();
    const res = await fetch(`${url}/slow`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ code: 'E_BUSY' });
    const started = performance.now();
    await service.close();
    expect(performance.now() - started).toBeLessThan(2_500);
    const lines = logs.lines().map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.some((l) => l.level === 40 && /timed out/.test(l.msg))).toBe(true);
    expect(lines.some((l) => l.level === 40 && /onClose did not finish/.test(l.msg))).toBe(true);
  });

  it('keeps the headers timeout when the request timeout is off (0)', async () => {
    expect(resolveHeadersTimeout({ headersTimeoutMs: 10_000, requestTimeoutMs: 0 })).toBe(10_000);
    expect(resolveHeadersTimeout({ headersTimeoutMs: 10_000, requestTimeoutMs: 3_000 })).toBe(3_000);
    expect(resolveHeadersTimeout({ headersTimeoutMs: 0, requestTimeoutMs: 0 })).toBe(0);
    const service = await createService({ name: 'no request timeout', limits: { requestTimeoutMs: 0 }, routes() {} });
    try {
      expect(service.app.server.requestTimeout).toBe(0);
      expect(service.app.server.headersTimeout).toBe(10_000);
    } finally {
      await service.close();
    }
  });

  it('shows listening URLs a client can use, IPv6 in brackets', () => {
    expect(listenUrl('127.0.0.1', 80)).toBe('http://127.0.0.1:80');
    expect(listenUrl('0.0.0.0', 80)).toBe('http://127.0.0.1:80');
    expect(listenUrl('::', 80)).toBe('http://[::1]:80');
    expect(listenUrl('::1', 80)).toBe('http://[::1]:80');
    expect(listenUrl('fe80::1%eth0', 80)).toBe('http://[fe80::1%25eth0]:80');
    expect(listenUrl('localhost', 80)).toBe('http://localhost:80');
    expect(new URL(listenUrl('::', 8080)).port).toBe('8080');
  });

  it('closes on SIGTERM and exits 0; a second signal exits 1', async () => {
    const target = new EventEmitter();
    const codes: number[] = [];
    let release = (): void => {};
    const service = { close: () => new Promise<void>((r) => (release = r)) };
    const dispose = closeOnSignals(service, { target, exit: (c) => codes.push(c) });
    target.emit('SIGTERM');
    expect(codes).toEqual([]);
    release();
    await sleep(0);
    expect(codes).toEqual([0]);
    target.emit('SIGINT');
    expect(codes).toEqual([0, 1]);
    dispose();
    expect(target.listenerCount('SIGTERM')).toBe(0);
  });
});

/** Polls `check` every 10 ms until it holds or `ms` passed; returns whether it held. */
async function eventually(check: () => boolean, ms = 3_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await sleep(10);
  return check();
}

/** Opens a connection, sends `head` and `body`, and keeps the socket open; `answer` is what comes back until it closes. */
function partialRequest(port: number, head: string, body: Buffer | string = ''): { socket: Socket; answer: Promise<string> } {
  const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.concat([Buffer.from(head), Buffer.from(body)])));
  const answer = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d) => (text += String(d)));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
  });
  return { socket, answer };
}

describe('body budget', () => {
  /** A service whose /upload handler waits for `open()` before answering, so bodies stay held. */
  async function budgeted(): Promise<{ service: Service; url: string; port: number; open: () => void; entered: () => number }> {
    let gate: () => void = () => undefined;
    let waiting = new Promise<void>((resolve) => (gate = resolve));
    let entered = 0;
    const service = await createService({
      name: 'budget',
      binaryTypes: ['application/octet-stream'],
      limits: { bodyLimit: 64_000, bodyBudgetBytes: 100_000 },
      routes(app) {
        app.post(
          '/upload',
          { schema: { consumes: ['application/octet-stream'], response: { 200: { type: 'object', additionalProperties: true } } } },
          async (request) => {
            entered += 1;
            await waiting;
            return { bytes: (request.body as Buffer).length };
          },
        );
        app.post('/json', { schema: { body: { type: 'object' } } }, async () => ({ ok: true }));
      },
    });
    const { url, port } = await service.listen();
    return {
      service,
      url,
      port,
      entered: () => entered,
      open: () => {
        gate();
        waiting = new Promise<void>((resolve) => (gate = resolve));
      },
    };
  }
  const upload = (url: string, bytes: number): Promise<Response> =>
    fetch(`${url}/upload`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(bytes) });
  const head = (length: number | 'chunked', path = '/upload', type = 'application/octet-stream'): string =>
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\n` +
    (length === 'chunked' ? 'Transfer-Encoding: chunked\r\n\r\n' : `Content-Length: ${length}\r\n\r\n`);
  const chunk = (bytes: number): string => `${bytes.toString(16)}\r\n${'x'.repeat(bytes)}\r\n`;

  it('refuses a body that would take the held bytes over the budget 503 E_BUSY with Retry-After, before reading it', async () => {
    const { service, url, port, open, entered } = await budgeted();
    try {
      expect(service.heldBodyBytes).toBe(0);
      const first = upload(url, 60_000);
      expect(await eventually(() => entered() === 1)).toBe(true);
      expect(service.heldBodyBytes).toBe(60_000);
      // 50,000 announced and none sent: refused at once, so the body was never waited for.
      const started = Date.now();
      const announced = await headOnly(port, head(50_000));
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(announced).toMatch(/^HTTP\/1\.1 503 /);
      expect(announced.toLowerCase()).toContain('retry-after: 1');
      expect(announced.toLowerCase()).toContain('connection: close');
      expect(announced).toContain('{"code":"E_BUSY","message":"The service is holding as many request bodies as it can; retry shortly."}');
      // A chunked body is counted as it arrives: refused once its bytes no longer fit.
      const chunked = partialRequest(port, head('chunked'), chunk(25_000) + chunk(25_000));
      const chunkedAnswer = await chunked.answer;
      expect(chunkedAnswer).toMatch(/^HTTP\/1\.1 503 /);
      expect(chunkedAnswer).toContain('"code":"E_BUSY"');
      expect(await eventually(() => service.heldBodyBytes === 60_000)).toBe(true);
      // What still fits is taken.
      const second = upload(url, 30_000);
      expect(await eventually(() => entered() === 2)).toBe(true);
      expect(service.heldBodyBytes).toBe(90_000);
      // A JSON body is counted too.
      const json = await fetch(`${url}/json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"a":"${'x'.repeat(20_000)}"}`,
      });
      expect([json.status, ((await json.json()) as { code: string }).code]).toEqual([503, 'E_BUSY']);
      open();
      expect(await Promise.all([first, second].map(async (r) => [(await r).status, await (await r).json()]))).toEqual([
        [200, { bytes: 60_000 }],
        [200, { bytes: 30_000 }],
      ]);
      expect(await eventually(() => service.heldBodyBytes === 0)).toBe(true);
      // Once released, the budget takes bodies again (a chunked one included).
      const again = upload(url, 50_000);
      expect(await eventually(() => entered() === 3)).toBe(true);
      open();
      expect((await again).status).toBe(200);
      const chunkedOk = partialRequest(port, head('chunked'), chunk(20_000) + chunk(20_000) + '0\r\n\r\n');
      expect(await eventually(() => entered() === 4)).toBe(true);
      expect(service.heldBodyBytes).toBe(40_000);
      open();
      chunkedOk.socket.end();
      expect(await chunkedOk.answer).toMatch(/^HTTP\/1\.1 200 [\s\S]*\{"bytes":40000\}/);
      expect(await eventually(() => service.heldBodyBytes === 0)).toBe(true);
    } finally {
      open();
      await service.close();
    }
  });

  it('returns to zero after aborted uploads, refused bodies and a client that leaves while its body waits', async () => {
    const { service, url, port, open, entered } = await budgeted();
    try {
      // Two uploads that announce 40,000 bytes, send part of them, and go away.
      const partial = [partialRequest(port, head(40_000), Buffer.alloc(10_000)), partialRequest(port, head(40_000), Buffer.alloc(5_000))];
      expect(await eventually(() => service.heldBodyBytes === 80_000)).toBe(true);
      // A chunked upload that goes away midway.
      const chunked = partialRequest(port, head('chunked'), chunk(10_000));
      expect(await eventually(() => service.heldBodyBytes === 90_000)).toBe(true);
      for (const p of [...partial, chunked]) p.socket.destroy();
      expect(await eventually(() => service.heldBodyBytes === 0)).toBe(true);
      // Bodies refused before or after they were read: a wrong type, over bodyLimit, not JSON.
      expect(
        (await fetch(`${url}/upload`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(100) })).status,
      ).toBe(415);
      expect((await upload(url, 70_000)).status).toBe(413);
      expect((await fetch(`${url}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' })).status).toBe(
        400,
      );
      expect(await eventually(() => service.heldBodyBytes === 0)).toBe(true);
      // A client that leaves while its body waits in the handler: the bytes stay held until the handler returns.
      const leaving = partialRequest(port, head(30_000), Buffer.alloc(30_000));
      expect(await eventually(() => entered() === 1)).toBe(true);
      leaving.socket.destroy();
      await leaving.answer;
      await sleep(100);
      expect(service.heldBodyBytes).toBe(30_000);
      open();
      expect(await eventually(() => service.heldBodyBytes === 0)).toBe(true);
      // A pipelined upload behind one whose handler waits: its answer is queued, not yet on the
      // socket, when the client leaves; the connection's close still releases it.
      const pipelined = partialRequest(port, head(10_000) + 'x'.repeat(10_000) + head(40_000), Buffer.alloc(1_000));
      expect(await eventually(() => entered() === 2 && service.heldBodyBytes === 50_000)).toBe(true);
      pipelined.socket.destroy();
      await sleep(100);
      expect(service.heldBodyBytes).toBe(10_000);
      open();
      expect(await eventually(() => service.heldBodyBytes === 0)).toBe(true);
      // And the service goes on.
      const after = upload(url, 64_000);
      expect(await eventually(() => entered() === 3)).toBe(true);
      open();
      expect((await after).status).toBe(200);
      expect(await eventually(() => service.heldBodyBytes === 0)).toBe(true);
    } finally {
      open();
      await service.close();
    }
  });

  it('defaults to 256 MiB (or bodyLimit if larger); 0 turns it off', async () => {
    const big = (limits: { bodyLimit?: number; bodyBudgetBytes?: number }) =>
      createService({
        name: 'budget default',
        binaryTypes: ['application/octet-stream'],
        limits,
        routes(app) {
          app.post('/upload', { schema: { consumes: ['application/octet-stream'] } }, async () => ({}));
        },
      });
    const cases: [{ bodyLimit?: number; bodyBudgetBytes?: number }, number, number][] = [
      // [limits, announced bytes, status]: a body over bodyLimit is 413, one over the budget 503.
      [{ bodyLimit: 512 * 1024 * 1024 }, 300 * 1024 * 1024, 0],
      [{ bodyLimit: 512 * 1024 * 1024, bodyBudgetBytes: 0 }, 300 * 1024 * 1024, 0],
    ];
    for (const [limits, bytes, status] of cases) {
      const service = await big(limits);
      const { port } = await service.listen();
      try {
        const request = partialRequest(port, head(bytes), Buffer.alloc(10));
        if (status === 0) {
          // Let in (claimed, unless the budget is off): no answer while the body is awaited.
          const claimed = limits.bodyBudgetBytes === 0 ? 0 : bytes;
          expect(await eventually(() => service.heldBodyBytes === claimed), JSON.stringify(limits)).toBe(true);
          await sleep(100);
          request.socket.destroy();
          expect(await request.answer).toBe('');
        } else expect(await request.answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
        expect(await eventually(() => service.heldBodyBytes === 0)).toBe(true);
      } finally {
        await service.close();
      }
    }
    // A budget below bodyLimit would answer "busy, retry" forever to a body between them: refused.
    await expect(big({ bodyLimit: 512 * 1024 * 1024, bodyBudgetBytes: 200 * 1024 * 1024 })).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      details: { field: 'limits.bodyBudgetBytes' },
    });
    // A route allowing more than the whole budget: a body over the budget is too large (413), not busy.
    const routeLimit = await createService({
      name: 'route limit over budget',
      binaryTypes: ['application/octet-stream'],
      limits: { bodyLimit: 1024, bodyBudgetBytes: 4096 },
      routes(app) {
        app.post('/upload', { bodyLimit: 8192, schema: { consumes: ['application/octet-stream'] } }, async () => ({}));
      },
    });
    try {
      const { port } = await routeLimit.listen();
      const request = partialRequest(port, head(6000), Buffer.alloc(10));
      const answer = await request.answer;
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toContain('"code":"E_INPUT_TOO_LARGE"');
      expect(routeLimit.heldBodyBytes).toBe(0);
    } finally {
      await routeLimit.close();
    }
    const small = await big({});
    const { port } = await small.listen();
    try {
      // Default bodyLimit 1 MiB: two 1 MiB bodies in flight fit the default 256 MiB budget.
      const a = partialRequest(port, head(1024 * 1024), Buffer.alloc(10));
      const b = partialRequest(port, head(1024 * 1024), Buffer.alloc(10));
      expect(await eventually(() => small.heldBodyBytes === 2 * 1024 * 1024)).toBe(true);
      a.socket.destroy();
      b.socket.destroy();
      expect(await eventually(() => small.heldBodyBytes === 0)).toBe(true);
    } finally {
      await small.close();
    }
  });
});
