import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { createService, errorResponses, type Service } from './service';

// `Expect: 100-continue` (curl sends it with every body over 1 MiB): Node answered '100 Continue'
// before any of the kit's checks, so a client sent its whole upload to be refused 413, 415, 404 or
// 503. The kit now says 100 Continue only once the request passed them and its body is to be read.
describe('Expect: 100-continue', () => {
  let service: Service;
  let port = 0;
  let busy = false;
  beforeAll(async () => {
    service = await createService({
      name: 'continue',
      binaryTypes: ['application/octet-stream'],
      limits: { bodyLimit: 1000 },
      routes(app) {
        const response = { 200: { type: 'object', additionalProperties: true }, ...errorResponses };
        app.post(
          '/upload',
          {
            schema: { consumes: ['application/octet-stream'], response } as never,
            config: {
              admit: () => {
                if (busy) throw new AppliedMLError('E_BUSY', 'Busy.', { details: { retryAfterSeconds: 1 } });
              },
            },
          },
          async (request) => ({ bytes: (request.body as Buffer).length }),
        );
        app.post('/predict', { schema: { response } }, async (request) => ({ got: request.body as unknown }));
      },
    });
    ({ port } = await service.listen());
  });
  afterAll(async () => {
    await service.close();
  });

  /** Sends the head of a request (with Connection: close unless it names one); writes `body` once the server says 100 Continue. All it got back. */
  const exchange = (head: string, body?: string) =>
    new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      let sentBody = false;
      const done = (): void => resolve(text);
      socket.on('data', (chunk) => {
        text += chunk.toString();
        if (!sentBody && body !== undefined && text.includes('100 Continue')) {
          sentBody = true;
          socket.write(body);
        }
        if (/\r\n\r\n\{.*\}$/s.test(text)) socket.end();
      });
      socket.on('close', done);
      socket.on('error', done);
      socket.write(`${head}Host: localhost\r\nExpect: 100-continue\r\n${/^connection:/im.test(head) ? '' : 'Connection: close\r\n'}\r\n`);
      setTimeout(() => socket.destroy(), 3_000).unref();
    });
  /** The status lines `exchange` got. */
  const send = async (head: string, body?: string) =>
    (await exchange(head, body)).split('\r\n').filter((line) => line.startsWith('HTTP/1.1 '));

  it('refuses without 100 Continue: over the limit, a wrong type, an unknown route, a wrong method, busy', async () => {
    const upload = (type: string, length: number) => `POST /upload HTTP/1.1\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\n`;
    expect(await send(upload('application/octet-stream', 2_000))).toEqual(['HTTP/1.1 413 Payload Too Large']);
    expect(await send(upload('image/png', 10))).toEqual(['HTTP/1.1 415 Unsupported Media Type']);
    expect(await send(`POST /nope HTTP/1.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 10\r\n`)).toEqual([
      'HTTP/1.1 404 Not Found',
    ]);
    expect(await send(`PUT /upload HTTP/1.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 10\r\n`)).toEqual([
      'HTTP/1.1 405 Method Not Allowed',
    ]);
    busy = true;
    try {
      expect(await send(upload('application/octet-stream', 10))).toEqual(['HTTP/1.1 503 Service Unavailable']);
    } finally {
      busy = false;
    }
  });

  // Review R4-3: a body with no Content-Type got 100 Continue, was sent, and was then refused 415.
  it('refuses a body with no Content-Type 415 without 100 Continue, on a JSON route and an upload route', async () => {
    for (const path of ['/predict', '/upload']) {
      expect(await send(`POST ${path} HTTP/1.1\r\nContent-Length: 7\r\n`, '{"a":1}')).toEqual(['HTTP/1.1 415 Unsupported Media Type']);
      expect(await send(`POST ${path} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n`, '7\r\n{"a":1}\r\n0\r\n\r\n')).toEqual([
        'HTTP/1.1 415 Unsupported Media Type',
      ]);
    }
    // The same JSON body with its type is let in and read.
    expect(await send(`POST /predict HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 7\r\n`, '{"a":1}')).toEqual([
      'HTTP/1.1 100 Continue',
      'HTTP/1.1 200 OK',
    ]);
  });

  it('says 100 Continue to an upload it will read, then answers it', async () => {
    const head = `POST /upload HTTP/1.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 5\r\n`;
    expect(await send(head, 'abcde')).toEqual(['HTTP/1.1 100 Continue', 'HTTP/1.1 200 OK']);
    expect(service.heldBodyBytes).toBe(0);
  });

  // A GET or HEAD (or a POST announcing no body) got '100 Continue' too, inviting a body there is none
  // of (or one that is never read). RFC 9110 §10.1.1: such a request is answered directly.
  it('answers a request with no body to send directly, without 100 Continue', async () => {
    expect(await send('GET /healthz HTTP/1.1\r\n')).toEqual(['HTTP/1.1 200 OK']);
    expect(await send('HEAD /healthz HTTP/1.1\r\n')).toEqual(['HTTP/1.1 200 OK']);
    expect(await send('GET /readyz HTTP/1.1\r\nContent-Length: 0\r\n')).toEqual(['HTTP/1.1 200 OK']);
    // A POST whose framing says there is no body: its (empty) body is judged at once.
    expect(await send('POST /predict HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 0\r\n')).toEqual([
      'HTTP/1.1 400 Bad Request',
    ]);
    // A GET announcing a body is not asked for it (it would never be read); its connection ends with the answer.
    const text = await exchange(
      'GET /healthz HTTP/1.1\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: 7\r\n',
      '{"a":1}',
    );
    expect(text.split('\r\n').filter((line) => line.startsWith('HTTP/1.1 '))).toEqual(['HTTP/1.1 200 OK']);
    expect(text.toLowerCase()).toContain('\r\nconnection: close\r\n');
  });
});
