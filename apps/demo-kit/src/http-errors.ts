import { AppliedMLError, httpStatusForCode, type ErrorCode } from '@appliedml/engine';
import { andList } from './and-list';

/**
 * The body of every error response: a stable machine-readable `code` and a message saying what to do.
 * `details` only where the kit names something a client needs that is the service's own, never the
 * request's: a body over the size limit says the limit (`limitBytes`).
 */
export interface ErrorBody {
  code: string;
  message: string;
  details?: { limitBytes: number };
}

/** The `details.reason` of the kit's own E_INPUT_TOO_LARGE for a request body over a byte limit. */
export const BODY_TOO_LARGE_REASON = 'body-too-large';

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const;

/** Bytes as a person reads them: '1,000 bytes', '1 KiB', '1.5 MiB', '64 MiB' (binary units, at most one decimal). */
export function humanBytes(bytes: number): string {
  if (!(bytes >= 1024)) return `${bytes.toLocaleString('en-US')} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  // Rounded down: a limit said as '1.5 MiB' is never more than the service takes.
  const shown = Math.floor(value * 10) / 10;
  return `${shown.toLocaleString('en-US', { maximumFractionDigits: 1 })} ${UNITS[unit]}`;
}

/**
 * The answer to a request body over `limitBytes` (a route's `bodyLimit`, or the service's body
 * budget, `whose` 'service'): 413 E_INPUT_TOO_LARGE naming the limit in words and in bytes, and `details.limitBytes`
 * for a client to size its next request by. The limit is the service's; nothing of the request is said.
 */
export function bodyTooLarge(limitBytes: number, whose: 'route' | 'service' = 'route'): AppliedMLError {
  const exact = `${limitBytes.toLocaleString('en-US')} bytes`;
  const said = limitBytes >= 1024 ? `${humanBytes(limitBytes)} (${exact})` : exact;
  return new AppliedMLError('E_INPUT_TOO_LARGE', `The request body is over this ${whose}'s limit of ${said}; send at most that.`, {
    details: { reason: BODY_TOO_LARGE_REASON, limitBytes },
  });
}

/** The limit of a `bodyTooLarge` error, undefined for any other error (an SDK's E_INPUT_TOO_LARGE says no sizes back). */
function bodyLimitOf(error: AppliedMLError): number | undefined {
  const details = (error as { details?: unknown }).details;
  if (typeof details !== 'object' || details === null) return undefined;
  const { reason, limitBytes } = details as Record<string, unknown>;
  return reason === BODY_TOO_LARGE_REASON && typeof limitBytes === 'number' && Number.isSafeInteger(limitBytes) && limitBytes >= 0
    ? limitBytes
    : undefined;
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
  /** The schema object that failed (Ajv's `verbose`): its `properties` are the fields it takes. */
  parentSchema?: unknown;
  /** The value that failed (Ajv's `verbose`): only its keys are read, and only plain ones said back. */
  data?: unknown;
}

/**
 * A key safe to say back in an answer: letters, digits, `_` and `-`, at most 40 characters (no markup,
 * no spaces, nothing a page could mistake for code). Any other key is only counted.
 */
export const PLAIN_FIELD_NAME = /^[A-Za-z0-9_-]{1,40}$/;

/** Names said back at most, and fields listed as taken at most. */
const MAX_NAMED = 3;
const MAX_LISTED = 12;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The fields an object does not take, as the answer may say them: up to three plain names (the
 * others counted, never echoed) and the fields its schema takes. From the failing object's keys when
 * Ajv gave them (every extra key, not only the first), else the one key Ajv named.
 */
