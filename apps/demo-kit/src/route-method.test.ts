import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, errorResponses, routePattern, routerPath, type Service } from './service';

// Review R2-7 / R3-9: GET /predict (a POST route) answered 404 "No such route", and a POST with a
// malformed JSON body to an unknown route answered 400 "not valid JSON" where a valid body got 404.
describe('routes and methods', () => {
  let service: Service;
  let url = '';
  /** The path parameters the handlers saw. */
  const named: string[] = [];
  beforeAll(async () => {
    service = await createService({
      name: 'methods',
      routes(app) {
        const response = { 200: { type: 'object', additionalProperties: true }, ...errorResponses };
        app.get('/thing', { schema: { response } }, async () => ({ ok: true }));
        app.post('/predict', { schema: { body: { type: 'object' }, response } }, async () => ({ ok: true }));
        app.get(
          '/two/:a/:b/c',
          { schema: { params: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } } }, response } },
          async (request) => {
            named.push((request.params as { b: string }).b);
            return { ok: true };
          },
        );
        app.get(
          '/files/:name',
          { schema: { params: { type: 'object', properties: { name: { type: 'string' } } }, response } },
          async (request) => {
            named.push((request.params as { name: string }).name);
            return { ok: true };
          },
        );
      },
    });
    ({ url } = await service.listen());
  });
  afterAll(async () => {
    await service.close();
  });

  const send = async (method: string, path: string, body?: string) => {
    const res = await fetch(`${url}${path}`, {
      method,
      ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    return {
      status: res.status,
      allow: res.headers.get('allow'),
      body: text === '' ? undefined : (JSON.parse(text) as { code: string; message: string }),
    };
  };

  it('answers a wrong method on an existing route 405 with an Allow header naming the methods it answers', async () => {
    const get = await send('GET', '/predict');
    expect(get.status).toBe(405);
    expect(get.allow).toBe('POST');
    expect(get.body).toEqual({ code: 'E_NOT_FOUND', message: 'This route does not answer that method; it answers POST.' });
    const post = await send('POST', '/thing', '{}');
    expect([post.status, post.allow, post.body?.code]).toEqual([405, 'GET, HEAD', 'E_NOT_FOUND']);
    // Path parameters count: /files/x exists for GET.
    expect((await send('GET', '/files/x')).status).toBe(200);
    expect(await send('DELETE', '/files/x')).toMatchObject({ status: 405, allow: 'GET, HEAD' });
    // A path that exists for no method is still a 404 with no Allow.
    expect(await send('GET', '/nope')).toEqual({ status: 404, allow: null, body: { code: 'E_NOT_FOUND', message: 'No such route.' } });
  });

  // Review R5-3: the 405 check read the raw path, so GET /predic%74 was 404 while POST /predic%74 was served.
  it('decodes the path as the router does before choosing 404 or 405', async () => {
    expect((await send('POST', '/predic%74', '{}')).status).toBe(200);
    expect(await send('GET', '/predic%74')).toMatchObject({ status: 405, allow: 'POST' });
    expect(await send('DELETE', '/files/%61')).toMatchObject({ status: 405, allow: 'GET, HEAD' });
    // An encoded slash stays inside its segment, for the router and for the check.
    expect((await send('GET', '/files/a%2Fb')).status).toBe(200);
    expect(await send('DELETE', '/files/a%2Fb')).toMatchObject({ status: 405, allow: 'GET, HEAD' });
    expect((await send('GET', '/predic%7')).status).toBe(400);
  });

  // An empty path parameter: the router matched GET /files/ to /files/:name with name '' (the
  // handler ran) while DELETE /files/ was 404, not 405. A path with an empty segment where a
  // parameter goes names nothing: 404 for every method, and no handler sees ''.
  it('answers a path whose parameter segment is empty 404 for every method, without running the handler', async () => {
    const calls = named.length;
    for (const method of ['GET', 'HEAD', 'DELETE', 'POST']) {
      const answer = await send(method, '/files/', method === 'POST' ? '{}' : undefined);
      expect([method, answer.status, answer.allow]).toEqual([method, 404, null]);
      if (method !== 'HEAD') expect(answer.body).toEqual({ code: 'E_NOT_FOUND', message: 'No such route.' });
    }
    expect((await send('GET', '/files/?x=1')).status).toBe(404);
    expect((await send('GET', '/two/a//c')).status).toBe(404);
    expect((await send('GET', '/two/a/b/c')).status).toBe(200);
    expect(named.slice(calls)).toEqual(['b']);
  });

  it('checks the route before the body: a malformed JSON body to an unknown route is 404, to a wrong method 405', async () => {
    expect((await send('POST', '/nope', '{nope')).status).toBe(404);
    expect((await send('POST', '/nope', '{}')).status).toBe(404);
    expect(await send('POST', '/thing', '{nope')).toMatchObject({ status: 405, allow: 'GET, HEAD' });
    // The route itself still reads its body as before.
    expect(await send('POST', '/predict', '{nope')).toMatchObject({ status: 400, body: { code: 'E_INPUT_INVALID' } });
    expect((await send('POST', '/predict', '{}')).status).toBe(200);
  });

  // An absolute-form request target (`GET http://host/predict HTTP/1.1`, as sent to a proxy): the
  // router serves it as its path (POST was 200), but the 405 check read the whole URL, so GET
  // was 404 'No such route' where GET /predict is 405.
  it('reads an absolute-form request target as the router does before choosing 404 or 405', async () => {
    const port = new URL(url).port;
    const absolute = (method: string, target: string, body?: string) =>
      new Promise<{ status: number | undefined; allow: string | undefined }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, method, path: target, headers: body ? { 'content-type': 'application/json' } : {} },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode, allow: res.headers.allow }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    expect((await absolute('POST', `http://localhost:${port}/predict`, '{}')).status).toBe(200);
    expect(await absolute('GET', `http://localhost:${port}/predict`)).toEqual({ status: 405, allow: 'POST' });
    expect(await absolute('DELETE', `HTTP://localhost/files/a.png?x=1`)).toEqual({ status: 405, allow: 'GET, HEAD' });
    expect((await absolute('GET', 'http://localhost/nope')).status).toBe(404);
  });

  it('reads a path as the router does', () => {
    expect(routerPath('http://localhost:8080/predic%74?x=1')).toBe('/predict');
    expect(routerPath('https://h/a/b#c')).toBe('/a/b');
    expect(routerPath('http://h?x=1')).toBe('/');
    expect(routerPath('http://h')).toBe('/');
    expect(routerPath('/predic%74?x=%41')).toBe('/predict');
    expect(routerPath('/files/a%2Fb')).toBe('/files/a%2Fb');
    expect(routerPath('/a%25b')).toBe('/a%25b');
    expect(routerPath('/bad%zz')).toBe('/bad%zz');
  });

  it('matches route patterns with parameters and wildcards', () => {
    expect(routePattern('/files/:name').test('/files/a.png')).toBe(true);
    expect(routePattern('/files/:name').test('/files/a/b')).toBe(false);
    expect(routePattern('/docs/*').test('/docs/static/x.js')).toBe(true);
    expect(routePattern('/api/chart.svg').test('/api/chartxsvg')).toBe(false);
  });
});
