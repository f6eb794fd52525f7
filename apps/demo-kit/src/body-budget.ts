import { Transform, type TransformCallback } from 'node:stream';
import { AppliedMLError } from '@appliedml/engine';
import { bodyTooLarge } from './http-errors';

/** Seconds in the Retry-After of a request refused because the budget is spent. */
export const BODY_BUDGET_RETRY_AFTER_SECONDS = 1;

/** The E_BUSY answered to a request whose body would take the held bytes over the budget. */
export function bodyBudgetBusy(): AppliedMLError {
  return new AppliedMLError('E_BUSY', 'The service is holding as many request bodies as it can; retry shortly.', {
    details: { retryAfterSeconds: BODY_BUDGET_RETRY_AFTER_SECONDS },
  });
}

/** One request's share of the budget: what it holds, until `release()` (idempotent). */
export interface BodyClaim {
  readonly bytes: number;
  /** Takes `n` more bytes (a chunked body as it arrives); false, and nothing taken, when they would not fit. */
  grow(n: number): boolean;
  release(): void;
}

/**
 * Bytes of request bodies held at once, across requests: reserved from Content-Length before a body
 * is read (or as a chunked body arrives) and held until the request's answer is done, so a full
 * queue of large uploads cannot take the process's memory. `limit` 0 (or Infinity) turns it off.
 */
export interface BodyBudget {
  readonly limit: number;
  /** Bytes held now. */
  readonly held: number;
  /** A claim of `bytes`, or undefined when they do not fit beside what is held. */
  claim(bytes: number): BodyClaim | undefined;
}

export function createBodyBudget(limit: number): BodyBudget {
  const off = !(limit > 0) || !Number.isFinite(limit);
  let held = 0;
  const fits = (n: number): boolean => off || held + n <= limit;
  return {
    limit: off ? 0 : limit,
    get held() {
      return held;
    },
    claim(bytes) {
      if (!fits(bytes)) return undefined;
      held += bytes;
      let own = bytes;
      let released = false;
      return {
        get bytes() {
          return released ? 0 : own;
        },
        grow(n) {
          if (released) return true;
          if (!fits(n)) return false;
          held += n;
          own += n;
          return true;
        },
        release() {
          if (released) return;
          released = true;
          held -= own;
        },
      };
    },
  };
}

/** What a chunked body may reach: its route's `bodyLimit` and the whole budget's `limit`. */
export interface ChunkedLimits {
  routeLimit: number;
  budgetLimit: number;
}

/**
 * Passes a chunked body through, claiming each chunk's bytes as it arrives. A chunk that takes the
 * body over the smaller of its route's limit and the whole budget ends the stream with 413
 * E_INPUT_TOO_LARGE naming that limit (`bodyTooLarge`: the body can never fit, so waiting would not
 * help); one that only does not fit beside what other requests hold ends it with 503 E_BUSY. The
 * body is not read further either way.
 */
export function countingStream(claim: BodyClaim, limits: ChunkedLimits): Transform {
  const serviceLimit = limits.budgetLimit < limits.routeLimit;
  const limit = serviceLimit ? limits.budgetLimit : limits.routeLimit;
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      seen += chunk.length;
      if (seen > limit) return done(bodyTooLarge(limit, serviceLimit ? 'service' : 'route'));
      if (!claim.grow(chunk.length)) return done(bodyBudgetBusy());
      done(null, chunk);
    },
  });
}
