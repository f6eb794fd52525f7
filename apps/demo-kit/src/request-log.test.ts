import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createService, LOGGED_PATH_CHARS, pathForLog } from './service';

// The request log showed the raw request path. Node's parser refuses a raw control character (or any
// byte outside printable ASCII) in a request target with 400 before Fastify, and an encoded one
// (`%1b[31m`, `%0a`) was logged as that text, never decoded: no control character reached a log line.
// But a path was logged whole: a 16 KB path made a 16 KB log line per request. The log keeps the
// encoded path's first LOGGED_PATH_CHARS characters now and counts the rest, escapes anything outside
// printable ASCII should a target ever hold it, and names the route matched by its pattern.

/** Sends `target` as a raw GET's request target (latin1 bytes); resolves with the status line. */
function get(port: number, target: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => (text += String(chunk)));
    socket.on('close', () => resolve(text.split('\r\n')[0] ?? ''));
    socket.on('error', () => resolve(text.split('\r\n')[0] ?? ''));
    socket.write(Buffer.from(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`, 'latin1'));
  });
}

describe('the request log', () => {
  it('logs a request path encoded, without its query, at most LOGGED_PATH_CHARS characters, and the route by its pattern', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const service = await createService({
      name: 'request log',
      logger: { stream },
      routes(app) {
        app.get('/files/:name', { schema: {} }, async () => ({}));
      },
    });
    const { port } = await service.listen();
    const long = `/files/${'a'.repeat(8_000)}`;
    try {
      expect(await get(port, `${long}?token=SECRET`)).toBe('HTTP/1.1 400 Bad Request'); // over the router's parameter length
      expect(await get(port, `/nope/${'b'.repeat(12_000)}`)).toBe('HTTP/1.1 404 Not Found');
      expect(await get(port, '/files/%1b[31mred%0aFAKE?x=%1b')).toBe('HTTP/1.1 200 OK');
      // A raw escape or newline in the target never reaches Fastify (Node refuses it), so never the log.
      expect(await get(port, '/files/\u001b[31mred')).toBe('HTTP/1.1 400 Bad Request');
    } finally {
      await service.close();
    }
    const requests = lines.map((l) => JSON.parse(l) as { req?: { url: string; route?: string } }).filter((l) => l.req);
    expect(requests.map((l) => l.req!.url)).toEqual([
      `/files/${'a'.repeat(LOGGED_PATH_CHARS - '/files/'.length)}...(${long.length - LOGGED_PATH_CHARS} more characters)`,
      `/nope/${'b'.repeat(LOGGED_PATH_CHARS - '/nope/'.length)}...(${12_006 - LOGGED_PATH_CHARS} more characters)`,
      '/files/%1b[31mred%0aFAKE',
    ]);
    expect(requests[2]!.req!.route).toBe('/files/:name');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(1_000);
    expect(lines.join('\n')).not.toMatch(/SECRET|\u001b/);
  });

  it('escapes anything outside printable ASCII, and never decodes', () => {
    expect(pathForLog('/a\u001b[31m\nb\u00e9\u202e#frag')).toBe('/a%1B[31m%0Ab%E9\\u202e');
    expect(pathForLog('/a%0a%1b?q=1')).toBe('/a%0a%1b');
    expect(pathForLog('/x'.repeat(150))).toBe(`${'/x'.repeat(100)}...(100 more characters)`);
  });
});
