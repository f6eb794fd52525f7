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

/** The message of every 500: what failed stays in the server log, never in an answer. */
export const INTERNAL_MESSAGE = 'Internal error.';

/**
 * Fastify's own request errors (body parsing and routing, including the router's
 * `frameworkErrors`), mapped to the SDKs' stable codes. The messages are fixed on purpose:
 * Fastify's own messages quote the URL or the body, and answers never echo the request.
 */
const FASTIFY_CODES: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'E_INPUT_TOO_LARGE', message: 'The request body is over the size limit of this route.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'E_FORMAT_UNSUPPORTED', message: 'This route does not accept that content type.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'E_INPUT_INVALID', message: 'The request body size does not match Content-Length.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'E_INPUT_INVALID', message: 'The request body is empty; send a JSON document.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'E_INPUT_INVALID', message: 'The request body is not valid JSON.' },
  FST_ERR_BAD_URL: { code: 'E_INPUT_INVALID', message: 'The request URL is malformed.' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'E_INPUT_INVALID', message: 'A path parameter is longer than this service accepts.' },
  FST_ERR_ASYNC_CONSTRAINT: { code: 'E_INPUT_INVALID', message: 'The request does not match the route.' },
};

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  validation?: unknown;
  validationContext?: unknown;
  message?: unknown;
}

interface ValidationIssue {
  keyword?: unknown;
  schemaPath?: unknown;
  params?: Record<string, unknown>;
}

/**
 * Where a schema failure is, named from the schema (`#/properties/text/type` → `text`), never from
 * the request: an instance path would carry the keys a client sent.
 */
function schemaField(issue: ValidationIssue): string {
  const path = typeof issue.schemaPath === 'string' ? issue.schemaPath.split('/') : [];
  const names: string[] = [];
  for (let i = 0; i < path.length - 1; i++) if (path[i] === 'properties') names.push(path[i + 1] as string);
  return names.length === 0 ? '' : ` field '${names.map((n) => n.replace(/~1/g, '/').replace(/~0/g, '~')).join('.')}'`;
}

/** A bound a value broke, with the schema's limit (never the value): 'must be at most 256 characters'. */
function boundProblem(keyword: string, limit: unknown): string {
  if (typeof limit !== 'number' || !Number.isFinite(limit)) return 'is out of the allowed range';
  const unit = (one: string, many: string) => (limit === 1 ? one : many);
  switch (keyword) {
    case 'minLength':
      return `must be at least ${limit} ${unit('character', 'characters')} long`;
    case 'maxLength':
      return `must be at most ${limit} ${unit('character', 'characters')} long`;
    case 'minItems':
      return `must have at least ${limit} ${unit('item', 'items')}`;
    case 'maxItems':
      return `must have at most ${limit} ${unit('item', 'items')}`;
    case 'minimum':
      return `must be at least ${limit}`;
    case 'maximum':
      return `must be at most ${limit}`;
    case 'exclusiveMinimum':
      return `must be more than ${limit}`;
    default:
      return `must be less than ${limit}`;
  }
}

/** What went wrong, in words fixed by the schema keyword (never the value or an unknown key). */
function schemaProblem(issue: ValidationIssue): string {
  const missing = issue.params?.['missingProperty'];
  switch (issue.keyword) {
    case 'required':
      // A required property's name comes from the schema, not the request.
      return typeof missing === 'string' ? `lacks '${missing}'` : 'lacks a required field';
    case 'additionalProperties':
    case 'unevaluatedProperties':
    case 'propertyNames':
      return 'has a field this route does not accept';
    case 'type':
      return typeof issue.params?.['type'] === 'string' ? `must be of type ${issue.params['type']}` : 'has the wrong type';
    case 'minLength':
    case 'maxLength':
    case 'minItems':
    case 'maxItems':
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return boundProblem(issue.keyword, issue.params?.['limit']);
    case 'pattern':
    case 'format':
      return 'is not in the expected form';
    case 'enum':
    case 'const':
      return 'is not one of the allowed values';
    default:
      return 'is invalid';
  }
}

/**
 * The issue to report. A field with several accepted forms (`anyOf`) fails every branch, and the first
 * issue is the first branch's ('must be of type number' for a string that only missed the string form's
 * pattern): a branch whose type the value had failed on something else, so that issue is the one; a
 * value of none of the branches' types is told every accepted type.
 */
function reportedIssue(issues: readonly ValidationIssue[]): ValidationIssue {
  const first = issues[0] ?? {};
  const path = typeof first.schemaPath === 'string' ? first.schemaPath : '';
  const at = path.lastIndexOf('/anyOf/');
  if (at < 0) return first;
  const prefix = path.slice(0, at + '/anyOf/'.length);
  const branches = issues.filter((i) => typeof i.schemaPath === 'string' && i.schemaPath.startsWith(prefix));
  const other = branches.find((i) => i.keyword !== 'type');
  if (other) return other;
  const types = [...new Set(branches.map((i) => i.params?.['type']).filter((t): t is string => typeof t === 'string'))];
  return { keyword: 'type', schemaPath: `${path.slice(0, at)}/anyOf`, params: { type: types.join(' or ') } };
}

function retryAfter(error: unknown): unknown {
  // A foreign engine copy (or a hand-made error with the marker) may have no `details` at all.
  const details = (error as { details?: unknown }).details;
  return typeof details === 'object' && details !== null ? (details as Record<string, unknown>)['retryAfterSeconds'] : undefined;
}

/**
 * The one mapping from a thrown value to an HTTP answer:
 * - an SDK error (`AppliedMLError.isInstance`, so duplicate installs agree) → the engine's
 *   `httpStatusForCode`, with the error's code and message (E_INTERNAL: the fixed message);
 * - a schema validation failure → 400 `E_INPUT_INVALID` naming the schema field, never echoing
 *   a value or a key the client sent;
 * - Fastify's body and URL errors → 413 `E_INPUT_TOO_LARGE`, 415 `E_FORMAT_UNSUPPORTED`, 400
 *   `E_INPUT_INVALID`, with fixed messages;
 * - anything else → 500 `E_INTERNAL` with the fixed message "Internal error.".
 */
export function toHttpError(error: unknown): HttpError {
  if (AppliedMLError.isInstance(error)) {
    const status = httpStatusForCode(error.code);
    const retry = retryAfter(error);
    const message = error.code === 'E_INTERNAL' || typeof error.message !== 'string' ? INTERNAL_MESSAGE : error.message;
    return {
      status,
      body: { code: error.code, message },
      ...(typeof retry === 'number' && Number.isFinite(retry) && retry >= 0 && status === 503
        ? { retryAfterSeconds: Math.ceil(retry) }
        : {}),
    };
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as FastifyLikeError;
  if (Array.isArray(e.validation)) {
    const where = typeof e.validationContext === 'string' ? e.validationContext : 'request';
    const first = reportedIssue(e.validation as ValidationIssue[]);
    return { status: 400, body: { code: 'E_INPUT_INVALID', message: `The ${where}${schemaField(first)} ${schemaProblem(first)}.` } };
  }
  const known = typeof e.code === 'string' ? FASTIFY_CODES[e.code] : undefined;
  if (known) return { status: httpStatusForCode(known.code), body: { ...known } };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 404) return { status, body: { code: NOT_FOUND_CODE, message: 'No such route.' } };
  if (status >= 400 && status < 500) return { status: 400, body: { code: 'E_INPUT_INVALID', message: 'The request is invalid.' } };
  return { status: 500, body: { code: 'E_INTERNAL', message: INTERNAL_MESSAGE } };
}
