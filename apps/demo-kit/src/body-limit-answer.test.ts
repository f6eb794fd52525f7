import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { bodyTooLarge, humanBytes, toHttpError } from './http-errors';
import { createService, errorResponses } from './service';

// A body over the size limit was answered 413 E_INPUT_TOO_LARGE "The request body is over the size limit
// of this route.": a client could not tell how much it may send. The answer names the limit now, in
// words and in bytes, and as details.limitBytes (the route's own limit where a route allows more); the
// code stays, and nothing of the body is said back.

const SECRET = 'SECRET-BODY-41c2';

/** The raw answer to `head` + `body` written on one connection (the server may answer before the body ends). */
function raw(port: number, head: string, body = ''): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => (text += String(chunk)));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
    socket.write(head + body);
  });
}

const bodyOf = (answer: string): unknown => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

describe('a body over the size limit', () => {
  it('is answered 413 naming the limit, in words, in bytes and in details, for the route that refused it', async () => {
    const service = await createService({
      name: 'body limits',
      binaryTypes: ['application/octet-stream'],
      limits: { bodyLimit: 1000 },
      routes(app) {
        const body = { type: 'object', properties: { text: { type: 'string' } } };
        app.post('/small', { schema: { body, response: { 200: { type: 'object' }, ...errorResponses } } }, async () => ({}));
        app.post('/big', { bodyLimit: 3 * 1024 * 1024 + 512 * 1024, schema: { consumes: ['application/octet-stream'] } }, async () => ({}));
      },
    });
    const { url, port } = await service.listen();
    try {
      const json = { method: 'POST', headers: { 'content-type': 'application/json' } };
      // Declared by Content-Length, refused before the body is read.
      const declared = await fetch(`${url}/small`, { ...json, body: JSON.stringify({ text: `${SECRET}${'x'.repeat(2000)}` }) });
      const small = { code: 'E_INPUT_TOO_LARGE', details: { limitBytes: 1000 } };
      expect([declared.status, await declared.json()]).toEqual([413, { ...small, message: expect.stringContaining('1,000 bytes') }]);
      // A chunked body, refused as it arrives.
      const chunk = `{"text":"${SECRET}${'y'.repeat(3000)}"}`;
      const chunked = await raw(
        port,
        'POST /small HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
        `${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
      );
      expect(chunked).toMatch(/^HTTP\/1\.1 413 /);
      expect(bodyOf(chunked)).toEqual({ ...small, message: expect.stringContaining('1,000 bytes') });
      expect(chunked).not.toContain(SECRET);
      // A route with its own, larger limit says its own, in binary units as well.
      const upload = await raw(
        port,
        `POST /big HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: ${4 * 1024 * 1024}\r\nConnection: close\r\n\r\n`,
      );
      expect(upload).toMatch(/^HTTP\/1\.1 413 /);
      expect(bodyOf(upload)).toEqual({
        code: 'E_INPUT_TOO_LARGE',
        message: "The request body is over this route's limit of 3.5 MiB (3,670,016 bytes); send at most that.",
        details: { limitBytes: 3_670_016 },
      });
      // The OpenAPI document says so.
      const doc = service.openapi() as { components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
      expect(Object.keys(doc.components.schemas['ErrorBody']!.properties).sort()).toEqual(['code', 'details', 'message']);
    } finally {
      await service.close();
    }
  });

  // A chunked body over the whole body budget (on a route allowing more) was 503 E_BUSY with Retry-After: 1,
  // which a client retries forever; announced by Content-Length it was already 413. Now both are 413.
  it('is answered 413 naming the body budget when a chunked body is larger than the whole budget', async () => {
    const service = await createService({
      name: 'budget',
      binaryTypes: ['application/octet-stream'],
      limits: { bodyLimit: 1000, bodyBudgetBytes: 2000 },
      routes(app) {
        app.post('/big', { bodyLimit: 10_000, schema: { consumes: ['application/octet-stream'] } }, async () => ({ ok: true }));
        app.post('/small', { schema: { consumes: ['application/octet-stream'] } }, async () => ({ ok: true }));
      },
    });
    const { port } = await service.listen();
    const head = (path: string, framing: string): string =>
      `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n${framing}\r\nConnection: close\r\n\r\n`;
    const chunked = (n: number): string => `${n.toString(16)}\r\n${'x'.repeat(n)}\r\n0\r\n\r\n`;
    const budget = {
      code: 'E_INPUT_TOO_LARGE',
      message: "The request body is over this service's limit of 1.9 KiB (2,000 bytes); send at most that.",
      details: { limitBytes: 2000 },
    };
    try {
      const declared = await raw(port, head('/big', 'Content-Length: 5000'), 'x'.repeat(5000));
      expect([declared.split('\r\n')[0], bodyOf(declared)]).toEqual(['HTTP/1.1 413 Payload Too Large', budget]);
      const streamed = await raw(port, head('/big', 'Transfer-Encoding: chunked'), chunked(5000));
      expect([streamed.split('\r\n')[0], bodyOf(streamed)]).toEqual(['HTTP/1.1 413 Payload Too Large', budget]);
      expect(streamed).not.toMatch(/retry-after/i);
      // Beside a request holding 1,500 bytes of the budget (its body not sent yet), a chunked body over its
      // route's limit (1,000) is that route's 413, not busy; one that fits its route but not beside it is busy.
      const holder = connect(port, '127.0.0.1');
      try {
        holder.write(head('/big', 'Content-Length: 1500'));
        await expect.poll(() => service.heldBodyBytes).toBe(1500);
        const over = await raw(port, head('/small', 'Transfer-Encoding: chunked'), chunked(1200));
        expect([over.split('\r\n')[0], bodyOf(over)]).toEqual([
          'HTTP/1.1 413 Payload Too Large',
          {
            code: 'E_INPUT_TOO_LARGE',
            message: "The request body is over this route's limit of 1,000 bytes; send at most that.",
            details: { limitBytes: 1000 },
          },
        ]);
        const busy = await raw(port, head('/small', 'Transfer-Encoding: chunked'), chunked(900));
        expect(busy).toMatch(/^HTTP\/1\.1 503 [^]*retry-after: 1/i);
      } finally {
        holder.destroy();
      }
    } finally {
      await service.close();
    }
  });

  // A parser with its own bodyLimit (text/csv, 2,000 bytes, in a service of 1,000,000) refused a 4,000-byte body
  // 413 "over this route's limit of 976.5 KiB (1,000,000 bytes)": a client sizing its next try by limitBytes
  // got the same 413 again. Such a parser is refused at start-up now; the route's bodyLimit is the one limit.
  it("is refused at start-up from a content-type parser with its own bodyLimit; the route's bodyLimit is named", async () => {
    const csv = (app: FastifyInstance, opts: { bodyLimit?: number }): void =>
      app.addContentTypeParser('text/csv', { parseAs: 'string', ...opts }, (_req, body, done) => done(null, body));
    const refused = (routes: (app: FastifyInstance) => void | Promise<void>): Promise<string> =>
      createService({ name: 'parser limit', limits: { bodyLimit: 1_000_000 }, routes }).then(
        async (service) => {
          await service.close();
          return 'started';
        },
        (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
      );
    const said =
      "E_INTERNAL: The content-type parser for text/csv sets its own bodyLimit, which the kit's 413 and body budget cannot see; give its routes a bodyLimit instead.";
    expect(await refused((app) => csv(app, { bodyLimit: 2000 }))).toBe(said);
    // A plugin's instance too.
    expect(
      await refused((app) => {
        void app.register(async (child) => csv(child, { bodyLimit: 2000 }));
      }),
    ).toBe(said);
    const service = await createService({
      name: 'route limit',
      limits: { bodyLimit: 1_000_000 },
      routes(app) {
        csv(app, {});
        app.post('/csv', { bodyLimit: 2000, schema: {} }, async () => ({ ok: true }));
      },
    });
    const { url } = await service.listen();
    try {
      const answer = await fetch(`${url}/csv`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b\n'.repeat(1000) });
      expect([answer.status, await answer.json()]).toEqual([
        413,
        {
          code: 'E_INPUT_TOO_LARGE',
          message: "The request body is over this route's limit of 1.9 KiB (2,000 bytes); send at most that.",
          details: { limitBytes: 2000 },
        },
      ]);
    } finally {
      await service.close();
    }
  });

  it('says bytes as a person reads them, never more than the limit', () => {
    expect([1, 1000, 1023, 1024, 1536, 1024 * 1024, 64 * 1024 * 1024, 1024 * 1024 * 1.99].map(humanBytes)).toEqual([
      '1 byte',
      '1,000 bytes',
      '1,023 bytes',
      '1 KiB',
      '1.5 KiB',
      '1 MiB',
      '64 MiB',
      '1.9 MiB',
    ]);
    expect(bodyTooLarge(256 * 1024 * 1024, 'service').message).toBe(
      "The request body is over this service's limit of 256 MiB (268,435,456 bytes); send at most that.",
    );
  });

  it('gives details only for its own limit: an SDK error of the same code says no sizes back', () => {
    const sdk = new AppliedMLError('E_INPUT_TOO_LARGE', 'The image is too large.', { details: { limitBytes: 5, pixels: 10_000_000_000 } });
    expect(toHttpError(sdk)).toEqual({ status: 413, body: { code: 'E_INPUT_TOO_LARGE', message: 'The image is too large.' } });
    // Without a known limit, Fastify's own error keeps its fixed message.
    expect(toHttpError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: `body ${SECRET}` }).body).toEqual({
      code: 'E_INPUT_TOO_LARGE',
      message: 'The request body is over the size limit of this route.',
    });
  });
});
