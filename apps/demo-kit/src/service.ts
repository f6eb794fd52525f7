import { isIP, isIPv6, type AddressInfo } from 'node:net';
import ajvCompiler from '@fastify/ajv-compiler';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  type RouteOptions,
} from 'fastify';
import { AppliedMLError } from '@appliedml/engine';
import { bodyBudgetBusy, countingStream, createBodyBudget, type BodyClaim } from './body-budget';
import { MAX_FILE_NAME_LENGTH } from './file-names';
import { bodyTooLarge, NOT_FOUND_CODE, toHttpError } from './http-errors';
import { withRequestScope } from './request-scope';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Called before the body is read (an onRequest hook): throw (e.g. 503 E_BUSY while the model
     * loads or the queue is full) to answer without reading the upload.
     */
    admit?: () => void;
  }
}

/** The media type of a Content-Type header: lower case, without parameters. */
function mediaType(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return header.split(';')[0]?.trim().toLowerCase();
}

/** The charset parameter of a Content-Type header: lower case, unquoted; undefined without one. */
function charsetOf(header: string): string | undefined {
  for (const part of header.split(';').slice(1)) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    return part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
  }
  return undefined;
}

/** Whether a request carries a body (Content-Length over 0, or a chunked body). */
function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

/** Labels of UTF-8 a JSON or text body may declare (case-insensitive; no charset means UTF-8 too). */
const UTF8_LABELS = new Set(['utf-8', 'utf8']);

/**
 * Why the kit cannot read a request body correctly, or undefined when it can: a Content-Encoding
 * other than identity (gzip, deflate, br…: bodies are read as sent, never decompressed), or a JSON
 * or text body (`application/json`, `…+json`, `text/*`) in a charset other than UTF-8 (they are
 * decoded as UTF-8). Answered 415 E_FORMAT_UNSUPPORTED before the body is read, instead of
 * misreading it. The messages are fixed: the header's value is not echoed.
 */
export function unreadableBody(headers: Record<string, string | string[] | undefined>): string | undefined {
  if (!hasBody(headers)) return undefined;
  const encoding = headers['content-encoding'];
  const codings = (Array.isArray(encoding) ? encoding.join(',') : (encoding ?? ''))
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '');
  if (codings.some((c) => c !== 'identity'))
    return 'This service does not accept compressed request bodies; send the body without Content-Encoding.';
  const type = headers['content-type'];
  if (typeof type !== 'string') return undefined;
  const media = mediaType(type) ?? '';
  const textual = media === 'application/json' || media.endsWith('+json') || media.startsWith('text/');
  const charset = charsetOf(type);
  if (textual && charset !== undefined && !UTF8_LABELS.has(charset))
    return 'JSON and text bodies must be UTF-8; send charset=utf-8 or no charset.';
  return undefined;
}

/**
 * Node's own refusals (before Fastify sees a request) in the kit's `{code, message}` shape: a
 * request too slow to arrive 408, headers over Node's limit 431, anything that is not valid HTTP
 * 400. The socket is closed afterwards, as Node does.
 */
export function clientErrorAnswer(error: { code?: unknown }): { status: number; body: { code: string; message: string } } {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return { status: 408, body: { code: 'E_INPUT_INVALID', message: 'The request did not arrive in time.' } };
  if (error.code === 'HPE_HEADER_OVERFLOW')
    return { status: 431, body: { code: 'E_INPUT_TOO_LARGE', message: 'The request headers are over the size limit.' } };
  return { status: 400, body: { code: 'E_INPUT_INVALID', message: 'The request is not valid HTTP.' } };
}

/** A JSON body with a '__proto__' or 'constructor.prototype' key: valid JSON, refused for safety (no key is quoted). */
const PROTO_KEY_REFUSAL = (): AppliedMLError =>
  new AppliedMLError(
    'E_INPUT_INVALID',
    "The request body is valid JSON but has a '__proto__' or 'constructor' key holding a prototype, refused for safety; rename that key.",
    { details: { reason: 'prototype-key' } },
  );

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/**
 * The pages' Content-Security-Policy: their own inline script and style (the demo pages are one
 * file each), images from the service, data: and blob: URLs, fetches to the service only, and no
 * framing (clickjacking).
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The one inline style the OpenAPI page (swagger-ui) applies, allowed by its hash in the page's style-src:
 * without it every /docs page logged a CSP error ("Applying inline style violates … style-src 'self' https:").
 * The hash is Chromium's for the style swagger-ui-dist 5.34.0's bundle applies (docs-csp.test.ts fails when an upgrade
 * changes it); 'unsafe-inline' would allow any injected style.
 */
export const SWAGGER_UI_STYLE_HASH = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";

/** The host name of a Host header: lower case, without the port or IPv6 brackets. */
export function hostName(header: string): string {
  const host = header.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']') > 0 ? host.indexOf(']') : undefined);
  const colon = host.lastIndexOf(':');
  return colon >= 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

/**
 * Whether a request's Host is one this service answers for: an IP address (DNS rebinding needs a
 * name), `localhost` and `*.localhost`, the host it was bound to, or one of `allowed`.
 */
export function hostAllowed(header: string | undefined, bound: string | undefined, allowed: readonly string[] = []): boolean {
  if (allowed.includes('*')) return true;
  if (header === undefined || header === '') return false;
  const name = hostName(header);
  if (isIP(name.split('%')[0] ?? name) !== 0) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (bound !== undefined && name === hostName(bound)) return true;
  return allowed.some((a) => a.toLowerCase() === name);
}

