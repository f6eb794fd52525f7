import { AppliedMLError, httpStatusForCode, type ErrorCode } from '@appliedml/engine';

/** The body of every error response: a stable machine-readable `code` and a message saying what to do. */
export interface ErrorBody {
  code: string;
  message: string;
}

export interface HttpError {
  status: number;
  body: ErrorBody;
  /** Seconds for a Retry-After header (busy or not-ready answers). */
  retryAfterSeconds?: number;
}

/** The code for a route or method that does not exist (the engine's E_NOT_FOUND, 404). */
export const NOT_FOUND_CODE: ErrorCode = 'E_NOT_FOUND';

/**
 * Fastify's own request errors, mapped to the SDKs' stable codes. The messages are fixed on
 * purpose: a parser's message may quote the request body, and answers never echo it back.
 */
const FASTIFY_CODES: Record<string, { code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'E_INPUT_TOO_LARGE', message: 'The request body is over the size limit of this route.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'E_FORMAT_UNSUPPORTED', message: 'This route does not accept that content type.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'E_INPUT_INVALID', message: 'The request body size does not match Content-Length.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'E_INPUT_INVALID', message: 'The request body is empty; send a JSON document.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'E_INPUT_INVALID', message: 'The request body is not valid JSON.' },
  FST_ERR_BAD_URL: { code: 'E_INPUT_INVALID', message: 'The request URL is malformed.' },
  FST_ERR_ASYNC_CONSTRAINT: { code: 'E_INPUT_INVALID', message: 'The request does not match the route.' },
};

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  validation?: unknown;
  validationContext?: unknown;
  message?: unknown;
}

/**
 * The one mapping from a thrown value to an HTTP answer:
 * - an SDK error (`AppliedMLError.isInstance`, so duplicate installs agree) → the engine's
 *   `httpStatusForCode`, with the error's code and message;
 * - a schema validation failure → 400 `E_INPUT_INVALID` naming the field;
 * - Fastify's body errors → 413 `E_INPUT_TOO_LARGE`, 415 `E_FORMAT_UNSUPPORTED`, 400 `E_INPUT_INVALID`;
 * - anything else → 500 `E_INTERNAL` with a message that reveals nothing.
 */
export function toHttpError(error: unknown): HttpError {
  if (AppliedMLError.isInstance(error)) {
    const status = httpStatusForCode(error.code);
    const retry = error.details['retryAfterSeconds'];
    return {
      status,
      body: { code: error.code, message: error.message },
      ...(typeof retry === 'number' && status === 503 ? { retryAfterSeconds: retry } : {}),
    };
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as FastifyLikeError;
  if (Array.isArray(e.validation)) {
    const where = typeof e.validationContext === 'string' ? e.validationContext : 'request';
    const first = e.validation[0] as { instancePath?: string; message?: string; params?: Record<string, unknown> } | undefined;
    const field = `${where}${first?.instancePath ?? ''}`;
    const extra = first?.params?.['additionalProperty'];
    const missing = first?.params?.['missingProperty'];
    const what =
      typeof extra === 'string' ? `has an unknown field '${extra}'` : typeof missing === 'string' ? `lacks '${missing}'` : first?.message;
    return { status: 400, body: { code: 'E_INPUT_INVALID', message: `The ${field} ${what ?? 'is invalid'}.` } };
  }
  const known = typeof e.code === 'string' ? FASTIFY_CODES[e.code] : undefined;
  if (known) return { status: httpStatusForCode(known.code as 'E_INPUT_INVALID'), body: { ...known } };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 404) return { status, body: { code: NOT_FOUND_CODE, message: 'No such route.' } };
  if (status >= 400 && status < 500) return { status: 400, body: { code: 'E_INPUT_INVALID', message: 'The request is invalid.' } };
  return { status: 500, body: { code: 'E_INTERNAL', message: 'Internal error; the service log has the details.' } };
}