function unknownFields(issue: ValidationIssue, noun: string, nameThem: boolean): string {
  const schema = isRecord(issue.parentSchema) ? issue.parentSchema : undefined;
  const properties = schema && isRecord(schema['properties']) ? Object.keys(schema['properties']) : undefined;
  const reported = issue.params?.['additionalProperty'] ?? issue.params?.['unevaluatedProperty'];
  let extra: string[] = typeof reported === 'string' ? [reported] : [];
  // Keys a pattern may take cannot be told apart here: then only the key Ajv named.
  if (properties && isRecord(issue.data) && schema?.['patternProperties'] === undefined && issue.keyword === 'additionalProperties') {
    const all = Object.keys(issue.data).filter((key) => !properties.includes(key));
    if (all.length > 0) extra = all;
  }
  const named = nameThem ? extra.filter((key) => PLAIN_FIELD_NAME.test(key)).slice(0, MAX_NAMED) : [];
  // Without names, one unknown field or several read alike (as they always did).
  const others = nameThem ? Math.max(extra.length, 1) - named.length : 1;
  // Joined as the fields the route takes are: 'label' and 'lable', 'a', 'b' and 'c'.
  const quoted = named.map((key) => `'${key}'`);
  const what =
    named.length === 0
      ? others === 1
        ? `a ${noun} this route does not accept`
        : `${others} ${noun}s this route does not accept`
      : `${noun}${named.length === 1 ? '' : 's'} ${andList(others > 0 ? [...quoted, `${others} more`] : quoted)}, which this route does not accept`;
  if (!properties) return `has ${what}`;
  if (properties.length === 0) return `has ${what}: it takes no ${noun}s`;
  const shown = properties.slice(0, MAX_LISTED);
  const rest = properties.length - shown.length;
  return `has ${what}: it takes ${andList(rest > 0 ? [...shown, `${rest} more`] : shown)}`;
}

/**
 * Beside a missing field, the fields the same object has that its schema does not take (Ajv stops at
 * the first failure, `required`, so the typo `timestmap` beside the missing `timestamp` was never
 * named): read from the failing object's keys (`verbose`), one pass over them, when the schema refuses
 * every key outside its `properties` (`additionalProperties: false`, no pattern). Plain names said back
 * under `nameThem`, up to three, others counted; '' when there are none or they cannot be told.
 */