/** Limits against oversized bodies and slow-request floods. Every field has a default. */
export interface ServiceLimits {
  /** Largest request body in bytes (default 1 MiB); over it → 413 E_INPUT_TOO_LARGE naming the limit (`details.limitBytes`). */
  bodyLimit?: number;
  /**
   * Bytes of request bodies held at once, across all requests (default 256 MiB, or `bodyLimit` if
   * larger; 0 turns it off). A body is counted from its Content-Length before it is read (a chunked
   * one as its bytes arrive) until its answer is sent or the client goes; a request that would take
   * the total over it is 503 E_BUSY with Retry-After: 1, before its body is read; a body larger than the
   * whole budget (on a route allowing more) is 413 E_INPUT_TOO_LARGE naming it, announced or chunked.
   */
  bodyBudgetBytes?: number;
  /** Time to receive a whole request, headers and body (default 30 s; 0 turns it off); over it Node answers 408 and closes. */
  requestTimeoutMs?: number;
  /** Time to receive the request headers (default 10 s; never longer than a non-zero `requestTimeoutMs`). */
  headersTimeoutMs?: number;
  /** An idle socket is destroyed after this (default 60 s; keep it over the slowest inference). */
  connectionTimeoutMs?: number;
  /**
   * Longest time a request may take, from the end of its body to its answer, before it is answered 503 E_BUSY
   * with Retry-After: 1 (default `connectionTimeoutMs` less 5 s, or less a tenth when that is under
   * 50 s; 0 turns it off): a request still waiting (a long queue, a worker reloading the model) gets
   * an answer before its idle connection would be dropped without one.
   */
  answerTimeoutMs?: number;
  /** Keep-alive idle time between requests (default 5 s). */
  keepAliveTimeoutMs?: number;
  /** How often Node checks the request and header timeouts (default 1 s). */
  timeoutCheckIntervalMs?: number;
  /** Open connections at most; more are dropped at once (default 256). */
  maxConnections?: number;
  /** Time `close()` waits for in-flight requests before cutting the connections (default 10 s). */
  shutdownTimeoutMs?: number;
  /** Seconds in the Retry-After header of the 503 answered to requests that arrive while shutting down (default 5). */
  shutdownRetryAfterSeconds?: number;
}

export interface ServiceOptions {
  /** Title of the OpenAPI document and the log name. */
  name: string;
  version?: string;
  description?: string;
  /**
   * Declare the routes here (`app.get`, `app.post`, `app.route`): every route needs a `schema`
   * (body, params, querystring, response) and registering one without throws E_INTERNAL. A content-type
   * parser added here may not set its own `bodyLimit` (E_INTERNAL): a route's `bodyLimit` is the one limit.
   */
  routes: (app: FastifyInstance) => void | Promise<void>;
  /** Content types read as a Buffer body (images, audio). JSON is always accepted; any other type → 415. */
  binaryTypes?: readonly string[];
  limits?: ServiceLimits;
  /**
   * Structured logs (pino through Fastify): `false` (the default, quiet), `true` (info to stdout)
   * or pino options (`level`, `stream`, …). Request bodies and query strings are never logged.
   */
  logger?: boolean | Exclude<FastifyServerOptions['logger'], boolean | undefined>;
  /** Readiness: `GET /readyz` is 200 only while this is true (e.g. the model is loaded). Default: always. */
  isReady?: () => boolean;
  /** Where the OpenAPI page is served (default `/docs`; its JSON at `<prefix>/json`). */
  docsPrefix?: string;
  /**
   * Host names the service answers for besides the bound host, IP addresses and `localhost`
   * (DNS-rebinding protection: a request for any other `Host` is 421 E_INPUT_INVALID). Add the
   * names a reverse proxy forwards, or `'*'` to turn the check off. The environment variable
   * `APPLIEDML_ALLOWED_HOSTS` (comma-separated) adds to it, for the demos' CLIs.
   */
  allowedHosts?: readonly string[];
  /**
   * Name a field a route does not take in its 400 when the name is plain (letters, digits, `_`, `-`,
   * at most 40 characters; up to three, others counted): "The body has field 'label', which this route
   * does not accept: it takes text." Default false: "The body has a field this route does not accept:
   * it takes text." (no key the client sent is said back). See `toHttpError`.
   */
  nameUnknownFields?: boolean;
  /** Called once by `close()` after the last request finished, even when closing the server failed (release the worker pool here). */
  onClose?: () => void | Promise<void>;
}

/** What a demo service's own options pass through to `createService`: logs, limits and a close hook. */
export type DemoServiceOptions = Pick<ServiceOptions, 'logger' | 'limits' | 'onClose' | 'allowedHosts'>;

export interface Service {
  readonly app: FastifyInstance;
  /** Listen on loopback by default; resolves with the base URL and the port. */
  listen(options?: { port?: number; host?: string }): Promise<{ url: string; port: number }>;
  /**
   * Stop accepting, answer readiness 503 and other new requests 503 E_BUSY with Retry-After,
   * finish in-flight requests, then run `onClose` (always). Idempotent.
   */
  close(): Promise<void>;
  readonly closing: boolean;
  /** Bytes of request bodies held now (`limits.bodyBudgetBytes`): announced or arrived, until their answers are done. */
  readonly heldBodyBytes: number;
  /** The OpenAPI 3 document generated from the route schemas. */
  openapi(): Record<string, unknown>;
}

/** Schema id of the error answer, for `response` schemas: `{ $ref: 'ErrorBody#' }`. */
export const ERROR_BODY_ID = 'ErrorBody';

/**
 * An error answer as a route documents it: always JSON (`ErrorBody`), whatever the route's
 * `produces` says for its 200 (an SVG route's errors are JSON too).
 */
function errorAnswer(description: string, retryAfter = false) {
  return {
    description,
    ...(retryAfter ? { headers: { 'retry-after': { type: 'integer', description: 'Seconds to wait before retrying.' } } } : {}),
    content: { 'application/json': { schema: { $ref: `${ERROR_BODY_ID}#` } } },
  } as const;
}

/** The error answers every route can give (no body involved): 400, 500, 503. Spread into a GET route's `response`. */
export const readErrorResponses = {
  400: errorAnswer('E_INPUT_INVALID: a parameter, the query string or the request is invalid.'),
  500: errorAnswer('E_INTERNAL: an internal error ("Internal error."; the details are in the server log).'),
  503: errorAnswer('E_BUSY and the other 503 codes: busy, still loading or shutting down; retry after Retry-After seconds.', true),
} as const;

