import type { AddressInfo } from 'node:net';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions, type RouteOptions } from 'fastify';
import { AppliedMLError } from '@appliedml/engine';
import { NOT_FOUND_CODE, toHttpError } from './http-errors';

/** Limits against oversized bodies and slow-request floods. Every field has a default. */
export interface ServiceLimits {
  /** Largest request body in bytes (default 1 MiB); over it → 413 E_INPUT_TOO_LARGE. */
  bodyLimit?: number;
  /** Time to receive a whole request, headers and body (default 30 s); over it Node answers 408 and closes. */
  requestTimeoutMs?: number;
  /** Time to receive the request headers (default 10 s). */
  headersTimeoutMs?: number;
  /** An idle socket is destroyed after this (default 60 s; keep it over the slowest inference). */
  connectionTimeoutMs?: number;
  /** Keep-alive idle time between requests (default 5 s). */
  keepAliveTimeoutMs?: number;
  /** How often Node checks the request and header timeouts (default 1 s). */
  timeoutCheckIntervalMs?: number;
  /** Open connections at most; more are dropped at once (default 256). */
  maxConnections?: number;
  /** Time `close()` waits for in-flight requests before cutting the connections (default 10 s). */
  shutdownTimeoutMs?: number;
}

export interface ServiceOptions {
  /** Title of the OpenAPI document and the log name. */
  name: string;
  version?: string;
  description?: string;
  /**
   * Declare the routes here (`app.get`, `app.post`, `app.route`): every route needs a `schema`
   * (body, params, querystring, response) and registering one without throws E_INTERNAL.
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
  /** Called once by `close()` after the last request finished (release the worker pool here). */
  onClose?: () => void | Promise<void>;
}

export interface Service {
  readonly app: FastifyInstance;
  /** Listen on loopback by default; resolves with the base URL and the port. */
  listen(options?: { port?: number; host?: string }): Promise<{ url: string; port: number }>;
  /** Stop accepting, answer readiness 503, finish in-flight requests, then run `onClose`. Idempotent. */
  close(): Promise<void>;
  readonly closing: boolean;
  /** The OpenAPI 3 document generated from the route schemas. */
  openapi(): Record<string, unknown>;
}

/** Schema id of the error answer, for `response` schemas: `{ $ref: 'ErrorBody#' }`. */
export const ERROR_BODY_ID = 'ErrorBody';

/** Response schemas for the error answers a route can give; spread into a route's `response`. */
export const errorResponses = {
  400: { $ref: `${ERROR_BODY_ID}#` },
  413: { $ref: `${ERROR_BODY_ID}#` },
  415: { $ref: `${ERROR_BODY_ID}#` },
  500: { $ref: `${ERROR_BODY_ID}#` },
  503: { $ref: `${ERROR_BODY_ID}#` },
} as const;

const DEFAULT_LIMITS: Required<ServiceLimits> = {
  bodyLimit: 1024 * 1024,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  connectionTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  timeoutCheckIntervalMs: 1_000,
  maxConnections: 256,
  shutdownTimeoutMs: 10_000,
};

interface LoggedRequest {
  method?: string;
  url?: string;
  routeOptions?: { url?: string };
  ip?: string;
}

/** What a request contributes to a log line: method, path (no query string), route, address. Never the body. */
function requestForLog(req: LoggedRequest): Record<string, unknown> {
  const url = typeof req.url === 'string' ? req.url.split('?')[0] : undefined;
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

/**
 * One way every demo service serves: Fastify with JSON schemas on every route, an OpenAPI page,
 * body limits and content-type checks, SDK errors mapped to HTTP with their codes, `GET /healthz`
 * and `GET /readyz`, timeouts against slow-request floods, and a graceful `close()`.
 */
export async function createService(options: ServiceOptions): Promise<Service> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const docsPrefix = options.docsPrefix ?? '/docs';
  const app = Fastify({
    logger: loggerOption(options.logger),
    bodyLimit: limits.bodyLimit,
    connectionTimeout: limits.connectionTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  app.server.maxConnections = limits.maxConnections;

  let closing = false;
  let closed: Promise<void> | undefined;

  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.method === 'HEAD' || (Array.isArray(route.method) && route.method.every((m) => m === 'HEAD'))) return;
    if (route.url.startsWith(docsPrefix)) return;
    if (!route.schema)
      throw new AppliedMLError('E_INTERNAL', `Route ${String(route.method)} ${route.url} has no JSON schema; every route declares one.`);
  });

  // JSON only (Fastify also reads text/plain by default): a wrong content type is a 415, not a
  // string body that fails validation later.
  app.removeContentTypeParser('text/plain');
  if (options.binaryTypes && options.binaryTypes.length > 0)
    app.addContentTypeParser([...options.binaryTypes], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addSchema({
    $id: ERROR_BODY_ID,
    type: 'object',
    description: 'An error: a stable code (E_INPUT_INVALID, E_INPUT_TOO_LARGE, …) and what to do.',
    required: ['code', 'message'],
    properties: { code: { type: 'string' }, message: { type: 'string' } },
  });

  app.setErrorHandler((error, request, reply) => {
    const answer = toHttpError(error);
    // Log the code and status only: a parser's or an SDK's message may quote the request.
    if (answer.status >= 500) request.log.error({ err: error, code: answer.body.code }, 'request failed');
    else request.log.info({ code: answer.body.code, status: answer.status }, 'request rejected');
    if (answer.retryAfterSeconds !== undefined) void reply.header('retry-after', String(answer.retryAfterSeconds));
    return reply.code(answer.status).send(answer.body);
  });
  // While shutting down, answers end their connection, so keep-alive clients do not hold it open.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) void reply.header('connection', 'close');
    return payload;
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ code: NOT_FOUND_CODE, message: `No route ${request.method} ${request.url.split('?')[0]}.` }),
  );

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: options.name,
        version: options.version ?? '0.0.0',
        ...(options.description ? { description: options.description } : {}),
      },
    },
  });
  // The page's scripts and styles come from the package's own files: it works offline.
  // Its CSP minus upgrade-insecure-requests, which would break the page on a plain-http LAN address.
  await app.register(fastifySwaggerUi, {
    routePrefix: docsPrefix,
    uiConfig: { validatorUrl: null },
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
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

  await options.routes(app);
  await app.ready();

  const close = (): Promise<void> => {
    if (closed) return closed;
    closing = true;
    closed = (async () => {
      const force = setTimeout(() => app.server.closeAllConnections(), limits.shutdownTimeoutMs);
      const idle = setInterval(() => app.server.closeIdleConnections(), 100);
      force.unref();
      idle.unref();
      try {
        await app.close();
      } finally {
        clearTimeout(force);
        clearInterval(idle);
      }
      await options.onClose?.();
    })();
    return closed;
  };

  return {
    app,
    get closing() {
      return closing;
    },
    async listen(listenOptions = {}) {
      const host = listenOptions.host ?? '127.0.0.1';
      await app.listen({ port: listenOptions.port ?? 0, host, listenTextResolver: (address) => `listening on ${address}` });
      const { port } = app.server.address() as AddressInfo;
      const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
      return { url: `http://${shown}:${port}`, port };
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