function alsoNotTaken(issue: ValidationIssue, noun: string, nameThem: boolean): string {
  const schema = isRecord(issue.parentSchema) ? issue.parentSchema : undefined;
  if (!schema || schema['additionalProperties'] !== false || schema['patternProperties'] !== undefined) return '';
  if (!isRecord(schema['properties']) || !isRecord(issue.data)) return '';
  const taken = new Set(Object.keys(schema['properties']));
  const extra = Object.keys(issue.data).filter((key) => !taken.has(key));
  if (extra.length === 0) return '';
  const named = nameThem ? extra.filter((key) => PLAIN_FIELD_NAME.test(key)).slice(0, MAX_NAMED) : [];
  // Without names, one unknown field or several read alike (as a lone unknown field's answer does).
  const others = nameThem ? extra.length - named.length : 1;
  if (named.length === 0) return `; it also has ${others === 1 ? `a ${noun}` : `${others} ${noun}s`} this route does not accept`;
  const quoted = named.map((key) => `'${key}'`);
  return `; it has ${andList(others > 0 ? [...quoted, `${others} more`] : quoted)}, which this route does not accept`;
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

/**
 * What went wrong, in words fixed by the schema keyword (never the value; a key the client sent only
 * when it is a plain name, `PLAIN_FIELD_NAME`). `noun` is what the part calls its keys (a query
 * string's are parameters).
 */
function schemaProblem(issue: ValidationIssue, noun: string, nameUnknownFields: boolean): string {
  const missing = issue.params?.['missingProperty'];
  switch (issue.keyword) {
    case 'required':
      // A required property's name comes from the schema, not the request.
      return `${typeof missing === 'string' ? `lacks '${missing}'` : 'lacks a required field'}${alsoNotTaken(issue, noun, nameUnknownFields)}`;
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return unknownFields(issue, noun, nameUnknownFields);
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

export interface ToHttpErrorOptions {
  /**
   * Say back the names of fields a route does not take when they are plain names (`PLAIN_FIELD_NAME`:
   * letters, digits, `_`, `-`, at most 40 characters; up to three, others counted): "The body has
   * field 'label', which this route does not accept: it takes text." Default false: "The body has a
   * field this route does not accept: it takes text." (no key the client sent is ever said back).
   */
  nameUnknownFields?: boolean;
  /**
   * The byte limit of the request's route: Fastify's own body-too-large error (which carries no
   * limit) is then answered as `bodyTooLarge(bodyLimit)`, naming it; without it, with a fixed message.
   */
  bodyLimit?: number;
}

/**
 * The one mapping from a thrown value to an HTTP answer:
 * - an SDK error (`AppliedMLError.isInstance`, so duplicate installs agree) → the engine's
 *   `httpStatusForCode`, with the error's code and message (E_INTERNAL: the fixed message);
 * - a schema validation failure → 400 `E_INPUT_INVALID` naming the schema field, never echoing
 *   a value or (unless `nameUnknownFields`, then only plain names) a key the client sent; a field
 *   the route does not take is answered with the fields its schema takes;
 * - Fastify's body and URL errors → 413 `E_INPUT_TOO_LARGE`, 415 `E_FORMAT_UNSUPPORTED`, 400
 *   `E_INPUT_INVALID`, with fixed messages; a body over the limit names the limit (`bodyTooLarge`)
 *   when `options.bodyLimit` gives it, with `details.limitBytes` (the one detail an answer carries);
 * - anything else → 500 `E_INTERNAL` with the fixed message "Internal error.".
 */
export function toHttpError(error: unknown, options: ToHttpErrorOptions = {}): HttpError {
  const fastifyCode = typeof error === 'object' && error !== null ? (error as FastifyLikeError).code : undefined;
  if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE' && options.bodyLimit !== undefined && Number.isSafeInteger(options.bodyLimit))
    return toHttpError(bodyTooLarge(options.bodyLimit), { ...options, bodyLimit: undefined });
  if (AppliedMLError.isInstance(error)) {
    const status = httpStatusForCode(error.code);
    const retry = retryAfter(error);
    const message = error.code === 'E_INTERNAL' || typeof error.message !== 'string' ? INTERNAL_MESSAGE : error.message;
    const limitBytes = error.code === 'E_INPUT_TOO_LARGE' ? bodyLimitOf(error) : undefined;
    return {
      status,
      body: { code: error.code, message, ...(limitBytes !== undefined ? { details: { limitBytes } } : {}) },
      ...(typeof retry === 'number' && Number.isFinite(retry) && retry >= 0 && status === 503
        ? { retryAfterSeconds: Math.ceil(retry) }
        : {}),
    };
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as FastifyLikeError;
  if (Array.isArray(e.validation)) {
    const where = typeof e.validationContext === 'string' ? e.validationContext : 'request';
    const first = reportedIssue(e.validation as ValidationIssue[]);
    const noun = where === 'querystring' ? 'parameter' : 'field';
    return {
      status: 400,
      body: {
        code: 'E_INPUT_INVALID',
        message: `The ${where}${schemaField(first)} ${schemaProblem(first, noun, options.nameUnknownFields === true)}.`,
      },
    };
  }
  const known = typeof e.code === 'string' ? FASTIFY_CODES[e.code] : undefined;
  if (known) return { status: httpStatusForCode(known.code), body: { ...known } };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 404) return { status, body: { code: NOT_FOUND_CODE, message: 'No such route.' } };
  if (status >= 400 && status < 500) return { status: 400, body: { code: 'E_INPUT_INVALID', message: 'The request is invalid.' } };
  return { status: 500, body: { code: 'E_INTERNAL', message: INTERNAL_MESSAGE } };
}