/** The error answers of a route with a body: `readErrorResponses` and 413, 415. Spread into a route's `response`. */
export const errorResponses = {
  ...readErrorResponses,
  413: errorAnswer('E_INPUT_TOO_LARGE: the body (or what it declares) is over the limit.'),
  415: errorAnswer(
    'E_FORMAT_UNSUPPORTED: the content type, its charset (JSON and text: UTF-8 only), a Content-Encoding (none is accepted) or the file format is not accepted.',
  ),
} as const;

/**
 * A route's URL pattern as a regular expression over a request path: `:name` (with an optional
 * `(regex)`) matches one segment's worth of characters, `*` the rest.
 */
export function routePattern(url: string): RegExp {
  let source = '';
  for (let i = 0; i < url.length;) {
    const param = /^:[A-Za-z0-9_]+(\([^)]*\))?/.exec(url.slice(i));
    if (param) {
      source += '[^/]+';
      i += param[0].length;
    } else if (url[i] === '*') {
      source += '.*';
      i += 1;
    } else {
      source += (url[i] as string).replace(/[.+?^${}()|[\]\\]/g, '\\$&');
      i += 1;
    }
  }
  return new RegExp(`^${source}$`);
}

/**
 * A request URL's path as Fastify's router (find-my-way) matches it (an absolute-form target,
 * `http://host/path`, by its path): up to the query (`?`) or fragment (`#`), with percent-escapes
 * decoded as `decodeURI` does (reserved characters such as `%2F` stay encoded, so an encoded slash
 * stays inside its segment) and `%25` kept as `%25`. A path whose escapes do not decode is returned
 * as sent (no route matches it).
 */
export function routerPath(url: string): string {
  // An absolute-form target (`http://host/path`, as sent to a proxy) is routed by its path, as the router does.
  const authority = /^https?:\/\/[^/?#]+/i.exec(url);
  const target = authority && !url.startsWith('/') ? url.slice(authority[0].length) || '/' : url;
  const end = target.search(/[?#]/);
  const path = end > 0 ? target.slice(0, end) : end === 0 ? '/' : target;
  if (!path.includes('%')) return path;
  try {
    return decodeURI(path.replace(/%25/g, '%2525'));
  } catch {
    return path;
  }
}

/** Whether a router path is `prefix` or below it (`/docs`, `/docs/json`; not `/docsearch`). */
export function underPrefix(path: string, prefix: string): boolean {
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === base || path.startsWith(`${base}/`);
}

/** Whether the router gave a named path parameter (not the `*` wildcard) an empty value. */
export function hasEmptyParam(params: unknown): boolean {
  if (typeof params !== 'object' || params === null) return false;
  return Object.entries(params).some(([key, value]) => key !== '*' && value === '');
}

/** What the OpenAPI document says about errors that are no route's own. */
const ERRORS_NOTE =
  'Every error answer is JSON `{code, message}` (the `ErrorBody` schema) with a stable code; a body over the size limit is ' +
  '413 `E_INPUT_TOO_LARGE` naming the limit, also as `details.limitBytes`. A path that does not ' +
  'exist is 404 `E_NOT_FOUND`, a method a path does not answer 405 `E_NOT_FOUND` with an `Allow` header naming the ' +
  'ones it does (both before the body is read); a 503 carries a `Retry-After` header; a request too slow to arrive ' +
  'is 408 `E_INPUT_INVALID`, headers over the limit 431 `E_INPUT_TOO_LARGE`, a request that is not valid HTTP 400 `E_INPUT_INVALID`, ' +
  'and one for a host name the service does not answer for (DNS-rebinding protection) 421 `E_INPUT_INVALID`.';

/** What `onClose` gets at least, even when in-flight requests used the whole shutdown limit. */
const ON_CLOSE_GRACE_MS = 1_000;

/** The default `bodyBudgetBytes` (unless `bodyLimit` is larger). */
export const DEFAULT_BODY_BUDGET_BYTES = 256 * 1024 * 1024;

/** Methods whose body Fastify reads (GET, HEAD and TRACE bodies are never read, so never held). */
const BODYLESS_METHODS = new Set(['GET', 'HEAD', 'TRACE']);

const DEFAULT_LIMITS: Omit<Required<ServiceLimits>, 'bodyBudgetBytes' | 'answerTimeoutMs'> = {
  bodyLimit: 1024 * 1024,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  connectionTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  timeoutCheckIntervalMs: 1_000,
  maxConnections: 256,
  shutdownTimeoutMs: 10_000,
  shutdownRetryAfterSeconds: 5,
};

/** The answer limit: as given, else `connectionTimeoutMs` less 5 s (less a tenth under 50 s); 0 for off. */
export function resolveAnswerTimeout(limits: Pick<ServiceLimits, 'answerTimeoutMs' | 'connectionTimeoutMs'>): number {
  if (limits.answerTimeoutMs !== undefined) return limits.answerTimeoutMs;
  const connection = limits.connectionTimeoutMs ?? DEFAULT_LIMITS.connectionTimeoutMs;
  if (!(connection > 0)) return 0;
  return Math.max(1, connection - Math.min(5_000, Math.ceil(connection / 10)));
}

/**
 * Node's `headersTimeout`: the headers limit, but never past the whole-request limit. A limit of
 * 0 means "off" to Node, so it does not take part in the minimum (0 only when both are 0).
 */
export function resolveHeadersTimeout(limits: Pick<Required<ServiceLimits>, 'headersTimeoutMs' | 'requestTimeoutMs'>): number {
  const set = [limits.headersTimeoutMs, limits.requestTimeoutMs].filter((ms) => ms > 0);
  return set.length === 0 ? 0 : Math.min(...set);
}

type ValidatorBuilder = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator'];

/**
 * Fastify's own Ajv compiler (`@fastify/ajv-compiler`, the version range fastify itself uses, so
 * npm installs one copy), built twice: params, query strings and headers coerce types as Fastify does by
 * default (`?limit=5` is a number, `coerceTypes: 'array'`); bodies do not (JSON has types: a
 * number where a string is declared is a 400, not a string).
 */
function partAwareValidator(): ValidatorBuilder {
  type Compile = (route: { httpPart?: string }) => unknown;
  type Build = (externalSchemas: unknown, options: { customOptions?: Record<string, unknown> }) => Compile;
  const build = (ajvCompiler as unknown as () => Build)();
  // verbose: a refusal of a field the route does not take can list the fields it takes (the failing
  // schema) and every plain-named extra key (the failing object's keys), and a missing field's refusal
  // can name the extra keys beside it (one pass over that object's keys); nothing else of it is used.
  // allErrors stays off: validation stops at the first failure, so its cost never grows with the errors.
  const base = { removeAdditional: false, allErrors: false, verbose: true };
  const builder: Build = (externalSchemas, options) => {
    const custom = options?.customOptions ?? {};
    const coercing = build(externalSchemas, { ...options, customOptions: { ...custom, ...base, coerceTypes: 'array' } });
    const strict = build(externalSchemas, { ...options, customOptions: { ...custom, ...base, coerceTypes: false } });
    return (route) => (route.httpPart === 'body' ? strict : coercing)(route);
  };
  return builder as unknown as ValidatorBuilder;
}

/** The base URL of a listening address: IPv6 in brackets, wildcard addresses as loopback. */
export function listenUrl(host: string, port: number): string {
  if (host === '0.0.0.0') return `http://127.0.0.1:${port}`;
  if (host === '::' || host === '[::]') return `http://[::1]:${port}`;
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIPv6(bare.split('%')[0] ?? bare)) return `http://[${bare.replace('%', '%25')}]:${port}`;
  return `http://${host}:${port}`;
}

interface LoggableError {
  name?: unknown;
  code?: unknown;
  stack?: unknown;
  cause?: unknown;
  frames?: unknown;
}

/**
 * An error as a 500 log line shows it: name, code and stack frames, and the same for its causes.
 * Never the message: an error's message may quote the request (a parser, a library, a worker).
 */
export function errorForLog(error: unknown, depth = 0): Record<string, unknown> {
  if (typeof error !== 'object' || error === null) return { type: typeof error };
  const e = error as LoggableError;
  const frames = Array.isArray(e.frames)
    ? e.frames.filter((f): f is string => typeof f === 'string')
    : typeof e.stack === 'string'
      ? e.stack
          .split('\n')
          .filter((line) => /^\s+at /.test(line))
          .map((line) => line.trim())
      : [];
  return {
    type: typeof e.name === 'string' ? e.name : 'Error',
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    frames: frames.slice(0, 20),
    ...(e.cause !== undefined && depth < 3 ? { cause: errorForLog(e.cause, depth + 1) } : {}),
  };
}

interface LoggedRequest {
  method?: string;
  url?: string;
  routeOptions?: { url?: string };
  ip?: string;
}

/** Characters of a request path a log line keeps; the rest is counted. */
export const LOGGED_PATH_CHARS = 200;

/**
 * A request path as a log line shows it: without the query string or fragment, still percent-encoded
 * (never decoded: `%1b` or `%0a` stays that text), any character outside printable ASCII escaped as
 * `%XX` / `\uXXXX` (Node's parser refuses them in a request target; a target from elsewhere may not),
 * and at most `LOGGED_PATH_CHARS` characters, the rest counted: a 16 KB path is not a 16 KB log line.
 */
export function pathForLog(url: string): string {
  const end = url.search(/[?#]/);
  const path = end >= 0 ? url.slice(0, end) : url;
  const kept = path.slice(0, LOGGED_PATH_CHARS);
  const safe = kept.replace(/[^\x21-\x7e]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return path.length > LOGGED_PATH_CHARS ? `${safe}...(${path.length - LOGGED_PATH_CHARS} more characters)` : safe;
}

/**
 * What a request contributes to a log line: method, path (`pathForLog`: no query string, encoded,
 * shortened), the route it matched (its pattern, `/files/:name`, never the client's text), address. Never the body.
 */
function requestForLog(req: LoggedRequest): Record<string, unknown> {
  const url = typeof req.url === 'string' ? pathForLog(req.url) : undefined;
  return { method: req.method, url, route: req.routeOptions?.url, remoteAddress: req.ip };
}

function loggerOption(logger: ServiceOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return false;
  const base = logger === true ? {} : logger;
  return {
    level: 'info',
    ...base,
    serializers: { ...base.serializers, req: requestForLog as never },
    // The body never reaches a log line; headers that carry credentials are masked too.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'body', 'req.body'], censor: '[redacted]' },
  };
}

/** A request's share of the body budget and what still keeps it. */
interface BodyHold {
  claim: BodyClaim;
  /** The route's handler is running (the body may be queued for a worker). */
  handling: boolean;
  /** The answer is done, or the connection closed. */
  done: boolean;
  release: () => void;
}

/** A request's route as the inference pool's task kind: the method and the route's URL pattern (`POST /predict`). */
function routeName(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? ''}`;
}

/**
 * A route handler that keeps its request's body claim while it runs: a client that goes away does
 * not free the budget while its body still waits for a worker. A handler that answers through
 * `reply.send` later (no promise) counts as returned when it returns.
 *
 * The handler runs with its request's route and signal (`currentRequestSignal`), aborted once the request
 * needs no answer any more: its answer went out (also the answer limit's 503) or its client went
 * away. Work it queued (the inference pool) is then dropped before it starts. A result or error
 * that comes after the answer was sent, or after the client went, is dropped here quietly (Fastify
 * would log "Reply was already sent" for it).
 */

function handledWithinRequest(handler: RouteOptions['handler'], holds: WeakMap<object, BodyHold>): RouteOptions['handler'] {
  return function (this: FastifyInstance, request, reply) {
    const hold = holds.get(request.raw);
    if (hold) hold.handling = true;
    const returned = (): void => {
      if (!hold) return;
      hold.handling = false;
      if (hold.done) hold.claim.release();
    };
    const answered = new AbortController();
    const onClose = (): void => answered.abort();
    reply.raw.once('close', onClose);
    const gone = (): boolean => reply.sent || reply.raw.headersSent || reply.raw.destroyed || answered.signal.aborted;
    let result: unknown;
    try {
      result = withRequestScope({ signal: answered.signal, route: routeName(request) }, () => handler.call(this, request, reply));
    } catch (error) {
      returned();
      throw error;
    }
    if (typeof (result as PromiseLike<unknown> | undefined)?.then !== 'function') {
      returned();
      return result as ReturnType<RouteOptions['handler']>;
    }
    return Promise.resolve(result as PromiseLike<unknown>).then(
      (value) => {
        returned();
        return gone() ? undefined : value;
      },
      (error: unknown) => {
        returned();
        if (gone()) return undefined;
        throw error;
      },
    ) as ReturnType<RouteOptions['handler']>;
  };
}

/**
 * A content-type parser added by the service (in `routes(app)`, or a plugin it registers) may not set its own
 * `bodyLimit`: Fastify would hold such a body to the parser's limit, while the kit's 413 (`details.limitBytes`),
 * its body budget and its `Expect: 100-continue` go by the route's `bodyLimit`, so the answer would name a
 * limit that did not apply (and a larger parser limit would let a body past the budget unclaimed). Adding
 * one throws E_INTERNAL at start-up, as a route without a schema does; give the route its `bodyLimit`.
 */
function refuseParserBodyLimits(app: FastifyInstance): void {
  const add = app.addContentTypeParser as (this: FastifyInstance, ...args: unknown[]) => void;
  // Plugin instances are made from the app by prototype, so theirs is this one too.
  app.addContentTypeParser = function (this: FastifyInstance, ...args: unknown[]) {
    const [contentType, opts] = args;
    if (typeof opts === 'object' && opts !== null && (opts as { bodyLimit?: unknown }).bodyLimit !== undefined)
      throw new AppliedMLError(
        'E_INTERNAL',
        `The content-type parser for ${String(contentType)} sets its own bodyLimit, which the kit's 413 and body budget cannot see; give its routes a bodyLimit instead.`,
      );
    return add.apply(this, args);
  } as FastifyInstance['addContentTypeParser'];
}

/**
 * One way every demo service serves: Fastify with JSON schemas on every route, an OpenAPI page,
 * body limits and content-type checks, SDK errors mapped to HTTP with their codes, `GET /healthz`
 * and `GET /readyz`, timeouts against slow-request floods, and a graceful `close()`.
 */
export async function createService(options: ServiceOptions): Promise<Service> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const budgetBytes = limits.bodyBudgetBytes ?? Math.max(DEFAULT_BODY_BUDGET_BYTES, limits.bodyLimit);
  if (budgetBytes !== 0 && !(budgetBytes >= limits.bodyLimit))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `limits.bodyBudgetBytes (${budgetBytes}) must be 0 (off) or at least limits.bodyLimit (${limits.bodyLimit}): a body between them could never be read.`,
      { details: { field: 'limits.bodyBudgetBytes' } },
    );
  const budget = createBodyBudget(budgetBytes);
  /** Each request's share of the body budget, by its raw request. */
  const holds = new WeakMap<object, BodyHold>();
  const docsPrefix = options.docsPrefix ?? '/docs';
  const errorOptions = { nameUnknownFields: options.nameUnknownFields === true };
  const app = Fastify({
    logger: loggerOption(options.logger),
    bodyLimit: limits.bodyLimit,
    connectionTimeout: limits.connectionTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    forceCloseConnections: 'idle',
    // While closing, the onRequest hook below answers 503 E_BUSY with Retry-After (and lets
    // /readyz say "shutting-down"); Fastify's own 503 has neither.
    return503OnClosing: false,
    http: {
      headersTimeout: resolveHeadersTimeout(limits),
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
    },
    // A file-name path parameter must reach its schema (which answers precisely), not the router's limit.
    routerOptions: { maxParamLength: Math.max(100, 2 * MAX_FILE_NAME_LENGTH) },
    schemaController: { compilersFactory: { buildValidator: partAwareValidator() } },
    // The router's own errors (a malformed URL, a path parameter over maxParamLength) answer
    // through the same mapping, with fixed messages: Fastify's default bodies quote the URL.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const answer = clientErrorAnswer(error);
      app.log.info({ code: answer.body.code, status: answer.status }, 'request rejected');
      const body = JSON.stringify(answer.body);
      if (socket.writable)
        socket.write(
          `HTTP/1.1 ${answer.status} ${STATUS_TEXT[answer.status] ?? 'Bad Request'}\r\nConnection: close\r\n` +
            `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
      socket.destroy();
    },
    frameworkErrors: (error, request, reply) => {
      const answer = toHttpError(error, errorOptions);
      request.log.info({ code: answer.body.code, status: answer.status }, 'request rejected');
      void (reply as FastifyReply).code(answer.status).send(answer.body);
    },
  });
  app.server.maxConnections = limits.maxConnections;

  let closing = false;
  let closed: Promise<void> | undefined;
  let boundHost: string | undefined;
  // The demos' CLIs have no flag for it: APPLIEDML_ALLOWED_HOSTS (comma-separated) adds names too.
  const fromEnv = (process.env.APPLIEDML_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  const allowedHosts = [...(options.allowedHosts ?? []), ...fromEnv];

  // DNS-rebinding protection, first of all hooks: a page on another site that points its own
  // name at this machine sends its name as Host; only this service's names are answered.
  app.addHook('onRequest', async (request, reply) => {
    if (hostAllowed(request.headers.host, boundHost, allowedHosts)) return;
    request.log.info({ code: 'E_INPUT_INVALID', status: 421 }, 'request rejected: host not allowed');
    return reply.code(421).send({ code: 'E_INPUT_INVALID', message: 'This service does not answer for that host name.' });
  });
  // Browser hardening: no content sniffing on any answer; the pages (HTML, but not the OpenAPI
  // page, which brings its own CSP) get a CSP, no framing and no referrer.
  app.addHook('onSend', async (request, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff');
    const type = String(reply.getHeader('content-type') ?? '');
    // The path as the router read it: `GET http://host/docs/` and `/do%63s/` are the OpenAPI page too.
    if (type.startsWith('text/html') && !underPrefix(routerPath(request.url), docsPrefix)) {
      void reply.header('content-security-policy', PAGE_CSP);
      void reply.header('x-frame-options', 'DENY');
      void reply.header('referrer-policy', 'no-referrer');
    }
    return payload;
  });

  /** Every route's path pattern and methods: a path with other methods than the request's is a 405. */
  const routeMethods = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  const allowedMethods = (path: string): string[] => {
    const allowed = new Set<string>();
    for (const { pattern, methods } of routeMethods.values()) if (pattern.test(path)) methods.forEach((m) => allowed.add(m));
    return [...allowed].sort();
  };
  app.addHook('onRoute', (route: RouteOptions) => {
    const known = routeMethods.get(route.url) ?? { pattern: routePattern(route.url), methods: new Set<string>() };
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) known.methods.add(String(method).toUpperCase());
    routeMethods.set(route.url, known);
    route.handler = handledWithinRequest(route.handler, holds);
    if (route.method === 'HEAD' || (Array.isArray(route.method) && route.method.every((m) => m === 'HEAD'))) return;
    if (underPrefix(route.url, docsPrefix)) return;
    if (!route.schema)
      throw new AppliedMLError('E_INTERNAL', `Route ${String(route.method)} ${route.url} has no JSON schema; every route declares one.`);
  });

  // JSON only (Fastify also reads text/plain by default): a wrong content type is a 415, not a
  // string body that fails validation later.
  app.removeContentTypeParser('text/plain');
  // Fastify's JSON parser, refusing a '__proto__' or 'constructor.prototype' key as before, but saying
  // so: its refusal was 'not valid JSON' for a body that is. Only a refused body is parsed again.
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = String(body); // parseAs 'string'
    jsonParser(request, text, (error, value) => {
      if (!error) return done(null, value);
      try {
        JSON.parse(text); // own keys only: JSON.parse itself never sets a prototype
      } catch {
        return done(error, undefined);
      }
      done(PROTO_KEY_REFUSAL(), undefined);
    });
  });
  if (options.binaryTypes && options.binaryTypes.length > 0)
    app.addContentTypeParser([...options.binaryTypes], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addSchema({
    $id: ERROR_BODY_ID,
    type: 'object',
    description: 'An error: a stable code (E_INPUT_INVALID, E_INPUT_TOO_LARGE, …) and what to do.',
    required: ['code', 'message'],
    properties: {
      code: { type: 'string' },
      message: { type: 'string' },
      details: {
        type: 'object',
        description: 'Only on a 413 for a body over the size limit: the limit.',
        required: ['limitBytes'],
        properties: {
          limitBytes: {
            type: 'integer',
            description:
              "The largest request body this route takes, or this service's body budget when the body is larger than that, in bytes.",
          },
        },
      },
    },
  });

  app.setErrorHandler((error, request, reply) => {
    // The route's own limit (a route may allow more than the service's): a 413 names it.
    const answer = toHttpError(error, { ...errorOptions, bodyLimit: request.routeOptions.bodyLimit });
    // Log the code, status, error name and stack frames only: a parser's, a library's or an
    // SDK's message may quote the request.
    if (AppliedMLError.isInstance(error) && error.details?.['timedOut'] === true)
      request.log.warn(
        { code: answer.body.code, status: answer.status },
        error.details['workerReplaced'] === true
          ? 'inference timed out; its worker was replaced'
          : 'inference timed out before it started; dropped',
      );
    else if (answer.body.code === 'E_BUSY')
      // A refusal under load is the service working as designed: a warning, not an error with a stack.
      request.log.warn(
        { code: answer.body.code, status: answer.status, retryAfterSeconds: answer.retryAfterSeconds },
        'busy: refused with Retry-After',
      );
    else if (answer.status >= 500)
      request.log.error({ code: answer.body.code, status: answer.status, error: errorForLog(error) }, 'request failed');
    else request.log.info({ code: answer.body.code, status: answer.status }, 'request rejected');
    if (answer.retryAfterSeconds !== undefined) void reply.header('retry-after', String(answer.retryAfterSeconds));
    return reply.code(answer.status).send(answer.body);
  });
  // While shutting down, a request that still arrives (on a kept-alive connection) is told to
  // come back; health and readiness answer as usual (readiness: 503 "shutting-down").
  app.addHook('onRequest', async (request, reply) => {
    if (!closing) return;
    // The path as the router read it: `/ready%7a` and `GET http://host/readyz` are readiness too (their
    // route's schema has no E_BUSY body: a 503 E_BUSY there failed to serialise, a 500).
    const path = routerPath(request.url);
    if (path === '/healthz' || path === '/readyz') return;
    return reply
      .code(503)
      .header('retry-after', String(limits.shutdownRetryAfterSeconds))
      .send({ code: 'E_BUSY', message: 'The service is shutting down; retry shortly.' });
  });
  // An unknown route is answered before anything about the body (its size, type, JSON): 404, or
  // 405 with Allow when the path exists with other methods (the path decoded as the router decodes
  // it: `GET /predic%74` is the path /predict). Fixed messages: the path and method are the
  // client's input and are not echoed.
  const notFound = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const allowed = allowedMethods(routerPath(request.url));
    request.log.info({ code: NOT_FOUND_CODE, status: allowed.length > 0 ? 405 : 404 }, 'request rejected');
    if (allowed.length === 0) return reply.code(404).send({ code: NOT_FOUND_CODE, message: 'No such route.' });
    return reply
      .code(405)
      .header('allow', allowed.join(', '))
      .send({ code: NOT_FOUND_CODE, message: `This route does not answer that method; it answers ${allowed.join(', ')}.` });
  };
  // The router also matches a `:name` parameter to an empty segment (`/files/` to `/files/:name`,
  // name ''): such a path names nothing, so it is a 404 for every method, as the 405 check sees it,
  // and no handler is given an empty parameter. A wildcard (`*`) may still be empty.
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404 || hasEmptyParam(request.params)) return notFound(request, reply);
  });
  // Before the body is read: a body the kit would misread (compressed, or JSON or text in another
  // charset than UTF-8) is refused; a route that declares `consumes` (a binary upload) refuses any
  // other content type, and its `config.admit` may refuse the request (busy, loading), so a large
  // JSON body is never parsed to be refused, and an upload is never buffered for a full queue.
  app.addHook('onRequest', async (request) => {
    if (!BODYLESS_METHODS.has(request.method)) {
      const unreadable = unreadableBody(request.headers);
      if (unreadable !== undefined) throw new AppliedMLError('E_FORMAT_UNSUPPORTED', unreadable);
    }
    const consumes = (request.routeOptions.schema as { consumes?: readonly string[] } | undefined)?.consumes;
    const type = mediaType(request.headers['content-type']);
    // The types the route takes, from its own schema (an answer never quotes the request): a client
    // sending curl's default form type or multipart learns what to send instead.
    if (consumes && type !== undefined && !consumes.some((c) => c.toLowerCase() === type))
      throw new AppliedMLError(
        'E_FORMAT_UNSUPPORTED',
        `This route does not accept that content type; send the body as ${consumes.length === 1 ? consumes[0] : `one of ${consumes.join(', ')}`} (the raw bytes, not a form).`,
        { details: { accepted: [...consumes] } },
      );
    const admit = request.routeOptions.config.admit;
    if (admit) withRequestScope({ route: routeName(request) }, admit);
  });
  // A request not answered within the answer limit is 503 E_BUSY with Retry-After, before the
  // connection's idle limit would close it with no answer (Fastify's own handlerTimeout is cleared
  // once a POST body has been read, so it does not cover a handler waiting for a worker). Timed from
  // the end of the body, as the idle limit is (every body byte restarts it): a slow upload is not cut.
  // The handler itself goes on after a 503 (its late answer is dropped).
  if (limits.answerTimeoutMs !== undefined && !(Number.isSafeInteger(limits.answerTimeoutMs) && limits.answerTimeoutMs >= 0))
    throw new AppliedMLError('E_INPUT_INVALID', 'limits.answerTimeoutMs must be a whole number of milliseconds, 0 for off.', {
      details: { field: 'limits.answerTimeoutMs' },
    });
  const answerTimeoutMs = resolveAnswerTimeout(limits);
  if (answerTimeoutMs > 0)
    app.addHook('preHandler', async (request, reply) => {
      const timer = setTimeout(() => {
        if (reply.sent || reply.raw.headersSent || reply.raw.destroyed) return;
        request.log.warn({ code: 'E_BUSY', status: 503, afterMs: answerTimeoutMs }, 'request not answered in time');
        void reply
          .code(503)
          .header('retry-after', '1')
          .send({ code: 'E_BUSY', message: 'The request was not answered within the time limit of this service; retry shortly.' });
      }, answerTimeoutMs);
      timer.unref();
      reply.raw.once('close', () => clearTimeout(timer));
    });
  // The body budget, still before the body is read: a body announced by Content-Length is claimed
  // whole now (one over the route's bodyLimit is left to its 413); a chunked one claims its bytes
  // as they arrive (preParsing below). The claim is held until the answer is done or the
  // connection closed (the client went away), and the route's handler, if it started, returned:
  // until then the body may still be in memory (queued for a worker).
  app.addHook('onRequest', async (request, reply) => {
    if (budget.limit === 0 || BODYLESS_METHODS.has(request.method)) return;
    const length = request.headers['content-length'];
    const chunked = length === undefined && request.headers['transfer-encoding'] !== undefined;
    if (length === undefined && !chunked) return;
    const declared = chunked ? 0 : Number(length);
    if (!Number.isSafeInteger(declared) || (declared <= 0 && !chunked)) return;
    if (declared > request.routeOptions.bodyLimit) return;
    // A body larger than the whole budget never fits, however long the client waits: too large, not busy.
    if (declared > budget.limit) {
      void reply.header('connection', 'close');
      throw bodyTooLarge(budget.limit, 'service');
    }
    const claim = chunked && budget.held >= budget.limit ? undefined : budget.claim(declared);
    if (!claim) {
      // The client may still be sending the body: the connection ends with this answer.
      void reply.header('connection', 'close');
      throw bodyBudgetBusy();
    }
    const socket = request.raw.socket;
    const hold: BodyHold = { claim, handling: false, done: false, release: () => undefined };
    hold.release = () => {
      hold.done = true;
      socket?.off('close', hold.release);
      if (!hold.handling) claim.release();
    };
    reply.raw.once('close', hold.release);
    socket?.once('close', hold.release);
    holds.set(request.raw, hold);
  });
  // `Expect: 100-continue` (curl sends it with any body over 1 MiB): Node would say 100 Continue at
  // once, before the checks above, and the client would send a whole upload only to be refused. The
  // kit says it here, once the request passed them, unless the body will be refused unread anyway
  // (over the route's bodyLimit: 413; a content type nothing parses, or none given with a body: 415).
  // A request with no body to send (no Content-Length over 0, no chunked body), or whose body is never
  // read (GET, HEAD, TRACE), is not invited to send one: it is answered directly (RFC 9110 §10.1.1), and
  // a GET that announces a body it was not asked for ends its connection with the answer (the client
  // may still be waiting to send it).
  app.server.on('checkContinue', (req, res) => app.server.emit('request', req, res));
  app.addHook('preParsing', async (request, reply, payload) => {
    if (!/\b100-continue\b/i.test(String(request.headers.expect ?? '')) || reply.raw.headersSent) return payload;
    const length = Number(request.headers['content-length'] ?? 0);
    const announced = request.headers['transfer-encoding'] !== undefined || length > 0;
    if (!announced) return payload;
    if (BODYLESS_METHODS.has(request.method)) {
      void reply.header('connection', 'close');
      return payload;
    }
    const type = mediaType(request.headers['content-type']);
    if (length > request.routeOptions.bodyLimit) return payload;
    if (type !== undefined && !app.hasContentTypeParser(type)) return payload;
    // A body without a Content-Type: Fastify answers 415 without reading it (the kit has no catch-all parser).
    if (type === undefined) return payload;
    reply.raw.writeContinue();
    return payload;
  });
  app.addHook('preParsing', async (request, reply, payload) => {
    const hold = holds.get(request.raw);
    if (!hold || request.headers['content-length'] !== undefined) return payload;
    const counted = countingStream(hold.claim, { routeLimit: request.routeOptions.bodyLimit, budgetLimit: budget.limit });
    // Not pipeline(): on a refusal it would destroy the request, and the socket with it, before
    // the 503 is written. A client that goes away ends the count with its error.
    payload.on('error', (error) => counted.destroy(error));
    counted.on('error', () => {
      payload.unpipe(counted);
      void reply.header('connection', 'close');
    });
    return payload.pipe(counted);
  });
  // While shutting down, answers end their connection, so keep-alive clients do not hold it open.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) void reply.header('connection', 'close');
    return payload;
  });
  app.setNotFoundHandler((request, reply) => notFound(request, reply));

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: options.name,
        version: options.version ?? '0.0.0',
        description: options.description ? `${options.description}\n\n${ERRORS_NOTE}` : ERRORS_NOTE,
      },
    },
    // Shared schemas appear under their own $id (`ErrorBody`), not `def-0`.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`),
    },
  });
  // The page's scripts and styles come from the package's own files: it works offline.
  // Its CSP minus upgrade-insecure-requests, which would break the page on a plain-http LAN address.
  await app.register(fastifySwaggerUi, {
    routePrefix: docsPrefix,
    uiConfig: { validatorUrl: null },
    staticCSP: true,
    transformStaticCSP: (header) =>
      header.replace(/\s*upgrade-insecure-requests;?/, '').replace(/style-src ([^;]*?)\s*;/, `style-src $1 ${SWAGGER_UI_STYLE_HASH};`),
  });

  const statusSchema = {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string' } },
  } as const;
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'The process is up.', response: { 200: statusSchema } } }, async () => ({
    status: 'ok',
  }));
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'The model is loaded and the service takes requests (503 while loading or shutting down).',
        response: { 200: statusSchema, 503: statusSchema },
      },
    },
    async (_request, reply) => {
      const ready = !closing && (options.isReady ? options.isReady() : true);
      return reply.code(ready ? 200 : 503).send({ status: closing ? 'shutting-down' : ready ? 'ready' : 'loading' });
    },
  );

  refuseParserBodyLimits(app);
  await options.routes(app);
  await app.ready();

  const close = (): Promise<void> => {
    if (closed) return closed;
    closing = true;
    closed = (async () => {
      const deadline = Date.now() + limits.shutdownTimeoutMs;
      const force = setTimeout(() => app.server.closeAllConnections(), limits.shutdownTimeoutMs);
      const idle = setInterval(() => app.server.closeIdleConnections(), 100);
      force.unref();
      idle.unref();
      try {
        await app.close();
      } finally {
        clearTimeout(force);
        clearInterval(idle);
        // The pool (or whatever onClose releases) goes even when closing the server failed. It
        // gets what is left of the shutdown limit (at least ON_CLOSE_GRACE_MS): a hung worker or
        // a model still loading must not hold the process past it.
        if (options.onClose) {
          const left = Math.max(ON_CLOSE_GRACE_MS, deadline - Date.now());
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<'late'>((resolve) => {
            timer = setTimeout(() => resolve('late'), left);
            timer.unref();
          });
          const outcome = await Promise.race([Promise.resolve().then(options.onClose), late]).finally(() => clearTimeout(timer));
          if (outcome === 'late') app.log.warn({ waitedMs: left }, 'onClose did not finish within the shutdown limit; not waiting for it');
        }
      }
    })();
    return closed;
  };

  return {
    app,
    get closing() {
      return closing;
    },
    get heldBodyBytes() {
      return budget.held;
    },
    async listen(listenOptions = {}) {
      const host = listenOptions.host ?? '127.0.0.1';
      const port = listenOptions.port ?? 0;
      boundHost = host;
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new AppliedMLError('E_INPUT_INVALID', `The port must be a whole number from 0 to 65535 (got ${String(port)}).`, {
          details: { port },
        });
      try {
        await app.listen({ port, host, listenTextResolver: (address) => `listening on ${address}` });
      } catch (cause) {
        // The usual reasons a service cannot start, as typed errors a CLI can print in one line.
        const code = (cause as NodeJS.ErrnoException).code;
        const why =
          code === 'EADDRINUSE'
            ? `port ${port} on ${host} is already in use`
            : code === 'EACCES'
              ? `no permission to listen on port ${port} (ports below 1024 need privileges)`
              : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
                ? `${host} is not an address of this machine`
                : undefined;
        if (why) throw new AppliedMLError('E_IO', `The service cannot listen: ${why}.`, { cause, details: { port, host, code } });
        throw cause;
      }
      const bound = (app.server.address() as AddressInfo).port;
      return { url: listenUrl(host, bound), port: bound };
    },
    close,
    openapi: () => app.swagger() as unknown as Record<string, unknown>,
  };
}

export interface SignalOptions {
  signals?: readonly NodeJS.Signals[];
  /** Where the signals arrive (default `process`). */
  target?: NodeJS.EventEmitter;
  /** Called after a clean close with 0, or with 1 when closing failed or a second signal came (default `process.exit`). */
  exit?: (code: number) => void;
  /** Told when a signal starts the shutdown. */
  onSignal?: (signal: string) => void;
}

/**
 * On SIGTERM or SIGINT: close the service gracefully (in-flight requests finish), then exit 0; a
 * second signal exits 1 at once. Returns a function that removes the handlers.
 */
export function closeOnSignals(service: Pick<Service, 'close'>, options: SignalOptions = {}): () => void {
  const target = options.target ?? process;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let started = false;
  const handler = (signal: string): void => {
    if (started) return exit(1);
    started = true;
    options.onSignal?.(signal);
    service.close().then(
      () => exit(0),
      () => exit(1),
    );
  };
  const listeners = signals.map((signal) => {
    const listener = (): void => handler(signal);
    target.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => listeners.forEach(([signal, listener]) => target.off(signal, listener));
}
